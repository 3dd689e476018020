"""Source files: exact bytes, and byte offset <-> (line, column) conversion."""

from __future__ import annotations

import bisect
import contextlib
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from entrylint.boundary import BoundaryError, read_regular

#: Files larger than this are not read (a Dockerfile or start script is a few KiB; the cost of
#: linting is linear, but a 4 MiB script still takes seconds a pre-commit hook should not).
MAX_FILE_BYTES = 1024 * 1024


class SourceError(Exception):
    """A file that cannot be linted: the message names the reason."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


@dataclass
class SourceFile:
    """One file as bytes.  Offsets everywhere in entrylint are byte offsets into ``data``."""

    path: Path
    data: bytes
    mode: int | None = None  # st_mode when read from disk
    _line_starts: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        starts = [0]
        find = self.data.find
        i = find(b"\n")
        while i != -1:
            starts.append(i + 1)
            i = find(b"\n", i + 1)
        self._line_starts = starts

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace")

    @property
    def crlf(self) -> bool:
        """Its line endings are CRLF: its first line ends in ``\\r\\n`` (what the kernel and a
        shell read first).  A ``\\r\\n`` further down in a file whose first line ends in LF
        alone is data of that line (an HTTP header in a heredoc), not Windows line endings:
        such a script starts, and converting it would change what it does."""
        end = self.data.find(b"\n")
        return end > 0 and self.data[end - 1:end] == b"\r"

    @property
    def executable(self) -> bool | None:
        if self.mode is None:
            return None
        return bool(self.mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH))

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column); the column counts characters, not bytes."""
        offset = max(0, min(offset, len(self.data)))
        line = bisect.bisect_right(self._line_starts, offset) - 1
        start = self._line_starts[line]
        column = len(self.data[start:offset].decode("utf-8", errors="replace")) + 1
        return line + 1, column

    def line_start(self, line: int) -> int:
        return self._line_starts[line - 1]

    def line_end(self, line: int) -> int:
        """Offset of the end of ``line`` (before its ``\\r\\n`` or ``\\n``)."""
        end = self._line_starts[line] - 1 if line < len(self._line_starts) else len(self.data)
        if end > 0 and self.data[end - 1 : end] == b"\r" and end > self._line_starts[line - 1]:
            end -= 1
        return end

    def line_text(self, line: int) -> str:
        return self.data[self.line_start(line) : self.line_end(line)].decode(
            "utf-8", errors="replace"
        )

    @property
    def line_count(self) -> int:
        return len(self._line_starts)


#: Contents that replace files on disk while the fixer re-lints edits it has not written yet
#: (keyed by resolved path).  Set only through :func:`overlay`.
_OVERLAY: dict[Path, bytes] = {}
#: Files that exist only in memory (standard input, an editor's unsaved buffer), keyed by
#: resolved path.  Set only through :func:`virtual`.
_VIRTUAL: dict[Path, bytes] = {}


@contextlib.contextmanager
def virtual(contents: Mapping[Path, bytes]) -> Iterator[None]:
    """Within the block, :func:`read_source` reads ``contents[path]`` as the file ``path``,
    whether or not it exists on disk (no mode; the symlink checks do not apply).  An
    :func:`overlay` of the same path still wins (the fixer's edits)."""
    saved = dict(_VIRTUAL)
    _VIRTUAL.update({p.resolve(): data for p, data in contents.items()})
    try:
        yield
    finally:
        _VIRTUAL.clear()
        _VIRTUAL.update(saved)


def _in_memory(path: Path) -> bytes | None:
    if not _VIRTUAL:
        return None
    try:
        key = path.resolve()
    except (OSError, RuntimeError):
        return None
    if key not in _VIRTUAL:
        return None
    return _OVERLAY.get(key, _VIRTUAL[key])


@contextlib.contextmanager
def overlay(contents: Mapping[Path, bytes]) -> Iterator[None]:
    """Within the block, :func:`read_source` returns ``contents[path]`` instead of the file's
    bytes (the file must still exist: its mode and the checks come from disk)."""
    saved = dict(_OVERLAY)
    _OVERLAY.clear()
    _OVERLAY.update({p.resolve(): data for p, data in contents.items()})
    try:
        yield
    finally:
        _OVERLAY.clear()
        _OVERLAY.update(saved)


def has_overlay() -> bool:
    """Whether :func:`read_source` may now return contents that are not on disk."""
    return bool(_OVERLAY)


def read_source(path: Path, *, root: Path | None = None) -> SourceFile:
    """Read a text file for linting, refusing what cannot be a Dockerfile or script.

    Raises :class:`SourceError` for a missing file, a path or symlink that leaves ``root``, a
    directory, FIFO, device or socket, a file over :data:`MAX_FILE_BYTES`, binary content (a
    NUL byte) or text that is not UTF-8.  Reading goes through
    :func:`entrylint.boundary.read_regular`, the one place that enforces the repository
    boundary.
    """
    memory = _in_memory(path)
    if memory is not None:
        return _text(path, memory, None)
    try:
        data, mode = read_regular(path, MAX_FILE_BYTES, root=root)
    except BoundaryError as exc:
        raise SourceError(path, exc.reason) from None
    if _OVERLAY:
        try:
            over = _OVERLAY.get(path.resolve())
        except (OSError, RuntimeError):
            over = None
        if over is not None:
            data = over
    return _text(path, data, mode)


def _text(path: Path, data: bytes, mode: int | None) -> SourceFile:
    """``data`` as a source file, unless it is binary, too large or not UTF-8."""
    if len(data) > MAX_FILE_BYTES:
        raise SourceError(path, f"is {len(data)} bytes, over the {MAX_FILE_BYTES} byte limit")
    if b"\x00" in data:
        raise SourceError(path, "is a binary file (contains NUL bytes)")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(
            path, f"is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})"
        ) from None
    return SourceFile(path=path, data=data, mode=mode)
