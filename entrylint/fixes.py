"""Fix builders that the rules call: exec form, ``exec`` in scripts, an init.

Every fix here is what a careful engineer would write by hand, and is *safe* only when the
image behaves the same afterwards except for the PID-1 defect it repairs.  Anything that can
change behaviour is *unsafe* and its message says how; anything entrylint cannot get right is
not offered at all.  Edits are byte ranges of the files the model read, so every byte a fix does
not mean to change stays as it was.
"""

from __future__ import annotations

import json
import posixpath
import re

from entrylint import knowledge
from entrylint.diagnostics import Applicability, Edit, Fix
from entrylint.dockerfile import Instruction
from entrylint.model import ImageModel, Script, Stage
from entrylint.shell import (
    Node,
    ShellScript,
    Terminal,
    ends_in_keepalive,
    flatten_and,
    literal,
    long_running_part,
    node_text,
    unwrap_redirect,
)
from entrylint.source import SourceFile

SAFE, UNSAFE = Applicability.SAFE, Applicability.UNSAFE

#: Builtins that also exist as programs, so exec form can run them.
_EXTERNAL_TOO = frozenset({"echo", "printf", "true", "false", "test", "[", "kill"})
#: bash keywords that look like commands: `exec time app` or `["time", "app"]` would need a
#: /usr/bin/time that slim images lack.
_KEYWORDS = frozenset({"time", "coproc", "!"})


def json_array(argv: list[str]) -> str:
    """Docker exec form: one ``json.dumps`` per element, ``", "`` between them."""
    return "[" + ", ".join(json.dumps(a, ensure_ascii=False) for a in argv) + "]"


def eol_at(source: SourceFile, offset: int) -> str:
    """The line ending used at ``offset`` (the end of a line), or the file's usual one."""
    data = source.data
    if data[offset : offset + 2] == b"\r\n":
        return "\r\n"
    if data[offset : offset + 1] == b"\n":
        return "\n"
    return "\r\n" if source.crlf else "\n"


def replace_args(model: ImageModel, ins: Instruction, argv: list[str]) -> Edit:
    """Replace an instruction's arguments (all its continuation lines) with an exec form."""
    return Edit(model.source.path, ins.keyword_end, ins.end, " " + json_array(argv))


# ------------------------------------------------------------------------------------------
# EL101 / EL102: exec form
# ------------------------------------------------------------------------------------------

_JSON_TOKEN = re.compile(r"""\s*(?:"((?:[^"\\]|\\.)*)"|'([^'\\]*)')\s*([,\]])""", re.S)


def repair_json_array(text: str) -> list[str] | None:
    """The array a broken exec form means (``["python", 'app.py']``, a trailing comma), or
    None when the words are not unambiguous: every element must be a quoted string."""
    s = text.strip()
    if not s.startswith("[") or not s.endswith("]"):
        return None
    pos, out = 1, list[str]()
    if s[1:-1].strip() == "":
        return None
    while pos < len(s):
        m = _JSON_TOKEN.match(s, pos)
        if m is None:
            # A trailing comma: `["a", "b",]`
            if s[pos:].strip() == "]" and out:
                return out
            return None
        if m.group(1) is not None:
            try:
                out.append(json.loads('"' + m.group(1) + '"'))
            except ValueError:
                return None
        else:
            out.append(m.group(2))
        pos = m.end()
        if m.group(3) == "]":
            return out if pos == len(s) else None
    return None


def _has_redirect(node: Node) -> bool:
    return node.type == "redirected_statement" or any(
        ch.type in ("file_redirect", "heredoc_redirect", "herestring_redirect")
        for ch in node.named_children
    )


def _is_builtin(name: str | None) -> bool:
    return name is not None and (
        (name in knowledge.BUILTINS and name not in _EXTERNAL_TOO) or name in _KEYWORDS)


