"""Run entrylint as a separate process on hostile input, with a time and memory bound: a hang
fails the test (instead of blocking the suite) and a blow-up hits the memory limit."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

#: Generous: the cases run in well under a second when they work.
TIME_LIMIT = 20.0
MEMORY_LIMIT = 1024 * 1024 * 1024


@dataclass
class Run:
    code: int
    out: str
    err: str

    @property
    def both(self) -> str:
        return self.out + self.err


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def entrylint(cwd: Path, *args: str | Path, stdin: bytes | None = None,
              timeout: float = TIME_LIMIT, env: dict[str, str] | None = None) -> Run:
    """``entrylint ARGS`` from ``cwd``: its exit status, stdout and stderr (decoded with
    backslash escapes, so stray bytes show)."""
    full_env = {k: v for k, v in os.environ.items() if k != "ENTRYLINT_DEBUG"}
    full_env.update(env or {})
    cmd: Sequence[str | Path] = [sys.executable, "-m", "entrylint", *args]
    try:
        p = subprocess.run(cmd, cwd=cwd, input=stdin if stdin is not None else b"",
                           capture_output=True, timeout=timeout, env=full_env,
                           preexec_fn=_limit_memory)
    except subprocess.TimeoutExpired:
        pytest.fail(f"entrylint {' '.join(map(str, args))} did not finish within {timeout} s")
    out = p.stdout.decode("utf-8", "backslashreplace")
    err = p.stderr.decode("utf-8", "backslashreplace")
    assert "Traceback" not in err, err
    assert "internal error" not in err, err
    return Run(p.returncode, out, err)


def make_repo(root: Path, files: dict[str, str | bytes]) -> Path:
    """A git repository (a ``.git`` folder marks it) holding ``files``."""
    (root / ".git").mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(body, bytes):
            path.write_bytes(body)
        else:
            path.write_text(body, encoding="utf-8")
    return root


def snapshot(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``root`` (not following symlinks) with its mode; entrylint's own
    result cache (``.entrylint_cache/``, written by design) is left out."""
    from entrylint.cache import CACHE_DIR

    out = {}
    for dirpath, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != CACHE_DIR]
        for name in names:
            p = Path(dirpath) / name
            if p.is_symlink() or not p.is_file():
                continue
            out[str(p.relative_to(root))] = (p.read_bytes(), p.stat().st_mode)
    return out
