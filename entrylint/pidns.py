"""Run a command as PID 1 of a fresh PID namespace, the way a container runtime does.

One runner, reused by ``entrylint probe`` and by tests that need a real PID 1::

    with start_pid1(["python3", "app.py"]) as p1:
        p1.inject_orphans(3)
        ...
        p1.send_signal(signal.SIGTERM)
        code = p1.wait(timeout=10)

The namespace is made by util-linux ``unshare --pid --fork --mount-proc`` (a private mount
namespace with its own ``/proc``).  As root that needs nothing else; otherwise a user namespace
is added (``--user --map-root-user``) when the kernel allows unprivileged ones.  When neither
works, :class:`ProbeUnavailable` says what is missing.

Processes of the namespace are found from the host's ``/proc``: every process whose
``/proc/<pid>/ns/pid`` link names the namespace of our PID 1.  The host pid we spawn is
``unshare`` itself; PID 1 of the namespace is its child (``NSpid`` ends in ``1``).

Only Linux is supported; nothing here runs on import, so importing is safe anywhere.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Literal

__all__ = [
    "CommandExited",
    "CommandNotFound",
    "NsProcess",
    "Pid1Process",
    "ProbeError",
    "ProbeUnavailable",
    "Stdio",
    "can_probe",
    "exit_status_supported",
    "namespace_mode",
    "pidfd_exit_status",
    "process_flags",
    "start_pid1",
]

Mode = Literal["root", "userns"]
#: What a standard stream of PID 1 is connected to: like ``subprocess``.
Stdio = int | IO[bytes] | IO[str] | None

_POLL = 0.005  # seconds between two looks at /proc
_START_TIMEOUT = 10.0  # seconds for unshare to fork and exec the command


class ProbeError(Exception):
    """Running the command as PID 1 went wrong (message is meant for the user)."""


class ProbeUnavailable(ProbeError):
    """This host cannot make PID namespaces for us; the message says what is missing."""


class CommandNotFound(ProbeError):
    """The command to run as PID 1 is not an executable file."""


class CommandExited(ProbeError):
    """The command exited before it could be probed."""

    def __init__(self, message: str, returncode: int) -> None:
        super().__init__(message)
        self.returncode = returncode


@dataclass(frozen=True)
class NsProcess:
    """A process of the namespace, seen from the host."""

    host_pid: int
    #: pid inside the namespace (1 for PID 1)
    ns_pid: int
    #: host pid of the parent; 0 when the parent is outside our view
    host_ppid: int
    #: one-letter state from /proc/<pid>/status: R, S, D, Z, T, ...
    state: str
    name: str

    @property
    def is_zombie(self) -> bool:
        return self.state in ("Z", "X")


# ----------------------------------------------------------------------------------------------
# /proc helpers (all tolerant of processes vanishing under us)
# ----------------------------------------------------------------------------------------------


def _ns_link(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def _read_status(pid: int) -> dict[str, str] | None:
    try:
        text = Path(f"/proc/{pid}/status").read_text(errors="replace")
    except OSError:
        return None
    fields: dict[str, str] = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            fields[key] = value.strip()
    return fields


def _ns_process(pid: int) -> NsProcess | None:
    st = _read_status(pid)
    if st is None:
        return None
    nspids = st.get("NSpid", "").split()
    try:
        return NsProcess(
            host_pid=pid,
            ns_pid=int(nspids[-1]) if nspids else pid,
            host_ppid=int(st.get("PPid", "0")),
            state=(st.get("State", "?") or "?")[0],
            name=st.get("Name", "?"),
        )
    except ValueError:
        return None


def _all_pids() -> Iterator[int]:
    try:
        names = os.listdir("/proc")
    except OSError:
        return
    for name in names:
        if name.isdigit():
            yield int(name)


def _children(pid: int) -> list[int]:
    """Host pids whose parent is ``pid`` (no CONFIG_PROC_CHILDREN needed)."""
    kids: list[int] = []
    for task in _safe_listdir(f"/proc/{pid}/task"):
        try:
            kids += [int(k) for k in Path(f"/proc/{pid}/task/{task}/children").read_text().split()]
        except (OSError, ValueError):
            kids = []
            break
    else:
        if kids:
            return kids
    for other in _all_pids():
        st = _read_status(other)
        if st is not None and st.get("PPid") == str(pid):
            kids.append(other)
    return kids


def _safe_listdir(path: str) -> list[str]:
    try:
        return os.listdir(path)
    except OSError:
        return []


def process_flags(pid: int) -> int | None:
    """The kernel's ``PF_*`` flags of ``pid`` (field 9 of ``/proc/<pid>/stat``), or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text(errors="replace")
    except OSError:
        return None
    fields = text.rpartition(")")[2].split()  # the name (field 2) may hold blanks and ")"
    try:
        return int(fields[6])  # fields[0] is field 3 (state)
    except (IndexError, ValueError):
        return None