def plain_argv(text: str) -> tuple[list[str] | None, str]:
    """The argv of a shell command that needs no shell at all, with quotes removed exactly as
    the shell would, and a leading ``exec`` dropped; or (None, why not)."""
    sh = ShellScript(text.encode())
    if sh.has_errors:
        return None, "the command does not parse as shell"
    if sh.traps_exit():
        return None, "its `trap … EXIT` would no longer run after `exec`"
    stmts = sh.statements(sh.tree.root_node)
    if len(stmts) != 1:
        return None, "it is more than one command"
    node = stmts[0]
    if node.type != "command" or sh.is_background(node):
        return None, "it needs the shell"
    if _has_redirect(node):
        return None, "it has a redirection"
    cmd = sh._command(node, "plain", redirected=False)
    if cmd is None or cmd.assignments or not cmd.words:
        return None, "it sets variables"
    words = cmd.words
    if cmd.name == "exec":
        target = cmd.exec_target()
        if len(target) != len(words) - 1 or not target:
            return None, "`exec` has options"
        words = target
    argv = [literal(sh.data, w) for w in words]
    if any(a is None for a in argv):
        return None, "it uses variables, globs or other shell expansions"
    result = [a for a in argv if a is not None]
    if _is_builtin(result[0]):
        return None, f"`{result[0]}` is a shell builtin"
    return result, ""


def shell_exec_text(text: str) -> tuple[str | None, str]:
    """``text`` with ``exec `` in front of its last command, when that is the last thing the
    shell does and it is a program: ``cd /app && exec app --port $PORT``; or (None, why not)."""
    sh = ShellScript(text.encode())
    if sh.has_errors:
        return None, "the command does not parse as shell"
    stmts = sh.statements(sh.tree.root_node)
    if not stmts:
        return None, "it is empty"
    last = stmts[-1]
    if sh.is_background(last):
        return None, "its last command runs in the background"
    node = unwrap_redirect(last)[0]
    if node.type == "list":
        parts = flatten_and(node)
        if parts is None:
            return None, "its last command follows `||`"
        if ends_in_keepalive(sh, parts[-1]):
            before = long_running_part(sh, parts[:-1])
            return None, (f"its last command only keeps the container alive; "
                          f"`{before}` runs before it as a child of the shell")
        node = unwrap_redirect(parts[-1])[0]
    if node.type != "command":
        return None, f"its last part is a {node.type.replace('_', ' ')}"
    cmd = sh._command(node, "plain", redirected=False)
    if cmd is None or not cmd.words:
        return None, "its last part sets variables only"
    if cmd.name == "exec":
        return None, "it already execs"
    if _is_builtin(cmd.name) or (cmd.name is not None and cmd.name in sh.functions):
        return None, f"its last command `{cmd.name}` is a shell builtin or function"
    if cmd.name is not None and cmd.name in knowledge.SHORT_LIVED:
        return None, f"its last command `{cmd.name}` is not the server"
    pos = cmd.words[0].start_byte
    data = sh.data
    return (data[:pos] + b"exec " + data[pos:]).decode("utf-8"), ""


def _passes_args_through(ep_argv: list[str]) -> bool:
    """An ENTRYPOINT that only puts an init in front of CMD (``["tini", "--"]``)."""
    if not ep_argv or not knowledge.is_init(ep_argv[0], from_build_context=False):
        return False
    return all(a.startswith("-") for a in ep_argv[1:])


def _not_directly_executable(model: ImageModel, argv0: str) -> str | None:
    """Why exec form may not start ``argv0`` when ``sh -c`` could: a script without a ``#!``
    line runs under a shell, but the kernel refuses it ("exec format error")."""
    name = argv0.removeprefix("./")
    for script in model.scripts:
        if script.container_path == argv0 or script.container_path.endswith("/" + name):
            if script.shell.shebang is None:
                return (f"`{argv0}` has no `#!` line: `sh -c` ran it as a shell script, but "
                        f"in exec form the kernel refuses it (exec format error)")
            return None
    if any(u.path == argv0 for u in model.unresolved) or argv0.endswith((".sh", ".bash")):
        return (f"`{argv0}` is not in the build context, so entrylint cannot check that it "
                f"starts with `#!`, which exec form needs")
    return None


