"""Fixes of EL105 (exec-form `sh -c` without exec) and EL106 (`["exec", …]`); EL109 (a
keepalive after the server) has none."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import invoke_in


def fix(tmp_path: Path, dockerfile: str) -> tuple[int, str]:
    (tmp_path / ".git").mkdir(exist_ok=True)
    (tmp_path / "Dockerfile").write_text(dockerfile)
    r = invoke_in(tmp_path, ["check", "--fix", "--select", "EL105,EL106,EL109", "."])
    return r.exit_code, (tmp_path / "Dockerfile").read_text()


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ('CMD ["sh", "-c", "uvicorn main:app --port ${PORT:-8000}"]',
         'CMD ["sh", "-c", "exec uvicorn main:app --port ${PORT:-8000}"]'),
        ('CMD ["/bin/sh", "-c", "cd /app && gunicorn \\"app:create()\\""]',
         'CMD ["/bin/sh", "-c", "cd /app && exec gunicorn \\"app:create()\\""]'),
        ('CMD ["exec", "gunicorn", "app:app"]', 'CMD ["gunicorn", "app:app"]'),
    ],
)
def test_fixed(tmp_path: Path, before: str, after: str) -> None:
    code, out = fix(tmp_path, f"FROM python:3.12-slim\n{before}\n")
    assert out == f"FROM python:3.12-slim\n{after}\n"
    assert code == 0


@pytest.mark.parametrize(
    "cmd",
    [
        'CMD ["sh", "-c", "python -m http.server && tail -f /dev/null"]',  # server is a child
        'CMD ["sh", "-c", "app; echo done"]',  # something follows it
        'CMD ["sh", "-c", "app | tee /log"]',  # a pipeline
    ],
)
def test_not_fixed_where_exec_would_not_help(tmp_path: Path, cmd: str) -> None:
    code, out = fix(tmp_path, f"FROM python:3.12-slim\n{cmd}\n")
    assert out == f"FROM python:3.12-slim\n{cmd}\n"
    assert code == 1
