"""`["exec", …]` in exec form cannot start: `exec` is a shell builtin, not a program.

**Why it matters.** Exec form runs its first element as a program, without a shell.  There is
no `exec` executable, so `CMD ["exec", "gunicorn", "app:app"]` fails at start with
"executable file not found".  This is what naive shell-to-exec-form converters produce from
`CMD exec gunicorn app:app`, which was correct.  Drop the `exec`: in exec form the program
already runs as PID 1.
"""

from __future__ import annotations

from collections.abc import Iterator

from entrylint.diagnostics import Diagnostic, Severity
from entrylint.fixes import drop_exec_fix
from entrylint.model import ImageModel
from entrylint.rulekit import at_instruction

ID = "EL106"
NAME = "exec-builtin-in-exec-form"
SEVERITY: Severity = "error"
SUMMARY = "`[\"exec\", …]`: exec form cannot run the shell builtin `exec`"
BAD = """
FROM python:3.12-slim
CMD ["exec", "gunicorn", "--bind", ":8000", "app:app"]
"""
GOOD = """
FROM python:3.12-slim
CMD ["gunicorn", "--bind", ":8000", "app:app"]
"""
FIX = """
*Safe*: removes the `"exec"` element; the rest of the array is kept as it is. (The container
could not start before, so nothing that worked changes.)
"""


def check(model: ImageModel) -> Iterator[Diagnostic]:
    for setting in (model.entrypoint, model.cmd):
        if setting is None or setting.instruction is None:
            continue
        form = setting.instruction.exec_form
        if form and form[0] == "exec":
            ins = setting.instruction
            yield at_instruction(
                ID, SEVERITY, model, ins,
                f"`{ins.keyword} [\"exec\", …]` cannot start: `exec` is a shell builtin and "
                f"there is no `exec` program. Remove it; exec form already makes "
                f"`{form[1] if len(form) > 1 else 'the program'}` PID 1",
                drop_exec_fix(model, ins),
            )
