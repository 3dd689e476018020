#!/usr/bin/env python3
"""Real-repository evaluation: run entrylint on every Dockerfile of a directory of checkouts.

Each subdirectory of ``--checkouts`` is one repository (named ``owner+name``, as the search
tool's ``fetch`` names them).  Every Dockerfile in it (entrylint's own discovery) is linted in
a worker process with a timeout, with its build context: the one a compose file gives, else
the Dockerfile's directory, or the repository root when more of the Dockerfile's COPY sources
exist there.  Prints the Dockerfiles, how many have a start-up that runs a build-context
script (decided by ``corpus_heuristic``, which does not use entrylint), how many of those
entrylint followed, each not-followed case with entrylint's reason, findings per rule,
refusals, crashes and time.  With ``--labels``, precision and recall of EL101-EL105 per split
against hand labels, with every false positive and false negative.

    python bench/corpus.py --checkouts /work/corpus/checkouts [--labels bench/labels.toml]
        [--json] [--only owner/name] [--labelled-only] [--jobs N] [--timeout S]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import corpus_heuristic

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

RULES = ("EL101", "EL102", "EL103", "EL104", "EL105")
#: rule -> {"script": rule it counts as in a script, "dockerfile": … in the Dockerfile}
Aliases = dict[str, dict[str, str]]
SPLITS = ("dev", "heldout", "heldout2", "heldout3")


@dataclass(frozen=True)
class Task:
    repo: str  # owner/name
    root: Path  # the checkout
    dockerfile: Path  # absolute
    context: Path | None = None  # None: decide as the module docstring says


@dataclass
class Outcome:
    repo: str
    dockerfile: str  # relative to the checkout
    context: str  # relative to the checkout ("." for its root)
    start_words: list[str] = field(default_factory=list)
    expected_scripts: list[str] = field(default_factory=list)  # the heuristic's basenames
    followed: list[str] = field(default_factory=list)  # entrylint's scripts, repo-relative
    followed_as: list[str] = field(default_factory=list)  # their container paths
    unresolved: list[dict[str, str]] = field(default_factory=list)
    start_argv: list[str] | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None  # entrylint refused the Dockerfile (exit 1, EL100-style)
    crash: str | None = None  # an exception or a timeout
    seconds: float = 0.0

    @property
    def runs_script(self) -> bool:
        return bool(self.expected_scripts)

    @property
    def is_followed(self) -> bool:
        names = {f.rsplit("/", 1)[-1] for f in [*self.followed, *self.followed_as]}
        return any(s in names for s in self.expected_scripts)

    def rules(self, aliases: Aliases | None = None) -> set[str]:
        """The EL101-EL105 that fired; with ``aliases``, a rule split out of one of them
        counts as the one the table names for where it fired (a script or the Dockerfile)."""
        return {rule for rule, _f in self.mapped(aliases) if rule in RULES}

    def mapped(self, aliases: Aliases | None = None) -> list[tuple[str, dict[str, Any]]]:
        """Each finding with the rule it counts as (see :meth:`rules`)."""
        out: list[tuple[str, dict[str, Any]]] = []
        for f in self.findings:
            rule = f["rule"]
            if rule not in RULES and aliases is not None and rule in aliases:
                where = ("dockerfile" if f["file"] == self.dockerfile
                         else "script_exec" if f.get("exec") and
                         "script_exec" in aliases[rule] else "script")
                rule = aliases[rule].get(where, "")
            out.append((rule, f))
        return out


def _rel(path: Path, root: Path) -> str:
    try:
        return Path(os.path.relpath(path.resolve(), root.resolve())).as_posix()
    except ValueError:
        return path.as_posix()


def choose_context(task: Task) -> Path:
    if task.context is not None:
        return task.context
    from entrylint.model import find_compose

    compose = find_compose(task.dockerfile, task.root)
    if compose.context is not None:
        return compose.context
    return corpus_heuristic.guess_context(task.dockerfile, task.root)


def analyse(task: Task) -> Outcome:
    """Lint one Dockerfile in-process (the worker calls this)."""
    from entrylint.engine import lint_paths

    t0 = time.perf_counter()
    out = Outcome(repo=task.repo, dockerfile=_rel(task.dockerfile, task.root), context=".")
    try:
        ctx = choose_context(task)
        out.context = _rel(ctx, task.root)
        startup = corpus_heuristic.analyse(task.dockerfile, ctx, task.root)
        out.start_words, out.expected_scripts = startup.words, startup.scripts
        result = lint_paths([task.dockerfile], context=ctx, unused_ignores=False, jobs=1)
        if result.errors:
            out.error = "; ".join(e.reason for e in result.errors)
        for rec in result.linted:  # one record per linted Dockerfile (engine.Result)
            out.followed = [_rel(s.path, task.root) if not s.heredoc
                            else f"<heredoc>/{s.container_path.rsplit('/', 1)[-1]}"
                            for s in rec.scripts]
            out.followed_as = [s.container_path for s in rec.scripts]
            out.unresolved = [{"path": u.path, "reason": u.reason, "where": ""}
                              for u in rec.unresolved]
        out.findings = [{"rule": d.rule, "file": _rel(d.path, task.root), "line": d.line,
                         "message": d.message, "exec": _execs(d.path, d.line)}
                        for d in result.diagnostics]
        if out.runs_script and out.error is None and not out.is_followed:
            out.start_argv = _start_argv(task, ctx)
    except Exception:  # a crash is a result here: it is reported, not raised
        out.crash = traceback.format_exc(limit=6)
    out.seconds = round(time.perf_counter() - t0, 3)
    return out


def _execs(path: Path, line: int | None) -> bool:
    """Whether the finding's line starts with ``exec`` (a command the script does exec)."""
    if line is None or path.suffix in (".json", ".yml", ".yaml"):
        return False
    try:
        with open(path, "rb") as fh:
            for i, text in enumerate(fh, 1):
                if i == line:
                    return text.lstrip().startswith(b"exec ")
    except OSError:
        pass
    return False


