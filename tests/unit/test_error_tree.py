"""The one error tree is complete: every error the core can raise has its HTTP answer, and a
request body's every invalid field comes back in one answer."""

from __future__ import annotations

import inspect
import json

import pytest

from chalicelib.api import errors as api_errors
from chalicelib.core import errors
from chalicelib.core.errors import FieldProblem, InvalidEvent, InvalidRequest, TocsinError


def _error_classes() -> list[type[TocsinError]]:
    return [
        kind
        for _, kind in inspect.getmembers(errors, inspect.isclass)
        if issubclass(kind, TocsinError) and kind is not TocsinError  # the base is never raised
    ]


@pytest.mark.parametrize("kind", _error_classes(), ids=lambda kind: kind.__name__)
def test_every_core_error_has_its_own_row_in_the_error_table(kind: type[TocsinError]) -> None:
    rows = [row for row in api_errors.ERROR_TABLE if issubclass(kind, row[0])]
    assert rows, f"{kind.__name__} has no status in ERROR_TABLE: it would answer 500"
    assert kind.__name__ in (errors.__doc__ or ""), f"the tree docstring leaves out {kind.__name__}"


def test_the_table_lists_subclasses_before_their_bases_so_the_specific_row_wins() -> None:
    kinds = [row[0] for row in api_errors.ERROR_TABLE]
    for index, kind in enumerate(kinds):
        for later in kinds[index + 1 :]:
            assert not issubclass(later, kind) or later is kind, (
                f"{later.__name__} comes after its base {kind.__name__} and can never match"
            )


def test_a_request_error_carries_every_field_in_the_answer() -> None:
    error = InvalidRequest.of(
        [
            FieldProblem("phone", "is not a valid international number"),
            FieldProblem("name", "is empty"),
        ]
    )
    answer = api_errors.tocsin_envelope(api_errors.classify(error))
    body = answer.body if isinstance(answer.body, dict) else json.loads(answer.body)
    assert answer.status_code == 400
    assert body["error"] == {
        "code": "invalid_request",
        "message": "is not a valid international number",
        "field": "phone",
    }
    assert body["errors"] == [
        {"field": "phone", "message": "is not a valid international number"},
        {"field": "name", "message": "is empty"},
    ]


def test_an_event_error_keeps_its_own_code_and_lists_its_fields() -> None:
    error = InvalidEvent("severity", "must be one of critical, high")
    failure = api_errors.classify(error)
    assert (failure.status, failure.code, failure.field) == (400, "invalid_event", "severity")
    assert [problem.field for problem in failure.problems] == ["severity"]


def test_errors_that_name_no_field_answer_without_an_errors_list() -> None:
    answer = api_errors.tocsin_envelope(api_errors.classify(errors.NotFound("no incident x")))
    body = answer.body if isinstance(answer.body, dict) else json.loads(answer.body)
    assert answer.status_code == 404
    assert "errors" not in body
