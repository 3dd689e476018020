"""``--diff`` output that applies byte for byte and that no CI runner executes.

A unified diff carries the scripts' lines verbatim, and a script line is untrusted text.  How
it is made safe depends on where it goes:

* **A terminal** (a person reads it): every control character, escape sequence, lone surrogate
  and bidirectional override in a line is shown as a visible backslash escape
  (:func:`entrylint.escape.terminal`); nothing can set the title or recolour the screen.  Such
  a copy is for reading, not for ``patch``.
* **Anything else** (a file, a pipe to ``git apply``, a CI log — a CI runner's stdout is a
  pipe too, so the two cannot be told apart): the bytes stay exact, and the patch is written
  so that the GitHub Actions runner executes none of it.  The runner reads its output line by
  line, splitting at ``\\n``, ``\\r`` and ``\\r\\n``; a line is a command when it starts with
  ``::`` after its leading white space is trimmed, or when it holds the legacy ``##[`` form
  anywhere.  ``+`` and ``-`` lines start with a character that is not white space, so they
  are safe as they are; a context line (``' '``) whose text starts with ``::`` after white
  space is written as the same line removed and added again (``-`` then ``+``), which applies
  to the same bytes.  What is still left — a ``\\r`` inside a line, or ``##[`` — cannot be
  rewritten without changing the patch, so the whole diff is then wrapped in the runner's
  ``::stop-commands::TOKEN`` … ``::TOKEN::`` (a random token), which ``patch`` and
  ``git apply`` skip as text around the patch.
"""

from __future__ import annotations

import re
import secrets

#: White space as .NET's ``String.TrimStart`` trims it (Python's ``str.isspace`` is a
#: superset), then the runner's ``::`` command key.
_V2_COMMAND = re.compile(r"[^\S\r\n]*::")
#: What the runner would still parse in a line once its context lines are made -/+ pairs: a
#: part after a bare ``\r`` that starts with ``::``, or the legacy form anywhere.
_LEFT = re.compile(r"\r(?!\n|$)[^\S\r\n]*::|##\[")


def is_command_text(line: str) -> bool:
    """Would the runner take ``line`` (one line, as it splits them) as a ``::`` command?"""
    return _V2_COMMAND.match(line) is not None


def diff_line(marker: str, text: str) -> list[str]:
    """One line of a hunk (``marker`` is ``' '``, ``'-'`` or ``'+'``; ``text`` the file's
    line with its newline, if it has one) as the lines that represent it: a context line the
    runner would execute becomes a removal and an addition of the same text."""
    end = "" if text.endswith("\n") else "\n\\ No newline at end of file\n"
    if marker == " " and is_command_text(text):
        return [f"-{text}{end}", f"+{text}{end}"]
    return [f"{marker}{text}{end}"]


def for_stream(diff: str) -> str:
    """The diff for a file or pipe: exact, wrapped in stop-commands when a line still holds
    something the runner would parse."""
    if not _LEFT.search(diff):
        return diff
    token = secrets.token_hex(16)
    return f"::stop-commands::{token}\n{diff}::{token}::\n"


def for_terminal(diff: str) -> str:
    """The diff for a person at a terminal: each line's untrusted characters made visible."""
    from entrylint.escape import terminal

    lines = diff.split("\n")
    return "\n".join(terminal(line) for line in lines)


def emit(diff: str) -> None:
    """Print the diff on standard output, for a terminal or for a file or pipe."""
    import sys

    from entrylint.console import echo_out
    from entrylint.stdin import write_stdout

    if sys.stdout is not None and sys.stdout.isatty():
        echo_out(for_terminal(diff), nl=False)
    else:  # raw bytes: click.echo would strip what looks like a colour code from the patch
        write_stdout(for_stream(diff).encode("utf-8", "surrogateescape"))
