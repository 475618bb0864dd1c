"""Reaching people: planning jobs, the responder pass each message carries, dispatch at the quota,
and delivery receipts."""
