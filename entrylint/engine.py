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
from typing import TYPE_CHECKING, Any

from entrylint import runmemo
from entrylint.config import Config, ConfigLoader
from entrylint.diagnostics import Diagnostic, Severity
from entrylint.discovery import discover, is_dockerfile_name
from entrylint.linted import Linted, ScriptRef, Unfollowed
from entrylint.model import ImageModel, display_path, load
from entrylint.repo import RepoRoots
from entrylint.source import SourceError, SourceFile

if TYPE_CHECKING:
    from entrylint.cache import ResultCache


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
    def posix(self) -> bool:
        """A rule about POSIX signals or reaping: it does not apply to Windows images."""
        return bool(getattr(self.module, "POSIX", False))

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
    #: One record per linted Dockerfile (the models themselves are not kept: see linted.py).
    linted: list[Linted] = field(default_factory=list)
    files: dict[Path, SourceFile] = field(default_factory=dict)
    #: Diagnostics at or above the fail level of the configuration that applies to them.
    failing: int = 0
    #: ``path:line: RULE suppressed by path:line (reason)`` for ``--verbose``.
    suppressed: list[str] = field(default_factory=list)

    @property
    def dockerfiles(self) -> int:
        return len(self.linted)

    @property
    def scripts(self) -> int:
        return len({s.container_path + str(m.path) for m in self.linted for s in m.scripts})


def lint_model(model: ImageModel, rules: Iterable[Rule]) -> list[Diagnostic]:
    """The findings of the image's start-up, then those of each compose service that starts
    the image otherwise (:mod:`entrylint.service_findings`)."""
    rules = tuple(rules)
    out = _lint_one(model, rules)
    if model.services:
        from entrylint.service_findings import merged

        for run in model.services:
            found = _lint_one(run.model, rules)
            for d in merged(model, run, found, out):
                _locate(d, run.service.file if d.path == run.service.file.path else
                        _sources(run.model).get(d.path, model.source))
                out.append(d)
            model.notes += [n for n in run.model.notes if n not in model.notes]
    return out


def _sources(model: ImageModel) -> dict[Path, SourceFile]:
    files = {model.source.path: model.source}
    for s in model.scripts:
        files.setdefault(s.file.path, s.file)
    for run in model.services:
        files.setdefault(run.service.file.path, run.service.file)
        for path, src in _sources(run.model).items():
            files.setdefault(path, src)
    return files


def _lint_one(model: ImageModel, rules: tuple[Rule, ...]) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    files = {model.source.path: model.source}
    for s in model.scripts:
        files[s.file.path] = s.file
    windows = is_windows_image(model)
    skipped: list[str] = []
    for rule in rules:
        if windows and rule.posix:
            skipped.append(rule.id)
            continue
        for d in rule.check(model):
            src = files.get(d.path, model.source)
            _locate(d, src)
            out.append(d)
    if skipped:
        note = (f"a Windows image: no POSIX signals or PID-1 reaping there, so "
                f"{', '.join(skipped)} were not run")
        if note not in model.notes:
            model.notes.append(note)
    return out


def _met(dependent: list[Diagnostic], reported: list[Diagnostic],
         images_of: dict[int, set[Path]]) -> list[Diagnostic]:
    """The findings that hold only after another rule's fix whose finding, for the same
    image, is reported (not suppressed, ignored or left unselected).  A finding in a script
    that several Dockerfiles run is reported once but counts for each of their images."""
    seen = {(image, d.rule) for d in reported for image in images_of.get(id(d), ())}
    return [d for d in dependent
            if any((image, r) in seen for image in images_of.get(id(d), ()) for r in d.requires)]


def is_windows_image(model: ImageModel) -> bool:
    """A Windows container (its base image, or a Windows SHELL)."""
    base = model.final.root_image
    return (base is not None and base.distro == "windows") or \
        model.final.shell_kind() == "windows"


def _locate(d: Diagnostic, src: SourceFile) -> None:
    d.line, d.column = src.position(d.start)
    d.end_line, d.end_column = src.position(max(d.end, d.start))


_SCRIPT_SUFFIXES = (".sh", ".bash", ".ash", ".dash", ".ksh", ".mksh", ".zsh")


