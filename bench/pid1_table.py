#!/usr/bin/env python3
"""Measure with ``entrylint probe`` what PID 1 really does; write docs/pid1-behaviour.md.

Not a unit test.  Needs Linux and root (or unprivileged user namespaces).  It

* pip-installs the WSGI servers into its own venv under a temporary directory,
* npm-installs yarn 1, yarn 4 and pnpm into a prefix in the same directory (npm and node
  must be installed; without them the Node cases are left out),
* apt-installs busybox and tini when missing (root only),
* probes each server as PID 1, driving requests to a test app that forks a child that
  forks an orphan per request (``probe --requests``, loopback only),
* probes shell and init wrappers around a stand-in app (``probe`` injects the orphans);
  the app writes a marker file when it gets SIGTERM, so "the app got SIGTERM" is measured,
  not guessed,
* writes the table, the versions and the raw results (a fenced JSON block) to
  ``docs/pid1-behaviour.md``.

Usage:  python bench/pid1_table.py [--out docs/pid1-behaviour.md] [--grace 3] [--keep]
        python bench/pid1_table.py --only "npm start" --update   # re-measure some rows
        (--update also appends the rows of cases that the table does not have yet)
        python bench/pid1_table.py --kind daemon --update   # the daemons only (as root; a
        daemon whose Debian package is not installed is skipped, and the table says so)
Run it with a Python that can import entrylint (the project's venv).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from entrylint import pidns  # noqa: E402
from entrylint.probe import ProbeFailed, run_probe  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from pid1_daemons import Daemon, daemon_cases  # noqa: E402

SERVERS_PIP = ["gunicorn", "waitress", "uWSGI", "Flask", "Django", "tornado"]

# ------------------------------------------------------------------------------ test programs

#: The WSGI test app: per request, fork a child that forks an orphan and exits; the app waits
#: for its own child only.  Orphans live 0.1-0.7 s (varied, so periodic reaping shows).
WSGI_APP = '''\
import os, time

def fork_orphan():
    pid = os.fork()
    if pid == 0:
        if os.fork() == 0:
            time.sleep(0.1 + (time.time() * 10 % 7) / 10)
            os._exit(0)
        os._exit(0)
    os.waitpid(pid, 0)

def application(environ, start_response):
    fork_orphan()
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]
'''

SERVE_WSGIREF = '''\
import sys
from wsgiref.simple_server import make_server
from app import application
make_server("127.0.0.1", int(sys.argv[1]), application).serve_forever()
'''

FLASK_APP = '''\
from flask import Flask
import app as test_app
app = Flask(__name__)

@app.route("/")
def index():
    test_app.fork_orphan()
    return "ok"
'''

DJANGO_MANAGE = '''\
import sys
from django.conf import settings
settings.configure(DEBUG=True, ROOT_URLCONF=__name__, ALLOWED_HOSTS=["*"], SECRET_KEY="bench",
                   INSTALLED_APPS=[], MIDDLEWARE=[], DATABASES={})
from django.http import HttpResponse
from django.urls import path
import app as test_app

def index(request):
    test_app.fork_orphan()
    return HttpResponse("ok")

urlpatterns = [path("", index)]
if __name__ == "__main__":
    from django.core.management import execute_from_command_line
    execute_from_command_line(sys.argv)
'''

TORNADO_APP = '''\
import asyncio, sys
import tornado.web
import app as test_app

class Main(tornado.web.RequestHandler):
    def get(self):
        test_app.fork_orphan()
        self.write("ok")

async def main():
    tornado.web.Application([("/", Main)]).listen(int(sys.argv[1]), address="127.0.0.1")
    await asyncio.Event().wait()

asyncio.run(main())
'''

#: Stand-in app for the wrapper cases: writes $MARKER and exits 0 on SIGTERM.
STANDIN = '''\
import os, signal, sys, time
def term(*_):
    open(os.environ["MARKER"], "w").close()
    sys.exit(0)
signal.signal(signal.SIGTERM, term)
while True:
    time.sleep(60)
'''

#: Same without a SIGTERM handler.
STANDIN_NO_HANDLER = '''\
import time
while True:
    time.sleep(60)
'''

NODE_SERVER = '''\
const fs = require("fs");
process.on("SIGTERM", () => { fs.writeFileSync(process.env.MARKER, ""); process.exit(0); });
setInterval(() => {}, 1 << 30);
'''

#: A server that takes 1 s to stop (closing connections, flushing): the marker is written
#: only when it has finished, so a launcher that exits without waiting shows as `lost`.
NODE_SERVER_SLOW = '''\
const fs = require("fs");
process.on("SIGTERM", () => setTimeout(() => {
  fs.writeFileSync(process.env.MARKER, ""); process.exit(0); }, 1000));
setInterval(() => {}, 1 << 30);
'''


# ------------------------------------------------------------------------------ cases


@dataclass
class Case:
    name: str
    #: "server" | "shell" | "script" | "init" | "exec" | "node"
    kind: str
    argv: list[str]
    #: argv as a reader of the Dockerfile sees it (argv[0] without its directory)
    shown: list[str] = field(default_factory=list)
    port: int | None = None
    #: the app writes $MARKER on SIGTERM (wrapper cases)
    marker: bool = False
    runs: int = 1
    #: extra facts for the knowledge test: server name, shell name, form, init name
    facts: dict[str, Any] = field(default_factory=dict)
    wait: float = 1.0
    #: the pip package the case needs (server cases)
    pip: str | None = None
    #: the directory to run in (default: the app directory)
    cwd: Path | None = None
    #: extra environment
    env: dict[str, str] = field(default_factory=dict)
    #: orphans injected per round (None: 3, or none when the case is an HTTP server)
    orphans: int | None = None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sh(cmd: list[str], **kw: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, check=False, **kw)


def version_of(cmd: list[str], pick: int = 0) -> str | None:
    try:
        out = sh(cmd, timeout=20)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (out.stdout or out.stderr).strip().splitlines()
    return text[pick].strip() if len(text) > pick else None


def dpkg_version(pkg: str) -> str | None:
    if shutil.which("dpkg-query") is None:
        return None
    out = sh(["dpkg-query", "-W", "-f", "${Version}", pkg])
    return out.stdout.strip() or None if out.returncode == 0 else None


def ensure_apt(pkgs: list[str], log: list[str]) -> None:
    missing = [p for p in pkgs if shutil.which(p) is None]
    if not missing:
        return
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        log.append(f"not installed (need root + apt-get): {', '.join(missing)}")
        return
    print(f"apt-get install {' '.join(missing)}", flush=True)
    sh(["apt-get", "update", "-qq"])
    done = sh(["apt-get", "install", "-y", "-qq", *missing])
    if done.returncode != 0:
        log.append(f"apt-get install {' '.join(missing)} failed: {done.stderr.strip()[-300:]}")


def make_venv(work: Path, log: list[str],
              packages: list[str] | None = None) -> tuple[Path, dict[str, str]]:
    venv = work / "venv"
    print(f"creating venv {venv}", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
           "--disable-pip-version-check"]
    versions: dict[str, str] = {}
    for pkg in [*SERVERS_PIP, "dumb-init"] if packages is None else packages:
        print(f"pip install {pkg}", flush=True)
        done = sh([*pip, pkg], timeout=900)
        if done.returncode != 0:
            log.append(f"pip install {pkg} failed: {done.stderr.strip()[-400:]}")
            continue
        out = sh([str(venv / "bin" / "python"), "-c",
                  f"import importlib.metadata as m; print(m.version({pkg!r}))"])
        versions[pkg] = out.stdout.strip()
    return venv, versions


def server_cases(venv: Path, app_dir: Path, installed: dict[str, str]) -> list[Case]:
    py = str(venv / "bin" / "python")
    b = venv / "bin"
    cases: list[Case] = []

    def add(name: str, server: str, argv: list[str], shown: list[str], port: int,
            needs: str | None) -> None:
        if needs is not None and needs not in installed:
            return
        cases.append(Case(name, "server", argv, shown, port=port,
                          facts={"server": server}, wait=0, pip=needs))

    p = free_port()
    add("wsgiref (stdlib)", "wsgiref", [py, "serve_wsgiref.py", str(p)],
        ["python", "serve_wsgiref.py", "PORT"], p, None)
    p = free_port()
    add("gunicorn", "gunicorn", [str(b / "gunicorn"), "-b", f"127.0.0.1:{p}", "-w", "2",
                                 "app:application"],
        ["gunicorn", "-b", "127.0.0.1:PORT", "-w", "2", "app:application"], p, "gunicorn")
    p = free_port()
    add("waitress", "waitress-serve", [str(b / "waitress-serve"), f"--listen=127.0.0.1:{p}",
                                       "app:application"],
        ["waitress-serve", "--listen=127.0.0.1:PORT", "app:application"], p, "waitress")
    for flags, label, server in (
        ([], "uWSGI (no --master)", "uwsgi-no-master"),
        (["--master"], "uWSGI --master", "uwsgi"),
        (["--master", "--die-on-term"], "uWSGI --master --die-on-term", "uwsgi"),
    ):
        p = free_port()
        add(label, server, [str(b / "uwsgi"), *flags, "--http-socket", f"127.0.0.1:{p}",
                            "--wsgi-file", "app.py", "--disable-logging"],
            ["uwsgi", *flags, "--http-socket", "127.0.0.1:PORT", "--wsgi-file", "app.py"],
            p, "uWSGI")
    p = free_port()
    add("Flask dev server (flask run)", "flask",
        [str(b / "flask"), "--app", "flask_app", "run", "--port", str(p)],
        ["flask", "--app", "flask_app", "run", "--port", "PORT"], p, "Flask")
    p = free_port()
    add("Django runserver --noreload", "django-runserver",
        [py, "manage.py", "runserver", "--noreload", f"127.0.0.1:{p}"],
        ["python", "manage.py", "runserver", "--noreload", "127.0.0.1:PORT"], p, "Django")
    p = free_port()
    add("Django runserver (autoreloader on)", "django-runserver",
        [py, "manage.py", "runserver", f"127.0.0.1:{p}"],
        ["python", "manage.py", "runserver", "127.0.0.1:PORT"], p, "Django")
    p = free_port()
    add("Tornado", "tornado", [py, "tornado_app.py", str(p)],
        ["python", "tornado_app.py", "PORT"], p, "tornado")
    return cases


def wrapper_cases(work: Path, venv: Path) -> list[Case]:
    py = sys.executable
    app = f"{py} standin.py"
    cases: list[Case] = [
        Case("exec form `python app.py` (SIGTERM handler)", "exec", [py, "standin.py"],
             ["python", "app.py"], marker=True),
        Case("exec form `python app.py` (no handler)", "exec", [py, "standin_nohandler.py"],
             ["python", "app.py"]),
    ]
    shells = [("dash", shutil.which("dash")), ("bash", shutil.which("bash")),
              ("busybox", shutil.which("busybox"))]
    for shell, path in shells:
        if path is None:
            continue
        base = [path, "sh"] if shell == "busybox" else [path]
        label = "busybox sh" if shell == "busybox" else shell
        for form, script, show in (
            ("lone", app, "app"),
            ("and", f"cd {work} && {app}", "cd /x && app"),
            ("redirect", f"{app} 2>&1", "app 2>&1"),
            ("then-true", f"{app}; true", "app; true"),
            ("exec", f"exec {app}", "exec app"),
        ):
            cases.append(Case(f"`{label} -c '{show}'`", "shell", [*base, "-c", script],
                              [label, "-c", show], marker=True,
                              facts={"shell": shell, "form": form}))
    for interp in ("/bin/sh", "/bin/bash"):
        if not Path(interp).exists():
            continue
        for use_exec in (False, True):
            name = f"start-{Path(interp).name}-{'exec' if use_exec else 'noexec'}.sh"
            last = "with" if use_exec else "without"
            cases.append(Case(f"start.sh (`#!{interp}`), last line {last} `exec`", "script",
                              [str(work / name)], [f"./{name}"], marker=True,
                              facts={"exec": use_exec}))
    cases.append(Case("trap-and-wait script", "script", [str(work / "trap-wait.sh")],
                      ["./trap-wait.sh"], marker=True, facts={"trap": True}))
    tini = shutil.which("tini")
    dumb = shutil.which("dumb-init") or (str(venv / "bin" / "dumb-init")
                                         if (venv / "bin" / "dumb-init").exists() else None)
    if tini:
        cases += [
            Case("`tini -- app`", "init", [tini, "--", py, "standin.py"],
                 ["tini", "--", "python", "app.py"], marker=True, facts={"init": "tini"}),
            Case("`tini -- app` (app without handler)", "init",
                 [tini, "--", py, "standin_nohandler.py"], ["tini", "--", "python", "app.py"],
                 marker=False, facts={"init": "tini"}),
            Case("`tini -g -- app`", "init", [tini, "-g", "--", py, "standin.py"],
                 ["tini", "-g", "--", "python", "app.py"], marker=True,
                 facts={"init": "tini"}),
            Case("`tini -- start.sh` (no exec)", "init",
                 [tini, "--", str(work / "start-sh-noexec.sh")],
                 ["tini", "--", "./start.sh"], marker=True, runs=3, facts={"init": "tini"}),
            Case("`tini -g -- start.sh` (no exec)", "init",
                 [tini, "-g", "--", str(work / "start-sh-noexec.sh")],
                 ["tini", "-g", "--", "./start.sh"], marker=True, runs=3,
                 facts={"init": "tini"}),
        ]
    if dumb:
        cases += [
            Case("`dumb-init app`", "init", [dumb, py, "standin.py"],
                 ["dumb-init", "python", "app.py"], marker=True, facts={"init": "dumb-init"}),
            Case("`dumb-init start.sh` (no exec)", "init",
                 [dumb, str(work / "start-sh-noexec.sh")], ["dumb-init", "./start.sh"],
                 marker=True, runs=3, facts={"init": "dumb-init"}),
        ]
    cases += privilege_cases(work)
    node, npm = shutil.which("node"), shutil.which("npm")
    if node:
        cases.append(Case("`node server.js` (SIGTERM handler)", "node", [node, "server.js"],
                          ["node", "server.js"], marker=True, facts={"program": "node"}))
    if node and npm:
        cases.append(Case("`npm start` (runs `sh -c \"node server.js\"`)", "node",
                          [npm, "start"], ["npm", "start"], marker=True,
                          facts={"program": "npm", "variant": "npm"}, wait=3))
        if tini:
            cases += [
                Case("`tini -- npm start`", "node", [tini, "--", npm, "start"],
                     ["tini", "--", "npm", "start"], marker=True,
                     facts={"program": "npm", "init": "tini"}, wait=3),
                Case("`tini -g -- npm start`", "node", [tini, "-g", "--", npm, "start"],
                     ["tini", "-g", "--", "npm", "start"], marker=True,
                     facts={"program": "npm", "init": "tini"}, wait=3),
            ]
    cases += package_manager_cases(work)
    return cases


#: npm packages of the package managers measured besides npm (into a temporary prefix).
PACKAGE_MANAGERS_NPM = {"yarn classic": "yarn@1", "yarn berry": "@yarnpkg/cli-dist@4",
                        "pnpm": "pnpm@10"}

#: Where install_package_managers() installed them, and their versions (set in main).
PM_PATHS: dict[str, list[str]] = {}
PM_VERSIONS: dict[str, str] = {}


def install_package_managers(work: Path, log: list[str]) -> None:
    """npm-install yarn 1, yarn 4 (berry) and pnpm into ``work/pm`` (not globally); set up a
    yarn berry project (empty yarn.lock, Plug'n'Play install, offline) in ``app/berry``."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        log.append("node/npm not installed: no yarn, pnpm or npx case")
        return
    prefix = work / "pm"
    print(f"npm install {' '.join(PACKAGE_MANAGERS_NPM.values())} (prefix {prefix})",
          flush=True)
    done = sh([npm, "install", "--prefix", str(prefix), "--no-fund", "--no-audit",
               "--loglevel=error", *PACKAGE_MANAGERS_NPM.values()], timeout=600)
    if done.returncode != 0:
        log.append(f"npm install of yarn/pnpm failed: {done.stderr.strip()[-300:]}")
        return
    mods = prefix / "node_modules"
    # yarn 1 and yarn 4 both ship a `yarn` bin: run each one's own script with node, the
    # way a `#!/usr/bin/env node` script runs (PID 1 is node running the package manager).
    paths = {"yarn classic": [node, str(mods / "yarn" / "bin" / "yarn.js")],
             "yarn berry": [node, str(mods / "@yarnpkg" / "cli-dist" / "bin" / "yarn.js")],
             "pnpm": [node, str(mods / "pnpm" / "bin" / "pnpm.cjs")]}
    for name, argv in paths.items():
        ver = version_of([*argv, "--version"])
        if ver is None:
            log.append(f"{name}: `--version` failed")
            continue
        PM_PATHS[name] = argv
        PM_VERSIONS[name] = ver


