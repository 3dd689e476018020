#!/usr/bin/env python3
"""Measure: does pre-commit print a finding twice when it splits the file list?

Generates a git repository with N files (default 5,000: long paths, so that pre-commit's
command line limit of 128 KiB splits `--all-files` into several processes), in which
`aaa/Dockerfile` runs `zzz/start.sh`, so the two land in different batches.  Then runs
`pre-commit run --all-files` with two local hook declarations that call this checkout's
entrylint:

* `per-file`: the old declaration (`types: [text]`, the file names passed, `--changed-files`);
* `repository`: the one `.pre-commit-hooks.yaml` has now (`pass_filenames: false`).

For each it prints how many processes ran (summary lines), how often each finding was printed,
and the wall time.  Exits 1 when the shipped declaration prints a finding more than once.

    python bench/precommit_split.py [--files N]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

DOCKERFILE = ("FROM debian:12-slim\nCOPY zzz/start.sh /start.sh\n"
              'ENTRYPOINT ["/start.sh"]\nCMD server --port 80\n')
SCRIPT = "#!/bin/sh\nset -e\nserver --port 80\n"
FINDING = re.compile(r"^(\S+:\d+:\d+: EL\d{3})", re.MULTILINE)


def make_repo(root: Path, files: int) -> None:
    """``files`` text files in a committed git repository, Dockerfile first, script last."""
    root.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    (root / "aaa").mkdir()
    (root / "aaa/Dockerfile").write_text(DOCKERFILE)
    (root / "zzz").mkdir()
    (root / "zzz/start.sh").write_text(SCRIPT)
    for i in range(files - 2):
        d = root / f"src/package_{i // 100:03d}/subpackage_of_the_project"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"module_with_a_long_name_{i:05d}.txt").write_text(f"{i}\n")
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run(["git", "-c", "user.email=b@example.com", "-c", "user.name=b", "commit",
                    "-qm", "init"], cwd=root, check=True)


def hook_config(entrylint: str, declaration: str) -> str:
    common = f"      entry: {entrylint} check\n      language: system\n      types: [text]\n" \
             "      require_serial: true\n"
    if declaration == "per-file":
        return ("repos:\n  - repo: local\n    hooks:\n    - id: entrylint\n"
                "      name: entrylint\n" + common.replace(" check\n", " check --changed-files\n"))
    return ("repos:\n  - repo: local\n    hooks:\n    - id: entrylint\n      name: entrylint\n"
            + common + "      pass_filenames: false\n")


def run(repo: Path, declaration: str, entrylint: str, pre_commit: str
        ) -> tuple[float, Counter[str], int]:
    config = repo.parent / f"{declaration}.yaml"
    config.write_text(hook_config(entrylint, declaration))
    env = dict(os.environ, NO_COLOR="1", PRE_COMMIT_HOME=str(repo.parent / "pc-home"))
    t0 = time.perf_counter()
    proc = subprocess.run([pre_commit, "run", "--all-files", "--config", str(config),
                           "--color=never", "--verbose"], cwd=repo, env=env,
                          capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - t0
    return elapsed, Counter(FINDING.findall(proc.stdout)), proc.stdout.count("Linted ")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=5000)
    args = ap.parse_args()
    bindir = Path(sys.executable).parent
    entrylint = shutil.which("entrylint", path=str(bindir)) or shutil.which("entrylint")
    pre_commit = shutil.which("pre-commit", path=str(bindir)) or shutil.which("pre-commit")
    if entrylint is None or pre_commit is None:
        print("needs entrylint and pre-commit on PATH (pip install -e '.[test]')",
              file=sys.stderr)
        return 2
    worst = 0
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "repo"
        make_repo(repo, args.files)
        print(f"{args.files} files in {repo}")
        for declaration in ("per-file", "repository"):
            elapsed, findings, processes = run(repo, declaration, entrylint, pre_commit)
            most = max(findings.values(), default=0)
            print(f"{declaration:>10}: {processes} entrylint processes, "
                  f"{len(findings)} findings, each printed up to {most}x, {elapsed:.1f} s")
            if declaration == "repository":
                worst = most
    return 0 if worst == 1 else 1


if __name__ == "__main__":
    raise SystemExit(main())
