"""The catalog rules EL107-EL115: cases the fixtures do not show, their fixes, Windows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from entrylint import facts
from tests.cli_helpers import invoke_in


def project(tmp_path: Path, dockerfile: str, files: dict[str, str] | None = None) -> Path:
    (tmp_path / ".git").mkdir(exist_ok=True)
    (tmp_path / "Dockerfile").write_text(dockerfile)
    for name, text in (files or {}).items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        if text.startswith("#!"):
            p.chmod(0o755)
    return tmp_path


def findings(repo: Path, *args: str) -> list[tuple[str, str, int]]:
    r = invoke_in(repo, ["check", "--format", "json", *args, "."])
    return [(d["rule"], d["severity"], d["line"]) for d in json.loads(r.stdout)]


APT_TINI = "RUN apt-get update && apt-get install -y tini\n"


def test_windows_images_skip_the_signal_rules_and_say_so(tmp_path: Path) -> None:
    repo = project(tmp_path, "FROM mcr.microsoft.com/windows/servercore:ltsc2022\n"
                             "COPY server.exe C:/app/\nCMD [\"C:/app/server.exe\"]\n")
    r = invoke_in(repo, ["check", "-v", "."])
    assert r.exit_code == 0, r.output
    assert "a Windows image" in r.output and "EL104" in r.output and "were not run" in r.output
    # the same image on Linux is reported (no init)
    (repo / "Dockerfile").write_text('FROM debian:12-slim\nCMD ["/app/server"]\n')
    assert [f[0] for f in findings(repo)] == ["EL104"]


@pytest.mark.parametrize(("line", "where"), [
    ("exec gunicorn app:app &\nwait\n", "background"),
    ("( exec gunicorn app:app )\n", "subshell"),
    ('out="$(exec gunicorn app:app)"\n', "inside `$(…)`"),
])
def test_exec_that_cannot_replace_the_shell(tmp_path: Path, line: str, where: str) -> None:
    repo = project(tmp_path, f"FROM python:3.12-slim\n{APT_TINI}COPY start.sh /start.sh\n"
                             'ENTRYPOINT ["tini", "--", "/start.sh"]\n',
                   {"start.sh": f"#!/bin/sh\n{line}"})
    r = invoke_in(repo, ["check", "--select", "EL113", "."])
    assert "EL113 [error]" in r.output and where in r.output, r.output


def test_exec_then_exit_is_not_dead_code(tmp_path: Path) -> None:
    repo = project(tmp_path, f"FROM python:3.12-slim\n{APT_TINI}COPY start.sh /start.sh\n"
                             'ENTRYPOINT ["tini", "--", "/start.sh"]\n',
                   {"start.sh": '#!/bin/sh\nif [ -n "$A" ]; then\n  exec app "$@"\nelse\n'
                                "  exec other\nfi\nexec gunicorn app:app\necho 'exec failed' >&2\n"
                                "exit 1\n"})
    assert findings(repo) == []


@pytest.mark.parametrize(("init", "expected"), [
    # the app gets SIGTERM, but npm exits at once and tini with it: a slow stop is SIGKILLed
    ('ENTRYPOINT ["tini", "-g", "--"]\n', [("EL110", "warning", 4)]),
    ('ENTRYPOINT ["dumb-init", "--"]\n', [("EL110", "warning", 4)]),
    ('ENTRYPOINT ["tini", "--"]\n', [("EL110", "error", 4)]),  # at the CMD
])
def test_npm_under_an_init(tmp_path: Path, init: str,
                           expected: list[tuple[str, str, int]]) -> None:
    install = "RUN apt-get update && apt-get install -y tini dumb-init\n"
    repo = project(tmp_path, f"FROM node:22-slim\n{install}{init}CMD [\"npm\", \"start\"]\n")
    assert findings(repo) == expected


def test_npm_start_fix_runs_the_script(tmp_path: Path) -> None:
    repo = project(tmp_path, f"FROM node:22-slim\n{APT_TINI}WORKDIR /app\nCOPY . .\n"
                             'ENTRYPOINT ["tini", "--"]\nCMD ["npm", "start"]\n',
                   {"package.json": json.dumps({"scripts": {"start": "node server.js",
                                                            "test": "node test.js"}})})
    r = invoke_in(repo, ["check", "--fix", "."])
    assert "npm" in (repo / "Dockerfile").read_text()  # unsafe: not applied by --fix
    r = invoke_in(repo, ["check", "--fix", "--unsafe-fixes", "."])
    assert (repo / "Dockerfile").read_text().endswith('CMD ["node", "server.js"]\n'), r.output
    assert findings(repo) == []


@pytest.mark.parametrize("scripts", [
    {"start": "node server.js", "prestart": "node migrate.js"},
    {"start": "node server.js", "poststart": "echo bye"},
    {"start": "NODE_ENV=production node server.js"},
    {"start": "node server.js > log.txt"},
    {"start": "node build.js && node server.js"},
])
def test_npm_start_not_fixed_when_running_it_directly_would_differ(
        tmp_path: Path, scripts: dict[str, str]) -> None:
    """Hooks would stop running; assignments, redirections and lists need the shell."""
    repo = project(tmp_path, f"FROM node:22-slim\n{APT_TINI}WORKDIR /app\nCOPY . .\n"
                             'ENTRYPOINT ["tini", "--"]\nCMD ["npm", "start"]\n',
                   {"package.json": json.dumps({"scripts": scripts})})
    r = invoke_in(repo, ["check", "--format", "json", "."])
    (d,) = json.loads(r.stdout)
    assert d["rule"] == "EL110" and d["fix"] is None
    hooks = [h for h in ("prestart", "poststart") if h in scripts]
    if hooks:
        assert f"`{hooks[0]}` script does is done elsewhere (no automatic fix" in d["message"]


@pytest.mark.parametrize(("cmd", "severity", "says"), [
    ('["npx", "ts-node", "src/index.ts"]', "error", "npx (`npm exec`) exits within 0.5 s"),
    ('["yarn", "start"]', "error", "yarn 1, which the node images ship, exits at once"),
    ('["pnpm", "start"]', "error", "it passes SIGTERM on but exits at once with status 1"),
])
def test_launchers_as_measured(tmp_path: Path, cmd: str, severity: str, says: str) -> None:
    """docs/pid1-behaviour.md: npx and yarn 1 lose SIGTERM; pnpm 10 passes it on but does
    not wait for the app to stop."""
    repo = project(tmp_path, f"FROM node:22-slim\nWORKDIR /app\nCOPY . .\nCMD {cmd}\n")
    r = invoke_in(repo, ["check", "--format", "json", "."])
    got = [(d["rule"], d["severity"], d["message"]) for d in json.loads(r.stdout)
           if d["rule"] == "EL110"]
    assert len(got) == 1 and got[0][:2] == ("EL110", severity) and says in got[0][2], got


@pytest.mark.parametrize(("init", "expected"), [
    ('ENTRYPOINT ["tini", "--"]\n', [("EL110", "error", 4)]),  # pnpm does not wait
    ('ENTRYPOINT ["tini", "-g", "--"]\n', [("EL110", "warning", 4)]),
    ("", [("EL110", "error", 2)]),
])
def test_pnpm_under_an_init(tmp_path: Path, init: str,
                            expected: list[tuple[str, str, int]]) -> None:
    repo = project(tmp_path, f"FROM node:22-slim\n{APT_TINI if init else ''}{init}"
                             'CMD ["pnpm", "start"]\n')
    assert [f for f in findings(repo) if f[0] == "EL110"] == expected


def test_npm_start_of_a_binary_is_not_fixed(tmp_path: Path) -> None:
    repo = project(tmp_path, f"FROM node:22-slim\n{APT_TINI}WORKDIR /app\nCOPY . .\n"
                             'ENTRYPOINT ["tini", "--"]\nCMD ["npm", "start"]\n',
                   {"package.json": '{"scripts": {"start": "next start"}}'})
    r = invoke_in(repo, ["check", "--format", "json", "."])
    (d,) = json.loads(r.stdout)
    assert d["rule"] == "EL110" and d["fix"] is None


def test_sudo_relays_and_reaps(tmp_path: Path) -> None:
    repo = project(tmp_path, 'FROM debian:12-slim\nCMD ["sudo", "-u", "app", "/srv/server"]\n')
    assert findings(repo) == [("EL108", "info", 2)]


def test_su_with_exec_in_its_command_still_never_reaps(tmp_path: Path) -> None:
    repo = project(tmp_path, 'FROM debian:12-slim\n'
                             'CMD ["su", "app", "-c", "exec /srv/server"]\n')
    # EL104 for the zombies (its fix: tini -g), EL108 for su itself (2 s, exit 143)
    assert sorted(findings(repo)) == [("EL104", "warning", 2), ("EL108", "warning", 2)]


def test_gosu_installed_is_named(tmp_path: Path) -> None:
    repo = project(tmp_path, "FROM debian:12-slim\nRUN apt-get update && apt-get install -y "
                             "gosu tini\nCOPY start.sh /start.sh\n"
                             'ENTRYPOINT ["tini", "--", "/start.sh"]\n',
                   {"start.sh": "#!/bin/sh\nsu app -c '/srv/server --port 80'\n"})
    r = invoke_in(repo, ["check", "."])
    assert "EL108 [error]" in r.output and "gosu is installed in the image" in r.output
    assert "EL103" not in r.output  # `exec su …` would not help


def test_duplicate_fix_removes_the_dead_line(tmp_path: Path) -> None:
    df = ('FROM node:22-slim\r\nCMD ["node", "a.js"]\r\nCMD ["node", "b.js"]\r\n'
          "STOPSIGNAL SIGINT\r\nSTOPSIGNAL SIGTERM\r\n")
    repo = project(tmp_path, df)
    (repo / "Dockerfile").write_bytes(df.encode())
    invoke_in(repo, ["check", "--fix", "--unsafe-fixes", "--select", "EL114", "."])
    assert (repo / "Dockerfile").read_bytes() == (
        b'FROM node:22-slim\r\nCMD ["node", "b.js"]\r\nSTOPSIGNAL SIGTERM\r\n')


def test_stop_signal_cases(tmp_path: Path) -> None:
    nginx = "RUN apt-get update && apt-get install -y nginx\n"
    repo = project(tmp_path, f"FROM debian:12-slim\n{nginx}STOPSIGNAL SIGQUIT\n"
                             'CMD ["nginx", "-g", "daemon off;"]\n')
    assert findings(repo) == []
    (repo / "Dockerfile").write_text(f"FROM debian:12-slim\n{nginx}STOPSIGNAL SIGINT\n"
                                     'CMD ["nginx", "-g", "daemon off;"]\n')
    assert findings(repo) == [("EL115", "error", 3)]
    (repo / "Dockerfile").write_text("FROM httpd:2.4\nCOPY site/ /usr/local/apache2/htdocs/\n"
                                     'CMD ["httpd-foreground"]\n')
    assert findings(repo) == []  # the official image sets STOPSIGNAL SIGWINCH


def test_fixed_init_path_is_proven_by_the_package_path() -> None:
    assert facts.package_path("tini", "apt", "debian") == ("/usr/bin/tini",)
    assert facts.package_path("tini", "apk", "alpine") == ("/sbin/tini",)
    assert facts.package_path("tini-static", "apt", "debian") == ("/usr/bin/tini-static",)
    assert facts.package_path("dumb-init", "pip", "debian") == ("/usr/local/bin/dumb-init",)


@pytest.mark.parametrize(("name", "args", "text", "argv", "user"), [
    ("su", ["app", "-c", "exec x"], "exec x", (), "app"),
    ("su", ["-s", "/bin/bash", "-c", "x --y", "app"], "x --y", (), "app"),
    ("runuser", ["-u", "app", "--", "x", "--y"], None, ("x", "--y"), "app"),
    ("sudo", ["-E", "-u", "app", "x"], None, ("x",), "app"),
])
def test_dropped_command(name: str, args: list[str | None], text: str | None,
                         argv: tuple[str, ...], user: str) -> None:
    got = facts.dropped_command(name, args)
    assert got is not None and (got.text, got.argv, got.user) == (text, argv, user)


def test_dev_servers() -> None:
    assert facts.dev_server(["python", "-m", "http.server", "8000"]) == "python -m http.server"
    assert facts.dev_server(["flask", "--app", "x", "run"]) == "flask run"
    assert facts.dev_server(["bundle", "exec", "rails", "s", "-e", "production"]) is None
    assert facts.dev_server(["gunicorn", "app:app"]) is None


def test_compose_stop_signal_overrides_the_image(tmp_path: Path) -> None:
    nginx = ("FROM debian:12-slim\nRUN apt-get update && apt-get install -y nginx\n"
             'CMD ["nginx", "-g", "daemon off;"]\n')
    repo = project(tmp_path, nginx, {"compose.yaml": "services:\n  web:\n    build: .\n"
                                                     "    stop_signal: SIGQUIT\n"})
    assert findings(repo) == []
    # a second service that runs the same image without it: STOPSIGNAL is needed again
    (repo / "compose.yaml").write_text("services:\n  web:\n    build: .\n    image: w\n"
                                       "    stop_signal: SIGQUIT\n  w2:\n    image: w\n")
    assert findings(repo) == [("EL115", "error", 3)]
    (repo / "compose.yaml").write_text("services:\n  web:\n    build: .\n"
                                       "    stop_signal: SIGKILL\n")
    assert findings(repo) == [("EL115", "error", 3)]
    (repo / "compose.yaml").write_text("services:\n  web:\n    build: .\n"
                                       "    stop_signal: SIGTERM\n")
    r = invoke_in(repo, ["check", "."])
    assert "set `stop_signal: SIGTERM`. Use `stop_signal: SIGQUIT`" in r.output


def test_duplicates_in_a_template_are_its_branches(tmp_path: Path) -> None:
    repo = project(tmp_path, 'FROM php:8.3-apache\n{{ if env.variant == "apache" then ( -}}\n'
                             'CMD ["apache2-foreground"]\n{{ ) else ( -}}\nCMD ["php-fpm"]\n'
                             "{{ ) end -}}\n")
    assert "EL114" not in [f[0] for f in findings(repo)]


GOSU = "RUN apt-get update && apt-get install -y gosu tini\n"


@pytest.mark.parametrize(("line", "fixed"), [
    ("su app -c '/srv/server --port 80'\n", "exec gosu app /srv/server --port 80\n"),
    ('exec su - app -c "exec /srv/server"\n', "exec gosu app /srv/server\n"),
    ("runuser -u app -- /srv/server -v\n", "exec gosu app /srv/server -v\n"),
    # the redirection stays, and now applies to the app itself
    ("su app -c /srv/server >>/log\n", "exec gosu app /srv/server >>/log\n"),
])
def test_su_becomes_gosu_when_gosu_is_installed(tmp_path: Path, line: str, fixed: str) -> None:
    repo = project(tmp_path, f"FROM debian:12-slim\n{GOSU}COPY start.sh /start.sh\n"
                             'ENTRYPOINT ["tini", "--", "/start.sh"]\n',
                   {"start.sh": f"#!/bin/sh\nchown -R app /data\n{line}"})
    r = invoke_in(repo, ["check", "--no-cache", "--format", "json", "."])
    (d,) = json.loads(r.stdout)
    assert d["rule"] == "EL108" and d["fix"]["applicability"] == "unsafe"
    assert "USER, LOGNAME and SHELL" in d["fix"]["message"]
    invoke_in(repo, ["check", "--no-cache", "--fix", "."])
    assert (repo / "start.sh").read_text().endswith(line)  # unsafe: not without the flag
    invoke_in(repo, ["check", "--no-cache", "--fix", "--unsafe-fixes", "."])
    assert (repo / "start.sh").read_text() == f"#!/bin/sh\nchown -R app /data\n{fixed}"
    assert findings(repo) == []


def test_su_in_exec_form_becomes_gosu(tmp_path: Path) -> None:
    repo = project(tmp_path, f"FROM debian:12-slim\n{GOSU}ENTRYPOINT [\"tini\", \"--\"]\n"
                             'CMD ["su", "app", "-c", "/srv/server --port 80"]\n')
    invoke_in(repo, ["check", "--no-cache", "--fix", "--unsafe-fixes", "."])
    assert (repo / "Dockerfile").read_text().endswith(
        'CMD ["gosu", "app", "/srv/server", "--port", "80"]\n')


@pytest.mark.parametrize(("install", "line", "why"), [
    ("RUN apt-get update && apt-get install -y tini\n", "su app -c '/srv/server'\n",
     "gosu or su-exec is not known to be in the image"),
    (GOSU, "su app -c '/srv/server --log $LOG'\n", "word for word"),
    (GOSU, "su -m app -c '/srv/server'\n", "word for word"),
    (GOSU, "su app -c '/srv/server; echo done'\n", "word for word"),
])
def test_su_without_a_word_for_word_gosu_has_no_fix(tmp_path: Path, install: str, line: str,
                                                     why: str) -> None:
    repo = project(tmp_path, f"FROM debian:12-slim\n{install}COPY start.sh /start.sh\n"
                             'ENTRYPOINT ["tini", "--", "/start.sh"]\n',
                   {"start.sh": f"#!/bin/sh\n{line}"})
    r = invoke_in(repo, ["check", "--no-cache", "--format", "json", "."])
    (d,) = [d for d in json.loads(r.stdout) if d["rule"] == "EL108"]
    assert d["fix"] is None and why in d["message"], d


@pytest.mark.parametrize(("cmd", "severity"), [
    ('["yarn", "start"]', "error"),
    ('["yarn", "run", "serve"]', "error"),
    ('["pnpm", "start"]', "error"),  # measured: pnpm does not wait for the app
    ('["npx", "serve", "-s", "build"]', "error"),
    ('["npm", "run-script", "serve"]', "error"),
    ('["bun", "run", "start"]', "warning"),
    ('["bun", "start"]', "warning"),
    ('["bun", "run", "src/index.ts"]', None),  # bun runs the file itself
    ('["bun", "src/index.ts"]', None),
    ('["yarn", "install"]', None),
])
def test_launchers(tmp_path: Path, cmd: str, severity: str | None) -> None:
    repo = project(tmp_path, f"FROM oven/bun:1\n{APT_TINI}WORKDIR /app\nCOPY . .\n"
                             f'ENTRYPOINT ["tini", "--"]\nCMD {cmd}\n',
                   {"package.json": '{"scripts": {"start": "bun src/index.ts", '
                                    '"serve": "serve -s build"}}'})
    got = [f for f in findings(repo) if f[0] == "EL110"]
    assert got == ([("EL110", severity, 6)] if severity else [])


def test_bun_start_in_a_script_is_reported(tmp_path: Path) -> None:
    repo = project(tmp_path, f"FROM oven/bun:1\n{APT_TINI}WORKDIR /app\nCOPY . .\n"
                             'ENTRYPOINT ["tini", "--", "/app/start.sh"]\n',
                   {"package.json": '{"scripts": {"start": "bun src/index.ts"}}',
                    "start.sh": "#!/bin/sh\nbun run db:migrate\nexec bun run start\n"})
    assert findings(repo) == [("EL110", "warning", 3)]


def test_runserver_must_be_the_subcommand() -> None:
    # exec form with "&&" as words: manage.py runs `makemigrations`, not the dev server
    assert facts.dev_server(["python", "manage.py", "makemigrations", "&&", "python",
                             "manage.py", "runserver"]) is None
    assert facts.dev_server(["python", "-u", "manage.py", "runserver", "0:8000"]) == \
        "manage.py runserver"
    assert facts.dev_server(["django-admin", "migrate", "runserver"]) is None


def test_installed_by_a_script_that_keeps_its_package_list_apart() -> None:
    script = 'PKGS=(\n  curl\n  dumb-init\n)\napt-get install -y "${PKGS[@]}"\n'
    assert facts.installed_by_script(script, "dumb-init") == "apt"
    assert facts.installed_by_script("echo dumb-init is great\n", "dumb-init") is None
    assert facts.installed_by_script(script, "tini") is None