def berry_env(work: Path) -> dict[str, str]:
    return {"HOME": str(work / "home"), "YARN_ENABLE_TELEMETRY": "0",
            "YARN_ENABLE_GLOBAL_CACHE": "0", "YARN_ENABLE_NETWORK": "0"}


def setup_berry_project(app_dir: Path, log: list[str]) -> None:
    if "yarn berry" not in PM_PATHS:
        return
    proj = app_dir / "berry"
    proj.mkdir()
    for name in ("package.json", "server.js", "slow-server.js"):
        shutil.copy(app_dir / name, proj / name)
    (proj / "yarn.lock").write_text("")
    (app_dir / "home").mkdir(exist_ok=True)
    done = sh([*PM_PATHS["yarn berry"], "install"], cwd=proj,
              env={**os.environ, **berry_env(app_dir)}, timeout=120)
    if done.returncode != 0:
        log.append(f"yarn berry install failed: {(done.stdout + done.stderr).strip()[-300:]}")
        del PM_PATHS["yarn berry"]


def package_manager_cases(work: Path) -> list[Case]:
    """yarn 1, yarn 4, pnpm and npx in front of ``node server.js`` (the app writes $MARKER
    on SIGTERM)."""
    cases: list[Case] = []
    for name, label, argv, cwd, env in (
        ("yarn classic", "`yarn start` (yarn 1, runs `sh -c \"node server.js\"`)",
         ["start"], None, {}),
        ("yarn berry", "`yarn start` (yarn 4 berry, runs `node server.js` itself)",
         ["start"], work / "berry", berry_env(work)),
        ("pnpm", "`pnpm start` (runs `sh -c \"node server.js\"`)", ["start"], None, {}),
    ):
        if name not in PM_PATHS:
            continue
        cases.append(Case(label, "node", [*PM_PATHS[name], *argv], [name.split()[0], *argv],
                          marker=True, facts={"program": name.split()[0], "variant": name},
                          wait=4, cwd=cwd, env=env, runs=3))
    # the same with an app that needs 1 s to stop (`npm run slow`: node slow-server.js)
    tini = shutil.which("tini")
    npm = shutil.which("npm")
    slow: list[tuple[str, list[str], list[str], dict[str, Any]]] = []
    if npm:
        slow.append(("npm", [npm], ["npm"], {}))
    slow += [(name, PM_PATHS[name], [name.split()[0]], {}) for name in PM_PATHS]
    for name, argv, shown, _ in slow:
        what = {"npm": "npm", "yarn classic": "yarn 1", "yarn berry": "yarn 4"}.get(name, name)
        cwd = work / "berry" if name == "yarn berry" else None
        env = berry_env(work) if name == "yarn berry" else {}
        fact = {"program": shown[0], "variant": name, "slow": True}
        cases.append(Case(f"`{shown[0]} run slow` ({what}; the app takes 1 s to stop)", "node",
                          [*argv, "run", "slow"], [*shown, "run", "slow"], marker=True,
                          facts=fact, wait=4, cwd=cwd, env=env, runs=3))
        if tini and name in ("npm", "pnpm"):
            for flags in ([], ["-g"]):
                cases.append(Case(
                    f"`tini {' '.join([*flags, '--'])} {shown[0]} run slow` ({what}; the app "
                    f"takes 1 s to stop)", "node", [tini, *flags, "--", *argv, "run", "slow"],
                    ["tini", *flags, "--", *shown, "run", "slow"], marker=True,
                    facts={**fact, "init": "tini"}, wait=4, runs=3))
    if npm and (work / "node_modules" / ".bin" / "bench-server").exists():
        npx = str(Path(npm).with_name("npx"))
        cases.append(Case("`npx bench-server` (a node_modules/.bin program; runs "
                          "`sh -c bench-server`)", "node", [npx, "--offline", "bench-server"],
                          ["npx", "bench-server"], marker=True,
                          facts={"program": "npx", "variant": "npx"}, wait=4, runs=3))
    return cases


