"""Fix builders that the rules call: exec form, ``exec`` in scripts, an init.

Every fix here is what a careful engineer would write by hand, and is *safe* only when the
image behaves the same afterwards except for the PID-1 defect it repairs.  Anything that can
change behaviour is *unsafe* and its message says how; anything entrylint cannot get right is
not offered at all.  Edits are byte ranges of the files the model read, so every byte a fix does
not mean to change stays as it was.
"""

from __future__ import annotations

import contextlib
import json
import posixpath
import re
from typing import TYPE_CHECKING

from entrylint import knowledge
from entrylint.baseimages import BaseImage
from entrylint.diagnostics import Edit, Fix
from entrylint.dockerfile import Instruction, split_words
from entrylint.fixguard import (
    Change,
    ExecAdded,
    ExecFormFromShell,
    InstallsPackage,
    NewEntrypoint,
    RewritesInstruction,
    RunsInit,
    SplitsProgram,
    offer,
    path_dirs,
    shell_is_a_shell,
    shell_is_plain,
)
from entrylint.model import ImageModel, Script, Stage
from entrylint.shell import (
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

if TYPE_CHECKING:
    from entrylint.shell import Node

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


def replace_args(model: ImageModel, ins: Instruction, argv: list[str]) -> tuple[Edit, ...]:
    """Replace an instruction's arguments (all its continuation lines) with an exec form.
    Comment lines inside a ``\\``-continued instruction are moved above it, byte for byte."""
    source = model.source
    edits = []
    moved = []
    for line in range(ins.start_line + 1, ins.end_line + 1):
        if source.line_text(line).lstrip().startswith("#"):
            start, end = source.line_start(line), source.line_end(line)
            moved.append(source.data[start:end].decode("utf-8") + eol_at(source, end))
    if moved:
        at = source.line_start(ins.start_line)
        edits.append(Edit(source.path, at, at, "".join(moved)))
    edits.append(Edit(source.path, ins.keyword_end, ins.end, " " + json_array(argv)))
    return tuple(edits)


def rewrite(model: ImageModel, ins: Instruction, argv: list[str]
            ) -> tuple[tuple[Edit, ...], list[Change]]:
    """The edits of :func:`replace_args` and the change the guard checks them with."""
    edits = replace_args(model, ins, argv)
    return edits, [RewritesInstruction(ins, edits)]


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


_ESCAPED_BLANK = re.compile(r"(?:^|[ \t])\\[ \t]|\\ #|\\\t")  # starting a word, before #, a tab


def _words_cover(data: bytes, node: Node) -> bool:
    """Blanks, and only blanks, lie between the words of a command: tree-sitter-bash drops a
    word that starts with an escaped blank (`app \\ 0` is `app` and ` 0` to dash, `app 0` to
    it), and splits `""\\0` into two nodes where the shell sees one word."""
    pos = node.start_byte
    for i, child in enumerate(node.named_children):
        gap = data[pos:child.start_byte]
        if gap.strip(b" \t") or (i and not gap):
            return False  # an escape it lost, or two nodes that the shell reads as one word
        pos = child.end_byte
    return not data[pos:node.end_byte].strip(b" \t")


def plain_argv(text: str) -> tuple[list[str] | None, str]:
    """The argv of a shell command that needs no shell at all, with quotes removed exactly as
    the shell would, and a leading ``exec`` dropped; or (None, why not)."""
    if _ESCAPED_BLANK.search(text):  # tree-sitter-bash loses these (bench/fuzz.py found it)
        return None, "it has an escaped blank"
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
    if not _words_cover(sh.data, node):
        return None, "its words are not plainly separated by blanks"
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
        edits, checks = rewrite(model, ins, argv)
        return offer(model, f"write it as the JSON array it means: `{json_array(argv)}`",
                     edits, checks)
    shell = stage.effective_shell()
    changes: list[Change] = []
    argv, _ = plain_argv(ins.args)
    if argv is not None and not shell_is_plain(shell) and shell_is_a_shell(shell):
        # keep the stage's SHELL (a login profile, `-i`): only add `exec`
        text, _ = shell_exec_text(ins.args)
        text = ins.args.strip() if text is None else text
        argv = [*shell, text]
        changes.append(ExecAdded(ShellScript(text.encode()), where="the command"))
        message = (f"let the stage's SHELL exec it: `{ins.keyword} {json_array(argv)}`")
    elif argv is not None:
        message = f"use exec form: `{ins.keyword} {json_array(argv)}`"
    else:
        text, _ = shell_exec_text(ins.args)
        if text is None or stage.shell_kind() == "none":
            return None
        argv = [*shell, text]
        changes.append(ExecAdded(ShellScript(text.encode()), where="the command"))
        message = (f"the command needs a shell, so let the shell exec its last command: "
                   f"`{ins.keyword} {json_array(argv)}`")
    changes.append(ExecFormFromShell(stage, tuple(argv)))
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
                      f"words as its arguments instead of `{' '.join(shell)} \"…\"`")
    elif ep is not None and ep.inherited != "init":
        base = stage.root_image
        ref = base.ref if base is not None else "the base image"
        unsafe = (f"the ENTRYPOINT of {ref} will receive these words instead of "
                  f"`{' '.join(shell)} \"…\"`, and entrypoint scripts act "
                  f"on their first argument (postgres's initialises the database when it is "
                  f"`postgres`)")
    edits, rewrite_changes = rewrite(model, ins, argv)
    return offer(model, message, edits, [*changes, *rewrite_changes],
                 unsafe=[unsafe] if unsafe else [])


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


