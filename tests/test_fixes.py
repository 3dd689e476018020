"""The fix builders and the fixer, case by case."""

from __future__ import annotations

import json
import os
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from entrylint.cli import main
from entrylint.diagnostics import Applicability, Diagnostic, Edit, Fix
from entrylint.engine import Rule, all_rules, lint_paths
from entrylint.fixer import MAX_ROUNDS, fix_paths
from entrylint.fixes import json_array, plain_argv, repair_json_array, shell_exec_text
from tests.cli_helpers import invoke_in


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            content = content.encode()
        p.write_bytes(content)
        if name.endswith(".sh"):
            p.chmod(0o755)
    (root / ".git").mkdir(exist_ok=True)  # the repository root
    return root


def fix(root: Path, *args: str) -> tuple[int, str]:
    res = invoke_in(root, ["--fix", *args, "."], catch_exceptions=False)
    return res.exit_code, res.output


def diags(root: Path, rule: str) -> list[Diagnostic]:
    return [d for d in lint_paths([root]).diagnostics if d.rule == rule]


# ------------------------------------------------------------------------------------------
# Exec form
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "argv"), [
    ('python app.py --name "a b"', ["python", "app.py", "--name", "a b"]),
    ("exec top -b", ["top", "-b"]),
    ("node 'it'\\''s.js'", ["node", "it's.js"]),
    ('app --greeting "say \\"hi\\"" a\\ b', ["app", "--greeting", 'say "hi"', "a b"]),
    ('app "C:\\\\dir" \'back\\slash\'', ["app", "C:\\dir", "back\\slash"]),
    ("app --port=8080 -v", ["app", "--port=8080", "-v"]),
])
def test_plain_argv(text: str, argv: list[str]) -> None:
    assert plain_argv(text) == (argv, "")


@pytest.mark.parametrize("text", [
    "app --port $PORT", "app > log", "cd /x && app", "app *.conf", "app ~/conf", "A=1 app",
    "exec -a name app", "app &", "app; app2", "cd /srv", "`app`", "app $(cat f)",
    "time app",
])
def test_plain_argv_refuses_what_needs_a_shell(text: str) -> None:
    argv, why = plain_argv(text)
    assert argv is None and why


@pytest.mark.parametrize(("text", "out"), [
    ("app --port $PORT", "exec app --port $PORT"),
    ("cd /x && app 2>&1", "cd /x && exec app 2>&1"),
    ("set -e; migrate; A=1 app", "set -e; migrate; A=1 exec app"),
    ("test -n \"$P\" && app", "test -n \"$P\" && exec app"),
])
def test_shell_exec_text(text: str, out: str) -> None:
    assert shell_exec_text(text) == (out, "")


@pytest.mark.parametrize("text", [
    "app || fallback", "app | tee log", "app &", "app; echo done", "exec app",
    "if x; then app; fi", "cd /x", "f() { app; }; f", "(app)",
])
def test_shell_exec_text_refuses(text: str) -> None:
    assert shell_exec_text(text)[0] is None


def test_json_array_escapes() -> None:
    argv = ['say "hi"', "back\\slash", "ü"]
    text = json_array(argv)
    assert text == '["say \\"hi\\"", "back\\\\slash", "ü"]'
    assert json.loads(text) == argv


@pytest.mark.parametrize(("text", "argv"), [
    ("[\"python\", 'app.py']", ["python", "app.py"]),
    ("['a', 'b c']", ["a", "b c"]),
    ('["a", "b",]', ["a", "b"]),
    ('[ "a\\"q" , \'x\' ]', ['a"q', "x"]),
])
def test_repair_json_array(text: str, argv: list[str]) -> None:
    assert repair_json_array(text) == argv


@pytest.mark.parametrize("text", [
    "[python, app.py]", "['a\\'b']", "[]", '["a" "b"]', "['a', b]", "[“a”]",
])
def test_repair_json_array_refuses_ambiguous(text: str) -> None:
    assert repair_json_array(text) is None


def test_never_exec_in_exec_form(tmp_path: Path) -> None:
    """All three peers turn this into ["exec", "top", "-b"], which cannot start."""
    write(tmp_path, {"Dockerfile": "FROM debian:12\nENTRYPOINT exec top -b\nCMD [\"-d\", \"5\"]\n"})
    (d,) = diags(tmp_path, "EL102")
    assert d.fix is not None and d.fix.applicability is Applicability.UNSAFE
    assert "appends `CMD`" in d.fix.message
    assert d.fix.edits[0].content == ' ["top", "-b"]'
    code, _ = fix(tmp_path)
    assert code == 1
    assert "exec top" in (tmp_path / "Dockerfile").read_text()  # unsafe: not applied


