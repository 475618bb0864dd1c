"""The exercise marker in each reader's language, on every channel; a template language with
no word for it is refused at validation."""

from __future__ import annotations

import pytest

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.model import Channel
from chalicelib.core.wording.exercise_words import exercise_marker, exercise_word
from chalicelib.core.wording.templates import BUILT_IN, render_message
from chalicelib.core.wording.validation import parse_template_set
from fakes import MemoryWorld
from tests.conftest import PROJECT
from tests.unit.conftest import ADA, BO, CHEN, DINA
from tocsin_cli.policies import read_policy_dir


def test_markers_read_in_each_language_after_the_tag_every_filter_knows() -> None:
    assert exercise_marker("en") == "[EXERCISE] "
    assert exercise_marker("en-GB") == "[EXERCISE] "
    assert exercise_marker("da") == "[EXERCISE] [ØVELSE] "
    assert exercise_marker("no") == "[EXERCISE] [ØVELSE] "  # Norwegian: bokmål
    assert exercise_marker("zh-Hant-TW") == "[EXERCISE] [演練] "
    assert exercise_marker("xx") == "[EXERCISE] "  # a reader's unknown language: the tag alone
    assert exercise_word("xx") is None


def test_every_language_of_the_example_templates_has_its_word() -> None:
    playbook = read_policy_dir(PROJECT / "policies").validate()
    for templates in playbook.templates.values():
        for language in templates.languages:
            assert exercise_word(language) is not None, language


def test_a_drill_marks_every_message_in_each_persons_language(org: MemoryWorld) -> None:
    from chalicelib.core.playbook.drill_request import parse_drill_request

    roster = ["c-ada", "c-bo", "c-chen", "c-dina"]
    request = {"plan": "crisis-cell", "kind": "simulation", "roster": roster}
    drill = org.drills.run(parse_drill_request(request, org.clock.now()), "c-ada").drill
    org.run_queues()
    words = {ADA: "[EXERCISE] TOCSIN", BO: "[EXERCISE] [ØVELSE] ", CHEN: "[EXERCISE] [演練] ",
             DINA: "[EXERCISE] [ØVELSE] "}  # fmt: skip
    for phone, start in words.items():
        texts = [message.body for message in org.sms.to(phone)]
        assert texts and all(text.startswith(start) for text in texts), (phone, texts)
    for sent in org.email.sent:
        assert (sent.message.subject or "").startswith("[EXERCISE] "), sent
    incident = org.incidents.get(drill.incident_id or "")
    assert incident is not None
    templates = org.playbooks.load().templates_for("crisis-cell")
    for channel in (Channel.VOICE, Channel.PUSH, Channel.SMS, Channel.EMAIL):
        message = render_message(incident, channel, "da", templates)
        assert "[ØVELSE]" in (message.subject or "") + message.body, channel


def test_a_template_language_without_the_word_is_refused() -> None:
    parts = {"sms": "{{ marker }}{{ title }} {{ ack_url }} {{ ack_code }}"}
    languages = {"en": BUILT_IN.languages["en"], "xx": parts}
    with pytest.raises(InvalidPolicy, match="no word for 'exercise' in 'xx'") as refused:
        parse_template_set({"id": "t", "languages": languages}, "templates[0]")
    assert refused.value.path == "templates[0].languages.xx"


def test_the_link_page_of_an_exercise_says_so_in_the_readers_language(org: MemoryWorld) -> None:
    from chalicelib.api.ack_page import incident_page
    from chalicelib.core.playbook.drill_request import parse_drill_request

    request = {"plan": "crisis-cell", "kind": "simulation", "roster": ["c-bo"]}
    drill = org.drills.run(parse_drill_request(request, org.clock.now()), "c-ada").drill
    incident = org.incidents.get(drill.incident_id or "")
    assert incident is not None
    assert "<h1>[EXERCISE] [ØVELSE] Drill: Full crisis cell</h1>" in incident_page(
        incident, "c-bo", language="da"
    )
