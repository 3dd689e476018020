"""Hostile input: each case ends with the exact outcome (exit status, the message naming the
file and the reason), within a time and memory bound (see :mod:`hostile`), with no traceback
and nothing written."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from hostile import entrylint, make_repo, snapshot

DF_SCRIPT = 'FROM alpine:3\nCOPY start.sh /start.sh\nENTRYPOINT ["/start.sh"]\n'


@dataclass
class Case:
    files: dict[str, str | bytes]
    code: int
    #: rule ids found, in report order (None: not checked, for exit-2 cases)
    rules: list[str] | None = None
    err: str = ""  # a substring of stderr
    args: tuple[str, ...] = ()
    setup: Callable[[Path], None] | None = field(default=None)


def _script(body: str) -> dict[str, str | bytes]:
    return {"Dockerfile": DF_SCRIPT, "start.sh": "#!/bin/sh\n" + body}


CASES: dict[str, Case] = {
    # parser directives, variables, suppression comments: quadratic regexes before
    "syntax-then-200k-spaces": Case(
        {"Dockerfile": "# syntax=docker/dockerfile:1" + " " * 200_000 + "x\nFROM alpine:3\n"
                       "CMD [\"app\"]\n"}, 1, ["EL104"]),
    "unclosed-nested-defaults": Case(
        {"Dockerfile": "FROM alpine:3\nENV X=" + "${A:-" * 40_000 + '\nCMD ["app"]\n'},
        1, ["EL104"]),
    "5000-stacked-ignores": Case(
        {"Dockerfile": "FROM alpine:3\n" + "# entrylint: ignore=EL104\n" * 5000
                       + 'CMD ["app"]\n'}, 0, []),  # all of them cover the CMD
    "env-doubling": Case(
        {"Dockerfile": "FROM alpine:3\nENV A=aaaaaaaa\n" + "ENV A=$A$A\n" * 60
                       + 'CMD ["app", "$A"]\n'}, 1, ["EL104"]),
    "path-doubling": Case(
        {"Dockerfile": "FROM alpine:3\n" + "ENV PATH=$PATH:$PATH\n" * 60 + 'CMD ["app"]\n'},
        1, ["EL104"]),
    "workdir-doubling": Case(
        {"Dockerfile": "FROM alpine:3\nENV W=/a\n" + "ENV W=$W$W\n" * 60
                       + 'WORKDIR $W\nCMD ["./app"]\n'}, 1, ["EL104"]),
    "10000-stages": Case(
        {"Dockerfile": "".join(f"FROM alpine:3 AS s{i}\nCOPY --from=s{max(i - 1, 0)} /x /x\n"
                               for i in range(10_000)) + 'CMD ["app"]\n'}, 1, ["EL104"]),
    "100k-line-continuation": Case(
        {"Dockerfile": "FROM alpine:3\nRUN a \\\n" + "  b \\\n" * 100_000 + '  c\nCMD ["app"]\n'},
        1, ["EL104"]),
    # scripts
    "case-with-1000-arms": Case(
        _script('case "$1" in\n' + "".join(f"  a{i}) app{i} ;;\n" for i in range(1000))
                + "esac\n"), 1, ["EL104"] + ["EL103"] * 1000),
    "set-dollar-at-growth": Case(
        _script("".join(f'[ -n "$X{i}" ] && set -- /start.sh a{i} "$@"\n' for i in range(8))
                + 'exec "$@"\n'), 1, ["EL104"]),
    # too deep for the terminal walk: the Dockerfile is linted rather than refused, and
    # the script's unknown end is said (EL100 names it)
    "if-nested-20000-deep": Case(
        _script("if true; then\n" * 20_000 + "app\n" + "fi\n" * 20_000), 1, ["EL100"]),
    "command-substitution-10000-deep": Case(
        _script("echo " + "$(" * 10_000 + "x" + ")" * 10_000 + "\napp\n"), 1,
        ["EL104", "EL103"]),
    "mutually-recursive-functions": Case(
        _script('f() { g "$@"; }\ng() { f "$@"; }\nf\n'), 1, ["EL104", "EL103"]),
    "scripts-that-exec-each-other": Case(
        {"Dockerfile": 'FROM alpine:3\nCOPY a.sh b.sh /\nENTRYPOINT ["/a.sh"]\n',
         "a.sh": "#!/bin/sh\nexec /b.sh\n", "b.sh": "#!/bin/sh\nexec /a.sh\n"}, 0, []),
    "500-script-chain": Case(
        {"Dockerfile": 'FROM alpine:3\nCOPY s/ /s/\nENTRYPOINT ["/s/0.sh"]\n',
         **{f"s/{i}.sh": f"#!/bin/sh\nexec /s/{i + 1}.sh\n" for i in range(500)}},
        1, ["EL100"]),  # followed as far as MAX_CHAIN_DEPTH, and the rest said unchecked
    # linear, but a 1 MiB script still takes seconds: half of it keeps the suite fast
    "half-megabyte-script": Case(
        _script("echo hello world; app --x\n" * 20_000), 1, ["EL104", "EL103"]),
    "script-over-the-size-limit": Case(
        _script("echo hello world; app --x\n" * 50_000), 1, ["EL100"]),
    "dockerfile-over-the-size-limit": Case(
        {"Dockerfile": "FROM alpine:3\n" + "RUN true\n" * 200_000}, 2,
        err="Dockerfile: is 1800014 bytes, over the 1048576 byte limit"),
    # encodings and bytes
    "nul-bytes": Case({"Dockerfile": b"FROM alpine\x00\nCMD app\n"}, 2,
                      err="Dockerfile: is a binary file (contains NUL bytes)"),
    "latin-1": Case({"Dockerfile": "FROM alpine:3\nCMD caf\xe9\n".encode("latin-1")}, 2,
                    err="Dockerfile: is not valid UTF-8 (byte 0xe9 at offset 21)"),
    "utf-16": Case({"Dockerfile": "FROM alpine:3\nCMD app\n".encode("utf-16")}, 2,
                   err="Dockerfile: is a binary file (contains NUL bytes)"),
    "utf-8-bom": Case({"Dockerfile": "\ufeffFROM alpine:3\nCMD [\"app\"]\n"}, 1, ["EL104"]),
    "empty": Case({"Dockerfile": ""}, 2, err="Dockerfile: has no FROM instruction"),
    "lone-surrogate-in-cmd": Case(
        {"Dockerfile": 'FROM alpine:3\nCMD ["app", "\\udc80"]\n'}, 1, ["EL104"]),
    "lone-surrogate-in-sh-c": Case(
        {"Dockerfile": 'FROM alpine:3\nCMD ["sh", "-c", "app \\ud800 x"]\n'}, 1,
        ["EL104", "EL105"]),  # EL105: it works only because ash execs a lone command
    # instructions that were accepted silently
    "cmd-empty-array": Case({"Dockerfile": "FROM alpine:3\nCMD []\n"}, 1, ["EL106"]),
    "unterminated-heredoc": Case(
        {"Dockerfile": "FROM alpine:3\nCOPY <<EOF /start.sh\n#!/bin/sh\napp\nCMD /start.sh\n"},
        2, err="Dockerfile: line 2: the heredoc <<EOF is never terminated", args=("--fix",)),
    # config files
    "config-bad-glob-range": Case(
        {"Dockerfile": 'FROM alpine:3\nCMD ["app"]\n', ".entrylint.toml": 'exclude = ["[z-a]"]\n'},
        2, err=".entrylint.toml: key `exclude`: '[z-a]' is not a valid glob"),
    "config-lone-bang": Case(
        {"Dockerfile": 'FROM alpine:3\nCMD ["app"]\n',
         ".entrylint.toml": '[per-file-ignores]\n"!" = ["EL104"]\n'},
        2, err=".entrylint.toml: key `per-file-ignores`: '!' is not a valid glob"),
    "config-trailing-backslash": Case(
        {"Dockerfile": 'FROM alpine:3\nCMD ["app"]\n',
         ".entrylint.toml": "assume-init = ['x\\']\n"},
        2, err=".entrylint.toml: key `assume-init`: 'x\\\\' is not a valid glob"),
    "config-deep-toml": Case(
        {"Dockerfile": 'FROM alpine:3\nCMD ["app"]\n',
         ".entrylint.toml": "a = " + "[" * 100_000 + "]" * 100_000 + "\n"},
        2, err=".entrylint.toml: invalid TOML: nested too deeply"),
    "pyproject-tool-not-a-table": Case(
        {"Dockerfile": 'FROM alpine:3\nCMD ["app"]\n', "pyproject.toml": "tool = 3\n"},
        2, err="pyproject.toml: [tool] must be a table (got int)"),
    # compose files
    "compose-alias-bomb": Case(
        {"Dockerfile": 'FROM alpine:3\nCMD ["app"]\n',
         "compose.yaml": "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                         + "".join(f"l{i}: &l{i} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
                                   for i, prev in enumerate(["a", *[f"l{j}" for j in range(8)]]))
                         + "many: [" + "*a, " * 1001 + "]\n"
                         + "services: {app: {build: ., init: true}}\n"},
        2, err="compose.yaml: uses more than 1000 YAML aliases (an alias bomb?); not read"),
    "compose-over-the-size-limit": Case(
        {"Dockerfile": 'FROM alpine:3\nCMD ["app"]\n',
         "compose.yaml": "x:\n" + "  - aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n" * 30_000},
        2, err="compose.yaml: is 1530003 bytes, over the 1048576 byte limit"),
    "compose-nul-bytes-in-values": Case(
        {"Dockerfile": 'FROM alpine:3\nCMD ["app"]\n',
         "compose.yaml": 'services:\n  a:\n    build: "\\0."\n    image: "x\\0"\n'},
        1, ["EL104"]),
    "compose-image-is-a-list": Case(
        {"Dockerfile": 'FROM alpine:3\nCMD ["app"]\n',
         "compose.yaml": "services:\n  a:\n    build: .\n    image: [a, b]\n"
                         "  b:\n    image: [a]\n    init: true\n"},
        1, ["EL104"]),
    "cli-exclude-bad-glob-range": Case(
        {"Dockerfile": 'FROM alpine:3\nCMD ["app"]\n'}, 2, args=("--exclude", "[z-a]"),
        err="entrylint: error: --exclude: '[z-a]' is not a valid glob"),
    "cli-exclude-lone-bang": Case(
        {"Dockerfile": 'FROM alpine:3\nCMD ["app"]\n'}, 2, args=("--exclude", "!"),
        err="entrylint: error: --exclude: '!' is not a valid glob"),
    "cli-exclude-trailing-backslash": Case(
        {"Dockerfile": 'FROM alpine:3\nCMD ["app"]\n'}, 2, args=("--exclude", "x\\"),
        err="entrylint: error: --exclude: 'x\\\\' is not a valid glob"),
    "gitignore-with-invalid-patterns": Case(
        {"Dockerfile": 'FROM alpine:3\nCMD ["app"]\n', ".gitignore": "!\n[z-a]\nx\\\n"},
        1, ["EL104"]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_input(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    repo = make_repo(tmp_path / "repo", case.files)
    for f in repo.rglob("*.sh"):
        f.chmod(0o755)
    before = snapshot(repo)
    r = entrylint(repo, "check", "--format", "json", *case.args, ".")
    assert r.code == case.code, r.both
    assert case.err in r.err
    if case.rules is not None:
        assert [d["rule"] for d in json.loads(r.out)] == case.rules, r.err
    assert snapshot(repo) == before


# ------------------------------------------------------------------------------------------
# Things that are not regular files
# ------------------------------------------------------------------------------------------


def test_fifo_named_as_a_dockerfile(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {})
    os.mkfifo(repo / "Dockerfile")
    r = entrylint(repo, "check", "Dockerfile")
    assert (r.code, r.err) == (2, "entrylint: error: Dockerfile: is not a regular file "
                                  "(a FIFO)\n")


FIFO_OPTIONS = {
    # it exists (so not "no such configuration file") and is refused without blocking
    "config": (["--config", "conf.toml"], "conf.toml",
               "entrylint: error: conf.toml: cannot read: is not a regular file (a FIFO)\n"),
    # opening it for writing would block until a reader comes: an error at once instead
    "output": (["--format", "json", "-o", "report.json"], "report.json",
               "entrylint: error: report.json: the report is not written there: it is a FIFO "
               "that nobody reads\n"),
    "context": (["--context", "ctx"], "ctx",
                "Invalid value for '--context': 'ctx' is not a directory."),
}


@pytest.mark.parametrize("option", sorted(FIFO_OPTIONS))
def test_option_given_a_fifo(option: str, tmp_path: Path) -> None:
    args, fifo, said = FIFO_OPTIONS[option]
    repo = make_repo(tmp_path / "repo", {"Dockerfile": 'FROM alpine:3\nCMD ["app"]\n'})
    os.mkfifo(repo / fifo)
    r = entrylint(repo, "check", *args, "Dockerfile")
    assert r.code == 2
    assert r.err == said if said.endswith("\n") else said in r.err


def test_changed_files_given_a_fifo(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"Dockerfile": 'FROM alpine:3\nCMD ["app"]\n'})
    os.mkfifo(repo / "start.sh")
    os.mkfifo(repo / "notes")
    r = entrylint(repo, "check", "--changed-files", "start.sh", "notes")
    assert r.code == 0, r.both


def test_socket_and_device(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {})
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(repo / "Dockerfile"))
        r = entrylint(repo, "check", "Dockerfile")
    finally:
        sock.close()
    assert (r.code, r.err) == (2, "entrylint: error: Dockerfile: is not a regular file "
                                  "(a socket or device without a reader)\n")
    r = entrylint(repo, "check", "/dev/zero")
    assert r.code == 2 and "/dev/zero: is not a regular file (a character device)" in r.err


def test_directory_given_as_a_dockerfile(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {})
    (repo / "Dockerfile").mkdir()
    r = entrylint(repo, "check", "Dockerfile")
    assert (r.code, r.err) == (2, "entrylint: error: Dockerfile: is a directory, not a "
                                  "Dockerfile\n")


def test_symlink_loop(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {})
    os.symlink("Dockerfile", repo / "Dockerfile")
    r = entrylint(repo, "check", "Dockerfile")
    assert r.code == 2 and "Dockerfile: is a symlink loop" in r.err


def test_long_file_names(tmp_path: Path) -> None:
    """A 251-byte name: the ``<name>.dockerignore`` beside it would be too long to exist."""
    name = "a" * 240 + ".Dockerfile"
    repo = make_repo(tmp_path / "repo", {
        name: "FROM alpine:3\nCOPY " + "b" * 300 + " /start.sh\nCMD [\"/start.sh\"]\n"})
    r = entrylint(repo, "check", "--format", "json", name)
    assert r.code == 1
    assert [d["rule"] for d in json.loads(r.out)] == ["EL100"]
    assert "has a name too long for the file system" in json.loads(r.out)[0]["message"]


@pytest.mark.parametrize("name", ["my app.Dockerfile", "-x.Dockerfile", "Dockerfile.a\nb"])
def test_odd_names(tmp_path: Path, name: str) -> None:
    repo = make_repo(tmp_path / "repo", {name: 'FROM alpine:3\nCMD ["app"]\n'})
    r = entrylint(repo, "check", "--format", "json", "--", name)
    assert r.code == 1
    assert [d["rule"] for d in json.loads(r.out)] == ["EL104"]
    r = entrylint(repo, "check", "--format", "json", ".")
    assert [d["path"] for d in json.loads(r.out)] == [name]


def test_name_too_long_on_the_command_line(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {})
    name = "a" * 300 + ".Dockerfile"
    r = entrylint(repo, "check", name)
    assert (r.code, r.err) == (2, f"entrylint: error: {name}: has a name too long for the "
                                  "file system\n")
    r = entrylint(repo, "check", "--changed-files", "a" * 300 + ".sh")
    assert r.code == 0, r.both


def test_unreadable_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As a non-root user would see them (simulated: the tests may run as root)."""
    import errno

    from entrylint import boundary
    from entrylint.engine import lint_paths

    repo = make_repo(tmp_path / "repo", {"a/Dockerfile": DF_SCRIPT, "a/start.sh": "app\n",
                                         "b/Dockerfile": 'FROM alpine:3\nCMD ["app"]\n'})
    real_open = os.open

    def deny(path: str | os.PathLike[str], flags: int, *args: int) -> int:
        if os.fspath(path).endswith(("a/start.sh", "b/Dockerfile")):
            raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(boundary.os, "open", deny)
    result = lint_paths([repo])
    assert [(Path(e.path).parent.name, e.reason) for e in result.errors] == [
        ("b", "permission denied")]
    [el100] = [d for d in result.diagnostics if d.rule == "EL100"]
    assert "start.sh permission denied" in el100.message