def test_shell_entrypoint_without_cmd_is_safe(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM debian:12\nENTRYPOINT app --port 80\n"})
    (d,) = diags(tmp_path, "EL102")
    assert d.fix is not None and d.fix.applicability is Applicability.SAFE
    assert "docker run" in d.fix.message


def test_cmd_into_a_script_entrypoint_is_unsafe(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM debian:12\nCOPY e.sh /e.sh\n"
                                   "ENTRYPOINT [\"/e.sh\"]\nCMD app --serve\n",
                     "e.sh": "#!/bin/sh\nexec \"$@\"\n"})
    (d,) = diags(tmp_path, "EL101")
    assert d.fix is not None and d.fix.applicability is Applicability.UNSAFE
    assert "ENTRYPOINT (line 3) will receive" in d.fix.message


@pytest.mark.parametrize(("base", "safe"), [
    ("python:3.12-slim", True),  # no ENTRYPOINT
    ("jenkins/jenkins:lts", True),  # an init: passes the words on
    ("postgres:16", False),  # docker-entrypoint.sh acts on "postgres"
    ("mycorp/base:1", False),  # unknown
])
def test_cmd_under_an_inherited_entrypoint(tmp_path: Path, base: str, safe: bool) -> None:
    write(tmp_path, {"Dockerfile": f"FROM {base}\nCMD postgres -c fsync=off\n"})
    (d,) = diags(tmp_path, "EL101")
    assert d.fix is not None
    assert (d.fix.applicability is Applicability.SAFE) == safe, d.fix.message


def test_escape_directive_and_continuations(tmp_path: Path) -> None:
    text = ("# escape=`\nFROM debian:12\nCMD app --name `\n    # a comment inside\n"
            "    \"a b\" `\n    --port 80\nLABEL x=y\n")
    write(tmp_path, {"Dockerfile": text})
    fix(tmp_path)
    out = (tmp_path / "Dockerfile").read_text()
    assert ('CMD ["app", "--name", "a b", "--port", "80"]\nLABEL x=y\n') in out
    assert out.startswith("# escape=`\nFROM debian:12\n")


def test_windows_shell_gets_no_fix(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM debian:12\nSHELL [\"cmd\", \"/S\", \"/C\"]\n"
                                   "CMD app --serve\n"})
    assert all(d.fix is None for d in lint_paths([tmp_path]).diagnostics)


def test_no_shell_image_gets_exec_form_not_sh_c(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM gcr.io/distroless/static-debian12\n"
                                   "CMD app --port $PORT\n"})
    (d,) = diags(tmp_path, "EL101")
    assert d.fix is None  # ["/bin/sh", "-c", …] cannot start without a shell


def test_stage_shell_is_used(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM debian:12\n"
                                   "SHELL [\"/bin/bash\", \"-o\", \"pipefail\", \"-c\"]\n"
                                   "CMD app --port $PORT\n"})
    (d,) = diags(tmp_path, "EL101")
    assert d.fix is not None
    assert d.fix.edits[0].content == \
        ' ["/bin/bash", "-o", "pipefail", "-c", "exec app --port $PORT"]'


def test_diff_without_final_newline_is_a_valid_patch(tmp_path: Path) -> None:
    import shutil
    import subprocess

    write(tmp_path, {"Dockerfile": "FROM debian:12\nCMD app 'x y'"})
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        res = CliRunner().invoke(main, ["--diff", "."])
    finally:
        os.chdir(old)
    assert res.exit_code == 1
    assert "-CMD app 'x y'\n\\ No newline at end of file\n" in res.output
    if shutil.which("patch"):
        subprocess.run(["patch", "-p1", "-s"], input=res.output.encode(), cwd=tmp_path,
                       check=True)
        assert (tmp_path / "Dockerfile").read_text().endswith('CMD ["app", "x y"]')


