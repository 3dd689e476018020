"""Stand-in programs for run-as-PID-1 tests, stdlib only.  Tests write them to tmp_path."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from entrylint.pidns import can_probe

needs_pidns = pytest.mark.skipif(
    not can_probe(),
    reason="needs Linux PID namespaces (root or unprivileged user namespaces); CI runs as root",
)

PY = sys.executable

#: Exits 0 on SIGTERM; never calls waitpid: orphans stay zombies.
NEVER_REAPS = """\
import signal, sys, time
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    time.sleep(60)
"""

#: A SIGCHLD handler that reaps every exited child at once (to start a stand-in with).
REAP_ON_SIGCHLD = """\
import os, signal, sys, time
def reap(*_):
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass
signal.signal(signal.SIGCHLD, reap)
reap()  # children that exited while Python was starting (a loaded machine): no SIGCHLD left
"""

#: Exits 0 on SIGTERM; reaps every child at once from a SIGCHLD handler.
REAPS = REAP_ON_SIGCHLD + """\
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    time.sleep(60)
"""

#: Exits 0 on SIGTERM; reaps once a second (like uWSGI's master).
REAPS_PERIODICALLY = """\
import os, signal, sys, time
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
while True:
    time.sleep(1)
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass
"""

#: No SIGTERM handler: as PID 1 the signal is ignored.
NO_HANDLER = """\
import time
while True:
    time.sleep(60)
"""

#: HTTP server on 127.0.0.1:PORT (argv[1]); each GET forks a child that forks an orphan
#: (the orphan lives 0.1 s) and exits; the server waits for its direct child only.
FORKING_SERVER = """\
import http.server, os, signal, sys, time
signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        pid = os.fork()
        if pid == 0:
            if os.fork() == 0:
                time.sleep(0.1)
                os._exit(0)
            os._exit(0)
        os.waitpid(pid, 0)
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")
    def log_message(self, *a):
        pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


#: Like gunicorn's master: two workers; on SIGTERM it stops them (SIGTERM), waits, exits 0.
STOPS_WORKERS = """\
import os, signal, sys, time
kids = []
for _ in range(2):
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
        while True:
            time.sleep(60)
    kids.append(pid)
def stop(*_):
    for k in kids:
        os.kill(k, signal.SIGTERM)
    for k in kids:
        os.waitpid(k, 0)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
while True:
    time.sleep(60)
"""

#: Starts argv[1:] as a child and exits 0 on SIGTERM without passing it on: the child is
#: left running, and the kernel SIGKILLs it when this PID 1 exits.
LEAVES_CHILD = """\
import os, signal, subprocess, sys, time
subprocess.Popen(sys.argv[1:])
signal.signal(signal.SIGTERM, lambda *a: os._exit(0))
while True:
    time.sleep(60)
"""

#: Like Django's autoreloader: runs argv[1:] as a child; on SIGTERM it SIGKILLs the child,
#: waits for it and exits 0.
#: PID 1 SIGKILLs its child, cleans up for 0.2 s and exits 0.  (probe tells "before PID 1
#: exited" from "with the namespace" by when it sees the child end; a PID 1 that exits within
#: microseconds of the kill is not told apart on a loaded host, so the fixture leaves a gap.)
KILLS_CHILD = """\
import os, signal, subprocess, sys, time
child = subprocess.Popen(sys.argv[1:])
def stop(*_):
    child.kill()
    child.wait()
    time.sleep(0.2)
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
while True:
    time.sleep(60)
"""