def may_be_script(path: Path) -> bool:
    """A shell script by its name or its ``#!`` line (cheap: reads 256 bytes)."""
    from entrylint.shell import SHELLS, shebang_interpreter

    if path.name.endswith(_SCRIPT_SUFFIXES):
        return True
    from entrylint.boundary import read_head

    head = read_head(path, 256)  # never blocks on a FIFO named like a script
    if not head.startswith(b"#!"):
        return False
    line = head.split(b"\n", 1)[0][2:].decode("utf-8", errors="replace")
    return shebang_interpreter(line.strip()) in SHELLS


def build_model(path: Path, context: Path | None, target: str | None
                ) -> ImageModel | SourceError:
    """The model of one Dockerfile, or why there is none."""
    try:
        return load(path, context=context, target=target, repo_root=repo_root_of(path.parent))
    except SourceError as exc:
        return exc
    except RecursionError:  # a RuntimeError too: catch it first
        return SourceError(path, "is nested too deeply to analyse")
    except (OSError, RuntimeError) as exc:  # e.g. a symlink loop on the way
        return SourceError(path, f"cannot be read: {exc}")


_ROOTS = RepoRoots()


def repo_root_of(directory: Path) -> Path:
    """:func:`find_repo_root`, once per directory and run (lint_paths starts afresh)."""
    return _ROOTS(directory)


class _Loader:
    """Builds each Dockerfile's model once (the changed-files search builds them early)."""

    def __init__(self, context: Path | None, target: str | None) -> None:
        self.context, self.target = context, target
        self._cache: dict[Path, ImageModel | SourceError] = {}

    def load(self, path: Path) -> ImageModel | SourceError:
        key = _key(path)
        if key not in self._cache:
            self._cache[key] = build_model(path, self.context, self.target)
        return self._cache[key]


def _key(path: Path) -> Path:
    """A path's identity for de-duplication, without failing on a symlink loop."""
    try:
        return runmemo.resolve(path)
    except (OSError, RuntimeError):
        return path.absolute()


PatternsFor = Callable[[Path], "tuple[str, ...] | None"]


def _search(paths: Iterable[Path], patterns_for: PatternsFor,
            on_error: Callable[[Path, str], None] | None = None) -> Iterator[Path]:
    for p in paths:
        yield from discover([p], patterns_for(p) if p.is_dir() else None, on_error)


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
    for root in sorted({repo_root_of(s.parent) for s in scripts}):
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
    #: Worker processes (None: every core; 1: in this process).  Small runs stay in-process.
    jobs: int | None = None
    #: Reuse and store results in ``.entrylint_cache/`` at the repository root (see cache.py).
    cache: bool = False


def lint_paths(paths: Iterable[Path], options: LintOptions | None = None, *,
               progress: Callable[[Path], None] | None = None, **overrides: Any) -> Result:
    """Lint Dockerfiles (and directories searched for them) with their scripts.

    ``overrides`` replace fields of ``options`` (``lint_paths(paths, context=…)``).
    Raises ``ConfigError``.  File-system answers are remembered for the run
    (:mod:`entrylint.runmemo`).
    """
    with runmemo.active():
        return _lint_paths(paths, options, progress, overrides)