def test_bom_and_missing_final_newline_kept(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": b"\xef\xbb\xbfFROM debian:12\nCMD app 'x y'"})
    fix(tmp_path)
    data = (tmp_path / "Dockerfile").read_bytes()
    assert data.startswith(b"\xef\xbb\xbfFROM debian:12\n")
    assert data.endswith(b'CMD ["app", "x y"]')


# ------------------------------------------------------------------------------------------
# exec in scripts
# ------------------------------------------------------------------------------------------

DF_SCRIPT = "FROM debian:12\nCOPY start.sh /start.sh\nENTRYPOINT [\"/start.sh\"]\n"


def script_fixes(tmp_path: Path, script: str) -> list[Fix | None]:
    write(tmp_path, {"Dockerfile": DF_SCRIPT, "start.sh": script})
    return [d.fix for d in diags(tmp_path, "EL103")]


def test_exec_trailing_commands_unsafe(tmp_path: Path) -> None:
    (f,) = script_fixes(tmp_path, "#!/bin/sh\napp --serve\necho done\n")
    assert f is not None and f.applicability is Applicability.UNSAFE
    assert "`echo done`" in f.message


@pytest.mark.parametrize("script", [
    "#!/bin/sh\nmigrate && app\n",
    "#!/bin/sh\napp | tee /tmp/log\n",
    "#!/bin/sh\n(app)\n",
    "#!/bin/sh\nrun() { app; }\nrun\nrun\n",
    "#!/bin/sh\nrun() { app; }\nrun | tee log\n",
    "#!/bin/sh\nrun() { app; }\nrun || echo failed\n",
])
def test_exec_not_offered(tmp_path: Path, script: str) -> None:
    fixes = script_fixes(tmp_path, script)
    assert fixes and all(f is None or f.applicability is Applicability.UNSAFE for f in fixes)


def test_exec_through_function_called_once_is_safe(tmp_path: Path) -> None:
    (f,) = script_fixes(tmp_path, "#!/bin/sh\n_main() {\n  app \"$@\"\n}\n_main \"$@\"\n")
    assert f is not None and f.applicability is Applicability.SAFE
    fix(tmp_path)
    assert (tmp_path / "start.sh").read_text() == \
        "#!/bin/sh\n_main() {\n  exec app \"$@\"\n}\n_main \"$@\"\n"
    assert (tmp_path / "start.sh").stat().st_mode & 0o777 == 0o755


def test_exec_variable_command_is_unsafe(tmp_path: Path) -> None:
    (f,) = script_fixes(tmp_path, "#!/bin/sh\ncmd=app\n$cmd --serve\n")
    assert f is not None and f.applicability is Applicability.UNSAFE


def test_exec_after_assignments(tmp_path: Path) -> None:
    script_fixes(tmp_path, "#!/bin/sh\nLANG=C app --serve\n")
    fix(tmp_path)
    assert (tmp_path / "start.sh").read_text() == "#!/bin/sh\nLANG=C exec app --serve\n"


def test_shared_script_fixed_once(tmp_path: Path) -> None:
    write(tmp_path, {"a/Dockerfile": "FROM debian:12\nCOPY start.sh /start.sh\n"
                                     "ENTRYPOINT [\"tini\", \"--\", \"/start.sh\"]\n",
                     "b/Dockerfile": "FROM debian:12\nCOPY start.sh /start.sh\n"
                                     "ENTRYPOINT [\"tini\", \"--\", \"/start.sh\"]\n",
                     "start.sh": "#!/bin/sh\napp\n"})
    for sub in ("a", "b"):
        os.symlink("../start.sh", tmp_path / sub / "start.sh")
    fix(tmp_path)
    assert (tmp_path / "start.sh").read_text() == "#!/bin/sh\nexec app\n"
    assert (tmp_path / "a" / "start.sh").is_symlink()


def test_json_fix_positions_in_tab_stripped_heredoc(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM debian:12\nCOPY <<-EOF /start.sh\n\t#!/bin/sh\n"
                                   "\t\tapp\n\tEOF\nENTRYPOINT [\"/start.sh\"]\n"})
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        res = CliRunner().invoke(main, ["check", "--format", "json", "."])
    finally:
        os.chdir(old)
    (item,) = [x for x in json.loads(res.output) if x["rule"] == "EL103"]
    assert (item["line"], item["column"]) == (4, 3)
    assert item["fix"]["applicability"] == "safe"
    assert item["fix"]["edits"] == [{"path": "Dockerfile", "start": {"line": 4, "column": 3},
                                     "end": {"line": 4, "column": 3}, "content": "exec "}]


# ------------------------------------------------------------------------------------------
# tini
# ------------------------------------------------------------------------------------------


