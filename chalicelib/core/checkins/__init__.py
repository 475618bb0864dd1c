"""Check-ins: "are you safe?" to many people, answered by a digit, a tap or the API; "I need
help" becomes an incident that pages the responders; reminders go only to the silent."""
