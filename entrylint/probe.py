"""``entrylint probe``: run a command as PID 1 and measure what it really does.

A linter says what should happen; ``probe`` shows what does happen.  The command runs as
PID 1 of a fresh PID namespace (see :mod:`entrylint.pidns`), like in a container; then

1. orphans are handed to it (injected, or made by the app itself via ``--requests``) and we
   watch whether, and how fast, it reaps them;
2. it gets SIGTERM (or ``--signal``), as from ``docker stop``, and we watch whether it exits
   within the grace period, and whether any other process of the namespace was SIGKILLed
   instead of stopping (outcome "lost"; see :class:`_StopWatcher`).

Module-level imports stay light (click only): ``entrylint`` runs on every commit.
"""

from __future__ import annotations

import typing as t

import click

if t.TYPE_CHECKING:
    from pathlib import Path

    from entrylint.pidns import Pid1Process

EXIT_PASS, EXIT_FAIL, EXIT_UNAVAILABLE = 0, 1, 2

#: Slowest reaping still called immediate (seconds); slower but complete is "periodic".
IMMEDIATE_LIMIT = 0.25
#: How often /proc is scanned while watching (seconds).
POLL = 0.005
_UNSHARE_NOISE = b"unshare: sigprocmask unblock failed"


class ProbeFailed(Exception):
    """Probing could not be done; the message is for the user (exit status 2)."""


# ------------------------------------------------------------------------------------------
# Option parsing helpers
# ------------------------------------------------------------------------------------------


def parse_signal(value: str) -> int:
    """``TERM``, ``SIGTERM``, ``sigterm`` or ``15`` -> 15.  Raises ValueError."""
    import signal

    text = value.strip()
    if text.isdigit():
        num = int(text)
        if not 0 < num < signal.NSIG:
            raise ValueError(f"signal number out of range: {value}")
        return num
    name = text.upper()
    if not name.startswith("SIG"):
        name = "SIG" + name
    try:
        return int(signal.Signals[name])
    except KeyError:
        raise ValueError(f"unknown signal: {value}") from None


def signal_name(num: int) -> str:
    import signal

    try:
        return signal.Signals(num).name
    except ValueError:
        return str(num)