def el104_fix(tmp_path: Path, dockerfile: str) -> Fix | None:
    write(tmp_path, {"Dockerfile": dockerfile})
    (d,) = diags(tmp_path, "EL104")
    return d.fix


def test_tini_wired_into_existing_entrypoint(tmp_path: Path) -> None:
    f = el104_fix(tmp_path, "FROM alpine:3.20\nENTRYPOINT [\"app\", \"--serve\"]\n")
    assert f is not None and f.applicability is Applicability.SAFE
    assert [e.content for e in f.edits] == ["\nRUN apk add --no-cache tini",
                                            ' ["tini", "--", "app", "--serve"]']


def test_tini_absolute_when_path_lacks_it(tmp_path: Path) -> None:
    f = el104_fix(tmp_path, "FROM alpine:3.20\nENV PATH=/opt/app/bin\nCMD [\"app\"]\n")
    assert f is not None and 'ENTRYPOINT ["/sbin/tini", "--"]' in f.edits[-1].content
    # PATH built from the base image's PATH, which entrylint cannot know: absolute, to be sure
    f = el104_fix(tmp_path, "FROM alpine:3.20\nENV PATH=/opt/app/bin:$PATH\nCMD [\"app\"]\n")
    assert f is not None and 'ENTRYPOINT ["/sbin/tini", "--"]' in f.edits[-1].content
    f = el104_fix(tmp_path, "FROM alpine:3.20\nENV PATH=/sbin:/bin\nCMD [\"app\"]\n")
    assert f is not None and 'ENTRYPOINT ["tini", "--"]' in f.edits[-1].content


def test_tini_already_installed_only_wired(tmp_path: Path) -> None:
    f = el104_fix(tmp_path, "FROM debian:12\nRUN apt-get update && apt-get install -y tini\n"
                            "CMD [\"app\"]\n")
    assert f is not None and [e.content for e in f.edits] == ['ENTRYPOINT ["tini", "--"]\n']


def test_tini_after_the_last_package_install(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM debian:12\nCOPY sources.list /etc/apt/\n"
                                   "RUN apt-get update && apt-get install -y curl\n"
                                   "COPY . /app\nCMD [\"app\"]\n"})
    fix(tmp_path)
    lines = (tmp_path / "Dockerfile").read_text().splitlines()
    assert lines[2].startswith("RUN apt-get update && apt-get install -y curl")
    assert lines[3].startswith("RUN apt-get update && apt-get install -y "
                               "--no-install-recommends tini")


def test_npm_gets_process_group_tini(tmp_path: Path) -> None:
    f = el104_fix(tmp_path, "FROM debian:12\nCMD [\"npm\", \"start\"]\n")
    assert f is not None and 'ENTRYPOINT ["tini", "-g", "--"]' in f.edits[-1].content


@pytest.mark.parametrize(("base", "why"), [
    ("registry.access.redhat.com/ubi9/ubi", "no tini package"),
    ("gcr.io/distroless/base-debian12", "no package manager"),
])
def test_no_tini_fix_where_it_cannot_be_installed(tmp_path: Path, base: str, why: str) -> None:
    write(tmp_path, {"Dockerfile": f"FROM {base}\nCMD [\"/usr/bin/app\"]\n"})
    (d,) = diags(tmp_path, "EL104")
    assert d.fix is None
    assert any(why in n for n in d.notes)


def test_empty_entrypoint_is_replaced(tmp_path: Path) -> None:
    """`ENTRYPOINT []` after CMD would cancel an ENTRYPOINT inserted before CMD."""
    write(tmp_path, {"Dockerfile": "FROM debian:12\nCMD [\"app\"]\nENTRYPOINT []\n"})
    code, _ = fix(tmp_path)
    assert code == 0
    assert (tmp_path / "Dockerfile").read_text().endswith(
        'CMD ["app"]\nENTRYPOINT ["tini", "--"]\n')


def test_script_with_parse_errors_is_unsafe(tmp_path: Path) -> None:
    fixes = script_fixes(tmp_path, "#!/bin/bash\nx=$(( 1 + ))\napp --serve\n")
    assert fixes and all(f is not None and f.applicability is Applicability.UNSAFE
                         for f in fixes)


def test_inherited_cmd_gets_no_entrypoint(tmp_path: Path) -> None:
    """A new ENTRYPOINT would reset the CMD this stage inherits from the stage before."""
    f = el104_fix(tmp_path, "FROM debian:12 AS base\nCMD [\"app\"]\nFROM base\nLABEL a=b\n")
    assert f is None


