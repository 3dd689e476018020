"""Start-up that a Dockerfile does not write itself (issue 8, third pass): the CMD of a base
image that entrylint's table knows, and ``FROM <image>`` where another Dockerfile of the same
repository builds that image.  Each with a positive and a negative case of our own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import invoke_in

BOOT = "#!/bin/sh\nset -e\necho starting\nmyserver --port 80\n"

# (id, files, Dockerfile to check, expected (rule, path, line) findings)
CASES: list[tuple[str, dict[str, str], str, list[tuple[str, str, int]]]] = [
    # no CMD: ruby's own `CMD ["irb"]` is PID 1, and irb does not reap
    ("ruby-irb", {"Dockerfile": "FROM ruby:3.3\nRUN gem install rails\n"}, "Dockerfile",
     [("EL104", "Dockerfile", 1)]),
    ("python-repl", {"Dockerfile": "FROM python:3.12-slim\nRUN pip install flask\n"},
     "Dockerfile", [("EL104", "Dockerfile", 1)]),
    # the base is a stage that builds on python: the FROM that brings the CMD in
    ("python-via-stage", {"Dockerfile": "FROM python:3.12 AS base\nRUN pip install x\n"
                                        "FROM base\nRUN pip install y\n"},
     "Dockerfile", [("EL104", "Dockerfile", 1)]),
    # every compose service that runs the image gives its own command: python3 never runs
    ("python-compose-commands",
     {"Dockerfile": "FROM python:3.12-slim\nRUN pip install flask\n",
      "docker-compose.yml": "services:\n  web:\n    build: .\n"
                            "    command: [\"gunicorn\", \"app:app\"]\n"},
     "Dockerfile", []),
    # ... but one that runs it as it is starts python3
    ("python-compose-one-plain",
     {"Dockerfile": "FROM python:3.12-slim\nRUN pip install flask\n",
      "docker-compose.yml": "services:\n  web:\n    build: .\n"
                            "    command: [\"gunicorn\", \"app:app\"]\n"
                            "  shell:\n    build: .\n"},
     "Dockerfile", [("EL104", "Dockerfile", 1)]),
    # a new ENTRYPOINT resets the inherited CMD: `exec "$@"` has nothing to run
    ("entrypoint-resets-cmd",
     {"Dockerfile": "FROM ruby:3.3\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/sh\nset -e\nexec \"$@\"\n"}, "Dockerfile", []),
    # a shell reaps what it inherits: ubuntu's `CMD ["/bin/bash"]` is no finding
    ("ubuntu-bash", {"Dockerfile": "FROM ubuntu:24.04\nRUN apt-get update\n"}, "Dockerfile",
     []),
    # postgres's docker-entrypoint.sh execs its CMD `postgres`, which reaps
    ("postgres-reaps", {"Dockerfile": "FROM postgres:16\nCOPY init.sql /docker-entrypoint-initdb.d/\n",
                        "init.sql": ""}, "Dockerfile", []),
    # compose builds `acme-base` from docker/base/Dockerfile: the app image runs its
    # ENTRYPOINT, a script of the build context
    ("compose-built-base",
     {"docker-compose.yml": "services:\n  base:\n    image: acme-base\n    build:\n"
                            "      context: .\n      dockerfile: docker/base/Dockerfile\n"
                            "  app:\n    build:\n      context: .\n"
                            "      dockerfile: docker/app/Dockerfile\n",
      "docker/base/Dockerfile": "FROM debian:12\nCOPY docker/boot.sh /usr/local/bin/boot.sh\n"
                                "ENTRYPOINT [\"boot.sh\"]\n",
      "docker/app/Dockerfile": "FROM acme-base\nCOPY . /srv\n",
      "docker/boot.sh": BOOT},
     "docker/app/Dockerfile", [("EL103", "docker/boot.sh", 4),
                               ("EL104", "docker/app/Dockerfile", 1)]),
    # a Makefile's `docker build -t NAME -f FILE .` says the same
    ("makefile-built-base",
     {"Makefile": "base:\n\tdocker build -f docker/base.Dockerfile -t acme-base .\n",
      "docker/base.Dockerfile": "FROM debian:12\nCOPY docker/boot.sh /usr/local/bin/boot.sh\n",
      "docker/app.Dockerfile": "FROM acme-base\nENTRYPOINT [\"/usr/local/bin/boot.sh\"]\n",
      "docker/boot.sh": BOOT},
     "docker/app.Dockerfile", [("EL103", "docker/boot.sh", 4),
                               ("EL104", "docker/app.Dockerfile", 2)]),
    # two Dockerfiles tagged with the same name: which one is unknown, so the script is not
    # followed (EL100 says so)
    ("ambiguous-base",
     {"Makefile": "a:\n\tdocker build -f docker/a.Dockerfile -t acme-base .\n"
                  "b:\n\tdocker build -f docker/b.Dockerfile -t acme-base .\n",
      "docker/a.Dockerfile": "FROM debian:12\nCOPY docker/boot.sh /usr/local/bin/boot.sh\n",
      "docker/b.Dockerfile": "FROM alpine:3.20\n",
      "docker/app.Dockerfile": "FROM acme-base\nENTRYPOINT [\"/usr/local/bin/boot.sh\"]\n",
      "docker/boot.sh": BOOT},
     "docker/app.Dockerfile", [("EL100", "docker/app.Dockerfile", 2)]),
    # nothing in the repository builds it: an image of a registry, unknown
    ("unbuilt-base",
     {"docker/app.Dockerfile": "FROM acme-base\nENTRYPOINT [\"/usr/local/bin/boot.sh\"]\n",
      "docker/boot.sh": BOOT},
     "docker/app.Dockerfile", [("EL100", "docker/app.Dockerfile", 2)]),
]


def _files(case: str) -> dict[str, str]:
    return dict(next(c[1] for c in CASES if c[0] == case))


def _write(repo: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
        if text.startswith("#!"):
            (repo / name).chmod(0o755)


@pytest.mark.parametrize(("files", "dockerfile", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_inherited_startup(repo: Path, files: dict[str, str], dockerfile: str,
                           expected: list[tuple[str, str, int]]) -> None:
    _write(repo, files)
    r = invoke_in(repo, ["check", "--format", "json", dockerfile])
    got = sorted((d["rule"], d["path"], d["line"]) for d in json.loads(r.stdout))
    assert got == sorted(expected), r.output


def test_base_cmd_message_says_where_it_comes_from(repo: Path) -> None:
    _write(repo, {"Dockerfile": "FROM node:22\nWORKDIR /app\n"})
    r = invoke_in(repo, ["check", "--format", "json", "Dockerfile"])
    (d,) = json.loads(r.stdout)
    assert d["rule"] == "EL104"
    assert "PID 1 will be `node`" in d["message"]
    assert ("start-up comes from the base image node:22: its `CMD [\"node\"]`, run by its "
            "ENTRYPOINT `docker-entrypoint.sh`") in d["message"]


def test_repo_built_base_is_said_and_fix_is_unsafe(repo: Path) -> None:
    files = dict(_files("makefile-built-base"))
    files["docker/boot.sh"] = "#!/bin/sh\nset -e\nexec myserver --port 80\n"
    _write(repo, files)
    r = invoke_in(repo, ["check", "--verbose", "--format", "json", "docker/app.Dockerfile"])
    assert ("`FROM acme-base` is the image that docker/base.Dockerfile builds (said by "
            "Makefile:2)") in r.stderr
    (d,) = json.loads(r.stdout)
    assert d["rule"] == "EL104"
    assert d["fix"]["applicability"] == "unsafe"
    assert "the image by that name may not be what it builds today" in d["fix"]["message"]


def test_ambiguous_base_is_said_in_verbose(repo: Path) -> None:
    _write(repo, _files("ambiguous-base"))
    r = invoke_in(repo, ["check", "--verbose", "docker/app.Dockerfile"])
    assert "acme-base is built by several Dockerfiles of the repository" in r.stderr


def test_repo_built_base_fix_never_edits_the_wrong_file(repo: Path) -> None:
    # boot.sh is mode 0644 and the base's COPY has no --chmod: EL112, but its COPY is in the
    # other Dockerfile, so no fix may edit this one at that COPY's offsets
    files = dict(_files("makefile-built-base"))
    _write(repo, files)
    (repo / "docker/boot.sh").chmod(0o644)
    r = invoke_in(repo, ["check", "--format", "json", "docker/app.Dockerfile"])
    found = {d["rule"]: d for d in json.loads(r.stdout)}
    assert found["EL112"]["fix"] is None, r.output
