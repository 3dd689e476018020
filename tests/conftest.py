from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The tests' own helper modules (pid1_apps, pid1_harness) import as top-level modules.
sys.path.insert(0, str(Path(__file__).parent))

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty git repository (a ``.git`` folder marks its root), as the current directory.
    Test modules that need files in it override this fixture."""
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    monkeypatch.chdir(root)
    return root