def test_unreadable_directory_in_a_git_work_tree(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """Inside a work tree git lists the files, and only warns (on stderr) about a directory it
    cannot open: as a non-root user sees it (simulated: the tests may run as root, so git's
    warning is added to what the real git says)."""
    import subprocess

    from entrylint.engine import lint_paths

    repo = tmp_path / "repo"
    for d in ("locked", "ok"):
        (repo / d).mkdir(parents=True)
        (repo / d / "Dockerfile").write_text('FROM alpine:3\nCMD ["app"]\n')
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    real_run = subprocess.run

    def run(cmd: list[str], *args: object, **kwargs: object) -> object:
        proc = real_run(cmd, *args, **kwargs)  # type: ignore[call-overload]
        if "ls-files" in cmd:
            proc.stderr = (b"warning: unable to access '/x/.config/git/ignore': Permission "
                           b"denied\nwarning: could not open directory 'locked/': Permission "
                           b"denied\n")
            (repo / "locked" / "Dockerfile").unlink()  # what git could not see
        return proc

    monkeypatch.setattr(subprocess, "run", run)
    result = lint_paths([repo])
    assert [(Path(e.path).name, e.reason) for e in result.errors] == [
        ("locked", "cannot be searched (permission denied)")]
    assert [Path(d.path).parent.name for d in result.diagnostics] == ["ok"]


def test_crlf_inside_an_lf_script_is_data(tmp_path: Path) -> None:
    """A `\\r\\n` in a heredoc of a script whose lines end in LF is not "Windows line endings":
    the script starts (no EL112), and --fix changes only what it means to (`exec`)."""
    body = (b"#!/bin/sh\ncat <<EOF >/tmp/reply\nHTTP/1.0 200 OK\r\n\r\nEOF\n"
            b"node app.js\n")
    repo = make_repo(tmp_path / "repo", {"Dockerfile": DF_SCRIPT, "start.sh": body})
    (repo / "start.sh").chmod(0o755)
    r = entrylint(repo, "check", "--format", "json", "--select", "EL103,EL112", ".")
    assert [(d["rule"], d["line"]) for d in json.loads(r.out)] == [("EL103", 6)], r.err
    r = entrylint(repo, "check", "--fix", "--select", "EL103,EL112", ".")
    assert r.code == 0, r.both
    assert (repo / "start.sh").read_bytes() == body.replace(b"node app", b"exec node app")
