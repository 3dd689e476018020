"""What a compose service starts instead of the image's ENTRYPOINT/CMD, and its findings."""

from __future__ import annotations

import json
from pathlib import Path

from entrylint.model import load
from tests.cli_helpers import invoke_in


def project(tmp_path: Path, dockerfile: str, compose: str,
            files: dict[str, str] | None = None) -> Path:
    (tmp_path / ".git").mkdir(exist_ok=True)
    (tmp_path / "Dockerfile").write_text(dockerfile)
    (tmp_path / "compose.yaml").write_text(compose)
    for name, text in (files or {}).items():
        (tmp_path / name).write_text(text)
    return tmp_path


def findings(repo: Path) -> list[dict[str, object]]:
    r = invoke_in(repo, ["check", "--no-cache", "--format", "json", "."])
    out: list[dict[str, object]] = json.loads(r.stdout)
    return out


NODE = ('FROM node:22-slim\nWORKDIR /app\nCOPY . .\nENTRYPOINT ["docker-entrypoint.sh"]\n'
        'CMD ["npm", "start"]\n')


def test_entrypoint_drops_the_image_cmd_unless_command_is_given(tmp_path: Path) -> None:
    repo = project(tmp_path, NODE, "services:\n  a:\n    build: .\n"
                                   "    entrypoint: [\"node\", \"server.js\"]\n"
                                   "  b:\n    build: .\n    entrypoint: node\n"
                                   "    command: server.js --port 80\n"
                                   "  c:\n    build: .\n    command: node 'my app.js'\n")
    model = load(repo / "Dockerfile")
    assert model.start_argv == ["docker-entrypoint.sh", "npm", "start"]
    runs = {r.service.name: r.model.start_argv for r in model.services}
    assert runs == {"a": ["node", "server.js"], "b": ["node", "server.js", "--port", "80"],
                    # a string is split into words, never run by a shell
                    "c": ["docker-entrypoint.sh", "node", "my app.js"]}
    assert [r.at.start_line for r in model.services] == [4, 7, 11]


def test_a_service_that_starts_what_the_image_starts_is_not_repeated(tmp_path: Path) -> None:
    repo = project(tmp_path, NODE, "services:\n  a:\n    build: .\n    command: npm start\n")
    got = findings(repo)
    assert {d["path"] for d in got} == {"Dockerfile"}


def test_each_service_that_differs_gets_its_finding(tmp_path: Path) -> None:
    df = 'FROM node:22-slim\nRUN apt-get update && apt-get install -y tini\nWORKDIR /app\n' \
         'COPY . .\nENTRYPOINT ["tini", "--"]\nCMD ["node", "server.js"]\n'
    repo = project(tmp_path, df, "services:\n  web:\n    build: .\n    command: npm start\n"
                                 "  admin:\n    build: .\n    command: [\"npm\", \"start\"]\n"
                                 "  fine:\n    build: .\n    command: node other.js\n",
                   {"package.json": '{"scripts": {"start": "node server.js"}}'})
    got = findings(repo)
    assert [(d["rule"], d["path"], d["line"]) for d in got] == [
        ("EL110", "compose.yaml", 4), ("EL110", "compose.yaml", 7)]
    assert "compose service `web`" in str(got[0]["message"])
    assert "compose service `admin`" in str(got[1]["message"])
    assert "`command: [\"node\", \"server.js\"]`" in str(got[0]["message"])
    # the YAML is never rewritten
    assert all(d["fix"] is None for d in got) and "no automatic fix" in str(got[0]["message"])


def test_init_true_on_the_service_silences_reaping(tmp_path: Path) -> None:
    df = 'FROM python:3.12-slim\nCOPY . /app\nCMD ["gunicorn", "app:app"]\n'
    compose = ("services:\n  worker:\n    build: .\n    command: python worker.py\n"
               "  web:\n    build: .\n")
    repo = project(tmp_path, df, compose)
    assert [(d["rule"], d["line"]) for d in findings(repo)] == [("EL104", 4)]
    (repo / "compose.yaml").write_text(compose.replace("    command:", "    init: true\n"
                                                                        "    command:"))
    assert findings(repo) == []


def test_what_compose_cannot_tell_is_a_note(tmp_path: Path) -> None:
    repo = project(tmp_path, NODE, "services:\n  a:\n    build: .\n    command: ${CMD}\n"
                                   "  b:\n    build: .\n    command: 'npm \"start'\n"
                                   "  c:\n    build: .\n    command: [1, 2]\n"
                                   "  d:\n    build: .\n    command: node $${HOME}/s.js\n")
    model = load(repo / "Dockerfile")
    notes = "\n".join(model.notes)
    assert "`a`" in notes and "interpolation" in notes
    assert "`b`" in notes and "unbalanced quotes" in notes
    assert "`c`" in notes and "not a string or a list" in notes
    (d,) = model.services
    assert d.model.start_argv == ["docker-entrypoint.sh", "node", "${HOME}/s.js"]


def test_an_aliased_command_and_many_services(tmp_path: Path) -> None:
    services = "".join(f"  s{i}:\n    build: .\n    command: *cmd\n" for i in range(25))
    repo = project(tmp_path, NODE, "x-cmd: &cmd [\"node\", \"a.js\"]\nservices:\n"
                                   f"{services}")
    model = load(repo / "Dockerfile")
    assert len(model.services) == 20 and "more than 20" in "\n".join(model.notes)
    assert model.services[0].at.start_line == 5
    assert model.services[0].model.start_argv == ["docker-entrypoint.sh", "node", "a.js"]