def exec_insert_fix(model: ImageModel, script: Script, term: Terminal) -> Fix | None:
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
    for fn in term.via_functions:
        sites = _call_sites(sh, fn)
        if any(s.type in ("pipeline", "subshell", "command_substitution") for s in sites):
            return None  # it runs in a subshell: exec there does not reach PID 1
        if len(sites) == 1 and any(s.type in ("list", "negated_command") for s in sites):
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
    return offer(model, message, (edit,),
                 [ExecAdded(sh, tuple(term.via_functions), where=script.display)],
                 unsafe=unsafe)


# ------------------------------------------------------------------------------------------
# EL104: an init
# ------------------------------------------------------------------------------------------

#: How each package manager installs an init package.
_INSTALL_TEMPLATE: dict[str, str] = {
    "apk": "RUN apk add --no-cache {pkg}",
    "apt": "RUN apt-get update && apt-get install -y --no-install-recommends {pkg} "
           "&& rm -rf /var/lib/apt/lists/*",
}
_PACKAGE_INSTALL = re.compile(r"\b(apt-get|apt)\s+(?:-\S+\s+)*install\b|\bapk\s+add\b")
_ANY_INSTALL = re.compile(r"\b(?:(?:apt-get|apt|dnf|microdnf|yum|tdnf|zypper)\s+(?:-\S+\s+)*"
                          r"install|apk\s+(?:-\S+\s+)*add)\b")
#: What the install goes after (not SHELL: a RUN below it runs under that SHELL).
_LEADING = frozenset({"ARG", "ENV", "LABEL", "MAINTAINER"})


def install_line(program: str, base: BaseImage) -> str | None:
    """The RUN line that installs ``program`` (tini or dumb-init) on ``base``, if entrylint
    writes one for its package manager (apt, apk)."""
    if base.package_manager not in _INSTALL_TEMPLATE:
        return None
    if program == "tini" and base.tini_package is False:
        return None
    if program == "dumb-init" and base.distro not in ("alpine", "debian"):
        return None
    return _INSTALL_TEMPLATE[base.package_manager].format(pkg=program)


def _package_path(program: str, base: BaseImage) -> str | None:
    """Where ``program``'s package puts it on ``base``."""
    if program == "tini":
        return base.tini_path
    if program == "tini-static":
        return base.tini_static_path
    return knowledge.INIT_PATHS.get(program, {}).get(base.distro)


def _manual_alternative(program: str) -> str:
    return (f"run the container with `docker run --init` (compose: `init: true`), or `ADD` "
            f"the static release binary of {program} with `--checksum` and `--chmod=755` and "
            f"run it by that path")


def no_init_fix_reason(model: ImageModel) -> str | None:
    """Why no init fix can be offered for the final stage's base image (None: it can)."""
    base = model.final.root_image
    program = model.init_program
    if base is None:
        return None
    if install_line(program, base) is not None:
        return None
    if base.distro == "windows":
        return "Windows containers have no POSIX signals"
    if base.package_manager is None:
        return (f"entrylint does not know the package manager of {base.ref} "
                f"({'; '.join(base.missing)}); {_manual_alternative(program)}")
    if base.package_manager == "none":
        return (f"{base.ref} has no package manager ({base.os or base.distro}): copy a static "
                f"{program} from a builder stage, or {_manual_alternative(program)}")
    if base.package_manager in _INSTALL_TEMPLATE:
        return f"{base.described} has no {program} package: {_manual_alternative(program)}"
    return (f"{base.ref} uses {base.package_manager}, and entrylint installs only with "
            f"apt-get and apk (UBI has no tini package; EPEL and Fedora do): "
            f"{_manual_alternative(program)}")


_INIT_FILE = re.compile(r"(?:^|/)(?P<name>tini|tini-static|dumb-init)(?:[-_][\w.]+)?$")
_ABS_INIT = re.compile(r"(?<![\w:/.-])(/(?:[\w.-]+/)*(?:tini|tini-static|dumb-init))(?![\w.-])")


