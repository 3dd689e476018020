"""A model of how the GitHub Actions runner turns a step's output into workflow commands
(actions/runner: ``ProcessInvoker`` reads lines with ``StreamReader.ReadLine``, which ends a
line at ``\\n``, ``\\r`` or ``\\r\\n``; ``ActionCommandManager.TryProcessCommand`` tries
``ActionCommand.TryParseV2`` — ``::name props::data`` after ``TrimStart`` — then the legacy
``TryParse`` — ``##[name props]data`` anywhere in the line —, for registered names compared
case-insensitively, and honours ``stop-commands`` until its token comes back).  Written from
the runner's documented behaviour, for the tests: what would this output execute?"""

from __future__ import annotations

import re

REGISTERED = frozenset({
    "set-env", "set-output", "save-state", "add-mask", "add-path", "add-matcher",
    "remove-matcher", "debug", "warning", "error", "notice", "group", "endgroup", "echo",
})
STOP = "stop-commands"


def _parse(line: str, names: set[str]) -> tuple[str, str] | None:
    """(command name, data) of the line, or None."""
    trimmed = line.lstrip()
    if trimmed.startswith("::"):
        end = trimmed.find("::", 2)
        if end >= 0:
            name = trimmed[2:end].split(" ", 1)[0].lower()
            if name in names:
                return name, trimmed[end + 2:]
    start = line.find("##[")
    if start >= 0:
        close = line.find("]", start)
        if close >= 0:
            name = line[start + 3:close].split(" ", 1)[0].lower()
            if name in names:
                return name, line[close + 1:]
    return None


def executed(output: str) -> list[tuple[str, str]]:
    """The commands the runner would run on ``output``, in order; a stop-commands pause and
    its resumption are left out (they execute nothing)."""
    names = set(REGISTERED) | {STOP}
    token: str | None = None
    out = []
    for line in re.split(r"\r\n|\r|\n", output):
        got = _parse(line, names)
        if got is None:
            continue
        name, data = got
        if token is not None:
            if name == token:
                names.discard(token)
                token = None
            continue
        if name == STOP:
            token = data.lower()
            names.add(token)
            continue
        out.append(got)
    return out
