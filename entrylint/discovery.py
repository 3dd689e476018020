"""Which files of a directory are Dockerfiles, and which files a directory search may see.

Names: what ``docker build`` finds by itself (``Dockerfile``, and ``dockerfile`` as a fallback),
what editors and GitHub's linguist highlight as Dockerfiles (``*.dockerfile``,
``*.containerfile``, ``Dockerfile.*``) and the variants found in real repositories
(``Dockerfile-alpine``, ``Dockerfile_prod``, ``app.Dockerfile``), compared without regard to
case.  Names with the extension of another kind of file (``Dockerfile.md``,
``dockerfile_test.go``, ``Dockerfile.dockerignore``) or of a template engine's input
(``Dockerfile.jinja2``, ``Dockerfile.tmpl``) are not Dockerfiles; named on the command line,
any file is linted.  The configuration's
``dockerfile-patterns`` replaces the list.

Ignored files: inside a git work tree, git itself says which files a search sees
(``git ls-files -co --exclude-standard``: tracked and untracked files, minus what
``.gitignore`` files at any depth, ``.git/info/exclude`` and the user's global excludes
ignore, with ``!`` re-includes).  Outside one, or where git is missing or refuses the
repository, the ``.gitignore`` files met on the way down are read with ``pathspec``; so too
for a directory that git ignores as a whole (``build/``) when it is the one named.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from entrylint import runmemo

if TYPE_CHECKING:
    import pathspec

#: Globs of file names, compared in lower case; a leading ``!`` excludes.
DEFAULT_PATTERNS: tuple[str, ...] = (
    "dockerfile", "dockerfile.*", "dockerfile-*", "dockerfile_*", "*.dockerfile",
    "*-dockerfile", "*_dockerfile",
    "containerfile", "containerfile.*", "containerfile-*", "containerfile_*",
    "*.containerfile",
    "!*.dockerignore", "!*.containerignore",
    *(f"!*.{ext}" for ext in ("md", "rst", "txt", "adoc", "html", "py", "pyc", "go", "rs",
                              "js", "ts", "rb", "java", "json", "yml", "yaml", "toml",
                              "sh", "bash", "ps1", "bat", "lock", "orig", "rej", "bak", "swp",
                              "patch", "diff", "png", "svg",
                              # a generator's template, not a file docker builds (the corpus:
                              # 145 webdevops Dockerfile.jinja2 with no FROM of their own);
                              # balena's Dockerfile.template is built as it is, so it stays
                              "jinja2", "jinja", "j2", "tmpl", "tpl", "erb", "mustache")),
)

#: Directories a search never enters.
SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "__pycache__"})


def _either(patterns: list[str]) -> re.Pattern[str] | None:
    """One expression that matches what any of the ``fnmatch`` patterns matches (each is
    translated whole, so an alternative matches only the complete name, as fnmatchcase)."""
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


@lru_cache(maxsize=16)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str] | None,
                                                   re.Pattern[str] | None]:
    keep = _either([p.lower() for p in patterns if not p.startswith("!")])
    drop = _either([p[1:].lower() for p in patterns if p.startswith("!")])
    return keep, drop


def is_dockerfile_name(name: str, patterns: Sequence[str] | None = None) -> bool:
    """Whether a file name is a Dockerfile's (case-insensitive): it matches a pattern and no
    ``!`` pattern.  Asked of every file of a searched tree: the patterns are one regular
    expression each way, not a loop of ``fnmatch`` calls per name."""
    keep, drop = _compiled(tuple(DEFAULT_PATTERNS if patterns is None else patterns))
    low = name.lower()
    return (keep is not None and keep.match(low) is not None
            and (drop is None or drop.match(low) is None))


def discover(paths: Iterable[Path], patterns: Sequence[str] | None = None,
             on_error: Callable[[Path, str], None] | None = None) -> Iterator[Path]:
    """Files are taken as Dockerfiles; directories are searched (see the module's doc).
    ``on_error`` hears of each directory that cannot be searched, and why."""
    for path in paths:
        if not path.is_dir():
            yield path
            continue
        listing = runmemo.remembered("git_listing", git_listing, path)  # once per run
        listed = listing[0] if listing is not None else None
        if listed and on_error is not None:
            for unreadable in listing[1] if listing is not None else ():
                on_error(unreadable, "cannot be searched (permission denied)")
        # nothing listed: not a work tree, or a directory git ignores as a whole, which is
        # searched when named (then only its own .gitignore files apply)
        files = listed if listed else _walk(path, patterns, on_error)
        for f in files:
            if is_dockerfile_name(f.name, patterns):
                yield f


def git_files(directory: Path) -> list[Path] | None:
    """The files git shows below ``directory`` (sorted), or None outside a work tree."""
    listing = git_listing(directory)
    return listing[0] if listing is not None else None


#: git's warning for a directory it cannot list (``LC_ALL=C``: not translated).
_GIT_UNREADABLE = re.compile(rb"^warning: could not open directory '(.*)': Permission denied$",
                             re.MULTILINE)


def git_listing(directory: Path) -> tuple[list[Path], list[Path]] | None:
    """(the files git shows below ``directory``, sorted; the directories it could not open,
    which git only warns about), or None outside a work tree.

    ``core.fsmonitor`` is switched off: a repository's own configuration could otherwise make
    git run a program from it."""
    import subprocess  # only when a directory is searched: a one-file run does without

    try:
        proc = subprocess.run(
            ["git", "-c", "core.fsmonitor=false", "ls-files", "-z", "--cached", "--others",
             "--exclude-standard", "--", "."],
            cwd=directory, stdin=subprocess.DEVNULL, capture_output=True, timeout=60,
            check=False, env={**os.environ, "LC_ALL": "C"})
    except (OSError, subprocess.SubprocessError):
        return None
    if proc.returncode != 0:
        return None
    out: list[Path] = []
    seen: set[bytes] = set()
    for raw in proc.stdout.split(b"\0"):
        if not raw or raw.endswith(b"/") or raw in seen:
            continue
        seen.add(raw)
        rel = os.fsdecode(raw)
        parts = rel.split("/")
        if any(p in SKIP_DIRS for p in parts[:-1]):
            continue
        p = directory / rel
        if os.path.lexists(p) and not os.path.isdir(p):  # deleted, or a submodule
            out.append(p)
    unreadable = [directory / os.fsdecode(m.group(1)).rstrip("/")
                  for m in _GIT_UNREADABLE.finditer(proc.stderr)]
    return sorted(out), unreadable


def _walk(path: Path, patterns: Sequence[str] | None,
          on_error: Callable[[Path, str], None] | None = None) -> Iterator[Path]:
    from entrylint.boundary import read_head

    def walk_error(exc: OSError) -> None:  # an unreadable directory is reported, not skipped
        if on_error is not None and exc.filename is not None:
            why = "permission denied" if isinstance(exc, PermissionError) else (
                exc.strerror or str(exc))
            on_error(Path(exc.filename), f"cannot be searched ({why})")

    specs: list[tuple[Path, pathspec.GitIgnoreSpec]] = []
    for dirpath, dirnames, filenames in os.walk(path, onerror=walk_error):
        here = Path(dirpath)
        if ".gitignore" in filenames:
            import pathspec  # here: a search without a .gitignore does not need it

            # read_head: never blocks on a FIFO; a pattern git cannot read is skipped, as git does
            lines = read_head(here / ".gitignore", 1024 * 1024).decode(
                "utf-8", errors="replace").split("\n")
            specs.append((here, pathspec.GitIgnoreSpec.from_lines(
                [ln for ln in lines if _valid_gitignore(ln)])))

        def ignored(p: Path, is_dir: bool,
                    specs: list[tuple[Path, pathspec.GitIgnoreSpec]] = specs) -> bool:
            for base, spec in specs:
                try:
                    rel = p.relative_to(base).as_posix()
                except ValueError:
                    continue
                if spec.match_file(rel + ("/" if is_dir else "")):
                    return True
            return False

        dirnames[:] = sorted(
            d for d in dirnames
            if d not in SKIP_DIRS and not (here / d).is_symlink() and not ignored(here / d, True)
        )
        for name in sorted(filenames):
            if is_dockerfile_name(name, patterns) and not ignored(here / name, False):
                yield here / name


def _valid_gitignore(line: str) -> bool:
    import pathspec

    try:
        pathspec.GitIgnoreSpec.from_lines([line])
    except (ValueError, re.error):
        return False
    return True
