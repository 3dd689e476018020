"""Command-line interface."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, cast

import click

from entrylint import __version__

if TYPE_CHECKING:
    from entrylint.diagnostics import Severity
    from entrylint.engine import Result

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2


class DefaultToCheck(click.Group):
    """``entrylint [--fix] PATH…`` is ``entrylint check [--fix] PATH…`` (the card's spelling)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (
            args[0] not in self.commands and args[0] not in ("--help", "-h", "--version")
        ):
            args = ["check", *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="entrylint")
def main() -> None:
    """Find and fix the entrypoint, signal and PID-1 pitfalls of container images.

    `entrylint PATH…` is short for `entrylint check PATH…`.
    """


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


FORMATS = ("text", "json", "sarif", "github", "gitlab", "checkstyle")  # formats.FORMATS
LEVELS = ("error", "warning", "info")


def _codes(values: tuple[str, ...]) -> tuple[str, ...]:
    """``--select EL101,EL102 --select EL104`` -> each code once."""
    return tuple(c.strip() for v in values for c in v.split(",") if c.strip())


def _fail(message: str) -> NoReturn:
    click.echo(f"entrylint: error: {message}", err=True)
    raise SystemExit(EXIT_ERROR)


@main.command()
# readable=False: click would reject an unreadable file with a usage error; entrylint reports it
# as it does one found in a directory ("permission denied", exit 2, the rest still linted).
@click.argument("paths", nargs=-1, type=click.Path(readable=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True, help="Report format.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, readable=False, path_type=Path),
              help="Write the report (in --format) to FILE; the terminal gets the text report.")
@click.option("--config", "config_file",
              type=click.Path(dir_okay=False, readable=False, path_type=Path),
              help="Use this .entrylint.toml or pyproject.toml instead of the nearest one.")
@click.option("--select", multiple=True, metavar="CODES",
              help="Only these rules (ids or prefixes, comma-separated); replaces `select`.")
@click.option("--ignore", multiple=True, metavar="CODES",
              help="Also ignore these rules (ids or prefixes, comma-separated).")
@click.option("--fail-level", type=click.Choice(LEVELS),
              help="Exit 1 only for findings at or above this level (default: info, i.e. any).")
@click.option("--no-unused-ignores", is_flag=True,
              help="Do not report suppression comments that suppress nothing (EL001).")
@click.option("--changed-files", is_flag=True,
              help="PATHs are changed files (pre-commit): lint the Dockerfiles among them and "
                   "those of the repository whose start-up runs a changed shell script; "
                   "ignore other files.")
@click.option("--context", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Build context directory (default: the Dockerfile's directory, or the "
                   "compose file's build.context).")
@click.option("--target", help="Lint this stage instead of the last one.")
@click.option("-v", "--verbose", is_flag=True, help="Say which files and scripts were followed.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary line.")
@click.option("--fix", "fix", is_flag=True,
              help="Apply the safe fixes (marked [*]) and report what remains.")
@click.option("--unsafe-fixes", is_flag=True,
              help="With --fix or --diff, also apply the unsafe fixes ([unsafe fix]).")
@click.option("--diff", is_flag=True,
              help="Print the fixes as a unified diff and write nothing (exit 1 if there "
                   "would be changes).")
def check(paths: tuple[Path, ...], fmt: str, output: Path | None, config_file: Path | None,
          select: tuple[str, ...], ignore: tuple[str, ...], fail_level: str | None,
          no_unused_ignores: bool, changed_files: bool, context: Path | None,
          target: str | None, verbose: bool, quiet: bool, fix: bool, unsafe_fixes: bool,
          diff: bool) -> None:
    """Lint Dockerfiles and the scripts they start.

    PATH is a Dockerfile, or a directory searched for Dockerfile, Containerfile, *.Dockerfile,
    *.dockerfile, Dockerfile.* and Containerfile.* (honouring .gitignore). Default: `.`.

    Settings come from the nearest .entrylint.toml or [tool.entrylint] in pyproject.toml
    (see docs/configuration.md); the options below override them.

    Exit status: 0 nothing reported (at or above the fail level), 1 findings, 2 usage error,
    bad configuration or a file that cannot be read.

    With --fix: 0 when no findings remain, 1 when some do, 2 when a file cannot be written
    (then nothing is written). With --diff: 0 no changes, 1 changes.
    """
    from entrylint.config import ConfigError, ConfigLoader, Overrides
    from entrylint.engine import LintOptions, lint_paths
    from entrylint.formats import render

    targets = list(paths) or [Path(".")]
    missing = [p for p in targets if not p.exists() and not p.is_symlink()]
    targets = [p for p in targets if p not in missing]
    if changed_files:
        missing = []  # a deleted file: nothing to lint, and not an error
    for p in missing:
        click.echo(f"entrylint: error: {p}: no such file or directory", err=True)
    # An unreadable file is reported by the linter ("permission denied"), as one found in a
    # directory is; an unreadable directory named here would otherwise look empty.
    closed = [p for p in targets if p.is_dir() and not os.access(p, os.R_OK | os.X_OK)]
    for p in closed:
        click.echo(f"entrylint: error: {p}: permission denied", err=True)
    targets = [p for p in targets if p not in closed]
    missing += closed

    if not changed_files:  # pre-commit passes arbitrary files: nothing to say then
        from entrylint.engine import discover

        for p in targets:
            if p.is_dir() and next(iter(discover([p])), None) is None:
                click.echo(f"entrylint: warning: no Dockerfiles found in {p}", err=True)

    def say(message: str) -> None:
        if verbose:
            click.echo(f"entrylint: {message}", err=True)

    def progress(path: Path) -> None:
        say(f"linting {path}")

    report = None
    try:
        overrides = Overrides(select=_codes(select) or None, ignore=_codes(ignore),
                              fail_level=cast("Severity | None", fail_level))
        loader = ConfigLoader(config_file, overrides, note=say)
        options = LintOptions(context=context, target=target, config=loader,
                              unused_ignores=not no_unused_ignores, changed=changed_files,
                              note=say)
        if fix or diff:
            from entrylint.fixer import fix_for_cli

            report, stop = fix_for_cli(targets, unsafe=unsafe_fixes, diff=diff,
                                       options=options, progress=progress)
            if stop is not None:
                raise SystemExit(EXIT_ERROR if missing else stop)
            result = report.result
        else:
            result = lint_paths(targets, options, progress=progress)
    except ConfigError as exc:
        _fail(str(exc))
    except Exception as exc:  # a bug: say so plainly instead of a traceback
        if os.environ.get("ENTRYLINT_DEBUG"):
            raise
        _fail(f"internal error: {type(exc).__name__}: {exc} (set ENTRYLINT_DEBUG=1 for a "
              f"traceback, and please report it with the Dockerfile that caused it)")
    if verbose:
        for m in result.models:
            for note in m.notes:
                click.echo(f"entrylint: {m.display(m.path)}: {note}", err=True)
            for s in m.scripts:
                click.echo(f"entrylint: {m.display(m.path)}: follows {s.container_path} -> "
                           f"{s.display}", err=True)
            for u in [*m.unresolved, *m.opaque]:
                click.echo(f"entrylint: {m.display(m.path)}: cannot follow {u.path}: {u.reason}",
                           err=True)
    for e in result.errors:
        click.echo(f"entrylint: error: {e.path}: {e.reason}", err=True)
    diags = result.diagnostics
    terminal = "text" if output is not None else fmt
    if output is not None:
        try:
            output.write_text(render(fmt, diags, result.files), encoding="utf-8")
        except OSError as exc:
            _fail(f"{output}: cannot write the report: {exc.strerror or exc}")
    colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
    click.echo(render(terminal, diags, result.files, colour=colour), nl=False)
    if terminal == "text" and not quiet:
        click.echo(_summary(result))
    if report is not None and not quiet:
        click.echo(report.summary(), err=terminal != "text")
    if missing or result.errors:
        raise SystemExit(EXIT_ERROR)
    raise SystemExit(EXIT_FINDINGS if result.failing else EXIT_OK)


def _summary(result: Result) -> str:
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


@main.command("rules")
def rules_command() -> None:
    """List every rule: id, name, default severity, whether it has a fix."""
    from entrylint.docs import documented_rules

    rows = [("RULE", "NAME", "SEVERITY", "FIXABLE", "SUMMARY")]
    rows += [(r.id, r.name, r.severity, "yes" if r.fixable else "no", r.summary)
             for r in documented_rules()]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        click.echo("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  "
                   + row[4])


@main.command("rule")
@click.argument("code")
@click.option("--markdown", is_flag=True,
              help="Print the page exactly as docs/rules/CODE.md has it (the default output "
                   "is the same Markdown).")
def rule_command(code: str, markdown: bool) -> None:
    """Print a rule's documentation: why it matters, bad and good examples, its fix."""
    from entrylint.docs import find_rule, rule_markdown

    rule = find_rule(code)
    if rule is None:
        _fail(f"unknown rule {code!r}; `entrylint rules` lists them")
    click.echo(rule_markdown(rule), nl=False)


from entrylint.probe import probe_command  # noqa: E402 - light: click only at import

main.add_command(probe_command)
