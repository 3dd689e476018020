#!/usr/bin/env python3
"""Benchmark: how long `entrylint check` takes on many Dockerfiles and scripts.

Generates N small projects (Dockerfile + start script) in a temporary directory from the test
fixtures, then times one `entrylint check` process over all of them, and one process per file
(the pre-commit pattern).  Goals (2-core machine): 1,000 Dockerfiles in one call under 10 s;
a single file, start-up included, under 0.3 s.  Prints the measurements and whether each goal
was met; exits 1 when one was missed.

    python bench/lint_speed.py [--copies N]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=35, help="copies of the fixture set")
    args = ap.parse_args()
    entrylint = shutil.which("entrylint")
    cmd = [entrylint] if entrylint else [sys.executable, "-m", "entrylint"]
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for i in range(args.copies):
            for case in FIXTURES.iterdir():
                if case.is_dir():
                    shutil.copytree(case, work / f"{i:03d}-{case.name}")
        dockerfiles = sorted(work.rglob("Dockerfile"))
        t0 = time.perf_counter()
        subprocess.run([*cmd, "check", "-q", "--format", "json", str(work)],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        whole = time.perf_counter() - t0
        sample = dockerfiles[:20]
        t0 = time.perf_counter()
        for f in sample:
            subprocess.run([*cmd, "check", "-q", str(f)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        single = (time.perf_counter() - t0) / len(sample)
    per_1000 = whole / len(dockerfiles) * 1000
    ok_whole, ok_single = per_1000 < 10.0, single < 0.3
    print(f"{len(dockerfiles)} Dockerfiles in one call: {whole:.2f} s "
          f"({per_1000:.2f} s per 1,000; goal < 10 s: {'met' if ok_whole else 'MISSED'})")
    print(f"one process per file: {single * 1000:.0f} ms each "
          f"(goal < 300 ms: {'met' if ok_single else 'MISSED'})")
    return 0 if ok_whole and ok_single else 1


if __name__ == "__main__":
    raise SystemExit(main())
