"""Images that another Dockerfile of the same repository builds.

``FROM laravel-base`` names no image of a registry when the repository itself builds
``laravel-base``: a compose service with ``image: laravel-base`` and a ``build:``, or a
``docker build -t laravel-base -f docker/base.Dockerfile .`` line of a Makefile or shell script.
Only what those files say is used: the compose files, Makefiles and ``*.sh`` of the
Dockerfile's directory and of each directory above it up to the repository root.  Several
different Dockerfiles for one name, or a name written with a variable, make it unknown.
"""

from __future__ import annotations

import contextlib
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from entrylint import runmemo
from entrylint.baseimages import split_image_ref
from entrylint.boundary import BoundaryError, read_regular
from entrylint.model.compose import COMPOSE_NAMES

#: Files read per lookup at most, and the bytes of each.
MAX_FILES = 40
MAX_BYTES = 256 * 1024
_MAKEFILES = ("Makefile", "makefile", "GNUmakefile")
_BUILD = re.compile(r"\bdocker\s+(?:buildx\s+build|image\s+build|build)\b")
#: ``docker build`` options that take a value (the rest of those it has take none).
_VALUED = frozenset({
    "-t", "--tag", "-f", "--file", "--target", "--build-arg", "--platform", "--label",
    "--network", "--cache-from", "--cache-to", "--secret", "--ssh", "--progress", "-o",
    "--output", "--iidfile", "--add-host", "--build-context", "--shm-size", "--ulimit",
    "-m", "--memory", "--memory-swap", "--cpu-shares", "--cpuset-cpus", "--cgroup-parent",
    "--isolation", "--metadata-file", "--attest", "--allow", "--builder", "--annotation",
    "--sbom", "--provenance", "--call", "--security-opt"})
_FLAGS = frozenset({
    "-q", "--quiet", "--no-cache", "--pull", "--push", "--load", "--rm", "--force-rm",
    "--squash", "--compress", "--disable-content-trust", "--check"})


@dataclass(frozen=True)
class RepoImage:
    """The Dockerfile (with its build context and target) that builds an image of the repo."""

    dockerfile: Path
    context: Path
    target: str | None
    #: where that is said: ``Makefile:5`` or ``docker-compose.yml (service base)``
    said: str


@dataclass
class Lookup:
    """What the repository says about an image name: the one Dockerfile that builds it, or why
    it is not known (None for both: the repository does not build it)."""

    image: RepoImage | None = None
    unknown: str | None = None


def _same(ref: str, name: str) -> bool:
    a, b = split_image_ref(ref), split_image_ref(name)
    return a[0].lower() == b[0].lower() and (a[1] or "latest") == (b[1] or "latest")


def _candidates(dockerfile: Path, root: Path) -> list[Path]:
    d = runmemo.resolve(dockerfile.parent)
    root = runmemo.resolve(root)
    dirs = [d, *[p for p in d.parents if p == root or root in p.parents]]
    out: list[Path] = []
    for directory in dirs:
        names = [*COMPOSE_NAMES, *_MAKEFILES]
        with contextlib.suppress(OSError):
            names += sorted(p.name for p in directory.glob("*.sh"))
        out += [directory / n for n in names if runmemo.lexists(directory / n)]
    return out[:MAX_FILES]


def _read(path: Path, root: Path, read: list[Path]) -> str | None:
    try:
        data, _ = read_regular(path, MAX_BYTES, root=root)
    except BoundaryError:
        return None
    read.append(path)
    return data.decode("utf-8", errors="replace")


def _from_compose(path: Path, text: str, ref: str) -> list[RepoImage]:
    import yaml  # only when there is a compose file: PyYAML is slow to import

    try:
        doc = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError):
        return []
    services = doc.get("services") if isinstance(doc, dict) else None
    out: list[RepoImage] = []
    if not isinstance(services, dict):
        return out
    for name, svc in services.items():
        if not isinstance(svc, dict) or not isinstance(svc.get("image"), str):
            continue
        if "$" in svc["image"] or not _same(ref, svc["image"]):
            continue
        build = svc.get("build")
        target = None
        if isinstance(build, str):
            ctx, dfname = build, "Dockerfile"
        elif isinstance(build, dict):
            ctx = str(build.get("context", "."))
            dfname = str(build.get("dockerfile", "Dockerfile"))
            target = build.get("target") if isinstance(build.get("target"), str) else None
        else:
            continue
        if "$" in ctx + dfname:
            continue
        context = path.parent / ctx
        out.append(RepoImage(context / dfname, context, target, f"{path.name} (service {name})"))
    return out