#: ``PF_EXITING``: the process has started to exit (``do_exit``).
PF_EXITING = 0x4

# PIDFD_GET_INFO (Linux 6.13) and its PIDFD_INFO_EXIT (6.15): the exit status of a process
# that is not our child, kept by the kernel for anyone holding a pidfd opened before the
# process was reaped.  struct pidfd_info: u64 mask at offset 0, s32 exit_code at offset 60;
# 64 bytes is PIDFD_INFO_SIZE_VER0, the smallest size the kernel accepts.
_PIDFD_INFO_SIZE = 64
_PIDFD_GET_INFO = (3 << 30) | (_PIDFD_INFO_SIZE << 16) | (0xFF << 8) | 11  # _IOWR(0xFF, 11, …)
_PIDFD_INFO_EXIT = 0x8
_PIDFD_EXIT_CODE_OFFSET = 60


def pidfd_exit_status(fd: int) -> int | None:
    """The wait status (as ``os.waitpid`` gives it) of the process behind pidfd ``fd``.

    None while the process has not been reaped yet, and always on kernels older than 6.15
    (see :func:`exit_status_supported`).  The pidfd must have been opened before the
    process was reaped.
    """
    import fcntl
    import struct

    buf = bytearray(_PIDFD_INFO_SIZE)
    struct.pack_into("=Q", buf, 0, _PIDFD_INFO_EXIT)
    try:
        fcntl.ioctl(fd, _PIDFD_GET_INFO, buf)
    except OSError:
        return None
    (mask,) = struct.unpack_from("=Q", buf, 0)
    if not mask & _PIDFD_INFO_EXIT:
        return None
    (status,) = struct.unpack_from("=i", buf, _PIDFD_EXIT_CODE_OFFSET)
    return int(status)


