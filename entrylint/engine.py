"""Find Dockerfiles, build their models, run the rules."""

from __future__ import annotations

import dataclasses
import importlib
import pkgutil
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType
from typing import Any

from entrylint.config import Config, ConfigLoader
from entrylint.diagnostics import Diagnostic, Severity
from entrylint.discovery import discover, is_dockerfile_name
from entrylint.model import ImageModel, display_path, find_repo_root, load
from entrylint.source import SourceError, SourceFile


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
    #: None for EL001, which the engine reports (it has docs, but no model check).
    module: ModuleType | None

    @property
    def fixable(self) -> bool:
        return bool(self.fix) and not self.fix.lower().startswith("no fix")

    def check(self, model: ImageModel) -> Iterator[Diagnostic]:
        assert self.module is not None
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
    #: Diagnostics at or above the fail level of the configuration that applies to them.
    failing: int = 0
    #: ``path:line: RULE suppressed by path:line (reason)`` for ``--verbose``.
    suppressed: list[str] = field(default_factory=list)

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
            _locate(d, src)
            out.append(d)
    return out


def _met(dependent: list[Diagnostic], reported: list[Diagnostic],
         image_of: dict[int, Path]) -> list[Diagnostic]:
    """The findings that hold only after another rule's fix whose finding, for the same
    image, is reported (not suppressed, ignored or left unselected)."""
    seen = {(image_of.get(id(d)), d.rule) for d in reported}
    return [d for d in dependent if any((image_of.get(id(d)), r) in seen for r in d.requires)]


def _locate(d: Diagnostic, src: SourceFile) -> None:
    d.line, d.column = src.position(d.start)
    d.end_line, d.end_column = src.position(max(d.end, d.start))


_SCRIPT_SUFFIXES = (".sh", ".bash", ".ash", ".dash", ".ksh", ".mksh", ".zsh")


def may_be_script(path: Path) -> bool:
    """A shell script by its name or its ``#!`` line (cheap: reads 256 bytes)."""
    from entrylint.shell import SHELLS, shebang_interpreter

    if path.name.endswith(_SCRIPT_SUFFIXES):
        return True
    try:
        with open(path, "rb") as fh:
            head = fh.read(256)
    except OSError:
        return False
    if not head.startswith(b"#!"):
        return False
    line = head.split(b"\n", 1)[0][2:].decode("utf-8", errors="replace")
    return shebang_interpreter(line.strip()) in SHELLS


class _Loader:
    """Builds each Dockerfile's model once (the changed-files search builds them early)."""

    def __init__(self, context: Path | None, target: str | None) -> None:
        self.context, self.target = context, target
        self._cache: dict[Path, ImageModel | SourceError] = {}

    def load(self, path: Path) -> ImageModel | SourceError:
        key = _key(path)
        if key not in self._cache:
            try:
                self._cache[key] = load(path, context=self.context, target=self.target,
                                        repo_root=find_repo_root(path.parent))
            except SourceError as exc:
                self._cache[key] = exc
            except RecursionError:  # a RuntimeError too: catch it first
                self._cache[key] = SourceError(path, "is nested too deeply to analyse")
            except (OSError, RuntimeError) as exc:  # e.g. a symlink loop on the way
                self._cache[key] = SourceError(path, f"cannot be read: {exc}")
        return self._cache[key]


