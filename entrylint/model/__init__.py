"""The image model: what ``docker run`` of a Dockerfile's final stage will start.

Built in four steps, one module each:

* :mod:`~entrylint.model.stages` — stages, ARG/ENV, WORKDIR, USER, SHELL, ENTRYPOINT/CMD;
* :mod:`~entrylint.model.imagefs` (with :mod:`~entrylint.model.run`) — the image's filesystem,
  replayed from COPY/ADD/WORKDIR and the file commands of RUN;
* :mod:`~entrylint.model.context` and :mod:`~entrylint.model.compose` — the build context,
  ``.dockerignore``, and the compose service that builds the image;
* :mod:`~entrylint.model.startup` — the chain of processes start-up runs (init -> wrapper ->
  script -> program), with which of them ends up as PID 1.

Rules only read this model.  Everything that touches the file system happens here.
"""

from __future__ import annotations

import json
import os
import posixpath
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from entrylint import runmemo
from entrylint.dockerfile import Dockerfile, Instruction, parse
from entrylint.model.compose import (
    ComposeInfo,
    ComposeInstruction,
    ComposeService,
    find_compose,
)
from entrylint.model.context import BuildContext, display_path, find_repo_root
from entrylint.model.imagefs import ContextFile
from entrylint.model.repoimages import find_repo_image
from entrylint.model.runscripts import run_scripts
from entrylint.model.shellexec import ShellExec, analyse_shell_text
from entrylint.model.stages import DEFAULT_PATH, Setting, Stage, build_stages, effective
from entrylint.model.startup import (
    INTERACTIVE_SHELL,
    Follower,
    Launch,
    Script,
    Unresolved,
)
from entrylint.source import SourceError, SourceFile, read_source

__all__ = [
    "DEFAULT_PATH", "INTERACTIVE_SHELL", "ComposeInfo", "ComposeInstruction", "ImageModel",
    "Launch", "Script",
    "ServiceRun", "Setting", "ShellExec", "Stage", "Unresolved", "analyse_shell_text",
    "display_path", "find_compose",
    "find_repo_root", "load", "start_argv",
]


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
    #: The base image's ENTRYPOINT is not known, and start-up was followed from CMD on the
    #: assumption that it ends in ``exec "$@"`` (as nearly every entrypoint script does).
    assumes_base_entrypoint: bool = False
    #: Start-up paths whose bytes nobody can know (built by RUN, another image): not followed.
    opaque: list[Unresolved] = field(default_factory=list)
    #: Every file whose contents the model depends on: the Dockerfile, the scripts it tried to
    #: read, the ignore file and the compose files it parsed (the result cache's key).
    read_files: list[Path] = field(default_factory=list)
    #: ``scripts`` of the package.json that COPY puts in the final stage's WORKDIR (None when
    #: there is none, or it cannot be read): what ``npm start`` runs.
    package_scripts: dict[str, str] | None = None
    #: the ``stop_signal`` of the compose services that run the image (it overrides STOPSIGNAL)
    compose_stop_signal: str | None = None
    #: The compose services that start the image otherwise than its ENTRYPOINT/CMD (their
    #: ``command:``/``entrypoint:``), each with the model of what it starts.
    services: list[ServiceRun] = field(default_factory=list)
    #: For a service's model: the service (its start-up is its ``command:``/``entrypoint:``).
    service: ComposeService | None = None
    #: (RUN, text) of the build-context scripts that the final stage's RUNs execute
    #: (``RUN /build/packages.sh``): what they install counts like the RUN's own text.
    run_scripts: list[tuple[Instruction, str]] = field(default_factory=list)
    #: When start-up runs the CMD of the base image (no ENTRYPOINT/CMD of the Dockerfile
    #: replaces it): where it comes from, in words, for the messages of findings located at
    #: :attr:`inherited_at` (the FROM that brings it in).
    inherited_start: str | None = None
    inherited_at: Instruction | None = None

    def display(self, path: Path) -> str:
        return display_path(path)

    @property
    def start_argv(self) -> list[str] | None:
        """ENTRYPOINT + CMD as Docker starts them (shell form through the stage's SHELL), or
        None when they come from a base image whose ENTRYPOINT or CMD entrylint cannot know.
        A base image's init or ``exec "$@"`` entrypoint is transparent here."""
        return self._argv(assume_wrapper=False)

    def _argv(self, *, assume_wrapper: bool) -> list[str] | None:
        argv: list[str] = []
        for setting in (self.entrypoint, self.cmd):
            if setting is None:
                continue
            if setting.instruction is None:
                if setting.inherited in ("exec-wrapper", "init", "none"):
                    continue
                if setting.base_argv is not None and (setting is self.cmd
                                                      or setting.inherited == "unknown"):
                    # the base image's, from entrylint's table or the Dockerfile that builds it
                    argv += setting.base_argv
                    if setting.shell_form:
                        break  # a shell-form ENTRYPOINT ignores CMD
                    continue
                if assume_wrapper and setting is self.entrypoint:
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

    def pid1_after_fixes(self) -> list[tuple[Launch, tuple[str, ...]]]:
        """The processes that can end up as PID 1 once the reported missing-``exec`` fixes
        (EL101/EL102/EL103/EL105) and EL106's split of a word with spaces are applied, each
        with the rules whose fixes make it PID 1 (none: it is PID 1 already)."""
        if self.start is None:
            return []
        out: list[tuple[Launch, tuple[str, ...]]] = []

        def visit(launch: Launch, via: tuple[str, ...]) -> None:
            if launch.kind == "unknown" and launch.fixed_by == "EL106":
                for a in launch.after_fix:
                    visit(a, (*via, "EL106"))
                return
            if launch.kind in ("init", "program", "swallower", "unknown", "missing"):
                out.append((launch, via))
                return
            if launch.after_fix:  # it stays, or may (a shell entrylint does not know)
                for a in launch.after_fix:
                    rule = a.reported_as or launch.fixed_by
                    visit(a, (*via, rule) if rule else via)
            elif launch.stays or not launch.execs:
                out.append((launch, via))
            for e in launch.execs:
                visit(e, via)

        visit(self.start, ())
        return out


