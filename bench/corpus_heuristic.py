"""Does a Dockerfile's start-up run a shell script from its build context?

An independent, deliberately simple reading used by ``bench/corpus.py`` to judge entrylint's
model: it does not use entrylint at all.  The rule:

* read the Dockerfile's logical lines (``\\`` continuations joined, comments and heredoc bodies
  dropped), split it into stages at ``FROM``, and take the final stage's last ``ENTRYPOINT``
  and ``CMD`` (inherited through ``FROM <earlier stage>`` when the final stage has none);
* take every word of them (exec form: the JSON strings; shell form: shell words), and the
  words of a ``sh -c``-style string inside them;
* a word *names a build-context script* when its basename is a shell script (``.sh``/``.bash``
  or a ``#!`` line naming sh, bash, ash, dash, ksh or zsh) in the build context, or in the
  repository when the context has none; or when a ``COPY``/``ADD`` of the final stage
  (without ``--from``) writes a file of that basename from such a script in the context;
* a path that a ``COPY --from`` writes does not count, unless the copy is from a stage of this
  Dockerfile that itself copied a file of that name (from the context).

It over-counts a script named only as an argument (``CMD ["app", "--hook", "x.sh"]``), and
misses scripts reached only through a base image's start-up or a ``RUN ln -s`` alias.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

SHELL_SUFFIXES = (".sh", ".bash")
SHELL_NAMES = frozenset({"sh", "bash", "ash", "dash", "ksh", "zsh", "mksh"})
_HEREDOC = re.compile(r"<<-?\s*[\"']?([A-Za-z_][A-Za-z0-9_]*)[\"']?")
SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "__pycache__", "vendor"})


@dataclass
class Stage:
    base: str
    name: str | None
    entrypoint: str | None = None
    cmd: str | None = None
    copies: list[list[str]] = field(default_factory=list)  # argument words, no --from
    #: the paths a ``COPY --from`` writes (its destination, or, for a destination ending in
    #: ``/``, that directory plus each source's basename), with the stage of this file it
    #: copies from (None: another image)
    from_paths: list[tuple[str, Stage | None]] = field(default_factory=list)


@dataclass
class Startup:
    words: list[str]
    #: basenames of build-context shell scripts that the start-up names
    scripts: list[str]

    @property
    def runs_script(self) -> bool:
        return bool(self.scripts)


def logical_lines(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuations joined, heredoc bodies skipped."""
    out: list[tuple[str, str]] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line or line.startswith("#"):
            continue
        parts = [line]
        while parts[-1].endswith("\\") and i < len(lines):
            parts[-1] = parts[-1][:-1]
            nxt = lines[i].strip()
            i += 1
            if nxt.startswith("#"):
                parts.append("\\")  # a comment inside a continuation keeps it going
                continue
            parts.append(nxt)
        joined = " ".join(p for p in parts if p != "\\").strip()
        word, rest = [*joined.split(None, 1), ""][:2]
        for tag in _HEREDOC.findall(rest):
            while i < len(lines) and lines[i].strip() != tag:
                i += 1
            i += 1
        out.append((word.upper(), rest.strip()))
    return out


def read_stages(text: str) -> list[Stage]:
    stages: list[Stage] = []
    for ins, args in logical_lines(text):
        if ins == "FROM":
            words = [w for w in args.split() if not w.startswith("--")]
            name = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
            stages.append(Stage(base=words[0] if words else "", name=name))
        elif not stages:
            continue
        elif ins == "ENTRYPOINT":
            stages[-1].entrypoint = args
            stages[-1].cmd = None  # an ENTRYPOINT resets an inherited CMD (same stage: kept)
        elif ins == "CMD":
            stages[-1].cmd = args
        elif ins in ("COPY", "ADD"):
            words = split_words(args)
            plain = [w for w in words if not w.startswith("--")]
            if not any(w.startswith("--from") for w in words):
                stages[-1].copies.append(plain)
            elif len(plain) >= 2:
                *sources, dest = plain
                origin = _named_stage(words, stages[:-1])
                if dest.endswith("/"):
                    stages[-1].from_paths += [(dest + src.rstrip("/").rsplit("/", 1)[-1], origin)
                                              for src in sources]
                else:
                    stages[-1].from_paths.append((dest, origin))
    return stages


def _named_stage(words: list[str], earlier: list[Stage]) -> Stage | None:
    ref = next((w.split("=", 1)[1] for w in words if w.startswith("--from=")), "")
    if ref.isdigit() and int(ref) < len(earlier):
        return earlier[int(ref)]
    return next((s for s in earlier if s.name and s.name.lower() == ref.lower()), None)


def split_words(args: str) -> list[str]:
    if args.startswith("["):
        try:
            value = json.loads(args)
        except ValueError:
            value = None
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return list(value)
    try:
        return shlex.split(args, comments=False)
    except ValueError:
        return args.split()