def test_unsafe_when_the_base_image_user_is_unknown(tmp_path: Path) -> None:
    f = el104_fix(tmp_path, "FROM mcr.microsoft.com/dotnet/aspnet:8.0-noble\n"
                            "CMD [\"dotnet\", \"app.dll\"]\n")
    assert f is not None and f.applicability is Applicability.UNSAFE
    assert "the USER of mcr.microsoft.com/dotnet/aspnet:8.0-noble is not known" in f.message


def test_base_image_entrypoint_is_kept_behind_tini(tmp_path: Path) -> None:
    """node's docker-entrypoint.sh (official_images.json) stays, after tini: nothing changes
    but PID 1."""
    f = el104_fix(tmp_path, "FROM node:22-slim\nCMD [\"node\", \"server.js\"]\n")
    assert f is not None and f.applicability is Applicability.SAFE
    assert f.edits[-1].content == 'ENTRYPOINT ["tini", "--", "docker-entrypoint.sh"]\n'


# ------------------------------------------------------------------------------------------
# The fixer
# ------------------------------------------------------------------------------------------


def test_exit_codes_and_summary(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM alpine:3.20\nCMD [\"app\", 'x']\n"})
    code, out = fix(tmp_path)
    assert code == 0
    assert out.splitlines()[-1] == "2 fixed, 0 remaining (0 need --unsafe-fixes)"


def test_json_output_keeps_stdout_json(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM mcr.microsoft.com/dotnet/aspnet:8.0-noble\n"
                                   "CMD [\"dotnet\", \"app.dll\"]\n"})
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        res = CliRunner().invoke(main, ["--fix", "--format", "json", "."])
    finally:
        os.chdir(old)
    assert res.exit_code == 1
    assert "0 fixed, 1 remaining (1 need --unsafe-fixes)" in res.stderr
    (item,) = json.loads(res.stdout)
    assert item["fix"]["applicability"] == "unsafe"


def test_unwritable_file_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                       ) -> None:
    write(tmp_path, {"Dockerfile": DF_SCRIPT.replace("[\"/start.sh\"]", "/start.sh"),
                     "start.sh": "#!/bin/sh\napp\n"})
    before = {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()}
    import tempfile as tf

    real = tf.mkstemp
    calls = []

    def failing(*args: object, **kwargs: object) -> tuple[int, str]:
        calls.append(1)
        if len(calls) == 2:
            raise PermissionError(13, "Permission denied")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("entrylint.writer.tempfile.mkstemp", failing)
    code, out = fix(tmp_path)
    assert code == 2
    assert "cannot be written (Permission denied); nothing was written" in out
    assert {p: p.read_bytes() for p in tmp_path.iterdir() if p.is_file()} == before


def test_owner_and_mode_kept(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give the file another owner")
    write(tmp_path, {"Dockerfile": "FROM debian:12\nCMD app --serve\n"})
    df = tmp_path / "Dockerfile"
    os.chown(df, 65534, 65534)
    df.chmod(0o640)
    fix(tmp_path)
    st = df.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (65534, 65534, 0o640)
    assert "CMD [" in df.read_text()
    # no temporary file left beside it (the result cache has its own directory)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".entrylint_cache", ".git",
                                                          "Dockerfile"]


def test_file_changed_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM debian:12\nCMD app\n"})
    report = fix_paths([tmp_path])
    (tmp_path / "Dockerfile").write_text("FROM debian:12\nCMD other\n")
    errors = report.write()
    assert errors and "changed on disk" in errors[0].reason
    assert (tmp_path / "Dockerfile").read_text() == "FROM debian:12\nCMD other\n"


def test_symlink_out_of_the_repository_is_never_written(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "start.sh").write_text("#!/bin/sh\napp\n")
    repo = write(tmp_path / "repo", {"Dockerfile": DF_SCRIPT})
    os.symlink(outside / "start.sh", repo / "start.sh")
    fix(repo)
    assert (outside / "start.sh").read_text() == "#!/bin/sh\napp\n"
    assert (repo / "start.sh").is_symlink()


def _fake_rule(check: object) -> Rule:
    mod = types.ModuleType("fake")
    mod.check = check  # type: ignore[attr-defined]
    return Rule(id="EL999", name="fake", severity="error", summary="", doc="", bad="",
                good="", fix="", module=mod)


