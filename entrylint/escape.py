"""Neutralise untrusted text (file names, script lines, messages quoting them) before it is
printed, in every format and on stderr.

* Terminal controls — C0 controls but tab and newline, DEL, ESC sequences, C1 controls (NEL
  too), Unicode line and paragraph separators, bidirectional overrides — and lone surrogates
  (a non-UTF-8 file name) become visible backslash escapes (``\\x1b``, ``\\u2028``,
  ``\\udcff``): nothing can move the cursor, set a title, recolour the log or fail to encode.
* What the GitHub Actions runner would execute gets a character escaped: a line that, once
  its leading white space is trimmed (any Unicode white space: .NET's ``TrimStart``), starts
  with ``::`` (``::add-mask::``, ``::warning``), and the legacy ``##[`` form, which the runner
  looks for anywhere in a line (``ActionCommand.TryParse``), not only at its start.

:func:`terminal` is for text (the report, stderr); :func:`json_text` for already serialised
JSON (a string escape there keeps the value exact for a JSON reader).
"""

from __future__ import annotations

import functools
import re

# A character class that reaches past U+00FF costs 3-5 ms to compile (the compiler builds a
# 64 Ki-entry map): it is compiled on the first text that is not ASCII, and ASCII text, the
# common case, is matched with the ASCII part of the class alone.
_CONTROLS_ASCII = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


@functools.cache
def _controls() -> re.Pattern[str]:
    return re.compile(
        "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

_NEWLINES = re.compile("[\n\r]")
_COMMAND = re.compile(r"^([^\S\n]*)::", re.M)


def _visible(m: re.Match[str]) -> str:
    c = ord(m.group(0))
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def terminal(text: str, *, one_line: bool = True) -> str:
    """``text`` safe to print: controls escaped, workflow commands defused.  With
    ``one_line`` (a file name, a quoted script line), newlines are escaped too."""
    text = (_CONTROLS_ASCII if text.isascii() else _controls()).sub(_visible, text)
    if one_line:
        text = _NEWLINES.sub(lambda m: "\\n" if m.group(0) == "\n" else "\\r", text)
    else:
        text = text.replace("\r", "\\r")
    return defuse_commands(text)


def defuse_commands(text: str) -> str:
    """Escape the first character of every line that a CI runner would take as a command."""
    text = text.replace("##[", "\\x23#[")
    return _COMMAND.sub(lambda m: m.group(1) + "\\x3a:", text)


@functools.cache
def _json_unsafe() -> re.Pattern[str]:
    return re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def json_text(serialised: str) -> str:
    """JSON from ``json.dumps(…, ensure_ascii=False)`` with the characters that can only occur
    inside its strings — C1 controls, separators, bidi overrides, lone surrogates — written as
    ``\\uXXXX`` escapes (the same value for a reader, and always encodable); so is the ``#``
    of the runner's legacy ``##[`` command form, which also only occurs in strings."""
    serialised = serialised.replace("##[", "#\\u0023[")
    if serialised.isascii():  # of the class, only DEL is ASCII
        return serialised.replace("\x7f", "\\u007f")
    return _json_unsafe().sub(lambda m: f"\\u{ord(m.group(0)):04x}", serialised)

