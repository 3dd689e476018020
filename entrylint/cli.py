"""Command-line interface."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from entrylint import __version__

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


@main.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Report format.")
@click.option("--context", type=click.Path(file_okay=False, path_type=Path),
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
def check(paths: tuple[Path, ...], fmt: str, context: Path | None, target: str | None,
          verbose: bool, quiet: bool, fix: bool, unsafe_fixes: bool, diff: bool) -> None:
    """Lint Dockerfiles and the scripts they start.

    PATH is a Dockerfile, or a directory searched for Dockerfile, Containerfile, *.Dockerfile,
    *.dockerfile, Dockerfile.* and Containerfile.* (honouring .gitignore). Default: `.`.

    Exit status: 0 nothing reported, 1 findings, 2 usage error or a file that cannot be read.
    With --fix: 0 when no findings remain, 1 when some do, 2 when a file cannot be written
    (then nothing is written). With --diff: 0 no changes, 1 changes.
    """
    from entrylint.engine import lint_paths
    from entrylint.output import to_json, to_text

    targets = list(paths) or [Path(".")]
    missing = [p for p in targets if not p.exists() and not p.is_symlink()]
    for p in missing:
        click.echo(f"entrylint: error: {p}: no such file or directory", err=True)
    targets = [p for p in targets if p not in missing]

    def progress(path: Path) -> None:
        if verbose:
            click.echo(f"entrylint: linting {path}", err=True)

    report = None
    if fix or diff:
        from entrylint.fixer import fix_for_cli

        report, stop = fix_for_cli(targets, unsafe=unsafe_fixes, diff=diff, context=context,
                                   target=target, progress=progress)
        if stop is not None:
            raise SystemExit(EXIT_ERROR if missing else stop)
        result = report.result
    else:
        result = lint_paths(targets, context=context, target=target, progress=progress)
    if verbose:
        for m in result.models:
            for note in m.notes:
                click.echo(f"entrylint: {m.display(m.path)}: {note}", err=True)
            for s in m.scripts:
                click.echo(f"entrylint: {m.display(m.path)}: follows {s.container_path} -> "
                           f"{s.display}", err=True)
            for u in m.unresolved:
                click.echo(f"entrylint: {m.display(m.path)}: cannot follow {u.path}: {u.reason}",
                           err=True)
    for e in result.errors:
        click.echo(f"entrylint: error: {e.path}: {e.reason}", err=True)
    diags = result.diagnostics
    if fmt == "json":
        click.echo(to_json(diags, result.files), nl=False)
    else:
        colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        click.echo(to_text(diags, result.files, colour=colour), nl=False)
        if not quiet:
            counts = {s: sum(1 for d in diags if d.severity == s)
                      for s in ("error", "warning", "info")}
            found = ", ".join(_plural(n, s) for s, n in counts.items() if n) or "no findings"
            click.echo(
                f"Linted {_plural(result.dockerfiles, 'Dockerfile')}, "
                f"{_plural(result.scripts, 'script')}: {found}")
    if report is not None and not quiet:
        click.echo(report.summary(), err=fmt == "json")
    if missing or result.errors:
        raise SystemExit(EXIT_ERROR)
    raise SystemExit(EXIT_FINDINGS if diags else EXIT_OK)