def _lint_paths(paths: Iterable[Path], options: LintOptions | None,
                progress: Callable[[Path], None] | None, overrides: dict[str, Any]) -> Result:
    from entrylint import foreign

    opts = dataclasses.replace(options or LintOptions(), **overrides)
    paths = list(paths)
    if opts.rules is not None and not isinstance(opts.rules, tuple):
        opts = dataclasses.replace(opts, rules=tuple(opts.rules))
    global _ROOTS
    _ROOTS = RepoRoots()
    config = opts.config
    fixed = config if isinstance(config, Config) else Config()
    config_for: Callable[[Path], Config] = (
        config.for_path if isinstance(config, ConfigLoader) else lambda _path: fixed)
    base = opts.rules if opts.rules is not None else all_rules()
    loader = _Loader(opts.context, opts.target)

    def patterns_for(p: Path) -> tuple[str, ...] | None:
        return config_for(p).dockerfile_patterns

    unsearchable_dirs: list[FileError] = []  # reported once the result exists

    def unsearchable(path: Path, why: str) -> None:
        unsearchable_dirs.append(FileError(display_path(path), why))

    targets = (changed_targets(paths, loader, opts.note, patterns_for) if opts.changed
               else _search(paths, patterns_for, unsearchable))
    jobs: list[_Job] = []
    configs: list[Config] = []
    named = {_key(p) for p in paths if not p.is_dir()} if not opts.changed else set()

    def prepared() -> Iterator[_Job]:
        """Each Dockerfile once, with what its configuration says (notes as they come)."""
        seen: set[Path] = set()
        enabled: dict[tuple[int, tuple[str, ...]], tuple[str, ...]] = {}
        for path in targets:
            key = _key(path)
            if key in seen:
                continue
            seen.add(key)
            cfg = config_for(path)
            if key not in named and cfg.excludes(path):
                if opts.note is not None:
                    opts.note(f"{display_path(path)}: excluded by the configuration")
                continue
            try:
                off = foreign.hadolint_ignored(path, _repo_root(path, opts.context))
            except (OSError, RuntimeError):  # a symlink loop: building the model reports it
                off = ()
            if off and opts.note is not None:
                opts.note(f"{display_path(path)}: .hadolint.yaml ignores {', '.join(off)}")
            # the same few configurations for every Dockerfile: their rules once each (the
            # configurations are kept in ``configs``, so their ids stay theirs)
            rules = enabled.get((id(cfg), off))
            if rules is None:
                rules = enabled[id(cfg), off] = tuple(
                    r.id for r in base if cfg.enabled(r.id) and r.id not in off)
            job = _Job(path, rules, cfg.init, cfg.assumes_init(path), key)
            jobs.append(job)
            configs.append(cfg)
            yield job

    searched = any(p.is_dir() for p in paths)
    shared = _Shared(opts.context, opts.target, {r.id: r for r in base},
                     loader if opts.changed else None, _cache_for(opts, searched))
    items: Iterable[_Job] = prepared()
    if shared.cache is not None or opts.changed:
        items = list(items)
    if shared.cache is not None:
        shared.cache.prepare({repo_root_of(j.path.parent) for j in jobs})
    from entrylint import workers

    # --changed-files: the models are built already (and few): no workers.  Otherwise the
    # workers start once enough Dockerfiles are found, while the rest are still prepared.
    outcomes = workers.run(_lint_job, shared, items, 1 if opts.changed else opts.jobs)
    result = Result()
    result.errors += unsearchable_dirs
    collected = _Collected()
    try:
        for job, cfg, outcome in zip(jobs, configs, _announce(jobs, outcomes, progress),
                                     strict=True):
            if isinstance(outcome, FileError):
                result.errors.append(outcome)
            else:
                collected.add(outcome, job.key, cfg, job.rules, result)
    finally:
        outcomes.close()
    collected.finish(result, config_for, opts)
    return result


def _repo_root(path: Path, context: Path | None) -> Path:
    """The repository of a Dockerfile, widened as the model widens it for a --context above."""
    from entrylint.model import widened_root

    root = repo_root_of(path.parent)
    return widened_root(root, context) if context is not None else root


def _announce(jobs: list[_Job], outcomes: Iterator[Linted | FileError],
              progress: Callable[[Path], None] | None) -> Iterator[Linted | FileError]:
    """``progress(path)`` for each Dockerfile as its turn comes (workers cannot print)."""
    for job in jobs:
        if progress is not None:
            progress(job.path)
        yield next(outcomes)


@dataclass(frozen=True)
class _Job:
    """One Dockerfile and what its configuration says, as a worker needs it."""

    path: Path
    rules: tuple[str, ...]
    init: str
    assume_init: bool
    key: Path  # the Dockerfile's identity (resolved), for one report per image


@dataclass
class _Shared:
    context: Path | None
    target: str | None
    rules: dict[str, Rule]
    loader: _Loader | None  # --changed-files: the models built while choosing the targets
    cache: ResultCache | None


def _cache_for(opts: LintOptions, searched: bool) -> ResultCache | None:
    """The result cache, for a run that searches a directory (``check .``, CI).  Files named
    one by one (pre-commit, an editor) take milliseconds each: fingerprinting a large
    repository's listing would cost more than it saves.  Not under --context either (the model
    may then read above the repository), nor while --fix re-lints contents it has not written
    (the overlay: what is read is not what is on disk)."""
    from entrylint import source

    if not opts.cache or not searched or opts.context is not None or source.has_overlay():
        return None
    from entrylint.cache import ResultCache

    return ResultCache(options=(opts.target,))


