"""What the language server lints, without the protocol: the documents an editor has open
(their unsaved text included), and LSP positions for entrylint's byte offsets.

A Dockerfile is linted with its build context; any other document (a start script) lints
every Dockerfile of its repository whose start-up runs it, as ``--changed-files`` does, so a
change to ``start.sh`` updates the findings of the Dockerfiles that run it.  The findings are
grouped by the file they are in; every file those Dockerfiles read gets a (possibly empty)
list, so that fixed findings disappear from the editor.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from entrylint.diagnostics import Diagnostic
from entrylint.source import SourceFile


@dataclass
class Outcome:
    """One lint: findings per resolved file path, and those files' linted text."""

    diagnostics: dict[Path, list[Diagnostic]] = field(default_factory=dict)
    files: dict[Path, SourceFile] = field(default_factory=dict)
    errors: dict[Path, str] = field(default_factory=dict)
    #: The rule-link template of the configuration that applies to the document.
    docs_url: str | None = None


def lint_document(path: Path, open_documents: Mapping[Path, str], *,
                  dockerfile: bool | None = None) -> Outcome:
    """Lint for the document ``path``; ``open_documents`` (path -> text) are read instead of
    the files on disk.  ``dockerfile``: what the editor says the document is (None: by its
    name)."""
    from entrylint.config import ConfigLoader
    from entrylint.discovery import is_dockerfile_name
    from entrylint.engine import LintOptions, lint_paths
    from entrylint.source import virtual

    if dockerfile is None:
        dockerfile = is_dockerfile_name(path.name)
    contents = {p: text.encode("utf-8") for p, text in open_documents.items()}
    loader = ConfigLoader()
    with virtual(contents):
        options = LintOptions(config=loader, changed=not dockerfile)
        result = lint_paths([path], options)
    out = Outcome(docs_url=loader.for_path(path).docs_url)
    for p, src in result.files.items():
        key = p.resolve()
        out.files[key] = src
        out.diagnostics.setdefault(key, [])
    for d in result.diagnostics:
        out.diagnostics.setdefault(d.path.resolve(), []).append(d)
    from entrylint.formats import error_path

    for e in result.errors:  # e.path is a display path: relative to the report root
        out.errors[error_path(e).resolve()] = e.reason
    out.diagnostics.setdefault(path.resolve(), [])
    return out


def utf16_position(src: SourceFile, offset: int) -> tuple[int, int]:
    """LSP's (line, character): 0-based, the character counted in UTF-16 code units."""
    line, _ = src.position(offset)
    start = src.line_start(line)
    offset = max(start, min(offset, len(src.data)))
    prefix = src.data[start:offset].decode("utf-8", errors="replace")
    return line - 1, len(prefix.encode("utf-16-le")) // 2
