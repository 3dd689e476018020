"""An `exec` that cannot replace the shell, or commands after an `exec` that never run.

**Why it matters.** `exec` replaces the shell with the program only where the shell itself runs
it.  In a pipeline (`exec app | tee /var/log/app.log`) each part runs in a subshell, so the
`exec` replaces that subshell and the script's shell stays PID 1 as the app's grandparent; the
same holds for `( exec app )`, `$(exec app)` and `exec app &`.  SIGTERM from `docker stop` goes
to the shell, which does not pass it on: the app is SIGKILLed after the grace period.  To keep a
log, redirect instead (`exec app >>/var/log/app.log 2>&1`) or log to stdout.  Conversely, after
an `exec` that runs unconditionally, nothing in the same block ever runs: the lines after it
are dead (often a cleanup or a second server the author expected to start).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from entrylint.diagnostics import Diagnostic, Severity
from entrylint.model import ImageModel, Script
from entrylint.rulekit import at_command, at_first_line
from entrylint.shell import node_text

if TYPE_CHECKING:
    from entrylint.shell import Command, Node, ShellScript

ID = "EL113"
NAME = "exec-does-not-replace"
SEVERITY: Severity = "error"
SUMMARY = "`exec` in a pipeline, subshell or background cannot replace the shell; code after exec"
POSIX = True
BAD = """
#!/bin/sh
exec gunicorn app:app 2>&1 | tee -a /var/log/app.log
"""
GOOD = """
#!/bin/sh
exec gunicorn app:app >>/var/log/app.log 2>&1
"""
FIX = "No fix: what the pipeline or the dead lines were meant to do is the author's choice."

_WHERE = {
    "pipeline": "in a pipeline, where each command runs in a subshell",
    "subshell": "in a `( … )` subshell",
    "command_substitution": "inside `$(…)`, which runs in a subshell",
    "process_substitution": "inside a process substitution, which runs in a subshell",
    "background": "in the background (`&`), in a forked copy of the shell",
}


def check(model: ImageModel) -> Iterator[Diagnostic]:
    for script in model.scripts:
        sh = script.shell
        for cmd in sh.iter_commands():
            if not cmd.is_exec:
                continue
            where = _enclosing(sh, cmd.node)
            if where is None:
                continue
            target = " ".join(node_text(cmd.source, w) for w in cmd.exec_target())
            if len(target) > 50:
                target = target[:49] + "…"
            yield at_command(
                ID, SEVERITY, script, cmd,
                f"`exec {target}` runs {_WHERE[where]}: it replaces that copy of the shell, "
                f"not the script's, so the shell stays PID 1 and SIGTERM from `docker stop` "
                f"never reaches the app, which is SIGKILLed after the grace period. "
                + ("Redirect instead: `exec app >>/var/log/app.log 2>&1`"
                   if where == "pipeline" else "Run `exec app` in the script itself"),
            )
        yield from _dead_code(script)


def _enclosing(sh: ShellScript, node: Node) -> str | None:
    """The construct around ``node`` that makes it run in a copy of the shell."""
    n: Node | None = node
    while n is not None:
        parent = n.parent
        if parent is None:
            return None
        if parent.type in _WHERE and parent.type != "background":
            return parent.type
        if sh.is_background(n) and parent.type in ("program", "compound_statement", "list",
                                                "if_statement", "else_clause", "elif_clause",
                                                "case_item", "do_group", "subshell"):
            return "background"
        if parent.type in ("function_definition",):
            return None
        n = parent
    return None


def _dead_code(script: Script) -> Iterator[Diagnostic]:
    sh = script.shell
    blocks: list[Node] = [sh.tree.root_node]
    while blocks:
        block = blocks.pop()
        stmts = sh.statements(block)
        for i, stmt in enumerate(stmts):
            if stmt.type == "command" and not sh.is_background(stmt):
                cmd = sh._command(stmt, "plain", redirected=False)
                if cmd is not None and cmd.is_exec and i + 1 < len(stmts) \
                        and not sh.exec_is_noop(cmd, script.args):
                    rest = [r for r in stmts[i + 1 :]
                            if r.type not in ("else_clause", "elif_clause", "case_item")]
                    if not rest:
                        break
                    if all(_harmless(sh.data, r) for r in rest):
                        break
                    first = rest[0]
                    yield at_first_line(
                        ID, "warning", script, first.start_byte, rest[-1].end_byte,
                        f"this never runs: `{_short(cmd)}` (line "
                        f"{script.position(cmd.node.start_byte)[0]}) replaces the shell, so "
                        f"nothing after it in the same block is reached. Move it before the "
                        f"`exec`, or remove it",
                    )
                    break
        for stmt in stmts:
            if stmt.type == "function_definition":
                body = stmt.child_by_field_name("body")
                if body is not None:
                    blocks.append(body)
            elif stmt.type in ("if_statement", "case_statement"):
                for ch in stmt.named_children:
                    if ch.type in ("else_clause", "elif_clause", "case_item"):
                        blocks.append(ch)
                blocks.append(stmt)


def _harmless(data: bytes, stmt: Node) -> bool:
    """``exit 1`` after ``exec`` (for when exec fails under ``set +e``) is deliberate."""
    text = node_text(data, stmt).strip()
    return text.startswith(("exit", "echo", "printf", ">&2", "return", ":"))


def _short(cmd: Command) -> str:
    text = " ".join(cmd.text.split())
    return text if len(text) <= 50 else text[:49] + "…"
