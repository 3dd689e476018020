"""Fixes that QA found wrong, pinned: each was applied as safe and changed behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import invoke_in

DOCKERFILE = 'FROM python:3.12-slim\nCOPY start.sh /start.sh\nENTRYPOINT ["/start.sh"]\n'


def run(repo: Path, *args: str) -> tuple[int, str]:
    r = invoke_in(repo, ["check", *args, "."])
    return r.exit_code, r.output


def project(tmp_path: Path, script: str) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text(DOCKERFILE)
    (tmp_path / "start.sh").write_text(script)
    (tmp_path / "start.sh").chmod(0o755)
    return tmp_path


def test_unparsed_script_gets_exec_at_the_command_not_at_byte_0(tmp_path: Path) -> None:
    repo = project(tmp_path, "#!/bin/bash\nfoo() {\npython app.py\n")
    _code, out = run(repo, "--fix", "--unsafe-fixes")
    assert (repo / "start.sh").read_text() == "#!/bin/bash\nfoo() {\nexec python app.py\n"
    assert "do not converge" not in out


def test_function_from_a_sourced_file_is_not_exec_ed_safely(tmp_path: Path) -> None:
    script = "#!/bin/bash\nsource /lib.sh\nstart_server\n"
    repo = project(tmp_path, script)
    code, out = run(repo, "--fix")
    assert code == 1
    assert (repo / "start.sh").read_text() == script  # unsafe: not applied by --fix
    assert "EL103" in out and "need --unsafe-fixes" in out


def test_exit_trap_makes_exec_unsafe(tmp_path: Path) -> None:
    script = "#!/bin/sh\ntrap 'rm -rf /tmp/work' EXIT\npython app.py\n"
    repo = project(tmp_path, script)
    run(repo, "--fix")
    assert (repo / "start.sh").read_text() == script


def test_star_args_make_exec_unsafe(tmp_path: Path) -> None:
    script = "#!/bin/sh\nbundle install\n$*\n"
    repo = project(tmp_path, script)
    run(repo, "--fix")
    assert (repo / "start.sh").read_text() == script


def test_broken_continuation_line_is_not_the_command(tmp_path: Path) -> None:
    script = ("#!/bin/sh\ngunicorn core.wsgi:application --workers 2\n"
              '--bind "0.0.0.0:${APP_PORT}"\n')
    repo = project(tmp_path, script)
    code, out = run(repo, "--fix")
    assert code == 1
    assert "start.sh:2:1: EL103" in out  # gunicorn is the child, not `--bind`
    assert (repo / "start.sh").read_text() == script  # unsafe: a command follows it


def test_a_term_trap_does_not_excuse_a_foreground_child(tmp_path: Path) -> None:
    repo = project(tmp_path, "#!/bin/sh\ntrap 'echo stopping; exit 0' TERM\npython app.py\n")
    code, out = run(repo)
    assert code == 1
    assert "start.sh:3:1: EL103" in out


def test_a_trap_that_does_not_kill_does_not_excuse_wait(tmp_path: Path) -> None:
    repo = project(tmp_path, "#!/bin/sh\ntrap 'echo bye' INT\npython app.py &\nwait $!\n")
    code, out = run(repo)
    assert code == 1
    assert "start.sh:4:1: EL109" in out


def test_exec_suggestion_keeps_assignments_in_front(tmp_path: Path) -> None:
    repo = project(tmp_path, "#!/bin/sh\nFOO=1 python app.py\n")
    _code, out = run(repo)
    assert "Use `FOO=1 exec python app.py`" in out


def test_eval_and_command_run_their_argument_as_a_child(tmp_path: Path) -> None:
    repo = project(tmp_path, '#!/bin/sh\nset -e\neval "$@"\n')
    code, out = run(repo)
    assert code == 1 and "start.sh:3:1: EL103" in out
    (repo / "start.sh").write_text("#!/bin/sh\ncommand python app.py\n")
    code, out = run(repo)
    assert code == 1 and "start.sh:2:1: EL103" in out


def test_tini_install_goes_before_an_env_that_replaces_path(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text(
        "FROM python:3.12-slim\nENV PATH=/opt/venv/bin\nCOPY app.py /app.py\n"
        "# the app itself,\n# with its own comment\nCMD [\"python\", \"/app.py\"]\n")
    (tmp_path / "app.py").write_text("")
    code, _out = run(tmp_path, "--fix")
    assert (tmp_path / "Dockerfile").read_text() == (
        "FROM python:3.12-slim\n"
        "RUN apt-get update && apt-get install -y --no-install-recommends tini "
        "&& rm -rf /var/lib/apt/lists/*\n"
        "ENV PATH=/opt/venv/bin\nCOPY app.py /app.py\n"
        'ENTRYPOINT ["/usr/bin/tini", "--"]\n'
        '# the app itself,\n# with its own comment\nCMD ["python", "/app.py"]\n')
    assert code == 0


def test_bare_cmd_is_not_a_shell_command(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text("FROM debian:12\nCMD\n")
    _code, out = run(tmp_path)
    assert "EL101" not in out


def test_npm_start_message_says_sigterm_is_lost(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text('FROM node:22-slim\nCMD ["npm", "start"]\n')
    code, out = run(tmp_path)
    assert code == 1
    assert "EL110 [error]" in out and "never shuts down cleanly" in out
    assert '"tini", "-g", "--"' in out  # EL104's advice: an init that signals the group


def test_eval_suggestion_execs_what_eval_runs(tmp_path: Path) -> None:
    repo = project(tmp_path, '#!/bin/sh\neval "$@"\n')
    _code, out = run(repo)
    assert 'Use `exec "$@"`' in out


# -- fourth QA pass ------------------------------------------------------------------------


def test_one_string_cmd_under_a_sh_c_entrypoint_is_not_split(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    dockerfile = ('FROM python:3.12-slim\nENTRYPOINT ["/bin/sh", "-c"]\n'
                  'CMD ["exec gunicorn app:app"]\n')
    (tmp_path / "Dockerfile").write_text(dockerfile)
    code, out = run(tmp_path, "--fix")
    assert "EL106" not in out and code == 0
    assert (tmp_path / "Dockerfile").read_text() == dockerfile


def test_one_string_after_an_init_is_found(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    install = "RUN apt-get update && apt-get install -y tini\n"
    (tmp_path / "Dockerfile").write_text(
        f'FROM python:3.12-slim\n{install}ENTRYPOINT ["tini", "--", "gunicorn app:app"]\n')
    code, _out = run(tmp_path, "--fix")
    assert (tmp_path / "Dockerfile").read_text() == (
        f'FROM python:3.12-slim\n{install}ENTRYPOINT ["tini", "--", "gunicorn", "app:app"]\n')
    assert code == 0


def test_set_in_the_else_branch_follows_the_test(tmp_path: Path) -> None:
    repo = project(tmp_path, '#!/bin/sh\nif [ "$1" = web -o "$1" = api ]; then\n'
                             '  set -- gunicorn app:app\nelse\n  set -- python worker.py\nfi\n'
                             'exec "$@"\n')
    (repo / "Dockerfile").write_text(DOCKERFILE + 'CMD ["api"]\n')
    code, out = run(repo)
    assert code == 0, out  # gunicorn reaps: no EL104


def test_trap_and_wait_then_cleanup_loop_is_fine(tmp_path: Path) -> None:
    repo = project(tmp_path, "#!/bin/sh\ntrap 'kill -TERM $PID' TERM INT\n"
                             "python app.py & PID=$!\nwait $PID\ntrap - TERM INT\nwait $PID\n"
                             'for f in /tmp/*.pid; do rm -f "$f"; done\n')
    code, out = run(repo)
    assert code == 0, out


def test_exec_keepalive_and_double_quoted_trap_are_reported(tmp_path: Path) -> None:
    repo = project(tmp_path, "#!/bin/sh\npython app.py &\nexec tail -f /dev/null\n")
    code, out = run(repo)
    assert code == 1 and "start.sh:3:1: EL109" in out
    (repo / "start.sh").write_text(
        '#!/bin/sh\ntrap "kill -TERM $PID" TERM\npython app.py & PID=$!\nwait $PID\n')
    code, out = run(repo)
    assert code == 1 and "start.sh:4:1: EL109" in out


def test_nothing_after_an_unconditional_exec_runs(tmp_path: Path) -> None:
    repo = project(tmp_path, "#!/bin/sh\nexec gunicorn app:app\nsleep infinity\n")
    code, out = run(repo)
    # not a keepalive (EL109) and not a missing exec (EL103): dead code, which EL113 names
    assert code == 1 and "EL103" not in out and "EL109" not in out, out
    assert "start.sh:3:1: EL113 [warning] this never runs" in out


# -- fifth QA pass -------------------------------------------------------------------------


def test_escaped_dollar_in_a_double_quoted_trap_forwards(tmp_path: Path) -> None:
    repo = project(tmp_path, '#!/bin/sh\ntrap "kill -TERM \\$PID; wait \\$PID" TERM INT\n'
                             "python app.py &\nPID=$!\nwait $PID\n")
    code, out = run(repo)
    assert code == 0, out


@pytest.mark.parametrize("loop", ["while true; do sleep 1; done", "for ((;;)); do sleep 60; done"])
def test_endless_loops_are_not_excused(tmp_path: Path, loop: str) -> None:
    repo = project(tmp_path, f"#!/bin/bash\ntrap 'kill -TERM $PID' TERM\npython app.py &\n"
                             f"PID=$!\n{loop}\n")
    code, out = run(repo)
    assert code == 1 and "start.sh:5:1: EL109" in out and "ends in a loop" in out


def test_one_string_cmd_through_sh_c_exec_args(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text(
        'FROM python:3.12-slim\nENTRYPOINT ["sh", "-c", "exec \\"$@\\"", "--"]\n'
        'CMD ["gunicorn app:app"]\n')
    code, out = run(tmp_path)
    assert code == 1 and "Dockerfile:3:1: EL106" in out