def init_location(stage: Stage, program: str = "tini") -> tuple[bool, str | None]:
    """Whether the stage (or a stage it builds on) already puts ``program`` into the image,
    and where (None: it does, but entrylint cannot tell where)."""
    names = {program, "tini-static"} if program == "tini" else {program}
    found, where = False, None
    pattern = re.compile(rf"(?<![\w-]){re.escape(program)}(?![\w])")
    for s in reversed(stage.chain()):
        base = s.root_image
        for ins in s.instructions:
            if ins.keyword not in ("RUN", "COPY", "ADD") or not pattern.search(ins.args):
                continue
            found = True
            if ins.keyword in ("COPY", "ADD"):
                where = _copy_destination(s, ins, names) or where
                continue
            paths = _ABS_INIT.findall(ins.args)
            if paths:
                where = paths[-1]
            elif ins.keyword == "RUN" and _ANY_INSTALL.search(ins.args) and base is not None:
                word = "tini-static" if re.search(r"(?<![\w-])tini-static(?![\w-])",
                                                  ins.args) else program
                where = _package_path(word, base)
    return found, where


def _copy_destination(stage: Stage, ins: Instruction, names: set[str]) -> str | None:
    """Where ``COPY``/``ADD`` ``ins`` puts a source named like the init (``tini-static``,
    ``tini-static-amd64``, a URL ending in one), or None."""
    _flags, rest = ins.flags_and_rest()
    words = ins.exec_form if ins.exec_form is not None else split_words(rest)
    if len(words) < 2:
        return None
    sources, dest = words[:-1], words[-1]
    if not dest.startswith("/"):
        dest = posixpath.join(stage.workdir, dest)
    into_dir = words[-1].endswith("/") or len(sources) > 1
    if not into_dir:
        with contextlib.suppress(Exception):
            into_dir = stage.fs.is_dir(posixpath.normpath(dest))
    for src in sources:
        m = _INIT_FILE.search(src.rstrip("/"))
        if m is not None and m.group("name") in names:
            name = posixpath.basename(src.rstrip("/"))
            return posixpath.normpath(posixpath.join(dest, name) if into_dir else dest)
    return None


def _shell_at(stage: Stage, anchor: Instruction) -> list[str]:
    """The SHELL a RUN right after ``anchor`` runs under."""
    shell: list[str] | None = None
    for ins in stage.instructions:
        if ins.start > anchor.start:
            break
        if ins.keyword == "SHELL":
            shell = ins.exec_form or shell
    if shell is not None:
        return shell
    return stage.base_stage.effective_shell() if stage.base_stage is not None \
        else ["/bin/sh", "-c"]


def _is_root(user: str | None) -> bool:
    if user is None:
        return True
    name = user.split(":", 1)[0].strip()
    return name in ("root", "0", "")


def _user_before(stage: Stage, anchor: Instruction) -> tuple[str | None, bool]:
    """The user in effect just after ``anchor`` (a USER in the stage, inherited from a stage
    it builds on, or the base image's), and whether it is known."""
    user: str | None = None
    seen = False
    for ins in stage.instructions:
        if ins.start > anchor.start:
            break
        if ins.keyword == "USER":
            user, seen = ins.args.strip(), True
    if seen:
        return user, True
    s = stage.base_stage
    while s is not None:
        if s.user_instruction is not None:
            return s.user, True
        s = s.base_stage
    base = stage.root_image
    if base is None or base.user is None:
        return None, False
    return base.user or None, True


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


def _init_command(stage: Stage, program: str, where: str) -> str:
    """The init's name when the stage's PATH finds it where it is installed, else its path."""
    if (posixpath.basename(where) == program
            and posixpath.dirname(where) in path_dirs(stage)):
        return program
    return where


