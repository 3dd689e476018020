"""`entrylint rule ID` for a terminal, `--markdown` raw, `entrylint rules --format json`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from entrylint.cli import main
from entrylint.docs import documented_rules, find_rule, rule_markdown


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    base = {"NO_COLOR": "", "FORCE_COLOR": "", "TERM": "xterm", "COLUMNS": "60"}
    return CliRunner().invoke(main, list(args), env={**base, **(env or {})})


def test_rule_page_is_wrapped_to_the_terminal_with_readable_headings_and_code() -> None:
    r = invoke("rule", "EL101")
    assert r.exit_code == 0
    lines = r.output.splitlines()
    assert lines[:2] == ["EL101 shell-form-cmd", "===================="]
    assert "Why\n---" in r.output and "Bad\n---" in r.output and "Fix\n---" in r.output
    assert "    CMD python /app/app.py" in lines  # the code block, indented
    prose = [line for line in lines if not line.startswith("    ")]
    assert max(len(line) for line in prose) <= 59
    assert "```" not in r.output and "**" not in r.output and "## " not in r.output
    wide = invoke("rule", "EL101", env={"COLUMNS": "200"}).output
    assert max(len(line) for line in wide.splitlines()) <= 100
    assert len(wide.splitlines()) < len(lines)


def test_rule_page_in_colour() -> None:
    r = invoke("rule", "EL101", "--color", "always")
    assert "\x1b[1m\x1b[4mEL101 shell-form-cmd\x1b[0m" in r.output
    assert "\x1b[36m    CMD python /app/app.py\x1b[0m" in r.output
    assert "\x1b[" not in invoke("rule", "EL101", "--color", "always", "--markdown").output


def test_markdown_is_the_raw_page() -> None:
    rule = find_rule("EL103")
    assert rule is not None
    assert invoke("rule", "el103", "--markdown").output == rule_markdown(rule)


def test_rules_as_json_for_tools() -> None:
    r = invoke("rules", "--format", "json")
    assert r.exit_code == 0
    rows = json.loads(r.output)
    assert [row["id"] for row in rows] == [x.id for x in documented_rules()]
    el103 = next(row for row in rows if row["id"] == "EL103")
    assert el103 == {"id": "EL103", "name": "script-without-exec", "severity": "error",
                     "fixable": True, "summary": el103["summary"], "url": None}
    assert "`" not in "".join(row["summary"] for row in rows)


def test_rules_json_has_the_configured_links(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".entrylint.toml").write_text('docs-url = "https://d.example.com/{rule}"\n')
    rows = json.loads(invoke("rules", "--format", "json").output)
    assert rows[0]["url"] == f"https://d.example.com/{rows[0]['id']}"
    (tmp_path / ".entrylint.toml").write_text('docs-url = "nope"\n')
    r = invoke("rules", "--format", "json")
    assert r.exit_code == 2 and "docs-url" in r.output
