"""The start script runs the server as a child instead of `exec`-ing it.

**Why it matters.** When `ENTRYPOINT`/`CMD` runs a script (`docker-entrypoint.sh`, `start.sh`),
the shell running the script is PID 1.  If its last command is `python app.py` (or `"$@"`,
`node server.js`, `bundle exec puma`) rather than `exec python app.py`, the server runs as a
child of the shell.  `docker stop` sends SIGTERM to the shell, which does not pass it on: the
server never hears it and is SIGKILLed after the grace period.  An init in front
(`tini -- start.sh`) does **not** excuse it — measured, the app received SIGTERM in 0 of 8 runs —
because tini signals the shell, not the app.

Checked on every path that ends the script: both branches of an `if`, each `case` arm, a
function called last (the postgres `_main "$@"` pattern), after `&&`.  When the image's `CMD`
is known, only the paths it takes: the `case "$1"` arm it selects, the branch of
`if [ "$1" = web ]` it enters (an `app:init` arm that runs migrations is another command).
A script that forwards signals itself (`trap 'kill -TERM $PID' TERM INT; app & PID=$!;
wait $PID`) is correct.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from entrylint.diagnostics import Diagnostic, Severity
from entrylint.fixes import exec_insert_fix
from entrylint.model import ImageModel
from entrylint.rulekit import at_command, at_first_line
from entrylint.shell import ShellScript, node_text

if TYPE_CHECKING:
    from entrylint.shell import Node

ID = "EL103"
NAME = "script-without-exec"
SEVERITY: Severity = "error"
SUMMARY = "A start script leaves the server as a child of the shell (no `exec`)"
BAD = """
#!/bin/sh
set -e
python manage.py migrate
gunicorn app:app --bind 0.0.0.0:8000
"""
GOOD = """
#!/bin/sh
set -e
python manage.py migrate
exec gunicorn app:app --bind 0.0.0.0:8000
"""
FIX = """
*Safe*: inserts `exec ` before the final command of the path (each path has its own finding:
both branches of an `if`, each `case` arm), also in heredoc scripts, keeping every other byte.
Not offered after `&&`/`||`, in a pipeline or subshell, before builtins, functions or compound
commands, nor in a function that is called more than once (its first call, often a health
check, would never return). *Unsafe* when commands follow it (`echo done`: they would no longer
run), when the script has a `trap … EXIT` (or TERM/INT) cleanup that `exec` would skip, or when
the command is a variable other than `"$@"` (it might name a function).
"""


def check(model: ImageModel) -> Iterator[Diagnostic]:
    for script in model.scripts:
        sh = script.shell
        forwards = sh.traps_term()
        handlers = sh.trap_functions() if forwards else frozenset()
        # the paths that `docker run IMAGE` takes: with CMD known, only the `case "$1"` arm
        # and `if [ "$1" = web ]` branch it selects (other arms are other commands)
        for term in sh.terminals(args=script.args or None):
            if handlers and set(term.via_functions) & handlers:
                continue  # the trap's handler called last: clean-up once the server is gone
            if term.kind == "loop":
                if forwards and _ends_with_the_job(sh, term.node):
                    continue  # `while kill -0 $PID; do sleep 1; done` with a forwarding trap
                yield at_first_line(
                    ID, SEVERITY, script, term.node.start_byte, term.node.end_byte,
                    f"{script.display} ends in a loop: the shell stays PID 1 and runs each "
                    f"command as its child, so SIGTERM from `docker stop` reaches neither and "
                    f"they are SIGKILLed after the grace period. Let a supervisor or an init "
                    f"restart the server, and run it with `exec`",
                )
                continue
            if term.command is None:
                continue
            if term.kind == "keepalive":
                keep = " ".join(term.command.text.split())
                yield at_command(
                    ID, SEVERITY, script, term.command,
                    f"`{keep}` only keeps the container alive while the server runs in the "
                    f"background (or before it): `docker stop` sends SIGTERM to PID 1, not to "
                    f"the server, which is SIGKILLed after the grace period. Run the server "
                    f"last, with `exec`, instead",
                )
                continue
            if term.kind == "wait":
                if forwards:
                    continue
                yield at_command(
                    ID, SEVERITY, script, term.command,
                    f"{script.display} ends in `wait` for a background job but never forwards "
                    f"SIGTERM to it (no `trap … TERM` that kills it): the shell stays PID 1 "
                    f"and the job is SIGKILLed after the grace period. Run the server with "
                    f"`exec` instead",
                )
                continue
            if term.kind != "child":
                # A trap does not excuse a foreground child: the shell runs the trap only
                # after the child has exited.
                continue
            cmd = term.command
            text = " ".join(cmd.text.split())
            if len(text) > 60:
                text = text[:59] + "…"
            prefix = " ".join(cmd.source[cmd.node.start_byte : cmd.words[0].start_byte]
                              .decode("utf-8", errors="replace").split()) if cmd.words else ""
            suggestion = f"{prefix} exec {text[len(prefix):].strip()}".strip() \
                if prefix and text.startswith(prefix) else f"exec {text}"
            if cmd.name in ("eval", "command") and len(cmd.words) > 1:
                # there is no `eval` or `command` program to exec: exec what they run
                rest = " ".join(cmd.word_text(w) for w in cmd.words[1:])
                suggestion = f"exec {rest}"
            how = ""
            if term.command.context == "pipeline" or term.reason == "pipeline":
                how = " (it is part of a pipeline, so it cannot be exec'd as written)"
            elif term.reason == "subshell":
                how = " (it runs in a subshell)"
            elif term.via_functions:
                how = f" (reached through `{term.via_functions[-1]}`)"
            yield at_command(
                ID, SEVERITY, script, term.command,
                f"`{text}` runs as a child of the shell{how}: SIGTERM from `docker stop` goes "
                f"to the shell, which does not pass it on, so the app is SIGKILLed after the "
                f"grace period. Use `{suggestion}`",
                exec_insert_fix(model, script, term),
            )


def _ends_with_the_job(sh: ShellScript, loop: Node) -> bool:
    """``while kill -0 $PID`` ends when the job does, and a loop around ``wait`` waits for the
    jobs the trap stops; ``while true; do sleep 1; done`` never ends."""
    condition = loop.child_by_field_name("condition")
    if loop.type != "while_statement" or condition is None:
        return False
    if "$" in node_text(sh.data, condition):
        return True
    return any(c.name == "wait" for c in sh.iter_commands(loop))
