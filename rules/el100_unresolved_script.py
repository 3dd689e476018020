"""The start-up command names a script that entrylint cannot find in the build context.

**Why it matters.** entrylint follows `ENTRYPOINT`/`CMD` into the scripts they run to check
that the server ends up as PID 1 (or under an init).  When a script is not put into the image
by a `COPY`/`ADD` from the build context (or a heredoc), it cannot be checked; if it really is
missing the container will not start at all.  This is informational: the script may come from
the base image or be generated during the build.
"""

from __future__ import annotations

from collections.abc import Iterator

from entrylint.diagnostics import Diagnostic, Severity
from entrylint.model import ImageModel
from entrylint.rulekit import at_instruction

ID = "EL100"
NAME = "script-not-found"
SEVERITY: Severity = "info"
SUMMARY = "A script that ENTRYPOINT/CMD runs is not in the build context, so it is not checked"
BAD = """
FROM python:3.12-slim
ENTRYPOINT ["/docker-entrypoint.sh"]   # no COPY puts it there
"""
GOOD = """
FROM python:3.12-slim
COPY docker-entrypoint.sh /docker-entrypoint.sh
ENTRYPOINT ["/docker-entrypoint.sh"]
"""
FIX = "No fix: copy the script in, or ignore this rule if the base image provides it."


def check(model: ImageModel) -> Iterator[Diagnostic]:
    seen: set[str] = set()
    for u in model.unresolved:
        if u.path in seen or u.where is None:
            continue
        seen.add(u.path)
        yield at_instruction(
            ID, SEVERITY, model, u.where,
            f"`{u.path}` is not checked: {u.reason}",
        )
