"""The start-up chain: the processes that ``docker run`` starts, one after the other.

From the effective ``ENTRYPOINT`` + ``CMD``, follow each program: an init (tini, dumb-init)
starts its program as a child; a wrapper (gosu, su-exec, setpriv, env, nice, chpst) replaces
itself with its program; a shell runs a ``-c`` text or a script; a script from the image's
filesystem (:mod:`entrylint.model.imagefs`) is parsed, and whatever it ``exec``s is followed in
turn.  Each :class:`Launch` records whether the process stays (then it is PID 1 for good) or
replaces itself.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from entrylint import facts, knowledge
from entrylint.dockerfile import Instruction
from entrylint.knowledge import BaseImage, ShellKind
from entrylint.model.context import BuildContext, display_path
from entrylint.model.imagefs import ContextFile, FileEntry, HeredocFile, Opaque
from entrylint.model.serverconfig import uwsgi_options
from entrylint.model.shellexec import analyse_shell_text
from entrylint.model.stages import DEFAULT_PATH, Stage
from entrylint.shell import (
    SHELLS,
    TOO_DEEP,
    Command,
    ShellScript,
    Terminal,
    expand_word,
    literal,
    shared_script,
    shebang_interpreter,
)
from entrylint.source import SourceError, SourceFile

if TYPE_CHECKING:  # tree-sitter is imported only when a script is parsed
    from entrylint.shell import Node

MAX_CHAIN_DEPTH = 6
#: Commands followed per image at most (candidates multiply along a chain of scripts).
MAX_FOLLOWS = 200


@dataclass
class Script:
    container_path: str
    file: SourceFile  # the file whose bytes hold the script (a heredoc: the Dockerfile)
    shell: ShellScript
    display: str
    interpreter: str | None
    args: list[str | None]
    heredoc: object | None = None  # the Heredoc, for a heredoc script
    origin: Instruction | None = None
    under_init: bool = False
    #: For a heredoc: the Dockerfile offset of each byte of the script's text (and of its end)
    offsets: list[int] | None = None
    #: ``COPY --chmod=…`` of the instruction that put it there
    chmod: str | None = None
    #: a ``RUN chmod +x`` (or ``install``) makes it executable in the image
    made_executable: bool = False
    #: a ``RUN`` that rewrites it in place (``sed -i``, ``dos2unix``)
    rewritten_by: Instruction | None = None
    #: Run as a program (its ``#!`` line picks the interpreter), not as ``sh script``
    run_directly: bool = True

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


#: :attr:`Launch.how` of a shell started with no command and no script (``CMD ["bash"]``)
INTERACTIVE_SHELL = "an interactive shell"


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
    #: What this process would replace itself with once the rule named in :attr:`fixed_by`
    #: adds the missing ``exec`` (a shell-form CMD's command, a script's final child).
    after_fix: list[Launch] = field(default_factory=list)
    #: The rule whose fix turns :attr:`after_fix` into :attr:`execs` (EL101/EL102/EL103/EL105;
    #: EL106 for one exec-form element with spaces, whose fix splits it into words)
    fixed_by: str | None = None
    #: Options read from the configuration file the program loads (uWSGI's ``--ini``), when
    #: it names one that the build context provides; None otherwise
    options: dict[str, str] | None = None
    #: Followed on an assumption (an unknown base image's ``docker-entrypoint.sh`` ends in
    #: ``exec "$@"``), which messages must state
    assumed: str | None = None
    #: For a script's final child that another rule reports instead of EL103 (``su … -c``:
    #: EL108, ``npm start``: EL110): that rule
    reported_as: str | None = None

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
    """A path start-up runs whose contents entrylint cannot check, and why."""

    where: Instruction | None
    path: str
    reason: str


class Follower:
    """Follows the start-up chain of one stage, collecting the scripts it reaches."""

    def __init__(self, dockerfile: SourceFile, dockerfile_path: Path, context: BuildContext
                 ) -> None:
        self.source = dockerfile
        self.path = dockerfile_path
        self.context = context
        self.scripts: list[Script] = []
        self.unresolved: list[Unresolved] = []
        #: scripts and programs written by RUN or taken from elsewhere: not followed, and why
        self.opaque: list[Unresolved] = []
        #: shell-form ENTRYPOINT/CMD text -> (instruction, byte offset of the text in the
        #: file, or -1 when it spans continuation lines)
        self.inline_sources: dict[str, tuple[Instruction, int]] = {}
        self._follows = 0  # follow() calls, bounded by MAX_FOLLOWS
        #: (id of the bytes, base) -> their parse: a script reached again is parsed once (the
        #: bytes are kept alive by the parse, so the id cannot be reused meanwhile)
        self._parsed: dict[tuple[int, int], ShellScript] = {}

    # -- finding files ----------------------------------------------------------------------
    def which(self, stage: Stage, name: str, *, cwd_first: bool = False
              ) -> tuple[str, FileEntry] | None:
        """Find a command the way the container would: a path (relative to WORKDIR), or a
        name looked up in PATH (``cwd_first``: a script argument of a shell, which looks in
        the working directory first)."""
        if "/" in name or cwd_first:
            hit = stage.fs.file(posixpath.normpath(posixpath.join(stage.workdir, name)))
            if hit is not None or "/" in name:
                return hit
        path_var = stage.env.get("PATH") or DEFAULT_PATH
        for d in path_var.split(":"):
            if d.startswith("/"):
                hit = stage.fs.file(posixpath.join(d, name))
                if hit is not None:
                    return hit
        return None

    def why_missing(self, name: str, stage: Stage) -> str:
        cpath = posixpath.normpath(posixpath.join(stage.workdir, name)) if "/" in name else None
        reasons = stage.fs.explain(cpath) if cpath is not None else []
        if reasons:
            return "; ".join(reasons)
        return (f"no COPY/ADD of the final stage puts it there from the build context "
                f"({display_path(self.context.root)}); it may come from the base image or a "
                f"RUN step")

    # -- the chain --------------------------------------------------------------------------
    def follow(self, argv: list[str | None], where: Instruction | None, stage: Stage,
               depth: int = 0, under_init: bool = False) -> Launch:
        launch = self._follow(argv, where, stage, depth, under_init)
        if launch.kind == "program" and launch.argv and \
                facts.server_program(launch.argv[0] or "") == "uwsgi":
            launch.options = uwsgi_options(launch.argv, stage, self.context)
        return launch

    def _follow(self, argv: list[str | None], where: Instruction | None, stage: Stage,
                depth: int, under_init: bool) -> Launch:
        if depth > MAX_CHAIN_DEPTH:
            # said (EL100), not silent: what runs at the end of the chain is not checked
            # (a loop, a.sh -> b.sh -> a.sh or a script that re-execs itself with other
            # arguments, has been checked whole: nothing to say)
            name = argv[0] if argv else None
            if name and len(self.scripts) >= MAX_CHAIN_DEPTH \
                    and all(s.container_path != name for s in self.scripts) \
                    and all(u.path != name for u in self.unresolved):
                self.unresolved.append(Unresolved(
                    where, name, f"it is started {depth} levels deep in the start-up chain, "
                                 f"and entrylint follows {MAX_CHAIN_DEPTH}"))
            return Launch("unknown", argv, where, how="chain too deep")
        self._follows += 1
        if self._follows > MAX_FOLLOWS:
            # `set -- … "$@"` lines multiply the candidates at every level of a chain
            note = (f"start-up has more than {MAX_FOLLOWS} possible commands; the rest are "
                    "not followed")
            if note not in self.context.notes:
                self.context.notes.append(note)
            return Launch("unknown", argv, where, how="too many possible commands to follow")
        if not argv or argv[0] is None:
            return Launch("unknown", argv, where, how="the command is only known at run time")
        if _TEMPLATE_PLACEHOLDER.search(argv[0]):
            # `ENTRYPOINT ["/entrypoint.sh", "%%CMD%%"]` in a Dockerfile.template: a generator
            # fills it in before any build
            note = (f"`{argv[0]}` is a template placeholder: what it becomes is decided by "
                    "the generator that fills the template in, not by this file")
            if note not in self.context.notes:
                self.context.notes.append(note)
            return Launch("unknown", argv, where, how="a template placeholder")
        prog = knowledge.program_name(argv[0])
        if prog == "exec":
            return Launch("unknown", argv, where,
                          how="`exec` is a shell builtin, not a program: it cannot be started")
        if argv[0] != argv[0].strip() or " " in argv[0]:
            launch = Launch("unknown", argv, where,
                            how="one word with spaces names no program: it cannot be started")
            if _PLAIN_WORDS.fullmatch(argv[0]) and depth < MAX_CHAIN_DEPTH:
                # `CMD ["gunicorn app:app"]`: what runs once EL106 gives each word its element
                launch.after_fix = [self.follow([*argv[0].split(), *argv[1:]], where, stage,
                                                depth + 1, under_init)]
                launch.fixed_by = "EL106"
            return launch
        found = self.which(stage, argv[0]) if argv[0] else None
        from_context = found is not None and not isinstance(found[1], Opaque)
        if knowledge.is_init(argv[0], from_build_context=from_context):
            rest = init_child_argv(prog, argv[1:])
            launch = Launch("init", argv, where, from_context=from_context)
            if rest:
                launch.child = self.follow(rest, where, stage, depth + 1, under_init=True)
            return launch
        if prog in knowledge.EXEC_WRAPPERS and not from_context:
            rest = wrapper_target(prog, argv[1:])
            launch = Launch("wrapper", argv, where)
            if rest:
                launch.execs = [self.follow(rest, where, stage, depth + 1, under_init)]
            return launch
        if prog == "start-stop-daemon" and not from_context:
            return self._follow_start_stop_daemon(argv, where, stage, depth, under_init)
        if prog in CHILD_WRAPPERS and not from_context:
            # `timeout 3600 app`: stays the parent (and forwards the signals it gets)
            rest = wrapper_target(prog, argv[1:])
            launch = Launch("program", argv, where, how=CHILD_WRAPPERS[prog])
            if rest:
                launch.child = self.follow(rest, where, stage, depth + 1, under_init)
            return launch
        if prog in SHELLS and not from_context:
            return self._follow_shell(argv, where, stage, depth, under_init)
        if prog in knowledge.SIGNAL_SWALLOWERS and not from_context:
            return Launch("swallower", argv, where, how=knowledge.SIGNAL_SWALLOWERS[prog])
        if found is not None:
            cpath, entry = found
            return self._follow_file(argv, where, stage, depth, under_init, cpath, entry,
                                     interpreter=None)
        assert argv[0] is not None
        base = stage.root_image
        if (base is not None and base.entrypoint == "exec-wrapper"
                and _is_own_entrypoint(base, prog)):
            # The base image's own entrypoint script, which ends in `exec "$@"`.
            launch = Launch("wrapper", argv, where, how=f"the entrypoint script of {base.ref}")
            if argv[1:]:
                launch.execs = [self.follow(argv[1:], where, stage, depth + 1, under_init)]
            return launch
        if prog in ASSUMED_ENTRYPOINT_SCRIPTS and (base is None or base.entrypoint == "unknown") \
                and stage.base_ref.lower() != "scratch":
            # Not from the build context, so the base image's; nearly every such script ends in
            # `exec "$@"` (the official images' pattern): follow its arguments, and say so.
            ref = base.ref if base is not None else stage.base_ref
            assumed = (f"this assumes that {argv[0]} of the base image {ref} (not in "
                       f"entrylint's table) ends in `exec \"$@\"`")
            launch = Launch("wrapper", argv, where, how=assumed, assumed=assumed)
            if assumed not in self.context.notes:
                self.context.notes.append(assumed)
            if argv[1:]:
                launch.execs = [self.follow(argv[1:], where, stage, depth + 1, under_init)]
            return launch
        if looks_like_script(argv[0]):
            if base is not None and _names_own_program(base, argv[0]):
                # `CMD ["catalina.sh", "run"]` on tomcat: the base image's own script
                return Launch("program", argv, where, how=f"a program of {base.ref}")
            self.unresolved.append(Unresolved(where, argv[0], self.why_missing(argv[0], stage)))
            return Launch("missing", argv, where)
        return Launch("program", argv, where)

    def _follow_start_stop_daemon(self, argv: list[str | None], where: Instruction | None,
                                  stage: Stage, depth: int, under_init: bool) -> Launch:
        """``start-stop-daemon --start --exec PROG -- ARGS`` execs PROG (same PID; measured,
        start-stop-daemon 1.21.22 of dpkg); with ``--background`` it forks PROG as a daemon and
        exits at once, status 0 (measured too)."""
        start = parse_start_stop_daemon(argv[1:])
        if start is None:
            return Launch("program", argv, where, how="start-stop-daemon without --start")
        target, background = start
        if background:
            return Launch("unknown", argv, where,
                          how="start-stop-daemon --background forks the program as a daemon "
                              "and exits at once (measured)")
        launch = Launch("wrapper", argv, where, how="start-stop-daemon --start execs the "
                                                    "program (measured)")
        if target:
            launch.execs = [self.follow(target, where, stage, depth + 1, under_init)]
        return launch

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
            if a == "--":
                i += 1
                break
            if a.startswith("-") or a.startswith("+"):
                i += 1
                if a in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file"):
                    i += 1
                continue
            break
        if text is not None:
            return self._follow_text(argv, args, i, text, where, stage, depth, under_init, kind)
        if i < len(args) and args[i] is not None:
            script_path = args[i]
            assert script_path is not None
            found = self.which(stage, script_path, cwd_first=True)
            if found is not None:
                cpath, entry = found
                return self._follow_file([script_path, *args[i + 1 :]], where, stage, depth,
                                         under_init, cpath, entry,
                                         interpreter=knowledge.program_name(argv[0]))
            self.unresolved.append(Unresolved(where, script_path,
                                              self.why_missing(script_path, stage)))
            return Launch("missing", argv, where)
        return Launch("program", argv, where, shell_kind=kind, how=INTERACTIVE_SHELL)

    def _note_setup_steps(self, inline: ShellScript, last: list[str | None] | None,
                          where: Instruction | None, stage: Stage) -> None:
        """``sh -c '/setup.sh && exec nginx'``: a build-context script that runs before the
        final command returns to the shell, which waits for it; it never becomes PID 1, so it
        is not followed, and ``--verbose`` says so."""
        final = last[0] if last else None
        for cmd in inline.iter_commands():
            name = cmd.name
            if name is None or name == final or "/" not in name:
                continue
            hit = self.which(stage, name)
            if hit is None or not isinstance(hit[1], ContextFile):
                continue
            reason = (f"it runs before the final command (`{final}`) as a setup step the "
                      f"shell waits for, and never becomes PID 1: entrylint follows only the "
                      f"command that does" if final else
                      "it runs as a step of the shell command, which waits for it")
            if not any(u.path == hit[0] for u in self.opaque):
                self.opaque.append(Unresolved(where, hit[0], reason))

    def _follow_text(self, argv: list[str | None], args: list[str | None], i: int, text: str,
                     where: Instruction | None, stage: Stage, depth: int, under_init: bool,
                     kind: ShellKind) -> Launch:
        data = text.encode("utf-8", errors="surrogateescape")
        located = self.inline_sources.get(text)
        if located is not None:
            where = located[0]
        inline = ShellScript(data=data, base=located[1] if located else -1)
        launch = Launch("shell-c", argv, where, inline=inline, shell_kind=kind,
                        shell_form=located is not None)
        result = analyse_shell_text(inline, kind)
        launch.how = result.reason
        last = result.last
        self._note_setup_steps(inline, result.last, where, stage)
        if result.outcome == "explicit-exec" and text.strip() in ('exec "$@"', 'exec "${@}"'):
            last = args[i + 3 :]  # `sh -c 'exec "$@"' NAME ARG…`: $0 is NAME
        if result.outcome in ("explicit-exec", "shell-execs") and last:
            launch.execs = [self.follow(last, where, stage, depth + 1, under_init)]
        elif result.outcome == "no-shell":
            launch.kind = "unknown"
        else:
            launch.stays = result.outcome != "unknown"
            if result.last:
                # The shell stays PID 1 (or may) and runs its last command as a child: still
                # follow it, so that a script it runs is checked too.
                launch.child = self.follow(result.last, where, stage, depth + 1, under_init)
                if result.fixable and (launch.stays or result.outcome == "unknown"):
                    launch.after_fix = [launch.child]
                    launch.fixed_by = ("EL105" if not launch.shell_form else "EL102"
                                       if where is not None and where.keyword == "ENTRYPOINT"
                                       else "EL101")
        return launch

    def _follow_file(self, argv: list[str | None], where: Instruction | None, stage: Stage,
                     depth: int, under_init: bool, cpath: str, entry: FileEntry,
                     interpreter: str | None) -> Launch:
        if isinstance(entry, Opaque):
            if looks_like_script(argv[0] or "") or interpreter is not None:
                # a script nobody can read: what runs as PID 1 after it is unknown
                self.opaque.append(Unresolved(where, cpath, entry.reason))
                return Launch("unknown", argv, where, how=f"{cpath} is {entry.reason}")
            return Launch("program", argv, where)
        if isinstance(entry, HeredocFile):
            target = entry.heredoc
            data, offsets = target.body_map(
                self.source, expand=not target.quoted and entry.instruction.keyword in ("COPY",
                                                                                        "ADD"))
            file = self.source
            base = target.body_start
            display = f"{display_path(self.path)}:{target.start_line} (heredoc {cpath})"
            heredoc: object | None = target
        else:
            assert isinstance(entry, ContextFile)
            got = self.context.read(entry.path)
            if isinstance(got, SourceError):
                self.unresolved.append(Unresolved(where or entry.instruction, cpath,
                                                  f"{display_path(entry.path)} {got.reason}"))
                return Launch("missing", argv, where)
            file, data, base, offsets = got, got.data, 0, None
            display = display_path(entry.path)
            heredoc = None
        key = (id(data), base)
        probe = self._parsed.get(key) or self._parsed.setdefault(
            key, shared_script(data, base))
        interp = interpreter or shebang_interpreter(probe.shebang)
        if interpreter is None and interp is not None and probe.shebang and \
                knowledge.is_init(interp, from_build_context=False):
            # `#!/usr/bin/dumb-init /bin/sh`: the kernel starts the init, which runs the
            # shell on the script as its child
            words: list[str | None] = [*probe.shebang.split(), cpath, *argv[1:]]
            launch = Launch("init", words, where, how="the script's #! line")
            rest = init_child_argv(interp, words[1:])
            shell = knowledge.program_name(rest[0] or "") if rest else ""
            if rest and shell in SHELLS:
                launch.child = self._follow_file(rest[1:], where, stage, depth + 1, True, cpath,
                                                 entry, interpreter=shell)
            return launch
        if interp is None and probe.shebang is None and not cpath.endswith(".sh"):
            return Launch("program", argv, where, from_context=True)
        if interp is not None and interp not in SHELLS:
            # A Python or Node program copied in: the program is its interpreter.
            return Launch("program", [interp, *argv], where, from_context=True)
        script = Script(container_path=cpath, file=file, shell=probe, display=display,
                        interpreter=interp, args=argv[1:], heredoc=heredoc,
                        origin=entry.instruction, under_init=under_init, offsets=offsets,
                        chmod=entry.chmod, made_executable=stage.fs.is_executable(cpath),
                        rewritten_by=stage.fs.rewritten.get(cpath),
                        run_directly=interpreter is None)
        if all(s.container_path != cpath for s in self.scripts):
            self.scripts.append(script)
        launch = Launch("script", argv, where, script=script, from_context=True,
                        shell_kind=stage.shell_kind(interp or "sh"))
        settled = True  # every path that stays would exec once EL103's fix is applied
        try:
            ends, cleanup = probe.start_terminals(argv[1:])
        except RecursionError:  # name the script, not the Dockerfile that runs it
            raise SourceError(display, "is nested too deeply to analyse") from None
        if any(t.kind == "unknown" and t.reason == TOO_DEEP for t in ends) \
                and all(u.path != cpath for u in self.unresolved):
            # said (EL100), not silent: the walk gave up on this script's end
            self.unresolved.append(Unresolved(
                where, cpath, f"{display} is nested too deeply to follow to its end"))
        if cleanup:  # the trap handler's clean-up, run after the server: the shell stays
            launch.stays = True
            settled = False
        for term in ends:
            sourced = self._sourced_program(probe, term, argv[1:], stage)
            if sourced is not None:
                # `. /usr/local/bin/docker-entrypoint.sh vault server` last: the sourced file
                # runs in this shell, so what it execs replaces the script
                found = self.which(stage, sourced[0] or "")
                launch.execs.append(
                    self._follow_file(sourced, where, stage, depth + 1, under_init, found[0],
                                      found[1], interpreter=interp or "sh")
                    if found is not None else
                    self.follow(sourced, where, stage, depth + 1, under_init))
            elif term.kind == "exec" and term.command is not None:
                for target_argv in exec_targets(probe, term, argv[1:]):
                    self._note_unknown_program(target_argv, term.command, script)
                    launch.execs.append(
                        self.follow(target_argv, where, stage, depth + 1, under_init))
            elif term.kind == "child" and term.command is not None and (
                    term.command.name not in knowledge.BUILTINS
                    or (term.command.name in ("eval", "command")
                        and len(term.command.words) > 1)):
                launch.stays = True
                # Follow what the script runs last as a child too: a script it starts is
                # checked, and EL104 judges the PID 1 that EL103's `exec` fix will leave.
                rule = facts.missing_exec_rule(term.command.name)
                for target_argv in exec_targets(probe, term, argv[1:]):
                    self._note_unknown_program(target_argv, term.command, script)
                    last = self.follow(target_argv, where, stage, depth + 1, under_init)
                    if rule != "EL103":
                        last.reported_as = rule
                    launch.after_fix.append(last)
            elif term.kind in ("child", "wait", "loop", "keepalive"):
                launch.stays = True
                settled = False
            elif term.kind == "unknown" and term.command is not None:
                # `eval "exec $APP"`: the shell is replaced by what the string expands to
                self._note_unknown_program([None], term.command, script)
        if launch.after_fix:
            launch.fixed_by = "EL103"
            if not settled:
                launch.after_fix = []  # the shell stays PID 1 on some path whatever the fix
        return launch


    def _note_unknown_program(self, target: list[str | None], command: Command,
                              script: Script) -> None:
        """``exec $(pick_server)``, ``exec "$CMD"``: say in --verbose that what runs is only
        known at run time (nothing is guessed about it)."""
        if target and target[0] is not None:
            return
        words = command.exec_target() if command.is_exec else \
            command.words[1:] if command.name == "eval" else command.words
        shown = command.word_text(words[0]) if words else "?"
        line = script.position(command.start)[0]
        note = (f"{script.display}:{line}: the program `{shown}` is only known at run time: "
                f"what it runs (and whether it reaps as PID 1) is unknown")
        if note not in self.context.notes:
            self.context.notes.append(note)

    def _sourced_program(self, script: ShellScript, term: Terminal,
                         script_args: list[str | None], stage: Stage) -> list[str | None] | None:
        """For a path that ends by sourcing a file (``. FILE ARGS``): the command line to follow
        as if the script exec'd it (the file, then ``ARGS``, or the script's own arguments),
        when the file is a script the image has from the build context or the base image's
        entrypoint script; else None."""
        command = term.command
        if term.kind != "short" or command is None or command.name not in (".", "source") \
                or len(command.words) < 2:
            return None
        words = _substitute_args(command, command.words[1:], script_args, script.arrays())
        path = words[0]
        if path is None:
            return None
        args = words[1:] if len(command.words) > 2 else list(script_args)
        found = self.which(stage, path)
        if found is not None and not isinstance(found[1], Opaque):
            return [path, *args]
        prog = knowledge.program_name(path)
        base = stage.root_image
        if found is None and (
                (base is not None and prog in knowledge.base_entrypoint_scripts()
                 and base.entrypoint == "exec-wrapper")
                or prog in ASSUMED_ENTRYPOINT_SCRIPTS):
            return [path, *args]
        return None


#: Names of entrypoint scripts that an unknown base image is assumed to end in ``exec "$@"``.
ASSUMED_ENTRYPOINT_SCRIPTS = frozenset({"docker-entrypoint.sh", "docker-entrypoint"})


def _names_own_program(base: BaseImage, name: str) -> bool:
    """Does the base image's own ENTRYPOINT or CMD run a program of this name?"""
    own = {knowledge.program_name(argv[0]) for argv in (base.entrypoint_argv, base.cmd_argv)
           if argv}
    return knowledge.program_name(name) in own


