"""The image model: Dockerfile -> stages -> instructions, the final stage's effective
``ENTRYPOINT`` + ``CMD``, the build-context files they reach, and the chain of processes that
start-up runs (init -> wrapper -> script -> program), with which of them ends up as PID 1.

Rules only read this model.  Everything that touches the file system happens here.
"""

from __future__ import annotations

import contextlib
import glob as globmod
import os
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pathspec

from entrylint import knowledge
from entrylint.dockerfile import (
    Dockerfile,
    Heredoc,
    Instruction,
    Unknown,
    parse,
    parse_json_array,
    parse_key_values,
    split_words,
    substitute,
)
from entrylint.knowledge import BaseImage, ShellKind
from entrylint.shell import (
    SHELLS,
    Command,
    Node,
    ShellScript,
    Terminal,
    ends_in_keepalive,
    flatten_and,
    literal,
    long_running_part,
    node_text,
    shebang_interpreter,
    unwrap_redirect,
)
from entrylint.source import SourceError, SourceFile, read_source

DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MAX_CHAIN_DEPTH = 6


# ------------------------------------------------------------------------------------------
# Stages
# ------------------------------------------------------------------------------------------


@dataclass
class CopyOp:
    instruction: Instruction
    sources: list[str]
    dest: str  # absolute container path
    dest_is_dir: bool
    from_stage: Stage | None
    from_external: str | None
    chmod: str | None
    heredocs: dict[str, Heredoc]


@dataclass
class Stage:
    index: int
    name: str | None
    from_instruction: Instruction
    base_ref: str
    base_stage: Stage | None
    base_image: BaseImage | None
    instructions: list[Instruction] = field(default_factory=list)
    env: dict[str, str | None] = field(default_factory=dict)
    workdir: str = "/"
    user: str | None = None
    user_instruction: Instruction | None = None
    shell_instruction: Instruction | None = None
    shell: list[str] | None = None
    stopsignal: Instruction | None = None
    entrypoint: Instruction | None = None
    cmd: Instruction | None = None
    copies: list[CopyOp] = field(default_factory=list)

    def all_of(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    @property
    def root_image(self) -> BaseImage | None:
        s: Stage | None = self
        while s is not None and s.base_stage is not None:
            s = s.base_stage
        return s.base_image if s is not None else None

    def effective_shell(self) -> list[str]:
        s: Stage | None = self
        while s is not None:
            if s.shell is not None:
                return s.shell
            s = s.base_stage
        return ["/bin/sh", "-c"]

    def effective_shell_instruction(self) -> Instruction | None:
        s: Stage | None = self
        while s is not None:
            if s.shell_instruction is not None:
                return s.shell_instruction
            s = s.base_stage
        return None

    def effective_user(self) -> tuple[str | None, Instruction | None]:
        s: Stage | None = self
        while s is not None:
            if s.user_instruction is not None:
                return s.user, s.user_instruction
            s = s.base_stage
        return None, None

    def effective_stopsignal(self) -> Instruction | None:
        s: Stage | None = self
        while s is not None:
            if s.stopsignal is not None:
                return s.stopsignal
            s = s.base_stage
        return None

    def shell_kind(self, program: str | None = None) -> ShellKind:
        """What kind of shell ``program`` (default: the stage's SHELL) is in this image."""
        prog = knowledge.program_name(program or self.effective_shell()[0])
        if prog in ("cmd", "cmd.exe", "powershell", "pwsh", "powershell.exe", "pwsh.exe"):
            return "windows"
        kind = knowledge.SHELL_NAMES.get(prog)
        if kind is None:
            return "unknown"
        if kind != "unknown":
            return kind
        base = self.root_image
        return base.shell if base is not None else "unknown"


@dataclass
class Setting:
    """An effective ENTRYPOINT or CMD: the instruction, or inherited from the base image."""

    instruction: Instruction | None
    stage: Stage | None
    inherited: Literal["none", "exec-wrapper", "init", "unknown"] | None = None

    @property
    def exec_form(self) -> list[str] | None:
        return self.instruction.exec_form if self.instruction is not None else None


# ------------------------------------------------------------------------------------------
# Scripts and the process chain
# ------------------------------------------------------------------------------------------


BUILT: Literal["built"] = "built"
#: What a container path comes from: a build-context file, a Dockerfile heredoc, or something
#: built in another stage or taken from another image (:data:`BUILT`).
Target = Path | Heredoc | Literal["built"]


@dataclass
class Script:
    container_path: str
    file: SourceFile  # the file whose bytes hold the script (a heredoc: the Dockerfile)
    shell: ShellScript
    display: str
    interpreter: str | None
    args: list[str | None]
    heredoc: Heredoc | None = None
    origin: Instruction | None = None
    under_init: bool = False

    #: For a heredoc: the Dockerfile offset of each byte of the script's text (and of its end)
    offsets: list[int] | None = None

    def file_offset(self, offset: int) -> int:
        """Where byte ``offset`` of the script's own text is in :attr:`file`.

        A heredoc's text is not a plain slice of the Dockerfile (``<<-`` strips leading tabs,
        an unquoted ``COPY <<EOF`` loses the backslash of ``\\$``), so heredoc scripts map
        each byte through :attr:`offsets`."""
        if self.offsets is None:
            return self.shell.base + offset
        return self.offsets[max(0, min(offset, len(self.offsets) - 1))]

    def position(self, offset: int) -> tuple[int, int]:
        return self.file.position(self.file_offset(offset))


LaunchKind = Literal["init", "wrapper", "shell-c", "script", "program", "swallower", "unknown",
                     "missing"]


@dataclass
class Launch:
    """One process that start-up runs.  ``execs`` are what it replaces itself with (same PID),
    ``child`` what it starts as a child (inits), ``stays`` whether some path keeps it running
    as the parent of what it started."""

    kind: LaunchKind
    argv: list[str | None]
    where: Instruction | None
    script: Script | None = None
    inline: ShellScript | None = None  # the text of ``sh -c TEXT``
    shell_kind: ShellKind | None = None
    execs: list[Launch] = field(default_factory=list)
    child: Launch | None = None
    stays: bool = False
    how: str = ""  # why it does (not) exec, for messages
    from_context: bool = False
    #: ``shell-c`` only: the text is a shell-form ENTRYPOINT/CMD (not ``["sh", "-c", …]``)
    shell_form: bool = False

    @property
    def name(self) -> str:
        return knowledge.program_name(self.argv[0] or "") if self.argv else ""

    def walk(self) -> Iterator[Launch]:
        yield self
        for e in self.execs:
            yield from e.walk()
        if self.child is not None:
            yield from self.child.walk()


@dataclass
class Unresolved:
    where: Instruction | None
    path: str
    reason: str


@dataclass
class ShellExec:
    """How ``SHELL -c TEXT`` runs TEXT's last command."""

    outcome: Literal["explicit-exec", "shell-execs", "stays", "unknown", "no-shell"]
    reason: str
    last: list[str | None] | None  # argv of the final command, when it is one simple command


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
                                  "lone one", argv)
    if long_before is not None:
        return ShellExec("stays", f"`{long_before}` runs as a child of the shell until it "
                                  f"exits", argv)
    if kind in ("unknown", "windows"):
        return ShellExec("unknown", "the image's /bin/sh is not known", argv)
    if kind == "dash":
        return ShellExec("stays", "dash (the image's /bin/sh) never execs the command it runs",
                         argv)
    table = (knowledge.SHELL_EXECS_REDIRECTED if redirected else
             knowledge.SHELL_EXECS_AFTER_AND if after_and else
             knowledge.SHELL_EXECS_LONE_COMMAND)
    if table.get(kind, False):
        return ShellExec("shell-execs", f"{kind} execs a final simple command", argv)
    why = ("a command with a redirection" if redirected else "a command after `&&`"
           if after_and else "a lone command")
    return ShellExec("stays", f"{kind} (the image's shell) does not exec {why}", argv)