#: A Python that the unprivileged user can run (the venv's may live under /root).
SYSTEM_PYTHON = "/usr/bin/python3"


def privilege_cases(work: Path) -> list[Case]:
    """su / sudo / runuser / setpriv dropping to ``nobody`` in front of the stand-in app (root
    only; the app's directory is made writable for its marker file in :func:`main`)."""
    if os.geteuid() != 0 or not Path(SYSTEM_PYTHON).exists():
        return []
    app = [SYSTEM_PYTHON, str(work / "standin.py")]
    line = " ".join(app)
    found = {p: shutil.which(p) for p in ("su", "sudo", "runuser", "setpriv")}
    table: list[tuple[str, str, list[str], list[str]]] = [
        ("`su nobody -s /bin/sh -c 'app'`", "su",
         ["nobody", "-s", "/bin/sh", "-c", line], ["nobody", "-s", "/bin/sh", "-c", "app"]),
        ("`su nobody -s /bin/sh -c 'exec app'`", "su",
         ["nobody", "-s", "/bin/sh", "-c", f"exec {line}"],
         ["nobody", "-s", "/bin/sh", "-c", "exec app"]),
        ("`sudo -u nobody app`", "sudo", ["-u", "nobody", "--preserve-env=MARKER", *app],
         ["-u", "nobody", "python", "app.py"]),
        ("`runuser -u nobody -- app`", "runuser", ["-u", "nobody", "--", *app],
         ["-u", "nobody", "--", "python", "app.py"]),
        ("`setpriv --reuid=nobody --regid=nogroup --clear-groups app`", "setpriv",
         ["--reuid=nobody", "--regid=nogroup", "--clear-groups", *app],
         ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "python", "app.py"]),
    ]
    out = []
    for name, prog, args, shown in table:
        path = found[prog]
        if path is None:
            continue
        out.append(Case(name, "privilege", [path, *args], [prog, *shown], marker=True,
                        facts={"program": prog}, wait=2))
    return out


