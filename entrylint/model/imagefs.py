"""The image's filesystem, replayed from the Dockerfile.

Each stage's ``WORKDIR``, ``COPY``/``ADD`` and the simple file commands of its ``RUN``s (``ln
-s``, ``cp``, ``mv``, ``mkdir``, ``rm``, ``chmod``, ``curl -o``) are replayed, in order, into a
list of writes.  A query asks the writes from the last to the first what they put at a container
path — a build-context file, a heredoc, a symlink, a directory, or bytes nobody can know (built by
``RUN``, taken from another image, downloaded) — so the last writer wins, with Docker's rules:

* a destination ending in ``/``, with several sources, or that is an existing directory (made by
  an earlier ``COPY`` of a directory, ``WORKDIR``, ``RUN mkdir -p``, or a standard directory of
  the base image such as ``/usr/local/bin``) receives files inside it;
* a source directory's *contents* are copied;
* wildcards are matched as BuildKit matches them (dotfiles included).

A write whose contents are unknown shadows only the paths it certainly wrote: ``COPY
--from=build /out/bin .`` may put anything in ``.``, but it does not hide a ``boot.sh`` that an
explicit ``COPY`` put there; it is only named when entrylint explains why a path is unknown.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fnmatch import fnmatchcase
from pathlib import Path

from entrylint.dockerfile import Heredoc, Instruction, Unknown, substitute
from entrylint.model.context import BuildContext, display_path, has_wildcard

MAX_LINKS = 40

#: Directories every Linux base image has (not ``scratch``): ``COPY start.sh /usr/local/bin``
#: puts the file inside them.
STANDARD_DIRS = frozenset({
    "/", "/bin", "/sbin", "/usr", "/usr/bin", "/usr/sbin", "/usr/local", "/usr/local/bin",
    "/usr/local/sbin", "/usr/local/lib", "/usr/local/share", "/usr/lib", "/usr/share", "/lib",
    "/etc", "/opt", "/tmp", "/var", "/var/lib", "/var/log", "/var/run", "/run", "/root",
    "/home", "/srv", "/mnt", "/media",
})

ARCHIVE_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz",
                    ".tar.zst")


# -- what a path holds ------------------------------------------------------------------------


@dataclass(frozen=True)
class ContextFile:
    """A build-context file, put there by ``instruction``."""

    path: Path
    instruction: Instruction | None
    chmod: str | None = None


@dataclass(frozen=True)
class HeredocFile:
    """A file written from a heredoc of ``instruction`` (``COPY <<EOF /start.sh``)."""

    heredoc: Heredoc
    instruction: Instruction
    chmod: str | None = None


@dataclass(frozen=True)
class Opaque:
    """A file whose bytes entrylint cannot know (built by RUN, from another image, a URL)."""

    reason: str
    instruction: Instruction | None


FileEntry = ContextFile | HeredocFile | Opaque


@dataclass(frozen=True)
class _Link:
    target: str  # absolute, normalised


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


DIR = _Marker("DIR")
_GONE = _Marker("GONE")
Raw = FileEntry | _Link | _Marker


def _under(path: str, prefix: str) -> str | None:
    """``path`` relative to directory ``prefix`` ("" for the directory itself), or None."""
    if path == prefix:
        return ""
    base = prefix.rstrip("/") + "/"
    return path[len(base):] if path.startswith(base) else None


def _parent_of(path: str, p: str) -> bool:
    """Is ``p`` a proper ancestor directory of ``path``?"""
    return p != path and _under(path, p) is not None


def _quote_ins(ins: Instruction | None) -> str:
    if ins is None:
        return "the base image"
    text = " ".join(f"{ins.keyword} {ins.args}".split())
    if len(text) > 70:
        text = text[:67] + "..."
    return f"`{text}` (line {ins.start_line})"


# -- writes -----------------------------------------------------------------------------------


@dataclass
class _Write:
    instruction: Instruction | None

    def provides(self, path: str) -> Raw | None:
        raise NotImplementedError

    def may_write(self, path: str) -> str | None:
        """Why this write may have put something at ``path`` that entrylint cannot see."""
        return None


@dataclass
class _MakeDir(_Write):
    path: str = "/"

    def provides(self, path: str) -> Raw | None:
        return DIR if path == self.path or _parent_of(self.path, path) else None


@dataclass
class _Put(_Write):
    path: str = "/"
    entry: Raw = DIR

    def provides(self, path: str) -> Raw | None:
        if path == self.path:
            return self.entry
        return DIR if _parent_of(self.path, path) else None


@dataclass
class _Remove(_Write):
    path: str = "/"

    def provides(self, path: str) -> Raw | None:
        return _GONE if _under(path, self.path) is not None else None


@dataclass
class _Tree(_Write):
    """A directory's contents copied to ``dest``: ``dest`` and its parents are directories,
    and what lies below comes from :meth:`inside`."""

    dest: str = "/"

    def provides(self, path: str) -> Raw | None:
        rel = _under(path, self.dest)
        if rel is None:
            return DIR if _parent_of(self.dest, path) else None
        return DIR if rel == "" else self.inside(path, rel)

    def inside(self, path: str, rel: str) -> Raw | None:
        raise NotImplementedError


@dataclass
class _ContextTree(_Tree):
    """A build-context directory's contents copied to ``dest``."""

    source: Path = Path(".")
    context: BuildContext | None = None
    chmod: str | None = None

    def inside(self, path: str, rel: str) -> Raw | None:
        candidate = self.source / rel
        if self.context is not None and self._excluded(candidate):
            return None
        if self.context is not None and self.context.real(candidate) is None:
            # through a symlink out of the repository: reading it says so
            return ContextFile(candidate, self.instruction, self.chmod)
        if candidate.is_symlink():
            # COPY keeps a symlink inside a copied directory as a symlink
            try:
                target = os.readlink(candidate)
            except OSError:
                return None
            return _Link(posixpath.normpath(posixpath.join(posixpath.dirname(path), target)))
        if candidate.is_dir():
            return DIR
        if candidate.is_file():
            return ContextFile(candidate, self.instruction, self.chmod)
        return None

    def _excluded(self, candidate: Path) -> bool:
        assert self.context is not None
        root = next((r for r in self.context.roots if r == self.source
                     or r in self.source.parents), None)
        return root is not None and self.context.ignored(candidate, root)

    def may_write(self, path: str) -> str | None:
        rel = _under(path, self.dest)
        if rel and self.context is not None and self._excluded(self.source / rel):
            return (f"{_quote_ins(self.instruction)} would put it there, but .dockerignore "
                    f"excludes {display_path(self.source / rel)}")
        return None


