"""Tocsin: a serverless crisis-alert dispatcher (deployed code only)."""
