"""The OpenAPI description of the canonical event says what ``parse_event`` enforces: the same
fields, the same required ones (per action), the same enums and limits.

The cases come from the schema's own keywords (``required``, ``enum``, ``maxLength``,
``maxProperties``, ``maxItems``, ``pattern``, ``format``, ``type``): a value just inside and
just outside each limit, each member of each enum and one that is not, each required field
left out. The schema and the parser must agree on every one, so a limit changed on one side
only, or a new field, fails here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from chalicelib.api.errors import ERROR_TABLE
from chalicelib.core.errors import InvalidEvent
from chalicelib.core.events import EVENT_FIELDS, parse_event
from tests.conftest import PROJECT

SPEC = json.loads((PROJECT / "chalicelib" / "api" / "openapi.json").read_text())
SCHEMA = SPEC["components"]["schemas"]["CanonicalEvent"]
PROPERTIES: dict[str, Any] = SCHEMA["properties"]
BRANCHES = {branch["title"]: branch for branch in SCHEMA["anyOf"]}
VALIDATOR = OAS30Validator(SCHEMA, format_checker=oas30_format_checker)


def schema_accepts(document: Any) -> bool:
    return bool(VALIDATOR.is_valid(document))


def problems_of(document: Any) -> list[str]:
    """The fields ``parse_event`` names (none: it accepts the document)."""
    try:
        parse_event(document)
    except InvalidEvent as invalid:
        return [problem.field for problem in invalid.problems]
    return []


def sample(name: str, spec: dict[str, Any]) -> Any:
    """A value the schema accepts for property ``name``."""
    if "example" in spec:
        return spec["example"]
    if "enum" in spec:
        return spec["enum"][-1] if name == "action" else spec["enum"][0]
    if spec.get("format") == "date-time":
        return "2026-11-23T08:00:00Z"
    if spec.get("pattern", "").startswith("^https?"):
        return "https://status.example.com/incidents/1"
    kind = spec.get("type")
    if kind == "array":
        return [sample(f"{name}[]", spec["items"])]
    if kind == "object":
        required = spec.get("required", [])
        return {key: sample(key, spec["properties"][key]) for key in required}
    if kind == "number":
        return 1.5
    return "x"


def minimal(branch: str) -> dict[str, Any]:
    """The smallest document the schema accepts through one branch of its ``anyOf``."""
    names = SCHEMA["required"] + BRANCHES[branch]["required"]
    document = {name: sample(name, PROPERTIES[name]) for name in names}
    if "action" in document:
        document["action"] = BRANCHES[branch]["properties"]["action"]["enum"][-1]
    return document


def boundary_values(name: str, spec: dict[str, Any]) -> list[Any]:
    """Values just inside and just outside every constraint the property's schema states."""
    values: list[Any] = [sample(name, spec)]
    kind = spec.get("type")
    values.append({"string": 7, "number": "7", "object": "text", "array": "text"}[kind])
    if "enum" in spec:
        values += [*spec["enum"], "not-a-member"]
    if "maxLength" in spec:
        values += ["y" * spec["maxLength"], "y" * (spec["maxLength"] + 1)]
    if spec.get("minLength") or spec.get("pattern") == "\\S":
        values += ["", "   "]
    if spec.get("pattern", "").startswith("^[a-z]"):
        values += ["it.outage", "It Outage", "it..outage"]
    if spec.get("pattern", "").startswith("^https?"):
        values += ["http://status.example.com", "ftp://files.example.com"]
    if spec.get("format") == "date-time":
        values += ["2026-11-23T09:00:00+01:00", "2026-11-23T08:00:00", "yesterday"]
    entry = spec.get("additionalProperties")
    if isinstance(entry, dict):
        values += [{f"m{i}": sample("", entry) for i in range(size)} for size in (1, 0)]
        values += [{"m0": bad} for bad in boundary_values("", entry)[1:]]
        values += [{"m0": good} for good in boundary_values("", entry)[:1]]
    if "maxProperties" in spec:
        values += [
            {f"m{i}": sample("", entry) for i in range(spec["maxProperties"] + extra)}
            for extra in (0, 1)
        ]
    if "items" in spec:
        item = spec["items"]
        values += [[{}], ["text"]]
        values += [
            [{**sample("", item), key: bad}]
            for key, sub in item["properties"].items()
            for bad in boundary_values(key, sub)
        ]
    if "maxItems" in spec:
        values += [[sample("", spec["items"])] * (spec["maxItems"] + extra) for extra in (0, 1)]
    return values


CASES = [
    pytest.param(branch, name, value, id=f"{branch}-{name}-{index}")
    for branch in BRANCHES
    for name, spec in PROPERTIES.items()
    for index, value in enumerate(boundary_values(name, spec))
]


def test_the_schema_describes_exactly_the_fields_the_parser_knows() -> None:
    assert list(PROPERTIES) == list(EVENT_FIELDS)
    assert SCHEMA["additionalProperties"] is False
    document = {**minimal("trigger"), "colour": "red"}
    assert not schema_accepts(document)
    assert problems_of(document) == ["colour"]


@pytest.mark.parametrize("branch", BRANCHES)
def test_each_branch_minimal_document_is_accepted_and_each_required_field_is_enforced(
    branch: str,
) -> None:
    document = minimal(branch)
    assert schema_accepts(document) and problems_of(document) == []
    for name in document:
        missing = {key: value for key, value in document.items() if key != name}
        assert not schema_accepts(missing), name
        # Without its action a document is a trigger, which lacks other fields instead.
        assert name in problems_of(missing) or (name == "action" and problems_of(missing))


@pytest.mark.parametrize(("branch", "name", "value"), CASES)
def test_the_schema_and_the_parser_agree_on_every_boundary(
    branch: str, name: str, value: Any
) -> None:
    document = {**minimal(branch), name: value}
    named = problems_of(document)
    assert schema_accepts(document) == (named == []), named
    if name != "action":  # a changed action makes other fields required: see above
        assert all(field.split(".")[0].split("[")[0] == name for field in named), named


def test_an_empty_body_names_every_field_the_schema_requires_to_trigger() -> None:
    required = SCHEMA["required"] + BRANCHES["trigger"]["required"]
    assert problems_of({}) == [name for name in EVENT_FIELDS if name in required]


def test_names_of_metrics_and_labels_are_described_where_openapi_3_0_cannot_check_them() -> None:
    # OpenAPI 3.0 has no propertyNames: the rule is in the description, and enforced here.
    assert "^[A-Za-z_][A-Za-z0-9_]{0,63}$" in SCHEMA["description"]
    for field in ("metrics", "labels"):
        good = "n" if field == "labels" else 1
        assert problems_of({**minimal("trigger"), field: {"a_1": good}}) == []
        assert problems_of({**minimal("trigger"), field: {"1a": good, "b c": good}}) == [
            f"{field}.1a",
            f"{field}.b c",
        ]


def test_every_error_code_the_api_answers_with_is_described() -> None:
    error = SPEC["components"]["schemas"]["Error"]["properties"]
    described = set(error["error"]["properties"]["code"]["enum"])
    assert {code for _, _, code in ERROR_TABLE} | {"internal_error"} == described
    assert error["errors"]["items"]["required"] == ["field", "message"]
