"""Configuration: ``[tool.entrylint]`` in ``pyproject.toml`` or a ``.entrylint.toml``.

The file nearest to a linted Dockerfile wins (walking up to the repository root); ``--config``
names one file for everything.  Command-line options are applied on top of whichever file is
used.  Every problem is a :class:`ConfigError` that names the file and the key.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, cast

from entrylint import runmemo
from entrylint.diagnostics import SEVERITY_RANK, Severity
from entrylint.repo import RepoRoots

if TYPE_CHECKING:  # imported by _spec: only a configuration with patterns needs it
    import pathspec

InitProgram = Literal["tini", "dumb-init"]
CONFIG_NAMES = (".entrylint.toml", "pyproject.toml")
KEYS = ("select", "ignore", "extend-ignore", "severity", "fail-level", "per-file-ignores",
        "init", "assume-init", "exclude", "dockerfile-patterns", "docs-url")
LEVELS: tuple[Severity, ...] = ("error", "warning", "info")


class ConfigError(Exception):
    """A configuration file (or option) that cannot be used; the message says where and why."""


def known_rule_ids() -> frozenset[str]:
    from entrylint.engine import all_rules
    from entrylint.suppress import MISSING_REASON_ID, UNUSED_IGNORE_ID

    return frozenset({r.id for r in all_rules()} | {UNUSED_IGNORE_ID, MISSING_REASON_ID})


def check_rule_ref(ref: str, where: str) -> str:
    """A rule id or a prefix of one (``EL10``), or ``ALL``; returned upper-cased."""
    code = ref.strip().upper()
    if code == "ALL":
        return code
    if not code or not any(rid.startswith(code) for rid in known_rule_ids()):
        raise ConfigError(f"{where}: unknown rule {ref!r} (see `entrylint rules`)")
    return code


def _match_len(code: str, refs: Iterable[str]) -> int:
    """How specifically ``refs`` name ``code``: the longest matching prefix, 0 for none."""
    best = 0
    for ref in refs:
        if ref == "ALL":
            best = max(best, 1)
        elif code.startswith(ref):
            best = max(best, len(ref) + 1)
    return best


@dataclass(frozen=True)
class Config:
    """Effective settings for the Dockerfiles one configuration file covers."""

    select: tuple[str, ...] = ("ALL",)
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, Severity] = field(default_factory=dict)
    fail_level: Severity = "info"
    #: (pattern, rules) pairs; patterns are gitwildmatch globs relative to :attr:`root`.
    per_file_ignores: tuple[tuple[str, tuple[str, ...]], ...] = ()
    init: InitProgram = "tini"
    assume_init: tuple[str, ...] = ()
    #: Globs of paths a directory search skips (a file named on the command line is linted).
    exclude: tuple[str, ...] = ()
    #: ``--exclude``: more such globs, relative to the current directory.
    cli_exclude: tuple[str, ...] = ()
    #: File-name globs a directory search takes for Dockerfiles (None: the defaults of
    #: :mod:`entrylint.discovery`).
    dockerfile_patterns: tuple[str, ...] | None = None
    #: Template of the rule links in reports (``{rule}``, ``{version}``); None: no links.
    docs_url: str | None = None
    #: The directory globs are relative to (the config file's directory).
    root: Path | None = None
    #: The file this came from, or None for the defaults.
    path: Path | None = None

    # -- rules ------------------------------------------------------------------------------
    def enabled(self, code: str) -> bool:
        """Selected and not ignored; the more specific of ``select``/``ignore`` wins (ruff)."""
        return _match_len(code, self.select) > _match_len(code, self.ignore)

    def severity_of(self, code: str, default: Severity) -> Severity:
        return self.severity.get(code, default)

    def fails(self, severity: Severity) -> bool:
        return SEVERITY_RANK[severity] >= SEVERITY_RANK[self.fail_level]

    # -- files ------------------------------------------------------------------------------
    def _relative(self, path: Path) -> str | None:
        base = (self.root or Path.cwd()).resolve()
        try:
            return safe_resolve(path).relative_to(base).as_posix()
        except ValueError:
            return None

    def ignored_in_file(self, code: str, path: Path) -> bool:
        """``per-file-ignores`` switches ``code`` off for ``path``."""
        if not self.per_file_ignores:
            return False
        rel = self._relative(path)
        if rel is None:
            return False
        for pattern, codes in self.per_file_ignores:
            if _match_len(code, codes) and _spec([pattern]).match_file(rel):
                return True
        return False

    def assumes_init(self, dockerfile: Path) -> bool:
        """``assume-init`` says this Dockerfile's containers always run under an init."""
        if not self.assume_init:
            return False
        rel = self._relative(dockerfile)
        return rel is not None and _spec(self.assume_init).match_file(rel)

    def excludes(self, path: Path) -> bool:
        """``exclude`` (or ``--exclude``) keeps ``path`` out of a directory search."""
        if self.exclude:
            rel = self._relative(path)
            if rel is not None and _spec(self.exclude).match_file(rel):
                return True
        if self.cli_exclude:
            try:
                rel = safe_resolve(path).relative_to(Path.cwd().resolve()).as_posix()
            except ValueError:
                return False
            return _spec(self.cli_exclude).match_file(rel)
        return False

    def with_overrides(self, *, select: Iterable[str] | None = None,
                       ignore: Iterable[str] = (), fail_level: Severity | None = None,
                       exclude: Iterable[str] = (), docs_url: str | None = None) -> Config:
        """Command-line options on top of a file.  ``--select`` replaces the file's
        ``select`` and its ``ignore`` (as a later ruff layer does); ``--ignore`` adds."""
        cfg = self
        if select is not None:
            cfg = replace(cfg, select=tuple(check_rule_ref(s, "--select") for s in select),
                          ignore=())
        extra = tuple(check_rule_ref(s, "--ignore") for s in ignore)
        if extra:
            cfg = replace(cfg, ignore=(*cfg.ignore, *extra))
        if fail_level is not None:
            cfg = replace(cfg, fail_level=fail_level)
        if exclude:
            cfg = replace(cfg, cli_exclude=_patterns(tuple(exclude), "--exclude"))
        if docs_url is not None:
            cfg = replace(cfg, docs_url=check_docs_url(docs_url, "--docs-url"))
        return cfg


