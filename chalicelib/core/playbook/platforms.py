"""Chat and social platforms a statement can be posted to, and how long a post may be. Pure.

A post is the approved text exactly: the subject, a blank line, the body. Nothing is cut to
fit: a template that renders longer than its platform takes is refused when the playbook is
validated, and a statement too long is refused when it is published (on the timeline).

    slack     an incoming webhook: text up to 40,000 characters, but Slack truncates a message
              past 4,000, so 4,000 is the limit here
    teams     a Workflows webhook (the Office 365 connector webhooks were retired) taking an
              Adaptive Card; Teams takes messages up to about 28 KB: 20,000 characters here
    mastodon  POST /api/v1/statuses: 500 characters on a default instance
"""

from __future__ import annotations

from enum import StrEnum


class Platform(StrEnum):
    SLACK = "slack"
    TEAMS = "teams"
    MASTODON = "mastodon"


LIMITS: dict[Platform, int] = {
    Platform.SLACK: 4_000,
    Platform.TEAMS: 20_000,
    Platform.MASTODON: 500,
}


def post_text(subject: str, body: str) -> str:
    """What is posted: the approved subject and body, nothing added or cut."""
    subject, body = subject.strip(), body.strip()
    return f"{subject}\n\n{body}" if subject else body


def too_long(platform: Platform, text: str) -> str | None:
    """Why ``text`` cannot be posted to ``platform``, or None."""
    limit = LIMITS[platform]
    if len(text) > limit:
        return f"is {len(text)} characters; {platform.value} takes at most {limit}"
    return None