def _start_argv(task: Task, ctx: Path) -> list[str] | None:
    """ENTRYPOINT + CMD as entrylint reads them (for the not-followed list)."""
    from entrylint.model import load

    argv: list[str] | None = load(task.dockerfile, context=ctx).start_argv
    return argv


def _child(conn: Connection, task: Task) -> None:
    try:
        conn.send(asdict(analyse(task)))
    finally:
        conn.close()


def run_tasks(tasks: Sequence[Task], jobs: int = 1, timeout: float = 60.0,
              isolate: bool = True) -> list[Outcome]:
    """Each task in its own forked worker, ``jobs`` at a time; a hang is killed at
    ``timeout`` seconds and reported as a crash."""
    if not isolate:
        return [analyse(t) for t in tasks]
    ctx = multiprocessing.get_context("fork")
    results: dict[int, Outcome] = {}
    pending = list(enumerate(tasks))
    running: dict[int, tuple[Any, Connection, float, Task]] = {}
    while pending or running:
        while pending and len(running) < max(1, jobs):
            i, task = pending.pop(0)
            parent, child = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(child, task), daemon=True)
            proc.start()
            child.close()
            running[i] = (proc, parent, time.monotonic(), task)
        for i, (proc, conn, started, task) in list(running.items()):
            got: Outcome | None = None
            if conn.poll(0.02):
                try:
                    got = Outcome(**conn.recv())
                except EOFError:
                    got = _failed(task, f"worker died (exit code {proc.exitcode})", started)
            elif not proc.is_alive() and not conn.poll(0):
                got = _failed(task, f"worker died (exit code {proc.exitcode})", started)
            elif time.monotonic() - started > timeout:
                proc.kill()
                got = _failed(task, f"timeout after {timeout:g} s", started)
            if got is not None:
                proc.join(1)
                conn.close()
                results[i] = got
                del running[i]
    return [results[i] for i in range(len(tasks))]


def _failed(task: Task, why: str, started: float) -> Outcome:
    return Outcome(repo=task.repo, dockerfile=_rel(task.dockerfile, task.root), context=".",
                   crash=why, seconds=round(time.monotonic() - started, 3))


# ------------------------------------------------------------------------------------------
# Repositories and Dockerfiles
# ------------------------------------------------------------------------------------------


def repo_name(directory: Path) -> str:
    return directory.name.replace("+", "/", 1)


def repositories(checkouts: Path, only: Iterable[str] = ()) -> list[Path]:
    wanted = {o.replace("/", "+", 1).lower() for o in only}
    return sorted(d for d in checkouts.iterdir()
                  if d.is_dir() and (not wanted or d.name.lower() in wanted))