# ------------------------------------------------------------------------------------------
# The model
# ------------------------------------------------------------------------------------------


@dataclass
class ImageModel:
    path: Path  # the Dockerfile, as given (relative to the current directory when possible)
    source: SourceFile
    dockerfile: Dockerfile
    stages: list[Stage]
    final: Stage
    context: Path
    repo_root: Path
    entrypoint: Setting | None
    cmd: Setting | None
    start: Launch | None  # None when start-up is inherited from an unknown base image
    scripts: list[Script]
    unresolved: list[Unresolved]
    compose_init: bool
    notes: list[str]
    target: str | None = None
    #: The init that fixes install (the ``init`` setting): ``tini`` or ``dumb-init``.
    init_program: str = "tini"

    def display(self, path: Path) -> str:
        return display_path(path)

    @property
    def start_argv(self) -> list[str] | None:
        """ENTRYPOINT + CMD as Docker starts them (shell form through the stage's SHELL), or
        None when they come from a base image whose ENTRYPOINT or CMD entrylint cannot know.
        A base image's init or ``exec "$@"`` entrypoint is transparent here."""
        argv: list[str] = []
        for setting in (self.entrypoint, self.cmd):
            if setting is None:
                continue
            if setting.instruction is None:
                if setting.inherited in ("exec-wrapper", "init", "none"):
                    continue
                return None
            form = setting.instruction.exec_form
            if form is not None:
                argv += form
            else:
                argv += [*self.final.effective_shell(), setting.instruction.args]
                if setting is self.entrypoint:
                    break  # a shell-form ENTRYPOINT ignores CMD
        return argv or None

    def pid1_candidates(self) -> list[Launch]:
        """The processes that can end up as PID 1 (one per path through the scripts)."""
        if self.start is None:
            return []
        out: list[Launch] = []

        def visit(launch: Launch) -> None:
            if launch.kind in ("init", "program", "swallower", "unknown", "missing"):
                out.append(launch)
                return
            if launch.stays or not launch.execs:
                out.append(launch)
            for e in launch.execs:
                visit(e)

        visit(self.start)
        return out


def display_path(path: Path) -> str:
    try:
        rel = path.absolute().relative_to(Path.cwd().resolve())
        return rel.as_posix()
    except ValueError:
        try:
            return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
        except (ValueError, OSError, RuntimeError):
            return path.as_posix()