# -- reading command lines --------------------------------------------------------------------

#: Programs that run their command as a child and stay its parent.
CHILD_WRAPPERS: dict[str, str] = {
    "timeout": "timeout runs the command as its child and forwards the signals it gets",
}

_INIT_OPTIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    # program: (options that take a value, long options that take a value)
    "tini": (frozenset({"-p", "-e"}), frozenset()),
    "tini-static": (frozenset({"-p", "-e"}), frozenset()),
    "docker-init": (frozenset({"-p", "-e"}), frozenset()),
    "dumb-init": (frozenset({"-r"}), frozenset({"--rewrite"})),
    "catatonit": (frozenset(), frozenset()),
}

_SUPERVISORS = frozenset({"s6-svscan", "runsvdir", "supervisord", "systemd", "my_init",
                          "runit"})


def _skip_options(args: list[str | None], short_value: frozenset[str],
                  long_value: frozenset[str]) -> list[str | None]:
    """The words after the leading options (and a ``--`` that ends them)."""
    out = list(args)
    while out and out[0] is not None and out[0].startswith("-") and out[0] != "-":
        flag = out.pop(0)
        assert flag is not None
        if flag == "--":
            break
        if flag.startswith("--"):
            if "=" not in flag and flag in long_value and out:
                out.pop(0)
        elif flag in short_value and out:
            out.pop(0)
    return out


