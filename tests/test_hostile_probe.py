"""``entrylint probe`` killed mid-run (SIGTERM, SIGHUP, SIGKILL) leaves no process behind: its
``unshare`` dies with it (a parent-death signal) and takes the namespace's PID 1 along."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from entrylint import pidns

pytestmark = pytest.mark.skipif(not pidns.can_probe(), reason="cannot make PID namespaces here")


def _descendants(pid: int) -> set[int]:
    out: set[int] = set()
    todo = [pid]
    while todo:
        p = todo.pop()
        for kid in pidns._children(p):
            if kid not in out:
                out.add(kid)
                todo.append(kid)
    return out


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP, signal.SIGKILL])
def test_probe_killed_leaves_nothing_behind(tmp_path: Path, sig: signal.Signals) -> None:
    marker = tmp_path / "marker"
    left: set[int] = set()
    probe = subprocess.Popen(
        [sys.executable, "-m", "entrylint", "probe", "--wait", "30", "--orphans", "0", "--",
         "sh", "-c", f"echo > {marker}; exec sleep 300"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 20
        while not marker.exists():
            assert time.monotonic() < deadline, "PID 1 did not start"
            assert probe.poll() is None, "probe exited early"
            time.sleep(0.05)
        left |= _descendants(probe.pid)
        assert left, "no unshare or PID 1 seen"
        probe.send_signal(sig)
        probe.wait(20)
        deadline = time.monotonic() + 20
        while any(_alive(p) for p in left):
            assert time.monotonic() < deadline, f"still running: {sorted(left)}"
            time.sleep(0.05)
    finally:
        if probe.poll() is None:
            probe.kill()
            probe.wait()
        for p in left:  # whatever this test started and left (only when it failed)
            if _alive(p):
                os.kill(p, signal.SIGKILL)
