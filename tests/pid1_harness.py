"""Run a command as PID 1 of a fresh PID namespace, the way a container runtime does.

A private stand-in for ``entrylint.pidns`` (being written on another branch); the API is kept
small so the tests can switch to it:

    with run_pid1(argv, env=..., cwd=..., record=path) as p:
        p.wait_ready()        # the stand-in app has started (and made its orphans)
        p.zombies()           # zombie processes in the namespace
        p.pid1_name()         # comm of PID 1: "tini", "sh", "app", ...
        p.terminate(2.0)      # SIGTERM to PID 1 (as `docker stop`); seconds to exit, or None
        p.got_term()          # did the app record a SIGTERM?

``unshare --pid --fork --mount-proc`` needs root (or user namespaces).  PID 1 of the new
namespace is unshare's child; signals are sent to it from outside, so the kernel applies the
PID-1 rule (a signal without a handler is dropped), exactly as with ``docker stop``.

:func:`container_command` maps an image model's start-up onto a temporary directory: the
scripts the model follows (files or heredocs) are written under ``root/<container path>``, the
stand-in app is installed as ``root/usr/local/bin/<name>`` and ``root/usr/bin/<name>``, the
container's PATH is mapped into ``root`` (the host's PATH after it, for ``/bin/sh`` and
Debian's ``tini``), and argv words that name a file under ``root`` are rewritten to it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from entrylint.model import DEFAULT_PATH, ImageModel

STANDIN = """#!{python} -u
# Stand-in for a server: records SIGTERM, makes orphans that exit (zombies unless reaped).
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
if "--once" in sys.argv:
    log(f"RAN {{name}} {{' '.join(sys.argv[1:])}}")
    sys.exit(0)
for _ in range(int(os.environ.get("PID1_ORPHANS", "3"))):
    child = os.fork()
    if child == 0:
        if os.fork() == 0:
            time.sleep(0.1)
            os._exit(0)
        os._exit(0)
    os.waitpid(child, 0)
log(f"READY {{name}} pid={{os.getpid()}} args={{' '.join(sys.argv[1:])}}")
while True:
    signal.pause()
"""


def pid_namespaces_available() -> str | None:
    """None when PID namespaces work here, else the reason to skip."""
    if os.geteuid() != 0:
        return "needs root for PID namespaces; CI runs as root"
    if shutil.which("unshare") is None:
        return "needs util-linux unshare"
    try:
        subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "true"], check=True,
                       capture_output=True, timeout=10)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"PID namespaces are not available here ({exc})"
    return None


class Pid1:
    def __init__(self, proc: subprocess.Popen[bytes], record: Path) -> None:
        self.proc = proc
        self.record = record
        self.pid = self._find_init()

    def _find_init(self) -> int | None:
        """Host PID of the namespace's PID 1 (None: it already exited)."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                kids = children.read_text().split()
                if kids:
                    return int(kids[0])
            if self.proc.poll() is not None:
                return None
            time.sleep(0.01)
        raise RuntimeError("PID 1 of the namespace did not appear")

    def output(self) -> str:
        out = self.proc.stdout.read() if self.proc.stdout and self.proc.poll() is not None \
            else b""
        return out.decode(errors="replace")

    def lines(self) -> list[str]:
        try:
            return self.record.read_text().splitlines()
        except FileNotFoundError:
            return []

    def wait_ready(self, timeout: float = 5.0) -> bool:
        """Wait for the app's READY line, then for its orphans to have exited."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(line.startswith("READY") for line in self.lines()):
                time.sleep(0.5)  # the orphans exit 0.1 s after they are made
                return True
            if self.proc.poll() is not None:
                return any(line.startswith("READY") for line in self.lines())
            time.sleep(0.02)
        return False

    def alive(self) -> bool:
        return self.proc.poll() is None

    def pid1_name(self) -> str:
        if self.pid is None:
            return ""
        try:
            return Path(f"/proc/{self.pid}/comm").read_text().strip()
        except OSError:
            return ""

    def _namespace(self) -> str:
        return os.readlink(f"/proc/{self.pid}/ns/pid")

    def zombies(self) -> int:
        """Zombie processes in the namespace."""
        if self.pid is None:
            return 0
        ns = self._namespace()
        count = 0
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                if os.readlink(entry / "ns" / "pid") != ns:
                    continue
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields and fields[0] == "Z":
                count += 1
        return count

    def terminate(self, timeout: float = 2.0, sig: int = signal.SIGTERM) -> float | None:
        """Send ``sig`` to PID 1 (as ``docker stop``); seconds until the namespace is gone, or
        None if it is still running after ``timeout``."""
        start = time.monotonic()
        if self.pid is None or self.proc.poll() is not None:
            return 0.0
        os.kill(self.pid, sig)
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        return time.monotonic() - start

    def got_term(self) -> bool:
        return any(line.startswith("TERM") for line in self.lines())

    def kill(self) -> None:
        if self.proc.poll() is None and self.pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGKILL)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@contextlib.contextmanager
def run_pid1(argv: list[str], *, env: dict[str, str], cwd: Path, record: Path
             ) -> Iterator[Pid1]:
    """Start ``argv`` as PID 1 of a new PID namespace; killed on exit from the block."""
    proc = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", "--", *argv],
                            env={**env, "PID1_RECORD": str(record)}, cwd=cwd,
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    p = Pid1(proc, record)
    try:
        yield p
    finally:
        p.kill()
        if proc.stdout is not None:
            proc.stdout.close()


def install_standin(directory: Path, name: str = "app") -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(STANDIN.format(python=sys.executable))
    path.chmod(0o755)
    return path


def container_command(model: ImageModel, root: Path, standins: tuple[str, ...] = ("app",)
                      ) -> tuple[list[str], dict[str, str], Path]:
    """(argv, env, cwd) that run the model's start-up with ``root`` standing in for the
    container's file system."""
    argv = model.start_argv
    if argv is None:
        raise ValueError("the image's start-up is not known")
    for script in model.scripts:
        dest = root / script.container_path.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(script.shell.data)
        dest.chmod(0o755)
    for name in standins:
        install_standin(root / "usr/local/bin", name)
        install_standin(root / "usr/bin", name)
    stage = model.final
    container_path = stage.env.get("PATH") or DEFAULT_PATH
    mapped = [str(root / d.lstrip("/")) for d in container_path.split(":") if d.startswith("/")]
    env = {k: v for k, v in stage.env.items() if v is not None and k != "PATH"}
    env["PATH"] = ":".join([*mapped, os.environ.get("PATH", DEFAULT_PATH)])
    out = []
    for word in argv:
        if word.startswith("/") and (root / word.lstrip("/")).is_file():
            out.append(str(root / word.lstrip("/")))
        else:
            out.append(word)
    cwd = root / stage.workdir.lstrip("/")
    cwd.mkdir(parents=True, exist_ok=True)
    return out, env, cwd
