"""Report formats."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from entrylint.diagnostics import Diagnostic
from entrylint.model import display_path
from entrylint.source import SourceFile

PathOf = Callable[[Path], str]


def fix_to_json(d: Diagnostic, files: dict[Any, SourceFile],
                path_of: PathOf = display_path) -> dict[str, Any] | None:
    if d.fix is None:
        return None
    edits = []
    for e in d.fix.edits:
        src = files.get(e.path)
        if src is None:
            continue
        sl, sc = src.position(e.start)
        el, ec = src.position(e.end)
        edits.append({"path": path_of(e.path), "start": {"line": sl, "column": sc},
                      "end": {"line": el, "column": ec}, "content": e.content})
    return {"applicability": d.fix.applicability.value, "message": d.fix.message,
            "edits": edits}


def to_json(diags: Sequence[Diagnostic], files: dict[Any, SourceFile],
            path_of: PathOf = display_path, *,
            url_of: Callable[[str], str | None] = lambda _rule: None) -> str:
    out = [
        {
            "rule": d.rule,
            "severity": d.severity,
            "path": path_of(d.path),
            "line": d.line,
            "column": d.column,
            "end_line": d.end_line,
            "end_column": d.end_column,
            "message": d.message,
            "fix": fix_to_json(d, files, path_of),
            "url": url_of(d.rule),
        }
        for d in diags
    ]
    from entrylint.escape import json_text

    return json_text(json.dumps(out, indent=2, ensure_ascii=False)) + "\n"


#: Source lines longer than this are cut in the text report.
MAX_SOURCE_WIDTH = 160

_COLOURS = {"error": "red", "warning": "yellow", "info": "blue"}


def to_text(diags: Sequence[Diagnostic], files: dict[Any, SourceFile], *, colour: bool,
            show_source: bool = True) -> str:
    """One ``path:line:col: RULE [severity] message`` line per finding; with ``show_source``
    (``--format full``, the default) the source line and a caret under the finding."""
    import click

    from entrylint.escape import terminal

    lines = []
    for d in diags:
        sev = d.severity
        name = terminal(display_path(d.path))  # untrusted: escaped before it is styled
        if colour:
            loc = click.style(f"{name}:{d.line}:{d.column}:", bold=True)
            tag = click.style(f"{d.rule} [{sev}]", fg=_COLOURS[sev], bold=True)
        else:
            loc = f"{name}:{d.line}:{d.column}:"
            tag = f"{d.rule} [{sev}]"
        fixable = ""
        if d.fix is not None:
            fixable = " [*]" if d.fix.applicability.value == "safe" else " [unsafe fix]"
        message = d.message
        if "\n" in message or "\r" in message:  # a quoted multi-line command: keep one line
            message = " ".join(message.split())
        lines.append(f"{loc} {tag}{fixable} {terminal(message)}")
        src = files.get(d.path)
        if show_source and src is not None and 1 <= d.line <= src.line_count:
            text = src.line_text(d.line).replace("\t", " ")
            width = max(1, (d.end_column - d.column) if d.end_line == d.line else
                        len(text) - d.column + 1)
            if d.column > MAX_SOURCE_WIDTH:
                continue  # the finding starts past what a line of the report shows
            # a huge line: show only its start, and the caret up to there
            width = min(width, MAX_SOURCE_WIDTH - d.column + 1)
            lines.append(f"    {terminal(text[:MAX_SOURCE_WIDTH])}"
                         + (" …" if len(text) > MAX_SOURCE_WIDTH else ""))
            lines.append("    " + " " * (d.column - 1) + "^" * width)
    return "\n".join(lines) + ("\n" if lines else "")