def dockerfile_tasks(repos: Iterable[Path]) -> Iterator[Task]:
    from entrylint.discovery import discover

    for root in repos:
        for df in discover([root]):
            yield Task(repo=repo_name(root), root=root, dockerfile=df.resolve())


def commit_of(root: Path) -> str | None:
    head = root / ".git" / "HEAD"
    try:
        ref = head.read_text().strip()
    except OSError:
        return None
    if not ref.startswith("ref: "):
        return ref
    name = ref[5:]
    loose = root / ".git" / name
    if loose.is_file():
        return loose.read_text().strip()
    packed = root / ".git" / "packed-refs"
    if packed.is_file():
        for line in packed.read_text().splitlines():
            if line.endswith(" " + name):
                return line.split()[0]
    return None


# ------------------------------------------------------------------------------------------
# Labels: precision and recall
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Label:
    repo: str
    commit: str
    dockerfile: str
    split: str
    expect: frozenset[str]
    note: str = ""
    context: str | None = None

    def key(self) -> tuple[str, str]:
        return self.repo.lower(), self.dockerfile


def read_labels(path: Path) -> list[Label]:
    with open(path, "rb") as fh:
        doc = tomllib.load(fh)
    out: list[Label] = []
    for c in doc.get("case", []):
        unknown = set(c.get("expect", [])) - set(RULES)
        if unknown or c.get("split") not in SPLITS:
            raise ValueError(f"{path}: bad case {c.get('repo')}:{c.get('dockerfile')}")
        out.append(Label(repo=c["repo"], commit=c.get("commit", ""), dockerfile=c["dockerfile"],
                         split=c["split"], expect=frozenset(c.get("expect", [])),
                         note=c.get("note", ""), context=c.get("context")))
    return out


def read_aliases(path: Path) -> Aliases:
    """The labels file's ``[aliases]`` table (rules split out of EL101-EL105 later)."""
    with open(path, "rb") as fh:
        doc = tomllib.load(fh)
    table = doc.get("aliases", {})
    return {str(k): {str(a): str(b) for a, b in v.items()} for k, v in table.items()}


def label_tasks(labels: Iterable[Label], checkouts: Path) -> list[Task]:
    tasks = []
    for lab in labels:
        root = checkouts / lab.repo.replace("/", "+", 1)
        ctx = root / lab.context if lab.context is not None else None
        tasks.append(Task(repo=lab.repo, root=root, dockerfile=(root / lab.dockerfile).resolve(),
                          context=ctx))
    return tasks


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


@dataclass
class Mistake:
    kind: str  # "FP" or "FN"
    rule: str
    label: Label
    detail: str


def score_labels(labels: Sequence[Label], outcomes: dict[tuple[str, str], Outcome],
                 aliases: Aliases | None = None
                 ) -> tuple[dict[str, dict[str, Score]], list[Mistake]]:
    scores: dict[str, dict[str, Score]] = {s: {r: Score() for r in RULES} for s in SPLITS}
    mistakes: list[Mistake] = []
    for lab in labels:
        out = outcomes.get(lab.key())
        got = out.rules(aliases) if out is not None and out.crash is None else set()
        for rule in RULES:
            sc = scores[lab.split][rule]
            if rule in got and rule in lab.expect:
                sc.tp += 1
            elif rule in got:
                sc.fp += 1
                msg = next((f"{f['file']}:{f['line']}: {f['rule']} {f['message']}"
                            for r, f in (out.mapped(aliases) if out else []) if r == rule), "")
                mistakes.append(Mistake("FP", rule, lab, msg))
            elif rule in lab.expect:
                sc.fn += 1
                why = "crashed" if out is not None and out.crash else ""
                if out is not None and not out.crash and not out.runs_script:
                    why = "no start script; fired: " + (" ".join(sorted(got)) or "nothing")
                elif out is not None and not out.crash and not out.followed:
                    why = "no script followed" + "".join(
                        f"; {u['path']}: {u['reason']}" for u in out.unresolved)
                elif out is not None and not out.crash:
                    why = "followed " + ", ".join(out.followed) + "; fired: " + (
                        " ".join(sorted(got)) or "nothing")
                mistakes.append(Mistake("FN", rule, lab, why))
    return scores, mistakes


