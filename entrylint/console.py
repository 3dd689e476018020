"""Writing to the terminal: stderr messages escaped (:mod:`entrylint.escape`), and stdout that
may be closed, a broken pipe or a full disk without a traceback."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import NoReturn

import click

from entrylint.escape import terminal

EXIT_ERROR = 2


def echo_err(message: str) -> None:
    """Print one message (which may quote file names and script text) on stderr, safely."""
    with contextlib.suppress(OSError):  # stderr itself is gone: nothing left to tell
        click.echo(terminal(message, one_line=False), err=True)


def echo_out(text: str, *, nl: bool = True, err: bool = False) -> None:
    """Print the report (already escaped where it quotes untrusted text) on stdout, or on
    stderr with ``err``; a reader that went away or a full disk ends the run with exit status
    2 and a message on stderr."""
    if err:
        with contextlib.suppress(OSError):
            click.echo(text, nl=nl, err=True)
        return
    if sys.stdout is None:  # started with stdout closed (`>&-`)
        echo_err("entrylint: error: cannot write to standard output (it is closed)")
        raise SystemExit(EXIT_ERROR)
    try:
        click.echo(text, nl=nl)
        sys.stdout.flush()
    except OSError as exc:
        stdout_failed(exc)


def stdout_failed(exc: OSError) -> NoReturn:
    # Point stdout at /dev/null so the interpreter's final flush does not fail again.
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    reason = "broken pipe" if isinstance(exc, BrokenPipeError) else (exc.strerror or str(exc))
    echo_err(f"entrylint: error: cannot write to standard output ({reason})")
    raise SystemExit(EXIT_ERROR)
