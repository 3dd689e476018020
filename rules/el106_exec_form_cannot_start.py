"""Exec form whose first element is no program: the container cannot start.

**Why it matters.** Exec form runs its first element as a program, without a shell.
`CMD ["exec", "gunicorn", "app:app"]` fails because `exec` is a shell builtin: there is no
`exec` executable.  This is what naive shell-to-exec-form converters make of
`CMD exec gunicorn app:app`, which was correct.  `CMD ["gunicorn app:app"]` fails too: it is one
word, and Docker looks for a program whose name is `gunicorn app:app`, spaces included.  Both
end in "executable file not found" when the container starts.  Drop the `exec` (exec form
already runs the program as PID 1), and give each word its own element.
"""

from __future__ import annotations

from collections.abc import Iterator

from entrylint.diagnostics import Diagnostic, Severity
from entrylint.fixes import drop_exec_fix, split_words_fix
from entrylint.model import ImageModel
from entrylint.rulekit import at_instruction

ID = "EL106"
NAME = "exec-form-cannot-start"
SEVERITY: Severity = "error"
SUMMARY = "Exec form that cannot start: `[\"exec\", …]` or one string holding a whole command"
BAD = """
FROM python:3.12-slim
CMD ["exec", "gunicorn", "--bind", ":8000", "app:app"]
"""
GOOD = """
FROM python:3.12-slim
CMD ["gunicorn", "--bind", ":8000", "app:app"]
"""
FIX = """
*Safe*: removes the `"exec"` element, or splits a one-string command into its words (quotes
removed as the shell would) when it needs no shell. The container could not start before, so
nothing that worked changes.
"""


def check(model: ImageModel) -> Iterator[Diagnostic]:
    for setting in (model.entrypoint, model.cmd):
        if setting is None or setting.instruction is None:
            continue
        form = setting.instruction.exec_form
        if not form:
            continue
        ins = setting.instruction
        if form[0] == "exec":
            what = f"makes `{form[1]}` PID 1" if len(form) > 1 else "needs no `exec`"
            yield at_instruction(
                ID, SEVERITY, model, ins,
                f"`{ins.keyword} [\"exec\", …]` cannot start: `exec` is a shell builtin and "
                f"there is no `exec` program. Remove it; exec form already {what}",
                drop_exec_fix(model, ins),
            )
        elif form[0] != form[0].strip() or " " in form[0].strip():
            yield at_instruction(
                ID, SEVERITY, model, ins,
                f"`{ins.keyword} [\"{form[0]}\", …]` cannot start: exec form takes "
                f"`{form[0]}` as the name of one program, spaces included. Give each word "
                f"its own element",
                split_words_fix(model, ins),
            )