#: Compose services whose start-up is modelled per Dockerfile (each is a model of its own).
MAX_SERVICE_RUNS = 20


@dataclass
class ServiceRun:
    """A compose service that overrides the image's start-up, and the model of what it runs
    (the same image, its ENTRYPOINT/CMD replaced by Docker's rules: ``entrypoint:`` drops
    CMD unless ``command:`` is given too)."""

    service: ComposeService
    model: ImageModel
    #: the override the findings of the service's start-up are reported at
    at: ComposeInstruction


def _overridden(final: Stage, entrypoint: Setting | None, cmd: Setting | None,
                service: ComposeService) -> tuple[Setting | None, Setting | None]:
    """ENTRYPOINT and CMD as the compose service runs them."""
    command = (Setting(ComposeInstruction(service, service.command), final)
               if service.command is not None else None)
    if service.entrypoint is not None:
        return Setting(ComposeInstruction(service, service.entrypoint), final), command
    return entrypoint, command if command is not None else cmd


def _args_offset(source: SourceFile, ins: Instruction) -> int:
    pos = ins.keyword_end
    while pos < ins.end and source.data[pos : pos + 1] in (b" ", b"\t"):
        pos += 1
    return pos


def _package_scripts(stage: Stage, context: BuildContext) -> dict[str, str] | None:
    """The ``scripts`` of package.json in the stage's WORKDIR, when it comes from the context."""
    hit = stage.fs.file(posixpath.join(stage.workdir, "package.json"))
    if hit is None or not isinstance(hit[1], ContextFile):
        return None
    got = context.read(hit[1].path)
    if isinstance(got, SourceError):
        return None
    try:
        doc = json.loads(got.data)
    except ValueError:
        return None
    scripts = doc.get("scripts") if isinstance(doc, dict) else None
    if not isinstance(scripts, dict):
        return None
    return {k: v for k, v in scripts.items() if isinstance(k, str) and isinstance(v, str)}


def _start_instruction(ep: Setting | None, cmd: Setting | None) -> Instruction | None:
    if ep is not None and ep.instruction is not None:
        return ep.instruction
    if ep is not None and ep.inherited == "unknown" and ep.base_argv is not None:
        return ep.base_from  # the base image's ENTRYPOINT: the FROM brings it in
    if cmd is not None and cmd.instruction is None and cmd.base_argv is not None:
        return cmd.base_from  # the base image's CMD: the FROM brings it in
    return cmd.instruction if cmd is not None else None