def _build_lines(text: str) -> list[tuple[int, str]]:
    """(line number, the command with its continuation lines) of each ``docker build``."""
    lines = text.split("\n")
    out: list[tuple[int, str]] = []
    i = 0
    while i < len(lines):
        start, line = i, lines[i]
        while line.rstrip().endswith("\\") and i + 1 < len(lines):
            i += 1
            line = line.rstrip()[:-1] + " " + lines[i]
        i += 1
        m = _BUILD.search(line)
        if m is not None:
            out.append((start + 1, line[m.end():]))
    return out


def _from_build_command(path: Path, rest: str, line: int, ref: str
                        ) -> RepoImage | str | None:
    """The image of one ``docker build`` command when it tags ``ref`` (a reason when it does,
    but what it builds cannot be read; None when it does not tag ``ref``)."""
    rest = re.split(r"(?<!\\)(?:&&|\|\||;|\|)", rest, maxsplit=1)[0]
    try:
        words = shlex.split(rest, comments=True)
    except ValueError:
        return None
    tags: list[str] = []
    file = target = None
    positional: list[str] = []
    i = 0
    unknown_option = None
    while i < len(words):
        w = words[i]
        key, eq, value = w.partition("=")
        if w.startswith("-") and key in _VALUED:
            if not eq:
                i += 1
                value = words[i] if i < len(words) else ""
            if key in ("-t", "--tag"):
                tags.append(value)
            elif key in ("-f", "--file"):
                file = value
            elif key == "--target":
                target = value
        elif w.startswith("-") and w != "-":
            if key not in _FLAGS:
                unknown_option = w
        else:
            positional.append(w)
        i += 1
    if not any(_same(ref, t) for t in tags if "$" not in t):
        return None
    said = f"{path.name}:{line}"
    if unknown_option is not None:
        return f"{said} builds it with an option entrylint does not read ({unknown_option})"
    if len(positional) != 1 or any(c in positional[0] + (file or "") + (target or "")
                                   for c in "$`") or positional[0] == "-":
        return f"{said} builds it, but its build context or Dockerfile is only known at run time"
    # Makefile recipes and scripts are run from their own directory, the usual way
    context = path.parent / positional[0]
    df = context / "Dockerfile" if file is None else path.parent / file
    return RepoImage(df, context, target, said)


def find_repo_image(ref: str, dockerfile: Path, root: Path, read: list[Path]) -> Lookup:
    """The Dockerfile of the repository that builds image ``ref`` (files read go to ``read``)."""
    if "$" in ref or not ref or ref.lower() == "scratch":
        return Lookup()
    found: list[RepoImage] = []
    reasons: list[str] = []
    for path in _candidates(dockerfile, root):
        text = _read(path, root, read)
        if text is None or split_image_ref(ref)[0].lower() not in text.lower():
            continue
        if path.name in COMPOSE_NAMES:
            found += _from_compose(path, text, ref)
            continue
        for line, rest in _build_lines(text):
            got = _from_build_command(path, rest, line, ref)
            if isinstance(got, RepoImage):
                found.append(got)
            elif got is not None:
                reasons.append(got)
    me = runmemo.resolve(dockerfile)
    distinct: dict[tuple[Path, str | None], RepoImage] = {}
    for image in found:
        try:
            key = (runmemo.resolve(image.dockerfile), image.target)
        except (ValueError, OSError, RuntimeError):
            continue
        distinct.setdefault(key, image)
    if reasons:
        return Lookup(unknown=f"the repository builds {ref}, but {reasons[0]}")
    if len(distinct) > 1:
        said = ", ".join(i.said for i in distinct.values())
        return Lookup(unknown=f"{ref} is built by several Dockerfiles of the repository ({said})")
    if not distinct:
        return Lookup()
    (df, _), image = next(iter(distinct.items()))
    if df == me:
        return Lookup(unknown=f"{image.said} builds {ref} from this Dockerfile itself")
    if not runmemo.lexists(df):
        return Lookup(unknown=f"{image.said} builds {ref} from {image.dockerfile}, which does "
                              "not exist")
    return Lookup(image=image)