class _Builder:
    def __init__(self, path: Path, source: SourceFile, context: Path, repo_root: Path,
                 target: str | None, build_args: dict[str, str]) -> None:
        self.path = path
        self.source = source
        self.df = parse(source)
        self.context = context
        self.repo_root = repo_root
        self.target = target
        self.build_args = build_args
        self.notes: list[str] = []
        self.unresolved: list[Unresolved] = []
        self.scripts: list[Script] = []
        self._ignore = _dockerignore(context, path)
        self._file_cache: dict[Path, SourceFile | SourceError] = {}
        #: shell-form ENTRYPOINT/CMD text -> (instruction, byte offset of the text in the file,
        #: or -1 when it spans continuation lines)
        self.inline_sources: dict[str, tuple[Instruction, int]] = {}

    # -- stages -----------------------------------------------------------------------------
    def stages(self) -> list[Stage]:
        stages: list[Stage] = []
        global_args: dict[str, str | None] = {}
        cur: Stage | None = None
        esc = self.df.escape
        for ins in self.df.instructions:
            kw = ins.keyword
            if kw == "FROM":
                _, rest = ins.flags_and_rest()
                words = split_words(rest, esc)
                ref = words[0] if words else ""
                with contextlib.suppress(Unknown):
                    ref = substitute(ref, global_args)
                name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
                base_stage = next((s for s in reversed(stages) if s.name == ref.lower()), None)
                if base_stage is None and ref.isdigit() and int(ref) < len(stages):
                    base_stage = stages[int(ref)]
                cur = Stage(
                    index=len(stages), name=name, from_instruction=ins, base_ref=ref,
                    base_stage=base_stage,
                    base_image=None if base_stage else knowledge.describe_base(ref),
                )
                if base_stage is not None:
                    cur.env = dict(base_stage.env)
                    cur.workdir = base_stage.workdir
                stages.append(cur)
                continue
            if cur is None:
                if kw == "ARG":
                    for key, value in self._arg_pairs(ins):
                        global_args[key] = self.build_args.get(key, value)
                continue
            cur.instructions.append(ins)
            if kw == "ARG":
                for key, value in self._arg_pairs(ins):
                    if key in self.build_args:
                        value = self.build_args[key]
                    elif value is None and key in global_args:
                        value = global_args[key]
                    cur.env[key] = value
            elif kw == "ENV":
                for key, value in parse_key_values(ins.args, esc):
                    cur.env[key] = self._subst(value, cur)
            elif kw == "WORKDIR":
                wd = self._subst(split_words(ins.args, esc)[0] if ins.args else "/", cur)
                if wd is not None:
                    cur.workdir = posixpath.normpath(posixpath.join(cur.workdir, wd))
            elif kw == "USER":
                cur.user = ins.args.strip()
                cur.user_instruction = ins
            elif kw == "SHELL":
                cur.shell = parse_json_array(ins.args)
                cur.shell_instruction = ins
            elif kw == "STOPSIGNAL":
                cur.stopsignal = ins
            elif kw == "ENTRYPOINT":
                cur.entrypoint = ins
            elif kw == "CMD":
                cur.cmd = ins
            elif kw in ("COPY", "ADD"):
                op = self._copy_op(ins, cur, stages)
                if op is not None:
                    cur.copies.append(op)
        return stages

    def _arg_pairs(self, ins: Instruction) -> list[tuple[str, str | None]]:
        out: list[tuple[str, str | None]] = []
        for word in split_words(ins.args, self.df.escape):
            key, sep, value = word.partition("=")
            out.append((key, value if sep else None))
        return out

    def _subst(self, text: str | None, stage: Stage) -> str | None:
        if text is None:
            return None
        try:
            return substitute(text, stage.env)
        except Unknown:
            return None

    def _copy_op(self, ins: Instruction, stage: Stage, stages: list[Stage]) -> CopyOp | None:
        flags, rest = ins.flags_and_rest()
        form = parse_json_array(rest)
        words = form if form is not None else split_words(rest, self.df.escape)
        if len(words) < 2:
            return None
        resolved: list[str] = []
        for w in words:
            v = self._subst(w, stage) if not w.startswith("<<") else w
            if v is None:
                return None
            resolved.append(v)
        *sources, dest = resolved
        dest_is_dir = dest.endswith("/") or len(sources) > 1
        dest = posixpath.normpath(posixpath.join(stage.workdir, dest))
        from_stage = None
        from_external = None
        if "from" in flags:
            ref = flags["from"].lower()
            from_stage = next((s for s in stages if s.name == ref), None)
            if from_stage is None and ref.isdigit() and int(ref) < len(stages):
                from_stage = stages[int(ref)]
            if from_stage is None:
                from_external = flags["from"]
        heredocs = {h.name: h for h in ins.heredocs}
        return CopyOp(ins, sources, dest, dest_is_dir, from_stage, from_external,
                      flags.get("chmod"), heredocs)

    # -- files in the image -----------------------------------------------------------------
    def _context_match(self, src: str) -> list[Path]:
        """Files or directories of the build context that a COPY source names."""
        src = src.lstrip("/")
        for root in self._context_roots():
            if any(ch in src for ch in "*?["):
                matches = [Path(p) for p in sorted(globmod.glob(str(root / src)))]
            else:
                p = root / src if src not in ("", ".") else root
                matches = [p] if p.exists() or p.is_symlink() else []
            matches = [m for m in matches if not self._ignored(m, root)]
            if matches:
                if root != self.context:
                    note = (f"COPY source {src!r} is not in the build context "
                            f"{display_path(self.context)}; using the repository root "
                            f"{display_path(root)}")
                    if note not in self.notes:
                        self.notes.append(note)
                return matches
        return []

    def _context_roots(self) -> list[Path]:
        """The build context, then its parents up to the repository root: a COPY source that
        is not in the Dockerfile's directory is usually built with ``docker build -f
        docker/Dockerfile .`` from further up."""
        roots = [self.context]
        ctx, root = self.context.resolve(), self.repo_root.resolve()
        if ctx == root or root in ctx.parents:
            for parent in ctx.parents:
                roots.append(parent)
                if parent == root:
                    break
        return roots

    def _ignored(self, path: Path, root: Path) -> bool:
        if self._ignore is None or root != self.context:
            return False
        try:
            rel = path.relative_to(root).as_posix()
        except ValueError:
            return False
        if rel == ".":
            return False  # the context itself is never excluded (`*` then `!start.sh`)
        if path.is_dir():
            rel += "/"
        return bool(self._ignore.match_file(rel))

    def resolve_file(self, stage: Stage, cpath: str, depth: int = 0
                     ) -> tuple[Target, CopyOp] | None:
        """The build-context file or heredoc that ends up at container path ``cpath``
        (:data:`BUILT` when it comes from another stage or image and is not in the context)."""
        if depth > 8:
            return None
        cpath = posixpath.normpath(cpath)
        s: Stage | None = stage
        while s is not None:
            for op in reversed(s.copies):
                hit = self._resolve_in_op(op, cpath, depth)
                if hit is not None:
                    return hit, op
            s = s.base_stage
        return None

    def _resolve_in_op(self, op: CopyOp, cpath: str, depth: int) -> Target | None:
        for src in reversed(op.sources):
            if src.startswith("<<"):
                name = src.lstrip("<-").strip("'\"")
                target = posixpath.join(op.dest, name) if op.dest_is_dir else op.dest
                if target == cpath and name in op.heredocs:
                    return op.heredocs[name]
                continue
            base = posixpath.basename(src.rstrip("/"))
            if op.from_stage is not None:
                sub = None
                if cpath in (op.dest, posixpath.join(op.dest, base)):
                    sub = src
                elif cpath.startswith(op.dest.rstrip("/") + "/"):
                    sub = posixpath.join(src, cpath[len(op.dest.rstrip("/")) + 1 :])
                if sub is not None:
                    hit = self.resolve_file(op.from_stage, posixpath.join("/", sub), depth + 1)
                    return hit[0] if hit is not None else BUILT
                continue
            if op.from_external is not None or "://" in src:
                if cpath in (op.dest, posixpath.join(op.dest, base)):
                    return BUILT
                continue
            for m in self._context_match(src):
                if m.is_dir():
                    prefix = op.dest.rstrip("/") + "/"
                    if cpath.startswith(prefix):
                        candidate = m / cpath[len(prefix) :]
                        if candidate.is_file() and not self._ignored(candidate, self.context):
                            return candidate
                elif cpath == op.dest or cpath == posixpath.join(op.dest, m.name):
                    return m
        return None

    def _read(self, path: Path) -> SourceFile | SourceError:
        if path not in self._file_cache:
            try:
                self._file_cache[path] = read_source(path, root=self.repo_root)
            except SourceError as exc:
                self._file_cache[path] = exc
        return self._file_cache[path]

    def which(self, stage: Stage, name: str) -> tuple[str, tuple[Target, CopyOp]] | None:
        """Find a command the way the container's PATH lookup would, among copied files."""
        if "/" in name:
            cpath = posixpath.normpath(posixpath.join(stage.workdir, name))
            hit = self.resolve_file(stage, cpath)
            return (cpath, hit) if hit else None
        path_var = stage.env.get("PATH") or DEFAULT_PATH
        for d in path_var.split(":"):
            if not d.startswith("/"):
                continue
            cpath = posixpath.join(d, name)
            hit = self.resolve_file(stage, cpath)
            if hit:
                return cpath, hit
        return None

    # -- the process chain ------------------------------------------------------------------
    def follow(self, argv: list[str | None], where: Instruction | None, stage: Stage,
               depth: int = 0, under_init: bool = False) -> Launch:
        if depth > MAX_CHAIN_DEPTH:
            return Launch("unknown", argv, where, how="chain too deep")
        if not argv or argv[0] is None:
            return Launch("unknown", argv, where, how="the command is only known at run time")
        prog = knowledge.program_name(argv[0])
        if prog == "exec":
            return Launch("unknown", argv, where,
                          how="`exec` is a shell builtin, not a program: it cannot be started")
        if argv[0] != argv[0].strip() or " " in argv[0]:
            return Launch("unknown", argv, where,
                          how="one word with spaces names no program: it cannot be started")
        found = self.which(stage, argv[0]) if argv[0] else None
        from_context = found is not None
        if knowledge.is_init(argv[0], from_build_context=from_context):
            rest = _init_child_argv(prog, argv[1:])
            launch = Launch("init", argv, where, from_context=from_context)
            if rest:
                launch.child = self.follow(rest, where, stage, depth + 1, under_init=True)
            return launch
        if prog in knowledge.EXEC_WRAPPERS and not from_context:
            rest = _wrapper_target(prog, argv[1:])
            launch = Launch("wrapper", argv, where)
            if rest:
                launch.execs = [self.follow(rest, where, stage, depth + 1, under_init)]
            return launch
        if prog in SHELLS and not from_context:
            return self._follow_shell(argv, where, stage, depth, under_init)
        if prog in knowledge.SIGNAL_SWALLOWERS and not from_context:
            return Launch("swallower", argv, where, how=knowledge.SIGNAL_SWALLOWERS[prog])
        if found is not None:
            cpath, (target, op) = found
            return self._follow_file(argv, where, stage, depth, under_init, cpath, target, op,
                                     interpreter=None)
        assert argv[0] is not None
        base = stage.root_image
        if (prog in knowledge.BASE_ENTRYPOINT_SCRIPTS and base is not None
                and base.entrypoint == "exec-wrapper"):
            # The base image's own entrypoint script, which ends in `exec "$@"`.
            launch = Launch("wrapper", argv, where, how=f"the entrypoint script of {base.ref}")
            if argv[1:]:
                launch.execs = [self.follow(argv[1:], where, stage, depth + 1, under_init)]
            return launch
        if _looks_like_script(argv[0]):
            why = self._why_missing(argv[0], stage)
            self.unresolved.append(Unresolved(where, argv[0], why))
            return Launch("missing", argv, where)
        return Launch("program", argv, where)

    def _why_missing(self, cpath: str, stage: Stage | None = None) -> str:
        if stage is not None and self._ignore is not None:
            saved, self._ignore = self._ignore, None
            try:
                hit = self.which(stage, cpath)
            finally:
                self._ignore = saved
            if hit is not None:
                return "the file that COPY/ADD would put there is excluded by .dockerignore"
        return (f"no COPY/ADD of the final stage puts it there from the build context "
                f"({display_path(self.context)}); it may come from the base image or a RUN "
                f"step")

    def _follow_shell(self, argv: list[str | None], where: Instruction | None, stage: Stage,
                      depth: int, under_init: bool) -> Launch:
        assert argv[0] is not None
        kind = stage.shell_kind(argv[0])
        args = argv[1:]
        i = 0
        text: str | None = None
        while i < len(args):
            a = args[i]
            if a is None:
                return Launch("unknown", argv, where, shell_kind=kind)
            if a == "-c" or (a.startswith("-") and "c" in a[1:] and not a.startswith("--")):
                text = args[i + 1] if i + 1 < len(args) else None
                if text is None:  # `sh -c "$*"`: the command is only known at run time
                    return Launch("unknown", argv, where, shell_kind=kind)
                break
            if a.startswith("-") or a.startswith("+"):
                i += 1
                if a in ("-o", "+o"):
                    i += 1
                continue
            break
        if text is not None:
            data = text.encode()
            located = self.inline_sources.get(text)
            if located is not None:
                where = located[0]
            inline = ShellScript(data=data, base=located[1] if located else -1)
            launch = Launch("shell-c", argv, where, inline=inline, shell_kind=kind,
                            shell_form=located is not None)
            result = analyse_shell_text(inline, kind)
            launch.how = result.reason
            last = result.last
            if result.outcome == "explicit-exec" and text.strip() in ('exec "$@"',
                                                                       'exec "${@}"'):
                last = args[i + 3 :]  # `sh -c 'exec "$@"' NAME ARG…`: $0 is NAME
            if result.outcome in ("explicit-exec", "shell-execs") and last:
                launch.execs = [self.follow(last, where, stage, depth + 1, under_init)]
            elif result.outcome == "no-shell":
                launch.kind = "unknown"
            else:
                launch.stays = result.outcome != "unknown"
                if result.last:
                    # The shell stays PID 1 and runs its last command as a child: still follow
                    # it, so that a script it runs is checked too.
                    launch.child = self.follow(result.last, where, stage, depth + 1,
                                               under_init)
            return launch
        if i < len(args) and args[i] is not None:
            script_path = args[i]
            assert script_path is not None
            found = self.which(stage, script_path) if "/" in script_path else None
            if found is None and "/" not in script_path:
                cpath = posixpath.join(stage.workdir, script_path)
                hit = self.resolve_file(stage, cpath)
                found = (cpath, hit) if hit else None
            if found is not None:
                cpath, (target, op) = found
                return self._follow_file([script_path, *args[i + 1 :]], where, stage, depth,
                                         under_init, cpath, target, op,
                                         interpreter=knowledge.program_name(argv[0]))
            self.unresolved.append(Unresolved(where, script_path,
                                              self._why_missing(script_path, stage)))
            return Launch("missing", argv, where)
        return Launch("program", argv, where, shell_kind=kind, how="an interactive shell")

    def _follow_file(self, argv: list[str | None], where: Instruction | None, stage: Stage,
                     depth: int, under_init: bool, cpath: str, target: Target,
                     op: CopyOp, interpreter: str | None) -> Launch:
        if target == BUILT:
            return Launch("program", argv, where)
        if isinstance(target, Heredoc):
            data, offsets = target.body_map(
                self.source, expand=not target.quoted and op.instruction.keyword in ("COPY",
                                                                                     "ADD"))
            file = self.source
            base = target.body_start
            display = f"{display_path(self.path)}:{target.start_line} (heredoc {cpath})"
        else:
            got = self._read(target)
            if isinstance(got, SourceError):
                self.unresolved.append(Unresolved(where or op.instruction, cpath,
                                                  f"{display_path(target)} {got.reason}"))
                return Launch("missing", argv, where)
            file, data, base, offsets = got, got.data, 0, None
            display = display_path(target)
        probe = ShellScript(data=data, base=base)
        interp = interpreter or shebang_interpreter(probe.shebang)
        if interp is None and probe.shebang is None and not cpath.endswith(".sh"):
            return Launch("program", argv, where, from_context=True)
        if interp is not None and interp not in SHELLS:
            # A Python or Node program copied in: the program is its interpreter.
            return Launch("program", [interp, *argv], where, from_context=True)
        script = Script(container_path=cpath, file=file, shell=probe, display=display,
                        interpreter=interp, args=argv[1:],
                        heredoc=target if isinstance(target, Heredoc) else None,
                        origin=op.instruction, under_init=under_init, offsets=offsets)
        if all(s.container_path != cpath for s in self.scripts):
            self.scripts.append(script)
        launch = Launch("script", argv, where, script=script, from_context=True,
                        shell_kind=stage.shell_kind(interp or "sh"))
        terms = probe.terminals(args=argv[1:])
        for term in terms:
            if term.kind == "exec" and term.command is not None:
                for target_argv in _exec_targets(probe, term, argv[1:]):
                    launch.execs.append(
                        self.follow(target_argv, where, stage, depth + 1, under_init))
            elif term.kind in ("child", "wait", "loop", "keepalive"):
                launch.stays = True
        return launch

    # -- the whole model ---------------------------------------------------------------------
    def build(self, compose_init: bool) -> ImageModel:
        stages = self.stages()
        if not stages:
            raise SourceError(self.path, "has no FROM instruction (not a Dockerfile?)")
        final = stages[-1]
        if self.target:
            named = [s for s in stages if s.name == self.target.lower()]
            if not named:
                raise SourceError(self.path, f"has no stage named {self.target!r}")
            final = named[0]
        entrypoint, cmd = _effective(final)
        model = ImageModel(
            path=self.path, source=self.source, dockerfile=self.df, stages=stages, final=final,
            context=self.context, repo_root=self.repo_root, entrypoint=entrypoint, cmd=cmd,
            start=None, scripts=self.scripts, unresolved=self.unresolved,
            compose_init=compose_init, notes=self.notes, target=self.target,
        )
        argv = model.start_argv
        for setting in (entrypoint, cmd):
            ins = setting.instruction if setting is not None else None
            if ins is not None and ins.exec_form is None:
                # the text maps byte for byte onto the file only when it is on one line
                offset = _args_offset(self.source, ins) if ins.start_line == ins.end_line else -1
                self.inline_sources[ins.args] = (ins, offset)
        if argv is not None:
            model.start = self.follow(list(argv), _start_instruction(entrypoint, cmd), final)
            if entrypoint is not None and entrypoint.inherited == "init":
                wrapper = Launch("init", ["(the base image's init)"], None)
                wrapper.child = model.start
                model.start = wrapper
        return model


