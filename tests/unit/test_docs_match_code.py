"""What README.md and docs/ARCHITECTURE.md say about the app stays true to the app: every route
has its row in README's route table (and every row is a route), and every schedule the app
registers is named where the local runner is described.

README's route cells are written for people, so the reading here understands their shorthand:
``PUT``, ``GET``, ``DELETE /path`` (several methods for one path); ``/reject`` after a path (a
sibling: the same methods, the last segment replaced); ``DELETE .../{id}`` (below the previous
path); ``{alertmanager,grafana}`` (one route each); ``?from=&to=`` (a query, not the path).
"""

from __future__ import annotations

import re

from chalice.app import ScheduledEventConfig

from app import app
from tests.conftest import PROJECT

README = (PROJECT / "README.md").read_text(encoding="utf-8")
ARCHITECTURE = (PROJECT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
METHODS = "GET|POST|PUT|DELETE|PATCH"


def route_table() -> list[str]:
    """The first cell of each row of the first table under '## The HTTP API'."""
    section = README.split("\n## The HTTP API\n", 1)[1].split("\n## ", 1)[0]
    table = section.split("| request | answer |\n", 1)[1].split("\n\n", 1)[0]
    rows = table.splitlines()[1:]  # below the |---| line
    return [row.split("|")[1] for row in rows]


def routes_in(cell: str) -> set[tuple[str, str]]:
    routes: set[tuple[str, str]] = set()
    methods: list[str] = []
    pending: list[str] = []
    path = ""
    for span in re.findall(r"`([^`]+)`", cell):
        if re.fullmatch(METHODS, span):
            pending.append(span)
            continue
        written = re.fullmatch(rf"(?:({METHODS}) )?(\S+)", span)
        assert written is not None, f"not a route: {span!r} in {cell!r}"
        method, target = written.groups()
        if method:
            methods, pending = [*pending, method], []
        target = target.split("?", 1)[0]
        if target.startswith(".../"):
            path = path + target[3:]
        elif method:
            path = target
        else:
            path = path.rsplit("/", 1)[0] + target
        for expanded in expand(path):
            routes |= {(expanded, each) for each in methods}
    return routes


def expand(path: str) -> list[str]:
    """``/v1/integrations/{a,b}`` -> both paths; ``{event_id}`` is a parameter, kept."""
    choice = re.search(r"\{([^}]*,[^}]*)\}", path)
    if choice is None:
        return [path]
    start, end = choice.span()
    return [
        found
        for option in choice.group(1).split(",")
        for found in expand(path[:start] + option + path[end:])
    ]


def test_readme_route_table_lists_every_route_of_the_app_and_nothing_else() -> None:
    documented = set().union(*(routes_in(cell) for cell in route_table()))
    served = {(path, method) for path, methods in app.routes.items() for method in methods}
    assert sorted(served - documented) == [], "routes without a row in README's route table"
    assert sorted(documented - served) == [], "README rows for routes the app does not have"


def test_the_shorthand_reads_as_intended() -> None:
    cell = "`POST /v1/oncall/{schedule_id}/overrides`, `DELETE .../{override_id}`, `/other`"
    assert routes_in(cell) == {
        ("/v1/oncall/{schedule_id}/overrides", "POST"),
        ("/v1/oncall/{schedule_id}/overrides/{override_id}", "DELETE"),
        ("/v1/oncall/{schedule_id}/overrides/other", "DELETE"),
    }
    assert routes_in("`GET`, `POST /a/{token}`, `GET /x/{a,b}?q=`") == {
        ("/a/{token}", "GET"),
        ("/a/{token}", "POST"),
        ("/x/a", "GET"),
        ("/x/b", "GET"),
    }


def test_every_schedule_the_app_registers_is_named_in_the_architecture() -> None:
    schedules = [s.name for s in app.event_sources if isinstance(s, ScheduledEventConfig)]
    assert schedules, "the app registers its ticks as rate() schedules"
    local_stack = ARCHITECTURE.split("## The local stack", 1)[1]
    for name in schedules:
        assert f"`{name}`" in local_stack, f"{name} is not named in ARCHITECTURE's local stack"
    assert "none are registered" not in ARCHITECTURE
