"""`check` reports everything an image needs at once, and one `--fix` applies it (issue 8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import invoke_in

CASES = {
    # dash stays PID 1 (EL101); once exec form makes python PID 1, it never reaps (EL104)
    "shell-form": ({"Dockerfile": "FROM python:3.12-slim\nWORKDIR /app\nCOPY app.py .\n"
                                  "CMD python app.py --port 8000\n", "app.py": ""},
                   {"EL101", "EL104"}),
    # the script runs the app as a child (EL103); once exec'd, python never reaps (EL104)
    # (not `flask run`: a development server as PID 1 is EL111, which has no fix)
    "script": ({"Dockerfile": "FROM python:3.12-slim\nCOPY start.sh /start.sh\n"
                              "ENTRYPOINT [\"/start.sh\"]\n",
                "start.sh": "#!/bin/sh\nset -e\npython /srv/app.py --port 8000\n"},
               {"EL103", "EL104"}),
    # one exec-form element with spaces cannot start (EL106); once split, python is PID 1 and
    # never reaps (EL104); found on a real repository as a base-entrypoint `CMD`
    "words-with-spaces": ({"Dockerfile": "FROM python:3.12-slim\nCOPY app.py /app.py\n"
                                         "CMD [\"python /app.py --port 8000\"]\n",
                           "app.py": ""},
                          {"EL106", "EL104"}),
    # nginx run as a script's child (EL103); once exec'd it is PID 1 and gets SIGTERM, its
    # fast stop: it needs STOPSIGNAL SIGQUIT (EL115), said at once (found on real repositories)
    "script-nginx": ({"Dockerfile": "FROM debian:12-slim\nRUN apt-get update && apt-get install"
                                    " -y nginx\nCOPY start.sh /start.sh\n"
                                    "CMD [\"/start.sh\"]\n",
                      "start.sh": "#!/bin/sh\nset -e\nnginx -t\nnginx -g 'daemon off;'\n"},
                     {"EL103", "EL115"}),
    "shell-form-nginx": ({"Dockerfile": "FROM debian:12-slim\nRUN apt-get update && apt-get "
                                        "install -y nginx\nCMD nginx -g 'daemon off;'\n"},
                         {"EL101", "EL115"}),
    # gunicorn reaps: the exec is all it needs
    "reaping-server": ({"Dockerfile": "FROM python:3.12-slim\nCMD gunicorn app:app\n"},
                       {"EL101"}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_reports_all_then_one_fix_leaves_nothing(name: str, repo: Path) -> None:
    files, rules = CASES[name]
    for path, text in files.items():
        (repo / path).write_text(text)
        if text.startswith("#!"):
            (repo / path).chmod(0o755)  # as committed (else EL112 too)
    r = invoke_in(repo, ["check", "--format", "json", "."])
    found = json.loads(r.stdout)
    assert {d["rule"] for d in found} == rules
    for d in found:
        if d["rule"] == "EL115":
            assert d["message"].startswith("Once the `exec` that EL10")
        if d["rule"] == "EL104":
            assert d["message"].startswith(("Once the `exec` that EL10",
                                             "Once the split that EL106 asks for is"))
    r = invoke_in(repo, ["--fix", "."])
    assert r.exit_code == 0, r.output
    r = invoke_in(repo, ["check", "--format", "json", "."])
    assert json.loads(r.stdout) == []


def test_shared_script_finding_counts_for_every_image(repo: Path) -> None:
    """Two Dockerfiles run one script that lacks `exec`: EL103 is reported once (one script),
    and EL104, which holds once that exec is in, for each image (found on a real repository:
    `Dockerfile` and `Dockerfile.arm64`; the second image's EL104 was dropped)."""
    script = "#!/bin/sh\nset -e\npython /srv/app.py --port 8000\n"
    for name in ("Dockerfile", "Dockerfile.arm64"):
        (repo / name).write_text("FROM python:3.12-slim\nCOPY start.sh /start.sh\n"
                                 "ENTRYPOINT [\"/start.sh\"]\n")
    (repo / "start.sh").write_text(script)
    (repo / "start.sh").chmod(0o755)
    found = json.loads(invoke_in(repo, ["check", "--format", "json", "."]).stdout)
    assert sorted((d["rule"], d["path"]) for d in found) == [
        ("EL103", "start.sh"), ("EL104", "Dockerfile"), ("EL104", "Dockerfile.arm64")]
    assert invoke_in(repo, ["--fix", "."]).exit_code == 0
    assert json.loads(invoke_in(repo, ["check", "--format", "json", "."]).stdout) == []
