"""``entrylint check -``: a Dockerfile read from standard input (editors, ``hadolint -``).

``--stdin-filename PATH`` says where the text lives: the build context, the scripts it runs,
``.dockerignore``, compose files and the configuration are then found as if the text were the
file ``PATH`` on disk (the file need not exist; if it does, its contents are not read).
Without it the text is linted as ``-`` in the current directory.  ``--fix -`` (and ``--diff``)
never write a file: ``--fix`` prints the fixed text to standard output, whether or not anything
changed, and the report of what remains to standard error; only the fixes that edit the
standard input's text are applied.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from entrylint.console import echo_err

if TYPE_CHECKING:
    from entrylint.check_command import CheckArgs
    from entrylint.config import ConfigLoader

STDIN = "-"


def wants_stdin(paths: Sequence[Path], stdin_filename: Path | None) -> bool:
    """``-`` among the paths, or ``--stdin-filename`` without paths."""
    return any(str(p) == STDIN for p in paths) or (stdin_filename is not None and not paths)


def read_stdin() -> bytes:
    return sys.stdin.buffer.read()


def write_stdout(data: bytes) -> None:
    from entrylint.console import stdout_failed

    if sys.stdout is None:
        echo_err("entrylint: error: cannot write to standard output (it is closed)")
        raise SystemExit(2)
    try:
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except OSError as exc:
        stdout_failed(exc)


def check_stdin(args: CheckArgs, loader: ConfigLoader, say: Callable[[str], None]) -> int:
    """Lint (or fix) standard input; returns the exit status."""
    from entrylint import check_command as cc
    from entrylint.engine import lint_paths
    from entrylint.source import virtual

    path = args.stdin_filename if args.stdin_filename is not None else Path(STDIN)
    data = read_stdin()
    options = cc.lint_options(args, loader, say)
    with virtual({path: data}):
        if args.fix or args.diff:
            from entrylint.fixer import fix_paths

            report = fix_paths([path], unsafe=args.unsafe_fixes, options=options, only=[path])
            result = report.result
            new = report.changes.get(path.resolve(), (data, data))[1]
            if args.diff:
                from entrylint.patchout import emit

                emit(report.diff())
                if args.show_fixes:
                    cc.show_fixes(report, err=True)
                return cc.EXIT_ERROR if result.errors else (
                    cc.EXIT_FINDINGS if report.changes else cc.EXIT_OK)
            write_stdout(new)
            cc.show(args, result, report, loader, err=True)
        else:
            report = None
            result = lint_paths([path], options)
            cc.show(args, result, None, loader)
    if result.errors:  # with --fix the text was echoed unchanged: an editor keeps its buffer
        return cc.EXIT_ERROR
    return cc.exit_status(args, result, report)
