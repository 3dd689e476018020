"""`CMD` in shell form leaves a shell as PID 1 that does not pass SIGTERM on.

**Why it matters.** Docker runs a shell-form `CMD python app.py` as
`/bin/sh -c "python app.py"`.  On Debian and Ubuntu images `/bin/sh` is dash, which never
replaces itself with the last command: the shell stays PID 1, the kernel gives PID 1 no default
signal action, and dash does not forward SIGTERM to its child.  `docker stop` waits its grace
period (10 s) and SIGKILLs the app: no clean shutdown.  bash and BusyBox ash (Alpine) do exec a
lone simple command, so the same line works there by accident (reported as `info`); a
redirection or a second command breaks that.  Distroless and scratch images have no shell at
all, so shell form cannot start.  A `CMD` that is not a valid JSON array (`["python", 'app.py']`)
is silently shell form too.

`CMD exec gunicorn --bind :$PORT app:app` is correct: the shell replaces itself with gunicorn.
`HEALTHCHECK CMD` is not `CMD` and is never reported.
"""

from __future__ import annotations

from collections.abc import Iterator

from entrylint.diagnostics import Diagnostic, Severity
from entrylint.fixes import exec_form_fix
from entrylint.model import ImageModel
from entrylint.rulekit import at_instruction, shell_form_verdict

ID = "EL101"
NAME = "shell-form-cmd"
SEVERITY: Severity = "error"
SUMMARY = "Shell-form CMD: the shell may stay PID 1 and swallow SIGTERM"
BAD = """
FROM python:3.12-slim
COPY app.py /app/
CMD python /app/app.py
"""
GOOD = """
FROM python:3.12-slim
COPY app.py /app/
CMD ["python", "/app/app.py"]
"""
FIX = """
*Safe*: rewrites the command as a JSON array when it needs no shell (quotes removed exactly as
the shell would; a leading `exec` is dropped, never turned into `["exec", …]`). A command that
needs a shell (variables, `&&`, redirections, globs) becomes
`["/bin/sh", "-c", "… exec <last command>"]` (the stage's `SHELL`) only when its last command is
a program that runs last; otherwise there is no fix. A broken array (`["python", 'app.py']`)
becomes the array it means. *Unsafe* when an `ENTRYPOINT` other than an init receives the
command (the stage's, or a base image's such as postgres's `docker-entrypoint.sh`): it then gets
the words instead of `/bin/sh -c "…"` and may act on them. Under a `SHELL` that adds to a plain
command (`["/bin/bash", "-l", "-c"]`: a login profile) the shell is kept:
`["/bin/bash", "-l", "-c", "exec app"]`; under one that is no shell (`conda run …`) plain exec
form is unsafe. `exec` next to a `trap … EXIT` (or TERM/INT) is unsafe: the trap would no longer
run. No fix for Windows shells.
"""


def check(model: ImageModel) -> Iterator[Diagnostic]:
    cmd = model.cmd
    if cmd is None or cmd.instruction is None or cmd.instruction.exec_form is not None:
        return
    ep = model.entrypoint
    if ep is not None and ep.instruction is not None and ep.instruction.exec_form is None:
        return  # a shell-form ENTRYPOINT ignores CMD altogether (EL102 says so)
    verdict = shell_form_verdict(model, cmd.instruction)
    if verdict is None:
        return
    severity, message = verdict
    if ep is not None and ep.instruction is not None:
        shell = " ".join(model.final.effective_shell())
        message += f"; the exec-form ENTRYPOINT receives it as `{shell} \"…\"` arguments"
    yield at_instruction(ID, severity, model, cmd.instruction, f"shell-form CMD {message}",
                         exec_form_fix(model, cmd.instruction))
