"""Slack, Teams and Mastodon in memory: posts kept per outlet, revoked outlets refused, lost
answers scripted; the same contract as ``chalicelib/channels/social.py`` (run against both by
``tests/functional/test_social_channels.py``): a post returns a receipt and is kept once per
key (Mastodon's Idempotency-Key; a webhook keeps every post); a revoked outlet raises
PermanentSendError (invalid_token) and keeps nothing; a check never posts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from chalicelib.core.errors import PermanentSendError, SendError
from chalicelib.core.playbook.audiences import Outlet, OutletKind
from chalicelib.core.statements.ports import OutletHealth, PostReceipt


@dataclass(frozen=True)
class Post:
    outlet: str
    text: str
    key: str
    post_id: str


class RecordingSocialPoster:
    def __init__(self, revoked: Iterable[str] = ()) -> None:
        self.revoked = set(revoked)  # outlet names whose token or webhook was revoked
        self.posts: list[Post] = []
        self.failures: dict[str, list[SendError]] = {}  # raised, one per post, before posting
        self.checks = 0

    def post(self, outlet: Outlet, text: str, key: str) -> PostReceipt:
        scripted = self.failures.get(outlet.name)
        if scripted:
            raise scripted.pop(0)
        if outlet.name in self.revoked:
            raise PermanentSendError("invalid_token", f"{outlet.kind.value}: token revoked")
        if outlet.kind is OutletKind.MASTODON:
            for post in self.posts:
                if post.key == key and post.outlet == outlet.name:
                    return PostReceipt(post.post_id)
        post_id = f"{outlet.kind.value}-{len(self.posts) + 1}"
        self.posts.append(Post(outlet.name, text, key, post_id))
        return PostReceipt(post_id if outlet.kind is OutletKind.MASTODON else "")

    def check(self, outlet: Outlet) -> OutletHealth:
        self.checks += 1
        if outlet.name in self.revoked:
            return OutletHealth(outlet.name, False, "invalid_token: token revoked")
        verified = outlet.kind is OutletKind.MASTODON
        return OutletHealth(outlet.name, True, "works", verified=verified)

    def to(self, outlet: str) -> list[str]:
        return [post.text for post in self.posts if post.outlet == outlet]