def exec_form_fix(model: ImageModel, ins: Instruction) -> Fix | None:
    """Rewrite a shell-form (or broken exec-form) ENTRYPOINT/CMD of the final stage."""
    stage = model.final
    if stage.shell_kind() == "windows":
        return None
    if ins.looks_like_json():
        argv = repair_json_array(ins.args)
        if argv is None:
            return None
        return Fix(f"write it as the JSON array it means: `{json_array(argv)}`",
                   (replace_args(model, ins, argv),), SAFE)
    argv, _ = plain_argv(ins.args)
    if argv is not None:
        message = f"use exec form: `{ins.keyword} {json_array(argv)}`"
    else:
        text, _ = shell_exec_text(ins.args)
        if text is None or stage.shell_kind() == "none":
            return None
        argv = [*stage.effective_shell(), text]
        message = (f"the command needs a shell, so let the shell exec its last command: "
                   f"`{ins.keyword} {json_array(argv)}`")
    unsafe: str | None = _not_directly_executable(model, argv[0])
    ep = model.entrypoint
    cmd = model.cmd
    if unsafe is not None:
        pass
    elif ins.keyword == "ENTRYPOINT":
        if cmd is not None and cmd.instruction is not None:
            unsafe = (f"with exec form Docker appends `CMD` (line {cmd.instruction.start_line}) "
                      f"to the entrypoint's arguments; in shell form it was ignored")
        else:
            message += "; `docker run IMAGE ARGS` will now pass ARGS to it"
    elif ep is not None and ep.instruction is not None:
        ep_argv = ep.instruction.exec_form
        if ep_argv is not None and not _passes_args_through(ep_argv):
            unsafe = (f"the ENTRYPOINT (line {ep.instruction.start_line}) will receive these "
                      f"words as its arguments instead of `{' '.join(stage.effective_shell())} "
                      f"\"…\"`")
    elif ep is not None and ep.inherited != "init":
        base = stage.root_image
        ref = base.ref if base is not None else "the base image"
        unsafe = (f"the ENTRYPOINT of {ref} will receive these words instead of "
                  f"`{' '.join(stage.effective_shell())} \"…\"`, and entrypoint scripts act "
                  f"on their first argument (postgres's initialises the database when it is "
                  f"`postgres`)")
    if unsafe is not None:
        return Fix(f"{message} (unsafe: {unsafe})", (replace_args(model, ins, argv),), UNSAFE)
    return Fix(message, (replace_args(model, ins, argv),), SAFE)


# ------------------------------------------------------------------------------------------
# EL103: exec in scripts
# ------------------------------------------------------------------------------------------


def _call_sites(sh: ShellScript, name: str) -> list[Node]:
    """What each call of function ``name`` sits in (the node above the command)."""
    out = []
    for c in sh.iter_commands():
        if c.name == name:
            node = c.node
            while node.parent is not None and node.parent.type == "redirected_statement":
                node = node.parent
            out.append(node.parent if node.parent is not None else node)
    return out