# ------------------------------------------------------------------------------------------
# Report
# ------------------------------------------------------------------------------------------


def summary(outcomes: Sequence[Outcome], repos: int, seconds: float) -> dict[str, Any]:
    linted = [o for o in outcomes if o.crash is None and o.error is None]
    with_script = [o for o in outcomes if o.runs_script and o.crash is None and o.error is None]
    followed = [o for o in with_script if o.is_followed]
    per_rule: Counter[str] = Counter()
    per_rule_files: dict[str, set[str]] = defaultdict(set)
    for o in outcomes:
        for f in o.findings:
            per_rule[f["rule"]] += 1
            per_rule_files[f["rule"]].add(o.repo + ":" + o.dockerfile)
    repos_with = {o.repo for o in with_script}
    repos_all = {o.repo for o in with_script if all(
        p.is_followed for p in with_script if p.repo == o.repo)}
    return {
        "repositories": repos,
        "dockerfiles": len(outcomes),
        "linted": len(linted),
        "refused": len([o for o in outcomes if o.error is not None]),
        "crashes": len([o for o in outcomes if o.crash is not None]),
        "runs_context_script": len(with_script),
        "followed": len(followed),
        "follow_rate": round(len(followed) / len(with_script), 3) if with_script else None,
        "repos_with_script_startup": len(repos_with),
        "repos_all_followed": len(repos_all),
        "findings": dict(sorted(per_rule.items())),
        "dockerfiles_with_finding": {r: len(v) for r, v in sorted(per_rule_files.items())},
        "seconds": round(seconds, 1),
    }


def _fmt(x: float | None) -> str:
    return "  -  " if x is None else f"{x:.2f}"


def not_followed_reason(o: Outcome) -> str:
    if o.unresolved:
        return "; ".join(f"{u['path']}: {u['reason']}" + (f" [{u['where']}]" if u["where"] else "")
                         for u in o.unresolved)  # the reason names the instruction
    if o.followed:
        return "followed other scripts only: " + ", ".join(o.followed)
    if o.start_argv is None:
        return "entrylint: start-up unknown (inherited from the base image), no reason given"
    return "no reason given; start argv " + json.dumps(o.start_argv)


def render(summ: dict[str, Any], outcomes: Sequence[Outcome],
           scores: dict[str, dict[str, Score]] | None, mistakes: Sequence[Mistake]) -> str:
    s = summ
    lines = [
        f"entrylint corpus: {s['repositories']} repositories, {s['dockerfiles']} Dockerfiles "
        f"({s['linted']} linted, {s['refused']} refused, {s['crashes']} crashes), "
        f"{s['seconds']} s",
        f"start-up runs a build-context script (heuristic): {s['runs_context_script']} "
        f"Dockerfiles in {s['repos_with_script_startup']} repositories",
        f"  followed by entrylint: {s['followed']} "
        f"({_fmt(s['follow_rate'])}); repositories with every one followed: "
        f"{s['repos_all_followed']}/{s['repos_with_script_startup']}",
        "findings per rule (findings / Dockerfiles): " + ", ".join(
            f"{r} {n}/{s['dockerfiles_with_finding'].get(r, 0)}"
            for r, n in s["findings"].items()),
        "",
        "not followed:",
    ]
    for o in outcomes:
        if o.runs_script and o.crash is None and o.error is None and not o.is_followed:
            lines.append(f"  {o.repo}:{o.dockerfile} [context {o.context}] "
                         f"({', '.join(o.expected_scripts)}): {not_followed_reason(o)}")
    refused = [o for o in outcomes if o.error is not None]
    if refused:
        lines += ["", "refused by entrylint:"]
        lines += [f"  {o.repo}:{o.dockerfile}: {o.error}" for o in refused]
    crashed = [o for o in outcomes if o.crash is not None]
    if crashed:
        lines += ["", "crashes:"]
        for o in crashed:
            last = o.crash.strip().splitlines()[-1] if o.crash else ""
            lines.append(f"  {o.repo}:{o.dockerfile}: {last}")
    if scores is not None:
        lines += ["", "hand labels: precision / recall (tp fp fn)"]
        for split in SPLITS:
            if not any(scores[split][r].tp + scores[split][r].fp + scores[split][r].fn
                       for r in RULES):
                continue  # no case (a held-out split whose cases have moved to dev)
            for rule in RULES:
                sc = scores[split][rule]
                lines.append(f"  {split:8} {rule}: P {_fmt(sc.precision)}  R {_fmt(sc.recall)}"
                             f"  ({sc.tp} {sc.fp} {sc.fn})")
        for m in mistakes:
            lines.append(f"  {m.kind} {m.rule} [{m.label.split}] {m.label.repo}:"
                         f"{m.label.dockerfile}: {m.detail}")
    return "\n".join(lines)