def write_programs(work: Path) -> None:
    py = sys.executable
    files = {
        "app.py": WSGI_APP, "serve_wsgiref.py": SERVE_WSGIREF, "flask_app.py": FLASK_APP,
        "manage.py": DJANGO_MANAGE, "tornado_app.py": TORNADO_APP, "standin.py": STANDIN,
        "standin_nohandler.py": STANDIN_NO_HANDLER, "server.js": NODE_SERVER,
        "package.json": json.dumps({"name": "bench", "version": "1.0.0", "private": True,
                                    "scripts": {"start": "node server.js",
                                                "slow": "node slow-server.js"}}),
        "slow-server.js": NODE_SERVER_SLOW,
        "start-sh-noexec.sh": f"#!/bin/sh\ncd {work}\n{py} standin.py\n",
        "start-sh-exec.sh": f"#!/bin/sh\ncd {work}\nexec {py} standin.py\n",
        "start-bash-noexec.sh": f"#!/bin/bash\ncd {work}\n{py} standin.py\n",
        "start-bash-exec.sh": f"#!/bin/bash\ncd {work}\nexec {py} standin.py\n",
        "trap-wait.sh": textwrap.dedent(f"""\
            #!/bin/sh
            cd {work}
            trap 'kill -TERM $PID' TERM INT
            {py} standin.py &
            PID=$!
            wait $PID
            trap - TERM INT
            wait $PID
            """),
    }
    for name, text in files.items():
        path = work / name
        path.write_text(text)
        if name.endswith(".sh"):
            path.chmod(0o755)
    # a program in node_modules/.bin for npx (as a package's "bin" links it there)
    bin_dir = work / "node_modules" / ".bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "bench-server").write_text("#!/usr/bin/env node\n" + NODE_SERVER)
    (bin_dir / "bench-server").chmod(0o755)


