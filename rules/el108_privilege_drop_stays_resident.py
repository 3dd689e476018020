"""`su`, `runuser` or `sudo` starts the app and stays resident as PID 1.

**Why it matters.** `su app -c 'python app.py'`, `runuser -u app -- app` and
`sudo -u app app` do not replace themselves with the app: they fork it and stay its parent, so
they are what `docker stop` signals.  Measured as PID 1 (docs/pid1-behaviour.md, the `nobody`
rows): su and runuser pass SIGTERM only to their direct child, then wait 2 s, exit with status
143 instead of the app's, and never reap orphans; sudo relays SIGTERM and reaps.  When the child
is a shell that does not exec the app — `su app -c 'python app.py'` under dash, the shell of
Debian and Ubuntu images — the app never gets SIGTERM at all: su exits after 2 s and the kernel
SIGKILLs the app with the namespace.  `gosu`, `su-exec` and `setpriv` drop privileges and then
exec the app, which becomes PID 1 itself: use one of them (`exec gosu app "$@"`, the official
images' pattern), or an init that signals the whole process group (`tini -g`, dumb-init).

**Why `exec gosu` is not a drop-in replacement.** `su USER -c TEXT` hands TEXT to USER's
login shell (the one /etc/passwd names, or `-s`), which parses it again: variables, globs and
redirections in TEXT are expanded there, as USER, in the environment su builds (HOME, SHELL,
USER, LOGNAME set for USER; with `su -` a fresh environment, HOME as working directory, the
shell's profile files), inside a PAM session. gosu and su-exec take an argv, set HOME only, and
exec it. The two agree only when TEXT is plain words and the app does not read USER, LOGNAME
or SHELL — which entrylint cannot see, so the rewrite is offered as unsafe, and only when gosu
or su-exec is known to be installed.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from entrylint import facts
from entrylint.diagnostics import Diagnostic, Severity
from entrylint.fixes_catalog import privilege_drop_fix
from entrylint.knowledge import ShellKind
from entrylint.model import DEFAULT_PATH, ImageModel, Launch, Stage, analyse_shell_text
from entrylint.rulekit import (
    at_command,
    at_instruction,
    final_commands,
    init_of_script,
    quote_argv,
    signals_group,
    swallowers_at_instructions,
)
from entrylint.shell import SHELLS, ShellScript

ID = "EL108"
NAME = "privilege-drop-stays-resident"
SEVERITY: Severity = "error"
SUMMARY = "su/runuser/sudo stay resident as PID 1: SIGTERM may not reach the app, orphans leak"
POSIX = True
BAD = """
#!/bin/sh
chown -R app /data
su app -c 'python /srv/app.py'
"""
GOOD = """
#!/bin/sh
chown -R app /data
exec gosu app python /srv/app.py
"""
FIX = """
*Unsafe*, and only when gosu or su-exec is known to be in the image (a `RUN` of the final
stage installs it, or a `COPY` puts it on PATH; what a base image ships is not in entrylint's
facts, so `FROM postgres` alone gets no fix): a script's final `su USER -c 'plain command'`
(or `su - USER -c …`, `runuser -u USER -- cmd …`) becomes `exec gosu USER cmd …`, and
exec-form `["su", "USER", "-c", "cmd …"]` becomes `["gosu", "USER", "cmd", …]`. Offered only
when the command is plain words (no variables, redirections or second command: they would need
the shell su starts). Never safe, because the argv is the same but what the app sees is not:
su and runuser set USER, LOGNAME and SHELL for the target user, gosu and su-exec set only HOME;
`su -c` runs the text through the user's login shell from /etc/passwd (which may read start-up
files, or be `nologin`) and opens a PAM session (resource limits); `su -` also starts from a
fresh environment in HOME. setpriv is named in the message but not used by the fix (it needs the
group spelt out). `sudo` is not rewritten (its sudoers policy and env_reset are not known).
Without gosu/su-exec the finding says so and names what to install.
"""


def check(model: ImageModel) -> Iterator[Diagnostic]:
    kind = model.final.shell_kind()
    found: list[str | None] = []

    def installed_tool() -> str | None:
        """gosu or su-exec when the image installs one: looked for only once a finding needs
        it (most images drop no privileges, and the look-up reads every RUN)."""
        if not found:
            found.append(next((t for t in facts.EXEC_DROPS
                               if t != "setpriv" and _installs(model, t)), None))
        return found[0]

    for placed, where in swallowers_at_instructions(model, facts.PRIVILEGE_DROPS):
        launch = placed.launch
        verdict = _verdict(model, launch.name, launch.argv[1:], kind, placed.init,
                           exec_form=True)
        if verdict is None:
            continue
        fix = None
        tool = installed_tool()
        if tool is not None and where.exec_form == launch.argv:
            fix = privilege_drop_fix(model, tool, launch.name, where.exec_form[1:], ins=where)
        yield _with_fix(at_instruction(ID, verdict[0], model, where, verdict[1], fix), tool)
    for script in model.scripts:
        init = init_of_script(model, script)
        via = {(t.command.start, t.command.end): tuple(t.via_functions)
               for t in script.shell.start_terminals(script.args or None)[0]
               if t.command is not None}
        for cmd, argv in final_commands(script):
            name = argv[0] if argv else None
            if name is None or name not in facts.PRIVILEGE_DROPS:
                continue
            verdict = _verdict(model, name, argv[1:], kind, init)
            if verdict is None:
                continue
            fix = None
            tool = installed_tool()
            if tool is not None and all(a is not None for a in argv):
                fix = privilege_drop_fix(model, tool, name, [a or "" for a in argv[1:]],
                                         script=script, command=cmd,
                                         via=via.get((cmd.start, cmd.end), ()))
            yield _with_fix(at_command(ID, verdict[0], script, cmd, verdict[1], fix), tool)


def _with_fix(diag: Diagnostic, tool: str | None) -> Diagnostic:
    """The finding, saying why there is no fix when there is none."""
    if diag.fix is not None:
        return diag
    why = ("gosu or su-exec is not known to be in the image: no RUN of the final stage "
           "installs it and no COPY puts it on PATH (what a base image has is not known)"
           if tool is None else
           f"the command is not one that `{tool} USER …` can stand for word for word (only "
           "`su [-] USER -c 'plain command'` and `runuser -u USER -- …` with literal words)")
    diag.notes.append(f"no automatic fix: {why}")
    diag.message += f" (no automatic fix: {why})"
    return diag


def _verdict(model: ImageModel, name: str, args: list[str | None], kind: ShellKind,
             init: Launch | None, *, exec_form: bool = False) -> tuple[Severity, str] | None:
    if signals_group(init):
        return None  # `tini -g`/dumb-init signal the app too, and reap
    drop = facts.PRIVILEGE_DROPS[name]
    shown = " ".join(f"'{a}'" if a is not None and (" " in a or not a) else a or "…"
                     for a in [name, *args])
    if len(shown) > 60:
        shown = shown[:59] + "…"
    dropped = facts.dropped_command(name, args)
    instead = _instead(model, dropped, exec_form)
    text = dropped.text if dropped is not None else None
    if dropped is not None and dropped.argv and dropped.argv[0] is not None \
            and dropped.argv[0].rsplit("/", 1)[-1] in SHELLS and "-c" in dropped.argv:
        i = dropped.argv.index("-c")
        text = dropped.argv[i + 1] if i + 1 < len(dropped.argv) else None
    if text is not None:
        shell_kind = _shell_kind(model, args, kind)
        outcome = analyse_shell_text(ShellScript(text.encode()), shell_kind)
        if outcome.outcome not in ("explicit-exec", "shell-execs"):
            why = ("the shell it starts does not exec the command" if outcome.outcome == "stays"
                   else "the shell it starts may not exec the command (the user's shell is "
                        "not known)")
            return ("error" if outcome.outcome == "stays" else "warning",
                    f"`{shown}` stays PID 1 and passes SIGTERM only to its child, and "
                    f"{why} ({outcome.reason}): {name} exits and the app is SIGKILLed without "
                    f"SIGTERM (measured). {instead}")
    if init is not None:
        if drop.exits_143:
            return ("info",
                    f"`{shown}` stays resident under the init: on SIGTERM it waits "
                    f"{drop.stop_delay:g} s and exits 143 instead of the app's status "
                    f"(measured). {instead}")
        return None
    if drop.reaps:
        return ("info",
                f"`{shown}` stays PID 1 as the app's parent: it relays SIGTERM and reaps "
                f"(measured), but adds a resident process and needs sudoers. {instead}")
    return ("warning",
            f"`{shown}` stays PID 1 as the app's parent: it passes SIGTERM on, but never "
            f"reaps orphaned processes, and on SIGTERM waits {drop.stop_delay:g} s and exits "
            f"143 instead of the app's status (measured). {instead}")


def _shell_kind(model: ImageModel, args: list[str | None], default: ShellKind) -> ShellKind:
    for i, a in enumerate(args):
        if a in ("-s", "--shell") and i + 1 < len(args) and args[i + 1]:
            return model.final.shell_kind(args[i + 1])
    return default


def _instead(model: ImageModel, dropped: facts.Dropped | None, exec_form: bool) -> str:
    installed = [p for p in facts.EXEC_DROPS if _installs(model, p)]
    user = dropped.user if dropped is not None and dropped.user else "USER"
    what = (dropped.text if dropped is not None and dropped.text is not None else
            quote_argv(list(dropped.argv)) if dropped is not None and dropped.argv else "…")
    tool = installed[0] if installed else "gosu"
    line = (f"`[\"{tool}\", \"{user}\", …]` in exec form" if exec_form
            else f"`exec {tool} {user} {what}`")
    if installed:
        return f"Use {line} ({tool} is installed in the image): it execs the app as PID 1"
    return (f"Use {line} after installing gosu (or su-exec on Alpine, or setpriv): it execs "
            f"the app as PID 1")


def _installs(model: ImageModel, program: str) -> bool:
    s: Stage | None = model.final
    while s is not None:
        for ins in s.all_of("RUN"):
            if facts.installed_by_run(ins.args, program) is not None:
                return True
        s = s.base_stage
    stage = model.final
    path_var = stage.env.get("PATH") or DEFAULT_PATH
    return any(stage.fs.file(posixpath.join(d, program)) is not None
               for d in path_var.split(":") if d.startswith("/"))
