"""The repository boundary, and the one way entrylint reads a file from disk.

Nothing outside the repository root of the Dockerfile being linted is read, shown, probed or
written.  :func:`confine` resolves a path one component at a time, following symlinks only
while they stay inside the root, and never looks at (``lstat``, ``open``) anything beyond it:
so the answer for a path outside is the same whether or not that path exists on the host.
:func:`read_regular` opens only regular files (a FIFO, device or socket is refused before it can
block), without following a final symlink, and reads at most a given number of bytes.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from entrylint import runmemo

#: Symlinks followed while resolving one path (Linux's own limit is 40).
MAX_SYMLINKS = 40


class BoundaryError(Exception):
    """A path that cannot be read: ``reason`` says why, in words for a report."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


OUTSIDE = "lies outside the repository (entrylint does not read it)"
LINK_OUTSIDE = "is a symlink that points outside the repository"


def _parts(path: str) -> list[str]:
    return [p for p in path.split("/") if p not in ("", ".")]


def is_inside(path: Path | str, root: Path | str) -> bool:
    """Lexically: ``path`` (absolute and normalised) is ``root`` or lies below it."""
    p, r = os.path.normpath(str(path)), os.path.normpath(str(root))
    return p == r or p.startswith(r.rstrip("/") + "/")


def confine(path: Path, root: Path) -> Path:
    """``path`` with every symlink resolved, or :class:`BoundaryError` when it (or a symlink
    on the way) leaves ``root``.  A component that does not exist ends the walk: the rest is
    appended as written.  ``path`` may be relative (to the current directory) or absolute, and
    must name ``root`` or something below it (``root`` as given or resolved).  The root's
    real path and each directory on the way are looked up once per run
    (:mod:`entrylint.runmemo`); files, one per path, are not remembered."""
    real_root: str = runmemo.remembered("realpath", os.path.realpath, root)
    absolute = os.path.normpath(os.path.abspath(path))
    given_root = os.path.normpath(os.path.abspath(root))
    for base in (given_root, real_root):
        if is_inside(absolute, base):
            rest = _parts(absolute[len(base):])
            break
    else:
        raise BoundaryError(path, OUTSIDE)
    cur = real_root
    links = 0
    via_link = False
    while rest:
        name = rest.pop(0)
        if name == "..":
            if cur == real_root:
                raise BoundaryError(path, LINK_OUTSIDE if via_link else OUTSIDE)
            cur = os.path.dirname(cur)
            continue
        nxt = os.path.join(cur, name)
        st = runmemo.directory_lstat(nxt)
        if st is None:
            try:
                st = os.lstat(nxt)
            except FileNotFoundError:
                return Path(os.path.join(nxt, *rest))
            except NotADirectoryError:
                return Path(os.path.join(nxt, *rest))
            except OSError as exc:
                if exc.errno == errno.ENAMETOOLONG:
                    raise BoundaryError(path, "has a name too long for the file system"
                                        ) from None
                raise BoundaryError(path, os.strerror(exc.errno or errno.EIO)) from None
            runmemo.note_directory(nxt, st)
        if not stat.S_ISLNK(st.st_mode):
            cur = nxt
            continue
        links += 1
        if links > MAX_SYMLINKS:
            raise BoundaryError(path, "is a symlink loop")
        target = os.readlink(nxt)
        via_link = True
        if target.startswith("/"):
            target = os.path.normpath(target)
            into = next((b for b in (real_root, given_root) if is_inside(target, b)), None)
            if into is None:
                raise BoundaryError(path, LINK_OUTSIDE)
            cur = real_root
            rest = _parts(target[len(into):]) + rest
        else:
            rest = _parts(target) + rest
    return Path(cur)


def read_head(path: Path, size: int) -> bytes:
    """The first ``size`` bytes of a regular file; ``b""`` for anything else (a FIFO is not
    opened for reading in a way that could block, nor is a device read)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    except OSError:
        return b""
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return b""
        return os.read(fd, size)
    except OSError:
        return b""
    finally:
        os.close(fd)


def read_regular(path: Path, limit: int, *, root: Path | None = None) -> tuple[bytes, int]:
    """(the bytes of the regular file ``path``, its ``st_mode``).

    Raises :class:`BoundaryError` for a path outside ``root`` (when given), a directory, a
    FIFO, device or socket (refused without blocking), a file over ``limit`` bytes, or any
    error the system reports (in words)."""
    real = confine(path, root) if root is not None else Path(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0)
    if root is not None:
        flags |= getattr(os, "O_NOFOLLOW", 0)  # confine() resolved every link already
    try:
        fd = os.open(real, flags)
    except OSError as exc:
        raise BoundaryError(path, reason(exc)) from None
    try:
        st = os.fstat(fd)
        if stat.S_ISDIR(st.st_mode):
            raise BoundaryError(path, "is a directory")
        if not stat.S_ISREG(st.st_mode):
            raise BoundaryError(path, f"is not a regular file (a {_kind(st.st_mode)})")
        if st.st_size > limit:
            raise BoundaryError(path, f"is {st.st_size} bytes, over the {limit} byte limit")
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        size = 0
        while size <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:  # it grew while being read
            raise BoundaryError(path, f"is over the {limit} byte limit")
        return b"".join(chunks), st.st_mode
    except OSError as exc:
        raise BoundaryError(path, reason(exc)) from None
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode):
        return "character device"
    if stat.S_ISBLK(mode):
        return "block device"
    return "special file"


def reason(exc: OSError) -> str:
    """An OS error in the words of a report."""
    code = exc.errno
    if code == errno.ENOENT:
        return "no such file"
    if code in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if code == errno.ELOOP:
        return "is a symlink loop"
    if code == errno.ENAMETOOLONG:
        return "has a name too long for the file system"
    if code == errno.ENXIO:
        return "is not a regular file (a socket or device without a reader)"
    return os.strerror(code) if code else str(exc)
