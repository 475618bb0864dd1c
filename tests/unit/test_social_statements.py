"""Statements on Slack, Teams and Mastodon (StatementDesk with the recording poster): the
approved text posted once per outlet with its result on the timeline; a revoked token, a rate
limit, a lost answer and a text too long each said on the timeline, never posted twice, never
posted unapproved; templates too long for a platform refused when the playbook is validated."""

from __future__ import annotations

from pathlib import Path

import pytest

from chalicelib.core.credentials import Answerer
from chalicelib.core.errors import (
    Conflict,
    InvalidPolicy,
    SendOutcomeUnknown,
    TransientError,
    TransientSendError,
)
from chalicelib.core.model import Incident
from chalicelib.core.playbook.audiences import parse_audience
from chalicelib.core.playbook.platforms import LIMITS, Platform, post_text
from fakes import MemoryWorld
from tests.conftest import PROJECT
from tests.social_policies import OUTLETS, social_policies
from tests.unit.conftest import DEMO, NIGHT, incident_of, post, story
from tocsin_cli.contacts import read_contacts_csv
from tocsin_cli.policies import PolicyErrors, read_policy_dir

ADA = Answerer.by_personal_key("c-ada-laptop", "c-ada")
BO = Answerer.by_personal_key("c-bo-laptop", "c-bo")
SLACK, TEAMS, MASTODON = OUTLETS


@pytest.fixture
def org(tmp_path: Path) -> MemoryWorld:
    playbook = read_policy_dir(social_policies(tmp_path)).validate()
    contacts, _ = read_contacts_csv(
        PROJECT / "examples" / "contacts.csv",
        known_roles=playbook.roles,
        known_teams=playbook.teams,
    )
    return MemoryWorld(NIGHT, playbook, contacts)


@pytest.fixture
def breach(org: MemoryWorld) -> Incident:
    incident = incident_of(org, post(org, DEMO))
    for person in (ADA, BO):
        org.statement_desk.approve(incident.incident_id, "customers-en-1", person)
    return incident


def test_an_approved_statement_is_posted_once_to_each_platform_exactly_as_approved(
    org: MemoryWorld, breach: Incident
) -> None:
    published = org.statement_desk.publish(breach.incident_id, "customers-en-1", BO)
    assert published.sent == ["email:customer-notices@example.com", *OUTLETS]
    assert published.failed == [] and published.uncertain == []
    statement = published.statement
    text = post_text(statement.subject, statement.body)
    assert [org.social.to(outlet) for outlet in OUTLETS] == [[text], [text], [text]]
    with pytest.raises(Conflict, match="nothing is sent twice"):
        org.statement_desk.publish(breach.incident_id, "customers-en-1", ADA)
    assert len(org.social.posts) == 3
    posted = story(org, breach.incident_id, "statement_posted")
    assert sorted(posted) == sorted(f"statement customers-en-1 posted to {o}" for o in OUTLETS)
    mastodon = [
        e
        for e in org.incidents.timeline(breach.incident_id)
        if e.kind == "statement_posted"
        if e.data.get("outlet") == MASTODON
    ][-1]
    assert mastodon.data["post_id"] == "mastodon-3" and mastodon.data["result"] == "posted"


def test_nothing_is_posted_before_the_approvals(org: MemoryWorld) -> None:
    incident = incident_of(org, post(org, DEMO))
    org.statement_desk.approve(incident.incident_id, "customers-en-1", ADA)
    with pytest.raises(Conflict, match="1 of the 2 approvals"):
        org.statement_desk.publish(incident.incident_id, "customers-en-1", BO)
    assert org.social.posts == []


def test_a_revoked_token_is_on_the_timeline_and_the_next_publish_retries_only_that_outlet(
    org: MemoryWorld, breach: Incident
) -> None:
    org.social.revoked.add(MASTODON)
    published = org.statement_desk.publish(breach.incident_id, "customers-en-1", BO)
    assert published.failed == [MASTODON] and SLACK in published.sent
    (failed,) = story(org, breach.incident_id, "statement_post_failed")
    assert failed.startswith(f"statement customers-en-1 not posted to {MASTODON}: invalid_token")
    org.social.revoked.clear()  # a new token is put in the secret
    again = org.statement_desk.publish(breach.incident_id, "customers-en-1", ADA)
    assert again.sent == [MASTODON]
    assert [len(org.social.to(outlet)) for outlet in OUTLETS] == [1, 1, 1]


