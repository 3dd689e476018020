#!/usr/bin/env python3
"""Is every *safe* fix safe on real repositories?  Run ``--fix`` in memory over checkouts and
check each fixed Dockerfile.

For every repository under ``--checkouts`` (one directory each, as bench/corpus.py uses), the
safe fixes are computed with :func:`entrylint.fixer.fix_paths` (nothing is written, nothing
of the repository runs).  For each Dockerfile they change it checks:

* **parses**: BuildKit's parser (the PyPI package ``dockerfile``) accepts the fixed file;
* **facts**: every instruction the fixes add is allowed by the final stage's base-image facts
  (``apt-get install tini`` needs apt and a release with tini, ``apk add`` needs apk; an
  added ENTRYPOINT keeps the base image's own; the init it runs is found: by name only when
  the package or COPY puts it on PATH);
* **argv**: every shell-form command turned into a plain exec form has the argv that dash
  gives the same words.  dash only sees words without ``$``, backquotes, globs or operators
  (``printf '%s\\0' WORDS``), so nothing but quote removal is evaluated; other commands are
  counted as not checkable.
* **one report**: every fix ``--fix`` applies answers a finding that ``check`` reported on the
  unchanged repository (same rule, same file): nothing appears only once another fix is in
  (issue 8: ``check`` reports all the image needs at once); and after ``--fix`` no safe fix
  is left (``--fix`` needs one run).

Prints the counts (and writes them with ``--out``), with every failure.

    python bench/fix_safety.py --checkouts /work/corpus/checkouts [--out bench/fix_safety.md]
"""

from __future__ import annotations

import argparse
import collections
import json
import posixpath
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import dockerfile as buildkit

from entrylint import fixes, knowledge
from entrylint.diagnostics import Applicability
from entrylint.engine import lint_paths
from entrylint.fixer import fix_paths
from entrylint.fixguard import path_dirs
from entrylint.model import ImageModel, display_path, load
from entrylint.source import SourceError, overlay

_UNEVALUATED = re.compile(r"[$`;&|<>(){}*?\[\]\n~#]")


@dataclass
class Counts:
    repos: int = 0
    repos_failed: list[str] = field(default_factory=list)
    dockerfiles_changed: int = 0
    scripts_changed: int = 0
    script_failures: list[str] = field(default_factory=list)
    fixes_applied: int = 0
    parse_failures: list[str] = field(default_factory=list)
    fact_violations: list[str] = field(default_factory=list)
    argv_checked: int = 0
    argv_mismatches: list[str] = field(default_factory=list)
    argv_not_checkable: int = 0
    installs: collections.Counter[str] = field(default_factory=collections.Counter)
    entrypoints_kept: int = 0
    unsafe_left: collections.Counter[str] = field(default_factory=collections.Counter)
    #: fixes applied for a (rule, file) that ``check`` did not report before any fix
    unreported: list[str] = field(default_factory=list)
    #: safe fixes still offered after ``--fix``
    safe_left: list[str] = field(default_factory=list)


class Timeout(Exception):
    pass


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise Timeout


def dash_words(text: str) -> list[str] | None:
    """The words dash makes of ``text`` (quote removal only), or None when ``text`` has
    anything dash would evaluate."""
    if _UNEVALUATED.search(text):
        return None
    out = subprocess.run(["dash", "-c", "printf '%s\\0' " + text], capture_output=True,
                         timeout=5)
    if out.returncode != 0:
        return None
    return out.stdout.decode("utf-8", "replace").split("\0")[:-1]


def instructions(data: bytes) -> list[tuple[str, str]]:
    from entrylint.dockerfile import parse
    from entrylint.source import SourceFile

    df = parse(SourceFile(Path("Dockerfile"), data))
    return [(i.keyword, i.args) for i in df.instructions]


