"""``entrylint probe``: verdicts, exit codes, JSON, errors (never a traceback)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from pid1_apps import (
    FORKING_SERVER,
    KILLS_CHILD,
    LEAVES_CHILD,
    NEVER_REAPS,
    NO_HANDLER,
    PY,
    REAP_ON_SIGCHLD,
    REAPS,
    REAPS_PERIODICALLY,
    STOPS_WORKERS,
    free_port,
    needs_pidns,
    write,
)

from entrylint import pidns
from entrylint.cli import main
from entrylint.probe import SignalResult, describe_stop, missing_on_host, parse_signal
from entrylint.source import SourceError

#: Short timings: tests check behaviour, not speed (that belongs to bench/).
FAST = ["--wait", "0.3", "--rounds", "1", "--settle", "1", "--grace", "2", "-q"]


def probe(*args: str) -> Result:
    return CliRunner().invoke(main, ["probe", *args], catch_exceptions=False)


def probe_json(*args: str) -> tuple[int, dict[str, Any]]:
    res = probe(*FAST, "--format", "json", *args)
    return res.exit_code, json.loads(res.stdout)


# ---------------------------------------------------------------------------- no namespace


@pytest.mark.parametrize(("text", "num"), [("TERM", 15), ("SIGTERM", 15), ("sigquit", 3),
                                           ("15", 15), ("SIGWINCH", 28), (" int ", 2)])
def test_parse_signal(text: str, num: int) -> None:
    assert parse_signal(text) == num


@pytest.mark.parametrize("text", ["FOO", "0", "999", "", "SIG"])
def test_parse_signal_rejects(text: str) -> None:
    with pytest.raises(ValueError):
        parse_signal(text)


def test_bad_signal_is_a_usage_error() -> None:
    res = CliRunner().invoke(main, ["probe", "--signal", "NOPE", "--", "true"])
    assert res.exit_code == 2
    assert "unknown signal: NOPE" in res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)


@pytest.mark.parametrize("url", ["http://example.com/", "http://10.0.0.1:80/",
                                 "https://127.0.0.1/", "ftp://127.0.0.1/"])
def test_requests_only_to_loopback(url: str) -> None:
    res = CliRunner().invoke(main, ["probe", "--requests", url, "--", "true"])
    assert res.exit_code == 2
    assert "--requests" in res.output


def test_no_command() -> None:
    res = CliRunner().invoke(main, ["probe"])
    assert res.exit_code == 2
    assert "no command" in res.output


def test_unavailable_exits_2(monkeypatch: pytest.MonkeyPatch) -> None:
    def nope() -> str:
        raise pidns.ProbeUnavailable("PID namespaces need Linux; this is testos")

    monkeypatch.setattr(pidns, "namespace_mode", nope)
    res = CliRunner().invoke(main, ["probe", "--", "true"])
    assert res.exit_code == 2
    assert "need Linux; this is testos" in res.output
    assert "Traceback" not in res.output


def test_dockerfile_and_command_conflict(monkeypatch: pytest.MonkeyPatch,
                                         tmp_path: Path) -> None:
    df = write(tmp_path, "Dockerfile", "FROM scratch\n")
    res = CliRunner().invoke(main, ["probe", "--dockerfile", str(df), "--", "true"])
    assert res.exit_code == 2
    assert "either --dockerfile or a COMMAND" in res.output


def _fake_model(monkeypatch: pytest.MonkeyPatch, result: Any) -> list[tuple[Path, str | None]]:
    calls: list[tuple[Path, str | None]] = []

    def start_argv(path: Path, target: str | None) -> Any:
        calls.append((path, target))
        if isinstance(result, Exception):
            raise result
        return result

    mod = types.ModuleType("entrylint.model")
    mod.start_argv = start_argv  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "entrylint.model", mod)
    return calls


def test_dockerfile_model_error_exits_2(monkeypatch: pytest.MonkeyPatch,
                                        tmp_path: Path) -> None:
    df = write(tmp_path, "Dockerfile", "FROM scratch\n")
    _fake_model(monkeypatch, SourceError(df, "no CMD or ENTRYPOINT"))
    res = CliRunner().invoke(main, ["probe", "--dockerfile", str(df)])
    assert res.exit_code == 2
    assert f"{df}: cannot tell the start command: no CMD or ENTRYPOINT" in res.output


@needs_pidns
def test_dockerfile_hook(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    app = write(tmp_path, "app.py", REAPS)
    calls = _fake_model(monkeypatch, ([PY, "app.py"], tmp_path, "SIGINT"))
    df = write(tmp_path, "Dockerfile", "FROM python\n")
    res = CliRunner().invoke(
        main, ["probe", *FAST, "--format", "json", "--dockerfile", str(df), "--target", "x"])
    assert calls == [(df, "x")]
    assert "THIS HOST, not in the image" in res.stderr
    data = json.loads(res.stdout)
    assert data["command"] == [PY, "app.py"]
    assert data["cwd"] == str(tmp_path)
    assert data["stop"]["signal"] == "SIGINT"  # the STOPSIGNAL
    assert app.exists()


@pytest.mark.parametrize(("argv", "missing"), [
    (["python3", "app.py"], []),
    (["python3", "/entrylint-image-only/app.py"], ["/entrylint-image-only/app.py"]),
    (["/entrylint-image-only/bin/app", "--serve"], ["/entrylint-image-only/bin/app"]),
    (["/bin/sh", "-c", "python3 /entrylint-image-only/app.py"], ["/entrylint-image-only/app.py"]),
    (["/bin/sh", "-c", "cd /x-entrylint-no && exec app;true"], ["/x-entrylint-no"]),
    (["/bin/sh", "-c", "app > /entrylint-image-only/log 2>&1"], []),  # may be created
    (["/bin/sh", "-c", "app '/entrylint-image-only/a b'"], ["/entrylint-image-only/a b"]),
    (["/bin/sh", "-c", "app 'unbalanced"], []),
    (["app", "--name", "demo app"], []),
    (["/bin/sh", "-c", "exec /bin/true /"], []),
])
def test_missing_on_host(argv: list[str], missing: list[str]) -> None:
    assert missing_on_host(argv) == missing


# ---------------------------------------------------------------------------- namespace


@needs_pidns
def test_reaper_with_handler_passes(tmp_path: Path) -> None:
    code, data = probe_json("--", PY, str(write(tmp_path, "app.py", REAPS)))
    assert code == 0
    assert data["passed"] is True
    assert data["reaping"]["verdict"] == "immediate"
    assert data["reaping"]["orphans"] == 3
    assert data["reaping"]["zombies_left"] == 0
    assert data["stop"]["outcome"] == "exited"
    assert data["stop"]["returncode"] == 0
    assert 0 <= data["stop"]["seconds"] < 2


@needs_pidns
def test_never_reaper_fails(tmp_path: Path) -> None:
    code, data = probe_json("--", PY, str(write(tmp_path, "app.py", NEVER_REAPS)))
    assert code == 1
    assert data["reaping"]["verdict"] == "no"
    assert data["reaping"]["zombies_left"] == 3
    assert data["stop"]["outcome"] == "exited"


@needs_pidns
def test_no_handler_is_killed_after_grace(tmp_path: Path) -> None:
    res = probe(*FAST, "--orphans", "0", "--", PY, str(write(tmp_path, "app.py", NO_HANDLER)))
    assert res.exit_code == 1
    assert "reaps orphans: not checked" in res.stdout
    assert "SIGTERM: ignored: killed after grace 2 s (would be killed)" in res.stdout


@needs_pidns
def test_text_report(tmp_path: Path) -> None:
    res = probe(*FAST, "--", PY, str(write(tmp_path, "app.py", NEVER_REAPS)))
    assert res.exit_code == 1
    assert "reaps orphans: no: 3 zombies after 1.0 s" in res.stdout
    assert "SIGTERM: exited 0 after" in res.stdout


@needs_pidns
def test_periodic_reaper(tmp_path: Path) -> None:
    code, data = probe_json("--settle", "2", "--",
                            PY, str(write(tmp_path, "app.py", REAPS_PERIODICALLY)))
    assert code == 0
    assert data["reaping"]["verdict"] == "periodic"
    assert 0.25 < data["reaping"]["max_latency_seconds"] < 2.0


@needs_pidns
@pytest.mark.skipif(shutil.which("dash") is None, reason="needs dash")
def test_dash_swallows_sigterm(tmp_path: Path) -> None:
    app = write(tmp_path, "app.py", NEVER_REAPS)
    code, data = probe_json("--", "dash", "-c", f"{PY} {app}; true")
    assert code == 1
    assert data["reaping"]["verdict"] == "immediate"  # dash waits for any child
    assert data["stop"]["outcome"] == "killed"  # but does not pass SIGTERM on
    assert data["pid1_name"] == "dash"


@needs_pidns
@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_execs_a_lone_command(tmp_path: Path) -> None:
    app = write(tmp_path, "app.py", REAPS)
    code, data = probe_json("--orphans", "0", "--", "bash", "-c", f"{PY} {app}")
    assert data["pid1_name"].startswith("python")
    assert code == 0


@needs_pidns
def test_sh_exec_passes_sigterm(tmp_path: Path) -> None:
    app = write(tmp_path, "app.py", REAPS)
    code, data = probe_json("--", "sh", "-c", f"exec {PY} {app}")
    assert code == 0
    assert data["stop"]["returncode"] == 0


@needs_pidns
@pytest.mark.skipif(shutil.which("tini") is None, reason="needs tini (apt-get install tini)")
def test_tini_reaps_and_forwards(tmp_path: Path) -> None:
    app = write(tmp_path, "app.py", NEVER_REAPS)
    code, data = probe_json("--", "tini", "--", PY, str(app))
    assert code == 0
    assert data["reaping"]["verdict"] == "immediate"
    assert data["stop"]["returncode"] == 0


@needs_pidns
def test_requests_mode(tmp_path: Path) -> None:
    port = free_port()
    app = write(tmp_path, "server.py", FORKING_SERVER)
    res = probe(*FAST, "--format", "json", "--wait-port", str(port), "--requests",
                f"http://127.0.0.1:{port}/", "--request-count", "4", "--", PY, str(app),
                str(port))
    data = json.loads(res.stdout)
    assert data["reaping"]["mode"] == "requests"
    assert data["reaping"]["requests_sent"] == 4
    assert data["reaping"]["request_errors"] == []
    assert data["reaping"]["zombies_left"] == 4  # the server never reaps orphans
    assert data["reaping"]["verdict"] == "no"
    assert res.exit_code == 1


@needs_pidns
def test_command_not_found_exits_2() -> None:
    res = probe("--", "no-such-program-entrylint")
    assert res.exit_code == 2
    assert "command not found" in res.stderr


@needs_pidns
def test_command_exiting_during_startup_exits_2() -> None:
    res = probe("--wait", "1", "--", "sh", "-c", "exit 0")
    assert res.exit_code == 2
    assert "nothing to probe" in res.stderr or "exited at once" in res.stderr


@needs_pidns
def test_port_that_never_opens_exits_2(tmp_path: Path) -> None:
    res = probe("--wait-port", str(free_port()), "--start-timeout", "0.5", "--",
                PY, str(write(tmp_path, "app.py", REAPS)))
    assert res.exit_code == 2
    assert "did not open" in res.stderr


@needs_pidns
def test_subprocess_entry_point(tmp_path: Path) -> None:
    """The installed console entry point, end to end (no CliRunner)."""
    done = subprocess.run(
        [sys.executable, "-m", "entrylint", "probe", *FAST, "--format", "json", "--",
         PY, str(write(tmp_path, "app.py", REAPS))],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["passed"] is True
    assert "Traceback" not in done.stderr


# ------------------------------------------------- --dockerfile, end to end with the real model

#: Records each stop signal in ./signals.log (relative: proves the cwd) and exits 0; reaps.
RECORDS_SIGNALS = REAP_ON_SIGCHLD + """\
def stop(num, _):
    with open("signals.log", "a") as fh:
        fh.write(signal.Signals(num).name + "\\n")
    sys.exit(0)
signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, stop)
while True:
    time.sleep(60)
"""

needs_python3 = pytest.mark.skipif(shutil.which("python3") is None,
                                   reason="needs python3 on PATH (the Dockerfiles run it)")


def context(tmp_path: Path, dockerfile: str) -> Path:
    """A build context: the Dockerfile and app.py (what its COPY takes)."""
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    write(ctx, "Dockerfile", dockerfile)
    write(ctx, "app.py", RECORDS_SIGNALS)
    return ctx


def probe_dockerfile(ctx: Path, *args: str) -> Result:
    """Probe from another directory, so that a right cwd is the probe's doing."""
    return probe(*FAST, "--format", "json", "--dockerfile", str(ctx / "Dockerfile"), *args)


def signals(ctx: Path) -> list[str]:
    log = ctx / "signals.log"
    return log.read_text().split() if log.exists() else []


@needs_pidns
@needs_python3
def test_dockerfile_exec_form(tmp_path: Path) -> None:
    ctx = context(tmp_path, 'FROM python:3.12-slim\nWORKDIR /app\nCOPY app.py .\n'
                            'CMD ["python3", "app.py"]\n')
    res = probe_dockerfile(ctx)
    assert "WARNING: running the image's start command on THIS HOST, not in the image" \
        in res.stderr
    assert f"(cwd {ctx})" in res.stderr
    data = json.loads(res.stdout)
    assert data["command"] == ["python3", "app.py"]
    assert data["cwd"] == str(ctx)
    assert data["pid1_name"].startswith("python")
    assert data["reaping"]["verdict"] == "immediate"
    assert data["stop"]["signal"] == "SIGTERM"
    assert data["stop"]["outcome"] == "exited"
    assert data["stop"]["returncode"] == 0
    assert res.exit_code == 0
    assert signals(ctx) == ["SIGTERM"]  # app.py ran in the build context and got SIGTERM


