"""Deciding on events: intake, activation criteria, the evaluator, manual and scheduled
activation."""
