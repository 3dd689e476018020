"""ruff and mypy are part of the test suite, so CI fails when either does."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed (test extra)")
def test_ruff_clean() -> None:
    out = subprocess.run(["ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_mypy_clean() -> None:
    pytest.importorskip("mypy", reason="mypy is not installed (test extra)")
    out = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_rules_package_is_not_importable_top_level() -> None:
    """``rules/`` is installed as ``entrylint.rules``; nothing imports a top-level ``rules``."""
    offenders = []
    for p in [*ROOT.joinpath("entrylint").rglob("*.py"), *ROOT.joinpath("rules").rglob("*.py")]:
        text = p.read_text()
        if "import rules" in text.replace("entrylint.rules", "") or "from rules" in text:
            offenders.append(str(p))
    assert offenders == []
