"""Run a fixture's start-up as PID 1 before and after ``--fix``: the test-only parts.

The PID namespace itself is :mod:`entrylint.pidns` (the runner behind ``entrylint probe``):
it starts PID 1, signals it, waits for it, and finds the namespace's zombies.  This module only
adds what the fixer tests need on top of it:

* :func:`container_command` maps an image model's start-up onto a temporary directory: the
  scripts the model follows (files or heredocs) are written under ``root/<container path>``,
  the stand-in app is installed as ``root/usr/local/bin/<name>`` and ``root/usr/bin/<name>``,
  the container's PATH is mapped into ``root`` (the host's PATH after it, for ``/bin/sh`` and
  Debian's ``tini``), and argv words that name a file under ``root`` are rewritten to it;
* :data:`STANDIN`, a stand-in server that makes orphans of its own (grandchildren that exit
  after 0.1 s: zombies unless PID 1 reaps them), says READY and records a SIGTERM (and, with
  ``PID1_GRACEFUL=QUIT``, a graceful stop on SIGQUIT, as nginx does);
* :class:`StandinRun`, a :class:`~entrylint.pidns.Pid1Process` plus that record, with the
  ``docker stop`` sequence::

    with run_pid1(argv, env=..., cwd=..., record=path, output=log) as run:
        run.wait_ready()      # the stand-in said READY and its orphans have exited
        run.zombies()         # zombies left once PID 1 had a moment to reap them
        run.docker_stop(2.0)  # SIGTERM, grace, SIGKILL: seconds PID 1 took, or None
        run.got_term()        # did the stand-in record a SIGTERM?

:func:`pid_namespaces_available` gives the reason to skip when this host cannot make PID
namespaces (it is :mod:`entrylint.pidns`'s own diagnosis).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO

from entrylint.rules.el112_script_cannot_start import executable_in_image

from entrylint import pidns
from entrylint.model import DEFAULT_PATH, ImageModel

STANDIN = """#!{python} -u
# Stand-in for a server: makes orphans that exit (zombies unless reaped), records SIGTERM.
import os, signal, sys, time
record = os.environ["PID1_RECORD"]
name = os.path.basename(sys.argv[0])

def log(line):
    with open(record, "a") as fh:
        fh.write(line + "\\n")

def on_term(signum, frame):
    log(f"TERM {{name}} pid={{os.getpid()}}")
    sys.exit(0)

signal.signal(signal.SIGTERM, on_term)
graceful = os.environ.get("PID1_GRACEFUL")  # like nginx: SIGTERM is fast, SIGQUIT graceful

def on_graceful(signum, frame):
    log(f"GRACEFUL {{name}} pid={{os.getpid()}}")
    sys.exit(0)

if graceful:
    signal.signal(getattr(signal, "SIG" + graceful), on_graceful)
if "--once" in sys.argv:
    log(f"RAN {{name}} {{' '.join(sys.argv[1:])}}")
    sys.exit(0)
orphans = []
for _ in range(int(os.environ.get("PID1_ORPHANS", "3"))):
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        grandchild = os.fork()
        if grandchild == 0:
            time.sleep(0.1)
            os._exit(0)
        os.write(w, str(grandchild).encode())
        os._exit(0)
    os.close(w)
    orphans.append(os.read(r, 32).decode())
    os.close(r)
    os.waitpid(child, 0)
log(f"READY {{name}} pid={{os.getpid()}} orphans={{','.join(orphans)}} args={{' '.join(sys.argv[1:])}}")
while True:
    signal.pause()