def evaluate(checkouts: Path, only: Sequence[str] = (), labels_path: Path | None = None,
             labelled_only: bool = False, jobs: int = 1, timeout: float = 60.0,
             isolate: bool = True) -> dict[str, Any]:
    """The whole evaluation as data: ``summary``, ``outcomes``, ``scores``, ``mistakes``."""
    t0 = time.perf_counter()
    labels = read_labels(labels_path) if labels_path is not None else []
    if only:
        wanted = {o.lower() for o in only}
        labels = [lab for lab in labels if lab.repo.lower() in wanted]
    repos = [] if labelled_only else repositories(checkouts, only)
    tasks = list(dockerfile_tasks(repos))
    done = {(t.repo.lower(), _rel(t.dockerfile, t.root)) for t in tasks}
    extra = [t for lab, t in zip(labels, label_tasks(labels, checkouts), strict=True)
             if lab.key() not in done or lab.context is not None]
    outcomes = run_tasks(tasks, jobs, timeout, isolate)
    extra_out = run_tasks(extra, jobs, timeout, isolate)
    by_key = {(o.repo.lower(), o.dockerfile): o for o in outcomes}
    by_key.update({(o.repo.lower(), o.dockerfile): o for o in extra_out})
    shown = outcomes if not labelled_only else extra_out
    n_repos = len(repos) if not labelled_only else len({lab.repo for lab in labels})
    summ = summary(shown, n_repos, time.perf_counter() - t0)
    aliases = read_aliases(labels_path) if labels_path is not None else {}
    scores, mistakes = score_labels(labels, by_key, aliases) if labels else (None, [])
    stale = [lab for lab in labels
             if lab.commit and commit_of(checkouts / lab.repo.replace("/", "+", 1))
             not in (lab.commit, None)]
    return {"summary": summ, "outcomes": shown, "scores": scores, "mistakes": mistakes,
            "stale_labels": stale}


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--checkouts", type=Path, required=True, help="directory of checkouts")
    ap.add_argument("--labels", type=Path, help="hand labels (bench/labels.toml)")
    ap.add_argument("--only", action="append", default=[], metavar="REPO",
                    help="only this repository (owner/name); repeatable")
    ap.add_argument("--labelled-only", action="store_true",
                    help="only the Dockerfiles that --labels names")
    ap.add_argument("--json", action="store_true", help="machine-readable output")
    ap.add_argument("--json-out", type=Path, help="also write the JSON output to this file")
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds per Dockerfile")
    args = ap.parse_args(argv)
    res = evaluate(args.checkouts, args.only, args.labels, args.labelled_only, args.jobs,
                   args.timeout)
    if args.json or args.json_out:
        doc = {
            "summary": res["summary"],
            "outcomes": [dict(asdict(o), runs_script=o.runs_script, followed_ok=o.is_followed)
                         for o in res["outcomes"]],
            "scores": None if res["scores"] is None else {
                split: {r: dict(asdict(sc), precision=sc.precision, recall=sc.recall)
                        for r, sc in per.items()} for split, per in res["scores"].items()},
            "mistakes": [{"kind": m.kind, "rule": m.rule, "split": m.label.split,
                          "repo": m.label.repo, "dockerfile": m.label.dockerfile,
                          "detail": m.detail} for m in res["mistakes"]],
        }
        text = json.dumps(doc, indent=1)
        if args.json_out:
            args.json_out.write_text(text + "\n", encoding="utf-8")
        if args.json:
            print(text)
    if not args.json:
        print(render(res["summary"], res["outcomes"], res["scores"], res["mistakes"]))
        for lab in res["stale_labels"]:
            print(f"warning: {lab.repo} is not checked out at the labelled commit {lab.commit}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
