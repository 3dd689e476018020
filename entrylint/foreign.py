"""Other tools' suppressions that cover entrylint's rules, honoured so that a repository
migrating to entrylint keeps what it already accepted.

EL101 and EL102 (shell-form ``CMD``/``ENTRYPOINT``) cover the ground of hadolint's DL3025 and
BuildKit's ``JSONArgsRecommended`` (which tally names ``hadolint/DL3025`` and
``buildkit/JSONArgsRecommended``).  Honoured, without ever being reported as unused (they are
the other tool's too):

* hadolint: ``# hadolint ignore=DL3025`` above an instruction, ``# hadolint global
  ignore=DL3025`` in the file, and ``ignored: [DL3025]`` in the nearest ``.hadolint.yaml`` /
  ``.hadolint.yml`` (looked up from the Dockerfile's directory to the repository root);
* BuildKit: the parser directive ``# check=skip=JSONArgsRecommended`` (or ``skip=all``) at the
  top of the Dockerfile, for the whole file;
* tally: ``# tally ignore=…`` above an instruction and ``# tally global ignore=…`` in the file,
  with or without the ``hadolint/`` or ``buildkit/`` prefix.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from entrylint import runmemo

#: A foreign rule id (upper case, without a tool prefix) -> the entrylint rules it stands for.
EQUIVALENTS: dict[str, tuple[str, ...]] = {
    "DL3025": ("EL101", "EL102"),
    "JSONARGSRECOMMENDED": ("EL101", "EL102"),
}
#: Which tool each foreign id belongs to, for the docs.
OWNERS = {"DL3025": "hadolint", "JSONARGSRECOMMENDED": "BuildKit"}
HADOLINT_CONFIGS = (".hadolint.yaml", ".hadolint.yml")

_DIRECTIVE = re.compile(r"#\s*([A-Za-z]+)\s*=\s*(.*?)\s*$")


def expand(codes: list[str]) -> tuple[str, ...]:
    """Foreign ids (``DL3025``, ``hadolint/DL3025``, ``buildkit/JSONArgsRecommended``) ->
    the entrylint rule ids they cover (each once)."""
    out: list[str] = []
    for code in codes:
        key = code.strip().upper().rsplit("/", 1)[-1]
        for rule in EQUIVALENTS.get(key, ()):
            if rule not in out:
                out.append(rule)
    return tuple(out)


def buildkit_skips(lines: list[str]) -> tuple[str, ...]:
    """The rules that BuildKit's ``# check=skip=…`` parser directive switches off.

    Parser directives are the ``# key=value`` comments at the very top of a Dockerfile; the
    first line that is not one (an instruction, a blank line, any other comment) ends them."""
    skipped: list[str] = []
    for n, line in enumerate(lines):
        m = _DIRECTIVE.fullmatch((line.lstrip("\ufeff") if n == 0 else line).strip())
        if m is None or m.group(1).lower() not in ("syntax", "escape", "check"):
            break
        if m.group(1).lower() != "check":
            continue
        for part in m.group(2).split(";"):
            key, _, value = part.partition("=")
            if key.strip().lower() != "skip":
                continue
            names = [v.strip() for v in value.split(",") if v.strip()]
            if any(n.lower() == "all" for n in names):
                names = ["JSONArgsRecommended"]
            skipped += [c for c in expand(names) if c not in skipped]
    return tuple(skipped)


def hadolint_ignored(dockerfile: Path, repo_root: Path) -> tuple[str, ...]:
    """The entrylint rules that the nearest ``.hadolint.yaml``'s ``ignored:`` switches off."""
    found = _nearest(runmemo.resolve(dockerfile).parent, runmemo.resolve(repo_root))
    return _hadolint_file(found, found.stat().st_mtime_ns) if found is not None else ()


def _nearest(d: Path, root: Path) -> Path | None:
    """The nearest hadolint file at or above ``d`` up to ``root``, once per directory of a
    run (:mod:`entrylint.runmemo`): 2,000 sibling projects share their parents' answer."""
    found: Path | None = runmemo.remembered("hadolint-config", _nearest_here, d, root)
    return found


def _nearest_here(d: Path, root: Path) -> Path | None:
    for name in HADOLINT_CONFIGS:
        f = d / name
        if runmemo.is_file(f):
            return f
    if d == root or root not in d.parents or d.parent == d:
        return None
    return _nearest(d.parent, root)


@lru_cache(maxsize=64)
def _hadolint_file(path: Path, _mtime: int) -> tuple[str, ...]:
    import yaml

    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return ()  # hadolint's file, hadolint's problem: entrylint lints as if it were absent
    ignored = doc.get("ignored") if isinstance(doc, dict) else None
    if not isinstance(ignored, list):
        return ()
    return expand([str(c) for c in ignored])