def init_child_argv(prog: str, args: list[str | None]) -> list[str | None]:
    """The program an init runs: its first word that is not an option (``tini -s -p SIGTERM
    -- app``; ``tini boot.sh --`` runs ``boot.sh --``: a later ``--`` is the program's)."""
    if prog in _SUPERVISORS:
        return []  # they supervise services, not a command line
    if prog not in _INIT_OPTIONS and "--" in args:
        return args[args.index("--") + 1 :]  # an init whose options entrylint does not know
    short, long = _INIT_OPTIONS.get(prog, (frozenset(), frozenset()))
    return _skip_options(args, short, long)


_WRAPPER_OPTIONS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "env": (frozenset({"-u", "-C", "-S"}), frozenset({"--unset", "--chdir",
                                                      "--split-string"})),
    "nice": (frozenset({"-n"}), frozenset({"--adjustment"})),
    "ionice": (frozenset({"-c", "-n", "-p", "-P", "-u"}), frozenset({"--class", "--classdata"})),
    "chpst": (frozenset({"-u", "-U", "-e", "-n", "-l", "-L", "-m", "-d", "-o", "-p", "-f", "-c",
                         "-r", "-t", "-/", "-b"}), frozenset()),
    "stdbuf": (frozenset({"-i", "-o", "-e"}), frozenset()),
    "setpriv": (frozenset(), frozenset({"--reuid", "--regid", "--groups", "--inh-caps",
                                        "--ambient-caps", "--bounding-set", "--securebits",
                                        "--selinux-label", "--apparmor-profile", "--pdeathsig",
                                        "--landlock-access", "--landlock-rule"})),
    "taskset": (frozenset(), frozenset()),
    "numactl": (frozenset({"-N", "-m", "-p", "-C", "-i"}), frozenset({"--interleave",
                                                                     "--membind"})),
    "nohup": (frozenset(), frozenset()),
    "timeout": (frozenset({"-s", "-k"}), frozenset({"--signal", "--kill-after"})),
}