def _lint_job(shared: _Shared, job: _Job) -> Linted | FileError:
    """Build one model, run its rules, keep only the record (in a worker, or here)."""
    cached = None
    if shared.cache is not None:
        cached = shared.cache.get(job.path, _job_key(job))
        if cached is not None:
            return cached
    try:
        model = (shared.loader.load(job.path) if shared.loader is not None
                 else build_model(job.path, shared.context, shared.target))
        if isinstance(model, SourceError):
            return FileError(display_path(Path(model.path)), model.reason)
        model.init_program = job.init
        diags = lint_model(model, [shared.rules[r] for r in job.rules])
    except RecursionError:
        return FileError(display_path(job.path), "is nested too deeply to analyse (it or a "
                                                 "script it runs)")
    except MemoryError:  # in a worker too: the file is named, the others still linted
        return FileError(display_path(job.path), "needs more memory to analyse than "
                                                 "entrylint could get")
    if job.assume_init:
        diags = [d for d in diags if d.rule != "EL104"]
    linted = _record(model, diags)
    if shared.cache is not None:
        shared.cache.put(job.path, _job_key(job), linted)
    return linted


def _job_key(job: _Job) -> tuple[str, ...]:
    return (*job.rules, job.init, str(job.assume_init))


def _record(model: ImageModel, diags: list[Diagnostic]) -> Linted:
    sources = _sources(model)
    return Linted(
        path=model.path, repo_root=model.repo_root, sources=list(sources.values()),
        spans={i.start_line: i.end_line for i in model.dockerfile.instructions},
        diagnostics=diags, notes=list(model.notes),
        scripts=[ScriptRef(s.container_path, s.display, s.file.path, s.heredoc is not None)
                 for s in [*model.scripts, *(s for r in model.services for s in r.model.scripts
                                              if s.container_path not in
                                              {m.container_path for m in model.scripts})]],
        unresolved=[Unfollowed(u.path, u.reason)
                    for u in [*model.unresolved, *model.opaque]],
        read_files=list(model.read_files),
    )


@dataclass
class _Collected:
    """The run's findings as the records arrive: one copy of each, with its configuration."""

    found: dict[tuple[str, Path, int, int, str], Diagnostic] = field(default_factory=dict)
    file_config: dict[Path, Config] = field(default_factory=dict)
    ran: dict[Path, set[str]] = field(default_factory=dict)
    spans: dict[Path, dict[int, int]] = field(default_factory=dict)
    #: id(finding kept) -> the Dockerfiles whose lint reported it (a shared script's: several)
    images_of: dict[int, set[Path]] = field(default_factory=dict)

    def add(self, linted: Linted, key: Path, cfg: Config, rules: tuple[str, ...],
            result: Result) -> None:
        result.linted.append(linted)
        for src in linted.sources:
            result.files[src.path] = src
            self.file_config.setdefault(src.path, cfg)
            self.ran.setdefault(src.path, set()).update(rules)
        self.spans[linted.path] = linted.spans
        for d in linted.diagnostics:
            kept = self.found.setdefault((d.rule, d.path, d.start, d.end, d.message), d)
            self.images_of.setdefault(id(kept), set()).add(key)

    def finish(self, result: Result, config_for: Callable[[Path], Config],
               opts: LintOptions) -> None:
        from entrylint import suppress

        file_config = self.file_config

        def config_of(d: Diagnostic) -> Config:
            return file_config[d.path] if d.path in file_config else config_for(d.path)

        # per-file-ignores, then suppression comments, then EL001 for the comments left unused
        diags_all = [d for d in self.found.values()
                     if not config_of(d).ignored_in_file(d.rule, d.path)]
        comments = {p: suppress.scan(src, self.spans.get(p)) for p, src in result.files.items()}
        # a finding that holds only after another rule's fix counts once that rule's is reported
        hidden: list[tuple[Diagnostic, suppress.Suppression]] = []
        diags = suppress.apply([d for d in diags_all if not d.requires], comments, hidden)
        diags += suppress.apply(
            _met([d for d in diags_all if d.requires], diags, self.images_of), comments, hidden)
        for d, s in hidden:
            why = f" -- {s.reason}" if s.reason else ""
            result.suppressed.append(f"{display_path(d.path)}:{d.line}: {d.rule} suppressed "
                                     f"by the comment on line {s.line}{why}")
        if opts.require_reason:
            for p, items in comments.items():
                cfg = file_config[p]
                if not cfg.enabled(suppress.MISSING_REASON_ID) or cfg.ignored_in_file(
                        suppress.MISSING_REASON_ID, p):
                    continue
                for d in suppress.without_reason(items):
                    _locate(d, result.files[p])
                    diags.append(d)
        if opts.unused_ignores:
            for p, items in comments.items():
                cfg = file_config[p]
                enabled = frozenset(c for c in self.ran[p] if not cfg.ignored_in_file(c, p))
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
