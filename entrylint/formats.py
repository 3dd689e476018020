"""Report formats for CI: SARIF 2.1.0, GitHub workflow commands, GitLab Code Quality and
Checkstyle XML.  ``text`` and ``json`` live in :mod:`entrylint.output`.

Every format names files relative to one base, :func:`entrylint.model.display_base`: the
*report root* (the git work tree that holds the current directory, or the current directory
outside one; ``--path-base cwd`` makes it the current directory), which is what GitHub,
GitLab, SARIF's ``%SRCROOT%`` and Jenkins/reviewdog resolve paths against.  A file outside
it is named by its absolute path (in SARIF, a ``file:`` URI).

A file that could not be read or parsed is reported too: as a result of the pseudo-rule
:data:`FILE_ERROR_ID` in json/github/gitlab/checkstyle, and in SARIF as a tool execution
notification of a run whose ``executionSuccessful`` is false.
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from entrylint.diagnostics import Diagnostic
from entrylint.model import display_path
from entrylint.source import SourceFile

FORMATS = ("text", "full", "concise", "json", "sarif", "github", "gitlab", "checkstyle")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
#: The id under which a file that cannot be read or parsed is reported (ruff's E902).
FILE_ERROR_ID = "EL000"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}
_GITHUB_COMMAND = {"error": "error", "warning": "warning", "info": "notice"}
_GITLAB_SEVERITY = {"error": "major", "warning": "minor", "info": "info"}

if TYPE_CHECKING:
    from entrylint.engine import FileError

Files = dict[Path, SourceFile]


def render(fmt: str, diags: Sequence[Diagnostic], files: Files, *, colour: bool = False,
           root: Path | None = None, errors: Sequence[FileError] = (),
           docs_url: str | None = None) -> str:
    """The report in ``fmt``; ``root`` is what the paths are relative to (default, and what
    text and json always use: :func:`entrylint.model.display_base`); ``docs_url`` is the template
    of the rule links (see :func:`entrylint.docs.help_uri`)."""
    from entrylint import output
    from entrylint.docs import help_uri

    if fmt in ("text", "full", "concise"):
        return output.to_text(diags, files, colour=colour, show_source=fmt != "concise")
    if fmt == "json":
        return output.to_json([*_error_diagnostics(errors), *diags], files,
                              url_of=lambda rule: help_uri(rule, docs_url))
    if root is None:
        from entrylint.model.context import display_base

        root = display_base()
    from entrylint.escape import json_text

    if fmt == "sarif":
        doc = to_sarif(diags, files, root, errors=errors, docs_url=docs_url)
        return json_text(json.dumps(doc, indent=2, ensure_ascii=False)) + "\n"
    if fmt == "github":
        return to_github([*_error_diagnostics(errors), *diags], root)
    if fmt == "gitlab":
        issues = to_gitlab([*_error_diagnostics(errors), *diags], files, root)
        return json_text(json.dumps(issues, indent=2, ensure_ascii=False)) + "\n"
    if fmt == "checkstyle":
        return to_checkstyle([*_error_diagnostics(errors), *diags], root)
    raise ValueError(f"unknown format {fmt!r}")


def _error_diagnostics(errors: Sequence[FileError]) -> list[Diagnostic]:
    """Each unreadable or unparseable file as an error at its first line."""
    return [Diagnostic(FILE_ERROR_ID, "error", error_path(e), 0, 0, f"{e.path}: {e.reason}",
                       line=1, column=1, end_line=1, end_column=1) for e in errors]


def error_path(error: FileError) -> Path:
    """The file of a :class:`FileError`, whose ``path`` is already a display path: relative
    to :func:`entrylint.model.context.display_base` (not to the current directory), or
    absolute."""
    from entrylint.model.context import display_base

    path = Path(error.path)
    return path if path.is_absolute() or error.path == "-" else display_base() / path


# ------------------------------------------------------------------------------------------
# Paths and fingerprints
# ------------------------------------------------------------------------------------------


def relative_path(path: Path, root: Path) -> str | None:
    """``path`` as a POSIX path relative to ``root``, or None when it lies outside (as
    :func:`entrylint.model.display_path` computes it, so every format agrees)."""
    from entrylint.model.context import relative_to

    return relative_to(path, root)


def report_path(path: Path, root: Path) -> str:
    """The path the reports print: relative to ``root`` when inside it, else absolute."""
    return relative_path(path, root) or Path(os.path.abspath(path)).as_posix()


def relative_uri(path: Path, root: Path) -> str | None:
    """``path`` relative to ``root`` as a percent-encoded relative URI reference (RFC 3986):
    ``my app/Dockerfile`` -> ``my%20app/Dockerfile``; ``c:d`` -> ``c%3Ad``, so that its first
    segment is not taken for a scheme; ``#``, ``%``, ``?`` and non-ASCII encoded too."""
    rel = relative_path(path, root)
    # the file name's own bytes: a non-UTF-8 name (surrogate escapes) is percent-encoded too
    return None if rel is None else urllib.parse.quote(os.fsencode(rel), safe="/")


