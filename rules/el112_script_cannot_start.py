"""The entry script cannot start: CRLF line endings, no `#!` line, not executable, or an
interpreter the image does not have.

**Why it matters.** The container fails at once, often with a message that hides the cause:

* **CRLF line endings** (a script saved on Windows): the kernel reads `#!/bin/sh\\r` and looks
  for a program named `sh\\r` — `exec /docker-entrypoint.sh: no such file or directory`; run
  as `sh script.sh`, every line ends in `\\r` and `set -e\\r` fails.
* **No `#!` line** in a script run as a program (exec form): `exec format error`. Not when a
  shell starts it (`bash -c ./start.sh`, another script): on ENOEXEC bash and dash run the
  file as a shell script themselves.
* **Not executable**: its mode in the repository has no `x` bit, and no `COPY --chmod` or
  `RUN chmod +x` sets one (files written by `COPY <<EOF` are 0644): `permission denied`. A
  `COPY --from` keeps the mode the other stage gave it (its `RUN chmod +x` counts).
* **An interpreter the image lacks**: `#!/bin/bash` on Alpine or BusyBox without `apk add
  bash`, any shell on distroless or scratch: `no such file or directory`.

A `RUN` that repairs the file in the image (`dos2unix`, `sed -i 's/\\r$//'`, `chmod +x`) is
taken into account.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from entrylint import facts
from entrylint.diagnostics import Diagnostic, Severity
from entrylint.fixes_catalog import copy_chmod_fix, lf_endings_fix
from entrylint.model import ImageModel, Script, Stage
from entrylint.rulekit import at_first_line, placed_launches
from entrylint.shell import SHELLS, shebang_interpreter

ID = "EL112"
NAME = "script-cannot-start"
SEVERITY: Severity = "error"
SUMMARY = "The entry script cannot start: CRLF endings, no #!, not executable, or no interpreter"
POSIX = True
BAD = """
FROM alpine:3.20
COPY entrypoint.sh /entrypoint.sh   # #!/bin/bash, mode 0644
ENTRYPOINT ["/entrypoint.sh"]
"""
GOOD = """
FROM alpine:3.20
RUN apk add --no-cache bash
COPY --chmod=755 entrypoint.sh /entrypoint.sh
ENTRYPOINT ["/entrypoint.sh"]
"""
FIX = """
*Safe*: converts a CRLF script to LF line endings (only the line endings change; a script with
CRLF cannot run, so nothing that worked changes), and adds `--chmod=755` to the `COPY` that
copies a non-executable script alone (BuildKit, the default builder since Docker 23). No fix
for a missing `#!` line or interpreter: which one the script needs is the author's choice.
"""

_UNIX_DISTROS = ("alpine", "busybox", "wolfi")


def check(model: ImageModel) -> Iterator[Diagnostic]:
    runs = _run_texts(model.final)
    for script in model.scripts:
        yield from _check_script(model, script, runs + _origin_runs(model, script))


def _shell_runs(model: ImageModel, script: Script) -> bool:
    """Every start-up path reaches ``script`` from a shell (``bash -c ./entrypoint.sh``, a
    script that runs it): when execve fails with ENOEXEC for want of a `#!`, bash and dash
    run the file as a shell script themselves (their documented fallback)."""
    parents = [p.parent for p in placed_launches(model) if p.launch.script is script]
    return bool(parents) and all(p is not None and p.kind in ("shell-c", "script")
                                 for p in parents)


def _origin_runs(model: ImageModel, script: Script) -> list[str]:
    """The RUNs of the stage that copied the script from the context when the final stage
    took it from there with ``COPY --from`` (which keeps the mode that stage gave it)."""
    chain = model.final.chain()
    for stage in model.stages:
        if stage in chain or script.origin is None:
            continue
        if any(ins is script.origin for ins in stage.all_of(script.origin.keyword)):
            return _run_texts(stage)
    return []


def _check_script(model: ImageModel, script: Script, runs: list[str]) -> Iterator[Diagnostic]:
    data = script.shell.data
    name = posixpath.basename(script.container_path)
    first_end = data.find(b"\n")
    first_end = len(data) if first_end == -1 else first_end
    if script.heredoc is None and script.file.crlf and script.rewritten_by is None \
            and not _repaired(runs, name, "crlf"):
        how = ("the kernel reads its `#!` line as `" + (script.shell.shebang or "").strip()
               + "\\r` and finds no such program (`no such file or directory`)"
               if script.run_directly and script.shell.shebang else
               "every line ends in `\\r`, which the shell takes as part of the last word "
               "(`set -e\\r`: invalid option)")
        yield at_first_line(ID, SEVERITY, script, 0, first_end,
                            f"{script.display} has CRLF (Windows) line endings: {how}, so the "
                            f"container cannot start. Save it with LF endings (and add "
                            f"`*.sh text eol=lf` to .gitattributes)", lf_endings_fix(model, script))
        return
    if script.run_directly and script.shell.shebang is None and not _shell_runs(model, script):
        yield at_first_line(ID, SEVERITY, script, 0, first_end,
                            f"{script.display} is run as a program but has no `#!` line: the "
                            f"container cannot start (`exec format error`). Start it with "
                            f"`#!/bin/sh`")
        return
    if script.run_directly and not _executable(model, script, runs, name):
        yield at_first_line(ID, SEVERITY, script, 0, first_end,
                            f"{script.display} is run as a program but is not executable in "
                            f"the image ({_mode(script)}, and no `COPY --chmod` or `RUN "
                            f"chmod +x`): the container cannot start "
                            f"(`permission denied`). Use `COPY --chmod=755`, or `git "
                            f"update-index --chmod=+x` on the file",
                            copy_chmod_fix(model, script))
        return
    missing = _missing_interpreter(model, script, runs)
    if missing is not None:
        yield at_first_line(ID, SEVERITY, script, 0, first_end,
                            f"{script.display} needs `{missing[0]}`, which {missing[1]}: the "
                            f"container cannot start (`no such file or directory`). "
                            f"{missing[2]}")


def _run_texts(stage: Stage) -> list[str]:
    out: list[str] = []
    s: Stage | None = stage
    while s is not None:
        out += [ins.args for ins in s.all_of("RUN")]
        s = s.base_stage
    return out


def _repaired(runs: list[str], name: str, what: str) -> bool:
    for text in runs:
        if what == "crlf":
            if ("dos2unix" in text or "\\r" in text) and (name in text or "*" in text):
                return True
        elif re.search(r"\bchmod\b", text) and (name in text or "*" in text
                                                 or re.search(r"\bchmod\s+-R\b", text)):
            return True
    return False


def _mode(script: Script) -> str:
    if script.heredoc is not None:
        return "COPY writes a heredoc with mode 0644"
    mode = script.file.mode
    return (f"mode {mode & 0o777:04o} in the build context" if mode is not None
            else "its mode is not known")


def executable_in_image(model: ImageModel, script: Script) -> bool:
    """Whether ``script`` has an ``x`` bit in the image (its mode, ``COPY --chmod``, a
    ``RUN chmod``).  The PID-1 run tests give the script this mode."""
    return _executable(model, script, _run_texts(model.final) + _origin_runs(model, script),
                       posixpath.basename(script.container_path))


def _executable(model: ImageModel, script: Script, runs: list[str], name: str) -> bool:
    if script.chmod is not None:
        return _chmod_sets_x(script.chmod)
    if script.made_executable or _repaired(runs, name, "chmod"):
        return True
    if script.heredoc is not None:
        return False  # COPY <<EOF writes 0644
    executable = script.file.executable
    return executable is not False


def _chmod_sets_x(value: str) -> bool:
    if re.fullmatch(r"[0-7]{3,4}", value):
        return any(int(d) & 1 for d in value[-3:])
    return "x" in value or "X" in value


def _missing_interpreter(model: ImageModel, script: Script, runs: list[str]
                         ) -> tuple[str, str, str] | None:
    base = model.final.root_image
    if base is None:
        return None
    interp = script.interpreter or shebang_interpreter(script.shell.shebang)
    if interp is None or interp not in SHELLS:
        return None
    if base.distro in ("distroless", "scratch"):
        return (interp, f"{base.ref} does not have (no shell at all)",
                "Run the program in exec form, or use a base image with a shell")
    if base.distro in _UNIX_DISTROS and interp in ("bash", "zsh", "ksh", "mksh"):
        if any(facts.installed_by_run(text, interp) for text in runs):
            return None
        return (interp, f"{base.ref} does not have (BusyBox has only `sh`/`ash`)",
                f"Install it (`RUN apk add --no-cache {interp}`) or use `#!/bin/sh`")
    return None
