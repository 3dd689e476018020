"""The result cache: a second run over an unchanged repository only reads the files again.

An entry holds one Dockerfile's record (:class:`~entrylint.linted.Linted`: what its rules
found, before configuration and suppressions apply) and what it was computed from:

- the entry's name hashes the entrylint version, the cache format, the current directory
  (paths in reports are relative to it), the Dockerfile's path and the options and
  configuration that change what the rules report (rules enabled, init, assume-init, target);
- inside, the digest of every file the model read (the Dockerfile, its scripts, the ignore
  file, compose files: contents and executable bit) and a fingerprint of the repository's
  listing — every name, its type and a symlink's target, without reading anything — because
  a model also depends on what does *not* exist (a script that is missing today is found once
  it is added; a new ``.dockerignore`` hides files).

An entry is used only when all of that is unchanged, so the cache cannot change a result; any
doubt (a malformed, foreign or unreadable entry) means linting again.  The cache lives in
``.entrylint_cache/`` at the root of a git repository (a ``.gitignore`` inside holds ``*``);
it is never written outside the repository, through a symlink, or when the repository cannot
be written, and it is not used at all with ``--context`` or while ``--fix`` re-lints contents
it has not written.  Entries are JSON, never pickles: a cache file in a linted repository is
data, not code.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import stat
from pathlib import Path

from entrylint import __version__
from entrylint.linted import Linted, from_json, to_json
from entrylint.source import MAX_FILE_BYTES, SourceFile

CACHE_DIR = ".entrylint_cache"
FORMAT = 1
#: An entry larger than this is not read (a record is a few KiB).
MAX_ENTRY_BYTES = 16 * 1024 * 1024
_SKIP_DIRS = frozenset({".git", CACHE_DIR})


class ResultCache:
    """Look-ups and stores for one run (one set of options)."""

    def __init__(self, options: tuple[str | None, ...] = ()) -> None:
        self.options = options
        self._dirs: dict[Path, Path | None] = {}
        self._listings: dict[Path, tuple[str, bool]] = {}
        #: each file's digest, once per run: a script shared by many Dockerfiles is in all
        #: their entries, and checking each entry re-read and re-hashed it
        self._digests: dict[tuple[str, Path, bool], tuple[str, SourceFile | None]] = {}

    # -- the run ------------------------------------------------------------------------------
    def prepare(self, roots: set[Path]) -> None:
        """Fingerprint each repository once, before workers fork (they inherit the result)."""
        for root in sorted(roots):
            if _is_repository(root):
                self._listing(root)

    def get(self, path: Path, key: tuple[str, ...]) -> Linted | None:
        """The stored record of ``path``, if everything it was computed from is unchanged."""
        located = self._entry(path, key, create=False)
        if located is None:
            return None
        entry, root = located
        try:
            with open(entry, "rb") as fh:
                raw = fh.read(MAX_ENTRY_BYTES + 1)
            if len(raw) > MAX_ENTRY_BYTES:
                return None
            doc = json.loads(raw)
            if doc["listing"] != self._listing(root):
                return None
            links = self._listings[root][1]
            files: dict[str, SourceFile] = {}
            for name, digest in doc["files"]:
                got = self._digest(name, root, links)
                if got[0] != digest:
                    return None
                if got[1] is not None:
                    files[name] = got[1]
            linted = from_json(doc["record"], files)
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return linted if linted.path == path else None

    def put(self, path: Path, key: tuple[str, ...], linted: Linted) -> None:
        """Store ``linted`` (silently nothing when the repository cannot take it)."""
        located = self._entry(path, key, create=True)
        if located is None:
            return
        entry, root = located
        listing = self._listing(root)
        links = self._listings[root][1]
        # the bytes the model read, where the record has them (re-reading could pair a file
        # edited meanwhile with a result computed from its old contents)
        held = {s.path: s for s in linted.sources if s.mode is not None}
        files = []
        for p in dict.fromkeys([*linted.read_files, *held]):
            src = held.get(p)
            digest = (_hash(src.data, src.mode) if src is not None and src.mode is not None
                      else self._digest(str(p), root, links)[0])
            files.append([str(p), digest])
        doc = {"listing": listing, "files": files, "record": to_json(linted)}
        _write(entry, json.dumps(doc, ensure_ascii=True).encode())

    # -- where ----------------------------------------------------------------------------------
    def _entry(self, path: Path, key: tuple[str, ...], *, create: bool
               ) -> tuple[Path, Path] | None:
        from entrylint.engine import repo_root_of
        from entrylint.model.context import display_base

        root = repo_root_of(path.parent)
        directory = self._dir(root, create)
        if directory is None:
            return None
        name = hashlib.sha256(json.dumps(
            [FORMAT, __version__, os.getcwd(), str(display_base()), str(path), self.options,
             key]).encode()
        ).hexdigest()
        return directory / f"{name}.json", root

    def _dir(self, root: Path, create: bool) -> Path | None:
        if root in self._dirs:
            return self._dirs[root]
        directory = _cache_dir(root, create)
        if directory is not None or create:
            self._dirs[root] = directory
        return directory

    def _digest(self, name: str, root: Path, links: bool) -> tuple[str, SourceFile | None]:
        key = (name, root, links)
        got = self._digests.get(key)
        if got is None:
            got = self._digests[key] = _digest(Path(name), root, links)
        return got

    def _listing(self, root: Path) -> str:
        if root not in self._listings:
            self._listings[root] = listing_fingerprint(root)
        return self._listings[root][0]


def _is_repository(root: Path) -> bool:
    return (root / ".git").exists()


def _cache_dir(root: Path, create: bool) -> Path | None:
    """``ROOT/.entrylint_cache/VERSION``, a real directory inside the repository, or None."""
    if not _is_repository(root):
        return None
    base = root / CACHE_DIR
    directory = base / f"{__version__}-{FORMAT}"
    try:
        for d in (base, directory):
            try:
                st = os.lstat(d)
            except FileNotFoundError:
                if not create or not os.access(d.parent, os.W_OK):
                    return None
                os.mkdir(d)
                if d == base:
                    _write(base / ".gitignore", b"# written by entrylint\n*\n")
                continue
            if not stat.S_ISDIR(st.st_mode):
                return None  # a symlink or a file: never write through it
    except OSError:
        return None
    if create and not os.access(directory, os.W_OK):
        return None
    return directory


def _write(path: Path, data: bytes) -> None:
    """Atomically (a new temporary file, then rename); nothing on any error."""
    tmp = path.with_name(f".tmp-{os.getpid()}-{os.urandom(4).hex()}")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                     0o644)
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)


def _digest(path: Path, root: Path, links: bool) -> tuple[str, SourceFile | None]:
    """What a file's contents and executable bit are now, and the file itself (never read
    when it lies outside the repository, e.g. through a symlink).  ``links``: whether the
    repository holds any symlink; without one, a path that is lexically inside it is really
    inside it, and resolving it (an lstat per component) can be skipped."""
    inside = _real(root).rstrip("/") + "/"
    real = os.path.normpath(os.path.join(os.getcwd(), path))
    if links or not real.startswith(inside):
        try:
            real = os.path.realpath(path, strict=True)
        except FileNotFoundError:
            return "missing", None
        except (OSError, RuntimeError):
            return "unresolvable", None
        if not real.startswith(inside):
            return "outside", None
    try:
        st = os.stat(real)
        if not stat.S_ISREG(st.st_mode):
            return f"type {stat.S_IFMT(st.st_mode)}", None
        with open(real, "rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        return f"error {exc.errno}", None
    return _hash(data, st.st_mode), SourceFile(path=path, data=data, mode=st.st_mode)


def _hash(data: bytes, mode: int) -> str:
    h = hashlib.sha256(data)
    h.update(b"x" if mode & 0o111 else b"-")
    return h.hexdigest()


@functools.lru_cache(maxsize=64)
def _real(root: Path) -> str:
    return os.path.realpath(root)


def listing_fingerprint(root: Path) -> tuple[str, bool]:
    """A hash of every name below ``root`` with its type (and a symlink's target), without
    reading any file or following any symlink; ``.git`` and the cache itself are left out.
    Also whether there is any symlink."""
    h = hashlib.sha256()
    links = False
    stack = [""]
    while stack:
        rel = stack.pop()
        try:
            with os.scandir(root / rel if rel else root) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            h.update(f"{rel}\0unreadable {exc.errno}\n".encode("utf-8", "surrogateescape"))
            continue
        for e in entries:
            if e.name in _SKIP_DIRS:
                continue
            name = f"{rel}/{e.name}" if rel else e.name
            try:
                if e.is_symlink():
                    kind = "l " + os.readlink(e.path)
                    links = True
                elif e.is_dir():
                    kind = "d"
                    stack.append(name)
                else:
                    kind = "f"
            except OSError:
                kind = "?"
            h.update(f"{name}\0{kind}\n".encode("utf-8", "surrogateescape"))
    return h.hexdigest(), links

