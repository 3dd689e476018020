"""Each fixture is a small project with the diagnostics it must produce in expected.json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import invoke_in, shown

FIXTURES = Path(__file__).parent / "fixtures"
CASES = sorted(p.parent.name for p in FIXTURES.glob("*/expected.json"))


def run_json(args: list[str], cwd: Path) -> tuple[int, list[dict[str, object]]]:
    result = invoke_in(cwd, ["check", "--format", "json", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.parametrize("name", CASES)
def test_fixture_diagnostics(name: str) -> None:
    case = FIXTURES / name
    expected = json.loads((case / "expected.json").read_text())
    code, got = run_json(["."], case)
    found = sorted((d["rule"], d["severity"], d["path"], d["line"]) for d in got)
    # expected.json names files relative to the fixture; reports, relative to the report root
    want = sorted((d["rule"], d["severity"], shown(case, d["path"]), d["line"])
                  for d in expected)
    assert found == want
    assert code == (1 if want else 0)


def test_fixture_set_covers_every_rule() -> None:
    """Every rule has a fixture where it fires (and most fixtures are negative for most)."""
    from entrylint.engine import all_rules

    rules = set()
    for name in CASES:
        rules |= {d["rule"] for d in json.loads((FIXTURES / name / "expected.json").read_text())}
    assert {r.id for r in all_rules()} <= rules


def test_json_schema_keys_and_positions() -> None:
    code, got = run_json(["--select", "EL103", "."], FIXTURES / "heredoc-script")
    assert code == 1
    (d,) = got
    assert list(d) == ["rule", "severity", "path", "line", "column", "end_line", "end_column",
                       "message", "fix", "url"]
    # the heredoc body line `uvicorn main:app …` is line 11 of the Dockerfile
    assert (d["path"], d["line"], d["column"], d["end_line"]) == (
        shown(FIXTURES / "heredoc-script", "Dockerfile"), 11, 1, 11)
    assert d["end_column"] == 1 + len('uvicorn main:app --host 0.0.0.0 --port "${PORT:-8000}"')
    assert "exec uvicorn" in d["message"]
