"""Hostile output: untrusted bytes (file names, script lines) cannot become GitHub workflow
commands or terminal escapes in any format or on stderr; ``--diff`` is a patch that the real
``patch -p1`` applies; a closed, broken or full stdout ends cleanly; odd file names do not break
SARIF, GitLab or ``-o``; an unsearchable directory is reported."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import entrylint, make_repo

from entrylint.engine import lint_paths
from entrylint.escape import defuse_commands, json_text, terminal

FORMATS = ["text", "json", "sarif", "github", "gitlab", "checkstyle"]
EVIL_SCRIPT = ("#!/bin/sh\n"
               "   ::add-mask::secret\n"
               "##[warning]legacy\n"
               "printf '\x1b]0;pwned\x07\x1b[31mred\x9b2J'\n"
               "app --serve\n")


def _commands(text: str) -> list[str]:
    """The lines a GitHub runner would take as workflow commands."""
    return [ln for ln in text.split("\n") if ln.lstrip().startswith(("::", "##["))]


def test_escape_functions() -> None:
    assert terminal("a\x1b[31mb\x9bc\u2028d\ud800e\nf") == \
        "a\\x1b[31mb\\x9bc\\u2028d\\ud800e\\nf"
    assert defuse_commands("x\n  ::add-mask::s\n##[group]y") == \
        "x\n  \\x3a:add-mask::s\n\\x23#[group]y"
    assert json.loads(json_text(json.dumps("\x85\u2028\ud800", ensure_ascii=False))) == \
        "\x85\u2028\ud800"


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_workflow_command_or_escape_reaches_the_output(tmp_path: Path, fmt: str) -> None:
    name = "x\n::add-mask::leak\n##[error]y.Dockerfile"
    repo = make_repo(tmp_path / "repo", {
        name: 'FROM alpine:3\nCOPY start.sh /start.sh\nENTRYPOINT ["/start.sh"]\n',
        "start.sh": EVIL_SCRIPT})
    (repo / "start.sh").chmod(0o755)
    r = entrylint(repo, "check", "-v", "--format", fmt, ".")
    assert r.code == 1, r.both
    ours = [ln for ln in _commands(r.out) if fmt == "github"
            and ln.startswith(("::error ", "::warning ", "::notice "))]
    assert _commands(r.out) == ours, r.out
    assert _commands(r.err) == [], r.err
    assert "\x1b" not in r.both and "\x9b" not in r.both and "\x07" not in r.both
    if fmt == "github":
        assert len(ours) == 2  # EL103, EL104: one command per finding, nothing else


def test_text_report_shows_the_escapes(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {
        "Dockerfile": 'FROM alpine:3\nCOPY start.sh /start.sh\nENTRYPOINT ["/start.sh"]\n',
        "start.sh": "#!/bin/sh\nprintf '\x1b]0;t\x07'; ::add-mask::x\n"})
    r = entrylint(repo, "check", ".")
    assert "    printf '\\x1b]0;t\\x07'; ::add-mask::x" in r.out


def _diff_repo(root: Path) -> Path:
    return make_repo(root, {
        "sub dir/my app.Dockerfile": "FROM debian:12\nCOPY start.sh /start.sh\n"
                                     "CMD /start.sh\n",
        "sub dir/start.sh": "#!/bin/sh\n# a form feed \f, a NEL \x85 and U+2028 \u2028 here\n"
                            "echo 'x\u2028y'\napp --serve",  # no newline at the end either
    })


@pytest.mark.skipif(shutil.which("patch") is None, reason="needs GNU patch")
def test_diff_applies_with_patch(tmp_path: Path) -> None:
    fixed = _diff_repo(tmp_path / "fixed")
    patched = _diff_repo(tmp_path / "patched")
    r = entrylint(patched, "check", "--diff", "--unsafe-fixes", "sub dir/my app.Dockerfile")
    assert r.code == 1 and r.out.count("\n+++ ") + r.out.startswith("+++ ") == 2, r.both
    assert "--- a/sub dir/my app.Dockerfile\t\n" in r.out
    p = subprocess.run(["patch", "-p1", "--batch", "--silent"], cwd=patched,
                       input=r.out.encode(), capture_output=True, timeout=20)
    assert p.returncode == 0, p.stdout + p.stderr
    entrylint(fixed, "check", "--fix", "--unsafe-fixes", "sub dir/my app.Dockerfile")
    for name in ("sub dir/my app.Dockerfile", "sub dir/start.sh"):
        assert (patched / name).read_bytes() == (fixed / name).read_bytes()
    assert b"exec app --serve" in (fixed / "sub dir/start.sh").read_bytes()


def test_diff_header_quotes_odd_names() -> None:
    from entrylint.fixer import _patch_name

    assert _patch_name("a/", "plain/Dockerfile") == "a/plain/Dockerfile"
    assert _patch_name("a/", "my file") == "a/my file\t"
    assert _patch_name("a/", 'q"\\\n\xe9') == '"a/q\\"\\\\\\n\\303\\251"'


def _run_with_stdout(repo: Path, stdout: int | object, *args: str
                     ) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "entrylint", "check", *args, "."],
                          cwd=repo, stdout=stdout, stderr=subprocess.PIPE,  # type: ignore
                          timeout=20)


@pytest.mark.parametrize("args", [[], ["--diff"], ["--format", "sarif"]])
def test_stdout_closed_broken_or_full(tmp_path: Path, args: list[str]) -> None:
    repo = make_repo(tmp_path / "repo", {"Dockerfile": "FROM debian:12\nCMD app --serve\n"})
    with open("/dev/full", "wb") as full:
        p = _run_with_stdout(repo, full, *args)
    assert (p.returncode, p.stderr) == (
        2, b"entrylint: error: cannot write to standard output (No space left on device)\n")
    p = subprocess.run([sys.executable, "-c",
                        "import os, subprocess, sys; os.close(1); "
                        "sys.exit(subprocess.call(sys.argv[1:]))",
                        sys.executable, "-m", "entrylint", "check", *args, "."],
                       cwd=repo, stderr=subprocess.PIPE, timeout=20)
    assert (p.returncode, p.stderr) == (
        2, b"entrylint: error: cannot write to standard output (it is closed)\n")
    r, w = os.pipe()
    os.close(r)
    try:
        p = _run_with_stdout(repo, w, *args)
    finally:
        os.close(w)
    assert (p.returncode, p.stderr) == (
        2, b"entrylint: error: cannot write to standard output (broken pipe)\n")


@pytest.mark.parametrize("fmt", FORMATS)
def test_non_utf8_file_names(tmp_path: Path, fmt: str) -> None:
    repo = make_repo(tmp_path / "repo", {})
    bad = os.fsdecode(b"d\xff\xfe")
    (repo / bad).mkdir()
    (repo / bad / "Dockerfile").write_text("FROM debian:12\nCMD app --serve\n")
    r = entrylint(repo, "check", "--format", fmt, ".")
    assert r.code == 1, r.both
    r = entrylint(repo, "check", "--format", fmt, "-o", "report.out", ".")
    assert r.code == 1, r.both
    body = (repo / "report.out").read_bytes().decode("utf-8")
    if fmt in ("json", "sarif", "gitlab"):
        json.loads(body)
    if fmt == "sarif":  # a URI: the name's own bytes, percent-encoded
        assert '"uri": "d%FF%FE/Dockerfile"' in body
    elif fmt != "checkstyle":
        assert "\\udcff" in body or "\\\\udcff" in body


def test_unsearchable_subdirectory_is_reported(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo", {"ok/Dockerfile": 'FROM alpine:3\nCMD ["app"]\n',
                                         "closed/Dockerfile": 'FROM alpine:3\nCMD ["app"]\n'})
    real = os.scandir

    def scandir(path: str | os.PathLike[str] = ".") -> object:
        if os.fspath(path).endswith("closed"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = lint_paths([repo])
    assert [(Path(e.path).name, e.reason) for e in result.errors] == [
        ("closed", "cannot be searched (permission denied)")]
    assert result.dockerfiles == 1
