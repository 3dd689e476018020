"""The build context: which files ``COPY``/``ADD`` can take, as BuildKit sees them.

A COPY source is matched the way BuildKit matches it (Go's ``filepath.Match``, one path segment
at a time, so ``*`` matches dotfiles too), inside the context, minus what ``.dockerignore`` (or
``<Dockerfile>.dockerignore``) excludes.  When a source is not in the context but is in a parent
directory up to the repository root (the common ``docker build -f docker/Dockerfile .``), that
directory is used, with a note.
"""

from __future__ import annotations

import os
import posixpath
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from entrylint import runmemo
from entrylint.boundary import BoundaryError, confine, read_regular
from entrylint.source import MAX_FILE_BYTES, SourceError, SourceFile, read_source

if TYPE_CHECKING:  # imported by dockerignore: only a context with an ignore file needs it
    import pathspec

WILDCARDS = frozenset("*?[")


#: Where every report names files from (:func:`set_display_base`); empty: the default.
_BASE: list[Path] = []


def set_display_base(base: Path | None) -> None:
    """Name files relative to ``base`` from now on (``--path-base cwd``); None: the default,
    the report root (:func:`display_base`)."""
    _BASE[:] = [base.resolve()] if base is not None else []


def display_base() -> Path:
    """The directory every format names files relative to: the one set with
    :func:`set_display_base`, else the *report root* — the git work tree that holds the
    current directory, or the current directory itself outside one.  It does not change with
    the directory entrylint runs from inside a repository, and it is what GitHub, GitLab and
    SARIF's ``%SRCROOT%`` resolve paths against."""
    return _BASE[0] if _BASE else _default_base(os.getcwd())


@lru_cache(maxsize=8)
def _default_base(cwd: str) -> Path:
    return find_repo_root(Path(cwd))


def display_path(path: Path) -> str:
    """``path`` as every report shows it: relative to :func:`display_base` when it lies
    inside, else absolute (so it is never ambiguous); ``-`` (standard input) as itself."""
    if str(path) == "-":
        return "-"
    return _display(path, os.getcwd(), display_base())


@lru_cache(maxsize=4096)
def _display(path: Path, cwd_name: str, base: Path) -> str:
    """display_path, once per path, current directory and base: it runs for every note and
    finding (22,667 times for 2,000 Dockerfiles), and may resolve the path."""
    inside = _relative(path, cwd_name, base)
    if inside is not None:
        return inside
    return Path(os.path.normpath(Path(_resolved_cwd(cwd_name), path))).as_posix()


def relative_to(path: Path, base: Path) -> str | None:
    """``path`` (relative to the current directory, or absolute) as a POSIX path relative to
    ``base``, or None when it lies outside: as written first (a symlink keeps its own name),
    then with symlinks resolved."""
    return _relative(path, os.getcwd(), base.resolve())


def _relative(path: Path, cwd_name: str, base: Path) -> str | None:
    absolute = Path(os.path.normpath(Path(_resolved_cwd(cwd_name), path)))
    try:
        return absolute.relative_to(base).as_posix()
    except ValueError:
        try:
            return path.resolve().relative_to(base).as_posix()
        except (ValueError, OSError, RuntimeError):
            return None


@lru_cache(maxsize=8)
def _resolved_cwd(cwd: str) -> Path:
    """The current directory, resolved once."""
    return Path(cwd).resolve()


