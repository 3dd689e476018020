"""Faults while fixing: a failed rename, a full disk, a read-only directory, a file locked by
another run, two concurrent runs — the originals stay intact, no temporary file is left, and
the whole mode (setuid/setgid too) survives a rewrite."""

from __future__ import annotations

import errno
import fcntl
import os
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import entrylint, make_repo, snapshot

from entrylint import writer
from entrylint.fixer import fix_paths

DF = 'FROM debian:12\nCOPY start.sh /start.sh\nCMD /start.sh\n'
SCRIPT = "#!/bin/sh\napp --serve\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = make_repo(tmp_path / "repo", {"Dockerfile": DF, "start.sh": SCRIPT})
    (root / "start.sh").chmod(0o755)
    return root


def _fix(repo: Path) -> list[str]:
    report = fix_paths([repo / "Dockerfile"], unsafe=True)
    assert len(report.changes) == 2  # the Dockerfile and the script
    return [f"{e.path}: {e.reason}" for e in report.write()]


def test_second_rename_fails_first_is_rolled_back(repo: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(repo)
    real = os.replace
    calls: list[str] = []

    def replace(src: str, dst: str | Path) -> None:
        calls.append(str(dst))
        if len(calls) == 2:
            raise OSError(errno.EIO, "Input/output error")
        real(src, dst)

    monkeypatch.setattr(writer.os, "replace", replace)
    errors = _fix(repo)
    assert len(errors) == 1 and "cannot be replaced (Input/output error); nothing was " \
                                 "written" in errors[0]
    assert snapshot(repo) == before  # the first file is back, nothing else is left


def test_full_disk_while_staging(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(repo)
    real = os.write
    n = [0]

    def write(fd: int, data: bytes | memoryview) -> int:
        n[0] += 1
        if n[0] == 2:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(fd, data)

    monkeypatch.setattr(writer.os, "write", write)
    errors = _fix(repo)
    assert len(errors) == 1 and "(no space left on the device); nothing was written" in errors[0]
    assert snapshot(repo) == before


def test_read_only_directory(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(repo)

    def mkstemp(*_a: object, **_k: object) -> tuple[int, str]:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(writer.tempfile, "mkstemp", mkstemp)
    errors = _fix(repo)
    assert len(errors) == 1 and "the file system is read-only" in errors[0]
    assert snapshot(repo) == before


def test_locked_by_another_run(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = snapshot(repo)
    monkeypatch.setattr(writer, "LOCK_TIMEOUT", 0.2)
    with open(repo / "start.sh", "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        errors = _fix(repo)
    assert len(errors) == 1 and "is being fixed by another process" in errors[0]
    assert snapshot(repo) == before


def test_setuid_and_setgid_bits_are_kept(repo: Path) -> None:
    if os.geteuid() == 0:
        os.chown(repo / "start.sh", 65534, 65534)
    (repo / "start.sh").chmod(0o6755)  # after chown, which clears the bits
    assert _fix(repo) == []
    st = (repo / "start.sh").stat()
    assert st.st_mode & 0o7777 == 0o6755
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (65534, 65534)
    assert (repo / "start.sh").read_text() == "#!/bin/sh\nexec app --serve\n"
    assert sorted(p.name for p in repo.iterdir()) == [".git", "Dockerfile", "start.sh"]


def test_two_concurrent_fix_runs_do_not_interleave(repo: Path) -> None:
    cmd = [sys.executable, "-m", "entrylint", "check", "--fix", "--unsafe-fixes", "-q",
           "Dockerfile"]
    runs = [subprocess.Popen(cmd, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            for _ in range(2)]
    results = [p.communicate(timeout=60) for p in runs]
    codes = sorted(p.returncode for p in runs)
    for _out, err in results:
        assert b"Traceback" not in err
    # one run fixes both files; the other finds them fixed already or changed under it
    assert codes in ([0, 0], [0, 1], [0, 2], [1, 1], [1, 2])
    assert (repo / "start.sh").read_text() == "#!/bin/sh\nexec app --serve\n"
    assert (repo / "Dockerfile").read_text().count('CMD ["/start.sh"]') == 1
    assert sorted(p.name for p in repo.iterdir()) == [".git", "Dockerfile", "start.sh"]


def test_cli_reports_a_write_failure_and_exits_2(repo: Path) -> None:
    """A read-only file system, end to end: the CLI path (no traceback, exit 2, file named)."""
    if os.geteuid() == 0:
        pytest.skip("root writes through directory permissions")
    before = snapshot(repo)
    repo.chmod(0o555)
    try:
        r = entrylint(repo, "check", "--fix", "--unsafe-fixes", "Dockerfile")
    finally:
        repo.chmod(0o755)
    assert r.code == 2 and "nothing was written" in r.err
    assert snapshot(repo) == before


def test_read_only_file_in_a_writable_directory(repo: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """A user who may not write the script could still rename a new file over it (the
    directory is writable): as another user sees it (simulated: os.access says no)."""
    before = snapshot(repo)
    real_access = os.access
    locked = (repo / "start.sh").resolve()
    monkeypatch.setattr(writer.os, "access", lambda p, mode, **kw: False
                        if Path(p) == locked else real_access(p, mode, **kw))
    assert _fix(repo) == [f"{repo / 'start.sh'}: is read-only (no write permission); "
                          "nothing was written"]
    assert snapshot(repo) == before


def test_owner_that_a_rewrite_cannot_keep(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Not root, a user may write a group-writable file of another user, but a rename would
    make the file theirs: refused (simulated: the script belongs to uid 4242, and chown
    fails as it does for a user who is not root)."""
    if os.geteuid() != 0:
        pytest.skip("needs root to give the file another owner")
    os.chown(repo / "start.sh", 4242, 4242)
    before = snapshot(repo)

    def fchown(fd: int, uid: int, gid: int) -> None:
        raise PermissionError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(writer.os, "fchown", fchown)
    assert _fix(repo) == [f"{repo / 'start.sh'}: is owned by 4242:4242, and a rewrite by this "
                          "user cannot keep that owner; nothing was written"]
    assert snapshot(repo) == before
    assert os.stat(repo / "start.sh").st_uid == 4242
    assert [p.name for p in repo.iterdir() if "entrylint" in p.name] == []
