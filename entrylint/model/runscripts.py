"""The build-context scripts that ``RUN`` instructions execute (``RUN /build/packages.sh``,
``RUN bash ./install.sh``): their text tells what the image installs, as the RUN's own text
does.  Resolved in the image's filesystem as it is when the RUN runs (a later ``rm`` does not
hide it)."""

from __future__ import annotations

import posixpath
import re

from entrylint.dockerfile import Instruction
from entrylint.model.context import BuildContext
from entrylint.model.imagefs import ContextFile
from entrylint.model.stages import Stage
from entrylint.source import SourceError

_WORD = re.compile(r"[^\s;&|()<>'\"`]+")
#: Scripts read per image at most (each is one file read).
MAX_RUN_SCRIPTS = 20


def run_scripts(final: Stage, context: BuildContext) -> list[tuple[Instruction, str]]:
    """(RUN, the text of a build-context script it runs) for the stages ``final`` builds on."""
    out: list[tuple[Instruction, str]] = []
    for stage in final.chain():
        for ins in stage.all_of("RUN"):
            for word in _WORD.findall(ins.args):
                if not (word.endswith((".sh", ".bash")) or word.startswith(("/", "./"))):
                    continue
                path = posixpath.normpath(posixpath.join(stage.workdir, word))
                upto = sum(1 for w in stage.fs.writes
                           if w.instruction is not None and w.instruction.start < ins.start)
                real, got = stage.fs.resolve(path, upto)
                if not isinstance(got, ContextFile) or real == "/":
                    continue
                read = context.read(got.path)
                if isinstance(read, SourceError):
                    continue
                out.append((ins, read.text))
                if len(out) >= MAX_RUN_SCRIPTS:
                    return out
    return out
