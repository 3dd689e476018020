"""The one place entrylint writes the files it fixes: all of them, or none.

1. **Lock and check.**  Each file is opened and locked (``flock``, in path order so two runs
   cannot deadlock); once locked, it must still be the file at that path (same inode) and hold
   exactly the bytes that were linted, and have no other hard link (its other name could lie
   anywhere, and a rewrite would silently split the two).  Another ``entrylint --fix`` on the
   same files waits for the lock, then finds the new contents and writes nothing.
2. **Stage.**  The new contents go to a temporary file beside each original, flushed to disk,
   owned like the original (``chown`` first: it clears setuid/setgid) and then given its whole
   mode.  A full disk or a read-only directory fails here, before anything was replaced; so
   does a file this user may not write, or one whose owner a rewrite cannot keep (a rename in
   a writable directory would replace it all the same).
3. **Replace.**  Each original gets a hard link as a backup, then the temporary file is renamed
   over it.  If a rename fails, the files already replaced are put back from their backups.

Every temporary file and backup is removed on every path out, including Ctrl-C.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

#: How long to wait for another process that holds a file's lock.
LOCK_TIMEOUT = 30.0


class WriteError(Exception):
    def __init__(self, label: str, reason: str) -> None:
        super().__init__(f"{label}: {reason}")
        self.label = label
        self.reason = reason


@dataclass
class _Staged:
    real: Path
    label: str
    tmp: str | None = None
    backup: str | None = None
    replaced: bool = False


def _why(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "no space left on the device"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    return exc.strerror or str(exc)


def _lock(real: Path, label: str, deadline: float) -> int:
    """An open, locked descriptor of the file now at ``real``."""
    while True:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise WriteError(label, "is being fixed by another process; "
                                                "nothing was written") from None
                    time.sleep(0.05)
            now = os.stat(real, follow_symlinks=False)
            mine = os.fstat(fd)
            if (now.st_dev, now.st_ino) == (mine.st_dev, mine.st_ino):
                return fd
        except BaseException:
            os.close(fd)
            raise
        os.close(fd)  # replaced while we waited: lock the new file


def _read_all(fd: int) -> bytes:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _stage(item: _Staged, fd: int, data: bytes) -> None:
    st = os.fstat(fd)
    tfd, item.tmp = tempfile.mkstemp(dir=item.real.parent, prefix=f".{item.real.name[:100]}.",
                                     suffix=".entrylint")
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(tfd, view):]
        os.fsync(tfd)
        with contextlib.suppress(OSError):  # not root: only to a group of ours
            os.fchown(tfd, st.st_uid, st.st_gid)
        got = os.fstat(tfd)
        if (got.st_uid, got.st_gid) != (st.st_uid, st.st_gid):
            # the rename would hand another user's file to us (and a root-owned one too)
            raise WriteError(item.label, f"is owned by {st.st_uid}:{st.st_gid}, and a "
                                         "rewrite by this user cannot keep that owner; "
                                         "nothing was written")
        os.fchmod(tfd, st.st_mode & 0o7777)  # after chown, which clears setuid/setgid
    finally:
        os.close(tfd)


def _backup(item: _Staged, original: bytes, mode: int) -> None:
    """A hard link to the original (a copy where the file system has no hard links)."""
    name = f"{item.real.parent}/.{item.real.name[:100]}.{os.getpid()}.entrylint-backup"
    try:
        os.link(item.real, name, follow_symlinks=False)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.EMLINK, errno.ENOTSUP):
            raise
        fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode & 0o7777)
        item.backup = name
        try:
            view = memoryview(original)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
    item.backup = name


def _cleanup(items: list[_Staged]) -> None:
    for item in items:
        for name in (item.tmp, item.backup):
            if name is not None:
                with contextlib.suppress(OSError):
                    os.unlink(name)
        item.tmp = item.backup = None


def write_all(new: dict[Path, bytes], expected: dict[Path, bytes],
              labels: dict[Path, str]) -> None:
    """Replace every file in ``new`` (resolved paths) or none; raises :class:`WriteError`."""
    deadline = time.monotonic() + LOCK_TIMEOUT
    items = [_Staged(real, labels.get(real, str(real))) for real in sorted(new)]
    with contextlib.ExitStack() as locks:
        try:
            for item in items:
                try:
                    fd = _lock(item.real, item.label, deadline)
                except OSError as exc:
                    raise WriteError(item.label, f"cannot be opened ({_why(exc)}); "
                                                 "nothing was written") from None
                locks.callback(os.close, fd)
                if not os.access(item.real, os.W_OK, effective_ids=os.access in
                                 os.supports_effective_ids):
                    # a rename in a writable directory would replace it all the same
                    raise WriteError(item.label, "is read-only (no write permission); "
                                                 "nothing was written")
                st = os.fstat(fd)
                if st.st_nlink > 1:
                    raise WriteError(item.label, f"has {st.st_nlink} hard links (another "
                                                 "name may lie outside the repository); "
                                                 "nothing was written")
                if _read_all(fd) != expected[item.real]:
                    raise WriteError(item.label, "changed on disk while entrylint was fixing "
                                                 "it; nothing was written")
                try:
                    _stage(item, fd, new[item.real])
                    _backup(item, expected[item.real], st.st_mode)
                except OSError as exc:
                    raise WriteError(item.label, f"cannot be written ({_why(exc)}); "
                                                 "nothing was written") from None
            _replace_all(items)
        finally:
            _cleanup(items)


def _replace_all(items: list[_Staged]) -> None:
    for item in items:
        assert item.tmp is not None
        try:
            os.replace(item.tmp, item.real)
        except OSError as exc:
            reason = _why(exc)
            failed = _roll_back(items)
            if failed:
                raise WriteError(item.label, f"cannot be replaced ({reason}), and "
                                 f"{', '.join(failed)} could not be restored: its original "
                                 "is kept beside it as .*.entrylint-backup") from None
            raise WriteError(item.label, f"cannot be replaced ({reason}); nothing was "
                                         "written") from None
        item.tmp = None
        item.replaced = True


def _roll_back(items: list[_Staged]) -> list[str]:
    failed = []
    for item in items:
        if item.replaced and item.backup is not None:
            try:
                os.replace(item.backup, item.real)
                item.backup = None
                item.replaced = False
            except OSError:
                failed.append(item.label)
                item.backup = None  # keep it: it is the only copy of the original
    return failed
