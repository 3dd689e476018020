"""Every input the fuzzer (bench/fuzz.py) or the property tests ever broke entrylint with,
replayed: each is kept in tests/fixtures/fuzz-regressions/ as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import test_properties as props
from generate import lint_never_raises

CASES = sorted((Path(__file__).parent / "fixtures" / "fuzz-regressions").glob("*.json"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fuzz_regression(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    kind = case["kind"]
    if kind == "lint":
        lint_never_raises(case["dockerfile"], case["script"])
    elif kind == "fix":
        props.test_fix_output_reparses_is_a_fixed_point_and_keeps_other_lines.hypothesis \
            .inner_test(case["dockerfile"], case["script"])
    elif kind == "dash":
        props.test_exec_form_conversion_matches_dash.hypothesis.inner_test(
            case["program"], case["rest"])
    else:
        pytest.fail(f"{path.name}: unknown kind {kind!r}")


def test_there_are_regressions_to_replay() -> None:
    assert CASES, "the fuzzer's findings are kept as fixtures"