def _key(path: Path) -> Path:
    """A path's identity for de-duplication, without failing on a symlink loop."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


PatternsFor = Callable[[Path], "tuple[str, ...] | None"]


def _search(paths: Iterable[Path], patterns_for: PatternsFor) -> Iterator[Path]:
    for p in paths:
        yield from discover([p], patterns_for(p) if p.is_dir() else None)


def changed_targets(paths: Iterable[Path], loader: _Loader,
                    note: Callable[[str], None] | None = None,
                    patterns_for: PatternsFor = lambda _p: None) -> Iterator[Path]:
    """pre-commit's changed files -> the Dockerfiles to lint.

    A Dockerfile is linted; a directory is searched as usual; a shell script selects every
    Dockerfile of its repository whose start-up runs it; any other file is ignored."""
    scripts: list[Path] = []
    for p in paths:
        if p.is_dir():
            yield from _search([p], patterns_for)
        elif is_dockerfile_name(p.name, patterns_for(p)):
            yield p
        elif may_be_script(p):
            scripts.append(p)
        elif note is not None:
            note(f"{display_path(p)}: not a Dockerfile or shell script, ignored")
    if not scripts:
        return
    wanted = {s.resolve(): s for s in scripts}
    used: set[Path] = set()
    for root in sorted({find_repo_root(s.parent) for s in scripts}):
        for df in _search([_relative_if_below_cwd(root)], patterns_for):
            model = loader.load(df)
            if isinstance(model, SourceError):
                continue
            hits = {s.file.path.resolve() for s in model.scripts if s.heredoc is None}
            if hits & wanted.keys():
                used |= hits & wanted.keys()
                yield df
    if note is not None:
        for key, s in wanted.items():
            if key not in used:
                note(f"{display_path(s)}: no Dockerfile in the repository runs it, ignored")


def _relative_if_below_cwd(path: Path) -> Path:
    try:
        rel = path.resolve().relative_to(Path.cwd().resolve())
    except ValueError:
        return path
    return rel if rel.parts else Path(".")


@dataclass(frozen=True)
class LintOptions:
    """How to lint: the same for ``check`` and for each round of ``--fix``.

    ``config`` filters and re-grades what the rules find (a :class:`ConfigLoader` finds the
    file nearest to each Dockerfile); inline suppression comments are applied, and unused ones
    reported as EL001 unless ``unused_ignores`` is False.  With ``changed``, the paths are
    changed files (pre-commit): see :func:`changed_targets`.
    """

    context: Path | None = None
    target: str | None = None
    rules: tuple[Rule, ...] | None = None
    config: Config | ConfigLoader | None = None
    unused_ignores: bool = True
    #: Report entrylint suppression comments without a ``-- reason`` (EL002).
    require_reason: bool = False
    changed: bool = False
    note: Callable[[str], None] | None = None


def lint_paths(paths: Iterable[Path], options: LintOptions | None = None, *,
               progress: Callable[[Path], None] | None = None, **overrides: Any) -> Result:
    """Lint Dockerfiles (and directories searched for them) with their scripts.

    ``overrides`` replace fields of ``options`` (``lint_paths(paths, context=…)``).
    Raises ``ConfigError``.
    """
    from entrylint import foreign, suppress

    opts = dataclasses.replace(options or LintOptions(), **overrides)
    paths = list(paths)
    if opts.rules is not None and not isinstance(opts.rules, tuple):
        opts = dataclasses.replace(opts, rules=tuple(opts.rules))
    context, target, rules, config = opts.context, opts.target, opts.rules, opts.config
    unused_ignores, changed, note = opts.unused_ignores, opts.changed, opts.note

    fixed = config if isinstance(config, Config) else Config()
    config_for: Callable[[Path], Config] = (
        config.for_path if isinstance(config, ConfigLoader) else lambda _path: fixed)
    result = Result()
    base = tuple(rules) if rules is not None else all_rules()
    loader = _Loader(context, target)
    def patterns_for(p: Path) -> tuple[str, ...] | None:
        return config_for(p).dockerfile_patterns

    targets = (changed_targets(paths, loader, note, patterns_for) if changed
               else _search(paths, patterns_for))
    seen: set[Path] = set()
    found: dict[tuple[str, Path, int, int, str], Diagnostic] = {}
    file_config: dict[Path, Config] = {}
    ran: dict[Path, set[str]] = {}
    spans: dict[Path, dict[int, int]] = {}
    image_of: dict[int, Path] = {}  # id(diagnostic) -> the Dockerfile whose model made it
    named = {_key(p) for p in paths if not p.is_dir()} if not changed else set()
    for path in targets:
        key = _key(path)
        if key in seen:
            continue
        seen.add(key)
        if key not in named and config_for(path).excludes(path):
            if note is not None:
                note(f"{display_path(path)}: excluded by the configuration")
            continue
        if progress is not None:
            progress(path)
        model = loader.load(path)
        if isinstance(model, SourceError):
            result.errors.append(FileError(display_path(Path(model.path)), model.reason))
            continue
        cfg = config_for(path)
        model.init_program = cfg.init
        off = foreign.hadolint_ignored(model.path, model.repo_root)
        if off and note is not None:
            note(f"{display_path(path)}: .hadolint.yaml ignores {', '.join(off)}")
        active = [r for r in base if cfg.enabled(r.id) and r.id not in off]
        result.models.append(model)
        files = [model.source, *(s.file for s in model.scripts)]
        for src in files:
            result.files[src.path] = src
            file_config.setdefault(src.path, cfg)
            ran.setdefault(src.path, set()).update(r.id for r in active)
        spans[model.source.path] = {i.start_line: i.end_line
                                    for i in model.dockerfile.instructions}
        for d in lint_model(model, active):
            if d.rule == "EL104" and cfg.assumes_init(model.path):
                continue
            found.setdefault((d.rule, d.path, d.start, d.end, d.message), d)
            image_of.setdefault(id(d), key)

    def config_of(d: Diagnostic) -> Config:
        return file_config[d.path] if d.path in file_config else config_for(d.path)

    # per-file-ignores, then suppression comments, then EL001 for the comments left unused
    diags_all = [d for d in found.values() if not config_of(d).ignored_in_file(d.rule, d.path)]
    diags = diags_all
    comments = {p: suppress.scan(src, spans.get(p)) for p, src in result.files.items()}
    # a finding that holds only after another rule's fix counts once that rule's is reported
    hidden: list[tuple[Diagnostic, suppress.Suppression]] = []
    diags = suppress.apply([d for d in diags if not d.requires], comments, hidden)
    diags += suppress.apply(_met([d for d in diags_all if d.requires], diags, image_of),
                            comments, hidden)
    for d, s in hidden:
        why = f" -- {s.reason}" if s.reason else ""
        result.suppressed.append(f"{display_path(d.path)}:{d.line}: {d.rule} suppressed by "
                                 f"the comment on line {s.line}{why}")
    if opts.require_reason:
        for p, items in comments.items():
            cfg = file_config[p]
            if not cfg.enabled(suppress.MISSING_REASON_ID) or cfg.ignored_in_file(
                    suppress.MISSING_REASON_ID, p):
                continue
            for d in suppress.without_reason(items):
                _locate(d, result.files[p])
                diags.append(d)
    if unused_ignores:
        for p, items in comments.items():
            cfg = file_config[p]
            enabled = frozenset(c for c in ran[p] if not cfg.ignored_in_file(c, p))
            if not cfg.enabled(suppress.UNUSED_IGNORE_ID) or cfg.ignored_in_file(
                    suppress.UNUSED_IGNORE_ID, p):
                continue
            for d in suppress.unused(items, enabled):
                _locate(d, result.files[p])
                diags.append(d)
    # severity overrides, then the fail level
    for d in diags:
        cfg = config_of(d)
        d.severity = cfg.severity_of(d.rule, d.severity)
        if cfg.fails(d.severity):
            result.failing += 1
    result.diagnostics = sorted(diags, key=lambda d: d.sort_key())
    return result