_SPECS: dict[tuple[str, ...], pathspec.GitIgnoreSpec] = {}


def _spec(patterns: Iterable[str]) -> pathspec.GitIgnoreSpec:
    """gitwildmatch globs (``GitIgnoreSpec``: git's own matching, as .gitignore uses)."""
    import pathspec

    key = tuple(patterns)
    if key not in _SPECS:
        _SPECS[key] = pathspec.GitIgnoreSpec.from_lines(key)
    return _SPECS[key]


# ------------------------------------------------------------------------------------------
# Reading files
# ------------------------------------------------------------------------------------------


#: A configuration file larger than this is refused (they are a few hundred bytes).
MAX_CONFIG_BYTES = 1024 * 1024


def _toml_load(path: Path) -> dict[str, Any]:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    from entrylint.boundary import BoundaryError, read_regular

    try:
        data, _ = read_regular(path, MAX_CONFIG_BYTES)
    except BoundaryError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.reason}") from None
    try:
        doc: dict[str, Any] = tomllib.loads(data.decode("utf-8"))
        return doc
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 (byte offset {exc.start})") from None


def _table(path: Path) -> dict[str, Any] | None:
    """The entrylint table of a file, or None when a pyproject.toml has none."""
    doc = _toml_load(path)
    if path.name == "pyproject.toml":
        tool = doc.get("tool")
        if tool is not None and not isinstance(tool, dict):
            raise ConfigError(f"{path}: [tool] must be a table (got {type(tool).__name__})")
        table = tool.get("entrylint") if isinstance(tool, dict) else None
        if table is None:
            return None
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [tool.entrylint] must be a table")
        return table
    return doc


def _str_list(value: Any, where: str) -> list[str]:
    """A TOML array of strings; a lone string is an error (as documented), not a list of one."""
    if isinstance(value, str):
        raise ConfigError(f"{where}: must be a list of strings, not a string "
                          f"(write [{_toml_str(value)}])")
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: must be a list of strings (got {value!r})")
    return cast(list[str], value)


def _patterns(values: Iterable[str], where: str) -> tuple[str, ...]:
    """Each value checked to be a glob git accepts (so matching later cannot fail)."""
    import pathspec  # here, as in _spec: the check path does not import it otherwise

    for pattern in values:
        try:
            pathspec.GitIgnoreSpec.from_lines([pattern])
        except (ValueError, re.error) as exc:
            raise ConfigError(f"{where}: {pattern!r} is not a valid glob ({exc})") from None
    return tuple(values)


