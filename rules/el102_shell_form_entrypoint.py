"""`ENTRYPOINT` in shell form: the shell may stay PID 1, and `CMD` is thrown away.

**Why it matters.** A shell-form `ENTRYPOINT ./server --port 80` runs as
`/bin/sh -c "./server --port 80"`.  Under dash (Debian, Ubuntu) the shell stays PID 1 and does
not forward SIGTERM, so `docker stop` ends in SIGKILL after 10 s.  A shell-form `ENTRYPOINT`
also ignores `CMD` and every argument given to `docker run`: they are never appended.  On
images without a shell (distroless, scratch) it cannot start.

`ENTRYPOINT exec top -b` execs its command and handles signals correctly; it is reported only
as `info`, and only when a `CMD` would be silently ignored.
"""

from __future__ import annotations

from collections.abc import Iterator

from entrylint.diagnostics import Diagnostic, Severity
from entrylint.fixes import exec_form_fix
from entrylint.model import ImageModel, analyse_shell_text
from entrylint.rulekit import at_instruction, shell_form_verdict
from entrylint.shell import ShellScript

ID = "EL102"
NAME = "shell-form-entrypoint"
SEVERITY: Severity = "error"
SUMMARY = "Shell-form ENTRYPOINT: the shell may stay PID 1, and CMD/run arguments are ignored"
BAD = """
FROM debian:12-slim
COPY server /usr/local/bin/
ENTRYPOINT server --port 8080
"""
GOOD = """
FROM debian:12-slim
COPY server /usr/local/bin/
ENTRYPOINT ["server", "--port", "8080"]
"""
FIX = """
*Safe*: rewrites it as a JSON array when the command needs no shell (quotes removed as the shell
would; a leading `exec` is dropped, never turned into `["exec", …]`), or as
`["/bin/sh", "-c", "… exec <last command>"]` when it needs one and its last command is a program
that runs last; a broken array becomes the array it means. *Unsafe* when the image also has a
`CMD`: with exec form, `CMD` starts being appended to the entrypoint's arguments. No fix for
Windows shells or when the last command cannot be exec'd.
"""


def check(model: ImageModel) -> Iterator[Diagnostic]:
    ep = model.entrypoint
    if ep is None or ep.instruction is None or ep.instruction.exec_form is not None:
        return
    ins = ep.instruction
    cmd = model.cmd.instruction if model.cmd is not None else None
    ignored = ""
    if cmd is not None:
        ignored = (f"; it also ignores `CMD` (line {cmd.start_line}) and `docker run` "
                   f"arguments")
    verdict = shell_form_verdict(model, ins)
    if verdict is None:
        explicit = analyse_shell_text(ShellScript(ins.args.encode()),
                                      model.final.shell_kind()).outcome == "explicit-exec"
        if explicit and cmd is not None:
            yield at_instruction(
                ID, "info", model, ins,
                f"shell-form ENTRYPOINT execs its command, but `CMD` (line {cmd.start_line}) "
                f"and `docker run` arguments are ignored. Use exec form if they should be "
                f"passed on",
                exec_form_fix(model, ins),
            )
        return
    severity, message = verdict
    if ignored and severity == "info":
        severity = "warning"
    yield at_instruction(ID, severity, model, ins, f"shell-form ENTRYPOINT {message}{ignored}",
                         exec_form_fix(model, ins))