def test_non_converging_rule_is_reported(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM debian:12\nCMD [\"app\"]\n"})

    def check(model: object) -> Iterator[Diagnostic]:
        src = model.source  # type: ignore[attr-defined]
        yield Diagnostic("EL999", "error", src.path, 0, 0, "always",
                         Fix("again", (Edit(src.path, 0, 0, "#\n"),)))

    report = fix_paths([tmp_path], rules=[_fake_rule(check)])
    assert report.non_converging == ["EL999"]
    assert report.rounds == MAX_ROUNDS


def test_overlapping_fixes_wait_for_the_next_round(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM debian:12\nCMD [\"app\"]\n"})

    def check(model: object) -> Iterator[Diagnostic]:
        src = model.source  # type: ignore[attr-defined]
        if src.data.startswith(b"FROM"):
            for text in ("# one\n", "# two\n"):  # both want to replace "FROM"
                yield Diagnostic("EL999", "error", src.path, 0, 4, text,
                                 Fix(text, (Edit(src.path, 0, 4, text + "FROM"),)))

    report = fix_paths([tmp_path], rules=[_fake_rule(check)])
    assert report.fixed == 1 and report.rounds == 1
    (_, new), = report.changes.values()
    assert new == b"# one\nFROM debian:12\nCMD [\"app\"]\n"


def test_all_rules_document_their_fix() -> None:
    for rule in all_rules():
        if rule.id in ("EL101", "EL102", "EL103", "EL104"):
            assert "*Safe*" in rule.fix and "*Unsafe*" in rule.fix, rule.id


# ------------------------------------------------------------------------------------------
# Checked against the real shell and BuildKit's own parser
# ------------------------------------------------------------------------------------------

WORDS = [
    'python app.py --name "a b"', "node 'it'\\''s.js'", 'app --greeting "say \\"hi\\"" a\\ b',
    'app "C:\\\\dir" \'back\\slash\'', "app --port=8080 -v", 'app "" x', "app 'a  b'\"c d\"",
    'app "tab\there" ü \'$HOME\' "\\$HOME"', "app a\\\\b \\#x '#y'",
]


@pytest.mark.parametrize("text", WORDS)
def test_quote_removal_matches_dash(text: str) -> None:
    """The words of the exec form are exactly the argv dash gives the program."""
    import shutil
    import subprocess

    if shutil.which("dash") is None:
        pytest.skip("needs dash")
    argv, _ = plain_argv(text)
    assert argv is not None
    out = subprocess.run(["dash", "-c", f"printf '%s\\0' {text.split(' ', 1)[1]}"],
                         capture_output=True, check=True).stdout
    assert [argv[0], *out.decode().split("\0")[:-1]] == argv


def test_fixed_dockerfiles_are_exec_form_for_buildkit() -> None:
    """BuildKit's parser (PyPI `dockerfile`) reads every rewritten ENTRYPOINT/CMD of the
    expected fixtures as exec form, with the argv entrylint's model has."""
    dockerfile = pytest.importorskip("dockerfile")
    from entrylint.dockerfile import parse
    from entrylint.source import SourceFile

    fixtures = Path(__file__).parent / "fixtures"
    files = sorted(fixtures.glob("fix-*/expected*/Dockerfile"))
    assert files
    for path in files:
        ours = [i for i in parse(SourceFile(path, path.read_bytes())).instructions
                if i.keyword in ("CMD", "ENTRYPOINT")]
        theirs = [c for c in dockerfile.parse_file(str(path))
                  if c.cmd.upper() in ("CMD", "ENTRYPOINT")]
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs, strict=True):
            assert b.json, f"{path}: {b.original}"
            assert a.exec_form == list(b.value)


def test_cli_reports_non_converging_rule(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    write(tmp_path, {"Dockerfile": "FROM debian:12\nCMD [\"app\"]\n"})

    def check(model: object) -> Iterator[Diagnostic]:
        src = model.source  # type: ignore[attr-defined]
        yield Diagnostic("EL999", "error", src.path, 0, 0, "always",
                         Fix("again", (Edit(src.path, 0, 0, "#\n"),)))

    monkeypatch.setattr("entrylint.engine.all_rules", lambda: (_fake_rule(check),))
    code, out = fix(tmp_path)
    assert "entrylint: bug: the fixes of EL999 still change the files after 10 rounds" in out
    assert "nothing was written" in out
    assert code == 2
    # a fix that does not converge is a bug: its output is not written
    assert (tmp_path / "Dockerfile").read_text() == "FROM debian:12\nCMD [\"app\"]\n"
