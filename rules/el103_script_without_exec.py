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
Other rules cover what `exec` alone would not repair: background jobs, keepalives and loops
(EL109), `su`/`runuser` (EL108), `npm start` (EL110), an `exec` that cannot replace the shell
(EL113). `sudo` run last without `exec` is reported here: exec'd, it relays SIGTERM and
reaps (measured), so the `exec` is all that is missing.
"""

from __future__ import annotations

from collections.abc import Iterator

from entrylint import facts, knowledge
from entrylint.diagnostics import Diagnostic, Severity
from entrylint.fixes import exec_insert_fix
from entrylint.model import ImageModel
from entrylint.rulekit import at_command

ID = "EL103"
NAME = "script-without-exec"
SEVERITY: Severity = "error"
SUMMARY = "A start script leaves the server as a child of the shell (no `exec`)"
POSIX = True
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
        # the paths that `docker run IMAGE` takes: with CMD known, only the `case "$1"` arm
        # and `if [ "$1" = web ]` branch it selects (other arms are other commands)
        for term in sh.start_terminals(script.args)[0]:
            if term.command is None:
                continue  # loops, background jobs, keepalives and `wait`: EL109
            if term.kind != "child":
                # A trap does not excuse a foreground child: the shell runs the trap only
                # after the child has exited.
                continue
            cmd = term.command
            if cmd.is_exec:
                continue  # `exec app | tee log`, `( exec app )`: EL113
            if cmd.name in knowledge.SIGNAL_SWALLOWERS and \
                    facts.missing_exec_rule(cmd.name) != "EL103":
                continue  # `su app -c …`, `npm start`: `exec` would not help (EL108, EL110)
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
