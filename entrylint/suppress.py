"""Inline suppressions: ``# entrylint: ignore=EL104`` comments, and hadolint's.

* ``# entrylint: ignore=EL101,EL104`` (or ``ignore=all``) on the line above a Dockerfile
  instruction suppresses those rules on the whole instruction (all its continuation and heredoc
  lines); above any other line (a script command, a line of a heredoc script) it suppresses
  them on that line.  Several comment lines may be stacked above the same line.
* ``# entrylint: ignore-file=EL103`` anywhere in a file suppresses the rule in the whole file.
* A reason may follow the codes: ``# entrylint: ignore=EL104 -- runs under an init sidecar``;
  ``--require-reason`` reports an entrylint comment without one as EL002.
* Other tools' comments for the same checks (hadolint, BuildKit's ``# check=skip=``, tally)
  are honoured as :mod:`entrylint.foreign` describes, and never reported as unused.

An entrylint comment that suppresses nothing is reported as EL001 (``unused-ignore``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from entrylint.diagnostics import Diagnostic, Severity
from entrylint.source import SourceFile

UNUSED_IGNORE_ID = "EL001"
UNUSED_IGNORE_NAME = "unused-ignore"
UNUSED_IGNORE_SEVERITY: Severity = "info"
UNUSED_IGNORE_SUMMARY = "An `# entrylint: ignore=` comment that suppresses nothing"
UNUSED_IGNORE_DOC = """An `# entrylint: ignore=…` comment that suppresses nothing.

**Why it matters.** A suppression that no longer matches a finding (the instruction was fixed,
the comment drifted away from its line, the rule id is misspelt) hides nothing today but will
silently hide a real finding later.  Remove it, or correct the rule id.  This is reported by the
engine, not by a rule: it looks at which comments were used after all rules have run.
Silence it with `--no-unused-ignores`, or `ignore = ["EL001"]` in the configuration.

hadolint's `# hadolint ignore=DL3025` comments are honoured for EL101/EL102 but never reported,
since hadolint reads them too."""
UNUSED_IGNORE_BAD = """
FROM python:3.12-slim
# entrylint: ignore=EL101
CMD ["python", "app.py"]
"""
UNUSED_IGNORE_GOOD = """
FROM python:3.12-slim
CMD ["python", "app.py"]
"""
UNUSED_IGNORE_FIX = "No fix: delete the comment or correct its rule ids."

MISSING_REASON_ID = "EL002"
MISSING_REASON_NAME = "ignore-without-reason"
MISSING_REASON_SEVERITY: Severity = "warning"
MISSING_REASON_SUMMARY = ("An `# entrylint: ignore=` comment that does not say why "
                          "(with `--require-reason`)")
MISSING_REASON_DOC = """An `# entrylint: ignore=…` comment without a reason, reported only with
`--require-reason`.

