"""Who answers an incident, for whom, and with what. Pure.

Only a credential bound to the person makes their answer count (toward a quorum today, toward
an approval later)::

    credential                 bound?  answers for                     recorded as made by
    their personal key         yes     the key's person                the person (and the key)
    their own link (/a/...)    yes     the link's person               the person
    an SMS from their number   yes     the number's owner              the person
    a console session (later)  yes     the signed-in person            the person
    a shared key               no      the person it names ("for")     the key's name
    AWS credentials (the CLI)  no      the person it names (--as)      the AWS principal
    a monitoring event         no      nobody                          the event's source

An answer made otherwise is recorded on the timeline with who made it, and changes nothing.
The edge that checked the credential builds the :class:`Answerer`; the use case never guesses.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Credential(StrEnum):
    PERSONAL_KEY = "personal key"
    LINK = "link"
    SMS = "sms from their number"
    CONSOLE = "console session"
    SHARED_KEY = "shared key"
    AWS = "aws credentials"
    EVENT = "monitoring event"


PERSON_BOUND = frozenset(
    {Credential.PERSONAL_KEY, Credential.LINK, Credential.SMS, Credential.CONSOLE}
)


@dataclass(frozen=True)
class Answerer:
    """One answer's author: the person answered for (None: a tool, for nobody), the credential
    it was made with, who holds that credential (a key's name, an AWS principal, an event's
    source; the person for a link or a text), and the way it came (link, sms reply, api, cli,
    event). Build it with the constructors below, which cannot mix a person and a credential
    that is not theirs."""

    contact_id: str | None
    credential: Credential
    holder: str
    via: str

    @property
    def person_bound(self) -> bool:
        """The credential proves the person: only then can the answer count."""
        return self.contact_id is not None and self.credential in PERSON_BOUND

    @classmethod
    def by_link(cls, contact_id: str) -> Answerer:
        return cls(contact_id, Credential.LINK, contact_id, "link")

    @classmethod
    def by_sms(cls, contact_id: str) -> Answerer:
        return cls(contact_id, Credential.SMS, contact_id, "sms reply")

    @classmethod
    def by_personal_key(cls, key_name: str, contact_id: str, via: str = "api") -> Answerer:
        return cls(contact_id, Credential.PERSONAL_KEY, key_name, via)

    @classmethod
    def by_shared_key(cls, key_name: str, contact_id: str | None, via: str = "api") -> Answerer:
        return cls(contact_id, Credential.SHARED_KEY, key_name, via)

    @classmethod
    def by_aws(cls, principal: str, contact_id: str | None, via: str = "cli") -> Answerer:
        return cls(contact_id, Credential.AWS, principal, via)

    @classmethod
    def by_event(cls, source: str) -> Answerer:
        return cls(None, Credential.EVENT, source, "event")

    def describe(self) -> str:
        """Who made the answer, as the timeline says it: ``c-ada``, ``key ops-bot``, ``AWS
        principal arn:...``, ``monitoring``."""
        if self.person_bound:
            return str(self.contact_id)
        if self.credential is Credential.SHARED_KEY:
            return f"key {self.holder}"
        if self.credential is Credential.AWS:
            return f"AWS principal {self.holder}"
        return self.holder

    def document(self) -> dict[str, str | bool | None]:
        """The timeline entry's record of who answered, with what."""
        return {
            "contact_id": self.contact_id,
            "via": self.via,
            "credential": self.credential.value,
            "by": self.holder,
            "person_bound": self.person_bound,
        }
