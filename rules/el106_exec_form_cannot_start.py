"""Exec form whose first element is no program: the container cannot start.

**Why it matters.** Exec form runs its first element as a program, without a shell.
`CMD ["exec", "gunicorn", "app:app"]` fails because `exec` is a shell builtin: there is no
`exec` executable.  This is what naive shell-to-exec-form converters make of
`CMD exec gunicorn app:app`, which was correct.  `CMD ["gunicorn app:app"]` fails too: it is one
word, and Docker looks for a program whose name is `gunicorn app:app`, spaces included.  Both
end in "executable file not found" when the container starts.  Drop the `exec` (exec form
already runs the program as PID 1), and give each word its own element.  `CMD []` with no
ENTRYPOINT leaves nothing to run at all: `docker run` fails with "no command specified".
"""

from __future__ import annotations

from collections.abc import Iterator

from entrylint.diagnostics import Diagnostic, Severity
from entrylint.dockerfile import Instruction
from entrylint.fixes import drop_exec_fix, split_words_fix
from entrylint.fixguard import created_in_image
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
nothing that worked changes. Not reported when the build creates a file of that name
(`CMD ["Plex Media Server"]` is a real program); *unsafe* when the words do not look like a
command line (no option or argument-like word) or the base image is unknown, since a program
of that name may exist there.
"""


def check(model: ImageModel) -> Iterator[Diagnostic]:
    empty = _empty_start(model)
    if empty is not None:
        yield at_instruction(
            ID, SEVERITY, model, empty,
            f"`{empty.keyword} []` leaves the image nothing to run and there is no ENTRYPOINT: "
            f"the container cannot start (`docker run` fails with \"no command specified\"). "
            f"Name the program to run",
            None,
        )
    if model.start is None:
        return
    seen: set[tuple[int, int]] = set()
    for launch in model.start.walk():
        # the model marks a program it cannot start: `exec`, or one word with spaces
        first = launch.argv[0] if launch.argv else None
        if launch.kind != "unknown" or first is None:
            continue
        if first != "exec" and first == first.strip() and " " not in first:
            continue
        if first != "exec" and created_in_image(model, first) is not None:
            continue  # `CMD ["Plex Media Server"]`: the build creates a file of that name
        located = _element(model, first)
        if located is None or located in seen:
            continue
        seen.add(located)
        setting = model.entrypoint if located[0] == 0 else model.cmd
        assert setting is not None and setting.instruction is not None
        ins, index = setting.instruction, located[1]
        if first == "exec":
            after = launch.argv[1] if len(launch.argv) > 1 else None
            what = f"makes `{after}` the process" if after else "needs no `exec`"
            yield at_instruction(
                ID, SEVERITY, model, ins,
                f"`\"exec\"` in the exec form of {ins.keyword} cannot start: `exec` is a shell "
                f"builtin and there is no `exec` program. Remove it; exec form already {what}",
                drop_exec_fix(model, ins, index),
            )
        else:
            yield at_instruction(
                ID, SEVERITY, model, ins,
                f"`\"{first}\"` in the exec form of {ins.keyword} cannot start: it is run as "
                f"one program name, spaces included. Give each word its own element",
                split_words_fix(model, ins, index),
            )


def _empty_start(model: ImageModel) -> Instruction | None:
    """The ``CMD []`` (or ``ENTRYPOINT []``) of a final stage that has nothing else to run."""
    empty: Instruction | None = None
    for setting in (model.entrypoint, model.cmd):
        if setting is None:
            continue
        if setting.instruction is None:
            if setting.inherited != "none":
                return None
            continue
        if setting.instruction.exec_form != []:
            return None
        empty = setting.instruction
    return empty


def _element(model: ImageModel, value: str) -> tuple[int, int] | None:
    """(0 for ENTRYPOINT / 1 for CMD, index) of the exec-form element ``value``."""
    for which, setting in enumerate((model.entrypoint, model.cmd)):
        if setting is None or setting.instruction is None:
            continue
        form = setting.instruction.exec_form or []
        if value in form:
            return which, form.index(value)
    return None
