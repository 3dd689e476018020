"""``entrylint --fix`` on realistic repositories (``tests/fixtures/fix-*``), proven by running.

Each fixture is a Dockerfile with its scripts; ``expected/`` holds every file that the safe
fixes change, as it must look afterwards (``expected-unsafe/`` likewise for
``--unsafe-fixes``).  Every other file must stay byte-for-byte the same, a second run must
change nothing, the fixed files must re-lint without any safely fixable finding, and the
image's start-up, run as PID 1 of a fresh PID namespace before and after the fix, must show the
defect before and its repair after (SIGTERM reaches the app, which exits within 2 s; orphans
are reaped).
"""

from __future__ import annotations

import json
import re
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path

import pytest

from entrylint import facts
from entrylint.config import ConfigLoader
from entrylint.engine import lint_paths
from entrylint.model import load
from entrylint.pidns import CommandExited, CommandNotFound
from tests.cli_helpers import invoke_in
from tests.pid1_harness import container_command, pid_namespaces_available, run_pid1

FIXTURES = Path(__file__).parent / "fixtures"
ALL = sorted(p.name for p in FIXTURES.glob("fix-*"))


def copy_fixture(name: str, dest: Path) -> Path:
    repo = dest / name
    shutil.copytree(FIXTURES / name, repo, symlinks=True,
                    ignore=shutil.ignore_patterns("expected", "expected-unsafe"))
    return repo


def snapshot(repo: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(repo).as_posix(): (p.read_bytes(), p.stat().st_mode)
            for p in sorted(repo.rglob("*")) if p.is_file()}


def run_cli(repo: Path, *args: str) -> tuple[int, str]:
    res = invoke_in(repo, [*args, "."], catch_exceptions=False)
    return res.exit_code, res.output


def expected_files(name: str, kind: str) -> dict[str, bytes]:
    base = FIXTURES / name / kind
    if not base.is_dir():
        return {}
    return {p.relative_to(base).as_posix(): p.read_bytes()
            for p in sorted(base.rglob("*")) if p.is_file()}


#: Findings that stay after the safe fixes (rule ids), because no safe fix exists.
REMAINING = {
    "fix-distroless": ["EL104"],  # no package manager: no tini install
    "fix-exec-top": ["EL102", "EL104"],  # unsafe: CMD would be appended; then tini
    # unsafe: CMD would be appended; EL104 for the app that exec form would make PID 1
    "fix-shell-entrypoint-cmd": ["EL102", "EL104"],
    # issue 9: no apt-get where there is no apt or no tini package
    "fix-chiseled": ["EL104"],
    "fix-stretch": ["EL104"],
    "fix-bionic": ["EL104"],
    "fix-function-twice": ["EL103"],  # no exec in a function called twice
    "fix-sh-c-trap": ["EL105"],  # unsafe: the EXIT trap would no longer run
    # tini -g gets SIGTERM to the app, but npm exits at once (measured): running package.json's
    # script directly is unsafe (npm's PATH and npm_* variables)
    "fix-npm-start": ["EL110"],
}
#: ... and after the unsafe fixes too.
REMAINING_UNSAFE = {"fix-distroless": ["EL104"], "fix-chiseled": ["EL104"],
                    "fix-stretch": ["EL104"], "fix-bionic": ["EL104"],
                    "fix-function-twice": ["EL103"]}


@pytest.mark.parametrize("name", ALL)
@pytest.mark.parametrize("unsafe", [False, True], ids=["safe", "unsafe"])
def test_fix_fixture(name: str, unsafe: bool, tmp_path: Path) -> None:
    kind = "expected-unsafe" if unsafe and (FIXTURES / name / "expected-unsafe").is_dir() \
        else "expected"
    repo = copy_fixture(name, tmp_path)
    before = snapshot(repo)
    flags = ["--fix", "--unsafe-fixes"] if unsafe else ["--fix"]
    code, out = run_cli(repo, *flags)
    after = snapshot(repo)
    want = expected_files(name, kind)
    # (c) exactly the expected files changed, to the expected bytes; modes are kept
    changed = {f for f in after if after[f][0] != before[f][0]}
    assert changed == set(want), out
    for f, data in want.items():
        assert after[f][0] == data, f"{f}:\n{after[f][0].decode()}"
    assert {f: m for f, (_, m) in after.items()} == {f: m for f, (_, m) in before.items()}
    assert set(after) == set(before), "no stray temporary files"
    # (a) the fixed files re-lint without a fix that --fix would apply
    result = lint_paths([repo], config=ConfigLoader())  # the fixture's .entrylint.toml too
    left = sorted(d.rule for d in result.diagnostics)
    applicable = [d for d in result.diagnostics if d.fix is not None
                  and (unsafe or d.fix.applicability.value == "safe")]
    assert applicable == []
    assert left == (REMAINING_UNSAFE if unsafe else REMAINING).get(name, []), out
    assert code == (1 if left else 0), out
    n = len(left)
    assert f"{n} remaining" in out
    # (d) a second run changes nothing
    code2, out2 = run_cli(repo, *flags)
    assert snapshot(repo) == after
    assert "0 fixed" in out2
    assert code2 == code


