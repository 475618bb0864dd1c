"""docs/SECURITY.md points to tests by name: each must exist, so the page cannot promise a test
that was renamed or removed; and the README links to it."""

from __future__ import annotations

import re

from tests.conftest import PROJECT

SECURITY = PROJECT / "docs" / "SECURITY.md"


def defined_tests() -> set[str]:
    names: set[str] = set()
    for path in (PROJECT / "tests").rglob("test_*.py"):
        names.update(re.findall(r"^def (test_\w+)", path.read_text(encoding="utf-8"), re.M))
    return names


def test_every_test_security_md_names_exists() -> None:
    named = set(re.findall(r"`(test_\w+)`", SECURITY.read_text(encoding="utf-8")))
    assert len(named) >= 40
    assert named - defined_tests() == set()


def test_the_readme_links_the_security_page() -> None:
    assert "(docs/SECURITY.md)" in (PROJECT / "README.md").read_text(encoding="utf-8")
