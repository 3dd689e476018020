"""``entrylint rule ID`` and ``entrylint rules`` for people and for tools."""

from __future__ import annotations

import json
import shutil

import click

#: Pages are wrapped to the terminal, but never wider than this (long lines read badly).
MAX_WIDTH = 100


def _style(kind: str, text: str) -> str:
    if kind == "title":
        return click.style(text, bold=True, underline=True)
    if kind in ("heading", "bold"):
        return click.style(text, bold=True)
    return click.style(text, fg="cyan")  # code


def for_terminal(markdown: str, width: int | None = None, *, styled: bool = True) -> str:
    """The page wrapped to ``width`` (default: the terminal's, at most :data:`MAX_WIDTH`),
    code blocks indented; ``styled``: headings bold and code cyan, else headings underlined
    with ``=``/``-`` (for a pipe, a pager without colour, ``NO_COLOR``)."""
    from entrylint.mdtext import render

    if width is None:
        width = min(MAX_WIDTH, shutil.get_terminal_size((80, 24)).columns - 1)
    if styled:
        return render(markdown, width=width, style=_style)
    return render(markdown, width=width)


def rule_list_table() -> str:
    from entrylint.docs import documented_rules

    rows = [("RULE", "NAME", "SEVERITY", "FIXABLE", "SUMMARY")]
    rows += [(r.id, r.name, r.severity, "yes" if r.fixable else "no", r.summary)
             for r in documented_rules()]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "".join("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  "
                   + row[4] + "\n" for row in rows)


def rule_list_json() -> str:
    """``[{id, name, severity, fixable, summary, url}]`` (url: the configured rule page, or
    null)."""
    from pathlib import Path

    from entrylint.config import ConfigLoader
    from entrylint.docs import documented_rules, help_uri
    from entrylint.mdtext import inline

    template = ConfigLoader().for_path(Path.cwd()).docs_url
    out = [{"id": r.id, "name": r.name, "severity": r.severity, "fixable": r.fixable,
            "summary": inline(r.summary), "url": help_uri(r, template)}
           for r in documented_rules()]
    return json.dumps(out, indent=2) + "\n"