def test_diff_writes_nothing(tmp_path: Path) -> None:
    repo = copy_fixture("fix-heredoc", tmp_path)
    before = snapshot(repo)
    code, out = run_cli(repo, "--diff")
    assert code == 1
    assert snapshot(repo) == before
    assert "+\t\texec app --serve \"$@\"" in out
    assert out.startswith("--- a/Dockerfile\n+++ b/Dockerfile\n")
    run_cli(repo, "--fix")
    code, out = run_cli(repo, "--diff")
    assert (code, out) == (0, "")


def test_crlf_kept(tmp_path: Path) -> None:
    repo = copy_fixture("fix-crlf-dockerfile", tmp_path)
    run_cli(repo, "--fix")
    data = (repo / "Dockerfile").read_bytes()
    assert data.count(b"\r\n") == data.count(b"\n") == 6


# ------------------------------------------------------------------------------------------
# Proof by running: PID 1 of a fresh PID namespace, before and after
# ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    started: bool  # the app started (wrote READY)
    term: bool = False  # the app got SIGTERM and PID 1 was gone within 2 s
    zombies: int | None = None  # zombies in the namespace before the stop
    graceful: bool = False  # it got its graceful-stop signal (Case.graceful), not SIGTERM


@dataclass(frozen=True)
class Case:
    before: Seen | None  # None: not run (why in `note`)
    after: Seen
    unsafe: bool = False
    standins: tuple[str, ...] = ("app",)
    note: str = ""
    #: host files put at container paths (what an ADD of a URL would have put there)
    files: tuple[tuple[str, str], ...] = ()
    #: False: only the container's PATH (mapped), so a missing program is not found
    host_path: bool = True
    #: the stand-ins stop gracefully on this signal (``QUIT``: nginx, php-fpm), fast on TERM
    graceful: str | None = None


LOST = Seen(started=True, term=False, zombies=0)  # a shell stays PID 1: reaps, swallows TERM
APP_PID1 = Seen(started=True, term=True, zombies=3)  # the app is PID 1: never reaps
FIXED = Seen(started=True, term=True, zombies=0)  # under tini, exec'd: both duties done

CASES: dict[str, Case] = {
    "fix-var-cmd": Case(LOST, FIXED),
    "fix-exec-form-sh-c": Case(LOST, FIXED),  # ["sh", "-c", …]: dash stays PID 1
    "fix-exec-builtin": Case(Seen(started=False), FIXED),  # ["exec", …] cannot start
    "fix-crlf-dockerfile": Case(LOST, FIXED),
    "fix-heredoc": Case(LOST, FIXED),
    # tini -- script-without-exec: tini signals bash, bash dies, the app is SIGKILLed
    "fix-case-script": Case(Seen(started=True, term=False, zombies=0), FIXED),
    "fix-nonroot-user": Case(APP_PID1, FIXED),
    "fix-inherited-user": Case(APP_PID1, FIXED),
    "fix-alpine-broken-json": Case(Seen(started=False), FIXED),
    # no shell in the image: before cannot start there (the host's /bin/sh would lie); after,
    # the app is PID 1 and gets SIGTERM, but nothing can reap (EL104 stays, no fix)
    "fix-distroless": Case(None, APP_PID1, note="the image has no /bin/sh"),
    "fix-shell-entrypoint-cmd": Case(LOST, FIXED, unsafe=True),
    "fix-exec-top": Case(APP_PID1, FIXED, unsafe=True, standins=("top",)),
    # tini -- docker-entrypoint.sh (postgres's own, kept; its stand-in execs "$@")
    "fix-postgres": Case(APP_PID1, FIXED, standins=("pgbouncer",)),
    # issue 9: the base image's own ENTRYPOINT is kept behind tini (a stand-in execs "$@")
    "fix-temurin-entrypoint": Case(APP_PID1, FIXED, standins=("java",)),
    "fix-maven-entrypoint": Case(APP_PID1, FIXED, standins=("mvn",)),
    # ADD …/tini-static /tini: run by that path (by name it is not found)
    "fix-tini-static-path": Case(APP_PID1, FIXED, files=(("/tini", "/usr/bin/tini-static"),),
                                 host_path=False),
    # a program whose name has spaces is real: not split (it starts before and after)
    "fix-plex-spaces": Case(APP_PID1, APP_PID1, standins=("Plex Media Server",)),
    # exec in a function called twice would exec the health check: no fix, even unsafe
    # (tini comes in; it signals the shell, which dies, and the app is killed: EL103 stays)
    "fix-function-twice": Case(LOST, Seen(started=True, term=False, zombies=0), unsafe=True),
    # the trap makes the exec unsafe; --unsafe-fixes still repairs start-up
    "fix-sh-c-trap": Case(LOST, FIXED, unsafe=True),
    # the comment inside the continued CMD is moved above it
    "fix-continued-comment": Case(LOST, FIXED),
    # EL107: /sbin/tini is Alpine's path; Debian's package installs /usr/bin/tini
    "fix-tini-path": Case(Seen(started=False), FIXED),
    # EL112: `#!/bin/sh\r` names no program; a 0644 script cannot be executed
    "fix-crlf-entrypoint": Case(Seen(started=False), FIXED),
    "fix-entrypoint-chmod": Case(Seen(started=False), FIXED),
    # EL115: SIGTERM stops nginx at once; STOPSIGNAL SIGQUIT makes docker stop graceful
    "fix-nginx-stopsignal": Case(FIXED, Seen(started=True, term=True, zombies=0, graceful=True),
                                 standins=("nginx",), graceful="QUIT"),
}
_BUILD_ONLY = ("what broke was the build (apt-get install tini where it cannot work); the "
               "fixture checks that no install is added")
