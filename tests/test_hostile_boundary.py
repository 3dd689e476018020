"""Hostile input: nothing outside the repository is read, shown, probed or written, whatever
the build context (``--context``, compose ``build.context``), symlink or hard link."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hostile import entrylint, make_repo, snapshot

SCRIPT = "#!/bin/sh\nsecret-app --serve\n"
DF = 'FROM alpine:3\nCOPY {src} /start.sh\nENTRYPOINT ["/start.sh"]\n'


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory beside the repository, with a script that would get findings and fixes."""
    out = tmp_path / "outside"
    out.mkdir()
    (out / "start.sh").write_text(SCRIPT)
    (out / "start.sh").chmod(0o755)
    return out


def _untouched(outside: Path) -> None:
    assert (outside / "start.sh").read_text() == SCRIPT
    assert sorted(p.name for p in outside.iterdir()) == ["start.sh"]


@pytest.mark.parametrize("mode", [["check"], ["check", "--fix", "--unsafe-fixes"],
                                  ["check", "--diff", "--unsafe-fixes"]])
def test_context_above_the_repository_is_not_read(tmp_path: Path, outside: Path,
                                                  mode: list[str]) -> None:
    repo = make_repo(tmp_path / "repo", {"Dockerfile": DF.format(src="outside/start.sh")})
    r = entrylint(repo, *mode, "--context", "..", "Dockerfile")
    assert "secret-app" not in r.both
    if "--diff" in mode:  # nothing in the repository to change, nothing else shown
        assert (r.code, r.both) == (0, "")
    else:
        assert ("outside/start.sh lies outside the repository (entrylint does not read it)"
                in r.both)
    _untouched(outside)


def test_context_root_of_the_file_system(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"Dockerfile": DF.format(src="etc/shadow")})
    for args in (["check"], ["check", "--diff"], ["check", "--fix"]):
        r = entrylint(repo, *args, "--context", "/", "Dockerfile")
        assert "root:" not in r.both
        if "--diff" in args:
            assert (r.code, r.both) == (0, "")
        else:
            assert "/etc/shadow lies outside the repository" in r.both


def test_compose_context_above_the_repository(tmp_path: Path, outside: Path) -> None:
    repo = make_repo(tmp_path / "repo", {
        "Dockerfile": DF.format(src="outside/start.sh"),
        "compose.yaml": "services:\n  app:\n    build:\n      context: ..\n"
                        "      dockerfile: repo/Dockerfile\n",
    })
    r = entrylint(repo, "check", "--fix", "--unsafe-fixes", "Dockerfile")
    assert "secret-app" not in r.both
    assert "lies outside the repository" in r.both
    _untouched(outside)


def test_message_does_not_depend_on_what_exists_outside(tmp_path: Path) -> None:
    """`COPY ../../x` is cleaned inside the context, as BuildKit does; whether /etc/passwd
    exists on the host changes nothing in the report."""
    outs = []
    for name in ("passwd", "no-such-file-here"):
        repo = make_repo(tmp_path / name, {
            "Dockerfile": DF.format(src=f"../../../../../../etc/{name}")})
        r = entrylint(repo, "check", "-v", "Dockerfile")
        outs.append((r.code, r.both.replace(name, "NAME")))
        r = entrylint(repo, "check", "-v", "--context", "/", "Dockerfile")
        outs.append((r.code, r.both.replace(name, "NAME")))
    assert outs[0] == outs[2] and outs[1] == outs[3]
    assert "lies outside the repository" in outs[1][1]


@pytest.mark.parametrize("target", ["../outside/start.sh", "{outside}/start.sh", "/etc/shadow",
                                    "/dev/zero"])
def test_symlink_out_of_the_repository(tmp_path: Path, outside: Path, target: str) -> None:
    repo = make_repo(tmp_path / "repo", {"Dockerfile": DF.format(src="start.sh")})
    os.symlink(target.format(outside=outside), repo / "start.sh")
    before = snapshot(repo)
    r = entrylint(repo, "check", "--fix", "--unsafe-fixes", "Dockerfile")
    assert "start.sh is a symlink that points outside the repository" in r.both
    assert "secret-app" not in r.both and "root:" not in r.both
    assert snapshot(repo).keys() == before.keys()
    assert os.readlink(repo / "start.sh") == target.format(outside=outside)
    _untouched(outside)


def test_symlinked_directory_out_of_the_repository(tmp_path: Path, outside: Path) -> None:
    repo = make_repo(tmp_path / "repo", {
        "Dockerfile": 'FROM alpine:3\nCOPY scripts/ /app/\nENTRYPOINT ["/app/start.sh"]\n'})
    os.symlink("../outside", repo / "scripts")
    r = entrylint(repo, "check", "--fix", "--unsafe-fixes", "Dockerfile")
    assert "secret-app" not in r.both
    _untouched(outside)


def test_hard_link_to_a_file_outside_is_not_rewritten(tmp_path: Path, outside: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"Dockerfile": DF.format(src="start.sh")})
    os.link(outside / "start.sh", repo / "start.sh")
    r = entrylint(repo, "check", "--fix", "--unsafe-fixes", "Dockerfile")
    assert "start.sh: not fixed: it has 2 hard links" in r.err
    assert r.code == 1  # the findings remain
    _untouched(outside)
    assert os.stat(repo / "start.sh").st_ino == os.stat(outside / "start.sh").st_ino


