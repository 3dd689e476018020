"""How ``SHELL -c TEXT`` runs TEXT: does the shell replace itself with TEXT's last command?"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from entrylint import knowledge
from entrylint.knowledge import ShellKind
from entrylint.shell import (
    ShellScript,
    ends_in_keepalive,
    flatten_and,
    literal,
    long_running_part,
    unwrap_redirect,
)


@dataclass
class ShellExec:
    """How ``SHELL -c TEXT`` runs TEXT's last command."""

    outcome: Literal["explicit-exec", "shell-execs", "stays", "unknown", "no-shell"]
    reason: str
    last: list[str | None] | None  # argv of the final command, when it is one simple command
    #: ``exec`` before the last command (or the exec form) makes it PID 1
    fixable: bool = False


def analyse_shell_text(text: ShellScript, kind: ShellKind) -> ShellExec:
    """Does ``SHELL -c TEXT`` replace itself with TEXT's last program?  (Measured behaviour:
    dash never does; bash and BusyBox ash do for a lone simple command and after ``cd x &&``;
    ash also with a redirection.)"""
    data = text.data
    stmts = text.statements(text.tree.root_node)
    if kind == "none":
        return ShellExec("no-shell", "the image has no shell", None)
    if not stmts:
        return ShellExec("unknown", "empty command", None)
    last = stmts[-1]
    node, redirected = unwrap_redirect(last)
    parts = flatten_and(node) if len(stmts) == 1 else None
    after_and = False
    long_before: str | None = None
    if parts is not None and len(parts) > 1:
        after_and = True
        if ends_in_keepalive(text, parts[-1]):
            # `server && tail -f /dev/null`: the server is the child that matters
            long_before = long_running_part(text, parts[:-1])
        node, redirected = unwrap_redirect(parts[-1])
    if node.type != "command":
        return ShellExec("stays", f"the last part is a {node.type.replace('_', ' ')}", None)
    cmd = text._command(node, "plain", redirected=redirected)
    assert cmd is not None
    argv = cmd.argv(data)
    if cmd.name == "exec" and len(cmd.words) > 1:
        target = [literal(data, w) for w in cmd.exec_target()]
        if long_before is not None:
            return ShellExec("stays", f"`{long_before}` runs first, as a child of the shell",
                             target)
        return ShellExec("explicit-exec", "exec", target)
    if text.is_background(last):
        return ShellExec("stays", "the command runs in the background", argv)
    if len(stmts) > 1:
        return ShellExec("stays", "it runs several commands (`;`), and a shell only execs a "
                                  "lone one", argv, fixable=True)
    if long_before is not None:
        return ShellExec("stays", f"`{long_before}` runs as a child of the shell until it "
                                  f"exits", argv)
    if kind == "windows":
        return ShellExec("unknown", "the image's /bin/sh is not known", argv)
    if kind == "unknown":
        # whichever shell it is, `exec` in front makes the command PID 1
        return ShellExec("unknown", "the image's /bin/sh is not known", argv, fixable=True)
    if kind == "dash":
        return ShellExec("stays", "dash (the image's /bin/sh) never execs the command it runs",
                         argv, fixable=True)
    table = (knowledge.SHELL_EXECS_REDIRECTED if redirected else
             knowledge.SHELL_EXECS_AFTER_AND if after_and else
             knowledge.SHELL_EXECS_LONE_COMMAND)
    if table.get(kind, False):
        return ShellExec("shell-execs", f"{kind} execs a final simple command", argv)
    why = ("a command with a redirection" if redirected else "a command after `&&`"
           if after_and else "a lone command")
    return ShellExec("stays", f"{kind} (the image's shell) does not exec {why}", argv,
                     fixable=True)