**Why it matters.** A suppression outlives the reason it was written for: the image that ran
under an init sidecar moves to a plain `docker run`, and the hidden EL104 becomes a real zombie
problem.  Writing the reason after ` -- ` keeps it next to the comment, where a reviewer sees it
(`entrylint check -v` prints it with each finding it suppresses).  Other tools' comments
(hadolint, BuildKit, tally) are never reported: their syntax has no place for a reason."""
MISSING_REASON_BAD = """
FROM node:22-slim
# entrylint: ignore=EL104
CMD ["node", "server.js"]
"""
MISSING_REASON_GOOD = """
FROM node:22-slim
# entrylint: ignore=EL104 -- runs under Kubernetes with shareProcessNamespace and a reaper
CMD ["node", "server.js"]
"""
MISSING_REASON_FIX = "No fix: write the reason after ` -- `."

_CODES = r"([A-Za-z0-9_/]+(?:\s*,\s*[A-Za-z0-9_/]+)*)"
_ENTRYLINT = re.compile(r"#\s*entrylint\s*:\s*(ignore|ignore-file)\s*=\s*" + _CODES
                        + r"(?:\s+--\s*(.*))?")
_FOREIGN = re.compile(r"#\s*(hadolint|tally)\s+(global\s+)?ignore\s*=\s*" + _CODES)


@dataclass
class Suppression:
    path: Path
    line: int  # the comment's line
    start: int  # byte offsets of the comment
    end: int
    codes: tuple[str, ...]  # upper case; "ALL" for all
    first: int  # the lines it covers (1-based, inclusive); file-wide: 1..line_count
    last: int
    #: Another tool's comment (hadolint, BuildKit, tally): never reported as unused.
    hadolint: bool = False
    file_wide: bool = False
    used: set[str] = field(default_factory=set)
    reason: str | None = None

    def covers(self, d: Diagnostic) -> str | None:
        """The code of this comment that suppresses ``d``, or None."""
        if not self.first <= d.line <= self.last:
            return None
        for code in self.codes:
            if code == "ALL" or code == d.rule:
                return code
        return None


def scan(src: SourceFile, instruction_lines: dict[int, int] | None = None) -> list[Suppression]:
    """The suppression comments of one file.  ``instruction_lines`` maps a Dockerfile
    instruction's first line to its last line, so a comment above it covers all of it."""
    from entrylint import foreign

    data = src.data
    spans = instruction_lines or {}
    out: list[Suppression] = []
    lines = src.line_count
    if instruction_lines is not None and b"check" in data:  # a Dockerfile: BuildKit's directive
        head = [src.line_text(n) for n in range(1, min(lines, 20) + 1)]
        skipped = foreign.buildkit_skips(head)
        if skipped:
            n = next(i for i, t in enumerate(head, 1) if "check" in t.lower())
            out.append(Suppression(src.path, n, src.line_start(n), src.line_end(n), skipped,
                                   1, lines, hadolint=True, file_wide=True))
    if b"entrylint" not in data and b"hadolint" not in data and b"tally" not in data:
        return out
    texts = [src.line_text(n) for n in range(1, lines + 1)]
    # next_code[n]: the first line from n on that is not a comment (lines + 1 if none), in
    # one pass from the end: stacked comments all apply to the line below the stack
    next_code = [lines + 1] * (lines + 2)
    for n in range(lines, 0, -1):
        next_code[n] = next_code[n + 1] if texts[n - 1].lstrip().startswith("#") else n
    for n in range(1, lines + 1):
        text = texts[n - 1]
        stripped = text.lstrip()
        if not stripped.startswith("#"):
            continue
        m = _ENTRYLINT.match(stripped)
        hadolint = False
        file_wide = False
        reason = None
        if m is not None:
            file_wide = m.group(1) == "ignore-file"
            codes = tuple(c.strip().upper() for c in m.group(2).split(","))
            reason = (m.group(3) or "").strip() or None
        else:
            h = _FOREIGN.match(stripped)
            if h is None:
                continue
            hadolint, file_wide = True, bool(h.group(2))
            codes = foreign.expand(h.group(3).split(","))
            if not codes:
                continue
        start = src.line_start(n) + len(text[: len(text) - len(stripped)].encode())
        end = src.line_end(n)
        if file_wide:
            first, last = 1, lines
        else:
            target = next_code[n + 1]
            first, last = target, spans.get(target, target)
        out.append(Suppression(src.path, n, start, end, codes, first, last, hadolint, file_wide,
                               reason=reason))
    return out


def apply(diags: list[Diagnostic], suppressions: dict[Path, list[Suppression]],
          suppressed: list[tuple[Diagnostic, Suppression]] | None = None) -> list[Diagnostic]:
    """The diagnostics no comment suppresses; marks the comments that were used, and adds
    each suppressed diagnostic with (one of) its comments to ``suppressed``."""
    kept: list[Diagnostic] = []
    for d in diags:
        hit: Suppression | None = None
        for s in suppressions.get(d.path, ()):
            code = s.covers(d)
            if code is not None:
                s.used.add(code)
                hit = hit or s
        if hit is None:
            kept.append(d)
        elif suppressed is not None:
            suppressed.append((d, hit))
    return kept


def without_reason(suppressions: Iterable[Suppression]) -> list[Diagnostic]:
    """EL002 for each entrylint comment that gives no reason (``--require-reason``)."""
    return [Diagnostic(MISSING_REASON_ID, MISSING_REASON_SEVERITY, s.path, s.start, s.end,
                       "suppression without a reason: write why after ` -- ` "
                       "(`# entrylint: ignore=EL104 -- runs under an init sidecar`)")
            for s in suppressions if not s.hadolint and s.reason is None]


def unused(suppressions: Iterable[Suppression], enabled: frozenset[str]) -> list[Diagnostic]:
    """EL001 for each entrylint comment (or part of one) that suppressed nothing.

    ``enabled`` are the rule ids that ran on the file: a comment for a rule the configuration
    switched off is not reported, since it cannot be told whether it would be used.  A code
    that is no rule id at all is always reported."""
    from entrylint.config import known_rule_ids

    known = known_rule_ids()
    out: list[Diagnostic] = []
    for s in suppressions:
        if s.hadolint:
            continue
        unknown = [c for c in s.codes if c != "ALL" and c not in known]
        idle = [("all" if c == "ALL" else c) for c in s.codes
                if c not in s.used and (c == "ALL" or c in enabled)]
        if unknown:
            message = (f"unknown rule {', '.join(unknown)} in suppression comment "
                       f"(see `entrylint rules`)")
        elif idle:
            where = "in this file" if s.file_wide else "on the line below"
            what = "" if idle == ["all"] else f"{', '.join(idle)} "
            message = f"unused suppression: no {what}finding {where}"
        else:
            continue
        out.append(Diagnostic(UNUSED_IGNORE_ID, UNUSED_IGNORE_SEVERITY, s.path, s.start, s.end,
                              message))
    return out
