"""The one gate every fix passes: :func:`offer` builds each :class:`Fix` of entrylint.

A fix builder (``entrylint/fixes.py``) says what its edits do with :class:`Change` objects —
``exec`` added to shell code, a shell form turned into exec form, a one-string program split
into words, an init run by name, a new ENTRYPOINT, a package install, an instruction
rewritten — and :func:`offer` checks each against what the model knows.  A check can
*refuse* the fix (no fix at all: it would break the image or change what runs whatever the
user accepts) or make it *unsafe* with the reason in its message.  Nothing else builds a
``Fix`` (``tests/test_fixguard.py`` checks that), so a new rule cannot skip these checks.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from entrylint import knowledge
from entrylint.baseimages import BaseImage
from entrylint.diagnostics import Applicability, Edit, Fix
from entrylint.dockerfile import Instruction
from entrylint.model import DEFAULT_PATH, ImageModel, Stage
from entrylint.shell import ShellScript, literal

#: Signals whose trap is cleanup that ``exec`` would skip (docker stop sends TERM; ^C INT).
_CLEANUP_SIGNALS = frozenset({"EXIT", "0", "TERM", "15", "INT", "2", "QUIT", "3", "HUP", "1"})


@dataclass(frozen=True)
class Verdict:
    refuse: str | None = None  # why there is no fix at all
    unsafe: str | None = None  # why it is only an unsafe fix


OK = Verdict()


class Change:
    """What one part of a fix does; :meth:`check` says whether that is safe."""

    def check(self, model: ImageModel) -> Verdict:
        raise NotImplementedError


# ------------------------------------------------------------------------------------------
# exec in shell code
# ------------------------------------------------------------------------------------------


def cleanup_traps(sh: ShellScript) -> list[str]:
    """The signals of the script's traps that ``exec`` would skip (``trap … EXIT``, and
    TERM/INT/QUIT/HUP traps: the shell that runs them is replaced)."""
    out: list[str] = []
    for c in sh.iter_commands():
        if c.name != "trap" or len(c.words) < 3:
            continue
        action = literal(sh.data, c.words[1])
        if action in ("", "-"):
            continue  # ignoring or resetting a signal is no cleanup
        for w in c.words[2:]:
            sig = (literal(sh.data, w) or "").upper().removeprefix("SIG")
            if sig in _CLEANUP_SIGNALS and sig not in out:
                out.append(sig)
    return out


def function_calls(sh: ShellScript, name: str) -> int:
    return sum(1 for c in sh.iter_commands() if c.name == name)


@dataclass(frozen=True)
class ExecAdded(Change):
    """``exec`` goes in front of a command of ``sh`` (a script, or a ``sh -c`` string),
    reached through the functions ``via`` (innermost last)."""

    sh: ShellScript
    via: tuple[str, ...] = ()
    where: str = "the shell code"

    def check(self, model: ImageModel) -> Verdict:
        for fn in self.via:
            calls = function_calls(self.sh, fn)
            if calls > 1:
                return Verdict(refuse=f"`{fn}` is called {calls} times: after `exec` in it, "
                                      f"its first call would never return")
        traps = cleanup_traps(self.sh)
        if traps:
            sigs = "/".join(traps)
            return Verdict(unsafe=f"{self.where} has `trap … {sigs}`: `exec` replaces the "
                                  f"shell, so the trap would no longer run")
        return OK


# ------------------------------------------------------------------------------------------
# shell form -> exec form
# ------------------------------------------------------------------------------------------

_STARTUP_FLAGS = re.compile(r"^-[a-zA-Z]*[li][a-zA-Z]*$")


def shell_is_plain(shell: Sequence[str]) -> bool:
    """``SHELL`` that adds nothing to a plain command: ``/bin/sh -c``, ``bash -o pipefail
    -c``; not ``bash -l -c`` (a login profile), ``bash -i``, nor ``conda run … -c``."""
    if not shell:
        return False
    if knowledge.SHELL_NAMES.get(knowledge.program_name(shell[0])) is None:
        return False
    return not any(_STARTUP_FLAGS.match(a) or a in ("--login", "--rcfile", "--init-file")
                   for a in shell[1:])


def shell_is_a_shell(shell: Sequence[str]) -> bool:
    return bool(shell) and knowledge.SHELL_NAMES.get(knowledge.program_name(shell[0])) \
        is not None


@dataclass(frozen=True)
class ExecFormFromShell(Change):
    """A shell-form command of ``stage`` becomes the exec form ``argv``."""

    stage: Stage
    argv: tuple[str, ...]

    def check(self, model: ImageModel) -> Verdict:
        shell = self.stage.effective_shell()
        if shell_is_plain(shell):
            return OK
        if list(self.argv[: len(shell)]) == shell:
            return OK  # it keeps the stage's SHELL
        return Verdict(unsafe=f"the stage's `SHELL {knowledge_json(shell)}` ran it before "
                              f"(a login profile or an environment that may put the program "
                              f"on PATH); exec form skips it")


def knowledge_json(argv: Sequence[str]) -> str:
    import json

    return "[" + ", ".join(json.dumps(a) for a in argv) + "]"


# ------------------------------------------------------------------------------------------
# a one-string program split into words
# ------------------------------------------------------------------------------------------

_ARGUMENT_LIKE = re.compile(r"^-|[:=/.@$]|^\d+$")


def created_in_image(model: ImageModel, name: str) -> str | None:
    """Where the build creates a file called ``name`` (a COPY/ADD, or a RUN that names it),
    or None."""
    base = posixpath.basename(name)
    for stage in model.stages:
        for ins in stage.instructions:
            if ins.keyword in ("COPY", "ADD", "RUN") and base in ins.args.replace("\\ ", " "):
                return f"line {ins.start_line} ({ins.keyword})"
    return None


@dataclass(frozen=True)
class SplitsProgram(Change):
    """The exec-form element ``program`` (one string with spaces) becomes its words."""

    program: str
    words: tuple[str, ...]

    def check(self, model: ImageModel) -> Verdict:
        where = created_in_image(model, self.program)
        if where is not None:
            return Verdict(refuse=f"a file named `{posixpath.basename(self.program)}` is "
                                  f"created at {where}: `{self.program}` can be a real program")
        if not any(_ARGUMENT_LIKE.search(w) for w in self.words[1:]):
            return Verdict(unsafe=f"`{self.program}` does not look like a command line (no "
                                  f"option or argument-like word): a program of that name, "
                                  f"spaces included, may exist in the base image")
        base = model.final.root_image
        if base is None or base.os is None:
            return Verdict(unsafe=f"entrylint does not know the base image, which may have a "
                                  f"program named `{self.program}`")
        return OK


# ------------------------------------------------------------------------------------------
# an init, by the path it really has
# ------------------------------------------------------------------------------------------


def path_dirs(stage: Stage) -> list[str]:
    """The directories of the stage's PATH; none when the model only assumed it (an ENV
    PATH=…:$PATH over a base image whose PATH is unknown): a safe fix relies on no
    assumption, so the init is then run by its absolute path."""
    if stage.path_assumed:
        return []
    path = stage.env.get("PATH") if "PATH" in stage.env else DEFAULT_PATH
    return [d.rstrip("/") or "/" for d in (path or "").split(":") if d]


@dataclass(frozen=True)
class RunsInit(Change):
    """The fix runs ``command`` (an init) in ``stage``, where the build puts it at
    ``installed_at`` (None: not known)."""

    stage: Stage
    command: str
    installed_at: str | None

    def check(self, model: ImageModel) -> Verdict:
        if self.installed_at is None:
            return Verdict(unsafe=f"entrylint cannot tell where the build installs "
                                  f"`{knowledge.program_name(self.command)}`, so `"
                                  f"{self.command}` may not be found")
        if "/" in self.command:
            if self.command != self.installed_at:
                return Verdict(refuse=f"`{self.command}` is not where the build puts it "
                                      f"({self.installed_at})")
            return OK
        directory = posixpath.dirname(self.installed_at)
        if (directory not in path_dirs(self.stage)
                or posixpath.basename(self.installed_at) != self.command):
            return Verdict(refuse=f"`{self.command}` is not on PATH: the build puts it at "
                                  f"{self.installed_at}")
        return OK


# ------------------------------------------------------------------------------------------
# a new ENTRYPOINT over the base image's
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewEntrypoint(Change):
    """The fix adds ``ENTRYPOINT argv`` to a stage whose ENTRYPOINT comes from ``base``."""

    base: BaseImage | None
    argv: tuple[str, ...]

    def check(self, model: ImageModel) -> Verdict:
        base = self.base
        if base is None:
            return OK  # built on a stage of this Dockerfile: that stage's ENTRYPOINT is known
        own = base.entrypoint_argv
        if own == ():
            return OK
        if own is None:
            return Verdict(unsafe=f"entrylint does not know the ENTRYPOINT of {base.ref} "
                                  f"({'; '.join(base.missing) or 'not in its table'}); a new "
                                  f"ENTRYPOINT replaces it")
        if self.argv[len(self.argv) - len(own):] == own:
            return OK
        return Verdict(unsafe=f"{base.ref} has its own ENTRYPOINT {knowledge_json(own)}, "
                              f"which a new ENTRYPOINT replaces")


# ------------------------------------------------------------------------------------------
# installing a package
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InstallsPackage(Change):
    """The fix installs ``package`` with ``manager`` (apt, apk) on ``base``."""

    base: BaseImage
    manager: str
    package: str

    def check(self, model: ImageModel) -> Verdict:
        base = self.base
        pm = base.package_manager
        if pm is None:
            return Verdict(unsafe=f"entrylint does not know the package manager of {base.ref}")
        if pm != self.manager:
            return Verdict(refuse=f"{base.ref} has no {self.manager} "
                                  f"({'no package manager' if pm == 'none' else pm})")
        if self.package == "tini":
            if base.tini_package is False:
                return Verdict(refuse=f"{base.described} has no tini package")
            if base.tini_package is None:
                return Verdict(unsafe=f"entrylint does not know whether {base.ref} has a tini "
                                      f"package ({'; '.join(base.missing)})")
        return OK


# ------------------------------------------------------------------------------------------
# rewriting an instruction
# ------------------------------------------------------------------------------------------


def comment_lines(model: ImageModel, ins: Instruction) -> list[str]:
    """The comment lines inside a ``\\``-continued instruction (BuildKit skips them)."""
    out = []
    for line in range(ins.start_line + 1, ins.end_line + 1):
        text = model.source.line_text(line)
        if text.lstrip().startswith("#"):
            out.append(text)
    return out


@dataclass(frozen=True)
class RewritesInstruction(Change):
    """The fix replaces the arguments of ``ins`` with ``edits``: every comment line inside
    it must be kept (moved above it)."""

    ins: Instruction
    edits: tuple[Edit, ...]

    def check(self, model: ImageModel) -> Verdict:
        kept = "".join(e.content for e in self.edits)
        lost = [c for c in comment_lines(model, self.ins) if c.strip() not in kept]
        if lost:
            return Verdict(refuse=f"the rewrite would drop the comment `{lost[0].strip()}`")
        return OK


# ------------------------------------------------------------------------------------------
# the gate
# ------------------------------------------------------------------------------------------


def offer(model: ImageModel, message: str, edits: Iterable[Edit], changes: Iterable[Change],
          *, unsafe: Iterable[str] = ()) -> Fix | None:
    """The fix, checked: None when a check refuses it; unsafe (with every reason in the
    message) when the builder or a check says so; else safe."""
    reasons = [r for r in unsafe if r]
    edits = tuple(edits)
    repo = next((s.from_repo for s in model.final.chain() if s.from_repo is not None), None)
    if repo is not None and any(e.path == model.source.path for e in edits):
        # the tables' facts are of that Dockerfile's base; the image by that name is
        # whatever was last built and tagged so, maybe with other build arguments
        reasons.append(f"{repo}, and the image by that name may not be what it builds today")
    for change in changes:
        verdict = change.check(model)
        if verdict.refuse is not None:
            return None
        if verdict.unsafe is not None and verdict.unsafe not in reasons:
            reasons.append(verdict.unsafe)
    if reasons:
        return Fix(f"{message} (unsafe: {'; '.join(reasons)})", edits, Applicability.UNSAFE)
    return Fix(message, edits, Applicability.SAFE)


def why_refused(model: ImageModel, changes: Iterable[Change]) -> str | None:
    """The first refusal among ``changes`` (for a note when no fix is offered)."""
    for change in changes:
        verdict = change.check(model)
        if verdict.refuse is not None:
            return verdict.refuse
    return None