def wrapper_target(prog: str, args: list[str | None]) -> list[str | None]:
    """The program a wrapper runs: ``gosu USER cmd``, ``env A=1 cmd``, ``nice -n 5 cmd``,
    ``setpriv --reuid 1000 cmd``, ``chpst -u app cmd``, ``timeout 60 cmd``."""
    if prog in ("gosu", "su-exec", "s6-setuidgid"):
        return args[1:]
    if prog == "chroot":  # `chroot [--userspec=U:G] [--groups=G] [--skip-chdir] NEWROOT cmd`
        rest = _skip_options(args, frozenset(), frozenset({"--userspec", "--groups"}))
        return rest[1:]
    short, long = _WRAPPER_OPTIONS.get(prog, (frozenset(), frozenset()))
    out = _skip_options(args, short, long)
    if prog == "env":
        while out and out[0] is not None and "=" in out[0]:
            out.pop(0)
    elif prog in ("taskset", "timeout") and out:
        out.pop(0)  # the CPU mask, the duration
    elif prog == "nice" and args and args[0] is not None and re.fullmatch(r"-\d+", args[0]):
        out = args[1:]  # `nice -10 cmd`
    return out


_SSD_VALUE = frozenset({"-x", "--exec", "-a", "--startas", "-p", "--pidfile", "-n", "--name",
                        "-u", "--user", "-c", "--chuid", "-g", "--group", "-r", "--chroot",
                        "-d", "--chdir", "-N", "--nicelevel", "-P", "--procsched", "-I",
                        "--iosched", "-k", "--umask", "-s", "--signal", "-R", "--retry",
                        "--ppid", "-O", "--output", "--notify-timeout"})