def exec_insert_fix(script: Script, term: Terminal) -> Fix | None:
    """``exec `` before the command that ends one path of a start script."""
    cmd = term.command
    if term.kind != "child" or cmd is None or not cmd.words:
        return None
    if cmd.context != "plain" or term.reason in ("pipeline", "subshell", "background"):
        return None  # after && / ||, in a pipeline or a subshell: exec would change the logic
    sh = script.shell
    first = cmd.words[0]
    unsafe: list[str] = []
    if sh.has_errors:
        unsafe.append("parts of the script do not parse, so other paths may be missed")
    if cmd.name is None:
        if cmd.word_text(first) not in ('"$@"', '"${@}"'):
            unsafe.append(f"`{cmd.word_text(first)}` is only known at run time; if it "
                          f"names a shell function or builtin, `exec` fails")
    elif _is_builtin(cmd.name) or cmd.name in sh.functions:
        return None
    elif "/" not in cmd.name and sh.sourced_files():
        unsafe.append(f"the script sources {', '.join(sh.sourced_files())}: if `{cmd.name}` "
                      f"is a function defined there, `exec {cmd.name}` fails")
    if sh.traps_exit():
        unsafe.append("the script's `trap … EXIT` would no longer run: `exec` replaces the "
                      "shell")
    for fn in term.via_functions:
        sites = _call_sites(sh, fn)
        if any(s.type in ("pipeline", "subshell", "command_substitution") for s in sites):
            return None  # it runs in a subshell: exec there does not reach PID 1
        if len(sites) > 1:
            unsafe.append(f"`{fn}` is called more than once, and its first call would no "
                          f"longer return")
        elif any(s.type in ("list", "negated_command") for s in sites):
            unsafe.append(f"`{fn}` is called with `&&`/`||` or `!`, whose other side would "
                          f"no longer run")
    if term.trailing:
        after = "; ".join(node_text(cmd.source, n).strip() for n in term.trailing)
        if len(after) > 40:
            after = after[:37] + "..."
        unsafe.append(f"the commands after it (`{after}`) would no longer run")
    offset = script.file_offset(first.start_byte + cmd.shift)
    edit = Edit(script.file.path, offset, offset, "exec ")
    message = f"run it with `exec` so it replaces the shell as PID 1 ({script.display})"
    if unsafe:
        return Fix(f"{message} (unsafe: {'; '.join(unsafe)})", (edit,), UNSAFE)
    return Fix(message, (edit,), SAFE)


# ------------------------------------------------------------------------------------------
# EL104: an init
# ------------------------------------------------------------------------------------------

#: How each distribution installs an init package (every package puts it on PATH).
_INSTALL_TEMPLATE: dict[str, str] = {
    "alpine": "RUN apk add --no-cache {pkg}",
    "wolfi": "RUN apk add --no-cache {pkg}",
    "debian": "RUN apt-get update && apt-get install -y --no-install-recommends {pkg} "
              "&& rm -rf /var/lib/apt/lists/*",
}
#: The distributions that package each init (../shared/reference: "Where an init comes from").
_PACKAGED: dict[str, frozenset[str]] = {
    "tini": frozenset({"alpine", "wolfi", "debian"}),
    "dumb-init": frozenset({"alpine", "debian"}),
}


def install_line(program: str, distro: str) -> str | None:
    """The RUN line that installs ``program`` (tini or dumb-init) on ``distro``, if any."""
    if distro not in _PACKAGED.get(program, frozenset()):
        return None
    return _INSTALL_TEMPLATE[distro].format(pkg=program)


_NO_TINI_WHY: dict[str, str] = {
    "rhel": "on RHEL-family images (UBI, Oracle Linux, Amazon Linux) entrylint does not "
            "install with dnf/yum: UBI has no tini package (EPEL and Fedora do), or copy the "
            "static release binary",
    "distroless": "a distroless image has no package manager: copy a static tini from a "
                  "builder stage",
    "scratch": "a scratch image has no package manager: copy a static tini from a builder "
               "stage",
    "windows": "Windows containers have no POSIX signals",
    "busybox": "a BusyBox image has no package manager: copy a static tini from a builder "
               "stage",
    "unknown": "entrylint does not know the base image's package manager",
}
_PACKAGE_INSTALL = re.compile(r"\b(apt-get|apt)\s+(?:-\S+\s+)*install\b|\bapk\s+add\b")
_LEADING = frozenset({"ARG", "ENV", "LABEL", "MAINTAINER", "SHELL"})


def _stage_chain(stage: Stage) -> list[Stage]:
    out: list[Stage] = []
    s: Stage | None = stage
    while s is not None:
        out.append(s)
        s = s.base_stage
    return out


def installs_tini(stage: Stage, program: str = "tini") -> bool:
    """Whether the stage (or a stage it builds on) already installs ``program``."""
    pattern = re.compile(rf"(?<![\w-]){re.escape(program)}(?![\w-])")
    return any(
        ins.keyword in ("RUN", "COPY", "ADD") and pattern.search(ins.args)
        for s in _stage_chain(stage) for ins in s.instructions
    )


