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
        if d["rule"] == "EL104":
            assert d["message"].startswith("Once the `exec` that EL10")
    r = invoke_in(repo, ["--fix", "."])
    assert r.exit_code == 0, r.output
    r = invoke_in(repo, ["check", "--format", "json", "."])
    assert json.loads(r.stdout) == []
