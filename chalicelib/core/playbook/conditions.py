"""Conditions on an event's metrics: comparisons combined with ``all``, ``any`` and ``not``.

In a policy file::

    conditions:                       # a list means all of them
      - metric: affected_people
        op: ">="
        value: 500
      - any:
          - {metric: records_exposed, op: ">=", value: 10000}
          - not: {metric: encrypted, op: "==", value: 1}

``check`` returns None when the condition holds, or the reason it does not, worded for people
("below threshold: affected_people 120 < 500") with a machine code beside it.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.fields import read_list, read_object, read_string

COMPARISONS = (">=", ">", "<=", "<", "==", "!=")
MAX_DEPTH = 8
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
_NEGATION = {">=": "<", ">": "<=", "<=": ">", "<": ">=", "==": "!=", "!=": "=="}


@dataclass(frozen=True)
class Failure:
    code: str  # below_threshold | metric_missing
    reason: str


@dataclass(frozen=True)
class Comparison:
    """One event metric against a threshold, e.g. ``affected_people >= 500``."""

    metric: str
    op: str
    value: float

    def describe(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"

    def check(self, metrics: Mapping[str, float]) -> Failure | None:
        actual = metrics.get(self.metric)
        if actual is None:
            return Failure(
                "metric_missing", f"metric missing: {self.metric} (needs {self.describe()})"
            )
        if _COMPARE[self.op](actual, self.value):
            return None
        return Failure(
            "below_threshold",
            f"below threshold: {self.metric} {actual:g} {_NEGATION[self.op]} {self.value:g}",
        )


@dataclass(frozen=True)
class AllOf:
    parts: tuple[Condition, ...]

    def describe(self) -> str:
        return "all of (" + ", ".join(part.describe() for part in self.parts) + ")"

    def check(self, metrics: Mapping[str, float]) -> Failure | None:
        for part in self.parts:
            failure = part.check(metrics)
            if failure is not None:
                return failure
        return None


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]

    def describe(self) -> str:
        return "any of (" + ", ".join(part.describe() for part in self.parts) + ")"

    def check(self, metrics: Mapping[str, float]) -> Failure | None:
        failures = []
        for part in self.parts:
            failure = part.check(metrics)
            if failure is None:
                return None
            failures.append(failure)
        missing = all(failure.code == "metric_missing" for failure in failures)
        return Failure(
            "metric_missing" if missing else "below_threshold",
            "none of: " + "; ".join(failure.reason for failure in failures),
        )


@dataclass(frozen=True)
class Not:
    part: Condition

    def describe(self) -> str:
        return f"not ({self.part.describe()})"

    def check(self, metrics: Mapping[str, float]) -> Failure | None:
        failure = self.part.check(metrics)
        if failure is None:
            return Failure("below_threshold", f"excluded: {self.part.describe()} holds")
        if failure.code == "metric_missing":
            # A missing metric cannot prove the negation either: say so rather than pass.
            return failure
        return None


Condition = Comparison | AllOf | AnyOf | Not


def parse_conditions(document: Any, path: str) -> Condition | None:
    """A list (all of them), a single condition, or None when absent."""
    if document is None:
        return None
    if isinstance(document, list | tuple):
        parts = tuple(
            parse_condition(part, f"{path}[{index}]") for index, part in enumerate(document)
        )
        return AllOf(parts) if parts else None
    return parse_condition(document, path)


def parse_condition(document: Any, path: str, depth: int = 0) -> Condition:
    if depth > MAX_DEPTH:
        raise InvalidPolicy(path, f"conditions nest deeper than {MAX_DEPTH} levels")
    if not isinstance(document, Mapping):
        raise InvalidPolicy(path, "must be a mapping: {metric, op, value}, all, any or not")
    for combinator in ("all", "any"):
        if combinator in document:
            fields = read_object(document, path, required={combinator}, optional=set())
            items = read_list(fields[combinator], f"{path}.{combinator}")
            if not items:
                raise InvalidPolicy(f"{path}.{combinator}", "must list at least one condition")
            parts = tuple(
                parse_condition(item, f"{path}.{combinator}[{index}]", depth + 1)
                for index, item in enumerate(items)
            )
            return AllOf(parts) if combinator == "all" else AnyOf(parts)
    if "not" in document:
        fields = read_object(document, path, required={"not"}, optional=set())
        return Not(parse_condition(fields["not"], f"{path}.not", depth + 1))
    fields = read_object(document, path, required={"metric", "op", "value"}, optional=set())
    op = fields["op"]
    if op not in COMPARISONS:
        raise InvalidPolicy(f"{path}.op", f"must be one of {' '.join(COMPARISONS)}; got {op!r}")
    value = fields["value"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidPolicy(f"{path}.value", "must be a number")
    return Comparison(
        metric=read_string(fields["metric"], f"{path}.metric"), op=op, value=float(value)
    )
