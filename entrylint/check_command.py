"""What ``entrylint check`` does once click has parsed its options (see :mod:`entrylint.cli`)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, cast

from entrylint import escape, runmemo
from entrylint.console import echo_err, echo_out

if TYPE_CHECKING:
    from entrylint.config import ConfigLoader
    from entrylint.diagnostics import Severity
    from entrylint.engine import LintOptions, Result
    from entrylint.fixer import FixReport

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
LEVELS = ("error", "warning", "info")
TEXT_FORMATS = ("text", "full", "concise")


@dataclass(frozen=True)
class CheckArgs:
    paths: tuple[Path, ...]
    fmt: str = "text"
    output: Path | None = None
    config_file: Path | None = None
    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    fail_level: str | None = None
    no_unused_ignores: bool = False
    require_reason: bool = False
    changed_files: bool = False
    context: Path | None = None
    target: str | None = None
    verbose: bool = False
    quiet: bool = False
    fix: bool = False
    unsafe_fixes: bool = False
    diff: bool = False
    exit_zero: bool = False
    exit_non_zero_on_fix: bool = False
    show_fixes: bool = False
    statistics: bool = False
    stdin_filename: Path | None = None
    docs_url: str | None = None
    path_base: str = "root"  # "root": the report root; "cwd": the current directory
    jobs: int = 0  # 0: one worker per core
    no_cache: bool = False


def fail(message: str) -> NoReturn:
    echo_err(f"entrylint: error: {message}")
    raise SystemExit(EXIT_ERROR)


def codes(values: Sequence[str]) -> tuple[str, ...]:
    """``--select EL101,EL102 --select EL104`` -> each code once."""
    return tuple(c.strip() for v in values for c in v.split(",") if c.strip())


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def run(args: CheckArgs) -> NoReturn:
    """Lint (or fix), print the report and exit with the documented status."""
    from entrylint.model.context import set_display_base
    from entrylint.stdin import STDIN, wants_stdin

    set_display_base(Path.cwd() if args.path_base == "cwd" else None)
    if args.statistics and args.fmt not in (*TEXT_FORMATS, "json"):
        fail("--statistics prints a table: use it with --format text, concise or json")
    stdin = wants_stdin(args.paths, args.stdin_filename)
    if stdin and [p for p in args.paths if str(p) != STDIN]:
        fail("`-` (standard input) cannot be combined with other paths")
    if stdin and args.changed_files:
        fail("--changed-files takes file names, not standard input")
    if stdin:
        targets: list[Path] = []
        missing: list[Path] = []
    else:
        targets, missing = _existing(list(args.paths) or [Path(".")], args.changed_files)

    def say(message: str) -> None:
        if args.verbose:
            echo_err(f"entrylint: {message}")

    # One memo of file-system answers (entrylint.runmemo) for the search for empty
    # directories and the run: `git ls-files` once, not twice.  Not while fixing: the files
    # change between a fix's runs.
    memo = runmemo.active() if not (args.fix or args.diff) else contextlib.nullcontext()
    try:
        with memo:
            loader = _loader(args, say)
            if not args.changed_files and not stdin:
                bad = _warn_empty(targets, loader)
                targets = [p for p in targets if p not in bad]
                missing += bad
            if stdin:
                from entrylint.stdin import check_stdin

                raise SystemExit(check_stdin(args, loader, say))
            report, result = _lint(args, targets, loader, say, bool(missing))
    except SystemExit:
        raise
    except Exception as exc:
        _internal_error(exc)
    show(args, result, report, loader)
    if missing or result.errors:
        raise SystemExit(EXIT_ERROR)
    raise SystemExit(exit_status(args, result, report))


def _internal_error(exc: Exception) -> NoReturn:
    from entrylint.config import ConfigError
    from entrylint.workers import WorkerDied

    if isinstance(exc, (ConfigError, WorkerDied)):
        fail(str(exc))
    if os.environ.get("ENTRYLINT_DEBUG"):
        raise exc
    fail(f"internal error: {type(exc).__name__}: {exc} (set ENTRYLINT_DEBUG=1 for a "
         f"traceback, and please report it with the Dockerfile that caused it)")


def exit_status(args: CheckArgs, result: Result, report: FixReport | None) -> int:
    """0/1 once no file failed: findings fail unless ``--exit-zero``; with
    ``--exit-non-zero-on-fix``, so does any fix applied."""
    if args.exit_non_zero_on_fix and report is not None and report.fixed and args.fix:
        return EXIT_FINDINGS
    if args.exit_zero:
        return EXIT_OK
    return EXIT_FINDINGS if result.failing else EXIT_OK


def _existing(targets: list[Path], changed: bool) -> tuple[list[Path], list[Path]]:
    """The paths to lint, and those that are missing or closed (reported here)."""
    problems = {p: why for p in targets if (why := _cannot_stat(p)) is not None}
    missing = list(problems)
    targets = [p for p in targets if p not in problems]
    if changed:
        missing = []  # a deleted file: nothing to lint, and not an error
    for p in missing:
        echo_err(f"entrylint: error: {p}: {problems[p]}")
    # An unreadable file is reported by the linter ("permission denied"), as one found in a
    # directory is; an unreadable directory named here would otherwise look empty.
    closed = [p for p in targets if p.is_dir() and not os.access(p, os.R_OK | os.X_OK)]
    for p in closed:
        echo_err(f"entrylint: error: {p}: permission denied")
    return [p for p in targets if p not in closed], missing + closed


def _cannot_stat(path: Path) -> str | None:
    """Why a path named on the command line cannot be linted at all, or None."""
    try:
        os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None if os.path.islink(path) else "no such file or directory"
    except OSError as exc:
        if os.path.islink(path):
            return None  # a symlink loop: the linter reports it
        from entrylint.boundary import reason

        return reason(exc)
    except ValueError:  # a NUL byte
        return "is not a valid file name"
    return None


def _loader(args: CheckArgs, say: Callable[[str], None]) -> ConfigLoader:
    from entrylint.config import ConfigLoader, Overrides

    overrides = Overrides(select=codes(args.select) or None, ignore=codes(args.ignore),
                          fail_level=cast("Severity | None", args.fail_level),
                          exclude=tuple(args.exclude), docs_url=args.docs_url)
    return ConfigLoader(args.config_file, overrides, note=say)


def _warn_empty(targets: list[Path], loader: ConfigLoader) -> list[Path]:
    """Warn about directories with no Dockerfile; returns those named like a Dockerfile
    (`entrylint check Dockerfile`, and it is a folder), which are errors."""
    from entrylint.discovery import discover, is_dockerfile_name

    bad = []
    for p in targets:
        patterns = loader.for_path(p).dockerfile_patterns
        if p.is_dir() and next(iter(discover([p], patterns)), None) is None:
            if is_dockerfile_name(p.name, patterns):
                echo_err(f"entrylint: error: {p}: is a directory, not a Dockerfile")
                bad.append(p)
            else:
                echo_err(f"entrylint: warning: no Dockerfiles found in {p}")
    return bad


def lint_options(args: CheckArgs, loader: ConfigLoader,
                 say: Callable[[str], None]) -> LintOptions:
    from entrylint.engine import LintOptions

    return LintOptions(context=args.context, target=args.target, config=loader,
                       unused_ignores=not args.no_unused_ignores,
                       require_reason=args.require_reason, changed=args.changed_files,
                       note=say, jobs=args.jobs or None, cache=not args.no_cache)


def _lint(args: CheckArgs, targets: list[Path], loader: ConfigLoader,
          say: Callable[[str], None], missing: bool
          ) -> tuple[FixReport | None, Result]:
    from entrylint.engine import lint_paths

    options = lint_options(args, loader, say)

    def progress(path: Path) -> None:
        say(f"linting {path}")

    if args.fix or args.diff:
        from entrylint.fixer import fix_for_cli

        report, stop = fix_for_cli(targets, unsafe=args.unsafe_fixes, diff=args.diff,
                                   options=options, progress=progress)
        if stop is not None:
            if args.show_fixes:
                show_fixes(report, err=False)
            raise SystemExit(EXIT_ERROR if missing else stop)
        return report, report.result
    return None, lint_paths(targets, options, progress=progress)


def docs_url(loader: ConfigLoader) -> str | None:
    """The rule-link template: ``--docs-url``, else the configuration of the current
    directory."""
    return loader.for_path(Path.cwd()).docs_url


def show(args: CheckArgs, result: Result, report: FixReport | None, loader: ConfigLoader,
         *, err: bool = False) -> None:
    """Print the verbose notes, the errors, the report (and ``--output``) and the summary.
    ``err``: the report goes to standard error (``--fix -`` prints the fixed text)."""
    from entrylint.formats import render

    if args.verbose:
        _verbose(result)
    for e in result.errors:
        echo_err(f"entrylint: error: {e.path}: {e.reason}")
    diags = result.diagnostics
    terminal = "text" if args.output is not None else args.fmt
    url = docs_url(loader)
    if args.output is not None:
        from entrylint.report_file import ReportPathError, write_report

        try:
            write_report(args.output, render(args.fmt, diags, result.files,
                                             errors=result.errors, docs_url=url))
        except ReportPathError as exc:
            fail(f"{args.output}: the report is not written there: it {exc}")
        except OSError as exc:
            fail(f"{args.output}: cannot write the report: {exc.strerror or exc}")
    human = terminal in TEXT_FORMATS
    if args.statistics:
        from entrylint import statistics

        echo_out(statistics.render(diags, "json" if terminal == "json" else "text"),
                 nl=False, err=err)
    else:
        # styled always; click strips the styles unless --color / the terminal want them
        echo_out(render(terminal, diags, result.files, colour=human, errors=result.errors,
                        docs_url=url), nl=False, err=err)
    if args.show_fixes and report is not None:
        show_fixes(report, err=err or not human)
    if human and not args.quiet:
        echo_out(summary(result), err=err)
    if report is not None and not args.quiet:
        echo_out(report.summary(), err=err or not human)


def show_fixes(report: FixReport, *, err: bool) -> None:
    """``--show-fixes``: each fix applied (or, with ``--diff``, that would be)."""
    if not report.applied:
        return
    echo_out(f"Fixed {_plural(len(report.applied), 'finding')}:", err=err)
    for a in report.applied:
        echo_out(f"  {escape.terminal(str(a.path))}:{a.line}: {a.rule} "
                 f"{escape.terminal(a.message)}", err=err)


def _verbose(result: Result) -> None:
    from entrylint.model import display_path

    for m in result.linted:
        shown = display_path(m.path)
        for note in m.notes:
            echo_err(f"entrylint: {shown}: {note}")
        for s in m.scripts:
            echo_err(f"entrylint: {shown}: follows {s.container_path} -> {s.display}")
        for u in m.unresolved:  # and the opaque ones
            echo_err(f"entrylint: {shown}: cannot follow {u.path}: {u.reason}")
    for line in result.suppressed:
        echo_err(f"entrylint: {line}")


def summary(result: Result) -> str:
    diags = result.diagnostics
    counts = {s: sum(1 for d in diags if d.severity == s) for s in LEVELS}
    found = ", ".join(_plural(n, s) for s, n in counts.items() if n) or "no findings"
    safe = sum(1 for d in diags if d.fix is not None and d.fix.applicability.value == "safe")
    unsafe = sum(1 for d in diags if d.fix is not None) - safe
    if safe or unsafe:
        parts = [f"{safe} fixable with --fix"] if safe else []
        if unsafe:
            parts.append(f"{unsafe} with --unsafe-fixes")
        found += f" ({', '.join(parts)})"
    below = len(diags) - result.failing
    if diags and below:
        found += f"; {below} below the fail level"
    return (f"Linted {_plural(result.dockerfiles, 'Dockerfile')}, "
            f"{_plural(result.scripts, 'script')}: {found}")