def _toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def check_docs_url(value: Any, where: str) -> str | None:
    """A URL template with ``{rule}`` (and maybe ``{version}``); ``""`` switches links off."""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: must be a string (got {value!r})")
    if value == "":
        return None
    if "{rule}" not in value or "://" not in value:
        raise ConfigError(f"{where}: must be a URL with {{rule}} in it, such as "
                          f"\"https://docs.example.com/entrylint/{{version}}/rules/{{rule}}\" "
                          f"(got {value!r})")
    return value


def _level(value: Any, where: str) -> Severity:
    if value not in LEVELS:
        raise ConfigError(f"{where}: must be one of {', '.join(LEVELS)} (got {value!r})")
    return cast(Severity, value)


def parse_table(table: Mapping[str, Any], path: Path) -> Config:
    """Validate one configuration table (from ``path``) into a :class:`Config`."""
    section = "[tool.entrylint]" if path.name == "pyproject.toml" else ""

    def where(key: str) -> str:
        return f"{path}: {section}{' ' if section else ''}key `{key}`"

    unknown = [k for k in table if k not in KEYS]
    if unknown:
        raise ConfigError(f"{where(unknown[0])}: unknown key (known keys: {', '.join(KEYS)})")
    kw: dict[str, Any] = {"root": path.parent, "path": path}
    if "select" in table:
        kw["select"] = tuple(check_rule_ref(s, where("select"))
                             for s in _str_list(table["select"], where("select")))
    ignore: list[str] = []
    for key in ("ignore", "extend-ignore"):
        if key in table:
            ignore += [check_rule_ref(s, where(key)) for s in _str_list(table[key], where(key))]
    kw["ignore"] = tuple(ignore)
    if "severity" in table:
        sev = table["severity"]
        if not isinstance(sev, dict):
            raise ConfigError(f"{where('severity')}: must be a table of rule = level")
        out: dict[str, Severity] = {}
        for code, level in sev.items():
            ref = check_rule_ref(code, where("severity"))
            if ref not in known_rule_ids():
                raise ConfigError(f"{where('severity')}: {code!r} is not a rule id")
            out[ref] = _level(level, f"{where('severity')} {code}")
        kw["severity"] = out
    if "fail-level" in table:
        kw["fail_level"] = _level(table["fail-level"], where("fail-level"))
    if "per-file-ignores" in table:
        pfi = table["per-file-ignores"]
        if not isinstance(pfi, dict):
            raise ConfigError(f"{where('per-file-ignores')}: must be a table of glob = [rules]")
        pairs = []
        for pattern, codes in pfi.items():
            w = f"{where('per-file-ignores')} {pattern!r}"
            _patterns([pattern], where("per-file-ignores"))
            pairs.append((pattern, tuple(check_rule_ref(c, w) for c in _str_list(codes, w))))
        kw["per_file_ignores"] = tuple(pairs)
    if "init" in table:
        if table["init"] not in ("tini", "dumb-init"):
            raise ConfigError(f"{where('init')}: must be \"tini\" or \"dumb-init\" "
                              f"(got {table['init']!r})")
        kw["init"] = table["init"]
    if "assume-init" in table:
        kw["assume_init"] = _patterns(_str_list(table["assume-init"], where("assume-init")),
                                      where("assume-init"))
    if "exclude" in table:
        kw["exclude"] = _patterns(_str_list(table["exclude"], where("exclude")),
                                  where("exclude"))
    if "dockerfile-patterns" in table:
        pats = _str_list(table["dockerfile-patterns"], where("dockerfile-patterns"))
        if any("/" in p for p in pats):
            raise ConfigError(f"{where('dockerfile-patterns')}: patterns match file names, "
                              f"without '/' (use `exclude` for paths)")
        kw["dockerfile_patterns"] = tuple(pats)
    if "docs-url" in table:
        kw["docs_url"] = check_docs_url(table["docs-url"], where("docs-url"))
    return Config(**kw)