def _is_root(user: str | None) -> bool:
    if user is None:
        return True
    name = user.split(":", 1)[0].strip()
    return name in ("root", "0", "")


def _user_before(stage: Stage, anchor: Instruction) -> str | None:
    """The user in effect just after ``anchor`` (a USER in the stage, or inherited)."""
    user: str | None = None
    seen = False
    for ins in stage.instructions:
        if ins.start > anchor.start:
            break
        if ins.keyword == "USER":
            user, seen = ins.args.strip(), True
    if seen:
        return user
    if stage.base_stage is not None:
        return stage.base_stage.effective_user()[0]
    return None


def _install_anchor(stage: Stage) -> Instruction:
    """Where the install goes: after the stage's last package install, so it uses the same
    mirrors and proxies; else after FROM and the ARG/ENV/LABEL lines right below it (before
    COPY, so the layer stays cached, and before any USER)."""
    installs = [i for i in stage.instructions
                if i.keyword == "RUN" and _PACKAGE_INSTALL.search(i.args)]
    if installs:
        return installs[-1]
    anchor = stage.from_instruction
    for ins in stage.instructions:
        if ins.keyword not in _LEADING or (ins.keyword == "ENV" and _sets_path(ins)):
            break  # after an ENV PATH=/opt/venv/bin, apt-get may not be found
        anchor = ins
    return anchor


def _sets_path(ins: Instruction) -> bool:
    return re.match(r"\s*PATH[=\s]", ins.args) is not None or " PATH=" in f" {ins.args}"


def _tini_command(stage: Stage, distro: str, program: str = "tini") -> str:
    """The init's name when the image's PATH finds the package's binary, else its path."""
    binary = knowledge.INIT_PATHS[program][distro]
    if "PATH" not in stage.env:
        return program  # the base image's PATH: /sbin and /usr/bin are on it
    path = stage.env["PATH"]
    if path is not None and not stage.path_assumed and \
            posixpath.dirname(binary) in path.split(":"):
        return program
    return binary


def no_init_fix_reason(model: ImageModel) -> str | None:
    """Why no tini fix can be offered for the final stage's base image (None: it can)."""
    base = model.final.root_image
    distro = base.distro if base is not None else "unknown"
    if install_line(model.init_program, distro) is not None:
        return None
    if distro in _INSTALL_TEMPLATE:
        return f"{distro} has no {model.init_program} package"
    return _NO_TINI_WHY.get(distro, _NO_TINI_WHY["unknown"])