def check_dockerfile(counts: Counts, label: str, old: bytes, new: bytes,
                     model: ImageModel) -> None:
    try:
        buildkit.parse_string(new.decode("utf-8"))
    except Exception as exc:  # any parser error is a failure
        counts.parse_failures.append(f"{label}: {exc}")
        return
    before = collections.Counter(instructions(old))
    after = instructions(new)
    remaining = collections.Counter(before)
    added = []
    for ins in after:
        if remaining[ins] > 0:
            remaining[ins] -= 1
        else:
            added.append(ins)
    stage = model.final
    base = stage.root_image
    for keyword, args in added:
        if keyword == "RUN" and re.search(r"apt-get install|apk add", args):
            manager = "apt" if "apt-get" in args else "apk"
            counts.installs[manager] += 1
            if base is None or base.package_manager != manager or base.tini_package is not True:
                facts = "no base image" if base is None else \
                    f"package manager {base.package_manager}, tini package {base.tini_package}"
                counts.fact_violations.append(f"{label}: `{args[:60]}` on {base and base.ref} "
                                              f"({facts})")
        if keyword == "ENTRYPOINT":
            argv = json.loads(args) if args.strip().startswith("[") else None
            if not argv:
                continue
            init = argv[0]
            if not knowledge.is_init(init, from_build_context=False):
                continue  # a rewritten start command (EL105's `exec`), not an init put in front
            _found, where = fixes.init_location(stage, posixpath.basename(init))
            if "/" in init:
                ok = where in (None, init)
            else:
                ok = where is not None and posixpath.dirname(where) in path_dirs(stage)
            if not ok:
                counts.fact_violations.append(f"{label}: `{init}` is at {where}, not on PATH")
            own = base.entrypoint_argv if base is not None else None
            had = any(k == "ENTRYPOINT" for k, _ in before.elements())
            if own and not had:
                if tuple(argv[len(argv) - len(own):]) != own:
                    counts.fact_violations.append(
                        f"{label}: the ENTRYPOINT of {base and base.ref} {list(own)} is lost")
                else:
                    counts.entrypoints_kept += 1
    # shell form -> plain exec form: the argv dash gives (the last CMD / ENTRYPOINT)
    last_old = {k: a for k, a in instructions(old) if k in ("CMD", "ENTRYPOINT")}
    last_new = {k: a for k, a in after if k in ("CMD", "ENTRYPOINT")}
    shell = stage.effective_shell()
    for keyword, a_old in last_old.items():
        a_new = last_new.get(keyword)
        if a_new is None or a_old.strip().startswith("[") or a_old == a_new:
            continue
        try:
            argv = json.loads(a_new)
        except ValueError:
            continue
        if argv[: len(shell)] == shell:
            continue  # the shell is kept: `exec` added, nothing split
        words = dash_words(a_old)
        if words is None:
            counts.argv_not_checkable += 1
            continue
        if words and words[0] == "exec":
            words = words[1:]
        if argv and knowledge.is_init(argv[0], from_build_context=False) and "--" in argv:
            argv = argv[argv.index("--") + 1:]  # EL104 put the init in front afterwards
        counts.argv_checked += 1
        if words != argv:
            counts.argv_mismatches.append(f"{label}: {a_old!r} -> {argv} (dash: {words})")


def check_script(counts: Counts, label: str, old: bytes, new: bytes) -> None:
    """A fixed start script: only ``exec `` inserted, no trap that exec would skip, and its
    shell still parses it (``-n``: read, never run)."""
    import difflib

    from entrylint.fixguard import cleanup_traps
    from entrylint.shell import ShellScript

    inserted = [new[j1:j2] for tag, _i1, _i2, j1, j2 in
                difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
                if tag != "equal"]
    if any(chunk != b"exec " for chunk in inserted):
        counts.script_failures.append(f"{label}: changes other than `exec `: {inserted[:3]}")
    traps = cleanup_traps(ShellScript(old))
    if traps:
        counts.script_failures.append(f"{label}: exec added next to `trap … {traps}`")
    first = new.split(b"\n", 1)[0]
    shell = "bash" if b"bash" in first else "dash"
    res = subprocess.run([shell, "-n"], input=new, capture_output=True, timeout=10)
    if res.returncode != 0:
        counts.script_failures.append(f"{label}: `{shell} -n` rejects it: "
                                      f"{res.stderr.decode(errors='replace')[:120]}")


