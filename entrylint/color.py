"""Whether the terminal report is coloured: ``--color auto|always|never`` and the
environment.

entrylint always styles its text report and lets click strip the styles
(``click.echo(color=...)`` through the context's ``color``): click decides for ``auto`` whether
standard output is a terminal.  Only what click does not know is decided here, in this order:

1. ``--color always`` / ``--color never``;
2. ``NO_COLOR`` set to a non-empty value: no colour (https://no-color.org; an empty value is
   ignored);
3. ``FORCE_COLOR`` set to a non-empty value: colour, even into a pipe;
4. ``TERM=dumb``: no colour;
5. otherwise click's own check (a terminal gets colour).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

CHOICES = ("auto", "always", "never")


def colour_setting(choice: str, environ: Mapping[str, str] | None = None) -> bool | None:
    """True (always), False (never) or None (let click decide by the terminal)."""
    env = os.environ if environ is None else environ
    if choice == "always":
        return True
    if choice == "never":
        return False
    if env.get("NO_COLOR", ""):
        return False
    if env.get("FORCE_COLOR", ""):
        return True
    if env.get("TERM") == "dumb":
        return False
    return None
