"""Report formats for CI: SARIF 2.1.0, GitHub workflow commands, GitLab Code Quality and
Checkstyle XML.  ``text`` and ``json`` live in :mod:`entrylint.output`."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from entrylint.diagnostics import Diagnostic
from entrylint.model import display_path
from entrylint.source import SourceFile

FORMATS = ("text", "json", "sarif", "github", "gitlab", "checkstyle")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/entrylint/entrylint"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_GITHUB_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}
_GITLAB_SEVERITY = {"error": "major", "warning": "minor", "info": "info"}

Files = dict[Path, SourceFile]


def render(fmt: str, diags: Sequence[Diagnostic], files: Files, *, colour: bool = False,
           root: Path | None = None) -> str:
    """The report in ``fmt``; ``root`` is what SARIF/GitLab paths are relative to (default:
    the repository that holds the current directory)."""
    from entrylint import output

    if fmt == "text":
        return output.to_text(diags, files, colour=colour)
    if fmt == "json":
        return output.to_json(diags, files)
    if root is None:
        from entrylint.model import find_repo_root

        root = find_repo_root(Path.cwd())
    if fmt == "sarif":
        return json.dumps(to_sarif(diags, files, root), indent=2, ensure_ascii=False) + "\n"
    if fmt == "github":
        return to_github(diags, root)
    if fmt == "gitlab":
        return json.dumps(to_gitlab(diags, files, root), indent=2, ensure_ascii=False) + "\n"
    if fmt == "checkstyle":
        return to_checkstyle(diags)
    raise ValueError(f"unknown format {fmt!r}")


# ------------------------------------------------------------------------------------------
# Paths and fingerprints
# ------------------------------------------------------------------------------------------


def relative_uri(path: Path, root: Path) -> str | None:
    """``path`` as a POSIX path relative to ``root``, or None when it lies outside."""
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _report_path(path: Path, root: Path) -> str:
    return relative_uri(path, root) or display_path(path)


def fingerprints(diags: Sequence[Diagnostic], files: Files, root: Path) -> list[str]:
    """A hash per diagnostic of the rule, the file (relative to ``root``) and the flagged line's
    text with white space normalised — not its line number, so it survives edits above it.  The
    n-th identical (rule, file, text) gets ``:n`` mixed in, so duplicates stay distinct."""
    seen: dict[tuple[str, str, str], int] = {}
    out = []
    for d in diags:
        src = files.get(d.path)
        text = ""
        if src is not None and 1 <= d.line <= src.line_count:
            text = " ".join(src.line_text(d.line).split())
        key = (d.rule, _report_path(d.path, root), text)
        n = seen.get(key, 0)
        seen[key] = n + 1
        out.append(hashlib.sha256("\0".join((*key, str(n))).encode()).hexdigest())
    return out


# ------------------------------------------------------------------------------------------
# SARIF 2.1.0
# ------------------------------------------------------------------------------------------


def _artifact(path: Path, root: Path) -> dict[str, Any]:
    rel = relative_uri(path, root)
    if rel is not None:
        return {"uri": rel, "uriBaseId": "%SRCROOT%"}
    return {"uri": path.resolve().as_uri()}


def _region(src: SourceFile | None, start: int, end: int) -> dict[str, int]:
    if src is None:
        return {"byteOffset": start, "byteLength": max(0, end - start)}
    sl, sc = src.position(start)
    el, ec = src.position(max(start, end))
    return {"startLine": sl, "startColumn": sc, "endLine": el, "endColumn": ec}


def _sarif_rules() -> list[dict[str, Any]]:
    from entrylint.docs import documented_rules, help_uri, rule_markdown, rule_text

    out = []
    for r in documented_rules():
        out.append({
            "id": r.id,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "fullDescription": {"text": " ".join(r.doc.split("\n\n")[0].split())},
            "help": {"text": rule_text(r), "markdown": rule_markdown(r)},
            "helpUri": help_uri(r),
            "defaultConfiguration": {"level": _SARIF_LEVEL[r.severity]},
            "properties": {"tags": ["containers", "signals"], "fixable": r.fixable},
        })
    return out


def to_sarif(diags: Sequence[Diagnostic], files: Files, root: Path) -> dict[str, Any]:
    from entrylint import __version__

    rules = _sarif_rules()
    index = {r["id"]: i for i, r in enumerate(rules)}
    results = []
    for d, fp in zip(diags, fingerprints(diags, files, root), strict=True):
        result: dict[str, Any] = {
            "ruleId": d.rule,
            "ruleIndex": index[d.rule],
            "level": _SARIF_LEVEL[d.severity],
            "message": {"text": d.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": _artifact(d.path, root),
                    "region": {"startLine": d.line, "startColumn": d.column,
                               "endLine": d.end_line, "endColumn": d.end_column},
                },
            }],
            "partialFingerprints": {"entrylint/v1": fp},
        }
        if d.fix is not None:
            changes: dict[Path, list[dict[str, Any]]] = {}
            for e in d.fix.edits:
                changes.setdefault(e.path, []).append({
                    "deletedRegion": _region(files.get(e.path), e.start, e.end),
                    "insertedContent": {"text": e.content},
                })
            result["fixes"] = [{
                "description": {"text": d.fix.message},
                "artifactChanges": [{"artifactLocation": _artifact(p, root),
                                     "replacements": reps} for p, reps in changes.items()],
            }]
            result["properties"] = {"fixApplicability": d.fix.applicability.value}
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "entrylint",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }},
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


# ------------------------------------------------------------------------------------------
# GitHub Actions workflow commands
# ------------------------------------------------------------------------------------------


def github_escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_escape_property(text: str) -> str:
    return github_escape_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(diags: Sequence[Diagnostic], root: Path | None = None) -> str:
    """Workflow commands; ``file`` is relative to ``root`` (the checkout), which is what
    GitHub resolves annotation paths against, even when entrylint runs in a subdirectory."""
    lines = []
    for d in diags:
        props = {
            "file": _report_path(d.path, root) if root is not None else display_path(d.path),
            "line": str(d.line),
            "col": str(d.column),
            "endLine": str(d.end_line),
            "endColumn": str(d.end_column),
            "title": d.rule,
        }
        prop_text = ",".join(f"{k}={github_escape_property(v)}" for k, v in props.items())
        lines.append(f"::{_GITHUB_COMMAND[d.severity]} {prop_text}::"
                     f"{github_escape_data(d.message)}")
    return "".join(line + "\n" for line in lines)


# ------------------------------------------------------------------------------------------
# GitLab Code Quality
# ------------------------------------------------------------------------------------------


def to_gitlab(diags: Sequence[Diagnostic], files: Files, root: Path) -> list[dict[str, Any]]:
    out = []
    for d, fp in zip(diags, fingerprints(diags, files, root), strict=True):
        out.append({
            "description": f"{d.rule}: {d.message}",
            "check_name": d.rule,
            "fingerprint": fp,
            "severity": _GITLAB_SEVERITY[d.severity],
            "location": {
                "path": _report_path(d.path, root),
                "lines": {"begin": d.line, "end": d.end_line},
            },
        })
    return out


# ------------------------------------------------------------------------------------------
# Checkstyle XML
# ------------------------------------------------------------------------------------------

_XML_INVALID = re.compile(r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def to_checkstyle(diags: Sequence[Diagnostic]) -> str:
    import xml.etree.ElementTree as ET

    root = ET.Element("checkstyle", version="4.3")
    by_file: dict[str, ET.Element] = {}
    for d in diags:
        name = display_path(d.path)
        if name not in by_file:
            by_file[name] = ET.SubElement(root, "file", name=_XML_INVALID.sub("", name))
        ET.SubElement(by_file[name], "error", line=str(d.line), column=str(d.column),
                      severity=d.severity, message=_XML_INVALID.sub("", d.message),
                      source=f"entrylint.{d.rule}")
    body = ET.tostring(root, encoding="unicode")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
