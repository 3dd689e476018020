"""A one-file run (the pre-commit and editor case) imports only what that file needs.

Each case runs ``entrylint check`` in a fresh interpreter and lists the heavy modules it
imported: PyYAML only with a compose file, tree-sitter only with a script or shell text to
parse, pathspec only with a .gitignore/.dockerignore or configured patterns, the probe
command and the SARIF/Checkstyle machinery never.  (difflib is not listed: click imports it
to suggest a near option name whenever a short option such as ``-q`` is parsed.)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from entrylint import baseimages, tablecache

HEAVY = ("yaml", "tree_sitter", "tree_sitter_bash", "pathspec", "entrylint.probe",
         "entrylint.pidns", "hashlib", "xml.etree.ElementTree", "multiprocessing",
         "subprocess", "importlib.resources", "tempfile", "zipfile")

_RUN = """
import json, sys
from entrylint.cli import main
try:
    main(["check", "-q", *sys.argv[1:]])
except SystemExit:
    pass
print(json.dumps(sorted(m for m in {heavy} if m in sys.modules)), file=sys.stderr)
"""


def heavy_imports(cwd: Path, *args: str, heavy: tuple[str, ...] = HEAVY,
                  env: dict[str, str] | None = None) -> list[str]:
    proc = subprocess.run([sys.executable, "-c", _RUN.format(heavy=heavy), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=60, env=env)
    loaded: list[str] = json.loads(proc.stderr.strip().splitlines()[-1])
    return loaded


def test_exec_form_dockerfile_imports_nothing_heavy(repo: Path) -> None:
    (repo / "Dockerfile").write_text('FROM python:3.12-slim\nCMD ["python", "-m", "app"]\n')
    assert heavy_imports(repo, "Dockerfile") == []


def test_script_loads_tree_sitter_only(repo: Path) -> None:
    (repo / "start.sh").write_text('#!/bin/sh\nset -e\nexec "$@"\n')
    (repo / "Dockerfile").write_text(
        'FROM alpine:3.20\nCOPY start.sh /start.sh\nENTRYPOINT ["/start.sh"]\nCMD ["app"]\n')
    loaded = heavy_imports(repo, "Dockerfile")
    # tree_sitter_bash's own __init__ imports importlib.resources (and with it tempfile,
    # zipfile): theirs, not entrylint's
    ours = [m for m in loaded if m not in ("importlib.resources", "tempfile", "zipfile")]
    assert ours == ["tree_sitter", "tree_sitter_bash"]


def test_compose_file_loads_yaml(repo: Path) -> None:
    (repo / "Dockerfile").write_text('FROM python:3.12-slim\nCMD ["python", "-m", "app"]\n')
    (repo / "compose.yaml").write_text("services:\n  web:\n    build: .\n    init: true\n")
    assert heavy_imports(repo, "Dockerfile") == ["yaml"]


def test_dockerignore_loads_pathspec(repo: Path) -> None:
    (repo / "Dockerfile").write_text('FROM python:3.12-slim\nCMD ["python", "-m", "app"]\n')
    (repo / ".dockerignore").write_text("*.log\n")
    assert heavy_imports(repo, "Dockerfile") == ["pathspec"]


def test_base_image_tables_come_from_their_cache(repo: Path) -> None:
    """tomllib parses base_images.toml only when its parsed form is not cached yet
    (entrylint/tablecache.py); a second run loads the cache."""
    (repo / "Dockerfile").write_text('FROM python:3.12-slim\nCMD ["python", "-m", "app"]\n')
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    heavy_imports(repo, "Dockerfile", heavy=("tomllib",), env=env)  # writes the cache
    if not tablecache._cache_path(baseimages._DATA / "base_images.toml").exists():
        pytest.skip("the installed package's directory cannot be written")
    assert heavy_imports(repo, "Dockerfile", heavy=("tomllib",), env=env) == []
