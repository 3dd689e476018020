"""Exec form needs a `#!` line that `sh -c` did not: such a conversion is unsafe."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import invoke_in


@pytest.mark.parametrize(
    ("script", "safe"),
    [("#!/bin/sh\nexec gunicorn app:app\n", True),
     ("#/bin/sh\nexec gunicorn app:app\n", False),  # the missing `!` of the reference
     (None, False)],  # not in the build context: cannot be checked
)
def test_exec_form_of_a_script_checks_its_shebang(tmp_path: Path, script: str | None,
                                                  safe: bool) -> None:
    (tmp_path / ".git").mkdir()
    copy = "COPY start.sh /start.sh\n" if script is not None else ""
    dockerfile = f"FROM ubuntu:24.04\n{copy}CMD /start.sh\n"
    (tmp_path / "Dockerfile").write_text(dockerfile)
    if script is not None:
        (tmp_path / "start.sh").write_text(script)
    r = invoke_in(tmp_path, ["check", "--fix", "--select", "EL101", "."])
    fixed = (tmp_path / "Dockerfile").read_text()
    if safe:
        assert fixed == f"FROM ubuntu:24.04\n{copy}CMD [\"/start.sh\"]\n"
        assert r.exit_code == 0
    else:
        assert fixed == dockerfile
        assert r.exit_code == 1 and "1 need --unsafe-fixes" in r.output