def run_repo(counts: Counts, repo: Path) -> None:
    # a finding `check` reported without a fix (EL104 under a shell-form ENTRYPOINT: its
    # init goes into the exec form EL102's fix writes) is no surprise when --fix fixes it
    reported = {(d.rule, display_path(d.path)) for d in lint_paths([repo]).diagnostics}
    report = fix_paths([repo])
    counts.fixes_applied += report.fixed
    for a in report.applied:
        if (a.rule, a.path) not in reported:
            counts.unreported.append(f"{repo.name}: {a.rule} at {a.path}:{a.line}: {a.message}")
    counts.safe_left += [f"{repo.name}: {d.rule} at {display_path(d.path)}:{d.line}"
                         for d in report.remaining
                         if d.fix is not None and d.fix.applicability is Applicability.SAFE]
    for d in report.remaining:
        if d.fix is not None and d.fix.applicability is Applicability.UNSAFE:
            why = re.sub(r".*\(unsafe: ", "", d.fix.message).rstrip(")")
            why = re.sub(r"`[^`]*`", "`…`", why)
            counts.unsafe_left[f"{d.rule}: {why[:90]}"] += 1
    contents = {p: new for p, (_, new) in report.changes.items()}
    for real, (old, new) in report.changes.items():
        label = f"{repo.name}/{real.relative_to(repo.resolve())}"
        if not any(k == "FROM" for k, _ in instructions(old)):
            counts.scripts_changed += 1
            check_script(counts, label, old, new)
            continue
        counts.dockerfiles_changed += 1
        with overlay(contents):
            try:
                model = load(real)
            except SourceError as exc:
                counts.parse_failures.append(f"{label}: {exc}")
                continue
        check_dockerfile(counts, label, old, new, model)


def checkouts(root: Path) -> Iterator[Path]:
    for p in sorted(root.iterdir()):
        if p.is_dir():
            yield p


def render(counts: Counts, seconds: float) -> str:
    lines = [
        "# Safe fixes on real repositories (bench/fix_safety.py)",
        "",
        f"- repositories: {counts.repos} ({len(counts.repos_failed)} not run: "
        f"{', '.join(counts.repos_failed) or 'none'})",
        f"- safe fixes applied: {counts.fixes_applied}, in {counts.dockerfiles_changed} "
        f"Dockerfiles and {counts.scripts_changed} scripts",
        f"- BuildKit's parser rejects: {len(counts.parse_failures)}",
        f"- fixed scripts with other changes than `exec `, a cleanup trap, or that their "
        f"shell's `-n` rejects: {len(counts.script_failures)}",
        f"- added instructions the base image's facts do not allow: "
        f"{len(counts.fact_violations)}",
        f"- tini installs: {dict(counts.installs)}; base ENTRYPOINTs kept behind tini: "
        f"{counts.entrypoints_kept}",
        f"- shell form to exec form: {counts.argv_checked} checked against dash, "
        f"{len(counts.argv_mismatches)} differ; {counts.argv_not_checkable} not checkable "
        f"(words dash would expand)",
        f"- fixes for a finding `check` had not reported (appeared only after another fix): "
        f"{len(counts.unreported)}; safe fixes still offered after `--fix`: "
        f"{len(counts.safe_left)}",
        f"- time: {seconds:.0f} s",
        "",
    ]
    for title, items in (("BuildKit rejects", counts.parse_failures),
                         ("Facts violated", counts.fact_violations),
                         ("Scripts", counts.script_failures),
                         ("argv differs from dash", counts.argv_mismatches),
                         ("Fixed without being reported first", counts.unreported),
                         ("Safe fixes left after --fix", counts.safe_left)):
        if items:
            lines += [f"## {title}", "", *[f"- {i}" for i in items], ""]
    if counts.unsafe_left:
        lines += ["## Unsafe fixes left for --unsafe-fixes (what they may change)", ""]
        lines += [f"- {n} × {why}" for why, n in counts.unsafe_left.most_common(25)]
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--checkouts", type=Path, required=True)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--timeout", type=int, default=60)
    opts = ap.parse_args(argv)
    counts = Counts()
    start = time.monotonic()
    signal.signal(signal.SIGALRM, _alarm)
    for repo in checkouts(opts.checkouts):
        counts.repos += 1
        signal.alarm(opts.timeout)
        try:
            run_repo(counts, repo)
        except Timeout:
            counts.repos_failed.append(f"{repo.name} (timeout)")
        except Exception as exc:  # a crash is reported; the run goes on
            counts.repos_failed.append(f"{repo.name} ({type(exc).__name__}: {exc})")
        finally:
            signal.alarm(0)
    text = render(counts, time.monotonic() - start)
    print(text)
    if opts.out is not None:
        opts.out.write_text(text)
    bad = (counts.parse_failures or counts.fact_violations or counts.argv_mismatches
           or counts.script_failures or counts.unreported or counts.safe_left)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
