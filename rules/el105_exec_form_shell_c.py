"""Exec form that starts a shell with `-c` leaves that shell as PID 1.

**Why it matters.** `CMD ["sh", "-c", "uvicorn main:app --port $PORT"]` is exec form, but the
program it starts is a shell, and the shell runs uvicorn as its child.  On Debian and Ubuntu
`sh` is dash, which never replaces itself with the command: dash stays PID 1, SIGTERM from
`docker stop` goes to dash, which does not pass it on, and the server is SIGKILLed after the
grace period.  bash and BusyBox ash exec a lone simple command, but not one followed by other
commands, in the background, or in a pipeline.  The usual reason for `sh -c` is variable
expansion (`$PORT`); `exec` keeps it and makes the server PID 1.
"""

from __future__ import annotations

from collections.abc import Iterator

from entrylint.diagnostics import Diagnostic, Severity
from entrylint.fixes import shell_c_exec_fix
from entrylint.model import ImageModel
from entrylint.rulekit import at_instruction, shell_text_verdict

ID = "EL105"
NAME = "exec-form-shell-c"
SEVERITY: Severity = "error"
SUMMARY = "Exec form runs `sh -c \"…\"` without `exec`: the shell stays PID 1"
POSIX = True
BAD = """
FROM python:3.12-slim
CMD ["sh", "-c", "uvicorn main:app --host 0.0.0.0 --port ${PORT:-8000}"]
"""
GOOD = """
FROM python:3.12-slim
CMD ["sh", "-c", "exec uvicorn main:app --host 0.0.0.0 --port ${PORT:-8000}"]
"""
FIX = """
*Safe*: puts `exec ` in front of the last command of the `-c` string, when it is the last thing
the shell does and a program (`cd /app && exec uvicorn …` keeps the `cd`). No fix when other
commands follow it, when it runs in the background or a pipeline, or when a long-running command
runs before it. *Unsafe* when the string has a `trap … EXIT` (or TERM/INT) cleanup, which `exec`
would skip.
"""


def check(model: ImageModel) -> Iterator[Diagnostic]:
    if model.start is None:
        return
    for launch in model.start.walk():
        if launch.kind != "shell-c" or launch.inline is None or launch.where is None:
            continue
        if launch.shell_form:
            continue  # the text of a shell-form ENTRYPOINT/CMD: EL101/EL102 report it
        if any(t.kind in ("keepalive", "loop") for t in launch.inline.terminals()):
            continue  # `server & tail -f /dev/null`: EL109
        assert launch.argv[0] is not None
        text = launch.inline.data.decode("utf-8", errors="replace")
        shell = f"{launch.argv[0]} -c"
        kind = launch.shell_kind or "unknown"
        verdict = shell_text_verdict(model, text, shell, kind)
        if verdict is None:
            continue
        severity, message = verdict
        yield at_instruction(ID, severity, model, launch.where,
                             f"`{launch.argv[0]} -c` in exec form {message}",
                             shell_c_exec_fix(model, launch.where, text))