@needs_pidns
@needs_python3
def test_dockerfile_stopsignal(tmp_path: Path) -> None:
    ctx = context(tmp_path, 'FROM python:3.12-slim\nCOPY app.py .\nSTOPSIGNAL SIGINT\n'
                            'CMD ["python3", "app.py"]\n')
    res = probe_dockerfile(ctx, "--orphans", "0")
    data = json.loads(res.stdout)
    assert data["stop"]["signal"] == "SIGINT"
    assert data["stop"]["returncode"] == 0
    assert res.exit_code == 0
    assert signals(ctx) == ["SIGINT"]
    res = probe_dockerfile(ctx, "--orphans", "0", "--signal", "TERM")  # the option wins
    assert json.loads(res.stdout)["stop"]["signal"] == "SIGTERM"
    assert signals(ctx) == ["SIGINT", "SIGTERM"]


def _sh_is_dash() -> bool:
    return Path("/bin/sh").resolve().name == "dash"


@needs_pidns
@needs_python3
@pytest.mark.skipif(not _sh_is_dash(), reason="needs /bin/sh to be dash (Debian, Ubuntu)")
def test_dockerfile_shell_form_loses_sigterm(tmp_path: Path) -> None:
    ctx = context(tmp_path, "FROM python:3.12-slim\nCOPY app.py .\nCMD python3 app.py\n")
    res = probe_dockerfile(ctx)
    data = json.loads(res.stdout)
    assert data["command"] == ["/bin/sh", "-c", "python3 app.py"]
    assert data["pid1_name"] == "sh"  # dash stays PID 1: it does not exec a lone command
    assert data["reaping"]["verdict"] == "immediate"  # dash waits for any child
    assert data["stop"]["outcome"] == "killed"  # but SIGTERM never reaches the app
    assert res.exit_code == 1
    assert signals(ctx) == []


