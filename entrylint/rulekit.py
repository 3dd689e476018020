"""Small helpers that rule modules share: where a diagnostic points, and how to phrase PID 1."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass

from entrylint.diagnostics import Diagnostic, Fix, Severity
from entrylint.dockerfile import Instruction
from entrylint.knowledge import ShellKind
from entrylint.model import ComposeInstruction, ImageModel, Launch, Script
from entrylint.shell import Command, literal


def at_instruction(rule: str, severity: Severity, model: ImageModel, ins: Instruction,
                   message: str, fix: Fix | None = None) -> Diagnostic:
    """A diagnostic that covers an instruction's first line (for a compose service's
    ``command:``/``entrypoint:``, its line of the compose file)."""
    if isinstance(ins, ComposeInstruction):
        end = ins.file.line_end(ins.start_line)
        return Diagnostic(rule, severity, ins.file.path, ins.start, max(end, ins.start),
                          message, fix)
    end = model.source.line_end(ins.start_line)
    if model.inherited_start is not None and ins is model.inherited_at:
        message += f" ({model.inherited_start})"
    return Diagnostic(rule, severity, model.source.path, ins.start, max(end, ins.start),
                      message, fix)


def at_command(rule: str, severity: Severity, script: Script, command: Command, message: str,
               fix: Fix | None = None) -> Diagnostic:
    """A diagnostic that covers a command of a script (in its file, or its heredoc)."""
    return Diagnostic(rule, severity, script.file.path, script.file_offset(command.start),
                      script.file_offset(command.end), message, fix)


def at_first_line(rule: str, severity: Severity, script: Script, start: int, end: int,
                  message: str, fix: Fix | None = None) -> Diagnostic:
    """A diagnostic that covers the first line of a script's bytes ``start``-``end``."""
    data = script.shell.data
    nl = data.find(b"\n", start, end)
    stop = nl if nl != -1 else end
    return Diagnostic(rule, severity, script.file.path, script.file_offset(start),
                      script.file_offset(stop), message, fix)


def quote_argv(argv: list[str | None]) -> str:
    return " ".join(a if a is not None else "…" for a in argv)


def base_description(model: ImageModel) -> str:
    base = model.final.root_image
    return base.ref if base is not None else "the base image"


def shell_form_verdict(model: ImageModel, ins: Instruction) -> tuple[Severity, str] | None:
    """How bad a shell-form ENTRYPOINT/CMD is in the final stage's image, and why.

    None when it is correct (an explicit ``exec``) or does not apply (Windows shells).
    """
    import json

    stage = model.final
    kind = stage.shell_kind()
    shell_text = " ".join(stage.effective_shell())
    if kind == "windows":
        return None
    if ins.json_not_strings:
        return ("error",
                f"`{ins.keyword} {ins.args.strip()}` has a non-string element: `docker build` "
                f"fails (\"arrays must be comprised of strings only\"). Quote every element")
    if ins.looks_like_json():
        try:
            json.loads(ins.args)
            why = "an array of strings is needed"
        except json.JSONDecodeError as exc:
            why = f"{exc.msg.lower()} at column {exc.colno}"
            if "'" in ins.args:
                why = "JSON strings need double quotes"
        return ("error",
                f"is not a valid JSON array ({why}), so Docker runs the text as a shell "
                f"command with `{shell_text}`, and the container cannot start. Write exec "
                f"form with double quotes")
    return shell_text_verdict(model, ins.args, shell_text, kind)


def shell_text_verdict(model: ImageModel, text: str, shell_text: str, kind: ShellKind
                       ) -> tuple[Severity, str] | None:
    """How bad ``SHELL -c TEXT`` is as start-up command, from the shell's measured behaviour."""
    from entrylint.model import analyse_shell_text
    from entrylint.shell import ShellScript

    if kind == "windows" or not text.strip():
        return None  # a bare `CMD` clears the command: nothing runs through a shell
    result = analyse_shell_text(ShellScript(text.encode()), kind)
    base = base_description(model)
    init_in_front = model.start is not None and model.start.kind == "init"
    if result.outcome == "explicit-exec":
        return None
    if result.outcome == "no-shell":
        return ("error",
                f"needs `{shell_text.split()[0]}`, and {base} has no shell: the container "
                f"cannot start. Use exec form")
    if result.outcome == "shell-execs":
        return ("warning",
                f"works only because {result.reason} (`{shell_text}` in {base}); the same "
                f"line under dash (Debian/Ubuntu) would leave the shell as PID 1. Exec form "
                f"does not depend on the shell")
    lost = ("the init in front sends SIGTERM to the shell, which does not pass it on: the "
            "app is killed without SIGTERM when the shell dies" if init_in_front else
            "the shell stays PID 1 and never passes SIGTERM on, so `docker stop` waits 10 s "
            "and then SIGKILLs the app")
    if result.outcome == "unknown":
        return ("warning",
                f"runs as `{shell_text} \"…\"`; {result.reason}: if it is dash (Debian, "
                f"Ubuntu) {lost}. Use exec form, or start the command with `exec`")
    return ("error",
            f"runs as `{shell_text} \"…\"` and {result.reason}: {lost}. Use exec form, or "
            f"start the command with `exec`")