def test_a_rate_limit_still_failing_after_the_retries_asks_for_another_publish(
    org: MemoryWorld, breach: Incident
) -> None:
    limited = TransientSendError("rate_limited", "429", throttled=True)
    org.social.failures = {outlet: [limited] for outlet in OUTLETS}
    org.email.refused.add("customer-notices@example.com")
    with pytest.raises(TransientError, match="rate_limited; retry"):
        org.statement_desk.publish(breach.incident_id, "customers-en-1", BO)
    assert org.social.posts == []
    again = org.statement_desk.publish(breach.incident_id, "customers-en-1", BO)
    assert again.sent == OUTLETS


def test_a_lost_answer_from_a_webhook_is_never_posted_again_but_mastodon_is_retried(
    org: MemoryWorld, breach: Incident
) -> None:
    lost = SendOutcomeUnknown("TimeoutError", "no answer came")
    org.social.failures = {SLACK: [lost], MASTODON: [lost]}
    published = org.statement_desk.publish(breach.incident_id, "customers-en-1", BO)
    assert published.uncertain == [SLACK] and published.failed == [MASTODON]
    (uncertain,) = story(org, breach.incident_id, "statement_post_uncertain")
    assert "it may have been posted. It is not posted again" in uncertain
    again = org.statement_desk.publish(breach.incident_id, "customers-en-1", ADA)
    assert again.sent == [MASTODON]  # the Idempotency-Key makes that retry safe
    with pytest.raises(Conflict):  # Slack keeps its claim: never posted twice
        org.statement_desk.publish(breach.incident_id, "customers-en-1", ADA)
    assert org.social.to(SLACK) == [] and len(org.social.to(MASTODON)) == 1


def test_a_statement_too_long_for_mastodon_is_refused_there_and_posted_elsewhere(
    org: MemoryWorld,
) -> None:
    incident = incident_of(org, post(org, DEMO))
    long = "A long account of what happened. " * 20
    desk = org.statement_desk
    desk.edit(incident.incident_id, "customers-en-1", ADA, None, long)
    for person in (ADA, BO):
        desk.approve(incident.incident_id, "customers-en-1", person)
    published = desk.publish(incident.incident_id, "customers-en-1", BO)
    assert published.failed == [MASTODON] and published.sent[-2:] == [SLACK, TEAMS]
    (failed,) = story(org, incident.incident_id, "statement_post_failed")
    assert "too_long" in failed and "mastodon takes at most 500" in failed
    assert org.social.to(MASTODON) == []


def test_a_template_too_long_for_a_platform_is_refused_at_validation(tmp_path: Path) -> None:
    policies = social_policies(tmp_path, customers_body="{{ title }} " + "x" * 600)
    with pytest.raises(PolicyErrors, match=r"too long for mastodon:tocsin/local/mastodon-status"):
        read_policy_dir(policies).validate()


@pytest.mark.parametrize(
    ("channel", "words"),
    [
        ({"slack": "https://hooks.slack.example.com/x"}, "a Secrets Manager secret under tocsin/"),
        ({"mastodon": "other/secret"}, "under tocsin/"),
        ({"teams": 7}, "must be a string"),
        ({"slack": "a", "teams": "b"}, "exactly one of"),
        ({"twitter": "x"}, "twitter"),
    ],
)
def test_a_bad_social_channel_is_refused(channel: dict[str, object], words: str) -> None:
    document = {
        "id": "public",
        "title": "The public",
        "channels": [channel],
        "statements": {
            "en": {k: {"subject": "s", "body": "b"} for k in ("initial", "update", "closing")}
        },
    }
    with pytest.raises(InvalidPolicy, match=words):
        parse_audience(document, "audiences[0]")


def test_the_limits_are_the_platforms() -> None:
    assert LIMITS == {Platform.SLACK: 4000, Platform.TEAMS: 20000, Platform.MASTODON: 500}
