"""Writing the report to ``--output FILE``, where a hostile repository cannot redirect it.

A repository can hold a symlink named like the report (``entrylint.sarif -> ~/.bashrc``, or a
dangling one into ``/etc``): a CI job that writes ``-o entrylint.sarif`` in its checkout would
then write outside it.  A symlink inside a git work tree is followed only while it stays in
that work tree; a path outside any work tree (``/dev/stdout``, ``/tmp/x``) is the user's own.
A FIFO with no reader is an error at once, not a write that blocks forever.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path


class ReportPathError(Exception):
    """The report is not written to this path: the message says why."""


def _check_boundary(path: Path) -> None:
    from entrylint.boundary import BoundaryError, confine
    from entrylint.repo import RepoRoots

    parent = path.parent.absolute()
    if not os.path.islink(path) or not parent.is_dir():
        return
    root = RepoRoots()(parent)
    if not (root / ".git").exists():
        return  # not in a work tree: nobody else's symlink to fear
    try:
        confine(path.absolute(), root)
    except BoundaryError as exc:
        raise ReportPathError(exc.reason) from None


def write_report(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path``; :class:`ReportPathError` or OSError."""
    _check_boundary(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NONBLOCK, 0o666)
    except OSError as exc:
        if exc.errno == errno.ENXIO:
            raise ReportPathError("is a FIFO that nobody reads") from None
        raise
    try:
        os.set_blocking(fd, True)
        view = memoryview(text.encode("utf-8", "surrogateescape"))
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)