def _inherited_start(ep: Setting | None, cmd: Setting | None, final: Stage) -> str | None:
    """In words, that start-up runs the base image's ENTRYPOINT/CMD (None: the Dockerfile
    says what it runs)."""
    if ep is not None and ep.instruction is not None:
        return None
    own_ep = ep is not None and ep.inherited == "unknown" and ep.base_argv is not None
    if not own_ep and (cmd is None or cmd.instruction is not None or cmd.base_argv is None):
        return None
    setting = ep if own_ep else cmd
    assert setting is not None
    ref = setting.base_name or final.base_ref
    parts = []
    if own_ep and ep is not None and ep.base_argv is not None:
        parts.append(f"its `ENTRYPOINT {json.dumps(list(ep.base_argv))}`")
    if cmd is not None and cmd.instruction is None and cmd.base_argv is not None:
        parts.append(f"its `CMD {json.dumps(list(cmd.base_argv))}`")
    text = f"start-up comes from the base image {ref}: {' and '.join(parts)}"
    if not own_ep and ep is not None and ep.base_argv:
        text += f", run by its ENTRYPOINT `{' '.join(ep.base_argv)}`"
    return text + "; no ENTRYPOINT or CMD of this Dockerfile replaces it"


#: Dockerfiles of the repository followed through ``FROM <image it builds>`` at most.
MAX_REPO_DEPTH = 4


def _repo_resolver(path: Path, repo_root: Path, build_context: BuildContext,
                   depth: int) -> Callable[[str], tuple[Stage, str] | None]:
    """Resolves ``FROM <image>`` to the final stage of the Dockerfile of the repository that
    builds that image (its notes, and the files read, go to ``build_context``)."""

    def resolve(ref: str) -> tuple[Stage, str] | None:
        found = find_repo_image(ref, path, repo_root, build_context.read_files)
        if found.unknown is not None:
            build_context.notes.append(f"`FROM {ref}`: {found.unknown}: what that image "
                                       "starts and holds is not known")
            return None
        image = found.image
        if image is None:
            return None
        if depth >= MAX_REPO_DEPTH:
            build_context.notes.append(f"`FROM {ref}`: more than {MAX_REPO_DEPTH} Dockerfiles "
                                       "of the repository build on each other: not followed")
            return None
        try:
            other = read_source(image.dockerfile, root=repo_root)
        except SourceError as exc:
            build_context.notes.append(f"`FROM {ref}`: {image.said} builds it from "
                                       f"{display_path(image.dockerfile)}, which cannot be "
                                       f"read ({exc})")
            return None
        build_context.read_files.append(image.dockerfile)
        their = BuildContext(image.context, repo_root, image.dockerfile)
        stages = build_stages(parse(other), their, {},
                              _repo_resolver(image.dockerfile, repo_root, their, depth + 1))
        build_context.read_files += [f for f in their.read_files
                                     if f not in build_context.read_files]
        named = [s for s in stages if image.target and s.name == image.target.lower()]
        if not stages or (image.target and not named):
            build_context.notes.append(f"`FROM {ref}`: {display_path(image.dockerfile)} has "
                                       f"no stage {image.target or ''} to build it from")
            return None
        said = (f"`FROM {ref}` is the image that {display_path(image.dockerfile)} builds "
                f"(said by {image.said})")
        build_context.notes.append(f"{said}: its ENTRYPOINT, CMD and files are taken from there")
        return (named[0] if named else stages[-1]), said

    return resolve