@dataclass
class _Alias(_Tree):
    """A directory of another filesystem (another stage, or an earlier point of this one)
    copied to ``dest``: what is known there is known here, the rest may be anything."""

    source: str = "/"
    lookup: Callable[[str], Raw | None] | None = None
    label: str = ""

    def inside(self, path: str, rel: str) -> Raw | None:
        assert self.lookup is not None
        got = self.lookup(posixpath.join(self.source, rel))
        if isinstance(got, _Link) and _under(got.target, self.source) is not None:
            # a link inside the copied tree points inside the copy
            inner = _under(got.target, self.source)
            assert inner is not None
            return _Link(posixpath.normpath(posixpath.join(self.dest, inner)))
        return got

    def may_write(self, path: str) -> str | None:
        if _under(path, self.dest):
            return (f"{_quote_ins(self.instruction)} copies {self.label}, whose files "
                    f"entrylint cannot all see")
        return None


@dataclass
class _Glob(_Alias):
    """``cp dir/* dest/``: the entries ``*`` matches, put into ``dest``, which exists."""

    recursive: bool = False

    def provides(self, path: str) -> Raw | None:
        rel = _under(path, self.dest)
        if rel is None or rel == "":
            return None  # dest and its parents are what they were
        top = rel.split("/", 1)[0]
        if top.startswith("."):
            return None  # `*` matches no dotfile
        if "/" in rel and not self.recursive:
            return None  # without -r, cp leaves directories out
        got = self.inside(path, rel)
        if got is DIR and not self.recursive:
            return None
        return got

    def may_write(self, path: str) -> str | None:
        return None