"""


def pid_namespaces_available() -> str | None:
    """None when PID namespaces work here, else the reason to skip (from entrylint.pidns)."""
    try:
        pidns.namespace_mode()
    except pidns.ProbeUnavailable as exc:
        return f"needs PID namespaces (root or user namespaces; CI runs as root): {exc}"
    return None


class StandinRun:
    """A start-up running as PID 1 (``p1``) whose stand-in app logs to ``record``."""

    def __init__(self, p1: pidns.Pid1Process, record: Path) -> None:
        self.p1 = p1
        self.record = record

    def lines(self) -> list[str]:
        try:
            return self.record.read_text().splitlines()
        except FileNotFoundError:
            return []

    def _ready(self) -> str | None:
        return next((line for line in self.lines() if line.startswith("READY")), None)

    def wait_ready(self, timeout: float = 5.0) -> bool:
        """Wait for the app's READY line, then for its orphans to have exited.

        False when the app never said READY (PID 1 exited first, or ``timeout`` passed).
        """
        deadline = time.monotonic() + timeout
        while (ready := self._ready()) is None:
            if not self.p1.is_running():
                ready = self._ready()
                if ready is None:
                    return False
                break
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        words = dict(w.split("=", 1) for w in ready.split() if "=" in w)
        ns_pids = {int(x) for x in words.get("orphans", "").split(",") if x}
        by_ns = {p.ns_pid: p.host_pid for p in self.p1.processes()}
        # an orphan missing here is already reaped
        host_pids = [by_ns[n] for n in ns_pids if n in by_ns]
        if not self.p1.wait_exited(host_pids, max(1.0, deadline - time.monotonic())):
            raise AssertionError(f"the stand-in's orphans did not exit: {self.p1.processes()}")
        return True

    def zombies(self, settle: float = 0.5) -> int:
        """Zombies in the namespace once PID 1 had up to ``settle`` seconds to reap them."""
        deadline = time.monotonic() + settle
        while True:
            count = len(self.p1.zombies())
            if count == 0 or time.monotonic() >= deadline:
                return count
            time.sleep(0.01)

    def docker_stop(self, grace: float = 2.0, sig: int = signal.SIGTERM) -> float | None:
        """``docker stop -t GRACE``: ``sig`` to PID 1, then SIGKILL if it is still running
        after ``grace`` seconds.  Seconds PID 1 took to exit (0.0: it had already exited), or
        None when it had to be killed."""
        if not self.p1.is_running():
            return 0.0
        start = time.monotonic()
        self.p1.send_signal(sig)
        if self.p1.wait(grace) is None:
            self.p1.kill()
            return None
        return time.monotonic() - start

    def got_term(self) -> bool:
        """The stand-in got the stop signal: SIGTERM, or its graceful-stop signal."""
        return any(line.startswith(("TERM", "GRACEFUL")) for line in self.lines())

    def stopped_gracefully(self) -> bool:
        """The stand-in got its graceful-stop signal (``PID1_GRACEFUL``), not SIGTERM."""
        return any(line.startswith("GRACEFUL") for line in self.lines())


@contextlib.contextmanager
def run_pid1(argv: list[str], *, env: Mapping[str, str], cwd: Path, record: Path,
             output: IO[bytes] | None = None) -> Iterator[StandinRun]:
    """Start ``argv`` as PID 1 of a new PID namespace (:func:`entrylint.pidns.start_pid1`),
    its stdout and stderr to ``output`` (default: discarded); the stand-in records to
    ``record``.  The namespace is killed on leaving the block.

    Raises :class:`entrylint.pidns.CommandExited` when the start-up exits at once.
    """
    p1 = pidns.start_pid1(
        argv, cwd=cwd, env={**env, "PID1_RECORD": str(record)},
        stdout=output if output is not None else subprocess.DEVNULL, stderr=subprocess.STDOUT,
    )
    with p1:
        yield StandinRun(p1, record)


def install_standin(directory: Path, name: str = "app") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(STANDIN.format(python=sys.executable))
    path.chmod(0o755)
    return path


def container_command(model: ImageModel, root: Path, standins: tuple[str, ...] = ("app",),
                      *, files: Mapping[str, Path] | None = None, host_path: bool = True
                      ) -> tuple[list[str], dict[str, str], Path]:
    """(argv, env, cwd) that run the model's start-up with ``root`` standing in for the
    container's file system.  ``files`` puts host files at container paths (what a RUN or an
    ADD of a URL would have put there); without ``host_path`` the host's PATH is not appended
    to the container's, so a program the image does not have is not found."""
    argv = model.start_argv
    if argv is None:
        raise ValueError("the image's start-up is not known")
    for script in model.scripts:
        dest = root / script.container_path.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(script.shell.data)
        # the mode it has in the image: a 0644 script cannot start, even for root
        dest.chmod(0o755 if executable_in_image(model, script) else 0o644)
    for name in standins:
        install_standin(root / "usr/local/bin", name)
        install_standin(root / "usr/bin", name)
    base = model.final.root_image
    if base is not None and base.entrypoint == "exec-wrapper" and base.entrypoint_argv:
        # the base image's entrypoint script (kept behind an init by the EL104 fix): a
        # stand-in that does what the table says it ends in, `exec "$@"`
        script = base.entrypoint_argv[0]
        dest = root / (script.lstrip("/") if "/" in script else f"usr/local/bin/{script}")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_text('#!/bin/sh\nexec "$@"\n')
        dest.chmod(0o755)
    for cpath, host in (files or {}).items():
        dest = root / cpath.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(host.read_bytes())
        dest.chmod(0o755)
    stage = model.final
    container_path = stage.env.get("PATH") or DEFAULT_PATH
    mapped = [str(root / d.lstrip("/")) for d in container_path.split(":") if d.startswith("/")]
    env = {k: v for k, v in stage.env.items() if v is not None and k != "PATH"}
    env["PATH"] = ":".join([*mapped, *([os.environ.get("PATH", DEFAULT_PATH)]
                                       if host_path else [])])
    out = []
    for word in argv:
        if word.startswith("/") and (root / word.lstrip("/")).is_file():
            out.append(str(root / word.lstrip("/")))
        else:
            out.append(word)
    cwd = root / stage.workdir.lstrip("/")
    cwd.mkdir(parents=True, exist_ok=True)
    return out, env, cwd