def build(path: Path, source: SourceFile, context: Path, repo_root: Path, *,
          target: str | None, build_args: dict[str, str], compose_init: bool,
          compose_stop_signal: str | None = None,
          service: ComposeService | None = None) -> ImageModel:
    df = parse(source)
    build_context = BuildContext(context, repo_root, path)
    stages = build_stages(df, build_context, build_args,
                          _repo_resolver(path, repo_root, build_context, 0))
    if not stages:
        raise SourceError(path, "has no FROM instruction (not a Dockerfile?)")
    final = stages[-1]
    if target:
        named = [s for s in stages if s.name == target.lower()]
        if not named:
            raise SourceError(path, f"has no stage named {target!r}")
        final = named[0]
    entrypoint, cmd = effective(final)
    if service is not None:
        entrypoint, cmd = _overridden(final, entrypoint, cmd, service)
        compose_init, compose_stop_signal = service.init, service.stop_signal
    follower = Follower(source, path, build_context)
    model = ImageModel(
        path=path, source=source, dockerfile=df, stages=stages, final=final,
        context=context, repo_root=repo_root, entrypoint=entrypoint, cmd=cmd,
        start=None, scripts=follower.scripts, unresolved=follower.unresolved,
        compose_init=compose_init, notes=build_context.notes, target=target,
        opaque=follower.opaque, read_files=build_context.read_files,
        compose_stop_signal=compose_stop_signal, service=service,
    )
    model.package_scripts = _package_scripts(final, build_context)
    model.run_scripts = run_scripts(final, build_context)
    argv = model.start_argv
    if argv is None and entrypoint is not None and entrypoint.instruction is None:
        argv = model._argv(assume_wrapper=True)
        if argv is not None:
            model.assumes_base_entrypoint = True
            base = final.root_image
            model.notes.append(
                f"the ENTRYPOINT of the base image {base.ref if base else final.base_ref} is "
                f"not known: assuming it ends in `exec \"$@\"`, so that CMD runs")
    for setting in (entrypoint, cmd):
        ins = setting.instruction if setting is not None else None
        if ins is not None and ins.exec_form is None and not isinstance(ins,
                                                                         ComposeInstruction):
            # the text maps byte for byte onto the file only when it is on one line
            offset = _args_offset(source, ins) if ins.start_line == ins.end_line else -1
            follower.inline_sources[ins.args] = (ins, offset)
    if argv is not None and service is None:
        model.inherited_start = _inherited_start(entrypoint, cmd, final)
        if model.inherited_start is not None:
            model.inherited_at = _start_instruction(entrypoint, cmd)
            model.notes.append(model.inherited_start)
    if argv is not None:
        model.start = follower.follow(list(argv), _start_instruction(entrypoint, cmd), final)
        if entrypoint is not None and entrypoint.inherited == "init":
            wrapper = Launch("init", ["(the base image's init)"], None)
            wrapper.child = model.start
            model.start = wrapper
    return model


def widened_root(root: Path, context: Path) -> Path:
    """The repository boundary for a build context given with ``--context``: a git work tree
    never grows (a context above it is read only where it overlaps the repository); outside
    git, a context above the Dockerfile's directory widens the boundary to it, but only when
    that context lies within the current directory (``--context /`` does not)."""
    ctx_abs, root_abs = runmemo.resolve(context), runmemo.resolve(root)
    if ctx_abs == root_abs or root_abs in ctx_abs.parents or (root_abs / ".git").exists():
        return root
    cwd = Path.cwd().resolve()
    if ctx_abs == cwd or cwd in ctx_abs.parents:
        return Path(os.path.commonpath([ctx_abs, root_abs]))
    return root


def load(path: Path, *, context: Path | None = None, target: str | None = None,
         repo_root: Path | None = None, build_args: dict[str, str] | None = None,
         compose: ComposeInfo | None = None) -> ImageModel:
    """Build the image model of one Dockerfile.  Raises :class:`SourceError`."""
    root = repo_root or find_repo_root(path.parent)
    if context is not None:
        root = widened_root(root, context)
    source = read_source(path, root=root)
    if compose is None:
        compose = find_compose(path, root)
    ctx = context or compose.context or path.parent
    model = build(path, source, ctx, root, target=target, build_args=build_args or {},
                  compose_init=compose.init, compose_stop_signal=compose.stop_signal)
    model.read_files += compose.read
    if model.inherited_start is not None and compose.services and all(
            s.command is not None or s.entrypoint is not None for s in compose.services):
        # what runs is each service's own command: the base image's CMD never does
        model.notes.append(f"{model.inherited_start}, but every compose service that runs the "
                           "image replaces it: that start-up is not judged")
        model.start, model.inherited_start, model.inherited_at = None, None, None
    for n, service in enumerate(compose.services):
        if n == MAX_SERVICE_RUNS:
            model.notes.append(f"more than {MAX_SERVICE_RUNS} compose services run the image: "
                               "what the others start is not checked")
            break
        if service.unknown is not None:
            model.notes.append(f"compose service `{service.name}` "
                               f"({display_path(service.file.path)}): {service.unknown}; what "
                               "it starts is not checked")
        if service.command is None and service.entrypoint is None:
            continue
        run = build(path, source, ctx, root, target=target, build_args=build_args or {},
                    compose_init=service.init, service=service)
        if run.start_argv == model.start_argv and run.start_argv is not None:
            continue  # it starts what the image starts: the image's findings say it
        at = next(s.instruction for s in (run.entrypoint, run.cmd) if s is not None and
                  isinstance(s.instruction, ComposeInstruction))
        assert isinstance(at, ComposeInstruction)
        model.services.append(ServiceRun(service, run, at))
        model.read_files += [f for f in run.read_files if f not in model.read_files]
    return model


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