def test_dockerfile_inherited_start_exits_2(tmp_path: Path) -> None:
    ctx = context(tmp_path, "FROM registry.example/team/app:1.4\nCOPY app.py /app/app.py\n")
    res = probe_dockerfile(ctx)
    assert res.exit_code == 2
    assert res.stdout == ""
    assert (f"{ctx / 'Dockerfile'}: cannot tell the start command: the final stage inherits its "
            "ENTRYPOINT/CMD from an unknown base image") in res.stderr
    assert "WARNING" not in res.stderr  # nothing ran
    assert "Traceback" not in res.output


@pytest.mark.parametrize("cmd", ['["python3", "/entrylint-image-only/app.py"]',
                                 "python3 /entrylint-image-only/app.py"],
                         ids=["exec-form", "shell-form"])
def test_dockerfile_image_path_is_not_run(tmp_path: Path, cmd: str) -> None:
    """A path that exists only in the image: a clear error, and nothing is run instead."""
    ctx = context(tmp_path, f"FROM python:3.12-slim\nCOPY app.py /entrylint-image-only/\n"
                            f"CMD {cmd}\n")
    res = probe_dockerfile(ctx)
    assert res.exit_code == 2
    assert res.stdout == ""
    assert ("the start command names /entrylint-image-only/app.py, which does not exist on "
            "this host (a path in the image)") in res.stderr
    assert "will not run something else" in res.stderr
    assert "WARNING" not in res.stderr
    assert signals(ctx) == []


