"""Who is reached on which channel, and what the messages say."""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.core.messaging.planning import plan_notifications
from chalicelib.core.model import (
    Channel,
    Contact,
    EventStatus,
    Incident,
    IncidentStatus,
    Severity,
)
from chalicelib.core.playbook.plans import PlanTarget, ResponsePlan
from chalicelib.core.wording.templates import SMS_SEGMENT, render_message

PLAN = ResponsePlan(
    "p",
    "Plan",
    (
        PlanTarget((Channel.SMS, Channel.EMAIL), role="executive"),
        PlanTarget((Channel.SMS, Channel.EMAIL), role="legal"),
        PlanTarget((Channel.EMAIL,), role="hr"),
    ),
)
ADA = Contact("c-ada", "Ada", ("executive", "legal"), phone="+12025550101", email="a@example.com")
BO = Contact("c-bo", "Bo", ("legal",), email="b@example.com")


def incident(title: str = "Database exposed", status: EventStatus = EventStatus.ACTUAL) -> Incident:
    now = datetime(2026, 11, 23, 3, 0, tzinfo=UTC)
    return Incident(
        "inc_01M84STVCFS7F5J06PS8A3D6CA",
        IncidentStatus.OPEN,
        title,
        "cyber.data_breach",
        Severity.CRITICAL,
        status,
        "k",
        "r",
        "p",
        now,
        now,
    )


def test_a_person_with_two_roles_gets_one_message_per_channel() -> None:
    plan = plan_notifications("inc_1", PLAN, [ADA, BO])
    ada_jobs = [(job.channel, job.step) for job in plan.jobs if job.contact_id == "c-ada"]
    assert ada_jobs == [(Channel.SMS, 0), (Channel.EMAIL, 0)]
    assert plan.recipients == 2


def test_gaps_say_who_cannot_be_reached_and_why() -> None:
    plan = plan_notifications("inc_1", PLAN, [ADA, BO])
    reasons = {(gap.role, gap.contact_id, gap.reason) for gap in plan.gaps}
    assert ("role legal", "c-bo", "no sms address") in reasons
    assert ("role hr", None, "nobody in role hr") in reasons


def test_teams_are_reached_like_roles() -> None:
    plan = ResponsePlan("p", "P", (PlanTarget((Channel.EMAIL,), team="site-oslo"),))
    cal = Contact("c-cal", "Cal", ("hr",), email="c@example.com", teams=("site-oslo",))
    assert [job.contact_id for job in plan_notifications("i", plan, [ADA, cal]).jobs] == ["c-cal"]


def test_opt_outs_and_missing_consent_are_honoured_before_sending() -> None:
    opted_out = Contact(
        "c-ada",
        "Ada",
        ("executive",),
        phone="+12025550101",
        email="a@example.com",
        opted_out=frozenset({Channel.SMS}),
    )
    email_only = Contact(
        "c-dan",
        "Dan",
        ("executive",),
        phone="+12025550106",
        email="d@example.com",
        consents=frozenset({Channel.EMAIL}),
    )
    plan = plan_notifications("i", PLAN, [opted_out, email_only])
    assert {(job.contact_id, job.channel) for job in plan.jobs} == {
        ("c-ada", Channel.EMAIL),
        ("c-dan", Channel.EMAIL),
    }
    reasons = {(gap.contact_id, gap.reason) for gap in plan.gaps}
    assert ("c-ada", "opted out of sms") in reasons
    assert ("c-dan", "no consent for sms") in reasons


def test_planning_is_deterministic_whatever_the_contact_order() -> None:
    assert plan_notifications("i", PLAN, [ADA, BO]) == plan_notifications("i", PLAN, [BO, ADA])


def test_sms_fits_one_segment_and_keeps_the_reference_when_the_title_is_long() -> None:
    body = render_message(incident("x" * 400), Channel.SMS).body
    assert len(body) <= SMS_SEGMENT
    assert body.startswith("TOCSIN CRITICAL: xxx")
    assert body.endswith(" (ref A3D6CA)")


def test_exercise_messages_say_so_first_on_every_channel() -> None:
    drill = incident(status=EventStatus.EXERCISE)
    assert render_message(drill, Channel.SMS).body.startswith("[EXERCISE] ")
    email = render_message(drill, Channel.EMAIL)
    assert email.subject is not None and email.subject.startswith("[EXERCISE] ")
    assert "This is an exercise" in email.body


def test_email_carries_the_essentials() -> None:
    email = render_message(incident(), Channel.EMAIL)
    assert email.subject == "[Tocsin CRITICAL] Database exposed"
    assert "Reference: A3D6CA (inc_01M84STVCFS7F5J06PS8A3D6CA)" in email.body