def parse_start_stop_daemon(args: list[str | None]
                            ) -> tuple[list[str | None], bool] | None:
    """``start-stop-daemon`` options: (the program and its arguments, whether it forks with
    ``--background``), or None when it does not ``--start``."""
    start = background = False
    program: str | None = None
    startas: str | None = None
    i = 0
    while i < len(args):
        a = args[i]
        if a is None:
            i += 1
            continue
        if a == "--":
            i += 1
            break
        name, eq, inline = a.partition("=") if a.startswith("--") else (a, "", "")
        value = inline if eq else (args[i + 1] if i + 1 < len(args) else None)
        if name in _SSD_VALUE:
            if name in ("-x", "--exec"):
                program = value
            elif name in ("-a", "--startas"):
                startas = value
            i += 1 if eq else 2
            continue
        if name in ("-S", "--start"):
            start = True
        elif name in ("-b", "--background"):
            background = True
        elif not name.startswith("-"):
            break  # an argument where an option was expected: not an option list we know
        elif not name.startswith("--") and len(name) > 2:  # bundled short flags: `-Sb`
            start = start or "S" in name
            background = background or "b" in name
        i += 1
    if not start:
        return None
    run = startas or program
    return ([run, *args[i:]] if run is not None else [], background)


_ALL_ARGS = ('"$@"', "$@", '"${@}"', "${@}")