def _args_offset(source: SourceFile, ins: Instruction) -> int:
    pos = ins.keyword_end
    while pos < ins.end and source.data[pos : pos + 1] in (b" ", b"\t"):
        pos += 1
    return pos


def _start_instruction(ep: Setting | None, cmd: Setting | None) -> Instruction | None:
    if ep is not None and ep.instruction is not None:
        return ep.instruction
    return cmd.instruction if cmd is not None else None


def _effective(stage: Stage) -> tuple[Setting | None, Setting | None]:
    """The stage's effective ENTRYPOINT and CMD (Docker's inheritance rules)."""
    if stage.base_stage is not None:
        ep, cmd = _effective(stage.base_stage)
    else:
        kind = stage.base_image.entrypoint if stage.base_image else "unknown"
        ep = None if kind == "none" else Setting(None, None, inherited=kind)
        cmd = Setting(None, None, inherited="unknown")
    if stage.entrypoint is not None:
        ep = Setting(stage.entrypoint, stage)
        if stage.cmd is None:
            cmd = None  # an ENTRYPOINT resets the inherited CMD
    if stage.cmd is not None:
        cmd = Setting(stage.cmd, stage)
    if ep is not None and ep.instruction is not None and not ep.instruction.args.strip("[] \t"):
        ep = None  # ENTRYPOINT [] clears it
    return ep, cmd


