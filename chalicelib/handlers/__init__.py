"""Queue, schedule, SNS and EventBridge edges."""
