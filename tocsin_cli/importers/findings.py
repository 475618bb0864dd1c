"""What an import found: problems that stop it, each at a file and path, and notes to read."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Where:
    """A place in an export: the file, and a JSON path (or an event) inside it."""

    file: str
    path: str = ""

    def at(self, step: str | int) -> Where:
        if isinstance(step, int):
            return Where(self.file, f"{self.path}[{step}]")
        return Where(self.file, f"{self.path}.{step}" if self.path else step)

    def __str__(self) -> str:
        return f"{self.file}: {self.path}" if self.path else self.file


@dataclass(frozen=True)
class Problem:
    """Something that cannot be imported as it is. ``unit`` names the schedule or escalation
    policy it keeps out (``schedule it-duty``); None: the whole file."""

    where: Where
    message: str
    unit: str | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class Findings:
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def problem(self, where: Where, message: str, unit: str | None = None) -> None:
        self.problems.append(Problem(where, message, unit))

    def note(self, where: Where, message: str) -> None:
        self.notes.append(f"{where}: {message}")
