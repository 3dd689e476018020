"""`entrylint rules` / `rule`, the committed rule docs, the summary line, --quiet/--verbose,
changed-files mode (what the pre-commit hook uses), and bad input without tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from entrylint.cli import main
from entrylint.docs import documented_rules, rule_markdown, stale_pages
from entrylint.engine import all_rules

PROJECT = Path(__file__).resolve().parents[1]


def invoke(*args: str) -> Result:
    r = CliRunner().invoke(main, list(args))
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output
    return r


def test_rules_table_lists_every_rule() -> None:
    r = invoke("rules")
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert lines[0].split()[:4] == ["RULE", "NAME", "SEVERITY", "FIXABLE"]
    listed = [line.split()[:4] for line in lines[1:]]
    expected = [[x.id, x.name, x.severity, "yes" if x.fixable else "no"]
                for x in documented_rules()]
    assert listed == expected
    assert {x.id for x in all_rules()} | {"EL001", "EL002"} == {row[0] for row in listed}


def test_rule_prints_its_documentation() -> None:
    r = invoke("rule", "el103", "--markdown")
    assert r.exit_code == 0
    for part in ("# EL103 script-without-exec", "## Why", "## Bad", "## Good", "## Fix",
                 "*Unsafe*", "exec gunicorn"):
        assert part in r.output
    assert "## Why" in invoke("rule", "EL001", "--markdown").output


def test_unknown_rule_is_exit_2() -> None:
    r = invoke("rule", "EL999")
    assert r.exit_code == 2
    assert "unknown rule 'EL999'" in r.output and "entrylint rules" in r.output


def test_committed_rule_docs_are_current() -> None:
    docs = PROJECT / "docs" / "rules"
    assert stale_pages(docs) == [], "run `python -m entrylint.docs docs/rules`"
    for rule in documented_rules():
        assert (docs / f"{rule.id}.md").read_text(encoding="utf-8") == rule_markdown(rule)


def test_docs_check_mode(tmp_path: Path) -> None:
    from entrylint import docs

    assert docs.main([str(tmp_path), "--check"]) == 1
    assert docs.main([str(tmp_path)]) == 0
    assert docs.main([str(tmp_path), "--check"]) == 0


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    files = {
        "api/Dockerfile": ('FROM debian:12-slim\nCOPY start.sh /start.sh\n'
                           'ENTRYPOINT ["tini", "--", "/start.sh"]\n'
                           "RUN apt-get update && apt-get install -y tini\n"),
        "api/start.sh": "#!/bin/sh\ngunicorn app:app\n",
        "worker/Dockerfile": ('FROM debian:12-slim\nCOPY run /app/run\nCOPY app.py /app.py\n'
                              'ENTRYPOINT ["tini", "--", "/app/run"]\n'
                              "RUN apt-get update && apt-get install -y tini\n"),
        "worker/run": "#!/usr/bin/env bash\nexec python /app.py\n",
        "worker/app.py": "#!/usr/bin/env python3\nprint(1)\n",
        "web/Dockerfile": ('FROM mcr.microsoft.com/dotnet/aspnet:8.0-noble\n'
                           'CMD ["dotnet", "app.dll"]\n'),  # its USER: unknown
        "tools/unused.sh": "#!/bin/sh\nnode x.js\n",
        "notes.txt": "hello\n",
    }
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        if p.read_text().startswith("#!"):
            p.chmod(0o755)  # as committed: a start script is executable (EL112)
    monkeypatch.chdir(root)
    return root


def test_summary_line_and_quiet(repo: Path) -> None:
    r = invoke("check", ".")
    assert r.exit_code == 1
    assert r.output.splitlines()[-1] == ("Linted 3 Dockerfiles, 2 scripts: 1 error, 1 warning "
                                         "(1 fixable with --fix, 1 with --unsafe-fixes)")
    q = invoke("check", "-q", ".")
    assert "Linted" not in q.output and "EL103" in q.output
    clean = invoke("check", "worker")
    assert clean.exit_code == 0
    assert clean.output == "Linted 1 Dockerfile, 1 script: no findings\n"


def test_verbose_says_what_was_followed(repo: Path) -> None:
    (repo / "web/Dockerfile").write_text('FROM debian:12-slim\nCMD ["/missing.sh"]\n')
    r = CliRunner().invoke(main, ["check", "-v", "api", "web"])
    assert "linting api/Dockerfile" in r.output
    assert "follows /start.sh -> api/start.sh" in r.output
    assert "cannot follow /missing.sh: no COPY/ADD" in r.output


def test_verbose_names_a_setup_script_that_is_not_followed(repo: Path) -> None:
    """`sh -c '/setup.sh && exec app'`: the script returns to the shell before the app runs;
    it is never PID 1, so it is not followed, and --verbose says so (found on a real
    repository, where the corpus run had "no reason given")."""
    (repo / "web/Dockerfile").write_text(
        'FROM debian:12-slim\nCOPY setup.sh /setup.sh\n'
        'CMD ["/bin/sh", "-c", "/setup.sh && exec /usr/sbin/nginx -g \'daemon off;\'"]\n')
    (repo / "web/setup.sh").write_text("#!/bin/sh\necho ready\n")
    r = CliRunner().invoke(main, ["check", "-v", "web"])
    assert ("cannot follow /setup.sh: it runs before the final command (`/usr/sbin/nginx`) as a "
            "setup step") in r.output
    (repo / "web/Dockerfile").write_text(
        'FROM debian:12-slim\nCOPY setup.sh /setup.sh\nCMD ["/bin/sh", "-c", "exec /setup.sh"]\n')
    r = CliRunner().invoke(main, ["check", "-v", "web"])
    assert "cannot follow /setup.sh" not in r.output and "follows /setup.sh" in r.output


def test_changed_files_maps_scripts_to_dockerfiles(repo: Path) -> None:
    r = invoke("check", "--changed-files", "api/start.sh")
    assert r.exit_code == 1
    assert "api/start.sh:2:1: EL103" in r.output
    assert r.output.splitlines()[-1].startswith("Linted 1 Dockerfile, 1 script:")
    # a script nobody runs, a Python file, a text file, a deleted file: nothing to do
    r = invoke("check", "--changed-files", "-v", "tools/unused.sh", "worker/app.py",
               "notes.txt", "gone/Dockerfile")
    assert r.exit_code == 0, r.output
    assert "tools/unused.sh: no Dockerfile in the repository runs it, ignored" in r.output
    assert "notes.txt: not a Dockerfile or shell script, ignored" in r.output
    assert "Linted 0 Dockerfiles, 0 scripts: no findings" in r.output
    # a Dockerfile and a script it runs: linted once
    r = invoke("check", "--changed-files", "api/Dockerfile", "api/start.sh", "worker/run")
    assert r.output.count("EL103") == 1
    assert "Linted 2 Dockerfiles, 2 scripts" in r.output


def test_without_changed_files_a_missing_path_is_an_error(repo: Path) -> None:
    r = invoke("check", "nope/Dockerfile")
    assert r.exit_code == 2 and "no such file or directory" in r.output


@pytest.mark.parametrize("content", [b"\x00\x01binary", b"\xff\xfe not utf-8", b"just text\n"])
def test_bad_input_is_reported_not_raised(repo: Path, content: bytes) -> None:
    (repo / "Dockerfile").write_bytes(content)
    for fmt in ("text", "json", "sarif", "github", "gitlab", "checkstyle"):
        r = invoke("check", "--format", fmt, "Dockerfile")
        assert r.exit_code == 2
        assert "entrylint: error: Dockerfile:" in r.output


def test_version_and_import_time() -> None:
    assert invoke("--version").output.startswith("entrylint, version ")
    # pre-commit runs entrylint on every commit: the CLI must not import the linter eagerly
    code = ("import sys, entrylint.cli; "
            "print(sorted(m for m in ('tree_sitter', 'yaml', 'pathspec', 'entrylint.engine', "
            "'entrylint.formats', 'jsonschema') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"


def test_completion_script() -> None:
    import os

    env = dict(os.environ, _ENTRYLINT_COMPLETE="bash_source")
    exe = Path(sys.executable).parent / "entrylint"
    if not exe.exists():
        pytest.skip("the entrylint console script is not installed")
    out = subprocess.run([str(exe)], env=env, capture_output=True, text=True).stdout
    assert "_entrylint_completion" in out
