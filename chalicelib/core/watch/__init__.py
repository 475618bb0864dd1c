"""Watching the watcher: heartbeats from the tools that should keep talking to Tocsin, and
canary messages that prove each channel still delivers, end to end, with receipts."""