def _signal_option(ctx: click.Context, param: click.Parameter, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return parse_signal(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _url_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(value)
    if parts.scheme != "http":
        raise click.BadParameter("only http:// URLs are supported")
    if parts.hostname not in _LOOPBACK:
        raise click.BadParameter(
            f"only loopback is allowed (127.0.0.1, ::1, localhost), not {parts.hostname!r}"
        )
    return value


# ------------------------------------------------------------------------------------------
# Results
# ------------------------------------------------------------------------------------------


class ReapResult(t.TypedDict):
    mode: t.Literal["orphans", "requests", "skipped"]
    rounds: int
    #: orphans handed to PID 1 (injected, or seen reparented to it)
    orphans: int
    reaped: int
    #: zombies whose parent is PID 1, left after the settle time
    zombies_left: int
    #: all zombies of the namespace at the end (also those of other parents)
    zombies_total: int
    settle_seconds: float
    max_latency_seconds: float | None
    verdict: t.Literal["immediate", "periodic", "no", "unknown", "skipped"]
    passed: bool
    requests_sent: int
    request_errors: list[str]


class KilledProcess(t.TypedDict):
    """A process of the namespace that was SIGKILLed while PID 1 was stopping."""

    #: pid inside the namespace
    pid: int
    name: str
    #: its command line as last seen alive
    command: str
    #: "before": seen gone while PID 1 was still running, so SIGKILLed by a process of the
    #: namespace (certain); "pid1-exit": not seen gone before PID 1 began to exit, so killed by
    #: the kernel with the namespace -- or by PID 1 itself less than a scheduling delay before
    #: it exited, which probe cannot tell apart
    when: t.Literal["pid1-exit", "before"]


class SignalResult(t.TypedDict):
    signal: str
    number: int
    grace_seconds: float
    #: "exited": PID 1 exited within the grace period, and no other process was SIGKILLed;
    #: "lost": PID 1 exited within the grace period, but other processes were SIGKILLed
    #: (see ``sigkilled``); "killed": SIGKILL after the grace period;
    #: "exited-early": PID 1 had exited before the signal was sent
    outcome: t.Literal["exited", "lost", "killed", "exited-early"]
    seconds: float | None
    #: like Popen.returncode (-N: killed by signal N); None when it had to be killed
    returncode: int | None
    #: processes SIGKILLed instead of being stopped by the signal (outcome "lost")
    sigkilled: list[KilledProcess]
    #: how ``sigkilled`` was found: "exit-status" (each process's exit status, read through
    #: a pidfd: Linux 6.15+), "proc" (older kernels: only processes seen running after PID 1
    #: had begun to exit; may miss some), or "not-checked" (PID 1 did not exit by itself)
    sigkill_check: t.Literal["exit-status", "proc", "not-checked"]
    passed: bool


class ProbeResult(t.TypedDict):
    command: list[str]
    cwd: str | None
    namespace: str
    host_pid: int
    #: PID 1's process name once started (a shell that execs the app shows the app's)
    pid1_name: str
    #: processes in the namespace once started, PID 1 included
    processes_at_start: int
    reaping: ReapResult
    stop: SignalResult
    passed: bool


# ------------------------------------------------------------------------------------------
# Measuring
# ------------------------------------------------------------------------------------------


class _Seen:
    __slots__ = ("gone_at", "injected", "last_alive", "zombie_at")

    def __init__(self, injected: bool = False) -> None:
        self.injected = injected
        self.last_alive: float | None = None
        self.zombie_at: float | None = None
        self.gone_at: float | None = None

    @property
    def exited(self) -> bool:
        return self.zombie_at is not None or self.gone_at is not None


class _Watcher:
    """Follows the processes that PID 1 must reap: their exit and their disappearance.

    A process is followed once it is seen with PID 1 as its parent (an orphan handed to
    PID 1, or PID 1's own child), or when it was injected.  Only those seen to exit count.
    """

    def __init__(self, p1: Pid1Process, baseline: set[int]) -> None:
        import time

        self.p1 = p1
        self.baseline = baseline
        self.seen: dict[int, _Seen] = {}
        #: when a followed process last appeared, exited or was reaped
        self.last_change = time.monotonic()

    def look(self) -> None:
        import time

        now = time.monotonic()
        present: set[int] = set()
        for proc in self.p1.processes():
            present.add(proc.host_pid)
            if proc.host_pid == self.p1.host_pid or proc.host_pid in self.baseline:
                continue
            seen = self.seen.get(proc.host_pid)
            if seen is None:
                if proc.host_ppid != self.p1.host_pid:
                    continue
                seen = self.seen[proc.host_pid] = _Seen()
                self.last_change = now
            if proc.is_zombie:
                if seen.zombie_at is None:
                    seen.zombie_at = self.last_change = now
            else:
                seen.last_alive = now
        for pid, seen in self.seen.items():
            if pid not in present and seen.gone_at is None:
                seen.gone_at = self.last_change = now

    def track(self, host_pids: list[int]) -> None:
        """Injected orphans: followed even before they are seen reparented."""
        import time

        for pid in host_pids:
            self.seen.setdefault(pid, _Seen(injected=True))
        self.last_change = time.monotonic()

    def injected_alive(self) -> bool:
        """True while an injected orphan has not exited yet (it will: it needs watching)."""
        return any(s.injected and not s.exited for s in self.seen.values())

    def zombies(self) -> bool:
        return any(s.zombie_at is not None and s.gone_at is None for s in self.seen.values())

    def orphans(self) -> list[_Seen]:
        """The followed processes that exited (reaped or not)."""
        return [s for s in self.seen.values() if s.exited or s.injected]

    def latencies(self) -> list[float]:
        """For each reaped process: seconds from its exit (as first seen) to its reaping."""
        out = []
        for s in self.seen.values():
            if s.gone_at is None:
                continue
            since = s.zombie_at if s.zombie_at is not None else s.last_alive
            out.append(max(0.0, s.gone_at - since) if since is not None else 0.0)
        return out


def _watch_until(w: _Watcher, *, min_seconds: float, settle: float) -> None:
    """Look until, after ``min_seconds``, no followed process awaits exit or reaping; or
    until nothing changed for ``settle`` seconds (zombies left behind)."""
    import time

    start = time.monotonic()
    while True:
        w.look()
        now = time.monotonic()
        if not w.p1.is_running():
            return
        if now - start >= min_seconds and not w.injected_alive() and not w.zombies():
            return
        if now - w.last_change >= settle and not w.injected_alive():
            return
        if now - start > settle + 120:  # injected orphans are short-lived; never hang
            return
        time.sleep(POLL)


def _send_requests(url: str, count: int) -> tuple[int, list[str]]:
    import urllib.request

    # No proxies: the request must go to the loopback address as given, nowhere else.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    errors: list[str] = []
    sent = 0
    for _ in range(count):
        sent += 1
        try:
            with opener.open(url, timeout=10) as resp:
                resp.read()
        except Exception as exc:  # any failure is reported, never raised
            errors.append(f"{type(exc).__name__}: {exc}")
    return sent, errors


def measure_reaping(
    p1: Pid1Process,
    *,
    orphans: int,
    rounds: int,
    settle: float,
    request_url: str | None,
    request_count: int,
) -> ReapResult:
    """Hand orphans to PID 1 ``rounds`` times and watch it reap them."""
    from entrylint.pidns import ProbeError

    result: ReapResult = {
        "mode": "requests" if request_url else ("orphans" if orphans > 0 else "skipped"),
        "rounds": 0, "orphans": 0, "reaped": 0, "zombies_left": 0, "zombies_total": 0,
        "settle_seconds": settle, "max_latency_seconds": None, "verdict": "skipped",
        "passed": True, "requests_sent": 0, "request_errors": [],
    }
    if result["mode"] == "skipped":
        return result
    baseline = {p.host_pid for p in p1.processes()}
    w = _Watcher(p1, baseline)
    lifetimes = [0.1 + 0.3 * i for i in range(min(orphans, 3))] or [0.1]
    for _ in range(rounds):
        if not p1.is_running():
            break
        result["rounds"] += 1
        if request_url is not None:
            sent, errors = _send_requests(request_url, request_count)
            result["requests_sent"] += sent
            result["request_errors"] += errors
            # The app's orphans live as long as the app makes them: watch a settle time.
            _watch_until(w, min_seconds=settle, settle=settle)
        else:
            try:
                w.track(p1.inject_orphans(orphans, lifetimes))
            except ProbeError as exc:
                if not p1.is_running():
                    break
                raise ProbeFailed(str(exc)) from exc
            _watch_until(w, min_seconds=0.0, settle=settle)
    w.look()
    lat = w.latencies()
    result["orphans"] = len(w.orphans())
    result["reaped"] = len(lat)
    zombies = p1.zombies() if p1.is_running() else []
    result["zombies_total"] = len(zombies)
    result["zombies_left"] = sum(1 for z in zombies if z.host_ppid == p1.host_pid)
    result["max_latency_seconds"] = round(max(lat), 3) if lat else None
    if result["orphans"] == 0:
        result["verdict"], result["passed"] = "unknown", False
    elif result["zombies_left"] or result["reaped"] < result["orphans"]:
        result["verdict"], result["passed"] = "no", False
    elif max(lat) <= IMMEDIATE_LIMIT:
        result["verdict"] = "immediate"
    else:
        result["verdict"] = "periodic"
    return result


#: How often /proc is scanned while waiting for PID 1 to exit after the stop signal (seconds),
#: for the first STOP_TIGHT_SECONDS; POLL after that.
STOP_POLL = 0.001
STOP_TIGHT_SECONDS = 2.0
#: At most this many pidfds are held at once (file descriptors); processes beyond it get
#: the /proc check only.
MAX_PIDFDS = 256
#: With pidfds, /proc is scanned only this often (seconds), for processes started since; in
#: between, the wait wakes on the followed processes' exits.  A scan reads every process of
#: the host, which takes milliseconds on a busy one: long enough to miss a PID 1 that
#: SIGKILLs its child and exits right after.
STOP_RESCAN = 0.02


class _Tracked:
    __slots__ = ("command", "dead_before", "fd", "name", "ns_pid", "seen_after_pid1_exit")

    def __init__(self, ns_pid: int, name: str, command: str, fd: int | None) -> None:
        self.ns_pid = ns_pid
        self.name = name
        self.command = command
        self.fd = fd
        #: seen exited or gone while PID 1 had not begun to exit
        self.dead_before = False
        #: seen running (and not exiting) after PID 1 had begun to exit
        self.seen_after_pid1_exit = False


def _cmdline(pid: int, fallback: str) -> str:
    import shlex
    from pathlib import Path

    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return fallback
    words = [w.decode(errors="replace") for w in raw.split(b"\0") if w]
    return shlex.join(words) if words else fallback


class _StopWatcher:
    """Follows every process of the namespace while PID 1 stops, to tell afterwards which
    ones were SIGKILLed instead of stopping.

    The kernel SIGKILLs every process left in a PID namespace when its PID 1 exits.  An init
    (tini, dumb-init) or a well-behaved PID 1 waits for what it started before it exits, so
    when the stop works nothing is left to kill.  To see the difference from outside, each
    process gets a pidfd as soon as it is seen: once reaped, the kernel (6.15+) tells anyone
    holding one the process's exit status, which says SIGKILL or not.  No snapshot race: a
    process that was exiting on its own when PID 1 exited has its own status.

    On older kernels only the /proc snapshots are left: a process counts when it was seen
    running, itself not exiting, in a snapshot taken after PID 1 had begun to exit (the
    kernel flag PF_EXITING, read before the snapshot).  That is certain, but the moment is
    short and is often missed.
    """

    def __init__(self, p1: Pid1Process, use_pidfd: bool) -> None:
        self.p1 = p1
        self.use_pidfd = use_pidfd
        self.tracked: dict[int, _Tracked] = {}
        self.fds = 0

    def look(self) -> None:
        from entrylint.pidns import PF_EXITING, process_flags

        p1_exiting = self._pid1_exiting()
        present: set[int] = set()
        for proc in self.p1.processes():
            if proc.host_pid == self.p1.host_pid:
                continue
            present.add(proc.host_pid)
            tr = self.tracked.get(proc.host_pid)
            if tr is None:
                if proc.is_zombie:
                    continue  # had exited before we saw it: nothing left to kill
                fd = (self.p1.pidfd(proc.host_pid)
                      if self.use_pidfd and self.fds < MAX_PIDFDS else None)
                self.fds += fd is not None
                tr = self.tracked[proc.host_pid] = _Tracked(
                    proc.ns_pid, proc.name, _cmdline(proc.host_pid, proc.name), fd)
            if proc.is_zombie:
                present.discard(proc.host_pid)  # exited: counted as gone below
            elif p1_exiting:
                flags = process_flags(proc.host_pid)
                if flags is not None and not flags & PF_EXITING:
                    tr.seen_after_pid1_exit = True
        # Exited (zombie) or gone before PID 1 began to exit?  Only if PID 1 is still not
        # exiting now, after the scan: it may have begun meanwhile, and the kernel may have
        # killed them since (a scan takes a while on a busy host).
        if not p1_exiting and not self._pid1_exiting():
            for pid, tr in self.tracked.items():
                if pid not in present:
                    tr.dead_before = True

    def wait(self, timeout: float) -> None:
        """Sleep up to ``timeout`` seconds, waking as soon as a followed process exits.

        A pidfd turns readable the moment its process exits, so a process that PID 1 itself
        killed and reaped (Django's autoreloader does) is seen gone while PID 1 is still
        running, even when PID 1 exits a few milliseconds later, between two scans.
        """
        import select
        import time

        waiting = {tr.fd: tr for tr in self.tracked.values()
                   if tr.fd is not None and not tr.dead_before}
        if not waiting:
            time.sleep(timeout)
            return
        poller = select.poll()
        for fd in waiting:
            poller.register(fd, select.POLLIN)
        ready = poller.poll(timeout * 1000)
        if ready and not self._pid1_exiting():
            for fd, _ in ready:
                waiting[fd].dead_before = True

    def _pid1_exiting(self) -> bool:
        from entrylint.pidns import PF_EXITING, process_flags

        flags = process_flags(self.p1.host_pid)
        return flags is None or bool(flags & PF_EXITING)

    def killed(self) -> list[KilledProcess]:
        """Call after PID 1 has exited (the namespace is empty then)."""
        import os
        import signal

        from entrylint.pidns import pidfd_exit_status

        out: list[KilledProcess] = []
        for tr in self.tracked.values():
            status = pidfd_exit_status(tr.fd) if tr.fd is not None else None
            if status is not None:
                hit = os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
            else:
                hit = tr.seen_after_pid1_exit
            if hit:
                out.append({"pid": tr.ns_pid, "name": tr.name, "command": tr.command,
                            "when": "before" if tr.dead_before else "pid1-exit"})
        return sorted(out, key=lambda k: k["pid"])

    def close(self) -> None:
        import os

        for tr in self.tracked.values():
            if tr.fd is not None:
                os.close(tr.fd)
                tr.fd = None


def measure_stop(p1: Pid1Process, sig: int, grace: float) -> SignalResult:
    """Send ``sig`` to PID 1; wait ``grace`` seconds for it to exit, else SIGKILL it.

    While waiting, every process of the namespace is followed (see :class:`_StopWatcher`):
    when PID 1 exits in time but others had to be SIGKILLed, the outcome is "lost".
    """
    import time

    from entrylint.pidns import exit_status_supported

    res: SignalResult = {
        "signal": signal_name(sig), "number": sig, "grace_seconds": grace,
        "outcome": "exited", "seconds": None, "returncode": None, "sigkilled": [],
        "sigkill_check": "not-checked", "passed": False,
    }
    if not p1.is_running():
        res["outcome"], res["returncode"] = "exited-early", p1.wait(5)
        return res
    use_pidfd = exit_status_supported()
    watcher = _StopWatcher(p1, use_pidfd)
    try:
        watcher.look()  # a pidfd for each process before the signal
        start = scanned = time.monotonic()
        p1.send_signal(sig)
        code: int | None = None
        while True:
            code = p1.returncode
            if code is not None:
                break
            now = time.monotonic()
            if now - start >= grace:
                break
            if not use_pidfd or now - scanned >= STOP_RESCAN:
                watcher.look()
                scanned = now
            watcher.wait(STOP_POLL if now - start < STOP_TIGHT_SECONDS else POLL)
        if code is None:
            res["outcome"] = "killed"
            p1.kill()
            return res
        res["seconds"] = round(time.monotonic() - start, 3)
        res["returncode"] = code
        # The kernel has reaped the whole namespace before PID 1's exit completes; make
        # sure anyway (unshare's own exit is what we saw).
        p1.wait_empty(5)
        res["sigkilled"] = watcher.killed()
        res["sigkill_check"] = "exit-status" if use_pidfd else "proc"
    finally:
        watcher.close()
    if res["sigkilled"]:
        res["outcome"] = "lost"
    else:
        res["passed"] = True
    return res


# ------------------------------------------------------------------------------------------
# Reporting
# ------------------------------------------------------------------------------------------


def _secs(x: float | None) -> str:
    return "?" if x is None else f"{x:.2f}".rstrip("0").rstrip(".") if x >= 0.1 else f"{x:.2f}"


def describe_reaping(r: ReapResult) -> str:
    import math

    v = r["verdict"]
    n = f"{r['orphans']} orphan{'s' if r['orphans'] != 1 else ''}, {r['rounds']} round" + (
        "s" if r["rounds"] != 1 else ""
    )
    if v == "skipped":
        return "not checked (--orphans 0)"
    if v == "unknown":
        extra = f"; {len(r['request_errors'])} request(s) failed" if r["request_errors"] else ""
        return f"unknown: no orphan reached PID 1 (does the app fork per request?){extra}"
    if v == "no":
        return f"no: {r['zombies_left']} zombies after {r['settle_seconds']:.1f} s ({n})"
    lat = r["max_latency_seconds"]
    if v == "periodic":
        bound = math.ceil((lat or 0.0) * 2) / 2  # the slowest reaping, up to 0.5 s
        return f"periodically (within ~{bound:g} s; slowest {_secs(lat)} s) ({n})"
    return f"yes, within {_secs(lat)} s ({n})"


def describe_stop(s: SignalResult, pid1_name: str | None = None) -> str:
    if s["outcome"] == "exited-early":
        return f"not tested: PID 1 had already exited (status {s['returncode']})"
    if s["outcome"] == "killed":
        return (f"ignored: killed after grace {s['grace_seconds']:g} s (would be killed)")
    code = s["returncode"]
    how = f"exited {code}" if code is not None and code >= 0 else (
        f"killed by {signal_name(-code)}" if code is not None else "exited")
    how = f"{how} after {_secs(s['seconds'])} s"
    if s["outcome"] != "lost":
        if s["sigkill_check"] == "proc":
            how += (" (whether other processes were SIGKILLed when it exited was checked from "
                    "/proc only, which misses most: exact needs Linux 6.15+)")
        return how
    who = f"PID 1 ({pid1_name})" if pid1_name else "PID 1"
    killed = s["sigkilled"]
    at_exit = [k for k in killed if k["when"] == "pid1-exit"]
    before = [k for k in killed if k["when"] == "before"]
    parts = []
    if at_exit:
        n = len(at_exit)
        parts.append(
            f"{n} process{'es' if n != 1 else ''} {'were' if n != 1 else 'was'} still running "
            f"and {'were' if n != 1 else 'was'} SIGKILLed when the namespace ended: "
            + "; ".join(k["command"] for k in at_exit))
    if before:
        n = len(before)
        parts.append(
            f"{n} process{'es' if n != 1 else ''} {'were' if n != 1 else 'was'} SIGKILLed "
            "before PID 1 exited: " + "; ".join(k["command"] for k in before))
    return f"lost — {who} {how}, but " + ", and ".join(parts)


def render_text(res: ProbeResult) -> str:
    import shlex

    lines = [
        f"probe: {shlex.join(res['command'])}",
        f"  as PID 1 of a new PID namespace ({res['namespace']}), host pid {res['host_pid']}; "
        f"PID 1 is {res['pid1_name']!r}, {res['processes_at_start']} process(es) at start",
        f"reaps orphans: {describe_reaping(res['reaping'])}",
        f"{res['stop']['signal']}: {describe_stop(res['stop'], res['pid1_name'])}",
        f"result: {'pass' if res['passed'] else 'FAIL'}",
    ]
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------
# Running
# ------------------------------------------------------------------------------------------


def _port_open(port: int) -> bool:
    import socket

    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def _await_ready(p1: Pid1Process, wait: float, port: int | None, timeout: float) -> None:
    import time

    if port is None:
        if p1.wait(wait) is not None:
            raise ProbeFailed(
                f"the command exited during startup (status {p1.returncode}): nothing to probe"
            )
        return
    deadline = time.monotonic() + timeout
    while not _port_open(port):
        if not p1.is_running():
            raise ProbeFailed(
                f"the command exited before port {port} opened (status {p1.returncode})"
            )
        if time.monotonic() >= deadline:
            raise ProbeFailed(f"port {port} on 127.0.0.1 did not open within {timeout:g} s")
        time.sleep(0.05)


def _forward(src: t.IO[bytes], dst: t.BinaryIO) -> None:
    for line in iter(src.readline, b""):
        if line.startswith(_UNSHARE_NOISE):  # unshare cannot re-raise SIGKILL: known noise
            continue
        try:
            dst.write(line)
            dst.flush()
        except (OSError, ValueError):
            pass


def run_probe(
    argv: list[str],
    *,
    cwd: Path | None = None,
    sig: int = 15,
    grace: float = 10.0,
    wait: float = 1.0,
    wait_port: int | None = None,
    start_timeout: float = 30.0,
    orphans: int = 3,
    rounds: int = 2,
    settle: float = 2.0,
    request_url: str | None = None,
    request_count: int = 6,
    show_output: bool = True,
) -> ProbeResult:
    """Probe ``argv`` as PID 1. Raises pidns.ProbeError / ProbeFailed when it cannot."""
    import subprocess
    import sys
    import threading

    from entrylint import pidns

    if wait_port is not None and _port_open(wait_port):
        raise ProbeFailed(f"port {wait_port} on 127.0.0.1 is already in use before the start")
    out = subprocess.PIPE if show_output else subprocess.DEVNULL
    p1 = pidns.start_pid1(argv, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    pump: threading.Thread | None = None
    try:
        stream = p1.stdout  # the combined stdout/stderr of unshare and PID 1
        if stream is not None:
            pump = threading.Thread(
                target=_forward, args=(stream, sys.stderr.buffer), daemon=True
            )
            pump.start()
        _await_ready(p1, wait, wait_port, start_timeout)
        procs = p1.processes()
        pid1_name = next((p.name for p in procs if p.host_pid == p1.host_pid), "?")
        reaping = measure_reaping(
            p1, orphans=orphans, rounds=rounds, settle=settle,
            request_url=request_url, request_count=request_count,
        )
        stop = measure_stop(p1, sig, grace)
        return {
            "command": list(argv),
            "cwd": str(cwd) if cwd is not None else None,
            "namespace": p1.mode,
            "host_pid": p1.host_pid,
            "pid1_name": pid1_name,
            "processes_at_start": len(procs),
            "reaping": reaping,
            "stop": stop,
            "passed": reaping["passed"] and stop["passed"],
        }
    finally:
        p1.kill()
        if pump is not None:
            pump.join(2)


def _from_dockerfile(path: Path, target: str | None) -> tuple[list[str], Path, str | None]:
    """The start command as Docker would run it: (argv, build-context dir, STOPSIGNAL or None).

    From :func:`entrylint.model.start_argv`; the context is made absolute for the report.
    Raises ProbeFailed when the Dockerfile does not say what to run.
    """
    from entrylint.model import start_argv
    from entrylint.source import SourceError

    def failed(reason: str) -> ProbeFailed:
        return ProbeFailed(f"{path}: cannot tell the start command: {reason}")

    try:
        argv, context, stopsignal = start_argv(path, target)
    except SourceError as exc:
        raise failed(exc.reason if exc.path == str(path) else str(exc)) from None
    except RecursionError:  # before RuntimeError, its base class
        raise failed("is nested too deeply to analyse") from None
    except (OSError, RuntimeError) as exc:  # e.g. a symlink loop on the way (as engine.load)
        raise failed(f"cannot be read: {exc}") from None
    return list(argv), context.absolute(), stopsignal


def missing_on_host(argv: t.Sequence[str]) -> list[str]:
    """Absolute paths that ``argv`` names and that do not exist on this host.

    ``argv`` is a start command taken from a Dockerfile: its paths are paths in the image.
    Checked are the words that start with ``/`` and, in a word holding a shell command (one
    with blanks, as in ``sh -c 'python3 /app/app.py'``), the words of that command as a
    POSIX shell splits them, except redirection targets (``> /var/log/x`` may be created).
    Best effort: paths in variables (``$APP_HOME/app.py``) or options (``--x=/p``) are not
    seen.
    """
    import os
    import shlex

    found: list[str] = []

    def check(word: str) -> None:
        if word.startswith("/") and not os.path.lexists(word) and word not in found:
            found.append(word)

    for word in argv:
        check(word)
        if not any(c.isspace() for c in word):
            continue
        lexer = shlex.shlex(word, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        try:
            tokens = list(lexer)
        except ValueError:  # unbalanced quotes: the shell would fail too; nothing to check
            continue
        for i, tok in enumerate(tokens):
            if i == 0 or not tokens[i - 1].endswith(">"):
                check(tok)
    return found


@click.command(
    "probe",
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="Exit status: 0 both checks pass, 1 one fails, 2 probing is impossible here.",
)
@click.option("--wait", "wait_seconds", type=click.FloatRange(0), default=1.0,
              show_default=True, help="Seconds to let the command start before probing.")
@click.option("--wait-port", type=click.IntRange(1, 65535), metavar="PORT",
              help="Instead of --wait: wait until 127.0.0.1:PORT accepts connections.")
@click.option("--start-timeout", type=click.FloatRange(0), default=30.0, show_default=True,
              help="Give up on --wait-port after this many seconds.")
@click.option("--orphans", type=click.IntRange(0), default=3, show_default=True,
              help="Orphans to inject into the namespace per round (0: skip reaping).")
@click.option("--rounds", type=click.IntRange(1), default=2, show_default=True,
              help="Rounds of orphans (or requests): tells immediate from periodic reaping.")
@click.option("--settle", type=click.FloatRange(0), default=2.0, show_default=True,
              help="Seconds an exited orphan is given to be reaped.")
@click.option("--requests", "request_url", callback=_url_option, metavar="URL",
              help="Make orphans by GETting this loopback URL (for apps that fork per "
                   "request) instead of injecting them.")
@click.option("--request-count", type=click.IntRange(1), default=6, show_default=True,
              help="GETs per round with --requests.")
@click.option("--signal", "sig", callback=_signal_option, metavar="SIGNAL",
              help="Stop signal: name or number.  [default: SIGTERM, or the Dockerfile's "
                   "STOPSIGNAL]")
@click.option("--grace", type=click.FloatRange(0), default=10.0, show_default=True,
              help="Seconds to wait after the signal before SIGKILL (docker stop: 10).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True)
@click.option("--quiet", "-q", is_flag=True, help="Hide the command's own output.")
@click.option("--dockerfile", type=click.Path(dir_okay=False),
              help="Probe the start command of this Dockerfile (final stage or --target), on "
                   "THIS host (not in the image), from the build-context directory, stopped with "
                   "its STOPSIGNAL.  Paths that exist only in the image are an error.")
@click.option("--target", help="Build stage for --dockerfile.")
@click.argument("command", nargs=-1, type=click.UNPROCESSED, metavar="-- COMMAND [ARG...]")
def probe_command(
    wait_seconds: float, wait_port: int | None, start_timeout: float, orphans: int,
    rounds: int, settle: float, request_url: str | None, request_count: int, sig: int | None,
    grace: float, fmt: str, quiet: bool, dockerfile: str | None, target: str | None,
    command: tuple[str, ...],
) -> None:
    """Run COMMAND as PID 1 of a new PID namespace; measure reaping and SIGTERM.

    \b
    entrylint probe [OPTIONS] -- COMMAND [ARG...]
    entrylint probe --dockerfile Dockerfile

    Needs Linux and root, or unprivileged user namespaces.

    The stop check fails ("lost") when PID 1 exits in time but other processes of the
    namespace were SIGKILLed: still running when PID 1 exited (the kernel then kills them
    all, e.g. the app under `tini -- start.sh` without `exec`, or under `npm start`), or
    SIGKILLed by another process while PID 1 stopped.  Each process's exit status is read
    through a pidfd, which needs Linux 6.15+.  Older kernels: only processes seen running
    after PID 1 began to exit count; no false alarm, but such cases are often missed
    (measured: tini -- start.sh 0 of 20, npm start 16 of 20).
    Processes that start and die between two looks (1 ms apart; 5 ms after 2 s) are not seen.
    """
    import json
    from pathlib import Path

    from entrylint.pidns import ProbeError

    def fail(msg: str) -> t.NoReturn:
        click.echo(f"entrylint probe: {msg}", err=True)
        raise SystemExit(EXIT_UNAVAILABLE)

    cwd: Path | None = None
    argv = list(command)
    try:
        if dockerfile is not None:
            if argv:
                fail("give either --dockerfile or a COMMAND, not both")
            argv, cwd, stopsignal = _from_dockerfile(Path(dockerfile), target)
            missing = missing_on_host(argv)
            if missing:
                fail(
                    f"{dockerfile}: the start command names {', '.join(missing)}, which "
                    f"{'do' if len(missing) > 1 else 'does'} not exist on this host (a path in "
                    "the image); probe runs the start command on this host, not in the image, "
                    "and will not run something else.  To probe a host command: "
                    "entrylint probe -- COMMAND [ARG...]"
                )
            click.echo(
                "entrylint probe: WARNING: running the image's start command on THIS HOST, "
                f"not in the image (cwd {cwd}): programs, files and users are the host's",
                err=True,
            )
            if sig is None and stopsignal:
                try:
                    sig = parse_signal(stopsignal)
                except ValueError:
                    fail(f"{dockerfile}: unknown STOPSIGNAL {stopsignal!r}")
        if not argv:
            fail("no command: use `entrylint probe [OPTIONS] -- COMMAND [ARG...]`")
        res = run_probe(
            argv, cwd=cwd, sig=sig if sig is not None else 15, grace=grace,
            wait=wait_seconds, wait_port=wait_port, start_timeout=start_timeout,
            orphans=orphans, rounds=rounds, settle=settle, request_url=request_url,
            request_count=request_count, show_output=not quiet,
        )
    except (ProbeError, ProbeFailed) as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        fail("interrupted")
    if fmt == "json":
        click.echo(json.dumps(res, indent=2))
    else:
        click.echo(render_text(res))
    raise SystemExit(EXIT_PASS if res["passed"] else EXIT_FAIL)
