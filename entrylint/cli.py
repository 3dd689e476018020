"""Command-line interface."""

from __future__ import annotations

import click

from entrylint import __version__


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
    """Find and fix the entrypoint, signal and PID-1 pitfalls of container images."""


@main.command()
@click.argument("paths", nargs=-1, type=click.Path())
def check(paths: tuple[str, ...]) -> None:
    """Lint Dockerfiles (and the scripts they start)."""
    raise SystemExit(0)


from entrylint.probe import probe_command  # noqa: E402 - light: click only at import

main.add_command(probe_command)