def test_a_dockerfile_that_is_its_own_start_script_gets_no_fix(tmp_path: Path) -> None:
    df = 'FROM alpine:3\nCOPY Dockerfile /start.sh\nCMD ["/start.sh"]\n'
    repo = make_repo(tmp_path / "repo", {"Dockerfile": df})
    r = entrylint(repo, "check", "--fix", "--unsafe-fixes", "Dockerfile")
    assert "Dockerfile: not fixed: it is both a Dockerfile and a start script" in r.err
    assert (repo / "Dockerfile").read_text() == df


@pytest.mark.parametrize("mode", ["--fix", "--diff"])
def test_another_dockerfile_run_as_the_start_script_gets_no_fix(tmp_path: Path,
                                                                mode: str) -> None:
    """Only Dockerfile.app is linted, and it runs the repository's Dockerfile as its script:
    `exec` was written into that Dockerfile (`exec CMD [...]`)."""
    other = 'FROM alpine:3\nCMD ["app"]\n'
    repo = make_repo(tmp_path / "repo", {
        "Dockerfile": other,
        "Dockerfile.app": 'FROM alpine:3\nCOPY Dockerfile /s.sh\nCMD ["/s.sh"]\n'})
    r = entrylint(repo, "check", mode, "--unsafe-fixes", "Dockerfile.app")
    assert "Dockerfile: not fixed: it is both a Dockerfile and a start script" in r.err
    assert "+exec CMD" not in r.out and "--- a/Dockerfile\n" not in r.out
    assert (repo / "Dockerfile").read_text() == other


@pytest.mark.parametrize("name", [".entrylint.toml", "pyproject.toml"])
@pytest.mark.parametrize("target, reason", [
    ("{outside}/start.sh", "is a symlink that points outside the repository"),
    ("../outside/start.sh", "is a symlink that points outside the repository"),
    ("{name}", "is a symlink loop")])
def test_configuration_symlinked_out_of_the_repository(tmp_path: Path, outside: Path,
                                                       name: str, target: str,
                                                       reason: str) -> None:
    """The nearest configuration file is read only inside the repository: a symlink to a
    host file is an error naming the link (not its target), never a file parsed as TOML."""
    repo = make_repo(tmp_path / "repo", {"Dockerfile": 'FROM alpine:3\nCMD ["app"]\n'})
    os.symlink(target.format(outside=outside, name=name), repo / name)
    r = entrylint(repo, "check", "Dockerfile")
    assert (r.code, r.err) == (2, f"entrylint: error: {name}: {reason}\n")
    assert "secret-app" not in r.both and str(outside) not in r.both


def test_configuration_symlinked_inside_the_repository(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"Dockerfile": 'FROM alpine:3\nCMD app\n',
                                         "conf/el.toml": 'select = ["EL104"]\n'})
    (repo / "sub").mkdir()
    (repo / "sub" / "Dockerfile").write_text('FROM alpine:3\nCMD app\n')
    os.symlink("../conf/el.toml", repo / "sub" / ".entrylint.toml")
    r = entrylint(repo, "check", "--format", "concise", "Dockerfile", "sub/Dockerfile")
    assert r.code == 1, r.both
    rules = [(line.split(":")[0], line.split()[1]) for line in r.out.splitlines()
             if ": EL" in line]
    assert sorted(rules) == [("Dockerfile", "EL101"), ("Dockerfile", "EL104"),
                             ("sub/Dockerfile", "EL104")], r.out  # sub: only select


@pytest.mark.parametrize("target", ["{outside}/report.sarif", "../outside/report.sarif",
                                    "{outside}/start.sh"])
def test_output_through_a_symlink_out_of_the_repository(tmp_path: Path, outside: Path,
                                                        target: str) -> None:
    """A repository's `entrylint.sarif -> ~/.bashrc` (or a dangling link into another
    directory) would make a CI job's `-o entrylint.sarif` write outside the checkout."""
    repo = make_repo(tmp_path / "repo", {"Dockerfile": 'FROM alpine:3\nCMD ["app"]\n'})
    os.symlink(target.format(outside=outside), repo / "entrylint.sarif")
    r = entrylint(repo, "check", "--format", "sarif", "-o", "entrylint.sarif", "Dockerfile")
    assert (r.code, r.err) == (2, "entrylint: error: entrylint.sarif: the report is not "
                                  "written there: it is a symlink that points outside the "
                                  "repository\n")
    _untouched(outside)


def test_output_through_a_symlink_inside_the_repository(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", {"Dockerfile": 'FROM alpine:3\nCMD ["app"]\n'})
    (repo / "reports").mkdir()
    os.symlink("reports/el.json", repo / "el.json")
    r = entrylint(repo, "check", "--format", "json", "-o", "el.json", "Dockerfile")
    assert r.code == 1, r.both
    assert '"rule": "EL104"' in (repo / "reports" / "el.json").read_text()