_LOOKUP = re.compile(r"""^"?(?:\$\(|`)\s*(?:which|command\s+-v)\s+([\w.+-]+)\s*(?:\)|`)"?$""")
_ARRAY = re.compile(r'^"?\$\{([A-Za-z_][A-Za-z0-9_]*)\[[@*]\]\}"?$')


def _substitute_args(command: Command, words: list[Node], args: list[str | None],
                     arrays: dict[str, list[str | None]] | None = None,
                     scalars: dict[str, str] | None = None) -> list[str | None]:
    """The words, with ``"$@"`` replaced by ``args``, ``"${ARR[@]}"`` by a literal array's
    words, ``$(which app)`` / ``$(command -v app)`` by ``app``, and ``$NAME`` of a variable
    the script set once before to a literal word by that word."""
    out: list[str | None] = []
    for w in words:
        text = command.word_text(w)
        if text in _ALL_ARGS:
            out += args
            continue
        value = literal(command.source, w)
        if value is None:
            lookup = _LOOKUP.match(text)
            array = _ARRAY.match(text)
            if lookup is not None:
                value = lookup.group(1)
            elif array is not None and arrays is not None and array.group(1) in arrays:
                out += arrays[array.group(1)]
                continue
            elif scalars:
                value = expand_word(command.source, w, scalars)
        out.append(value)
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


