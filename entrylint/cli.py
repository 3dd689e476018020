"""Command-line interface."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from entrylint import __version__
from entrylint.check_command import EXIT_ERROR


class DefaultToCheck(click.Group):
    """``entrylint [--fix] PATH…`` is ``entrylint check [--fix] PATH…`` (the card's spelling).

    ``probe`` is imported only when it is run or listed: ``check`` runs on every commit, and
    the probe module alone costs more to import than linting one Dockerfile."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), "probe"})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name == "probe" and "probe" not in self.commands:
            from entrylint.probe import probe_command

            self.add_command(probe_command)
        return super().get_command(ctx, cmd_name)

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (
            args[0] not in (*self.commands, "probe")
            and args[0] not in ("--help", "-h", "--version")
        ):
            args = ["check", *args]
        return super().parse_args(ctx, args)


@click.group(cls=DefaultToCheck, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="entrylint")
def main() -> None:
    """Find and fix the entrypoint, signal and PID-1 pitfalls of container images.

    `entrylint PATH…` is short for `entrylint check PATH…`.
    """


FORMATS = ("text", "full", "concise", "json", "sarif", "github", "gitlab",
           "checkstyle")  # formats.FORMATS (copied: the CLI imports nothing heavy)
LEVELS = ("error", "warning", "info")
COLOR_CHOICES = ("auto", "always", "never")  # color.CHOICES
PATH_BASES = ("root", "cwd")


def _fail(message: str) -> NoReturn:
    from entrylint.console import echo_err

    echo_err(f"entrylint: error: {message}")
    raise SystemExit(EXIT_ERROR)


def _a_directory(ctx: click.Context, param: click.Parameter, value: Path | None
                 ) -> Path | None:
    """click's ``file_okay=False`` refuses only regular files: a FIFO passed as a context."""
    if value is not None and not value.is_dir():
        raise click.BadParameter(f"{str(value)!r} is not a directory.", ctx, param)
    return value


@main.command()
# readable=False: click would reject an unreadable file with a usage error; entrylint reports it
# as it does one found in a directory ("permission denied", exit 2, the rest still linted).
@click.argument("paths", nargs=-1, type=click.Path(readable=False, allow_dash=True,
                                                   path_type=Path))
@click.option("--format", "--output-format", "fmt", type=click.Choice(FORMATS), default="text",
              show_default=True,
              help="Report format; text (or full) shows each finding's source line, concise "
                   "one line per finding.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, readable=False, path_type=Path),
              help="Write the report (in --format) to FILE; the terminal gets the text report.")
@click.option("--config", "config_file",
              type=click.Path(dir_okay=False, readable=False, path_type=Path),
              help="Use this .entrylint.toml or pyproject.toml instead of the nearest one.")
@click.option("--select", multiple=True, metavar="CODES",
              help="Only these rules (ids or prefixes, comma-separated); replaces `select`.")
@click.option("--ignore", multiple=True, metavar="CODES",
              help="Also ignore these rules (ids or prefixes, comma-separated).")
@click.option("--exclude", multiple=True, metavar="PATTERN",
              help="Skip files matching this gitignore-style glob (relative to the current "
                   "directory) in a directory search, as the configuration's `exclude`.")
@click.option("--fail-level", type=click.Choice(LEVELS),
              help="Exit 1 only for findings at or above this level (default: info, i.e. any).")
@click.option("--exit-zero", is_flag=True,
              help="Exit 0 even when there are findings (still 2 for a file that cannot be "
                   "read or parsed).")
@click.option("--exit-non-zero-on-fix", is_flag=True,
              help="With --fix, exit 1 when a fix was applied, even if nothing remains.")
@click.option("--no-unused-ignores", is_flag=True,
              help="Do not report suppression comments that suppress nothing (EL001).")
@click.option("--require-reason", is_flag=True,
              help="Report `# entrylint: ignore=` comments without ` -- reason` (EL002).")
@click.option("--changed-files", is_flag=True,
              help="PATHs are changed files (pre-commit): lint the Dockerfiles among them and "
                   "those of the repository whose start-up runs a changed shell script; "
                   "ignore other files.")
@click.option("--context", type=click.Path(exists=True, file_okay=False, path_type=Path),
              callback=_a_directory,
              help="Build context directory (default: the Dockerfile's directory, or the "
                   "compose file's build.context).")
@click.option("--target", help="Lint this stage instead of the last one.")
@click.option("--stdin-filename", type=click.Path(readable=False, path_type=Path),
              help="With PATH `-`: where the Dockerfile read from standard input lives (its "
                   "build context, scripts and configuration are found from there).")
@click.option("--path-base", type=click.Choice(PATH_BASES), default="root", show_default=True,
              envvar="ENTRYLINT_PATH_BASE",
              help="What every format names files relative to: root (the git work tree that "
                   "holds the current directory; the current directory outside one) or cwd "
                   "(the current directory, for paths to click in a terminal opened in a "
                   "subdirectory). Also ENTRYLINT_PATH_BASE.")
@click.option("--docs-url", metavar="URL",
              help="Rule links in reports: a URL with {rule} and {version} in it; replaces "
                   "the configuration's `docs-url` (\"\" for none).")
@click.option("-v", "--verbose", is_flag=True, help="Say which files and scripts were followed.")
@click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary line.")
@click.option("--statistics", is_flag=True,
              help="Print how many findings each rule has instead of the findings.")
@click.option("--color", "color", type=click.Choice(COLOR_CHOICES), default="auto",
              show_default=True,
              help="Colour the text report: auto (on a terminal, unless NO_COLOR is set; "
                   "FORCE_COLOR forces it; not for TERM=dumb), always or never.")
@click.option("--fix", "fix", is_flag=True,
              help="Apply the safe fixes (marked [*]) and report what remains; `--fix -` "
                   "prints the fixed standard input.")
@click.option("--unsafe-fixes", is_flag=True,
              help="With --fix or --diff, also apply the unsafe fixes ([unsafe fix]).")
@click.option("--show-fixes", is_flag=True,
              help="With --fix or --diff, list each fix: file:line, rule, what it changes.")
@click.option("--diff", is_flag=True,
              help="Print the fixes as a unified diff and write nothing (exit 1 if there "
                   "would be changes).")
@click.option("-j", "--jobs", type=click.IntRange(min=0), default=0, show_default=False,
              help="Worker processes for a large run (default 0: one per core; 1: none).")
@click.option("--no-cache", is_flag=True,
              help="Neither read nor write the result cache (.entrylint_cache/ at the "
                   "repository root).")
@click.pass_context
def check(ctx: click.Context, /, paths: tuple[Path, ...], color: str, **options: Any) -> None:
    """Lint Dockerfiles and the scripts they start.

    PATH is a Dockerfile, `-` for standard input, or a directory searched for Dockerfiles
    (Dockerfile, dockerfile, Containerfile, *.dockerfile, Dockerfile.*, Dockerfile-*, …; see
    `dockerfile-patterns`), honouring .gitignore. Default: `.`.

    Settings come from the nearest .entrylint.toml or [tool.entrylint] in pyproject.toml
    (see docs/configuration.md); the options below override them.

    Exit status: 0 nothing reported (at or above the fail level), 1 findings, 2 usage error,
    bad configuration or a file that cannot be read.

    With --fix: 0 when no findings remain, 1 when some do, 2 when a file cannot be written
    (then nothing is written). With --diff: 0 no changes, 1 changes.
    """
    from entrylint.check_command import CheckArgs, run
    from entrylint.color import colour_setting

    ctx.color = colour_setting(color)
    run(CheckArgs(paths=paths, **options))


@main.command("rules")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text",
              show_default=True, help="text: a table; json: a list for tools.")
