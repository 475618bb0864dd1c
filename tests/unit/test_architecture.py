"""Imports point downward only, by a table: edges -> wiring -> adapters -> core, and inside the
core, from the use-case packages down to the playbook and the kernel. Any import outside the
tables fails here, so a new edge is a decision made in review, not an accident."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

from tests.conftest import PROJECT

CHALICELIB = PROJECT / "chalicelib"
CORE = CHALICELIB / "core"
AWS_AND_FRAMEWORKS = ("boto3", "botocore", "chalice", "aws_lambda_powertools", "moto")

# The core's kernel: plain values, errors and the ports most use cases share. A new module
# directly under core/ must be added here on purpose (or go into a package).
KERNEL = {
    "access",
    "checkpoints",
    "credentials",
    "cursors",
    "errors",
    "events",
    "fields",
    "ids",
    "json_text",
    "listing",
    "model",
    "people",
    "ports",
    "queue_messages",
    "redaction",
    "summaries",
    "telemetry",
    "verdicts",
    "working_hours",
}

# Which core package may import which (each may always import itself).
CORE_IMPORTS: dict[str, set[str]] = {
    "kernel": set(),
    "wording": {"kernel"},
    "playbook": {"kernel", "wording"},
    "oncall": {"kernel", "playbook"},
    # Spending sits under messaging: the dispatcher asks it before every send; answers (resolving
    # cancels holds) and activation (a fan-out's estimate) use it too.
    "spend": {"kernel", "wording", "playbook"},
    "messaging": {"kernel", "wording", "playbook", "spend"},
    "response": {"kernel", "wording", "playbook", "oncall", "messaging", "spend"},
    # Statements to audiences: drafted from the playbook's templates, sent through the
    # messaging channels (never the dispatch queue), each send priced as spending prices it.
    "statements": {"kernel", "wording", "playbook", "messaging", "spend", "site"},
    # The dark site renders what statements publish (its own values: it never imports them).
    "site": {"kernel", "playbook"},
    "activation": {
        "kernel",
        "wording",
        "playbook",
        "messaging",
        "response",
        "spend",
        "statements",
        "updates",
    },
    # Updates on a rhythm: to everyone an alert reached (the ledger, response's port), an
    # update statement drafted for each audience (statements), worded for the dispatcher.
    "updates": {"kernel", "wording", "playbook", "messaging", "response", "statements"},
    # Watching reads what the playbook declares, queues canary messages for the dispatcher,
    # and sends its events to the activation rules through the intake (in dedup namespaces of
    # its own, heartbeats and canaries), as scheduled triggers do; it needs no response.
    "watch": {"kernel", "playbook", "messaging", "activation"},
    "dropin": {"kernel"},  # PagerDuty's and Opsgenie's own APIs: alerts and changes
    # Erasure and the access record: people and errors from the kernel, and the playbook for how
    # long access records and finished jobs are kept (its retention settings). Nothing above
    # imports it: the edges reach it through the wiring, and it needs no other capability.
    "privacy": {"kernel", "playbook"},
    # Check-ins ask through the dispatcher (messaging words their notices through a port of
    # its own), and an "I need help" pages its responders through the escalator (response).
    "checkins": {"kernel", "wording", "playbook", "messaging", "response"},
    # The operator console: sessions and identity tokens (kernel), and the reach table it
    # reads from where the answers stand (response).
    "console": {"kernel", "response"},
    # Drills open exercise incidents and hand them to the notifier (activation); a tabletop
    # works out the plan and its escalation levels (response) with their text and prices; the
    # register judges each drill against its targets by its incident's report (reports).
    "drills": {
        "kernel",
        "wording",
        "playbook",
        "messaging",
        "response",
        "spend",
        "activation",
        "reports",
    },
    # Reports read incidents and timelines (the kernel), the playbook's retention for how far
    # back analytics may look, and messaging's names for what its entries say. A drill's report
    # asks the register through a port of its own (``reports/ports.py``): never the drills.
    "reports": {"kernel", "playbook", "messaging"},
}

# Which part of chalicelib (and app.py) may import which. The edges (api, handlers) reach the
# adapters (storage, channels) only through the wiring.
OUTER_IMPORTS: dict[str, set[str]] = {
    "app": {"api", "handlers", "observability"},
    "api": {"core", "integrations", "wiring", "settings", "observability"},
    "handlers": {"core", "integrations", "wiring", "settings", "observability"},
    "wiring": {"core", "storage", "channels", "settings", "observability"},
    "storage": {"core"},
    "channels": {"core"},
    "integrations": {"core"},
    "observability": {"core", "settings"},
    "settings": {"core"},
    "core": set(),
    "chalicelib": set(),  # the package's own __init__
}

MAX_CORE_LINES = 300


def imports_of(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def top(name: str) -> str:
    return name.split(".", maxsplit=1)[0]


def modules(folder: Path) -> list[Path]:
    return sorted(folder.rglob("*.py"))


def core_package(path_or_module: Path | str) -> str:
    """The core package a file or a dotted module name belongs to; ``kernel`` for core/*.py."""
    if isinstance(path_or_module, Path):
        parts = path_or_module.relative_to(CORE).parts
    else:
        parts = tuple(path_or_module.split(".")[2:])
    if len(parts) > 1:
        return parts[0]
    name = parts[0].removesuffix(".py") if parts else "__init__"
    return name if (CORE / name).is_dir() else "kernel"


def outer_part(path_or_module: Path | str) -> str:
    if isinstance(path_or_module, Path):
        if path_or_module == PROJECT / "app.py":
            return "app"
        part = path_or_module.relative_to(CHALICELIB).parts[0].removesuffix(".py")
        return "chalicelib" if part == "__init__" else part
    return path_or_module.split(".")[1] if "." in path_or_module else "chalicelib"


def test_the_tables_are_acyclic_so_imports_only_point_down() -> None:
    for table in (CORE_IMPORTS, OUTER_IMPORTS):
        try:
            tuple(TopologicalSorter(table).static_order())
        except CycleError as cycle:  # pragma: no cover - fails the test
            pytest.fail(f"the import table has a cycle: {cycle.args[1]}")


def test_every_core_package_is_in_the_table_and_every_kernel_module_is_listed() -> None:
    packages = {p.name for p in CORE.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert packages == set(CORE_IMPORTS) - {"kernel"}
    kernel = {p.stem for p in CORE.glob("*.py")} - {"__init__"}
    assert kernel == KERNEL, "a module directly under core/ is the kernel's: list it in KERNEL"


@pytest.mark.parametrize("path", modules(CORE), ids=lambda p: str(p.relative_to(CORE)))
def test_core_modules_import_only_what_the_core_table_allows(path: Path) -> None:
    mine = core_package(path)
    allowed = CORE_IMPORTS[mine] | {mine}
    for name in imports_of(path):
        assert top(name) not in AWS_AND_FRAMEWORKS, f"{path.name} imports {name}"
        if name.startswith("chalicelib"):
            assert name.startswith("chalicelib.core."), f"{path.name} imports {name}"
            assert core_package(name) in allowed, f"{mine}/{path.name} may not import {name}"


@pytest.mark.parametrize(
    "path",
    [p for p in modules(CHALICELIB) if CORE not in p.parents] + [PROJECT / "app.py"],
    ids=lambda p: str(p.relative_to(PROJECT)),
)
def test_outer_modules_import_only_what_the_outer_table_allows(path: Path) -> None:
    mine = outer_part(path)
    allowed = OUTER_IMPORTS[mine] | {mine}
    for name in imports_of(path):
        if name.startswith("chalicelib"):
            assert outer_part(name) in allowed, f"{path.relative_to(PROJECT)} imports {name}"
        if mine in ("integrations", "storage", "channels"):
            assert top(name) != "chalice", f"{path} imports {name}"
        if mine == "integrations":
            assert top(name) not in AWS_AND_FRAMEWORKS, f"{path} imports {name}"


@pytest.mark.parametrize(
    "path", [*modules(CHALICELIB), PROJECT / "app.py"], ids=lambda p: str(p.relative_to(PROJECT))
)
def test_nothing_deployed_imports_the_local_stack_the_cli_or_the_fakes(path: Path) -> None:
    for name in imports_of(path):
        assert top(name) not in ("local", "tocsin_cli", "tests", "bench", "fakes"), (
            f"{path} imports {name}"
        )


@pytest.mark.parametrize("path", modules(CORE), ids=lambda p: str(p.relative_to(CORE)))
def test_core_modules_stay_small_enough_to_hold_one_idea(path: Path) -> None:
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_CORE_LINES, f"{path.name} has {lines} lines: split it by idea"


def test_no_two_core_modules_share_a_name_a_newcomer_could_confuse() -> None:
    stems = [p.stem for p in modules(CORE) if p.stem not in ("__init__", "ports")]
    assert len(stems) == len(set(stems)), sorted(s for s in stems if stems.count(s) > 1)


def test_the_lambda_requirements_hold_no_development_tools() -> None:
    runtime = (PROJECT / "requirements.txt").read_text().lower()
    for tool in ("moto", "pytest", "chalice", "ruff", "mypy", "pyyaml"):
        assert tool not in runtime


# Tests inject what they need through the Container's constructor (clock, channels, session,
# settings) and wiring.install(); replacing a built container's attributes is not allowed.
_CONTAINER_CALLS = {"container", "Container", "install", "use_container"}
_CONTAINER_NAMES = {"services", "container"}


def _root(node: ast.expr) -> ast.expr:
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node


def _is_container_call(node: ast.expr) -> bool:
    if not isinstance(node, ast.Call):
        return False
    function = node.func
    name = function.attr if isinstance(function, ast.Attribute) else getattr(function, "id", "")
    return name in _CONTAINER_CALLS


def container_assignments(source: str) -> list[int]:
    """Lines that assign to an attribute or item of a container (or of anything in it)."""
    tree = ast.parse(source)
    names = set(_CONTAINER_NAMES)
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_container_call(node.value):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        if isinstance(node, ast.arg) and "Container" in ast.unparse(node.annotation or ast.Pass()):
            names.add(node.arg)

    def pokes(target: ast.expr) -> bool:
        if not isinstance(target, ast.Attribute | ast.Subscript):
            return False
        root = _root(target)
        return _is_container_call(root) or (isinstance(root, ast.Name) and root.id in names)

    lines = []
    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        elif isinstance(node, ast.Call) and ast.unparse(node.func).endswith("setattr"):
            targets = [ast.Attribute(value=node.args[0], attr="_", ctx=ast.Store())]
        lines += [node.lineno for target in targets if pokes(target)]
    return lines


def test_the_container_poking_detector_sees_every_way_of_poking() -> None:
    poking = """
wiring.container().clock = clock
wiring.container().playbooks._cached = None
services = wiring.container()
services.senders[Channel.SMS] = scripted
services.escalator.advance = flaky
built = Container(settings, session)
built.clock.current += delta
monkeypatch.setattr(services, "clock", clock)
def f(box: wiring.Container) -> None:
    box.clock = clock
"""
    assert container_assignments(poking) == [2, 3, 5, 6, 8, 9, 11]
    fine = "clock.current = later\nservices = use_container(clock=clock)\nx = services.clock.now()"
    assert container_assignments(fine) == []


def test_no_test_assigns_to_the_containers_attributes() -> None:
    poked = {
        str(path.relative_to(PROJECT)): lines
        for path in modules(PROJECT / "tests") + modules(PROJECT / "bench")
        if (lines := container_assignments(path.read_text(encoding="utf-8")))
    }
    assert not poked, (
        f"{poked}: inject through Container(..., clock=, channels=) and wiring.install(), "
        "or build the use case on the fakes, instead"
    )


@pytest.mark.parametrize(
    "path", modules(PROJECT / "fakes"), ids=lambda p: str(p.relative_to(PROJECT))
)
def test_the_fakes_stand_on_the_core_alone(path: Path) -> None:
    """A fake mirrors its adapter's rules by itself (its contract suite proves it alike), so it
    never borrows the adapter's code, nor AWS's."""
    for name in imports_of(path):
        assert top(name) not in AWS_AND_FRAMEWORKS, f"{path.name} imports {name}"
        if name.startswith("chalicelib"):
            assert name.startswith("chalicelib.core."), f"{path.name} imports {name}"