# ------------------------------------------------------------------------------ running


#: how run_probe says that PID 1 exited before it could be probed
EXITED_AT_START = "exited during startup"


def run_case(case: Case, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    runs: list[dict[str, Any]] = []
    for _ in range(case.runs):
        marker = work / "got-sigterm"
        with contextlib.suppress(FileNotFoundError):
            marker.unlink()
        env_backup = dict(os.environ)
        os.environ.update({"MARKER": str(marker), "NPM_CONFIG_UPDATE_NOTIFIER": "false",
                           "NPM_CONFIG_FUND": "false", "NPM_CONFIG_AUDIT": "false",
                           "NPM_CONFIG_OFFLINE": "true", "PYTHONDONTWRITEBYTECODE": "1",
                           "PYTHONPATH": str(work), **case.env})
        http = case.port is not None and case.kind == "server"
        orphans = case.orphans if case.orphans is not None else (0 if http else 3)
        try:
            res = run_probe(
                case.argv, cwd=case.cwd or work, grace=args.grace, wait=case.wait,
                wait_port=case.port, start_timeout=60,
                orphans=orphans, rounds=2, settle=args.settle,
                request_url=f"http://127.0.0.1:{case.port}/" if http else None,
                request_count=3, show_output=args.verbose,
            )
        except (pidns.ProbeError, ProbeFailed) as exc:
            runs.append({"error": str(exc)})
            continue
        finally:
            os.environ.clear()
            os.environ.update(env_backup)
        got = marker.exists() if case.marker else None
        runs.append({"probe": res, "app_got_sigterm": got})
    return summarize(case, runs)


def sigterm_word(run: dict[str, Any]) -> str:
    stop = run["probe"]["stop"]
    if stop["outcome"] == "killed":
        return "ignored"
    if stop["outcome"] == "exited-early":
        return "exited-early"
    if stop["outcome"] == "lost":
        return "lost"  # probe saw processes SIGKILLed when PID 1 exited (or before)
    if run["app_got_sigterm"] is False:
        return "lost"  # PID 1 exited, the app never got the signal (killed with the namespace)
    return "exits"


def reaps_word(run: dict[str, Any]) -> str:
    stop = run["probe"]["stop"]
    code = stop["returncode"]
    if stop["outcome"] == "exited-early" and code is not None and code < 0:
        # PID 1 died of a signal while orphans were handed to it: the orphans it "reaped"
        # were killed with the namespace
        return f"crashed ({signal.Signals(-code).name})"
    return {"immediate": "yes", "periodic": "periodic", "no": "no",
            "skipped": "not tried"}.get(
        run["probe"]["reaping"]["verdict"], run["probe"]["reaping"]["verdict"])


def summarize(case: Case, runs: list[dict[str, Any]]) -> dict[str, Any]:
    row: dict[str, Any] = {"case": case.name, "kind": case.kind, "argv": case.shown,
                           **case.facts, "runs": len(runs)}
    ok = [r for r in runs if "probe" in r]
    early = [r for r in runs if EXITED_AT_START in r.get("error", "")]
    if not ok and early and case.kind == "daemon":
        # PID 1 exited by itself before anything was measured (forked into the background)
        row.update({"reaps": "not tried", "sigterm": "exited-early", "stop_seconds": None,
                    "pid1_name": "—", "zombies_left": "—", "orphans": 0,
                    "exited_at_start": early[0]["error"]})
        return row
    if not ok:
        row.update({"reaps": "error", "sigterm": "error", "stop_seconds": None,
                    "error": runs[0].get("error") if runs else "not run"})
        return row
    words = [sigterm_word(r) for r in ok]
    reaps = sorted({reaps_word(r) for r in ok})
    row["reaps"] = reaps[0] if len(reaps) == 1 else "mixed: " + ", ".join(reaps)
    if len(set(words)) == 1:
        row["sigterm"] = words[0]
    else:
        row["sigterm"] = "mixed: " + ", ".join(f"{w} {words.count(w)} of {len(words)}"
                                               for w in sorted(set(words)))
    secs = [r["probe"]["stop"]["seconds"] for r in ok if r["probe"]["stop"]["seconds"] is not None]
    row["stop_seconds"] = round(max(secs), 2) if secs else None
    first = ok[0]["probe"]
    row["returncode"] = [r["probe"]["stop"]["returncode"] for r in ok]
    row["pid1_name"] = first["pid1_name"]
    row["app_is_pid1"] = first["pid1_name"].startswith(("python", "node"))
    if case.facts.get("variant"):  # yarn and pnpm are node too: did node stay alone?
        row["app_is_pid1"] = row["app_is_pid1"] and first["processes_at_start"] == 1
    row["app_got_sigterm"] = [r["app_got_sigterm"] for r in ok]
    row["orphans"] = first["reaping"]["orphans"]
    row["zombies_left"] = first["reaping"]["zombies_left"]
    row["max_reap_latency"] = first["reaping"]["max_latency_seconds"]
    row["raw"] = [r["probe"] for r in ok]
    if len(ok) < len(runs):
        row["errors"] = [r["error"] for r in runs if "error" in r]
    return row


# ------------------------------------------------------------------------------ the document


def stop_cell(row: dict[str, Any], grace: float) -> str:
    if row["sigterm"] == "ignored":
        return f"killed after grace ({grace:g} s)"
    return "—" if row["stop_seconds"] is None else f"{row['stop_seconds']:.2f}"


def render(rows: list[dict[str, Any]], meta: dict[str, Any]) -> str:
    grace = meta["grace_seconds"]
    out = [
        "# What PID 1 really does — measured by `entrylint probe`",
        "",
        "Generated by `bench/pid1_table.py` — do not edit by hand; run it again.",
        f"Measured {meta['date']} on {meta['host']}; Python {meta['python']}.",
        "",
        "Each case ran as PID 1 of a fresh PID namespace (`unshare --pid --fork --mount-proc`),",
        "as a container runtime runs it.  Servers: 2 rounds of 3 HTTP GETs to a test app that",
        "forks a child that forks an orphan per request (`probe --requests`, 127.0.0.1 only).",
        "Wrappers: 2 rounds of 3 orphans injected into the namespace (`probe --orphans 3`) around",
        "a stand-in Python app that writes a marker file when it gets SIGTERM.",
        "Daemons (`bench/pid1_daemons.py`, Debian 12's packages, run as root on a loopback",
        "port): 2 rounds of 3 injected orphans, or none where the case says so.",
        f"Stop: SIGTERM to PID 1, then SIGKILL after a **short grace of {grace:g} s** (docker",
        "stop waits 10 s; a case marked \"killed after grace\" would be killed there too).",
        f"Settle: an exited orphan gets {meta['settle_seconds']:g} s to be reaped.",
        "",
        "Columns: **reaps** `yes` (at once) / `periodic` (about once a second) / `no` (zombies",
        "left); **sigterm** `exits` (PID 1 exited, and where the app reports it, the app got",
        "SIGTERM) / `ignored` (no exit within the grace: would be SIGKILLed) / `lost` (PID 1",
        "exited, but the app was SIGKILLed: it never got SIGTERM, or was killed before it had",
        "finished stopping; the kernel kills what is left when PID 1 exits.  Seen by the app's",
        "marker file and, since probe checks it, by the processes' exit statuses) /",
        "`mixed: …` (races; counts over the runs); **PID 1** is the process name of PID 1",
        "after start (an app name means the wrapper exec'd it).",
        "",
        "| case | reaps | sigterm | stop seconds | zombies left | PID 1 |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r["reaps"] == "error":
            out.append(f"| {r['case']} | error | error | — | — | {r.get('error', '')} |")
            continue
        pid1 = "—" if r["pid1_name"] == "—" else f"`{r['pid1_name']}`"
        out.append(f"| {r['case']} | {r['reaps']} | {r['sigterm']} | {stop_cell(r, grace)} | "
                   f"{r['zombies_left']} | {pid1} |")
    out += ["", "## Versions", ""]
    out += [f"- {k}: {v}" for k, v in sorted(meta["versions"].items())]
    for upd in meta.get("updates", []):
        host = upd.get("host", meta["host"])
        where = "same host" if host == meta["host"] else f"on {host}"
        debs = [f"{k} {v}" for k, v in sorted(upd["versions"].items())
                if k.endswith("(deb)") and meta["versions"].get(k) != v]
        vers = f"; versions in the JSON{': ' + ', '.join(debs) if debs else ''}"
        added = upd.get("added", [])
        again = [c for c in upd["cases"] if c not in added]
        for word, cases in (("Re-measured", again), ("Added", added)):
            if cases:
                out += ["", f"{word} {upd['date']} with `--update` ({where}{vers}): "
                        + "; ".join(cases) + "."]
    measured = {r["case"] for r in rows}
    skips: dict[str, str] = {}
    for part in [meta, *meta.get("updates", [])]:
        skips.update({k: v for k, v in part.get("skipped", {}).items() if k not in measured})
    problems = [*meta["problems"], *(f"{u['date']}: {p}" for u in meta.get("updates", [])
                                     for p in u.get("problems", []))]
    problems += [f"{case}: {why}" for case, why in sorted(skips.items())]
    if problems:
        out += ["", "## Not measured", ""]
        out += [f"- {p}" for p in problems]
    out += [
        "",
        "## Notes",
        "",
        "- `probe` cannot see whether a server's workers got SIGTERM, but it does see (from",
        "  each process's exit status, Linux 6.15+) when one was SIGKILLed while PID 1 stopped:",
        "  Django's autoreloader exits on SIGTERM but SIGKILLs its serving child (`lost`, as",
        "  the reference measurements in shared/ found).  The wrapper rows also use the app's",
        "  marker file: `tini -g -- start.sh` passes SIGTERM on, but tini exits when the shell",
        "  dies and the app is SIGKILLed before it has finished stopping.",
        "- Rows measured before that check (see \"Re-measured\" above for those since) could",
        "  only tell `lost` from the marker file.",
        "- uWSGI 2.0 treats SIGTERM as *reload* without `--die-on-term`: it does not exit.",
        "- Cases run several times (`mixed`) are races between the init and the shell it runs.",
        "- yarn and pnpm are node programs, so their PID 1 shows as `node`: the JSON's",
        "  `app_is_pid1` is false for them because more than one process was running at start",
        "  (the package manager, its `sh -c` if any, the app).  yarn 1, yarn 4 and pnpm are",
        "  npm-installed into the bench's temporary directory; yarn 4 runs in a project of",
        "  its own (empty yarn.lock, offline Plug'n'Play install), the others in the app's.",
        "- In the `… run slow` rows the app takes 1 s to stop and writes its marker only when",
        "  it is done: `lost` there means PID 1 (the launcher, or tini with it) exited without",
        "  waiting, and the app was SIGKILLed part-way through stopping.",
        "- Daemons: `exited-early` means PID 1 was gone before SIGTERM was sent.  With reaps",
        "  `not tried` it exited as soon as it started (`exim4 -bd` forks into the background:",
        "  a container would stop at once); with `crashed (SIG…)` it died of that signal while",
        "  orphans were handed to it (the orphans then die with the namespace).  `probe`'s",
        "  orphans are processes PID 1 did not fork: vsftpd reaps the first and then crashes,",
        "  treating it as one of its own sessions.  Its `(no orphans)` row shows SIGTERM alone.",
        "",
        "## Raw results",
        "",
        "`tests/test_knowledge_agrees.py` reads this block and checks `entrylint/knowledge.py`",
        "against it.",
        "",
        "```json",
        json.dumps({"meta": meta, "rows": rows}, indent=1, sort_keys=True),
        "```",
        "",
    ]
    return "\n".join(out)


def selected(case: Case, args: argparse.Namespace) -> bool:
    """The case is among those --only and --kind select."""
    if args.kind and case.kind != args.kind:
        return False
    return not args.only or args.only.lower() in case.name.lower()


def daemon_case(d: Daemon) -> Case:
    return Case(d.name, "daemon", d.argv, d.shown, port=d.port, orphans=d.orphans,
                wait=d.wait, runs=d.runs, facts={"daemon": d.program, "package": d.package})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "pid1-behaviour.md")
    ap.add_argument("--grace", type=float, default=3.0)
    ap.add_argument("--settle", type=float, default=2.0)
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    ap.add_argument("--verbose", action="store_true", help="show the programs' output")
    ap.add_argument("--only", help="run only cases whose name contains this text")
    ap.add_argument("--kind", help="run only cases of this kind (daemon: sshd, haproxy, "
                                   "exim, FTP servers, ...; see bench/pid1_daemons.py)")
    ap.add_argument("--rerender", action="store_true",
                    help="measure nothing: rewrite --out from its own JSON block")
    ap.add_argument("--update", action="store_true",
                    help="with --only: measure those cases and replace their rows in --out, "
                         "keeping the other rows (pip-installs only what they need)")
    args = ap.parse_args()
    if args.update and not (args.only or args.kind):
        ap.error("--update needs --only or --kind")
    if args.rerender:
        text = args.out.read_text()
        block = text.split("```json\n", 1)[1].split("\n```", 1)[0]
        data = json.loads(block)
        args.out.write_text(render(data["rows"], data["meta"]))
        print(f"re-rendered {args.out}")
        return 0
    try:
        mode = pidns.namespace_mode()
    except pidns.ProbeUnavailable as exc:
        print(f"pid1_table: cannot probe here: {exc}", file=sys.stderr)
        return 2
    problems: list[str] = []
    ensure_apt(["busybox", "tini"], problems)
    daemons_only = args.kind == "daemon"
    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="entrylint-bench-"))
    try:
        app_dir = work / "app"
        packages: list[str] | None = None
        if args.only or args.kind:  # servers only when a server case is selected
            every = {k: "?" for k in SERVERS_PIP}
            wanted = [c for c in server_cases(work / "venv", app_dir, every)
                      if selected(c, args)]
            packages = [*sorted({c.pip for c in wanted if c.pip})]
            packages += [] if daemons_only else ["dumb-init"]
        venv, installed = make_venv(work, problems, packages)
        app_dir.mkdir()
        write_programs(app_dir)
        if not daemons_only:
            install_package_managers(work, problems)  # a few seconds; needs the npm registry
            setup_berry_project(app_dir, problems)
        if os.geteuid() == 0:  # the privilege-drop cases run the app as nobody
            work.chmod(0o755)
            app_dir.chmod(0o777)
        skipped: dict[str, str] = {}
        daemons = daemon_cases(app_dir, free_port, skipped) if os.geteuid() == 0 else []
        if os.geteuid() != 0:
            problems.append("daemons: not measured (they run from Debian packages, as root)")
        cases = (server_cases(venv, app_dir, installed) + wrapper_cases(app_dir, venv)
                 + [daemon_case(d) for d in daemons])
        cases = [c for c in cases if selected(c, args)]
        rows = []
        for case in cases:
            t0 = time.monotonic()
            print(f"probing {case.name} ...", end=" ", flush=True)
            row = run_case(case, app_dir, args)
            print(f"reaps {row['reaps']}, sigterm {row['sigterm']} "
                  f"({time.monotonic() - t0:.1f} s)", flush=True)
            rows.append(row)
        versions = {f"{k} (pip)": v for k, v in installed.items()}
        versions.update({f"{k} (npm)": v for k, v in PM_VERSIONS.items()})
        versions["python"] = platform.python_version()
        for name, ver in (
            ("dash (deb)", dpkg_version("dash")), ("bash", version_of(["bash", "--version"])),
            ("busybox", version_of(["busybox"])), ("tini", version_of(["tini", "--version"])),
            ("node", version_of(["node", "--version"])), ("npm", version_of(["npm", "--version"])),
            ("util-linux unshare", version_of(["unshare", "--version"])),
            ("sudo", version_of(["sudo", "--version"])),
            *((f"{d} (deb)", dpkg_version(d)) for d in sorted({d.package for d in daemons})),
            ("kernel", platform.release()),
        ):
            if ver:
                versions[name] = ver
        meta = {
            "date": datetime.date.today().isoformat(),
            "host": f"{platform.system()} {platform.release()} ({platform.machine()})",
            "python": platform.python_version(), "namespace": mode,
            "grace_seconds": args.grace, "settle_seconds": args.settle,
            "versions": versions, "problems": problems, "skipped": skipped,
            "bench_seconds": round(time.monotonic() - started, 1),
        }
        if args.update:
            text = args.out.read_text()
            old = json.loads(text.split("```json\n", 1)[1].split("\n```", 1)[0])
            fresh = {r["case"]: r for r in rows}
            known = {r["case"] for r in old["rows"]}
            added = [r for r in rows if r["case"] not in known]
            for r in added:
                print(f"pid1_table: --update: new row {r['case']!r}", flush=True)
            rows = [fresh.get(r["case"], r) for r in old["rows"]] + added
            meta = {**old["meta"], "updates": [*old["meta"].get("updates", []), {
                "date": meta["date"], "host": meta["host"], "cases": sorted(fresh),
                "versions": meta["versions"], "bench_seconds": meta["bench_seconds"],
                "problems": problems, "skipped": skipped,
                "added": sorted(r["case"] for r in added)}]}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(render(rows, meta))
        print(f"wrote {args.out} in {time.monotonic() - started:.1f} s", flush=True)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