def rules_command(fmt: str) -> None:
    """List every rule: id, name, default severity, whether it has a fix."""
    from entrylint.config import ConfigError
    from entrylint.rulehelp import rule_list_json, rule_list_table

    try:
        click.echo(rule_list_json() if fmt == "json" else rule_list_table(), nl=False)
    except ConfigError as exc:  # docs-url comes from the configuration
        _fail(str(exc))


@main.command("rule")
@click.argument("code")
@click.option("--markdown", is_flag=True,
              help="Print the raw Markdown of the page (as docs/rules/CODE.md has it).")
@click.option("--color", "color", type=click.Choice(COLOR_CHOICES), default="auto",
              show_default=True, help="Bold headings and coloured code: auto, always, never.")
@click.pass_context
def rule_command(ctx: click.Context, /, code: str, markdown: bool, color: str) -> None:
    """Print a rule's documentation: why it matters, bad and good examples, its fix.

    On a terminal the page is wrapped to its width, with headings and code set off."""
    from entrylint.color import colour_setting
    from entrylint.docs import find_rule, rule_markdown
    from entrylint.rulehelp import for_terminal

    rule = find_rule(code)
    if rule is None:
        _fail(f"unknown rule {code!r}; `entrylint rules` lists them")
    if markdown:
        click.echo(rule_markdown(rule), nl=False)
        return
    ctx.color = colour_setting(color)
    styled = ctx.color if ctx.color is not None else sys.stdout.isatty()
    click.echo(for_terminal(rule_markdown(rule), styled=styled), nl=False)


@main.command("server")
def server_command() -> None:
    """Run the language server (LSP over stdio) for editors: diagnostics for Dockerfiles and
    the scripts they run, quick fixes, rule docs on hover. Needs `pip install entrylint[server]`
    (pygls)."""
    try:
        from entrylint.server import serve
    except ImportError as exc:
        _fail(f"the language server needs pygls ({exc}): pip install 'entrylint[server]'")
    serve()

