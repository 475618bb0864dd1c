"""The playbook's ``settings`` section: one document per id, each optional, each read by its
own module. Without a document, its defaults apply. Pure.

    settings:
      - id: budget      # the message budget (budget.py; policies/budget.yaml)
      - id: prices      # the price table behind cost estimates (prices.py)
      - id: retention   # how long each kind of record is kept (retention.py; settings.yaml)
      - id: site        # the dark site: organisation, address, zone, texts (site.py; site.yaml)
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
from chalicelib.core.playbook.retention import RETENTION_ID, Retention, parse_retention
from chalicelib.core.playbook.site import SITE_ID, SiteSettings, parse_site
from chalicelib.core.playbook.spending import BUDGET_ID, PRICES_ID, Spending

SETTINGS_IDS = (BUDGET_ID, PRICES_ID, RETENTION_ID, SITE_ID)


@dataclass(frozen=True)
class PlaybookSettings:
    spending: Spending = field(default_factory=Spending)
    retention: Retention = field(default_factory=Retention)
    site: SiteSettings | None = None  # no dark site without its settings


def parse_settings(documents: Sequence[Any], roles: Mapping[str, str]) -> PlaybookSettings:
    """Every document of the ``settings`` section, each id at most once; all errors at once."""
    settings = PlaybookSettings()
    spending = settings.spending
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
        elif settings_id == RETENTION_ID:
            retention = found.read(partial(parse_retention, document, where), Retention())
            settings = replace(settings, retention=retention)
        elif settings_id == SITE_ID:
            site = found.read(partial(parse_site, document, where), None)
            settings = replace(settings, site=site)
        seen.add(settings_id)
    found.check()
    return replace(settings, spending=spending)


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
