"""What a run keeps of one linted Dockerfile once its model is dropped.

A model (stages, syntax trees, the process chain) is about 70 KB; the report needs only the
findings, the files they point into and a few lines for ``--verbose``.  Keeping this instead
lets a large run stream: memory grows with the files' text, not with their models.  The same
record crosses from a worker process and is what the result cache stores (as JSON: a cache
file in a linted repository is data, never code to unpickle).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from entrylint.diagnostics import Diagnostic, diagnostic_from_json, diagnostic_to_json
from entrylint.source import SourceFile


@dataclass(frozen=True)
class ScriptRef:
    container_path: str
    display: str
    path: Path  # the file that holds the script (a heredoc: the Dockerfile)
    heredoc: bool


@dataclass(frozen=True)
class Unfollowed:
    path: str
    reason: str


@dataclass
class Linted:
    path: Path  # the Dockerfile, as the run names it
    repo_root: Path
    #: the Dockerfile first, then each file that holds a script it starts (each once)
    sources: list[SourceFile]
    #: first line -> last line of each instruction (suppression comments apply to the whole)
    spans: dict[int, int]
    #: what the rules found, located, before the configuration and suppressions apply
    diagnostics: list[Diagnostic]
    notes: list[str] = field(default_factory=list)
    scripts: list[ScriptRef] = field(default_factory=list)
    unresolved: list[Unfollowed] = field(default_factory=list)
    #: every file whose contents the result depends on (see ImageModel.read_files)
    read_files: list[Path] = field(default_factory=list)

    @property
    def source(self) -> SourceFile:
        return self.sources[0]


def to_json(linted: Linted) -> dict[str, Any]:
    """Everything but the sources' bytes (the cache reads the files again to check them)."""
    return {
        "path": str(linted.path),
        "repo_root": str(linted.repo_root),
        "sources": [str(s.path) for s in linted.sources],
        "spans": [[a, b] for a, b in linted.spans.items()],
        "diagnostics": [diagnostic_to_json(d) for d in linted.diagnostics],
        "notes": linted.notes,
        "scripts": [[s.container_path, s.display, str(s.path), s.heredoc]
                    for s in linted.scripts],
        "unresolved": [[u.path, u.reason] for u in linted.unresolved],
        "read_files": [str(p) for p in linted.read_files],
    }


def from_json(doc: dict[str, Any], files: dict[str, SourceFile]) -> Linted:
    """The record back, with the sources taken from ``files`` (path string -> file).
    Raises KeyError, TypeError or ValueError on a malformed record."""
    return Linted(
        path=Path(doc["path"]),
        repo_root=Path(doc["repo_root"]),
        sources=[files[p] for p in doc["sources"]],
        spans={int(a): int(b) for a, b in doc["spans"]},
        diagnostics=[diagnostic_from_json(d) for d in doc["diagnostics"]],
        notes=[str(n) for n in doc["notes"]],
        scripts=[ScriptRef(str(c), str(d), Path(p), bool(h)) for c, d, p, h in doc["scripts"]],
        unresolved=[Unfollowed(str(p), str(r)) for p, r in doc["unresolved"]],
        read_files=[Path(p) for p in doc["read_files"]],
    )
