"""Read the playbook from ``policies/*.yaml``, keeping where each value came from.

Every file is a mapping of sections (``roles``, ``teams``, ``plans``, ``rules``, ``schedules``,
``maintenance``) to lists; sections from several files are joined in file-name order. Errors
are reported as ``file:line: path: message``, the path counted within that file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from chalicelib.core.errors import InvalidPolicies, InvalidPolicy
from chalicelib.core.playbook.document import SECTIONS, Playbook, parse_playbook

PathKey = tuple[str | int, ...]
_STEP = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


@dataclass(frozen=True)
class Located:
    """One error, with the file and line it points at."""

    file: str
    line: int
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class PolicyErrors(InvalidPolicy):
    """Every problem found in a policy directory, each located."""

    def __init__(self, errors: list[Located]) -> None:
        super().__init__(str(errors[0]), f"{len(errors)} error(s)")
        self.errors = errors


@dataclass
class PolicyDocuments:
    """The joined sections, and for each value the file, line and in-file path it came from."""

    sections: dict[str, list[Any]] = field(default_factory=lambda: {n: [] for n in SECTIONS})
    origins: dict[PathKey, tuple[str, int, PathKey]] = field(default_factory=dict)
    problems: list[Located] = field(default_factory=list)  # found while reading (repeated keys)

    def validate(self) -> Playbook:
        errors = list(self.problems)
        try:
            playbook = parse_playbook(self.sections)
        except InvalidPolicies as invalid:
            errors += [self.locate(error) for error in invalid.errors]
        except InvalidPolicy as invalid:
            errors.append(self.locate(invalid))
        if errors:
            raise PolicyErrors(sorted(errors, key=lambda e: (e.file, e.line)))
        return playbook

    def locate(self, error: InvalidPolicy) -> Located:
        """The nearest recorded place for ``error.path`` (a missing field: its parent)."""
        steps = parse_path(error.path)
        for length in range(len(steps), 0, -1):
            origin = self.origins.get(steps[:length])
            if origin is not None:
                file, line, local = origin
                return Located(file, line, format_path(local + steps[length:]), error.message)
        return Located("policies", 0, error.path, error.message)


def read_policy_dir(directory: Path) -> PolicyDocuments:
    """Join every ``*.yaml`` file of ``directory``; PolicyErrors lists every file-level error."""
    files = sorted([*directory.glob("*.yaml"), *directory.glob("*.yml")])
    if not files:
        raise PolicyErrors([Located(str(directory), 0, "", "no policy files (*.yaml) found")])
    documents = PolicyDocuments()
    errors: list[Located] = []
    for path in files:
        errors += _read_file(path, documents)
    if errors:
        raise PolicyErrors(errors)
    return documents


# libyaml's loader where PyYAML was built with it (the wheels are): ten times faster.
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _parse(text: str) -> tuple[yaml.Node | None, Any]:
    """The file's node tree (its line numbers) and its content, from one pass of the parser."""
    loader = _Loader(text)
    try:
        root = loader.get_single_node()
        return root, None if root is None else loader.construct_document(root)
    finally:
        loader.dispose()


def _read_file(path: Path, documents: PolicyDocuments) -> list[Located]:
    name = path.name
    try:
        root, content = _parse(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        problem = getattr(error, "problem", None) or str(error)
        return [Located(name, mark.line + 1 if mark else 0, "", f"not valid YAML: {problem}")]
    if root is None or content is None:
        return []
    if not isinstance(root, yaml.MappingNode) or not isinstance(content, dict):
        return [Located(name, 1, "", f"must be a mapping of sections: {', '.join(SECTIONS)}")]
    lines: dict[PathKey, int] = {}
    documents.problems += [
        Located(name, line, format_path(where), message)
        for where, line, message in _walk(root, (), lines)
    ]
    errors: list[Located] = []
    for key_node, _value_node in root.value:
        section = key_node.value
        line = key_node.start_mark.line + 1
        if section not in SECTIONS:
            errors.append(
                Located(
                    name, line, str(section), f"unknown section; expected {', '.join(SECTIONS)}"
                )
            )
            continue
        items = content[section]
        if items is None:
            continue
        if not isinstance(items, list):
            errors.append(Located(name, line, section, "must be a list"))
            continue
        offset = len(documents.sections[section])
        documents.sections[section].extend(items)
        documents.origins[(section,)] = (name, line, (section,))
        for local, global_key in _remap(lines, section, offset):
            documents.origins[global_key] = (name, lines[local], local)
    return errors


def _remap(
    lines: dict[PathKey, int], section: str, offset: int
) -> Iterator[tuple[PathKey, PathKey]]:
    """Each in-file path of ``section`` with its index among the joined documents."""
    for local in lines:
        if len(local) >= 2 and local[0] == section and isinstance(local[1], int):
            yield local, (section, local[1] + offset, *local[2:])


def _walk(
    node: yaml.Node, where: PathKey, lines: dict[PathKey, int]
) -> Iterator[tuple[PathKey, int, str]]:
    """Record the line of every value; yield (path, line, message) for repeated keys."""
    lines[where] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            if key in seen:
                yield (
                    (*where, key),
                    key_node.start_mark.line + 1,
                    "repeated key (YAML keeps only the last)",
                )
            seen.add(key)
            yield from _walk(value_node, (*where, key), lines)
            # An unknown or misspelt field is best shown on its key's line.
            lines[(*where, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _walk(item, (*where, index), lines)


def parse_path(path: str) -> PathKey:
    """``rules[3].match.types[0]`` -> ("rules", 3, "match", "types", 0)."""
    steps: list[str | int] = []
    for name, index in _STEP.findall(path):
        steps.append(int(index) if index else name)
    return tuple(steps)


def format_path(steps: PathKey) -> str:
    text = ""
    for step in steps:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text


def dump_sections(sections: dict[str, list[Any]]) -> str:
    """The documents as one YAML file, sections in their usual order."""
    present = {name: sections[name] for name in SECTIONS if sections.get(name)}
    return yaml.safe_dump(present, sort_keys=False, allow_unicode=True, width=100)


def diff_sections(stored: dict[str, list[Any]], local: dict[str, list[Any]]) -> list[str]:
    """Readable changes from ``stored`` to ``local``: per document, added, removed or changed."""
    lines: list[str] = []
    for name in SECTIONS:
        before = {str(doc.get("id")): doc for doc in stored.get(name, []) if isinstance(doc, dict)}
        after = {str(doc.get("id")): doc for doc in local.get(name, []) if isinstance(doc, dict)}
        for document_id in sorted(after.keys() - before.keys()):
            lines.append(f"+ {name} {document_id}: added")
        for document_id in sorted(before.keys() - after.keys()):
            lines.append(f"- {name} {document_id}: removed")
        for document_id in sorted(before.keys() & after.keys()):
            if before[document_id] != after[document_id]:
                lines.append(f"~ {name} {document_id}: changed")
                old = yaml.safe_dump(before[document_id], sort_keys=False).splitlines()
                new = yaml.safe_dump(after[document_id], sort_keys=False).splitlines()
                lines += [
                    f"    {line}"
                    for line in difflib.unified_diff(old, new, "stored", "local", lineterm="", n=1)
                ][2:]
        order_before = [doc_id for doc_id in before if doc_id in after]
        order_after = [doc_id for doc_id in after if doc_id in before]
        if name == "rules" and order_before != order_after:
            lines.append(f"~ rules: order changed to {', '.join(order_after)}")
    return lines