def fingerprints(diags: Sequence[Diagnostic], files: Files, root: Path) -> list[str]:
    """A hash per diagnostic of the rule, the file (relative to ``root``) and the flagged line's
    text with white space normalised — not its line number, so it survives edits above it.  The
    n-th identical (rule, file, text) gets ``:n`` mixed in, so duplicates stay distinct."""
    import hashlib  # only SARIF and GitLab need it

    seen: dict[tuple[str, str, str], int] = {}
    out = []
    for d in diags:
        src = files.get(d.path)
        text = ""
        if src is not None and 1 <= d.line <= src.line_count:
            text = " ".join(src.line_text(d.line).split())
        key = (d.rule, report_path(d.path, root), text)
        n = seen.get(key, 0)
        seen[key] = n + 1
        out.append(hashlib.sha256("\0".join((*key, str(n))).encode("utf-8", "surrogateescape"))
                   .hexdigest())
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


def _sarif_rules(docs_url: str | None) -> list[dict[str, Any]]:
    from entrylint.docs import documented_rules, help_uri, rule_markdown, rule_text
    from entrylint.mdtext import inline

    out = []
    for r in documented_rules():
        rule: dict[str, Any] = {
            "id": r.id,
            "name": r.name,
            "shortDescription": {"text": inline(r.summary)},
            "fullDescription": {"text": inline(" ".join(r.doc.split("\n\n")[0].split()))},
            "help": {"text": rule_text(r), "markdown": rule_markdown(r)},
        }
        uri = help_uri(r, docs_url)
        if uri is not None:
            rule["helpUri"] = uri
        rule["defaultConfiguration"] = {"level": _SARIF_LEVEL[r.severity]}
        rule["properties"] = {"tags": ["containers", "signals"], "fixable": r.fixable}
        out.append(rule)
    return out


def _invocation(errors: Sequence[FileError], root: Path) -> dict[str, Any]:
    notes = []
    for e in errors:
        notes.append({
            "level": "error",
            "message": {"text": f"{e.path}: {e.reason}"},
            "locations": [{"physicalLocation": {"artifactLocation": _artifact(error_path(e),
                                                                              root)}}],
            "descriptor": {"id": FILE_ERROR_ID},
        })
    out: dict[str, Any] = {"executionSuccessful": not errors}
    if notes:
        out["toolExecutionNotifications"] = notes
    return out


def to_sarif(diags: Sequence[Diagnostic], files: Files, root: Path, *,
             errors: Sequence[FileError] = (), docs_url: str | None = None) -> dict[str, Any]:
    from entrylint import __version__

    rules = _sarif_rules(docs_url)
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
    driver: dict[str, Any] = {"name": "entrylint", "version": __version__,
                              "semanticVersion": __version__}
    if docs_url is not None:  # where the rule pages are: what the template has before {rule}
        driver["informationUri"] = docs_url.split("{rule}")[0].replace("{version}",
                                                                       __version__)
    driver["rules"] = rules
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": driver},
            "invocations": [_invocation(errors, root)],
            "originalUriBaseIds": {"%SRCROOT%": {"uri": root.resolve().as_uri() + "/"}},
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


# ------------------------------------------------------------------------------------------
# GitHub Actions workflow commands
# ------------------------------------------------------------------------------------------


def github_escape_data(text: str) -> str:
    """A workflow command's message: terminal controls escaped (the log is a terminal),
    then the runner's own escapes, so a newline cannot start another command."""
    from entrylint.escape import terminal

    text = "".join(part if part in ("\r", "\n") else terminal(part)
                   for part in re.split("([\r\n])", text))
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def github_escape_property(text: str) -> str:
    return github_escape_data(text).replace(":", "%3A").replace(",", "%2C")


def to_github(diags: Sequence[Diagnostic], root: Path | None = None) -> str:
    """Workflow commands; ``file`` is relative to ``root`` (the checkout), which is what
    GitHub resolves annotation paths against, even when entrylint runs in a subdirectory."""
    lines = []
    for d in diags:
        props = {
            "file": report_path(d.path, root) if root is not None else display_path(d.path),
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
                "path": report_path(d.path, root),
                "lines": {"begin": d.line, "end": d.end_line},
            },
        })
    return out


# ------------------------------------------------------------------------------------------
# Checkstyle XML
# ------------------------------------------------------------------------------------------

#: Characters XML 1.0 cannot hold (compiled in to_checkstyle: the class costs 5 ms to compile,
#: as much as linting a Dockerfile, and only this format needs it).
_XML_INVALID_CLASS = r"[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"


def to_checkstyle(diags: Sequence[Diagnostic], base: Path | None = None) -> str:
    """Checkstyle 4.3 XML; file names relative to ``base`` (the report root) when given."""
    import xml.etree.ElementTree as ET

    _XML_INVALID = re.compile(_XML_INVALID_CLASS)
    root = ET.Element("checkstyle", version="4.3")
    by_file: dict[str, ET.Element] = {}
    for d in diags:
        name = report_path(d.path, base) if base is not None else display_path(d.path)
        if name not in by_file:
            by_file[name] = ET.SubElement(root, "file", name=_XML_INVALID.sub("", name))
        ET.SubElement(by_file[name], "error", line=str(d.line), column=str(d.column),
                      severity=d.severity, message=_XML_INVALID.sub("", d.message),
                      source=f"entrylint.{d.rule}")
    # `##[` (the runner's legacy command form, anywhere in a line) only occurs in attribute
    # values, where `&#35;` is the same `#` for an XML reader
    body = ET.tostring(root, encoding="unicode").replace("##[", "#&#35;[")
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n'
