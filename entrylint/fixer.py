"""Apply the rules' fixes: in memory, round after round, then write every file at once.

One round lints (seeing the edits so far through :func:`entrylint.source.overlay`), picks the
fixes whose edits do not overlap an edit already picked (the others wait for the next round,
when the rule re-runs on the new text) and applies them.  Rounds repeat until no fix changes
anything; a rule that still has changes after :data:`MAX_ROUNDS` is reported as a bug.

Writing is all-or-nothing: every new file is first written to a temporary file beside the
original (same mode, same owner where possible); only when all of them exist are they moved
over the originals with ``os.replace``.  A file is only written when it lies inside the
repository of the Dockerfile that linted it (symlinks are resolved first), and only when its
bytes on disk are still the ones that were linted.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from entrylint.diagnostics import Applicability, Diagnostic, Edit, Fix
from entrylint.engine import FileError, LintOptions, Result, Rule, lint_paths
from entrylint.model import display_path
from entrylint.source import overlay

MAX_ROUNDS = 10


@dataclass(frozen=True)
class AppliedFix:
    """One fix applied (``--show-fixes``): where its finding was when it was fixed."""

    rule: str
    path: str  # as the report shows it
    line: int
    message: str


@dataclass
class FixReport:
    result: Result  # the lint of the fixed contents
    fixed: int = 0
    rounds: int = 0
    #: resolved path -> (bytes as first read, bytes after all fixes)
    changes: dict[Path, tuple[bytes, bytes]] = field(default_factory=dict)
    labels: dict[Path, str] = field(default_factory=dict)  # resolved path -> display path
    non_converging: list[str] = field(default_factory=list)  # rule ids
    unsafe: bool = False
    applied: list[AppliedFix] = field(default_factory=list)
    #: display path -> why its fixes were not applied
    skipped: dict[str, str] = field(default_factory=dict)

    @property
    def remaining(self) -> list[Diagnostic]:
        return self.result.diagnostics

    @property
    def need_unsafe(self) -> int:
        if self.unsafe:
            return 0
        return sum(1 for d in self.remaining
                   if d.fix is not None and d.fix.applicability is Applicability.UNSAFE)

    def summary(self) -> str:
        return (f"{self.fixed} fixed, {len(self.remaining)} remaining "
                f"({self.need_unsafe} need --unsafe-fixes)")

    def diff(self) -> str:
        """The changes as a unified diff (``a/``/``b/`` names relative to the report root, as
        ``git diff`` writes them), whose context lines a CI runner does not execute (see
        :mod:`entrylint.patchout`); print it with :func:`entrylint.patchout.emit`."""
        from entrylint.patchout import diff_line

        out: list[str] = []
        for real in sorted(self.changes):
            old, new = self.changes[real]
            label = self.labels.get(real, str(real))
            lines = difflib.unified_diff(
                _split_lines(old), _split_lines(new),
                fromfile=_patch_name("a/", label), tofile=_patch_name("b/", label))
            for i, line in enumerate(lines):
                if i < 2 or line.startswith("@@"):  # the ---/+++ and @@ headers
                    out.append(line if line.endswith("\n") else line + "\n")
                else:
                    out += diff_line(line[0], line[1:])
        return "".join(out)

    def write(self) -> list[FileError]:
        """Write every changed file, or none.  Returns the errors (empty on success)."""
        return write_files({p: new for p, (_, new) in self.changes.items()},
                           {p: old for p, (old, _) in self.changes.items()}, self.labels)


def _split_lines(data: bytes) -> list[str]:
    """Lines as ``patch`` sees them: split after each ``\\n`` only (``str.splitlines`` also
    splits at a form feed, NEL or U+2028, which made a malformed patch)."""
    text = data.decode("utf-8", "surrogateescape")  # bytes that are not UTF-8 kept as they are
    lines = text.split("\n")
    out = [line + "\n" for line in lines[:-1]]
    if lines[-1]:
        out.append(lines[-1])
    return out


def _patch_name(prefix: str, label: str) -> str:
    """A file name for a ``---``/``+++`` header that ``patch -p1`` reads back exactly, as git
    writes them: C-quoted when it holds a quote, backslash, control or non-ASCII byte;
    followed by a tab when it holds a space (patch would stop at the space)."""
    raw = os.fsencode(prefix + label)
    if any(b < 0x20 or b >= 0x7f or b in b'"\\' for b in raw):
        named = {0x22: '\\"', 0x5c: "\\\\", 0x09: "\\t", 0x0a: "\\n", 0x0d: "\\r"}
        body = "".join(named.get(b) or (chr(b) if 0x20 <= b < 0x7f else f"\\{b:03o}")
                       for b in raw)
        return f'"{body}"'
    name = raw.decode("ascii")
    return name + "\t" if " " in name else name


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _dockerfile_named(path: Path, real: Path) -> bool:
    """A script file named as a Dockerfile is (`COPY Dockerfile /start.sh` with only another
    Dockerfile linted): it is one, whether or not this run lints it."""
    from entrylint.discovery import is_dockerfile_name

    return is_dockerfile_name(path.name) or is_dockerfile_name(real.name)


def _allowed_files(result: Result, skipped: dict[str, str] | None = None) -> dict[Path, Path]:
    """Each file a model read (as the diagnostics name it) -> its resolved path, for the files
    that may be rewritten: inside that model's repository, with no other hard link, and not
    two things at once (a Dockerfile that a start-up also runs as a script).  The others go
    to ``skipped`` (display path -> why)."""
    out: dict[Path, Path] = {}
    dockerfiles = {linted.path.resolve() for linted in result.linted}
    # a heredoc script lives inside its Dockerfile; a script *file* that is a Dockerfile is
    # the same bytes read two ways (`COPY Dockerfile /start.sh`)
    scripts = {s.path.resolve() for linted in result.linted for s in linted.scripts
               if not s.heredoc}
    for linted in result.linted:
        root = linted.repo_root.resolve()
        for path in (s.path for s in linted.sources):
            real = path.resolve()
            why = None
            if not _inside(real, root):
                why = "lies outside the repository"
            elif real in scripts and (real in dockerfiles or _dockerfile_named(path, real)):
                why = "is both a Dockerfile and a start script of one; no fix is safe for both"
            else:
                try:
                    links = os.stat(real).st_nlink
                except OSError:
                    links = 1
                if links > 1:
                    why = (f"has {links} hard links (another name may lie outside the "
                           "repository)")
            if why is None:
                out[path] = real
            elif skipped is not None:
                skipped.setdefault(display_path(path), why)
    return out


def _overlaps(a: Edit, b: Edit) -> bool:
    if a.start == a.end and b.start == b.end:
        return a.start == b.start and a.content != b.content
    return a.start < b.end and b.start < a.end


def _apply(data: bytes, edits: Iterable[Edit]) -> bytes:
    for e in sorted(edits, key=lambda e: (e.start, e.end), reverse=True):
        data = data[: e.start] + e.content.encode("utf-8") + data[e.end :]
    return data


def _plan_round(result: Result, unsafe: bool, current: dict[Path, bytes],
                only: frozenset[Path] | None = None,
                skipped: dict[str, str] | None = None
                ) -> tuple[list[Fix], dict[Path, bytes], list[Diagnostic]]:
    """Pick the fixes of one round; returns (applied fixes, new contents, the findings whose
    fixes were applied).  With ``only`` (resolved paths), fixes that edit another file wait
    forever (``--fix -`` changes nothing but standard input).  Files that may not be
    rewritten go to ``skipped``."""
    allowed = _allowed_files(result, skipped)
    chosen: dict[Path, list[Edit]] = {}
    applied: list[Fix] = []
    rules: list[Diagnostic] = []
    candidates: list[tuple[Diagnostic, Fix]] = []
    for d in result.diagnostics:
        fix = d.fix
        if fix is None or not fix.edits:
            continue
        if fix.applicability is Applicability.UNSAFE and not unsafe:
            continue
        if any(e.path not in allowed for e in fix.edits):
            continue  # outside the repository, through a symlink out of it, or hard-linked
        if only is not None and any(allowed[e.path] not in only for e in fix.edits):
            continue
        candidates.append((d, fix))
    candidates.sort(key=lambda c: (str(allowed[c[1].edits[0].path]), c[1].edits[0].start))
    for d, fix in candidates:
        # Compare edits by the file they really change: a script reached through two
        # symlinks (two Dockerfiles) is one file, and its fix must be applied once.
        edits = [(allowed[e.path], dataclasses.replace(e, path=allowed[e.path]))
                 for e in fix.edits]
        if all(any(e == x for x in chosen.get(real, [])) for real, e in edits):
            applied.append(fix)  # the same fix, found again (a script two Dockerfiles run)
            continue
        if any(_overlaps(e, x) for real, e in edits for x in chosen.get(real, [])):
            continue  # next round
        for real, e in edits:
            data = current.get(real)
            if data is None:
                data = next(src.data for path, src in result.files.items()
                            if allowed.get(path) == real)
                current[real] = data
            if not 0 <= e.start <= e.end <= len(data):
                break
        else:
            for real, e in edits:
                if e not in chosen.setdefault(real, []):
                    chosen[real].append(e)
            applied.append(fix)
            rules.append(d)
    new: dict[Path, bytes] = {}
    for real, file_edits in chosen.items():
        data = _apply(current[real], file_edits)
        if data != current[real]:
            new[real] = data
    return (applied if new else []), new, rules


def fix_paths(paths: Iterable[Path], *, unsafe: bool = False,
              options: LintOptions | None = None, context: Path | None = None,
              target: str | None = None, rules: Iterable[Rule] | None = None,
              progress: Callable[[Path], None] | None = None,
              only: Iterable[Path] | None = None) -> FixReport:
    """Lint ``paths`` and fix them in memory until nothing changes.  Nothing is written:
    call :meth:`FixReport.write` (or show :meth:`FixReport.diff`).  Each round lints with
    ``options`` (configuration, suppressions), so a suppressed finding is not fixed."""
    targets = list(paths)
    opts = options or LintOptions(context=context, target=target,
                                  rules=tuple(rules) if rules is not None else None)
    contents: dict[Path, bytes] = {}  # resolved path -> current bytes
    originals: dict[Path, bytes] = {}
    labels: dict[Path, str] = {}
    fixed = 0
    rounds = 0
    non_converging: list[str] = []
    applied_fixes: list[AppliedFix] = []
    limit = frozenset(p.resolve() for p in only) if only is not None else None
    skipped: dict[str, str] = {}
    while True:
        with overlay(contents):
            result = lint_paths(targets, opts, progress=progress if rounds == 0 else None)
        for path, src in result.files.items():
            real = path.resolve()
            labels.setdefault(real, display_path(path))
            if real not in contents:
                originals.setdefault(real, src.data)
        current = dict(contents)
        applied, new, fixed_diags = _plan_round(result, unsafe, current, limit, skipped)
        if not new:
            break
        if rounds == MAX_ROUNDS:
            non_converging = sorted({d.rule for d in fixed_diags})
            break
        applied_fixes += [AppliedFix(d.rule, display_path(d.path), d.line,
                                     d.fix.message if d.fix is not None else "")
                          for d in fixed_diags]
        for real, data in new.items():
            originals.setdefault(real, current[real])
            contents[real] = data
        fixed += len(applied)
        rounds += 1
    changes = {p: (originals[p], data) for p, data in contents.items() if originals[p] != data}
    return FixReport(result=result, fixed=fixed, rounds=rounds, changes=changes, labels=labels,
                     non_converging=non_converging, unsafe=unsafe, applied=applied_fixes,
                     skipped=skipped)


def fix_for_cli(paths: Iterable[Path], *, unsafe: bool, diff: bool, options: LintOptions,
                progress: Callable[[Path], None] | None) -> tuple[FixReport, int | None]:
    """``check --fix`` / ``--diff``: fix, then print the diff or write the files.  Returns the
    report and, when the command must end here, its exit status (``--diff``: 1 if there would
    be changes; 2 after an error)."""
    from entrylint.console import echo_err

    report = fix_paths(paths, unsafe=unsafe, options=options, progress=progress)
    for label, why in sorted(report.skipped.items()):
        echo_err(f"entrylint: warning: {label}: not fixed: it {why}")
    for rule in report.non_converging:
        echo_err(f"entrylint: bug: the fixes of {rule} still change the files after "
                 f"{report.rounds} rounds (they do not converge); please report it")
    if report.non_converging and not diff:
        echo_err("entrylint: error: nothing was written, because a fix that does not "
                 "converge is a bug whose output cannot be trusted")
        return report, 2
    if diff:
        for e in report.result.errors:
            echo_err(f"entrylint: error: {e.path}: {e.reason}")
        from entrylint.patchout import emit

        emit(report.diff())
        return report, 2 if report.result.errors else 1 if report.changes else 0
    errors = report.write()
    for e in errors:
        echo_err(f"entrylint: error: {e.path}: {e.reason}")
    return report, 2 if errors else None


def write_files(new: dict[Path, bytes], expected: dict[Path, bytes],
                labels: dict[Path, str]) -> list[FileError]:
    """Replace every file atomically, or none (see :mod:`entrylint.writer`).  Returns the
    errors (empty on success)."""
    from entrylint.writer import WriteError, write_all

    try:
        write_all(new, expected, labels)
    except WriteError as exc:
        return [FileError(exc.label, exc.reason)]
    return []
