"""Every format names a file the same way, relative to the report root (the git work tree
that holds the current directory), whichever directory of the repository entrylint runs from;
``--path-base cwd`` (or ENTRYLINT_PATH_BASE) makes every format relative to the current
directory instead; a file outside the base is named by its absolute path."""

from __future__ import annotations

import json
import re
import urllib.parse
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.cli_helpers import invoke_in

FILES = {
    "svc/api/Dockerfile": "FROM debian:12\nCOPY start.sh /start.sh\nCMD /start.sh\n",
    "svc/api/start.sh": "#!/bin/sh\napp --serve\n",
}
LOCATION = re.compile(r"^(\S.*?):\d+:\d+: EL\d+ ", re.M)


def _repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    for name, body in FILES.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(body)
    (root / "svc/api/start.sh").chmod(0o755)
    return root


def _paths(fmt: str, out: str) -> set[str]:
    """The file names a report in ``fmt`` gives."""
    if fmt in ("text", "concise"):
        return set(LOCATION.findall(out))
    if fmt == "json":
        docs = json.loads(out)
        return ({d["path"] for d in docs}
                | {e["path"] for d in docs if d["fix"] for e in d["fix"]["edits"]})
    if fmt == "sarif":
        run = json.loads(out)["runs"][0]
        return {urllib.parse.unquote(loc["physicalLocation"]["artifactLocation"]["uri"])
                for r in run["results"] for loc in r["locations"]}
    if fmt == "github":
        return set(re.findall(r"^::\w+ file=([^,]*),", out, re.M))
    if fmt == "gitlab":
        return {d["location"]["path"] for d in json.loads(out)}
    if fmt == "checkstyle":
        return {f.get("name", "") for f in ET.fromstring(out.split("\n", 1)[1]).iter("file")}
    if fmt == "show-fixes":
        return set(re.findall(r"^  (\S.*?):\d+: EL\d+ ", out, re.M))
    assert fmt == "diff"
    return set(re.findall(r"^--- a/(.*)$", out, re.M)) | set(
        re.findall(r"^\+\+\+ b/(.*)$", out, re.M))


def _report(cwd: Path, fmt: str, target: str, *extra: str) -> str:
    if fmt == "show-fixes":
        args = ["check", "--no-cache", "--diff", "--show-fixes", *extra, target]
    elif fmt == "diff":
        args = ["check", "--no-cache", "--diff", *extra, target]
    else:
        args = ["check", "--no-cache", "--format", fmt, *extra, target]
    r = invoke_in(cwd, args)
    assert r.exit_code == 1, r.output
    return r.stdout


FORMATS = ["text", "concise", "json", "sarif", "github", "gitlab", "checkstyle", "show-fixes",
           "diff"]


@pytest.mark.parametrize("where", [".", "svc", "svc/api"])
def test_every_format_names_files_from_the_repository_root(tmp_path: Path,
                                                           where: str) -> None:
    root = _repo(tmp_path)
    cwd = root / where
    target = "." if where == "svc/api" else str((root / "svc/api").relative_to(cwd))
    got = {fmt: _paths(fmt, _report(cwd, fmt, target)) for fmt in FORMATS}
    want = {"svc/api/Dockerfile", "svc/api/start.sh"}
    assert got == {fmt: want for fmt in FORMATS}


def test_sarif_base_is_the_repository_root(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    out = invoke_in(root / "svc/api", ["check", "--no-cache", "--format", "sarif", "."]).stdout
    base = json.loads(out)["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert base == root.resolve().as_uri() + "/"


@pytest.mark.parametrize("how", ["option", "env"])
def test_path_base_cwd_applies_to_every_format(tmp_path: Path, how: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    root = _repo(tmp_path)
    cwd = root / "svc/api"
    extra: tuple[str, ...] = ("--path-base", "cwd")
    if how == "env":
        monkeypatch.setenv("ENTRYLINT_PATH_BASE", "cwd")
        extra = ()
    got = {fmt: _paths(fmt, _report(cwd, fmt, ".", *extra)) for fmt in FORMATS}
    assert got == {fmt: {"Dockerfile", "start.sh"} for fmt in FORMATS}
    sarif = json.loads(_report(cwd, "sarif", ".", *extra))
    assert sarif["runs"][0]["originalUriBaseIds"]["%SRCROOT%"]["uri"] == \
        cwd.resolve().as_uri() + "/"


def test_a_file_outside_the_base_is_absolute(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    other = tmp_path / "elsewhere"
    other.mkdir()
    for fmt in ("concise", "json", "github", "gitlab", "checkstyle"):
        out = invoke_in(other, ["check", "--no-cache", "--format", fmt,
                                str(root / "svc/api/Dockerfile")]).stdout
        want = {str((root / name).resolve()) for name in FILES}
        assert _paths(fmt, out) == want, fmt


def test_a_file_that_cannot_be_linted_is_named_the_same_everywhere(tmp_path: Path) -> None:
    root = _repo(tmp_path)
    (root / "svc/api/bad").mkdir()
    (root / "svc/api/bad/Dockerfile").write_bytes(b"FROM alpine\nCMD \xff\xfe\n")
    cwd = root / "svc/api"
    want = "svc/api/bad/Dockerfile"
    for fmt in ("json", "github", "gitlab", "checkstyle", "sarif"):
        r = invoke_in(cwd, ["check", "--no-cache", "--format", fmt, "bad"])
        assert r.exit_code == 2, r.output
        if fmt == "sarif":
            (note,) = json.loads(r.stdout)["runs"][0]["invocations"][0][
                "toolExecutionNotifications"]
            uri = note["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            assert urllib.parse.unquote(uri) == want
        else:
            assert _paths(fmt, r.stdout) == {want}, (fmt, r.stdout)
        assert f"entrylint: error: {want}: " in r.stderr


def test_the_language_server_finds_an_unlintable_file_from_a_subdirectory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from entrylint.lsp_lint import lint_document

    root = _repo(tmp_path)
    bad = root / "svc/api/bad/Dockerfile"
    bad.parent.mkdir()
    bad.write_bytes(b"FROM alpine\nCMD \xff\xfe\n")
    monkeypatch.chdir(root / "svc")
    out = lint_document(bad, {})
    assert list(out.errors) == [bad.resolve()]
