"""Run the CLI in-process from a given directory (paths in reports are relative to it)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from click.testing import CliRunner, Result

from entrylint.cli import main


def invoke_in(cwd: Path, args: Sequence[str], *, catch_exceptions: bool = True,
              input: str | None = None) -> Result:
    """``entrylint ARGS`` run from ``cwd`` (``input`` on standard input); the current
    directory is restored afterwards."""
    old = Path.cwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(main, list(args), catch_exceptions=catch_exceptions,
                                  input=input)
    finally:
        os.chdir(old)


def report_root(cwd: Path) -> Path:
    """The directory entrylint's reports name files from when it runs in ``cwd`` (found here,
    not by entrylint): the nearest directory at or above it holding ``.git``, else ``cwd``.
    The fixtures have no ``.git`` of their own, so for them it is the project's checkout."""
    start = cwd.resolve()
    return next((d for d in (start, *start.parents) if (d / ".git").exists()), start)


def shown(cwd: Path, name: str) -> str:
    """``name``, a path relative to ``cwd``, as the reports of a run in ``cwd`` show it."""
    return (cwd.resolve() / name).relative_to(report_root(cwd)).as_posix()
