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