@lru_cache(maxsize=512)
def _segment_regex(pattern: str) -> re.Pattern[str] | None:
    """Go's ``filepath.Match`` for one path segment, as a regex (None: a malformed pattern,
    which BuildKit rejects)."""
    out: list[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            out.append("[^/]*")
        elif ch == "?":
            out.append("[^/]")
        elif ch == "\\":
            i += 1
            if i >= n:
                return None
            out.append(re.escape(pattern[i]))
        elif ch == "[":
            j = i + 1
            negate = j < n and pattern[j] == "^"
            if negate:
                j += 1
            body: list[str] = []
            while j < n and pattern[j] != "]":
                c = pattern[j]
                if c == "\\":
                    j += 1
                    if j >= n:
                        return None
                    c = pattern[j]
                body.append(re.escape(c) if c != "-" else "-")
                j += 1
            if j >= n or not body:
                return None
            out.append(("[^/" if negate else "[") + "".join(body) + "]")
            i = j
        else:
            out.append(re.escape(ch))
        i += 1
    try:
        return re.compile("".join(out), re.DOTALL)
    except re.error:
        return None


def go_match(pattern: str, name: str) -> bool:
    """Does one path segment ``name`` match ``pattern`` under Go's ``filepath.Match``?"""
    rx = _segment_regex(pattern)
    return rx is not None and rx.fullmatch(name) is not None


def has_wildcard(src: str) -> bool:
    return any(ch in WILDCARDS for ch in src)


def _glob(ctx: BuildContext, root: Path, src: str) -> list[Path]:
    """Paths under ``root`` that the COPY source pattern ``src`` names, segment by segment
    (no directory outside the repository is listed)."""
    current = [root]
    for part in [p for p in src.split("/") if p not in ("", ".")]:
        nxt: list[Path] = []
        for base in current:
            if not has_wildcard(part):
                p = base / part
                if ctx.lexists(p):
                    nxt.append(p)
                continue
            real = ctx.real(base)
            if real is None:
                continue
            try:
                names = sorted(os.listdir(real))
            except OSError:
                continue
            nxt += [base / name for name in names if go_match(part, name)]
        current = nxt
        if not current:
            break
    return current


class BuildContext:
    """The files a build can copy in, with the notes on where they were found."""

    def __init__(self, context: Path, repo_root: Path, dockerfile: Path) -> None:
        self.root = context
        self.repo_root = repo_root
        self.notes: list[str] = []
        #: the files read (see ImageModel.read_files)
        self.read_files: list[Path] = [dockerfile]
        self.ignore = dockerignore(context, dockerfile, repo_root, self.read_files)
        self._files: dict[Path, SourceFile | SourceError] = {}
        self._roots: list[Path] | None = None

    # -- the repository boundary: nothing outside it is looked at (entrylint.boundary) ------
    def real(self, path: Path) -> Path | None:
        """``path`` resolved inside the repository, or None when it leads out of it."""
        try:
            return confine(path, self.repo_root)
        except BoundaryError:
            return None

    def lexists(self, path: Path) -> bool:
        """Whether ``path`` exists; a path outside the repository counts as existing, so that
        reading it reports why it is not read (the same words whether or not it exists)."""
        real = self.real(path)
        return real is None or os.path.lexists(real)

    def is_dir(self, path: Path) -> bool:
        real = self.real(path)
        return real is not None and real.is_dir()

    def is_file(self, path: Path) -> bool:
        real = self.real(path)
        return real is not None and real.is_file()

    @property
    def roots(self) -> list[Path]:
        """The build context, then its parents up to the repository root."""
        if self._roots is None:
            roots = [self.root]
            ctx, top = runmemo.resolve(self.root), runmemo.resolve(self.repo_root)
            if top in ctx.parents:  # (a context that is the root itself has none above it)
                for parent in ctx.parents:
                    roots.append(parent)
                    if parent == top:
                        break
            self._roots = roots
        return self._roots

    def match(self, src: str) -> list[Path]:
        """Files or directories of the build context that a COPY source names."""
        src = posixpath.normpath("/" + src).lstrip("/")
        for root in self.roots:
            if src in ("", "."):
                matches = [root]
            elif has_wildcard(src):
                matches = _glob(self, root, src)
            else:
                p = root / src
                matches = [p] if self.lexists(p) else []
            matches = [m for m in matches if not self.ignored(m, root)]
            if matches:
                if root != self.root:
                    note = (f"COPY source {src!r} is not in the build context "
                            f"{display_path(self.root)}; using the repository root "
                            f"{display_path(root)}")
                    if note not in self.notes:
                        self.notes.append(note)
                return matches
        return []

    def ignored(self, path: Path, root: Path | None = None) -> bool:
        root = root or self.root
        if self.ignore is None or root != self.root:
            return False
        try:
            rel = path.relative_to(root).as_posix()
        except ValueError:
            return False
        if rel == ".":
            return False  # the context itself is never excluded (`*` then `!start.sh`)
        if self.is_dir(path):
            rel += "/"
        return bool(self.ignore.match_file(rel))

    def read(self, path: Path) -> SourceFile | SourceError:
        if path not in self._files:
            self.read_files.append(path)
            try:
                self._files[path] = read_source(path, root=self.repo_root)
            except SourceError as exc:
                self._files[path] = exc
        return self._files[path]


def dockerignore(context: Path, dockerfile: Path, root: Path, read: list[Path] | None = None
                 ) -> pathspec.GitIgnoreSpec | None:
    """The ignore file BuildKit uses: ``<Dockerfile>.dockerignore`` beside the Dockerfile
    wins over the context's ``.dockerignore`` (neither is read outside the repository).
    Each file read is added to ``read``."""
    for p in (dockerfile.parent / f"{dockerfile.name}.dockerignore", context / ".dockerignore"):
        if not os.path.lexists(p):
            # one system call for the usual answer (no such file), not the repository
            # boundary's walk; where the file is, read_regular still confines the read
            continue
        try:
            data, _ = read_regular(p, MAX_FILE_BYTES, root=root)
        except BoundaryError:
            continue  # missing, a name too long for the file system, not a regular file
        if read is not None:
            read.append(p)
        patterns = []
        for line in data.decode("utf-8", errors="replace").split("\n"):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            neg = line.startswith("!")
            body = posixpath.normpath(line[1:] if neg else line).lstrip("/")
            patterns.append(("!" if neg else "") + "/" + body)
        import pathspec

        try:
            return pathspec.GitIgnoreSpec.from_lines(patterns)
        except (ValueError, re.error):  # a pattern Docker would reject too
            return None
    return None


def find_repo_root(start: Path) -> Path:
    p = start.resolve()
    for candidate in (p, *p.parents):
        if (candidate / ".git").exists():
            return candidate
    return p
