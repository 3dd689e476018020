"""The PID-namespace runner: a real PID 1, orphans, signals, cleanup."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pid1_apps import (
    NEVER_REAPS,
    NO_HANDLER,
    PY,
    REAPS,
    needs_pidns,
    write,
)

from entrylint import pidns
from entrylint.pidns import (
    CommandExited,
    CommandNotFound,
    Pid1Process,
    ProbeError,
    ProbeUnavailable,
    start_pid1,
)


def poll(cond: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return cond()


@pytest.fixture
def started() -> Iterator[list[Pid1Process]]:
    """Every Pid1Process a test makes is killed and checked for leaks afterwards."""
    made: list[Pid1Process] = []
    yield made
    for p in made:
        p.kill()
        assert p.returncode is not None
        assert p.processes() == [], f"namespace {p.namespace} leaked"


def run(started: list[Pid1Process], argv: list[str], **kw: object) -> Pid1Process:
    p = start_pid1(argv, **kw)  # type: ignore[arg-type]
    started.append(p)
    return p


# ---------------------------------------------------------------------------- no namespace


def test_unavailable_off_linux(monkeypatch: pytest.MonkeyPatch) -> None:
    pidns._detect.cache_clear()
    monkeypatch.setattr(sys, "platform", "darwin")
    try:
        assert not pidns.can_probe()
        with pytest.raises(ProbeUnavailable, match="need Linux"):
            start_pid1(["true"])
    finally:
        monkeypatch.undo()
        pidns._detect.cache_clear()


def test_unavailable_without_unshare(monkeypatch: pytest.MonkeyPatch) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("Linux only")
    pidns._detect.cache_clear()
    monkeypatch.setattr(shutil, "which", lambda *a, **k: None)
    try:
        with pytest.raises(ProbeUnavailable, match="unshare"):
            pidns.namespace_mode()
    finally:
        monkeypatch.undo()
        pidns._detect.cache_clear()


# ---------------------------------------------------------------------------- namespace


@needs_pidns
def test_pid1_identity(started: list[Pid1Process], tmp_path: Path) -> None:
    p = run(started, [PY, str(write(tmp_path, "app.py", NEVER_REAPS))])
    assert p.host_pid != p.launcher_pid
    assert p.namespace != os.readlink("/proc/self/ns/pid")
    procs = p.processes()
    assert [(q.host_pid, q.ns_pid) for q in procs] == [(p.host_pid, 1)]
    assert procs[0].host_ppid == p.launcher_pid
    assert p.is_running()
    assert p.returncode is None


@needs_pidns
def test_cwd_and_env(started: list[Pid1Process], tmp_path: Path) -> None:
    out = tmp_path / "out"
    p = run(
        started,
        ["sh", "-c", f'echo "$$ $PWD $X" > {out}; exec sleep 30'],
        cwd=tmp_path,
        env={"PATH": os.environ["PATH"], "X": "hello"},
    )
    assert poll(lambda: out.exists() and out.read_text().endswith("\n"))
    assert out.read_text().split() == ["1", str(tmp_path), "hello"]
    assert poll(lambda: p.processes()[0].name == "sleep")  # the exec follows the echo


@needs_pidns
def test_never_reaper_keeps_zombies(started: list[Pid1Process], tmp_path: Path) -> None:
    p = run(started, [PY, str(write(tmp_path, "app.py", NEVER_REAPS))])
    orphans = p.inject_orphans(3, lifetimes=(0.05,))
    assert len(orphans) == 3
    assert poll(lambda: len(p.zombies()) == 3)
    assert {z.host_pid for z in p.zombies()} == set(orphans)
    assert all(z.host_ppid == p.host_pid for z in p.zombies())


@needs_pidns
def test_reaper_reaps(started: list[Pid1Process], tmp_path: Path) -> None:
    p = run(started, [PY, str(write(tmp_path, "app.py", REAPS))])
    orphans = p.inject_orphans(3, lifetimes=(0.05,))
    assert orphans
    assert poll(lambda: all(p.process(pid) is None for pid in orphans))
    assert p.zombies() == []


@needs_pidns
def test_wait_exited(started: list[Pid1Process], tmp_path: Path) -> None:
    p = run(started, [PY, str(write(tmp_path, "app.py", NEVER_REAPS))])
    short = p.inject_orphans(2, lifetimes=(0.1,))
    long = p.inject_orphans(1, lifetimes=(30,))
    assert len(short) == 2 and len(long) == 1
    assert p.wait_exited(short, timeout=5)
    assert {z.host_pid for z in p.zombies()} == set(short)  # exited, not reaped
    assert not p.wait_exited([*short, *long], timeout=0.2)  # the long one still runs
    assert p.wait_exited([], timeout=0)
    assert p.wait_exited([os.getpid()], timeout=0)  # not in the namespace: counts as exited


@needs_pidns
def test_wait_exited_counts_reaped(started: list[Pid1Process], tmp_path: Path) -> None:
    p = run(started, [PY, str(write(tmp_path, "app.py", REAPS))])
    orphans = p.inject_orphans(3, lifetimes=(0.05,))
    assert p.wait_exited(orphans, timeout=5)
    # exited means zombie or gone: the app's SIGCHLD handler reaps them a moment later
    assert poll(lambda: p.zombies() == [])


@needs_pidns
def test_no_handler_ignores_sigterm(started: list[Pid1Process], tmp_path: Path) -> None:
    p = run(started, [PY, str(write(tmp_path, "app.py", NO_HANDLER))])
    time.sleep(0.3)  # let Python start; an unhandled SIGTERM is ignored by PID 1 anyway
    p.send_signal(signal.SIGTERM)
    assert p.wait(1.0) is None
    assert p.is_running()
    p.kill()
    assert not p.is_running()
    assert p.wait_empty(5)


@needs_pidns
def test_handler_exits_on_sigterm(started: list[Pid1Process], tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    app = write(tmp_path, "app.py", NEVER_REAPS.replace(
        "while True:", f"open({str(ready)!r}, 'w').close()\nwhile True:"))
    p = run(started, [PY, str(app)])
    assert poll(ready.exists)
    p.send_signal(signal.SIGTERM)
    assert p.wait(5) == 0
    assert p.wait_empty(5)
    p.send_signal(signal.SIGTERM)  # after exit: a no-op, not an error


@needs_pidns
def test_kill_takes_whole_namespace(started: list[Pid1Process], tmp_path: Path) -> None:
    p = run(started, ["sh", "-c", "sleep 30 & sleep 30 & wait"])
    assert poll(lambda: len(p.processes()) == 3)
    p.kill()
    p.kill()  # idempotent
    assert p.processes() == []


@needs_pidns
def test_context_manager_cleans_up(tmp_path: Path) -> None:
    with start_pid1(["sleep", "30"]) as p:
        p.inject_orphans(2, lifetimes=(30,))
        assert len(p.processes()) == 3
    assert p.processes() == []
    assert p.returncode is not None


@needs_pidns
def test_bad_commands(tmp_path: Path) -> None:
    with pytest.raises(CommandNotFound, match="not found"):
        start_pid1(["no-such-program-entrylint"])
    with pytest.raises(CommandNotFound, match="not an executable"):
        start_pid1([str(tmp_path / "missing")])
    with pytest.raises(CommandNotFound):
        start_pid1([])
    with pytest.raises(ProbeError, match="working directory"):
        start_pid1(["true"], cwd=tmp_path / "nope")
    try:
        with start_pid1(["sh", "-c", "exit 3"]) as p:
            assert p.wait(5) == 3  # it started, then exited
    except CommandExited as exc:  # it exited before start_pid1 saw it exec
        assert exc.returncode == 3


@needs_pidns
def test_inject_after_exit_is_an_error(tmp_path: Path) -> None:
    ready = tmp_path / "ready"
    with start_pid1(["sh", "-c", f"touch {ready}; exec sleep 30"]) as p:
        assert poll(ready.exists)
        p.kill()
        with pytest.raises(ProbeError, match="exited"):
            p.inject_orphans(1)


_AS_NOBODY = """
import sys
from entrylint import pidns
assert pidns.namespace_mode() == "userns", pidns.namespace_mode()
with pidns.start_pid1(["sleep", "30"]) as p:
    orphans = p.inject_orphans(2, lifetimes=(0.05,))
    import time
    deadline = time.monotonic() + 5
    while len(p.zombies()) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(p.zombies()) == 2, p.processes()