def load_config(path: Path) -> Config:
    """Read one configuration file (``--config``).  A pyproject.toml without a
    ``[tool.entrylint]`` table gives the defaults."""
    if not os.path.lexists(path):
        raise ConfigError(f"{path}: no such configuration file")
    table = _table(path)  # a FIFO, device or dangling symlink: read_regular says which
    if table is None:
        return Config(root=path.parent, path=path)
    return parse_table(table, path)


def safe_resolve(path: Path) -> Path:
    """``path.resolve()``, or its absolute path where that fails (a symlink loop)."""
    try:
        return runmemo.resolve(path)
    except (OSError, RuntimeError):
        return path.absolute()


def find_config_file(start: Path, repo_root: Path) -> Path | None:
    """The configuration file nearest to ``start`` (a file or directory), walking up to
    ``repo_root``; in one directory ``.entrylint.toml`` wins over ``pyproject.toml``."""
    here = safe_resolve(start)
    if not here.is_dir():
        here = here.parent
    root = repo_root.resolve()
    dirs = [here]
    if here != root and root in here.parents:
        for p in here.parents:
            dirs.append(p)
            if p == root:
                break
    for d in dirs:
        found = _config_in(d, root)
        if found is not None:
            return found
    return None


def _config_in(d: Path, root: Path) -> Path | None:
    """``d``'s own configuration file, if it has one.  One that is a symlink out of the
    repository ``root`` (or a loop) is an error: a file outside is never read."""
    from entrylint.boundary import BoundaryError, confine, is_inside

    for name in CONFIG_NAMES:
        f = d / name
        if os.path.islink(f):
            try:
                confine(f, root if is_inside(d, root) else d)
            except BoundaryError as exc:
                shown = _shown(d) / name  # not the link's target: that is not shown either
                raise ConfigError(f"{shown}: {exc.reason}") from None
        if not f.is_file():
            continue
        if name == "pyproject.toml" and _table(f) is None:
            continue
        return f
    return None


@dataclass
class Overrides:
    """What the command line says, applied on top of every configuration file."""

    select: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    fail_level: Severity | None = None
    exclude: tuple[str, ...] = ()
    docs_url: str | None = None


class ConfigLoader:
    """Finds, reads (once) and caches the configuration for each linted path."""

    def __init__(self, explicit: Path | None = None, overrides: Overrides | None = None,
                 note: Callable[[str], None] | None = None) -> None:
        self.overrides = overrides or Overrides()
        self._by_file: dict[Path | None, Config] = {}
        #: directory -> its configuration: one look-up per directory, not per Dockerfile
        self._by_dir: dict[Path, Config] = {}
        self._roots = RepoRoots()
        self._nearest: dict[tuple[Path, Path], Path | None] = {}
        self.explicit = explicit
        self._note = note
        if explicit is not None:
            self._by_file[None] = self._load(explicit)
        else:
            # Check the options themselves before any file is read.
            self._apply(Config())

    def _load(self, path: Path) -> Config:
        if self._note is not None:
            self._note(f"configuration from {path}")
        return self._apply(load_config(path))

    def _apply(self, cfg: Config) -> Config:
        o = self.overrides
        return cfg.with_overrides(select=o.select, ignore=o.ignore, fail_level=o.fail_level,
                                  exclude=o.exclude, docs_url=o.docs_url)

    def for_path(self, path: Path) -> Config:
        if self.explicit is not None:
            return self._by_file[None]
        here = safe_resolve(path)
        if not here.is_dir():
            here = here.parent
        if here in self._by_dir:
            return self._by_dir[here]
        start = path if path.is_dir() else path.parent
        found = self._nearest_file(here, self._roots(start))  # resolved
        key = found.resolve() if found is not None else None
        if key not in self._by_file:
            # relative to the current directory when below it, for messages
            self._by_file[key] = self._load(_shown(found)) if found else self._apply(Config())
        self._by_dir[here] = self._by_file[key]
        return self._by_file[key]


    def _nearest_file(self, d: Path, root: Path) -> Path | None:
        """:func:`find_config_file` for a resolved directory, sharing each parent's answer."""
        key = (d, root)
        if key not in self._nearest:
            found = _config_in(d, root)
            if found is None and d != root and root in d.parents:
                found = self._nearest_file(d.parent, root)
            self._nearest[key] = found
        return self._nearest[key]


def _shown(path: Path) -> Path:
    try:
        return safe_resolve(path).relative_to(Path.cwd().resolve())
    except ValueError:
        return path
