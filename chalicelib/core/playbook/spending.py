"""The playbook's spending settings: the ``budget`` and ``prices`` documents of its ``settings``
section (policies/budget.yaml; read with the rest of the section in settings.py). Both are
optional; without them the defaults apply. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.core.playbook.budget import Budget
from chalicelib.core.playbook.prices import Prices

BUDGET_ID = "budget"
PRICES_ID = "prices"


@dataclass(frozen=True)
class Spending:
    budget: Budget = field(default_factory=Budget)
    prices: Prices = field(default_factory=Prices)