def test_dockerfile_missing_file_exits_2(tmp_path: Path) -> None:
    res = probe("--dockerfile", str(tmp_path / "Dockerfile"))
    assert res.exit_code == 2
    assert f"{tmp_path / 'Dockerfile'}: cannot tell the start command: no such file" \
        in res.stderr


# ------------------------------------------- "lost": PID 1 exits, the app is SIGKILLed with it

needs_root = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="runs inits and shells as PID 1 of a PID namespace: root only (CI runs as root)",
)
needs_exit_status = pytest.mark.skipif(
    not (sys.platform.startswith("linux") and pidns.exit_status_supported()),
    reason="needs Linux 6.15+ (PIDFD_INFO_EXIT) to read exit statuses of processes that are "
           "not probe's children; older kernels only get the /proc fallback, which may miss",
)
needs_tini = pytest.mark.skipif(shutil.which("tini") is None,
                                reason="needs tini (apt-get install tini)")


def _dumb_init() -> str | None:
    beside = Path(sys.executable).parent / "dumb-init"  # pip install dumb-init, venv not on PATH
    return shutil.which("dumb-init") or (str(beside) if beside.exists() else None)


needs_dumb_init = pytest.mark.skipif(_dumb_init() is None,
                                     reason="needs dumb-init (pip install dumb-init)")

#: The racy cases run this many times: a flaky verdict should show here, not in CI later.
REPEAT = 3


def _stop(tmp_path: Path, *argv: str, orphans: str = "0") -> tuple[int, dict[str, Any]]:
    code, data = probe_json("--orphans", orphans, "--", *argv)
    return code, data["stop"]


def _assert_stopped(code: int, stop: dict[str, Any]) -> None:
    assert stop["outcome"] == "exited", stop
    assert stop["sigkilled"] == []
    assert stop["passed"] is True
    assert code == 0


def _assert_lost(code: int, stop: dict[str, Any], app_word: str) -> None:
    assert stop["outcome"] == "lost", stop
    assert stop["passed"] is False
    assert stop["sigkill_check"] == "exit-status"
    assert any(k["when"] == "pid1-exit" and app_word in k["command"]
               for k in stop["sigkilled"]), stop["sigkilled"]
    assert stop["seconds"] < 2  # PID 1 itself exited in time: that is what fooled probe
    assert code == 1


