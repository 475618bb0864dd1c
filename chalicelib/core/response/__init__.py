"""The response to an open incident: escalation level by level, answers, and SMS replies."""
