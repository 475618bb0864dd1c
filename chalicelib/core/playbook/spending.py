"""The playbook's spending settings: the ``budget`` and ``prices`` documents of its ``settings``
section (policies/budget.yaml). Both are optional; without them the defaults apply. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.fields import Collector, read_identifier
from chalicelib.core.playbook.budget import Budget, parse_budget
from chalicelib.core.playbook.prices import Prices, parse_prices

BUDGET_ID = "budget"
PRICES_ID = "prices"
SITE_ID = "site"  # the dark site's settings: parsed by playbook/site.py
SETTINGS_IDS = (BUDGET_ID, PRICES_ID, SITE_ID)


@dataclass(frozen=True)
class Spending:
    budget: Budget = field(default_factory=Budget)
    prices: Prices = field(default_factory=Prices)


def parse_spending(documents: Sequence[Any], roles: Mapping[str, str]) -> Spending:
    """The ``budget`` and ``prices`` documents of the ``settings`` section, each at most once."""
    spending = Spending()
    seen: set[str] = set()
    found = Collector()
    for index, document in enumerate(documents):
        where = f"settings[{index}]"
        settings_id = found.read(partial(_settings_id, document, where), "")
        if settings_id in seen:
            found.errors.append(InvalidPolicy(f"{where}.id", f"duplicate id {settings_id!r}"))
        elif settings_id == BUDGET_ID:
            budget = found.read(partial(parse_budget, document, where, roles), Budget())
            spending = replace(spending, budget=budget)
        elif settings_id == PRICES_ID:
            prices = found.read(partial(parse_prices, document, where), Prices())
            spending = replace(spending, prices=prices)
        seen.add(settings_id)
    found.check()
    return spending


def _settings_id(document: Any, where: str) -> str:
    if not isinstance(document, Mapping):
        raise InvalidPolicy(where, "must be a mapping")
    if "id" not in document:
        raise InvalidPolicy(f"{where}.id", "is required")
    settings_id = read_identifier(document["id"], f"{where}.id")
    if settings_id not in SETTINGS_IDS:
        raise InvalidPolicy(
            f"{where}.id", f"unknown settings {settings_id!r}; expected {', '.join(SETTINGS_IDS)}"
        )
    return settings_id