def _init_child_argv(prog: str, args: list[str | None]) -> list[str | None]:
    if "--" in args:
        return args[args.index("--") + 1 :]
    out = list(args)
    takes_value = {"tini": {"-p", "-e", "-l"}, "dumb-init": {"-r", "--rewrite"}}.get(prog, set())
    while out and out[0] is not None and out[0].startswith("-"):
        flag = out.pop(0)
        if flag in takes_value and out:
            out.pop(0)
    if prog in ("s6-svscan", "runsvdir", "supervisord", "systemd", "init", "my_init", "runit"):
        return []  # they supervise services, not a command line
    return out


def _wrapper_target(prog: str, args: list[str | None]) -> list[str | None]:
    out = list(args)
    if prog in ("gosu", "su-exec", "s6-setuidgid"):
        return out[1:]
    if prog == "chroot":
        return out[1:]
    if prog == "env":
        while out and out[0] is not None and ("=" in out[0] or out[0].startswith("-")):
            out.pop(0)
        return out
    if "--" in out:
        return out[out.index("--") + 1 :]
    options_with_value = {"nice": {"-n"}, "ionice": {"-c", "-n"},
                          "chpst": {"-u", "-U", "-e", "-n"}, "stdbuf": {"-i", "-o", "-e"}}
    takes_value = options_with_value.get(prog, set())
    while out and out[0] is not None and out[0].startswith("-"):
        flag = out.pop(0)
        if flag in takes_value and out:
            out.pop(0)
    if prog == "taskset" and out:
        out.pop(0)  # the CPU mask
    return out


