"""The data tables of ``entrylint/data``, parsed once per change of the file, like bytecode.

Parsing ``base_images.toml`` (tomllib is pure Python) and indexing ``official_images.json``
cost a one-file run 5-10 ms; their parsed form, kept with :mod:`marshal` in
``data/__pycache__`` and keyed by the source's size and modification time (as CPython keys
``.pyc`` files), loads in a tenth of a millisecond.  The cache is a convenience only: it is
not written when bytecode is not (``PYTHONDONTWRITEBYTECODE``, ``-B``) or the directory is
read-only, and a missing, stale or damaged one is parsed again from the source.
"""

from __future__ import annotations

import contextlib
import marshal
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

#: Bumped when the layout of a cached file changes.
_FORMAT = 1


def _cache_path(source: Path) -> Path:
    tag = sys.implementation.cache_tag or "python"
    return source.parent / "__pycache__" / f"{source.name}.{tag}.marshal"


def load(source: Path, parse: Callable[[str], Any]) -> Any:
    """``parse(source's text)``, from the cache when it matches the source."""
    st = os.stat(source)
    key = (_FORMAT, st.st_size, st.st_mtime_ns, parse.__qualname__)
    cache = _cache_path(source)
    try:
        with open(cache, "rb") as fh:
            stored_key, value = marshal.loads(fh.read())  # marshal.load(fh) reads piecemeal
        if tuple(stored_key) == key:
            return value
    except (OSError, EOFError, ValueError, TypeError):
        pass
    value = parse(source.read_text("utf-8"))
    if not sys.dont_write_bytecode:
        _store(cache, key, value)
    return value


def _store(cache: Path, key: tuple[Any, ...], value: Any) -> None:
    tmp = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
    try:
        cache.parent.mkdir(exist_ok=True)
        with open(tmp, "wb") as fh:
            fh.write(marshal.dumps((key, value)))
        os.replace(tmp, cache)  # atomic: a concurrent run reads the old file or the new one
    except (OSError, ValueError):  # read-only install, full disk, unmarshallable value
        with contextlib.suppress(OSError):
            os.unlink(tmp)