def _is_own_entrypoint(base: BaseImage, prog: str) -> bool:
    """``prog`` names the base image's own entrypoint script: by its ENTRYPOINT when the
    tables have it (php's is ``docker-php-entrypoint``, so ``/entrypoint.sh`` is not php's),
    else by the names such scripts have."""
    if base.entrypoint_argv:
        return base.entrypoint_argv[0].rsplit("/", 1)[-1] == prog
    return prog in knowledge.base_entrypoint_scripts()


#: `%%CMD%%` (the official images' templates), `{{ .Cmd }}` / `{{ env.cmd }}` (Go and jq
#: templates), `${{ values.cmd }}`.
_TEMPLATE_PLACEHOLDER = re.compile(r"%%[A-Za-z0-9_]+%%|\{\{.*\}\}")
#: An exec-form element that is only plain words (no quote, no shell syntax): split on blanks
#: it is the argv EL106's fix gives
_PLAIN_WORDS = re.compile(r"\s*[\w./:@%+=,-]+(?:[ \t]+[\w./:@%+=,-]+)*\s*")


def exec_targets(script: ShellScript, term: Terminal,
                 script_args: list[str | None]) -> list[list[str | None]]:
    """What ``exec …`` runs (or, for a command run as a child, what it would run with
    ``exec``).  Where the target uses ``"$@"`` and the script rewrites its
    arguments with ``set -- … "$@"`` (the official images' ``set -- node "$@"``), each
    rewriting is a candidate; implausible ones (``exec app:app``) are dropped."""
    command = term.command
    assert command is not None
    words = command.exec_target() if command.is_exec else \
        command.words[1:] if command.name in ("eval", "command") else command.words
    arrays = script.arrays()
    scalars = {k: v for k, (v, end) in script.scalars().items()
               if end <= command.node.start_byte}
    plain = _substitute_args(command, words, script_args, arrays, scalars)
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
            new_args = _substitute_args(c, c.words[2:], script_args, arrays)
            candidates.append(_substitute_args(command, words, new_args, arrays, scalars))
    if not keep_plain:
        candidates.remove(plain)
    plausible = [a for a in candidates if _plausible_command(a)]
    return plausible or [plain]


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
    holds = script.arg1_test(condition, arg1)
    if holds is None:
        return None
    return not holds if negate else holds


def looks_like_script(name: str) -> bool:
    """A start-up path that should have come from the build context: ``*.sh``, or a name
    such as ``docker-entrypoint`` or ``start``.  Binaries built in the image are not."""
    base = posixpath.basename(name)
    if base.endswith((".sh", ".bash")):
        return True
    stem = base.split(".")[0].lower()
    return "/" in name and ("entrypoint" in stem or stem in ("start", "run", "boot", "launch"))