_ALL_ARGS = ('"$@"', "$@", '"${@}"', "${@}")


def _substitute_args(command: Command, words: list[Node],
                     args: list[str | None]) -> list[str | None]:
    out: list[str | None] = []
    for w in words:
        if command.word_text(w) in _ALL_ARGS:
            out += args
        else:
            out.append(literal(command.source, w))
    return out


def _plausible_command(argv: list[str | None]) -> bool:
    """``app:app`` or ``--workers`` as the first word is an argument, not a command: the
    script must have put a program in front of it (``set -- gunicorn "$@"``)."""
    if not argv:
        return False
    first = argv[0]
    if first is None:
        return True
    return not (first.startswith("-") or (":" in first and "/" not in first)
                or ("=" in first and "/" not in first))


def _exec_targets(script: ShellScript, term: Terminal,
                  script_args: list[str | None]) -> list[list[str | None]]:
    """What ``exec …`` runs.  Where the target uses ``"$@"`` and the script rewrites its
    arguments with ``set -- … "$@"`` (the official images' ``set -- node "$@"``), each
    rewriting is a candidate; implausible ones (``exec app:app``) are dropped."""
    command = term.command
    assert command is not None
    words = command.exec_target()
    plain = _substitute_args(command, words, script_args)
    if not any(command.word_text(w) in _ALL_ARGS for w in words):
        return [plain]
    candidates = [plain]
    keep_plain = True
    for c in script.iter_commands():
        if c.name == "set" and len(c.words) > 2 and c.word_text(c.words[1]) == "--":
            holds = _guard(script, c, script_args[0] if script_args else None)
            if holds is False:
                continue  # `if [ "${1#-}" != "$1" ]; then set -- …` with CMD ["gunicorn"]
            if holds is True:
                keep_plain = False  # `if [ "$1" = web ]; then set -- gunicorn …` with web
            new_args = _substitute_args(c, c.words[2:], script_args)
            candidates.append(_substitute_args(command, words, new_args))
    if not keep_plain:
        candidates.remove(plain)
    plausible = [a for a in candidates if _plausible_command(a)]
    return plausible or [plain]