def _start_sh(tmp_path: Path, app: Path, use_exec: bool) -> Path:
    script = write(tmp_path, "start.sh",
                   f"#!/bin/sh\ncd {tmp_path}\n{'exec ' if use_exec else ''}{PY} {app}\n")
    script.chmod(0o755)
    return script


@needs_pidns
@needs_root
@needs_exit_status
@needs_tini
def test_tini_start_sh_without_exec_is_lost(tmp_path: Path) -> None:
    """QA's case: tini forwards SIGTERM to the shell, the shell dies, tini exits 143 at once,
    and the app, which never got SIGTERM, is SIGKILLed with the namespace."""
    app = write(tmp_path, "app.py", REAPS)
    script = _start_sh(tmp_path, app, use_exec=False)
    for _ in range(REPEAT):
        code, stop = _stop(tmp_path, "tini", "--", str(script))
        _assert_lost(code, stop, "app.py")
        assert stop["returncode"] == 143


@needs_pidns
@needs_root
@needs_exit_status
@needs_tini
def test_tini_start_sh_text_report(tmp_path: Path) -> None:
    app = write(tmp_path, "app.py", REAPS)
    script = _start_sh(tmp_path, app, use_exec=False)
    res = probe(*FAST, "--orphans", "0", "--", "tini", "--", str(script))
    assert res.exit_code == 1
    line = next(x for x in res.stdout.splitlines() if x.startswith("SIGTERM:"))
    assert line.startswith("SIGTERM: lost — PID 1 (tini) exited 143 after ")
    assert (f"but 1 process was still running and was SIGKILLed when the namespace ended: "
            f"{PY} {app}") in line
    assert "result: FAIL" in res.stdout


@needs_pidns
@needs_root
@needs_exit_status
def test_pid1_exiting_without_its_child_is_lost(tmp_path: Path) -> None:
    """`sh -c 'python3 app.py'` under a PID 1 that exits on SIGTERM and passes nothing on."""
    app = write(tmp_path, "app.py", REAPS)
    leaver = write(tmp_path, "leaver.py", LEAVES_CHILD)
    for _ in range(REPEAT):
        code, stop = _stop(tmp_path, PY, str(leaver), "sh", "-c", f"{PY} {app}",
                           orphans="3")
        _assert_lost(code, stop, "app.py")
        assert stop["returncode"] == 0


@needs_pidns
@needs_root
@needs_exit_status
def test_pid1_sigkilling_its_child_is_lost(tmp_path: Path) -> None:
    """Like Django's autoreloader: PID 1 SIGKILLs the app itself, then exits 0."""
    app = write(tmp_path, "app.py", REAPS)
    killer = write(tmp_path, "killer.py", KILLS_CHILD)
    for _ in range(REPEAT):
        code, stop = _stop(tmp_path, PY, str(killer), PY, str(app))
        assert stop["outcome"] == "lost", stop
        assert [(k["when"], k["command"]) for k in stop["sigkilled"]] == [
            ("before", f"{PY} {app}")]
        assert code == 1


@needs_pidns
@needs_root
@needs_exit_status
@pytest.mark.skipif(shutil.which("node") is None or shutil.which("npm") is None,
                    reason="needs node and npm")
def test_npm_start_is_lost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "package.json", json.dumps(
        {"name": "t", "version": "1.0.0", "private": True,
         "scripts": {"start": "node server.js"}}))
    port = free_port()
    # The server listens, so the probe signals once npm and node are both up (a fixed --wait
    # is not enough on a loaded host: npm takes seconds to start there).
    write(tmp_path, "server.js", 'process.on("SIGTERM", () => process.exit(0));\n'
                                 'require("http").createServer(() => {})'
                                 f'.listen({port}, "127.0.0.1");\n')
    for name, value in (("NPM_CONFIG_UPDATE_NOTIFIER", "false"), ("NPM_CONFIG_FUND", "false"),
                        ("NPM_CONFIG_AUDIT", "false"), ("NPM_CONFIG_OFFLINE", "true")):
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    res = probe(*FAST, "--wait-port", str(port), "--orphans", "0", "--format", "json", "--",
                "npm", "start")
    _assert_lost(res.exit_code, json.loads(res.stdout)["stop"], "server.js")