NOT_RUN = {
    "fix-chiseled": _BUILD_ONLY,
    "fix-stretch": _BUILD_ONLY,
    "fix-bionic": _BUILD_ONLY,
    "fix-login-shell": "`bash -l` would read the host's /etc/profile, not the image's; the "
                       "fixture checks that the SHELL is kept",
    "fix-crlf-script": "a CRLF script cannot run under /bin/sh at all (`set -e\\r`); the fixture "
                       "checks that the fix keeps its bytes and line endings",
    "fix-npm-start": "npm and node would be the host's, and the app's express is not "
                     "installed; the rows `npm start` and `node server.js` of "
                     "docs/pid1-behaviour.md are the unsafe fix's proof (safe: tini -g, "
                     "proven by the `tini -g -- npm start` row to get SIGTERM to the app)",
    "fix-uwsgi-flags": "a stand-in cannot show uWSGI's own reaping and reload-on-SIGTERM; "
                       "test_uwsgi_fix_adds_the_measured_flags ties the fix to the measured row",
}


def observe(repo: Path, scratch: Path, case: Case) -> tuple[Seen, str]:
    """What the start-up does as PID 1 when ``docker stop`` sends the image's STOPSIGNAL, and
    its output (for assertion messages)."""
    model = load(repo / "Dockerfile")
    root = scratch / "root"
    shutil.rmtree(root, ignore_errors=True)
    argv, env, cwd = container_command(model, root, case.standins,
                                       files={c: Path(h) for c, h in case.files},
                                       host_path=case.host_path)
    if case.graceful is not None:
        env["PID1_GRACEFUL"] = case.graceful
    stop = model.final.effective_stopsignal()
    sig = signal.Signals[facts.signal_name(stop.args)] if stop is not None else signal.SIGTERM
    record = scratch / "record.log"
    record.unlink(missing_ok=True)
    log = scratch / "output.log"
    with log.open("wb") as output:
        try:
            with run_pid1(argv, env=env, cwd=cwd, record=record, output=output) as run:
                if not run.wait_ready():
                    seen = Seen(started=False)
                else:
                    zombies = run.zombies()
                    seconds = run.docker_stop(2.0, sig)
                    seen = Seen(started=True, term=run.got_term() and seconds is not None,
                                zombies=zombies, graceful=run.stopped_gracefully())
        except CommandExited:  # exited before it was PID 1 long enough to be seen
            seen = Seen(started=False)
        except CommandNotFound:  # Docker too: "executable file not found in $PATH"
            seen = Seen(started=False)
    return seen, f"argv {argv}\noutput:\n{log.read_text(errors='replace')}"


def test_every_fixture_has_a_run_case() -> None:
    assert set(CASES) | set(NOT_RUN) == set(ALL)


@pytest.mark.parametrize("name", sorted(CASES))
def test_fix_proven_by_running(name: str, tmp_path: Path) -> None:
    why = pid_namespaces_available()
    if why:
        pytest.skip(why)
    if not Path("/usr/bin/tini").exists():
        pytest.skip("needs Debian's tini at /usr/bin/tini (.ci/run installs it)")
    case = CASES[name]
    repo = copy_fixture(name, tmp_path)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    if case.before is not None:
        seen, how = observe(repo, scratch, case)
        assert seen == case.before, how
    run_cli(repo, "--fix", *(["--unsafe-fixes"] if case.unsafe else []))
    seen, how = observe(repo, scratch, case)
    assert seen == case.after, how


def test_uwsgi_fix_adds_the_measured_flags() -> None:
    """The EL111 fix gives uWSGI the flags of the row of docs/pid1-behaviour.md that reaps and
    exits on SIGTERM (the stand-in cannot be uWSGI, so this is its proof)."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "pid1-behaviour.md").read_text()
    rows = json.loads(re.findall(r"^```json\n(.*?)^```$", doc, flags=re.S | re.M)[0])["rows"]
    good = [r for r in rows if r["kind"] == "server" and r["argv"][0] == "uwsgi"
            and r["reaps"] != "no" and r["sigterm"] == "exits"]
    assert good, "no measured uWSGI row that reaps and stops"
    flags = {a for a in good[0]["argv"] if a in ("--master", "--die-on-term")}
    fixed = (FIXTURES / "fix-uwsgi-flags" / "expected" / "Dockerfile").read_text()
    cmd = json.loads(fixed.splitlines()[-1].removeprefix("CMD "))
    assert cmd[0] == "uwsgi" and flags <= set(cmd) and flags == {"--master", "--die-on-term"}
