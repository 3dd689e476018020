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


# -- --jobs: a worker that is killed or runs out of memory ---------------------------------


def _many(repo: Path, n: int = 24) -> None:
    for i in range(n):
        (repo / f"svc{i:02d}").mkdir()
        (repo / f"svc{i:02d}" / "Dockerfile").write_text(f"FROM debian:12\nCMD app {i}\n")


def test_a_killed_worker_stops_the_run_with_a_message(repo: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """multiprocessing.Pool waited forever for the chunk a SIGKILLed worker held (the OOM
    killer does that); the run now ends at once, exit 2, saying what happened."""
    import signal
    import time

    from cli_helpers import invoke_in

    from entrylint import engine, workers

    _many(repo)
    monkeypatch.setattr(workers, "MIN_ITEMS_PER_WORKER", 4)
    real = engine._lint_job

    def lint_job(shared: object, job: engine._Job) -> object:
        if job.path.parent.name == "svc13":
            os.kill(os.getpid(), signal.SIGKILL)  # in the worker (forked: this is its copy)
        return real(shared, job)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "_lint_job", lint_job)

    def hung(*_: object) -> None:
        raise TimeoutError("the run still waits for the killed worker")

    previous = signal.signal(signal.SIGALRM, hung)  # a hang guard, not a timing
    signal.alarm(60)
    try:
        start = time.monotonic()
        r = invoke_in(repo, ["check", "--no-cache", "--jobs", "2", "."],
                      catch_exceptions=False)
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - start < 20
    assert r.exit_code == 2, r.output
    assert r.stderr == ("entrylint: error: a worker process died (killed by a signal, perhaps "
                        "for lack of memory) before it finished; nothing was reported for "
                        "the files it held (--jobs 1 runs without workers)\n")


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_memory_error_names_the_file_and_the_rest_is_linted(
        repo: Path, monkeypatch: pytest.MonkeyPatch, jobs: str) -> None:
    from cli_helpers import invoke_in

    from entrylint import engine, workers

    _many(repo)
    monkeypatch.setattr(workers, "MIN_ITEMS_PER_WORKER", 4)
    real = engine.lint_model

    def lint_model(model: object, rules: object) -> object:
        if model.path.parent.name == "svc07":  # type: ignore[attr-defined]
            raise MemoryError
        return real(model, rules)  # type: ignore[arg-type]

    monkeypatch.setattr(engine, "lint_model", lint_model)
    r = invoke_in(repo, ["check", "--no-cache", "--format", "concise", "--jobs", jobs, "."])
    assert r.exit_code == 2, r.output
    assert r.stderr == ("entrylint: error: svc07/Dockerfile: needs more memory to analyse "
                        "than entrylint could get\n")
    assert "svc08/Dockerfile:2:1: EL101" in r.stdout and "svc07/Dockerfile:2" not in r.stdout
