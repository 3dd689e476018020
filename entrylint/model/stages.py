"""Stages: ``FROM`` … up to the next ``FROM``, with ARG/ENV, WORKDIR, USER, SHELL, STOPSIGNAL,
ENTRYPOINT/CMD, and the stage's filesystem (:mod:`entrylint.model.imagefs`) replayed as the
instructions come."""

from __future__ import annotations

import contextlib
import posixpath
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from entrylint import knowledge
from entrylint.dockerfile import (
    Dockerfile,
    Instruction,
    Unknown,
    parse_json_array,
    parse_key_values,
    split_words,
    substitute,
)
from entrylint.knowledge import BaseImage, ShellKind
from entrylint.model.context import BuildContext
from entrylint.model.imagefs import ContextFile, ImageFS
from entrylint.model.run import ScriptReader, replay_run
from entrylint.source import SourceError

#: The PATH of nearly every Linux base image; ``ENV PATH=/opt/app/bin:$PATH`` extends it.
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass
class Stage:
    index: int
    name: str | None
    from_instruction: Instruction
    base_ref: str
    base_stage: Stage | None
    base_image: BaseImage | None
    fs: ImageFS
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
    #: PATH extends the base image's (``ENV PATH=/opt/bin:$PATH``), taken to be the usual
    #: one: right for finding scripts, not a fact a safe fix may rely on
    path_assumed: bool = False
    #: ``base_stage`` is the final stage of another Dockerfile of the repository, which
    #: builds the image this FROM names: in words, which and who says so
    from_repo: str | None = None
    #: build-context scripts whose file commands RUN replay read so far
    replayed_scripts: int = 0

    def all_of(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    @property
    def root_image(self) -> BaseImage | None:
        s: Stage | None = self
        while s is not None and s.base_stage is not None:
            s = s.base_stage
        return s.base_image if s is not None else None

    def chain(self) -> list[Stage]:
        """This stage, then the stage it is built ``FROM``, and so on (newest first)."""
        out: list[Stage] = []
        s: Stage | None = self
        while s is not None:
            out.append(s)
            s = s.base_stage
        return out

    def _inherited(self, attr: str) -> Stage | None:
        s: Stage | None = self
        while s is not None and getattr(s, attr) is None:
            s = s.base_stage
        return s

    def effective_shell(self) -> list[str]:
        s = self._inherited("shell")
        return s.shell if s is not None and s.shell is not None else ["/bin/sh", "-c"]

    def effective_shell_instruction(self) -> Instruction | None:
        s = self._inherited("shell_instruction")
        return s.shell_instruction if s is not None else None

    def effective_user(self) -> tuple[str | None, Instruction | None]:
        s = self._inherited("user_instruction")
        return (s.user, s.user_instruction) if s is not None else (None, None)

    def effective_stopsignal(self) -> Instruction | None:
        s = self._inherited("stopsignal")
        return s.stopsignal if s is not None else None

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
    #: Inherited from a base image whose Dockerfile entrylint's table has: its exec form
    #: (``("irb",)`` from ``ruby:3``), and the FROM that brings it in (None: unknown).
    base_argv: tuple[str, ...] | None = None
    base_from: Instruction | None = None
    #: the image it is inherited from, as the FROM names it
    base_name: str | None = None
    #: inherited (``base_argv``) from a shell-form instruction of another Dockerfile
    shell_form: bool = False

    @property
    def exec_form(self) -> list[str] | None:
        return self.instruction.exec_form if self.instruction is not None else None


def _subst(text: str | None, env: dict[str, str | None]) -> str | None:
    if text is None:
        return None
    try:
        return substitute(text, env)
    except Unknown:
        return None


def _arg_pairs(ins: Instruction, escape: str) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    for word in split_words(ins.args, escape):
        key, sep, value = word.partition("=")
        out.append((key, value if sep else None))
    return out


class _Stages(list[Stage]):
    """The stages so far, with the last one of each name at hand (a lookup per FROM and
    COPY --from through the list made 10,000 stages quadratic)."""

    def __init__(self) -> None:
        super().__init__()
        self.named: dict[str, Stage] = {}

    def add(self, stage: Stage) -> None:
        self.append(stage)
        if stage.name is not None:
            self.named[stage.name] = stage


def _find_stage(stages: _Stages, ref: str) -> Stage | None:
    ref = ref.lower()
    found = stages.named.get(ref)
    if found is None and ref.isdigit() and int(ref) < len(stages):
        found = stages[int(ref)]
    return found


#: Finds the stage that builds an image of the repository (None: not one, or unknown).
RepoResolver = Callable[[str], "tuple[Stage, str] | None"]


def build_stages(df: Dockerfile, context: BuildContext, build_args: dict[str, str],
                 resolve: RepoResolver | None = None) -> list[Stage]:
    stages = _Stages()
    global_args: dict[str, str | None] = {}
    cur: Stage | None = None
    esc = df.escape
    for ins in df.instructions:
        kw = ins.keyword
        if kw == "FROM":
            _, rest = ins.flags_and_rest()
            words = split_words(rest, esc)
            ref = words[0] if words else ""
            with contextlib.suppress(Unknown):
                ref = substitute(ref, global_args)
            name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else None
            base_stage = _find_stage(stages, ref)
            base_image = None if base_stage else knowledge.describe_base(ref)
            from_repo = None
            if base_image is not None and base_image.os is None and \
                    base_image.entrypoint == "unknown" and resolve is not None:
                got = resolve(ref)
                if got is not None:
                    base_stage, from_repo = got
                    base_image = None
            fs = ImageFS(parent=base_stage.fs if base_stage else None,
                         has_base_dirs=ref.lower() != "scratch")
            cur = Stage(index=len(stages), name=name, from_instruction=ins, base_ref=ref,
                        base_stage=base_stage, base_image=base_image, fs=fs,
                        from_repo=from_repo)
            if base_stage is not None:
                cur.env = dict(base_stage.env)
                cur.workdir = base_stage.workdir
                cur.path_assumed = base_stage.path_assumed
            stages.add(cur)
            continue
        if cur is None:
            if kw == "ARG":
                for key, value in _arg_pairs(ins, esc):
                    global_args[key] = build_args.get(key, value)
            continue
        cur.instructions.append(ins)
        if kw == "ARG":
            for key, value in _arg_pairs(ins, esc):
                if key in build_args:
                    value = build_args[key]
                elif value is None and key in global_args:
                    value = global_args[key]
                cur.env[key] = value
        elif kw == "ENV":
            for key, value in parse_key_values(ins.args, esc):
                inherited = "PATH" not in cur.env
                known = {"PATH": DEFAULT_PATH, **cur.env} if inherited else cur.env
                cur.env[key] = _subst(value, known)
                if key == "PATH":
                    cur.path_assumed = "PATH" in value and (inherited or cur.path_assumed)
        elif kw == "WORKDIR":
            wd = _subst(split_words(ins.args, esc)[0] if ins.args.strip() else "/", cur.env)
            if wd is not None:
                cur.workdir = posixpath.normpath(posixpath.join(cur.workdir, wd))
                cur.fs.workdir(cur.workdir, ins)
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
            _replay_copy(ins, cur, stages, context, esc)
        elif kw == "RUN":
            _replay_run(ins, cur, df, _script_reader(cur, context))
    return stages


def _replay_copy(ins: Instruction, stage: Stage, stages: _Stages, context: BuildContext,
                 esc: str) -> None:
    flags, rest = ins.flags_and_rest()
    form = parse_json_array(rest)
    words = form if form is not None else split_words(rest, esc)
    if len(words) < 2:
        return
    resolved = [w if w.startswith("<<") else _subst(w, stage.env) for w in words]
    *sources, dest = resolved
    dest_path = None
    if dest is not None:
        dest_path = posixpath.normpath(posixpath.join(stage.workdir, dest))
    from_fs = None
    label = None
    if "from" in flags:
        ref = _subst(flags["from"], stage.env) or flags["from"]
        other = _find_stage(stages, ref)
        if other is not None and other is not stage:
            from_fs = other.fs
            label = f"stage {other.name or other.index}"
        else:
            label = f"the image {ref}"
    stage.fs.copy(ins, sources, dest_path, dest is not None and dest.endswith("/"),
                  context=context, heredocs={h.name: h for h in ins.heredocs},
                  from_fs=from_fs, from_label=label, chmod=flags.get("chmod"))


#: Build-context scripts whose file commands are replayed per stage, at most.
MAX_REPLAYED_SCRIPTS = 20


def _script_reader(stage: Stage, context: BuildContext) -> ScriptReader:
    """Reads a build-context script that a RUN of ``stage`` runs (``RUN sh build.sh``), as
    the stage's filesystem has it then."""

    def read(path: str) -> str | None:
        if stage.replayed_scripts >= MAX_REPLAYED_SCRIPTS:
            return None
        got = stage.fs.file(path)
        if got is None or not isinstance(got[1], ContextFile):
            return None
        text = context.read(got[1].path)
        if isinstance(text, SourceError):
            return None
        stage.replayed_scripts += 1
        return text.text

    return read


def _replay_run(ins: Instruction, stage: Stage, df: Dockerfile, read: ScriptReader) -> None:
    _, rest = ins.flags_and_rest()
    form = parse_json_array(rest)
    if form is not None:
        if form and knowledge.program_name(form[0]) in ("sh", "bash", "ash") and "-c" in form:
            i = form.index("-c")
            if i + 1 < len(form):
                replay_run(stage.fs, ins, form[i + 1], stage.env, stage.workdir, read)
        elif form:
            replay_run(stage.fs, ins, shlex.join(form), stage.env, stage.workdir, read)
        return
    if ins.heredocs and rest.lstrip().startswith("<<"):
        for h in ins.heredocs:
            body = h.body(df.source).decode("utf-8", errors="replace")
            replay_run(stage.fs, ins, body, stage.env, stage.workdir, read)
        return
    replay_run(stage.fs, ins, rest, stage.env, stage.workdir, read)


def _imported(setting: Setting | None, stage: Stage) -> Setting | None:
    """An ENTRYPOINT/CMD that ``stage`` inherits from the image another Dockerfile of the
    repository builds: known by its words, located at the FROM that brings it in (the
    instruction is in the other file)."""
    if setting is None:
        return None
    if setting.instruction is None:
        return Setting(None, None, inherited=setting.inherited, base_argv=setting.base_argv,
                       base_from=stage.from_instruction, base_name=stage.base_ref)
    form = setting.instruction.exec_form
    shell_form = form is None
    if form is None:
        owner = setting.stage or stage
        form = [*owner.effective_shell(), setting.instruction.args]
    if not form:
        return None
    return Setting(None, None, inherited="unknown", base_argv=tuple(form),
                   base_from=stage.from_instruction, base_name=stage.base_ref,
                   shell_form=shell_form)


def effective(stage: Stage) -> tuple[Setting | None, Setting | None]:
    """The stage's effective ENTRYPOINT and CMD (Docker's inheritance rules)."""
    if stage.base_stage is not None:
        ep, cmd = effective(stage.base_stage)
        if stage.from_repo is not None:
            ep, cmd = _imported(ep, stage), _imported(cmd, stage)
            if ep is not None and ep.base_argv is not None and cmd is not None and \
                    cmd.base_argv is not None and ep.shell_form:
                cmd = None  # a shell-form ENTRYPOINT ignores CMD
    else:
        base = stage.base_image
        kind = base.entrypoint if base is not None else "unknown"
        ep_argv = base.entrypoint_argv if base is not None else None
        ep = None if kind == "none" else Setting(None, None, inherited=kind,
                                                 base_argv=ep_argv or None,
                                                 base_from=stage.from_instruction,
                                                 base_name=stage.base_ref)
        cmd_argv = base.cmd_argv if base is not None else None
        cmd = (None if cmd_argv == () else
               Setting(None, None, inherited="unknown", base_argv=cmd_argv,
                       base_from=stage.from_instruction, base_name=stage.base_ref))
    if stage.entrypoint is not None:
        ep = Setting(stage.entrypoint, stage)
        if stage.cmd is None:
            cmd = None  # an ENTRYPOINT resets the inherited CMD
    if stage.cmd is not None:
        cmd = Setting(stage.cmd, stage)
    if ep is not None and ep.instruction is not None and not ep.instruction.args.strip("[] \t"):
        ep = None  # ENTRYPOINT [] clears it
    return ep, cmd
