"""The server runs in the background (or before a keepalive) and nothing forwards SIGTERM to it.

**Why it matters.** `app & wait`, `app & tail -f /dev/null`, `service nginx start && sleep
infinity` and `while true; do sleep 60; done` keep a shell as PID 1 with the server as its
child.  `docker stop` signals the shell: it does not pass SIGTERM on, and a keepalive in the
foreground even keeps the shell from running a trap until it exits.  The server is SIGKILLed
after the grace period (measured: a start script whose server is a child loses SIGTERM; only
the trap-and-wait script stops cleanly).  A script whose last command is `app &` exits at once,
and the container with it.

Correct: `exec app` (the server becomes PID 1), or the trap-and-wait pattern when several
processes must run — `trap 'kill -TERM $PID' TERM INT; app & PID=$!; wait $PID; trap - TERM
INT; wait $PID` — or a supervisor (supervisord, s6-overlay, runit) that forwards signals.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from entrylint.diagnostics import Diagnostic, Severity
from entrylint.model import ImageModel
from entrylint.rulekit import at_command, at_first_line, at_instruction
from entrylint.shell import node_text

if TYPE_CHECKING:
    from entrylint.shell import Node, ShellScript

ID = "EL109"
NAME = "background-without-forwarding"
SEVERITY: Severity = "error"
SUMMARY = "A server in the background, a keepalive or a loop keeps the shell as PID 1"
POSIX = True
BAD = """
#!/bin/sh
nginx -g 'daemon off;' &
php-fpm --nodaemonize &
wait -n
"""
GOOD = """
#!/bin/sh
trap 'kill -TERM $NGINX $FPM' TERM INT
nginx -g 'daemon off;' & NGINX=$!
php-fpm --nodaemonize & FPM=$!
wait -n
"""
FIX = """
No fix: whether one server should be exec'd, or a trap or a supervisor should forward signals
to several, is a design decision. The message names the trap-and-wait pattern.
"""

_TRAP = ("Run the server last with `exec`, or forward the signal: `trap 'kill -TERM $PID' "
         "TERM INT; app & PID=$!; wait $PID` (or use a supervisor)")


def check(model: ImageModel) -> Iterator[Diagnostic]:
    for script in model.scripts:
        sh = script.shell
        forwards = sh.traps_term()
        # with CMD known, only the `case "$1"` arm / `if [ "$1" = x ]` branch it selects
        for term in sh.start_terminals(script.args)[0]:
            if term.kind == "loop":
                if forwards and _ends_with_the_job(sh, term.node):
                    continue  # `while kill -0 $PID; do sleep 1; done` with a forwarding trap
                if _sleeps_interruptibly(sh, term.node) and sh.handles_term():
                    continue  # `sleep 600 & wait $!` in the loop: the trap runs at once
                yield at_first_line(
                    ID, SEVERITY, script, term.node.start_byte, term.node.end_byte,
                    f"{script.display} ends in a loop: the shell stays PID 1 and runs each "
                    f"command as its child, so SIGTERM from `docker stop` reaches neither and "
                    f"they are SIGKILLed after the grace period. {_TRAP}",
                )
            elif term.kind == "keepalive" and term.command is not None:
                keep = " ".join(term.command.text.split())
                yield at_command(
                    ID, SEVERITY, script, term.command,
                    f"`{keep}` only keeps the container alive while the server runs in the "
                    f"background (or before it): `docker stop` sends SIGTERM to PID 1, not to "
                    f"the server, which is SIGKILLed after the grace period. {_TRAP}",
                )
            elif term.kind == "wait" and term.command is not None and not forwards:
                # a handler that runs but does not signal the job (`trap 'cleanup; exit 143'
                # TERM`): the shell exits at once and the kernel SIGKILLs the job with it
                fate = ("its `trap … TERM` handler runs, but does not signal the job: the "
                        "shell exits and the kernel SIGKILLs the job at once, without SIGTERM"
                        if sh.handles_term() else
                        "the shell stays PID 1 and the job is SIGKILLed after the grace period")
                yield at_command(
                    ID, SEVERITY, script, term.command,
                    f"{script.display} ends in `wait` for a background job but never forwards "
                    f"SIGTERM to it (no `trap … TERM` that kills it): {fate}. {_TRAP}",
                )
            elif term.kind == "child" and term.command is None and term.reason == "background":
                text = " ".join(node_text(sh.data, term.node).split())
                if len(text) > 60:
                    text = text[:59] + "…"
                yield at_first_line(
                    ID, SEVERITY, script, term.node.start_byte, term.node.end_byte,
                    f"`{text} &` is the last command of {script.display}: the script exits "
                    f"right after starting it, and the container stops with it. Run it in the "
                    f"foreground with `exec`",
                )
    yield from _inline_keepalives(model)


def _inline_keepalives(model: ImageModel) -> Iterator[Diagnostic]:
    """``["sh", "-c", "server & tail -f /dev/null"]`` (exec form; shell form is EL101's)."""
    if model.start is None:
        return
    for launch in model.start.walk():
        if launch.kind != "shell-c" or launch.inline is None or launch.where is None \
                or launch.shell_form:
            continue
        if not any(t.kind in ("keepalive", "loop") for t in launch.inline.terminals()):
            continue
        yield at_instruction(
            ID, SEVERITY, model, launch.where,
            f"`{launch.argv[0]} -c` in exec form ends in a keepalive or a loop: the shell stays "
            f"PID 1 with the server as its child, and SIGTERM from `docker stop` never reaches "
            f"the server, which is SIGKILLed after the grace period. {_TRAP}",
        )


def _sleeps_interruptibly(sh: ShellScript, loop: Node) -> bool:
    """A periodic job's loop that waits in ``sleep N & wait $!``: every job it starts in the
    background is a ``sleep``, and it waits for them, so a TERM trap runs at once."""
    commands = sh.iter_commands(loop)
    background = [c for c in commands if sh.is_background(c.node)
                  or (c.node.parent is not None and sh.is_background(c.node.parent))]
    return bool(background) and all(c.name == "sleep" for c in background) and any(
        c.name == "wait" for c in commands)


def _ends_with_the_job(sh: ShellScript, loop: Node) -> bool:
    """``while kill -0 $PID`` ends when the job does, and a loop around ``wait`` waits for the
    jobs the trap stops; ``while true; do sleep 1; done`` never ends."""
    condition = loop.child_by_field_name("condition")
    if loop.type != "while_statement" or condition is None:
        return False
    if "$" in node_text(sh.data, condition):
        return True
    return any(c.name == "wait" for c in sh.iter_commands(loop))
