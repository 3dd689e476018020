"""``--diff`` with hostile script lines: to a file or pipe it is a patch that ``patch -p1`` and
``git apply`` apply to the exact bytes ``--fix`` writes, and the GitHub runner executes no line
of it (tests/runner_model.py); on a terminal its escape sequences are shown, not sent.  The
other formats, with the legacy ``##[`` form in the middle of a line, execute nothing either."""

from __future__ import annotations

import os
import pty
import select
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hostile import make_repo
from runner_model import executed

from entrylint.escape import defuse_commands, json_text
from entrylint.patchout import for_stream

DOCKERFILE = 'FROM alpine:3\nCOPY start.sh /start.sh\nENTRYPOINT ["/start.sh"]\n'
#: every line the runner would execute if printed raw, as context of the fix's hunk
EVIL = ("#!/bin/sh\n"
        "cat <<EOF\n"
        "  ::add-mask::secret\n"
        "\u00a0::warning::nbsp\n"
        "EOF\n"
        "app --serve\n"
        "# a\r::error::after a carriage return ##[set-output name=x]legacy"
        " \x1b]0;pwned\x07\x1b[31mred\n")


def _repo(root: Path) -> Path:
    repo = make_repo(root, {"Dockerfile": DOCKERFILE, "start.sh": EVIL})
    (repo / "start.sh").chmod(0o755)
    return repo


def _run(cwd: Path, *args: str, stdout: int | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "ENTRYLINT_DEBUG"}
    return subprocess.run([sys.executable, "-m", "entrylint", "check", "--no-cache", *args],
                          cwd=cwd, capture_output=stdout is None, stdout=stdout, env=env,
                          timeout=30)


def test_diff_to_a_pipe_applies_exactly_and_runs_no_command(tmp_path: Path) -> None:
    fixed = _repo(tmp_path / "fixed")
    _run(fixed, "--fix", ".")
    assert b"\nexec app --serve\n" in (fixed / "start.sh").read_bytes()
    patched = _repo(tmp_path / "patched")
    p = _run(patched, "--diff", ".")
    assert p.returncode == 1, p.stderr
    out = p.stdout.decode("utf-8")
    assert executed(out) == [], out
    assert "\x1b]0;pwned\x07\x1b[31mred" in out  # the bytes, exact (click would strip colours)
    assert "-  ::add-mask::secret\n+  ::add-mask::secret\n" in out
    tools = []
    if shutil.which("patch"):
        tools.append(["patch", "-p1", "--batch", "--silent"])
    if shutil.which("git"):
        tools.append(["git", "apply", "-"])
    if not tools:
        pytest.skip("needs GNU patch or git")
    for i, tool in enumerate(tools):
        target = _repo(tmp_path / f"apply{i}")
        subprocess.run(["git", "init", "-q"], cwd=target, check=False, capture_output=True)
        a = subprocess.run(tool, cwd=target, input=p.stdout, capture_output=True, timeout=20)
        assert a.returncode == 0, (tool, a.stdout + a.stderr)
        for name in ("Dockerfile", "start.sh"):
            assert (target / name).read_bytes() == (fixed / name).read_bytes(), (tool, name)


def test_a_plain_diff_is_not_wrapped(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"Dockerfile": DOCKERFILE,
                                         "start.sh": "#!/bin/sh\n  ::x\napp --serve\n"})
    (repo / "start.sh").chmod(0o755)
    out = _run(repo, "--diff", ".").stdout.decode()
    assert out.startswith("--- a/"), out  # a context line is made -/+, nothing else is added
    assert "-  ::x\n+  ::x\n" in out and "stop-commands" not in out


def test_stop_commands_wrap_only_what_needs_it() -> None:
    assert for_stream("--- a/x\n+echo ok\n") == "--- a/x\n+echo ok\n"
    for risky in ("+a\r::error::b\n", "+echo ##[error]b\n"):
        wrapped = for_stream(risky)
        first, *_, last, end = wrapped.split("\n")
        assert first.startswith("::stop-commands::") and end == ""
        assert last == f"::{first.removeprefix('::stop-commands::')}::"
        assert executed(wrapped) == [] and executed(risky) != []


def test_diff_on_a_terminal_shows_escapes(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "repo")
    master, slave = pty.openpty()
    try:
        p = subprocess.Popen([sys.executable, "-m", "entrylint", "check", "--no-cache",
                              "--diff", "."], cwd=repo, stdout=slave, stderr=subprocess.DEVNULL)
        os.close(slave)
        chunks = []
        while True:
            ready, _, _ = select.select([master], [], [], 30)
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert p.wait(timeout=30) == 1
    finally:
        os.close(master)
    shown = b"".join(chunks).decode("utf-8")
    assert "\x1b" not in shown and "\x07" not in shown, shown
    assert "\\x1b]0;pwned\\x07\\x1b[31mred" in shown
    assert "a\\x0d::error::" in shown
    assert executed(shown) == []


@pytest.mark.parametrize("fmt", ["text", "concise", "json", "sarif", "github", "gitlab",
                                 "checkstyle"])
def test_no_format_runs_a_command_from_the_script(tmp_path: Path, fmt: str) -> None:
    repo = make_repo(tmp_path / "repo", {"a ##[add-mask]b.Dockerfile": DOCKERFILE,
                                         "start.sh": "#!/bin/sh\napp --serve # ##[error]x\n"})
    (repo / "start.sh").chmod(0o755)
    p = _run(repo, "-v", "--format", fmt, ".")
    out, err = p.stdout.decode(), p.stderr.decode()
    ours = [c for c in executed(out) if fmt == "github" and c[0] in ("error", "warning")]
    assert executed(out) == ours and len(ours) == (2 if fmt == "github" else 0), out
    assert executed(err) == [], err


def test_legacy_form_is_defused_anywhere() -> None:
    assert executed(defuse_commands("echo ##[add-mask]x and \u00a0::warning::y")) == []
    assert defuse_commands("a ##[error]b") == "a \\x23#[error]b"
    assert defuse_commands("\u00a0::warning::y") == "\u00a0\\x3a:warning::y"
    assert json_text('"a ##[error]b"') == '"a #\\u0023[error]b"'


@pytest.mark.parametrize("old", [
    b"a\nb\n  ::add-mask::x\n",          # the last line of the hunk is a command
    b"a\nb\n  ::add-mask::x",            # ... and has no newline at the end
    b"a\r\nb\r\n\t::warning::y\r\n",     # CRLF lines: the \r before \n is no line break
    b"a\nb\n\x85::error::nel\n",         # NEL: white space to .NET, inside a line to patch
])
def test_every_context_line_shape_applies(tmp_path: Path, old: bytes) -> None:
    from entrylint.engine import Result
    from entrylint.fixer import FixReport

    new = old.replace(b"a", b"exec a", 1)
    tools = [t for t in (["patch", "-p1", "--batch", "--silent"], ["git", "apply", "-"])
             if shutil.which(t[0])]
    if not tools:
        pytest.skip("needs GNU patch or git")
    for tool in tools:
        target = tmp_path / tool[0]
        target.mkdir()
        (target / "start.sh").write_bytes(old)
        report = FixReport(result=Result(), changes={target / "start.sh": (old, new)},
                           labels={target / "start.sh": "start.sh"})
        patch_text = for_stream(report.diff())
        assert executed(patch_text) == [], patch_text
        a = subprocess.run(tool, cwd=target, capture_output=True, timeout=20,
                           input=patch_text.encode("utf-8", "surrogateescape"))
        assert a.returncode == 0, (tool, a.stdout + a.stderr)
        assert (target / "start.sh").read_bytes() == new, tool
