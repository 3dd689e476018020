"""Diagnostics, fixes and edits: what rules produce."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any, Literal

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


def diagnostic_to_json(d: Diagnostic) -> dict[str, Any]:
    """A finding as JSON data, everything kept (the result cache stores it)."""
    fix = None
    if d.fix is not None:
        fix = {"message": d.fix.message, "applicability": d.fix.applicability.value,
               "edits": [[str(e.path), e.start, e.end, e.content] for e in d.fix.edits]}
    return {"rule": d.rule, "severity": d.severity, "path": str(d.path), "start": d.start,
            "end": d.end, "message": d.message, "fix": fix, "notes": d.notes,
            "at": [d.line, d.column, d.end_line, d.end_column], "requires": list(d.requires)}


def diagnostic_from_json(doc: dict[str, Any]) -> Diagnostic:
    """The finding :func:`diagnostic_to_json` stored.  Raises KeyError, TypeError or
    ValueError on malformed data."""
    fix = None
    if doc["fix"] is not None:
        f = doc["fix"]
        fix = Fix(message=str(f["message"]), applicability=Applicability(f["applicability"]),
                  edits=tuple(Edit(Path(p), int(s), int(e), str(c)) for p, s, e, c in f["edits"]))
    severity = doc["severity"]
    if severity not in ("error", "warning", "info"):
        raise ValueError(f"bad severity {severity!r}")
    line, column, end_line, end_column = (int(x) for x in doc["at"])
    return Diagnostic(rule=str(doc["rule"]), severity=severity, path=Path(doc["path"]),
                      start=int(doc["start"]), end=int(doc["end"]), message=str(doc["message"]),
                      fix=fix, line=line, column=column, end_line=end_line,
                      end_column=end_column, notes=[str(n) for n in doc["notes"]],
                      requires=tuple(str(r) for r in doc["requires"]))
