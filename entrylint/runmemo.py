"""File-system answers remembered for the length of one lint run.

A run over many Dockerfiles asks the same questions again and again: the real path of the
repository root, of each directory and COPY source (``Path.resolve()`` was a fifth of a
2,000-file run), whether a compose file or a COPY source exists.  Within
:func:`active` (one :func:`entrylint.engine.lint_paths` call, inherited by its forked
workers) each answer is computed once; outside it (the language server, a fix's re-lint,
the API) every call asks the file system, as before.  The file system is taken not to
change during one run, as every linter does; the next run asks again.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

_memo: dict[object, object] | None = None
_cwd = ""  # the working directory when the memo was made (a run does not change it)


@contextlib.contextmanager
def active() -> Iterator[None]:
    """Remember answers until the block ends (nested blocks share the outer memo)."""
    global _memo, _cwd
    previous = _memo
    if previous is None:
        _memo, _cwd = {}, os.getcwd()
    try:
        yield
    finally:
        _memo = previous


def _key(kind: str, *paths: Path | str) -> tuple[str, ...]:
    names = [os.fspath(p) for p in paths]
    for name in names:
        if not name.startswith("/"):  # a relative path: what it names depends on the cwd
            return (kind, _cwd, *names)
    return (kind, *names)


def remembered(kind: str, compute: Callable[..., T], *paths: Path | str) -> T:
    """``compute(*paths)``, once per run for ``kind`` and ``paths``.  An exception is not
    remembered: the next call computes again (and raises again)."""
    memo = _memo
    if memo is None:
        return compute(*paths)
    key = _key(kind, *paths)
    try:
        return memo[key]  # type: ignore[return-value]
    except KeyError:
        value = memo[key] = compute(*paths)
        return value


def resolve(path: Path) -> Path:
    """``path.resolve()`` (raises as it does: OSError, RuntimeError for a symlink loop)."""
    real: Path = remembered("resolve", Path.resolve, path)
    return real


def lexists(path: Path | str) -> bool:
    """``os.path.lexists(path)``."""
    return remembered("lexists", os.path.lexists, path)


def directory_lstat(name: str) -> os.stat_result | None:
    """The ``os.lstat`` of a directory already seen in this run (files are not kept: one
    entry per file of a large run would cost more memory than the look-ups save)."""
    memo = _memo
    if memo is None:
        return None
    st = memo.get(("dir", name))
    return st if isinstance(st, os.stat_result) else None


def note_directory(name: str, st: os.stat_result) -> None:
    """Keep ``st`` (the ``os.lstat`` of ``name``, an absolute path) if it is a directory."""
    memo = _memo
    if memo is not None and stat.S_ISDIR(st.st_mode):
        memo[("dir", name)] = st


def is_file(path: Path) -> bool:
    """``path.is_file()``."""
    return remembered("is_file", Path.is_file, path)