_STARTS_WITH_DASH = re.compile(
    r"""^\[\[?\s*"?\$\{1#-\}"?\s*!=\s*"?\$1"?\s*\]\]?$"""
    r"""|^\[\[?\s*"?\$\{1:0:1\}"?\s*==?\s*['"]?-['"]?\s*\]\]?$""")
_EQUALS = re.compile(r"""^\[\[?\s*"?\$\{?1\}?"?\s*(==?|!=)\s*['"]?([^'"\s\]]+)['"]?\s*\]\]?$""")


def _guard(script: ShellScript, command: Command, arg1: str | None) -> bool | None:
    """Whether ``command`` runs, when it sits in the ``then`` of an ``if`` whose test of
    ``$1`` entrylint can evaluate for ``arg1``: ``[ "${1#-}" != "$1" ]`` (an option),
    ``[ "$1" = 'postgres' ]``, joined with ``||``.  None when it cannot tell."""
    if arg1 is None:
        return None
    node = command.node
    parent = node.parent
    while parent is not None and parent.type in ("redirected_statement", "list"):
        node, parent = parent, parent.parent
    negate = False
    if parent is not None and parent.type == "else_clause":
        negate, node, parent = True, parent, parent.parent
    if parent is None or parent.type != "if_statement":
        return None
    if not negate and any(ch.type == "elif_clause" for ch in parent.children):
        return None
    condition = parent.child_by_field_name("condition")
    if condition is None or node.start_byte < condition.end_byte:
        return None
    if not negate and any(ch.type == "then" and ch.start_byte > node.start_byte
                          for ch in parent.children):
        return None
    holds = _evaluate_test(node_text(script.data, condition), arg1)
    if holds is None:
        return None
    return not holds if negate else holds


def _evaluate_test(text: str, arg1: str) -> bool | None:
    """``[ "$1" = web ] || [ "$1" = api ]`` (or ``-o``) for ``$1`` = ``arg1``; None when
    some part cannot be evaluated."""
    text = re.sub(r"\s+-o\s+", " ] || [ ", text.strip().rstrip(";"))
    result = False
    for test in re.split(r"\s*\|\|\s*", text):
        test = test.strip()
        if _STARTS_WITH_DASH.match(test):
            result = result or arg1.startswith("-")
            continue
        m = _EQUALS.match(test)
        if m is None:
            return None  # a test entrylint cannot evaluate: it may hold
        result = result or ((arg1 == m.group(2)) == (m.group(1) != "!="))
    return result


