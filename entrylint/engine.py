"""Find Dockerfiles, build their models, run the rules."""

from __future__ import annotations

import fnmatch
import importlib
import os
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType

from entrylint.diagnostics import Diagnostic, Severity
from entrylint.model import ImageModel, display_path, find_repo_root, load
from entrylint.source import SourceError, SourceFile

DOCKERFILE_GLOBS = ("Dockerfile", "Containerfile", "*.Dockerfile", "*.dockerfile",
                    "Dockerfile.*", "Containerfile.*")


@dataclass(frozen=True)
class Rule:
    id: str
    name: str
    severity: Severity
    summary: str
    doc: str
    bad: str
    good: str
    fix: str
    module: ModuleType

    def check(self, model: ImageModel) -> Iterator[Diagnostic]:
        result: Iterable[Diagnostic] = self.module.check(model)
        yield from result


@lru_cache(maxsize=1)
def all_rules() -> tuple[Rule, ...]:
    pkg = importlib.import_module("entrylint.rules")

    rules = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        mod = importlib.import_module(f"entrylint.rules.{info.name}")
        rules.append(
            Rule(id=mod.ID, name=mod.NAME, severity=mod.SEVERITY, summary=mod.SUMMARY,
                 doc=(mod.__doc__ or "").strip(), bad=mod.BAD.strip("\n"),
                 good=mod.GOOD.strip("\n"), fix=getattr(mod, "FIX", "").strip(), module=mod)
        )
    return tuple(sorted(rules, key=lambda r: r.id))


def is_dockerfile_name(name: str) -> bool:
    return any(fnmatch.fnmatchcase(name, g) for g in DOCKERFILE_GLOBS)


def discover(paths: Iterable[Path]) -> Iterator[Path]:
    """Files are taken as Dockerfiles; directories are searched, honouring .gitignore."""
    import pathspec

    for path in paths:
        if not path.is_dir():
            yield path
            continue
        specs: list[tuple[Path, pathspec.GitIgnoreSpec]] = []
        for dirpath, dirnames, filenames in os.walk(path):
            here = Path(dirpath)
            gi = here / ".gitignore"
            if gi.is_file():
                try:
                    lines = gi.read_text(encoding="utf-8", errors="replace").splitlines()
                    specs.append((here, pathspec.GitIgnoreSpec.from_lines(lines)))
                except OSError:
                    pass

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
                if d not in (".git", "node_modules", ".venv", "__pycache__")
                and not (here / d).is_symlink() and not ignored(here / d, True)
            )
            for name in sorted(filenames):
                if is_dockerfile_name(name) and not ignored(here / name, False):
                    yield here / name


@dataclass
class FileError:
    path: str
    reason: str


@dataclass
class Result:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    models: list[ImageModel] = field(default_factory=list)
    files: dict[Path, SourceFile] = field(default_factory=dict)

    @property
    def dockerfiles(self) -> int:
        return len(self.models)

    @property
    def scripts(self) -> int:
        return len({s.container_path + str(m.path) for m in self.models for s in m.scripts})


def lint_model(model: ImageModel, rules: Iterable[Rule]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    files = {model.source.path: model.source}
    for s in model.scripts:
        files[s.file.path] = s.file
    for rule in rules:
        for d in rule.check(model):
            src = files.get(d.path, model.source)
            d.line, d.column = src.position(d.start)
            d.end_line, d.end_column = src.position(max(d.end, d.start))
            out.append(d)
    return out


def lint_paths(paths: Iterable[Path], *, context: Path | None = None, target: str | None = None,
               rules: Iterable[Rule] | None = None,
               progress: Callable[[Path], None] | None = None) -> Result:
    result = Result()
    active = tuple(rules) if rules is not None else all_rules()
    seen: set[Path] = set()
    for path in discover(paths):
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        if progress is not None:
            progress(path)
        try:
            model = load(path, context=context, target=target,
                         repo_root=find_repo_root(path.parent))
        except SourceError as exc:
            result.errors.append(FileError(display_path(Path(exc.path)), exc.reason))
            continue
        result.models.append(model)
        result.files[model.source.path] = model.source
        for s in model.scripts:
            result.files[s.file.path] = s.file
        result.diagnostics += lint_model(model, active)
    result.diagnostics.sort(key=lambda d: d.sort_key())
    return result
