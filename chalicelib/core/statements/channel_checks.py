"""Do the playbook's chat and social outlets still work? Each Slack, Teams and Mastodon outlet
of every audience, checked once, posting nothing: Mastodon's token is asked
(verify_credentials); a webhook cannot be asked without posting, so only its secret and URL are
checked. ``tocsin channels check`` asks through the API; a scheduled tick asks every hour and
logs ``SOCIAL_CHECKED`` per outlet, which the deployment's alarm counts."""

from __future__ import annotations

from chalicelib.core.playbook.audiences import Outlet
from chalicelib.core.playbook.source import PlaybookSource
from chalicelib.core.statements.ports import OutletHealth, SocialPoster

SOCIAL_CHECKED = "social channel checked"  # {"outlet", "failing": 0 or 1, "detail", "stage"}


class ChannelChecks:
    def __init__(self, playbooks: PlaybookSource, poster: SocialPoster) -> None:
        self._playbooks = playbooks
        self._poster = poster

    def outlets(self) -> list[Outlet]:
        """The current playbook's chat and social outlets, each once, by name."""
        found: dict[str, Outlet] = {}
        for audience in self._playbooks.load().audiences.values():
            for outlet in audience.outlets:
                if outlet.kind.platform is not None:
                    found.setdefault(outlet.name, outlet)
        return [found[name] for name in sorted(found)]

    def check(self) -> list[OutletHealth]:
        return [self._poster.check(outlet) for outlet in self.outlets()]