def _looks_like_script(name: str) -> bool:
    """A start-up path that should have come from the build context: ``*.sh``, or a name
    such as ``docker-entrypoint`` or ``start``.  Binaries built in the image are not."""
    base = posixpath.basename(name)
    if base.endswith((".sh", ".bash")):
        return True
    stem = base.split(".")[0].lower()
    return "/" in name and ("entrypoint" in stem or stem in ("start", "run", "boot", "launch"))


def _dockerignore(context: Path, dockerfile: Path) -> pathspec.GitIgnoreSpec | None:
    """The ignore file BuildKit uses: ``<Dockerfile>.dockerignore`` beside the Dockerfile
    wins over the context's ``.dockerignore``."""
    for p in (dockerfile.parent / f"{dockerfile.name}.dockerignore", context / ".dockerignore"):
        if p.is_file():
            try:
                lines = p.read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                return None
            patterns = []
            for line in lines:
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                neg = line.startswith("!")
                body = posixpath.normpath(line[1:] if neg else line).lstrip("/")
                patterns.append(("!" if neg else "") + "/" + body)
            return pathspec.GitIgnoreSpec.from_lines(patterns)
    return None


# ------------------------------------------------------------------------------------------
# Entry points
# ------------------------------------------------------------------------------------------


def find_repo_root(start: Path) -> Path:
    p = start.resolve()
    for candidate in (p, *p.parents):
        if (candidate / ".git").exists():
            return candidate
    return p


def load(path: Path, *, context: Path | None = None, target: str | None = None,
         repo_root: Path | None = None, build_args: dict[str, str] | None = None,
         compose: ComposeInfo | None = None) -> ImageModel:
    """Build the image model of one Dockerfile.  Raises :class:`SourceError`."""
    root = repo_root or find_repo_root(path.parent)
    if context is not None:
        # `--context ..`: a context above the Dockerfile's directory widens the repository
        ctx_abs, root_abs = context.resolve(), root.resolve()
        if ctx_abs != root_abs and root_abs not in ctx_abs.parents:
            root = Path(os.path.commonpath([ctx_abs, root_abs]))
    source = read_source(path, root=root)
    if compose is None:
        compose = find_compose(path, root)
    ctx = context or compose.context or path.parent
    builder = _Builder(path, source, ctx, root, target, build_args or {})
    return builder.build(compose.init)


def start_argv(path: Path, target: str | None = None
               ) -> tuple[list[str], Path, str | None]:
    """How Docker would start the final stage: (argv, build-context dir, STOPSIGNAL or None).

    Used by ``entrylint probe --dockerfile``.  Raises :class:`SourceError` when the Dockerfile
    does not say what to run.
    """
    model = load(path, target=target)
    argv = model.start_argv
    if argv is None:
        raise SourceError(path, "the final stage inherits its ENTRYPOINT/CMD from an unknown "
                                "base image; there is nothing to run")
    stop = model.final.effective_stopsignal()
    return argv, model.context, stop.args.strip() if stop is not None else None


# ------------------------------------------------------------------------------------------
# Compose files
# ------------------------------------------------------------------------------------------

COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


@dataclass
class ComposeInfo:
    context: Path | None = None
    init: bool = False
    file: Path | None = None


def find_compose(dockerfile: Path, root: Path) -> ComposeInfo:
    """A compose file in the repository whose service builds this Dockerfile."""
    import yaml

    target = dockerfile.resolve()
    d = dockerfile.parent.resolve()
    root = root.resolve()
    dirs = [d, *[p for p in d.parents if p == root or root in p.parents]]
    for directory in dirs:
        for name in COMPOSE_NAMES:
            f = directory / name
            if not f.is_file():
                continue
            try:
                doc = yaml.safe_load(f.read_text(encoding="utf-8", errors="replace"))
            except (yaml.YAMLError, OSError):
                continue
            services = doc.get("services") if isinstance(doc, dict) else None
            if not isinstance(services, dict):
                continue
            found: list[bool] = []
            images: set[str] = set()
            for svc in services.values():
                if not isinstance(svc, dict):
                    continue
                build = svc.get("build")
                if isinstance(build, str):
                    ctx, dfname = build, "Dockerfile"
                elif isinstance(build, dict):
                    ctx = str(build.get("context", "."))
                    dfname = str(build.get("dockerfile", "Dockerfile"))
                else:
                    continue
                ctx_path = (directory / ctx).resolve()
                if (ctx_path / dfname).resolve() == target:
                    found.append(svc.get("init") is True)
                    context = ctx_path
                    if isinstance(svc.get("image"), str):
                        images.add(svc["image"])
            # services that run the built image by its name, without building it
            for svc in services.values():
                if isinstance(svc, dict) and "build" not in svc and svc.get("image") in images:
                    found.append(svc.get("init") is True)
            if found:
                # every service that runs this image must have an init for EL104 to hold off
                return ComposeInfo(context=context, init=all(found), file=f)
    return ComposeInfo()