print("ok", p.processes())
"""


@needs_pidns
def test_unprivileged_user_namespace() -> None:
    """The non-root path: a user namespace (only testable here when we can drop to nobody)."""
    import subprocess

    setpriv = shutil.which("setpriv")
    if os.geteuid() != 0 or setpriv is None:
        pytest.skip("needs root and setpriv to run as an unprivileged user")
    repo = str(Path(__file__).resolve().parent.parent)
    drop = [setpriv, "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
    probe = subprocess.run([*drop, sys.executable, "-c", "import entrylint.pidns"],
                           env={**os.environ, "PYTHONPATH": repo}, capture_output=True,
                           text=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"nobody cannot import entrylint here: {probe.stderr.strip()[-200:]}")
    allowed = subprocess.run([*drop, "unshare", "--user", "--map-root-user", "true"],
                             capture_output=True, check=False)
    if allowed.returncode != 0:
        pytest.skip("unprivileged user namespaces are disabled on this host")
    done = subprocess.run([*drop, sys.executable, "-c", _AS_NOBODY],
                          env={**os.environ, "PYTHONPATH": repo}, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ok []")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc (Linux)")
def test_process_flags() -> None:
    flags = pidns.process_flags(os.getpid())
    assert flags is not None
    assert not flags & pidns.PF_EXITING
    assert pidns.process_flags(2**22 + 1) is None  # above pid_max's default: no such pid


@pytest.mark.skipif(not (sys.platform.startswith("linux") and pidns.exit_status_supported()),
                    reason="needs Linux 6.15+ (PIDFD_INFO_EXIT)")
def test_pidfd_exit_status_of_a_grandchild() -> None:
    """Not our child: the status comes from the pidfd, not from waitpid."""
    shell = subprocess.Popen(["sh", "-c", "sleep 30 & echo $!; wait"], stdout=subprocess.PIPE,
                             text=True)
    assert shell.stdout is not None
    grandchild = int(shell.stdout.readline())
    fd = os.pidfd_open(grandchild)
    try:
        assert pidns.pidfd_exit_status(fd) is None  # still running
        os.kill(grandchild, signal.SIGKILL)
        shell.wait(10)  # sh reaps it
        status = pidns.pidfd_exit_status(fd)
        assert status is not None
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL
    finally:
        os.close(fd)
        shell.kill()
        shell.wait()