def final_startup(stages: list[Stage]) -> tuple[str | None, str | None, Stage | None]:
    if not stages:
        return None, None, None
    final = stages[-1]
    ep, cmd = final.entrypoint, final.cmd
    seen: set[int] = set()
    stage: Stage | None = final
    while stage is not None and ep is None and cmd is None and id(stage) not in seen:
        seen.add(id(stage))
        parent = next((s for s in stages if s.name and s.name.lower() == stage.base.lower()
                       and s is not stage), None)
        if parent is None:
            break
        ep, cmd, stage = parent.entrypoint, parent.cmd, parent
    return ep, cmd, final


def startup_words(ep: str | None, cmd: str | None) -> list[str]:
    words: list[str] = []
    for part in (ep, cmd):
        if part is None:
            continue
        for w in split_words(part):
            words.append(w)
            if " " in w.strip():  # the text of `sh -c "..."`
                words.extend(split_words(w))
    return words


def is_shell_script(path: Path) -> bool:
    if path.name.endswith(SHELL_SUFFIXES):
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(128)
    except OSError:
        return False
    if not head.startswith(b"#!"):
        return False
    words = head[2:].split(b"\n", 1)[0].decode("utf-8", "replace").split()
    if words and os.path.basename(words[0]) == "env":
        words = [w for w in words[1:] if not w.startswith("-")]
    return bool(words) and os.path.basename(words[0]) in SHELL_NAMES


@lru_cache(maxsize=256)
def files_by_name(root: Path) -> dict[str, tuple[Path, ...]]:
    found: dict[str, list[Path]] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if d not in SKIP_DIRS]
        for name in filenames:
            found.setdefault(name, []).append(Path(dirpath) / name)
    return {k: tuple(v) for k, v in found.items()}


def _script_named(name: str, roots: list[Path]) -> bool:
    """A shell script called ``name`` in the first root that has a file of that name (the
    repository, after the context, only for a ``.sh``/``.bash`` name)."""
    for n, root in enumerate(roots):
        if n and not name.endswith(SHELL_SUFFIXES):
            break
        hits = [p for p in files_by_name(root).get(name, ()) if p.is_file()]
        if hits:
            return any(is_shell_script(p) for p in hits)
    return False


def _candidate(word: str) -> str | None:
    word = word.strip()
    if not word or word.startswith("-") or "=" in word or " " in word:
        return None
    base = word.rstrip("/").rsplit("/", 1)[-1]
    if not base or any(c in base for c in "$*?{}[]'\"`;&|<>"):
        return None
    return base


def _copied_as(stage: Stage, name: str, context: Path) -> bool:
    """A COPY/ADD of the stage writes a context shell script under the basename ``name``."""
    for words in stage.copies:
        if len(words) < 2:
            continue
        *sources, dest = words
        dest_base = dest.rstrip("/").rsplit("/", 1)[-1]
        for src in sources:
            src_path = context / src
            if dest_base == name and not dest.endswith("/") and len(sources) == 1 \
                    and src_path.is_file() and is_shell_script(src_path):
                return True
    return False


def _from_other_stage(stage: Stage, word: str) -> bool:
    """``word`` is a path that a ``COPY --from`` writes from another image, or from a stage of
    this file that did not itself copy a file of that name from the context."""
    name = word.rsplit("/", 1)[-1]
    for path, origin in stage.from_paths:
        if path != word:
            continue
        if origin is None:
            return True
        return not any(len(c) >= 2 and name in {c[-1].rstrip("/").rsplit("/", 1)[-1],
                                                *(x.rsplit("/", 1)[-1] for x in c[:-1])}
                       for c in origin.copies)
    return False


def analyse(dockerfile: Path, context: Path, repo: Path) -> Startup:
    text = dockerfile.read_text(encoding="utf-8", errors="replace")
    ep, cmd, final = final_startup(read_stages(text))
    words = startup_words(ep, cmd)
    scripts: list[str] = []
    for w in words:
        name = _candidate(w)
        if name is None or name in scripts or name in SHELL_NAMES:
            continue
        if final is not None and _from_other_stage(final, w):
            continue
        if _script_named(name, [context, repo]) or (
                final is not None and _copied_as(final, name, context)):
            scripts.append(name)
    return Startup(words=words, scripts=scripts)


def guess_context(dockerfile: Path, repo: Path) -> Path:
    """The Dockerfile's directory, unless more of its COPY/ADD sources exist in the repository
    root (``docker build -f docker/Dockerfile .``)."""
    here = dockerfile.parent
    if here.resolve() == repo.resolve():
        return here
    text = dockerfile.read_text(encoding="utf-8", errors="replace")
    sources: list[str] = []
    for stage in read_stages(text):
        for words in stage.copies:
            sources += [s for s in words[:-1] if "$" not in s and "://" not in s
                        and not s.startswith("<<")]
    sources = [s.replace("*", "").rstrip("/") or "." for s in sources if s not in (".", "./")]

    def score(base: Path) -> int:
        n = 0
        for s in sources:
            if (base / s).exists():
                n += 1
        return n

    return repo if score(repo) > score(here) else here