def init_fix(model: ImageModel, *, process_group: bool = False) -> Fix | None:
    """Install the init (tini, or dumb-init with ``init = "dumb-init"``) in the final stage and
    run start-up under it, by the path it has."""
    stage = model.final
    base = stage.root_image
    program = model.init_program
    if base is None or stage.shell_kind() == "windows":
        return None
    source = model.source
    path = source.path
    edits: list[Edit] = []
    changes: list[Change] = []
    unsafe: list[str] = []
    installed = ""
    present, where = init_location(stage, program)
    if not present:
        install = install_line(program, base)
        if install is None or base.package_manager is None:
            return None
        changes.append(InstallsPackage(base, base.package_manager, program))
        anchor = _install_anchor(stage)
        eol = eol_at(source, anchor.end)
        lines = [install]
        shell = _shell_at(stage, anchor)
        if not shell_is_a_shell(shell):
            unsafe.append(f"the install runs under `SHELL {json_array(shell)}`")
        user, known = _user_before(stage, anchor)
        if not known:
            unsafe.append(f"the USER of {base.ref} is not known, and the install needs root")
        elif not _is_root(user):
            lines = ["USER root", *lines, f"USER {user}"]
        edits.append(Edit(path, anchor.end, anchor.end, "".join(eol + ln for ln in lines)))
        installed = f"install {program} ({base.described}) and "
        where = _package_path(program, base)
    command = _init_command(stage, program, where) if where is not None else program
    changes.append(RunsInit(stage, command, where))
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
        new, more = rewrite(model, ep.instruction, argv)
        return offer(model, f"{installed}run the ENTRYPOINT under it: "
                            f"`ENTRYPOINT {json_array(argv)}`{group}",
                     (*edits, *new), [*changes, *more], unsafe=unsafe)
    if ep is None and stage.entrypoint is not None and stage.entrypoint.exec_form == []:
        # `ENTRYPOINT []` cleared the base image's: the init takes its place.
        new, more = rewrite(model, stage.entrypoint, init)
        return offer(model, f"{installed}run start-up under it: `ENTRYPOINT {json_array(init)}`"
                            f"{group}", (*edits, *new), [*changes, *more], unsafe=unsafe)
    if stage.cmd is None:
        return None  # a new ENTRYPOINT would reset the CMD this stage inherits
    # an ENTRYPOINT no instruction of the stages sets is the base image's (also when the
    # final stage builds on another stage): keep it after `--`
    root = base if ep is not None and ep.instruction is None else None
    if root is not None and root.entrypoint_argv:
        init = [*init, *root.entrypoint_argv]
    changes.append(NewEntrypoint(root, tuple(init)))
    # above CMD and the comments right above it (a suppression comment stays with its CMD)
    first = stage.cmd.start_line
    while first > 1 and source.line_text(first - 1).lstrip().startswith("#"):
        first -= 1
    line_start = source.line_start(first)
    eol = eol_at(source, source.line_end(stage.cmd.start_line))
    edits.append(Edit(path, line_start, line_start, f"ENTRYPOINT {json_array(init)}{eol}"))
    message = f"{installed}add `ENTRYPOINT {json_array(init)}`{group}"
    if root is not None and root.entrypoint_argv:
        message += f", which keeps the ENTRYPOINT of {root.ref}"
    return offer(model, message, edits, changes, unsafe=unsafe)


# ------------------------------------------------------------------------------------------
# EL105 / EL106: exec form that starts a shell, or the `exec` builtin
# ------------------------------------------------------------------------------------------


def shell_c_exec_fix(model: ImageModel, ins: Instruction, text: str) -> Fix | None:
    """``["sh", "-c", "app --port $PORT"]`` -> ``["sh", "-c", "exec app --port $PORT"]``, when
    ``text`` is an element of the instruction's exec form and its last command can be exec'd."""
    form = ins.exec_form
    if form is None or form.count(text) != 1:
        # under an init the launch is located at the ENTRYPOINT; the text may be CMD's
        other = [s.instruction for s in (model.cmd, model.entrypoint)
                 if s is not None and s.instruction is not None
                 and (s.instruction.exec_form or []).count(text) == 1]
        if len(other) != 1:
            return None
        ins = other[0]
        form = ins.exec_form
        assert form is not None
    new_text, _why = shell_exec_text(text)
    if new_text is None:
        return None
    argv = [new_text if a == text else a for a in form]
    edits, changes = rewrite(model, ins, argv)
    return offer(model, "put `exec` in front of the command, so that it replaces the shell as "
                        "PID 1", edits,
                 [ExecAdded(ShellScript(text.encode()), where="the `-c` string"), *changes])


def drop_exec_fix(model: ImageModel, ins: Instruction, index: int = 0) -> Fix | None:
    """``[…, "exec", "app", …]`` -> ``[…, "app", …]``: exec form already makes ``app`` the
    process (``index`` is where ``"exec"`` stands)."""
    form = ins.exec_form
    if not form or index + 1 >= len(form) or form[index] != "exec":
        return None
    argv = form[:index] + form[index + 1 :]
    edits, changes = rewrite(model, ins, argv)
    return offer(model, "remove `\"exec\"`: exec form already runs the program itself",
                 edits, changes)


def split_words_fix(model: ImageModel, ins: Instruction, index: int = 0) -> Fix | None:
    """``["gunicorn app:app", "--x"]`` -> ``["gunicorn", "app:app", "--x"]`` when the element
    at ``index`` (run as a program) is a command that needs no shell, and no program of that
    name, spaces included, can exist."""
    form = ins.exec_form
    if not form or index >= len(form):
        return None
    words, _why = plain_argv(form[index])
    if not words or words[0] == "exec":
        return None
    argv = [*form[:index], *words, *form[index + 1 :]]
    edits, changes = rewrite(model, ins, argv)
    return offer(model, f"give each word its own element: `{json_array(argv)}`", edits,
                 [SplitsProgram(form[index], tuple(words)), *changes])