@needs_pidns
@needs_root
@needs_tini
@pytest.mark.parametrize("app_text", [REAPS, NO_HANDLER], ids=["handler", "no-handler"])
def test_tini_app_is_not_lost(tmp_path: Path, app_text: str) -> None:
    """The app exits on SIGTERM (tini's default action without a handler), then tini: the
    last look before tini's exit may well show the app still exiting; no false alarm."""
    app = write(tmp_path, "app.py", app_text)
    for i in range(REPEAT):
        code, stop = _stop(tmp_path, "tini", "--", PY, str(app), orphans="3" if i else "0")
        _assert_stopped(code, stop)


@needs_pidns
@needs_root
@needs_dumb_init
def test_dumb_init_app_is_not_lost(tmp_path: Path) -> None:
    app = write(tmp_path, "app.py", REAPS)
    dumb_init = _dumb_init()
    assert dumb_init is not None
    for _ in range(REPEAT):
        _assert_stopped(*_stop(tmp_path, dumb_init, PY, str(app)))


@needs_pidns
@needs_root
def test_execd_app_and_worker_master_are_not_lost(tmp_path: Path) -> None:
    app = write(tmp_path, "app.py", REAPS)
    script = _start_sh(tmp_path, app, use_exec=True)
    master = write(tmp_path, "master.py", STOPS_WORKERS)
    for _ in range(REPEAT):
        _assert_stopped(*_stop(tmp_path, str(script)))
        _assert_stopped(*_stop(tmp_path, PY, str(master)))


@needs_pidns
@needs_root
@needs_tini
def test_proc_fallback_has_no_false_alarm(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Kernels before 6.15: only processes seen running after PID 1 began to exit count."""
    monkeypatch.setattr(pidns, "exit_status_supported", lambda: False)
    app = write(tmp_path, "app.py", REAPS)
    master = write(tmp_path, "master.py", STOPS_WORKERS)
    for argv in (["tini", "--", PY, str(app)], [PY, str(master)]):
        for _ in range(REPEAT):
            code, stop = _stop(tmp_path, *argv)
            _assert_stopped(code, stop)
            assert stop["sigkill_check"] == "proc"


def _signal_result(**kw: Any) -> SignalResult:
    base: SignalResult = {
        "signal": "SIGTERM", "number": 15, "grace_seconds": 10.0, "outcome": "lost",
        "seconds": 0.01, "returncode": 143, "sigkilled": [], "sigkill_check": "exit-status",
        "passed": False,
    }
    base.update(kw)  # type: ignore[typeddict-item]
    return base


def test_describe_lost() -> None:
    two = _signal_result(sigkilled=[
        {"pid": 7, "name": "sh", "command": "sh -c 'node server.js'", "when": "pid1-exit"},
        {"pid": 8, "name": "node", "command": "node server.js", "when": "pid1-exit"},
    ])
    assert describe_stop(two, "npm start") == (
        "lost — PID 1 (npm start) exited 143 after 0.01 s, but 2 processes were still running "
        "and were SIGKILLed when the namespace ended: sh -c 'node server.js'; node server.js")
    before = _signal_result(returncode=0, sigkilled=[
        {"pid": 9, "name": "python", "command": "python manage.py runserver", "when": "before"}])
    assert describe_stop(before) == (
        "lost — PID 1 exited 0 after 0.01 s, but 1 process was SIGKILLed before PID 1 exited: "
        "python manage.py runserver")
    assert describe_stop(_signal_result(outcome="exited", passed=True)) == "exited 143 after 0.01 s"
    weak = describe_stop(_signal_result(outcome="exited", passed=True, sigkill_check="proc"))
    assert weak.startswith("exited 143 after 0.01 s (whether other processes were SIGKILLed")
    assert "Linux 6.15+" in weak
