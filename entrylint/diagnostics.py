"""Diagnostics, fixes and edits: what rules produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}


class Applicability(str, Enum):
    SAFE = "safe"  # keeps behaviour, except for the signal/PID-1 defect it repairs
    UNSAFE = "unsafe"  # may change behaviour; the rule's docs say how


@dataclass(frozen=True)
class Edit:
    """Replace bytes ``[start, end)`` of ``path`` with ``content``."""

    path: Path
    start: int
    end: int
    content: str


@dataclass(frozen=True)
class Fix:
    message: str
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.SAFE


@dataclass
class Diagnostic:
    rule: str
    severity: Severity
    path: Path
    start: int  # byte offsets in ``path``
    end: int
    message: str
    fix: Fix | None = None
    #: Filled in by the engine from the file's contents.
    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0
    notes: list[str] = field(default_factory=list)
    #: The finding holds only once a finding of one of these rules, for the same image, is
    #: fixed (EL104 judging the PID 1 that EL101's exec form leaves): the engine drops it
    #: when none of them is reported.
    requires: tuple[str, ...] = ()

    def sort_key(self) -> tuple[str, int, int, str]:
        return (str(self.path), self.line, self.column, self.rule)