@dataclass
class _Maybe(_Write):
    """A write whose destinations are unknown below ``dest`` (``ADD`` of an archive, a source
    named by a variable, an unknown destination): it never hides what a known write put."""

    dest: str = "/"
    why: str = ""

    def provides(self, path: str) -> Raw | None:
        return DIR if _parent_of(self.dest, path) else None

    def may_write(self, path: str) -> str | None:
        return f"{_quote_ins(self.instruction)} {self.why}" if _under(path, self.dest) is not None \
            else None


# -- the filesystem ---------------------------------------------------------------------------


@dataclass
class ImageFS:
    """One stage's filesystem: its base stage's, then its own writes in order."""

    parent: ImageFS | None = None
    #: False for ``FROM scratch``: no standard directories
    has_base_dirs: bool = True
    writes: list[_Write] = field(default_factory=list)
    #: path patterns made executable by ``RUN chmod``
    made_executable: list[str] = field(default_factory=list)
    #: container path -> the RUN that rewrote the file in place (``sed -i``, ``dos2unix``)
    rewritten: dict[str, Instruction] = field(default_factory=dict)
    _cache: dict[tuple[str, int], Raw | None] = field(default_factory=dict, repr=False)
    _resolved: dict[tuple[str, int], tuple[str, Raw | None]] = field(default_factory=dict,
                                                                    repr=False)

    # -- queries --------------------------------------------------------------------------
    def raw(self, path: str, upto: int | None = None) -> Raw | None:
        """What the writes before ``upto`` put at ``path`` (no symlink resolution)."""
        end = len(self.writes) if upto is None else upto
        key = (path, end)
        if key in self._cache:
            return self._cache[key]
        got: Raw | None = None
        for w in reversed(self.writes[:end]):
            got = w.provides(path)
            if got is not None:
                break
        if got is None:
            if self.parent is not None:
                got = self.parent.resolve_raw(path)
            elif self.has_base_dirs and path in STANDARD_DIRS:
                got = DIR
        elif got is _GONE:
            got = None
        self._cache[key] = got
        return got

    def resolve_raw(self, path: str, upto: int | None = None) -> Raw | None:
        return self.raw(path, upto)

    def resolve(self, path: str, upto: int | None = None) -> tuple[str, Raw | None]:
        """Follow symlinks in ``path`` (in its directories and at its end): the real path and
        what it holds.  Remembered like :meth:`raw` (keyed by how many writes it sees):
        start-up looks each program up in every ``PATH`` directory, again per rule."""
        key = (path, len(self.writes) if upto is None else upto)
        got = self._resolved.get(key)
        if got is None:
            got = self._resolved[key] = self._resolve(path, upto)
        return got

    def _resolve(self, path: str, upto: int | None) -> tuple[str, Raw | None]:
        path = posixpath.normpath("/" + path.lstrip("/"))
        for _ in range(MAX_LINKS):
            parts = [p for p in path.split("/") if p]
            for k in range(1, len(parts)):
                prefix = "/" + "/".join(parts[:k])
                got = self.raw(prefix, upto)
                if isinstance(got, _Link):
                    path = posixpath.normpath(posixpath.join(got.target, *parts[k:]))
                    break
            else:
                got = self.raw(path, upto)
                if isinstance(got, _Link):
                    path = got.target
                    continue
                return path, got
        return path, None  # a symlink loop

    def file(self, path: str) -> tuple[str, FileEntry] | None:
        """The file at ``path`` (after symlinks), or None when nothing known writes one."""
        real, got = self.resolve(path)
        if isinstance(got, (ContextFile, HeredocFile, Opaque)):
            return real, got
        return None

    def is_dir(self, path: str, upto: int | None = None) -> bool:
        return self.resolve(path, upto)[1] is DIR

    def explain(self, path: str) -> list[str]:
        """Why ``path`` holds nothing entrylint can see: the writes that may have put it."""
        real, _ = self.resolve(path)
        out: list[str] = []
        fs: ImageFS | None = self
        while fs is not None:
            for w in reversed(fs.writes):
                why = w.may_write(real)
                if why is not None and why not in out:
                    out.append(why)
            fs = fs.parent
        return out

    def is_executable(self, path: str) -> bool:
        return any(fnmatchcase(path, p) for p in self.made_executable) or (
            self.parent is not None and self.parent.is_executable(path))

    # -- writes ---------------------------------------------------------------------------
    def workdir(self, path: str, ins: Instruction) -> None:
        self.writes.append(_MakeDir(ins, path))

    def _target(self, dest: str, name: str, into_dir: bool) -> str:
        return posixpath.join(dest, name) if into_dir else dest

    def copy(self, ins: Instruction, sources: list[str | None], dest: str | None,
             dest_slash: bool, *, context: BuildContext, heredocs: dict[str, Heredoc],
             from_fs: ImageFS | None, from_label: str | None, chmod: str | None) -> None:
        """Replay ``COPY``/``ADD`` (``from_label`` names ``--from``: with ``from_fs`` None it
        is another image, whose files are unknown)."""
        if dest is None:
            self.writes.append(_Maybe(ins, "/", "copies to a destination only known at "
                                                "build time"))
            return
        adding = ins.keyword == "ADD"
        expanded: list[tuple[str | None, list[Path] | None]] = []
        for src in sources:
            if src is None or src.startswith("<<") or from_label is not None or (
                    adding and _is_url(src)):
                expanded.append((src, None))
            else:
                expanded.append((src, context.match(src)))
        count = sum(len(m) if m is not None else 1 for _, m in expanded)
        into_dir = dest_slash or count > 1 or self.is_dir(dest)
        for src, matches in expanded:
            if src is None:
                if into_dir:
                    self.writes.append(_Maybe(ins, dest, "copies a source named by a "
                                                         "variable into that directory"))
                else:
                    self.writes.append(_Put(ins, dest, Opaque(
                        "a source named by a variable entrylint cannot resolve", ins)))
            elif src.startswith("<<"):
                name = src.lstrip("<-").strip("'\"")
                if name in heredocs:
                    self.writes.append(_Put(ins, self._target(dest, name, into_dir),
                                            HeredocFile(heredocs[name], ins, chmod)))
            elif from_label is not None:
                self._copy_from(ins, src, dest, into_dir, from_fs, from_label)
            elif adding and _is_url(src):
                name = posixpath.basename(src.split("?")[0].rstrip("/")) or "index.html"
                if src.endswith(".git") or src.startswith("git@") or "#" in src:
                    self.writes.append(_Maybe(ins, dest, "clones a git repository there"))
                else:
                    self.writes.append(_Put(ins, self._target(dest, name, into_dir), Opaque(
                        f"downloaded by {_quote_ins(ins)}", ins)))
            else:
                assert matches is not None
                self._copy_context(ins, src, matches, dest, into_dir, context, chmod)

    def _copy_context(self, ins: Instruction, src: str, matches: list[Path], dest: str,
                      into_dir: bool, context: BuildContext, chmod: str | None) -> None:
        if not matches:
            why = ("names a source that .dockerignore excludes" if _ignored_exists(context, src)
                   else f"names {src!r}, which is not in the build context")
            self.writes.append(_Maybe(ins, dest, why))
            return
        for m in matches:
            if context.is_dir(m):
                self.writes.append(_ContextTree(ins, dest, m, context, chmod))
            elif ins.keyword == "ADD" and m.name.endswith(ARCHIVE_SUFFIXES):
                self.writes.append(_Maybe(ins, dest, f"unpacks the archive {m.name} there"))
            else:
                self.writes.append(_Put(ins, self._target(dest, m.name, into_dir),
                                        ContextFile(m, ins, chmod)))

    def _copy_from(self, ins: Instruction, src: str, dest: str, into_dir: bool,
                   other: ImageFS | None, label: str) -> None:
        src_path = posixpath.normpath("/" + src.lstrip("/"))
        name = posixpath.basename(src_path)
        if other is not None:
            real, got = other.resolve(src_path)
            if isinstance(got, (ContextFile, HeredocFile, Opaque)):
                self.writes.append(_Put(ins, self._target(dest, name, into_dir), got))
                return
            if got is DIR:
                def there(p: str) -> Raw | None:
                    return other.resolve(p)[1]

                self.writes.append(_Alias(ins, dest, real, there, f"{src_path} of {label}"))
                return
        if has_wildcard(src_path):
            self.writes.append(_Maybe(ins, dest, f"copies {src_path} of {label} there"))
            return
        # Unknown: a file named like the source, or a directory's contents.
        self.writes.append(_Maybe(ins, dest, f"copies {src_path} of {label}, whose contents "
                                             f"entrylint cannot see"))
        self.writes.append(_Put(ins, self._target(dest, name, into_dir) if name else dest,
                                Opaque(f"built in {label}", ins)))

    def link(self, ins: Instruction, target: str, link: str) -> None:
        self.writes.append(_Put(ins, link, _Link(target)))

    def copy_path(self, ins: Instruction, src: str, dest: str, *, move: bool) -> None:
        """``RUN cp``/``mv``/``ln`` (hard) of a path inside the image."""
        upto = len(self.writes)
        real, got = self.resolve(src)
        target = posixpath.join(dest, posixpath.basename(src)) if self.is_dir(dest) else dest
        if got is DIR:
            def earlier(p: str) -> Raw | None:
                return self.resolve(p, upto)[1]

            self.writes.append(_Alias(ins, target, real, earlier, real))
        elif isinstance(got, (ContextFile, HeredocFile, Opaque)):
            self.writes.append(_Put(ins, target, got))
        else:
            self.writes.append(_Put(ins, target, Opaque(
                f"copied by {_quote_ins(ins)} from {src}, which entrylint cannot see", ins)))
        if move:
            self.writes.append(_Remove(ins, real))

    def copy_contents(self, ins: Instruction, src: str, dest: str, *, recursive: bool,
                      move: bool) -> None:
        """``RUN cp src/* dest/``: the entries of directory ``src`` that ``*`` matches (not the
        dotfiles; without ``-r`` not the directories) put into the directory ``dest``."""
        upto = len(self.writes)

        def earlier(p: str) -> Raw | None:
            return self.resolve(p, upto)[1]

        self.writes.append(_Glob(ins, dest, src, earlier, src, recursive=recursive))
        if move:
            self.writes.append(_Remove(ins, src))
            self.writes.append(_MakeDir(ins, src))

    def set_mode(self, ins: Instruction, path: str, mode: str) -> None:
        """``RUN chmod MODE path`` of a file whose bytes are known: the file keeps its bytes
        and has that mode, also where a ``COPY --from`` takes it (which keeps modes)."""
        real, got = self.resolve(path)
        if isinstance(got, (ContextFile, HeredocFile)):
            self.writes.append(_Put(ins, real, replace(got, chmod=mode)))

    def make_dir(self, ins: Instruction, path: str) -> None:
        self.writes.append(_MakeDir(ins, path))

    def remove(self, ins: Instruction, path: str) -> None:
        self.writes.append(_Remove(ins, path))

    def maybe(self, ins: Instruction, path: str, why: str) -> None:
        """Files nobody can know may appear below ``path`` (``RUN git clone … /app``)."""
        self.writes.append(_Maybe(ins, path, why))

    def opaque(self, ins: Instruction, path: str, why: str) -> None:
        self.writes.append(_Put(ins, path, Opaque(why, ins)))


def _is_url(src: str) -> bool:
    return "://" in src or src.startswith("git@")


def _ignored_exists(context: BuildContext, src: str) -> bool:
    saved, context.ignore = context.ignore, None
    try:
        return bool(context.match(src))
    finally:
        context.ignore = saved


def substitute_or_none(text: str, env: dict[str, str | None]) -> str | None:
    try:
        return substitute(text, env)
    except Unknown:
        return None