@dataclass(frozen=True)
class Placed:
    """A process of the start-up chain with the process that started it (or that it
    replaced) and the nearest init in front of it."""

    launch: Launch
    parent: Launch | None
    init: Launch | None


def placed_launches(model: ImageModel) -> list[Placed]:
    """Every process of the start-up chain, in order, with its parent and init."""
    out: list[Placed] = []

    def visit(launch: Launch, parent: Launch | None, init: Launch | None) -> None:
        out.append(Placed(launch, parent, init))
        below = launch if launch.kind == "init" else init
        for e in launch.execs:
            visit(e, launch, init)
        if launch.child is not None:
            visit(launch.child, launch, below)

    if model.start is not None:
        visit(model.start, None, None)
    return out


def init_of_script(model: ImageModel, script: Script) -> Launch | None:
    """The init in front of ``script`` (None when there is none)."""
    for p in placed_launches(model):
        if p.launch.script is script:
            return p.init
    return None


def signals_group(init: Launch | None) -> bool:
    """Whether ``init`` signals its child's whole process group (``tini -g``, dumb-init)."""
    from entrylint.facts import GROUP_SIGNALLING_INIT_FLAGS

    if init is None:
        return False
    flags = GROUP_SIGNALLING_INIT_FLAGS.get(init.name, ())
    args = [a for a in init.argv[1:] if a is not None]
    if "--" in args:
        args = args[: args.index("--")]
    if flags is None:
        return "--single-child" not in args and "-c" not in args
    return any(a in flags or (a.startswith("-") and not a.startswith("--")
                              and any(f[1:] in a[1:] for f in flags)) for a in args)


def run_dependence(model: ImageModel) -> str:
    """A sentence for findings that depend on how the container is run."""
    if model.compose_init:
        return " (compose `init: true` adds docker-init, which signals only its child)"
    return (" (`docker run --init` and compose `init: true` add docker-init, which signals "
            "only its child; Kubernetes has no --init)")


def command_instruction(model: ImageModel, launch: Launch) -> Instruction | None:
    """Where ``launch``'s command is written: the final ``CMD`` when it is exactly that
    command (``ENTRYPOINT ["tini", "--"]`` + ``CMD ["npm", "start"]``), else the
    instruction the chain started from."""
    cmd = model.cmd.instruction if model.cmd is not None else None
    if cmd is not None and cmd.exec_form and cmd.exec_form == launch.argv:
        return cmd
    return launch.where


def swallowers_at_instructions(model: ImageModel, names: Collection[str]
                               ) -> Iterator[tuple[Placed, Instruction]]:
    """The start-up's resident launchers named ``names`` (su, npm…) that ENTRYPOINT/CMD run,
    with the instruction to report them at; those a script runs are left to
    :func:`final_commands`, which reports them at the script's line."""
    for placed in placed_launches(model):
        launch = placed.launch
        if launch.kind != "swallower" or launch.name not in names or launch.where is None:
            continue
        at_cmd = command_instruction(model, launch)
        if placed.parent is not None and placed.parent.kind == "script" and \
                at_cmd is launch.where:
            continue  # the script names it: reported at the script's command
        yield placed, at_cmd or launch.where


def final_commands(script: Script) -> Iterator[tuple[Command, list[str | None]]]:
    """The command that ends each path start-up takes through ``script`` (run as a child or
    exec'd), with its argv (an ``exec``'s target)."""
    for term in script.shell.start_terminals(script.args)[0]:
        cmd = term.command
        if cmd is None or term.kind not in ("child", "exec"):
            continue
        words = cmd.exec_target() if cmd.is_exec else cmd.words
        yield cmd, [literal(cmd.source, w) for w in words]



def once_fixed(rules: Sequence[str]) -> str:
    """The start of a message that holds once other findings' fixes are in: ``Once the `exec`
    that EL103 asks for is in place, `` (EL106's fix splits an exec-form element with
    spaces into its words); empty when ``rules`` is."""
    if not rules:
        return ""
    execs = [r for r in rules if r != "EL106"]
    parts = []
    if execs:
        parts.append(f"the `exec` that {' and '.join(execs)} ask{'' if len(execs) > 1 else 's'}"
                     f" for")
    if "EL106" in rules:
        parts.append("the split that EL106 asks for")
    verb = "are" if len(parts) > 1 or len(execs) > 1 else "is"
    return f"Once {' and '.join(parts)} {verb} in place, "
