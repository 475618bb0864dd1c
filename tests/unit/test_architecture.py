"""Imports point downward only: edges -> wiring -> adapters -> core."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import PROJECT

CHALICELIB = PROJECT / "chalicelib"
AWS_AND_FRAMEWORKS = ("boto3", "botocore", "chalice", "aws_lambda_powertools", "moto")


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


@pytest.mark.parametrize(
    "path",
    modules(CHALICELIB / "core") + modules(CHALICELIB / "integrations"),
    ids=lambda p: str(p.relative_to(CHALICELIB)),
)
def test_the_pure_layers_import_no_aws_library_and_nothing_above_them(path: Path) -> None:
    layer = path.relative_to(CHALICELIB).parts[0]
    allowed = (
        ("chalicelib.core",) if layer == "core" else ("chalicelib.core", f"chalicelib.{layer}")
    )
    for name in imports_of(path):
        assert top(name) not in AWS_AND_FRAMEWORKS, f"{path.name} imports {name}"
        if name.startswith("chalicelib"):
            assert name.startswith(allowed), f"{path.name} imports {name}"


@pytest.mark.parametrize(
    "path", [*modules(CHALICELIB), PROJECT / "app.py"], ids=lambda p: str(p.relative_to(PROJECT))
)
def test_nothing_deployed_imports_the_local_stack_or_the_cli(path: Path) -> None:
    for name in imports_of(path):
        assert top(name) not in ("local", "tocsin_cli", "tests"), f"{path} imports {name}"


@pytest.mark.parametrize(
    "path",
    modules(CHALICELIB / "channels") + modules(CHALICELIB / "storage"),
    ids=lambda p: str(p.relative_to(PROJECT)),
)
def test_adapters_never_import_the_edges(path: Path) -> None:
    for name in imports_of(path):
        assert top(name) != "chalice", f"{path} imports {name}"
        edges = ("chalicelib.api", "chalicelib.handlers", "chalicelib.wiring")
        assert not name.startswith(edges), f"{path} imports {name}"


def test_the_lambda_requirements_hold_no_development_tools() -> None:
    runtime = (PROJECT / "requirements.txt").read_text().lower()
    for tool in ("moto", "pytest", "chalice", "ruff", "mypy", "pyyaml"):
        assert tool not in runtime