def init_fix(model: ImageModel, *, process_group: bool = False) -> Fix | None:
    """Install the init (tini, or dumb-init with ``init = "dumb-init"``) in the final stage and
    run start-up under it."""
    stage = model.final
    base = stage.root_image
    program = model.init_program
    if base is None or stage.shell_kind() == "windows":
        return None
    install = install_line(program, base.distro)
    if install is None:
        return None
    source = model.source
    path = source.path
    edits: list[Edit] = []
    installed = ""
    if not installs_tini(stage, program):
        anchor = _install_anchor(stage)
        eol = eol_at(source, anchor.end)
        lines = [install]
        user = _user_before(stage, anchor)
        if not _is_root(user):
            lines = ["USER root", *lines, f"USER {user}"]
        edits.append(Edit(path, anchor.end, anchor.end, "".join(eol + ln for ln in lines)))
        installed = f"install {program} ({base.distro}) and "
    command = _tini_command(stage, base.distro, program)
    group = ""
    if program == "tini" and process_group:
        init = [command, "-g", "--"]
        group = (" (`-g` sends SIGTERM to the whole process group: npm and the like do not "
                 "forward it)")
    else:
        # dumb-init signals the whole process group by default
        init = [command, "--"]
    ep = model.entrypoint
    if ep is not None and ep.instruction is not None:
        ep_argv = ep.instruction.exec_form
        if ep.stage is not stage or ep_argv is None:
            return None  # shell form (EL102 first) or set in another stage
        argv = [*init, *ep_argv]
        edits.append(replace_args(model, ep.instruction, argv))
        return Fix(f"{installed}run the ENTRYPOINT under it: `ENTRYPOINT {json_array(argv)}`"
                   f"{group}", tuple(edits), SAFE)
    if ep is None and stage.entrypoint is not None and stage.entrypoint.exec_form == []:
        # `ENTRYPOINT []` cleared the base image's: the init takes its place.
        edits.append(replace_args(model, stage.entrypoint, init))
        return Fix(f"{installed}run start-up under it: `ENTRYPOINT {json_array(init)}`"
                   f"{group}", tuple(edits), SAFE)
    if stage.cmd is None:
        return None  # a new ENTRYPOINT would reset the CMD this stage inherits
    # above CMD and the comments right above it (a suppression comment stays with its CMD)
    first = stage.cmd.start_line
    while first > 1 and source.line_text(first - 1).lstrip().startswith("#"):
        first -= 1
    line_start = source.line_start(first)
    eol = eol_at(source, source.line_end(stage.cmd.start_line))
    edits.append(Edit(path, line_start, line_start, f"ENTRYPOINT {json_array(init)}{eol}"))
    message = f"{installed}add `ENTRYPOINT {json_array(init)}`{group}"
    if ep is None:
        return Fix(message, tuple(edits), SAFE)
    if ep.inherited == "exec-wrapper":
        why = (f"{base.ref} has its own ENTRYPOINT script (it ends in `exec \"$@\"`); a new "
               f"ENTRYPOINT replaces it, so whatever it sets up no longer runs. Add its path "
               f"after `--` if it is needed")
    else:
        why = (f"entrylint does not know the ENTRYPOINT of {base.ref}; a new ENTRYPOINT "
               f"replaces it")
    return Fix(f"{message} (unsafe: {why})", tuple(edits), UNSAFE)


# ------------------------------------------------------------------------------------------
# EL105 / EL106: exec form that starts a shell, or the `exec` builtin
# ------------------------------------------------------------------------------------------


def shell_c_exec_fix(model: ImageModel, ins: Instruction, text: str) -> Fix | None:
    """``["sh", "-c", "app --port $PORT"]`` -> ``["sh", "-c", "exec app --port $PORT"]``, when
    ``text`` is an element of the instruction's exec form and its last command can be exec'd."""
    form = ins.exec_form
    if form is None or form.count(text) != 1:
        return None
    new_text, _why = shell_exec_text(text)
    if new_text is None:
        return None
    argv = [new_text if a == text else a for a in form]
    return Fix("put `exec` in front of the command, so that it replaces the shell as PID 1",
               (replace_args(model, ins, argv),), SAFE)


def drop_exec_fix(model: ImageModel, ins: Instruction, index: int = 0) -> Fix | None:
    """``[…, "exec", "app", …]`` -> ``[…, "app", …]``: exec form already makes ``app`` the
    process (``index`` is where ``"exec"`` stands)."""
    form = ins.exec_form
    if not form or index + 1 >= len(form) or form[index] != "exec":
        return None
    argv = form[:index] + form[index + 1 :]
    return Fix("remove `\"exec\"`: exec form already runs the program itself",
               (replace_args(model, ins, argv),), SAFE)


def split_words_fix(model: ImageModel, ins: Instruction, index: int = 0) -> Fix | None:
    """``["gunicorn app:app", "--x"]`` -> ``["gunicorn", "app:app", "--x"]`` when the element
    at ``index`` (run as a program) is a command that needs no shell."""
    form = ins.exec_form
    if not form or index >= len(form):
        return None
    words, _why = plain_argv(form[index])
    if not words or words[0] == "exec":
        return None
    argv = [*form[:index], *words, *form[index + 1 :]]
    return Fix(f"give each word its own element: `{json_array(argv)}`",
               (replace_args(model, ins, argv),), SAFE)