@functools.lru_cache(maxsize=1)
def exit_status_supported() -> bool:
    """True when :func:`pidfd_exit_status` works here (Linux 6.15+): tried on a child."""
    if not hasattr(os, "pidfd_open"):
        return False
    try:
        child = subprocess.Popen(
            [sys.executable, "-c", ""], stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
    except OSError:
        return False
    try:
        fd = os.pidfd_open(child.pid)
    except OSError:
        child.wait()
        return False
    try:
        child.wait()
        return pidfd_exit_status(fd) == 0
    finally:
        os.close(fd)


def _exe(pid: int) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return None


# ----------------------------------------------------------------------------------------------
# Can we make namespaces here?
# ----------------------------------------------------------------------------------------------


def _try_unshare(args: list[str]) -> str | None:
    """Run ``unshare ARGS true``; None when it worked, else its complaint."""
    try:
        done = subprocess.run(
            [*args, "true"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if done.returncode == 0:
        return None
    return done.stderr.strip() or f"exit status {done.returncode}"


@functools.lru_cache(maxsize=1)
def _detect() -> tuple[Mode | None, str]:
    if not sys.platform.startswith("linux"):
        return None, f"PID namespaces need Linux; this is {sys.platform}"
    if not os.path.exists("/proc/self/ns/pid"):
        return None, "/proc/self/ns/pid is missing: no PID namespace support or /proc not mounted"
    unshare = shutil.which("unshare")
    if unshare is None:
        return None, "the `unshare` program (util-linux) is not installed"
    base = [unshare, "--pid", "--fork", "--mount-proc"]
    problems: list[str] = []
    if os.geteuid() == 0:
        err = _try_unshare(base)
        if err is None:
            return "root", ""
        problems.append(f"as root: {err} (the container may lack CAP_SYS_ADMIN)")
    err = _try_unshare([unshare, "--user", "--map-root-user", *base[1:]])
    if err is None:
        return "userns", ""
    problems.append(f"in a user namespace: {err} (unprivileged user namespaces are disabled?)")
    return None, "cannot create a PID namespace: " + "; ".join(problems)


def namespace_mode() -> Mode:
    """``"root"`` or ``"userns"``: how PID namespaces are made here; raises ProbeUnavailable."""
    mode, why = _detect()
    if mode is None:
        raise ProbeUnavailable(why)
    return mode


def can_probe() -> bool:
    """True when this host can run a command as PID 1 of a new PID namespace."""
    return _detect()[0] is not None


# ----------------------------------------------------------------------------------------------
# The runner
# ----------------------------------------------------------------------------------------------

#: Run by ``sh`` inside the namespace by inject_orphans: start one ``sleep`` per lifetime in
#: the background, print its pid (as the namespace sees it), exit at once.  Each ``sleep`` is
#: then an orphan of PID 1 that exits after its lifetime.  sh + sleep, not Python: any
#: interpreter path may be unreachable from inside a user namespace.
_ORPHAN_MAKER = 'for t in "$@"; do sleep "$t" </dev/null >/dev/null 2>&1 & echo $!; done'

#: Python >= 3.12 without nsenter: join the namespace with os.setns; our children land in it.
_SETNS_INJECTOR = r"""
import os, sys
fd = os.open(f"/proc/{sys.argv[1]}/ns/pid", os.O_RDONLY)
os.setns(fd, os.CLONE_NEWPID)
pid = os.fork()
if pid == 0:
    os.execvp(sys.argv[2], sys.argv[2:])
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""


class Pid1Process:
    """A command running as PID 1 of its own PID (and mount) namespace.

    Create it with :func:`start_pid1`.  Use it as a context manager, or call :meth:`kill`:
    the namespace and everything in it is gone when either returns.
    """

    def __init__(
        self, launcher: subprocess.Popen[bytes], host_pid: int, namespace: str, mode: Mode
    ) -> None:
        self._launcher = launcher
        self._host_pid = host_pid
        self._ns = namespace
        self._mode = mode

    # -- identity -------------------------------------------------------------------------

    @property
    def host_pid(self) -> int:
        """The host pid of the namespace's PID 1 (not of ``unshare``)."""
        return self._host_pid

    @property
    def launcher_pid(self) -> int:
        """The host pid of ``unshare``, PID 1's parent outside the namespace."""
        return self._launcher.pid

    @property
    def namespace(self) -> str:
        """The namespace's identity as ``readlink /proc/PID/ns/pid`` shows it (``pid:[…]``)."""
        return self._ns

    @property
    def mode(self) -> Mode:
        """How the namespace was made: as ``root`` or in a user namespace (``userns``)."""
        return self._mode

    @property
    def stdout(self) -> IO[bytes] | None:
        """PID 1's stdout when started with ``stdout=subprocess.PIPE`` (else None)."""
        return self._launcher.stdout

    # -- looking --------------------------------------------------------------------------

    def processes(self) -> list[NsProcess]:
        """Every process of the namespace, zombies included, PID 1 first."""
        found = []
        for pid in _all_pids():
            if _ns_link(pid) == self._ns:
                proc = _ns_process(pid)
                # recheck: the pid may have been reused between the two reads
                if proc is not None and _ns_link(pid) == self._ns:
                    found.append(proc)
        found.sort(key=lambda p: p.ns_pid)
        return found

    def zombies(self) -> list[NsProcess]:
        """Processes of the namespace that exited and were not reaped."""
        return [p for p in self.processes() if p.is_zombie and p.host_pid != self._host_pid]

    def process(self, host_pid: int) -> NsProcess | None:
        """One process of the namespace by host pid, or None when it is gone (reaped)."""
        if _ns_link(host_pid) != self._ns:
            return None
        return _ns_process(host_pid)

    def pidfd(self, host_pid: int) -> int | None:
        """A pidfd (``os.pidfd_open``) for a process of the namespace; None if it is gone.

        The caller closes it.  Holding it lets :func:`pidfd_exit_status` tell, once the
        process is reaped, how it ended, even though it is not our child.
        """
        if not hasattr(os, "pidfd_open"):
            return None
        try:
            fd = os.pidfd_open(host_pid)
        except OSError:
            return None
        if _ns_link(host_pid) != self._ns:  # the pid was reused before we opened it
            os.close(fd)
            return None
        return fd

    def is_running(self) -> bool:
        """True while PID 1 has not exited."""
        if self._launcher.poll() is not None:
            return False
        proc = self.process(self._host_pid)
        return proc is not None and not proc.is_zombie

    @property
    def returncode(self) -> int | None:
        """PID 1's exit status like ``Popen.returncode`` (``-N`` when killed by signal N)."""
        return self._launcher.poll()

    # -- acting ---------------------------------------------------------------------------

    def send_signal(self, sig: int | signal.Signals) -> None:
        """Send ``sig`` to PID 1 (as ``docker stop``/``docker kill`` do). No-op once it exited."""
        if self._launcher.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self._host_pid, int(sig))

    def wait(self, timeout: float | None = None) -> int | None:
        """Wait for PID 1 to exit; its status (see :attr:`returncode`), or None on timeout.

        When PID 1 exits the kernel kills the rest of the namespace.
        """
        try:
            return self._launcher.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def wait_exited(self, host_pids: Iterable[int], timeout: float) -> bool:
        """Wait until each of ``host_pids`` has exited; True if all did within ``timeout``.

        For processes of this namespace, such as the orphans of :meth:`inject_orphans` or
        ones an app made itself: exited means a zombie (not reaped yet) or gone (reaped).  A
        pid that is not, or no longer, in the namespace counts as exited.  Whether PID 1 then
        reaps them is for :meth:`zombies` to show.
        """
        pending = set(host_pids)
        deadline = time.monotonic() + timeout
        while True:
            pending = {pid for pid in pending
                       if (proc := self.process(pid)) is not None and not proc.is_zombie}
            if not pending:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL)

    def wait_empty(self, timeout: float) -> bool:
        """Wait until PID 1 exited and no process of the namespace is left; True if so."""
        deadline = time.monotonic() + timeout
        if self.wait(timeout) is None:
            return False
        while True:
            if not any(_ns_link(pid) == self._ns for pid in _all_pids()):
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL)

    def kill(self) -> None:
        """SIGKILL PID 1 (the kernel then kills the whole namespace) and ``unshare``; reap.

        Idempotent; safe to call at any time.
        """
        with contextlib.suppress(ProcessLookupError):
            if self._launcher.poll() is None:
                os.kill(self._host_pid, signal.SIGKILL)
        try:
            self._launcher.wait(5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self._launcher.pid, signal.SIGKILL)
            self._launcher.wait(5)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            # anything unshare left in its session (only this run's processes are there)
            os.killpg(self._launcher.pid, signal.SIGKILL)
        self.wait_empty(5)

    def inject_orphans(self, n: int, lifetimes: Sequence[float] = (0.1,)) -> list[int]:
        """Make ``n`` orphans in the namespace; their host pids.

        A shell enters the namespace (``nsenter``), starts ``n`` background ``sleep``s and
        exits at once, so they are reparented to PID 1.  The i-th lives ``lifetimes[i % len]``
        seconds and exits: reaping it is PID 1's duty.  Returned pids may already be gone when
        PID 1 reaps quickly.
        """
        if n <= 0:
            return []
        if not lifetimes or any(t < 0 for t in lifetimes):
            raise ValueError("lifetimes must be non-negative and not empty")
        if self._launcher.poll() is not None:
            raise ProbeError("PID 1 has exited: cannot inject orphans")
        times = [f"{lifetimes[i % len(lifetimes)]:g}" for i in range(n)]
        maker = ["sh", "-c", _ORPHAN_MAKER, "sh", *times]
        nsenter = shutil.which("nsenter")
        if nsenter is not None:
            cmd = [nsenter, "--target", str(self._host_pid), "--pid", "--mount"]
            if self._mode == "userns":
                cmd += ["--user", "--preserve-credentials"]
            cmd += maker
        elif hasattr(os, "setns") and self._mode == "root":
            cmd = [sys.executable, "-c", _SETNS_INJECTOR, str(self._host_pid), *maker]
        else:
            raise ProbeUnavailable(
                "cannot enter the namespace: `nsenter` (util-linux) is not installed"
                + ("" if hasattr(os, "setns") else " and this Python has no os.setns (3.12+)")
            )
        try:
            done = subprocess.run(
                cmd, capture_output=True, text=True, timeout=10, check=False,
                stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ProbeError(f"could not inject orphans: {exc}") from exc
        if done.returncode != 0:
            raise ProbeError(f"could not inject orphans: {done.stderr.strip()}")
        ns_pids = {int(x) for x in done.stdout.split()}
        by_ns = {p.ns_pid: p.host_pid for p in self.processes()}
        return [by_ns[x] for x in sorted(ns_pids) if x in by_ns]

    # -- context manager ------------------------------------------------------------------

    def __enter__(self) -> Pid1Process:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.kill()

    def __repr__(self) -> str:
        return (f"<Pid1Process host_pid={self._host_pid} launcher={self._launcher.pid} "
                f"{self._ns} returncode={self.returncode}>")


def _resolve(argv0: str, cwd: Path | None, env: Mapping[str, str] | None) -> str:
    if "/" in argv0:
        path = Path(argv0) if cwd is None or os.path.isabs(argv0) else cwd / argv0
        if path.is_file() and os.access(path, os.X_OK):
            return argv0
        raise CommandNotFound(f"{argv0}: not an executable file")
    path_var = (env if env is not None else os.environ).get("PATH", os.defpath)
    found = shutil.which(argv0, path=path_var)
    if found is None:
        raise CommandNotFound(f"{argv0}: command not found in PATH")
    return found


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes ``unshare`` get SIGKILL when this process dies, however it
    dies (SIGTERM, SIGHUP, SIGKILL): unshare's ``--kill-child`` then kills PID 1, and the
    kernel the rest of the namespace.  Without it, a probe killed mid-run left unshare and the
    namespace running (they are in their own session, away from the terminal's SIGHUP)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        prctl = libc.prctl
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def preexec() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before the line above
            os._exit(1)

    return preexec


def start_pid1(
    argv: Sequence[str],
    cwd: str | os.PathLike[str] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    stdin: Stdio = subprocess.DEVNULL,
    stdout: Stdio = None,
    stderr: Stdio = None,
) -> Pid1Process:
    """Start ``argv`` as PID 1 of a new PID + mount namespace (own ``/proc``).

    Returns once the command has been exec'd as PID 1.  ``cwd``/``env`` as for ``Popen``;
    ``argv[0]`` is looked up in ``env``'s PATH.  Raises :class:`ProbeUnavailable` when this
    host cannot make the namespace, :class:`CommandNotFound` for a bad ``argv[0]``,
    :class:`ProbeError` when the command did not start.
    """
    if not argv:
        raise CommandNotFound("no command given")
    mode = namespace_mode()
    cwd_path = Path(cwd) if cwd is not None else None
    if cwd_path is not None and not cwd_path.is_dir():
        raise ProbeError(f"{cwd_path}: working directory does not exist")
    _resolve(argv[0], cwd_path, env)
    unshare = shutil.which("unshare") or "unshare"
    cmd = [unshare]
    if mode == "userns":
        cmd += ["--user", "--map-root-user"]
    # --kill-child: if unshare dies, PID 1 gets SIGKILL and the namespace goes with it.
    cmd += ["--pid", "--fork", "--mount-proc", "--kill-child=SIGKILL", "--", *argv]
    try:
        launcher = subprocess.Popen(
            cmd, cwd=cwd_path, env=None if env is None else dict(env),
            stdin=stdin, stdout=stdout, stderr=stderr, start_new_session=True,
            preexec_fn=_die_with_parent(),
        )
    except OSError as exc:
        raise ProbeError(f"could not start unshare: {exc}") from exc
    try:
        host_pid, namespace = _await_exec(launcher)
        return Pid1Process(launcher, host_pid, namespace, mode)
    except BaseException:
        _kill_launcher(launcher)
        raise


def _await_exec(launcher: subprocess.Popen[bytes]) -> tuple[int, str]:
    """(host pid, namespace) of unshare's child once it is PID 1 and has exec'd."""
    deadline = time.monotonic() + _START_TIMEOUT
    unshare_exe = _exe(launcher.pid)
    child: int | None = None
    namespace: str | None = None
    while time.monotonic() < deadline:
        if child is None:
            for kid in _children(launcher.pid):
                proc = _ns_process(kid)
                ns = _ns_link(kid)
                if proc is not None and proc.ns_pid == 1 and ns is not None:
                    child, namespace = kid, ns
                    break
        if child is not None and namespace is not None:
            exe = _exe(child)
            proc = _ns_process(child)
            if proc is None or proc.is_zombie or (exe is not None and exe != unshare_exe):
                return child, namespace
        if launcher.poll() is not None:
            raise CommandExited(
                f"the command exited at once (status {launcher.returncode}) before it "
                "could be probed",
                launcher.returncode,
            )
        time.sleep(_POLL / 5)
    raise ProbeError(f"timed out after {_START_TIMEOUT:g} s waiting for PID 1 to start")


def _kill_launcher(launcher: subprocess.Popen[bytes]) -> None:
    for pid in _children(launcher.pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(launcher.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        launcher.wait(5)
