"""The price table: estimated US dollars per SMS part, voice minute, email, push and stakeholder
statement, by destination country prefix. Estimates, never a bill. Pure.

    - id: prices
      source: "AWS list prices, us-east-1, as read in 2025"   # required: where they come from
      default: {sms: 0.05, voice: 0.10, email: 0.0001, push: 0.000001, broadcast: 0.0000005}
      countries:                       # E.164 prefixes; the longest that matches wins
        "+1": {sms: 0.0088, voice: 0.013}
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, partial
from typing import Any

from chalicelib.core.errors import InvalidPolicy
from chalicelib.core.fields import Collector, read_object, read_string
from chalicelib.core.model import Channel
from chalicelib.core.playbook.budget import read_channel

_PREFIX = re.compile(r"\+[1-9][0-9]{0,5}")


BUILT_IN_SOURCE = (
    "Tocsin's built-in estimates: AWS list prices in USD (us-east-1) for End User Messaging "
    "SMS and voice, SES email, Pinpoint push and SNS publishes, as the maintainers read them "
    "in 2025; carrier and registration fees vary by country and change: set your own"
)
DEFAULT_PRICES: Mapping[Channel, float] = {
    Channel.SMS: 0.05,  # a part, to a country the table does not list (a high estimate)
    Channel.VOICE: 0.10,  # a minute, likewise
    Channel.EMAIL: 0.0001,  # SES: $0.10 per 1,000
    Channel.PUSH: 0.000001,  # Pinpoint: $1.00 per million
    Channel.BROADCAST: 0.0000005,  # SNS publish: $0.50 per million (subscribers not counted)
}
BUILT_IN_COUNTRIES: Mapping[str, Mapping[Channel, float]] = {
    # US and Canada: $0.00581 a part plus about $0.003 of 10DLC carrier fees; $0.013 a minute.
    "+1": {Channel.SMS: 0.0088, Channel.VOICE: 0.013},
}


@dataclass(frozen=True)
class Prices:
    default: Mapping[Channel, float] = field(default_factory=lambda: DEFAULT_PRICES)
    countries: Mapping[str, Mapping[Channel, float]] = field(
        default_factory=lambda: BUILT_IN_COUNTRIES
    )
    source: str = BUILT_IN_SOURCE

    def price(self, channel: Channel, destination: str | None) -> tuple[float, str]:
        """(USD a unit, the row used: a prefix such as ``+1``, or ``default``). Phone channels
        are priced by the longest prefix of the number in the table; the rest by default."""
        if destination and channel.uses_phone:
            for size in self._prefix_sizes:  # only the lengths the table has, longest first
                row = self.countries.get(destination[:size]) if size <= len(destination) else None
                if row is not None and channel in row:
                    return row[channel], destination[:size]
        return self.default[channel], "default"

    @cached_property
    def _prefix_sizes(self) -> tuple[int, ...]:
        return tuple(
            sorted({len(prefix) for prefix in self.countries if 2 <= len(prefix) <= 7})[::-1]
        )


def parse_prices(document: Any, where: str) -> Prices:
    fields = read_object(
        document, where, required={"id", "source"}, optional={"default", "countries"}
    )
    found = Collector()
    source = found.read(lambda: read_string(fields["source"], f"{where}.source").strip(), "")
    if not source and not found.errors:
        found.errors.append(InvalidPolicy(f"{where}.source", "say where the prices come from"))
    default = dict(DEFAULT_PRICES)
    if "default" in fields:
        none: dict[Channel, float] = {}
        default |= found.read(lambda: _row(fields["default"], f"{where}.default"), none)
    countries: dict[str, Mapping[Channel, float]] = {}
    table = fields.get("countries", {})
    if not isinstance(table, Mapping):
        found.errors.append(InvalidPolicy(f"{where}.countries", "must be a mapping"))
        table = {}
    for prefix, row in table.items():
        path = f"{where}.countries.{prefix}"
        if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
            found.errors.append(
                InvalidPolicy(path, "must be a country prefix such as '+45' (quote it in YAML)")
            )
            continue
        countries[prefix] = found.read(partial(_row, row, path), {})
    found.check()
    return Prices(default=default, countries=countries, source=source)


def _row(value: Any, path: str) -> dict[Channel, float]:
    if not isinstance(value, Mapping):
        raise InvalidPolicy(path, "must be a mapping of channel to its price in USD")
    found = Collector()
    row: dict[Channel, float] = {}
    for name, price in value.items():
        try:
            row[read_channel(name, f"{path}.{name}")] = _price(price, f"{path}.{name}")
        except InvalidPolicy as invalid:
            found.errors.append(invalid)
    found.check()
    return row


def _price(value: Any, path: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidPolicy(path, f"must be a price in USD such as 0.0088; got {value!r}")
    if value < 0:
        raise InvalidPolicy(path, f"must not be negative; got {value}")
    if value > 100:
        raise InvalidPolicy(path, f"{value} USD a unit is surely a typo (at most 100)")
    return float(value)
