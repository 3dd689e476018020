"""bench/fix_safety.py on two synthetic checkouts: it counts the safe fixes and finds none
that breaks (the real run is bench/fix_safety.md)."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "fix_safety.py"


@pytest.mark.skipif(shutil.which("dash") is None, reason="needs dash")
def test_fix_safety_on_two_checkouts(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                     ) -> None:
    pytest.importorskip("dockerfile", reason="BuildKit's parser (test extra, Linux)")
    one = tmp_path / "me+web"
    (one / ".git").mkdir(parents=True)
    (one / "Dockerfile").write_text("FROM python:3.12-slim\nCOPY s.py /s.py\n"
                                    "CMD python /s.py --port 80\n")
    node = tmp_path / "me+node"
    (node / ".git").mkdir(parents=True)
    (node / "Dockerfile").write_text("FROM node:22-slim\nCOPY s.js /s.js\n"
                                     "CMD [\"node\", \"/s.js\"]\n")
    two = tmp_path / "me+worker"
    (two / ".git").mkdir(parents=True)
    (two / "Dockerfile").write_text("FROM debian:stretch-slim\nCMD [\"/usr/bin/worker\"]\n")
    spec = importlib.util.spec_from_file_location("fix_safety_bench", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    assert mod.main(["--checkouts", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "- repositories: 3 (0 not run: none)" in out
    # web: exec form, then tini; node: tini keeping node's docker-entrypoint.sh; worker:
    # stretch has no tini package, so nothing
    assert "safe fixes applied: 3, in 2 Dockerfiles" in out
    assert "base ENTRYPOINTs kept behind tini: 1" in out
    assert "1 checked against dash, 0 differ" in out
