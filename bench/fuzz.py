#!/usr/bin/env python3
"""Fuzz entrylint for a bounded time: the property tests' strategies at volume (hypothesis).

Runs, until the time budget is spent, (1) generated Dockerfiles + scripts through lint and
fix (nothing may raise), (2) the fix properties (re-parses with BuildKit, fixed point), and
(3) shell-form -> exec-form against dash.  Each failing input is saved as a JSON fixture in
tests/fixtures/fuzz-regressions/ (which tests/test_fuzz_regressions.py replays forever) and
the run exits 1.

    python bench/fuzz.py [--seconds 300]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import test_properties as props  # noqa: E402
from generate import dockerfile, lint_never_raises, script  # noqa: E402
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

OUT = ROOT / "tests" / "fixtures" / "fuzz-regressions"


def _save(kind: str, case: dict[str, str], error: BaseException) -> Path:
    body = json.dumps({"kind": kind, **case}, indent=2, ensure_ascii=False) + "\n"
    path = OUT / f"{kind}-{hashlib.sha256(body.encode()).hexdigest()[:12]}.json"
    path.write_text(body, encoding="utf-8")
    # the body too: in CI the clone is thrown away, and the log is where the input survives
    print(f"{kind}: {type(error).__name__}: {error}\n  saved {path.relative_to(ROOT)}:\n"
          f"{body}", file=sys.stderr)
    return path


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--seed", type=int, default=None,
                        help="make the run reproducible: round N of each property uses seed "
                             "SEED*1000+N (CI passes one, so that it replays what was checked)")
    args = parser.parse_args()
    deadline = time.monotonic() + args.seconds
    volume = settings(max_examples=10**6, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))
    found = 0

    class OutOfTime(BaseException):  # not an Exception: hypothesis does not shrink it
        pass

    #: each property gets a turn of at most this long, round after round, until the deadline
    turn = max(5.0, args.seconds / 6)
    turn_end = [deadline]

    def budget() -> None:
        if time.monotonic() > turn_end[0]:
            raise OutOfTime

    checks: dict[str, tuple[Callable[[str, str], None], tuple[Any, Any], tuple[str, str]]] = {
        "lint": (lint_never_raises, (dockerfile(), script()), ("dockerfile", "script")),
        "fix": (props.test_fix_output_reparses_is_a_fixed_point_and_keeps_other_lines
                .hypothesis.inner_test, (dockerfile(), script()), ("dockerfile", "script")),
        "dash": (props.test_exec_form_conversion_matches_dash.hypothesis.inner_test,
                 (st.sampled_from(["app", "gunicorn"]), props._SAFE), ("program", "rest")),
    }

    def runner(kind: str, check: Callable[[str, str], None], strategies: tuple[Any, Any],
               last: dict[str, str], names: tuple[str, str]) -> Callable[[], None]:
        @volume
        @given(*strategies)
        def run(a: str, b: str) -> None:
            budget()
            counts[kind] = counts.get(kind, 0) + 1
            last.clear()
            last.update(dict(zip(names, (a, b), strict=True)))
            check(a, b)

        rounds[kind] = rounds.get(kind, 0) + 1
        if args.seed is not None:
            return seed(args.seed * 1000 + rounds[kind])(run)
        return run  # type: ignore[no-any-return]

    failing: set[str] = set()
    counts: dict[str, int] = {}
    rounds: dict[str, int] = {}
    while time.monotonic() < deadline and len(failing) < len(checks):
        for kind, (check, strategies, names) in checks.items():
            if kind in failing or time.monotonic() >= deadline:
                continue
            last: dict[str, str] = {}
            turn_end[0] = min(deadline, time.monotonic() + turn)
            try:
                runner(kind, check, strategies, last, names)()
            except OutOfTime:
                continue  # this property's turn is over
            except Exception as exc:
                traceback.print_exc()
                _save(kind, dict(last), exc)
                failing.add(kind)  # hypothesis shrank it already; fix it, then fuzz again
                found += 1
    print(f"fuzzing done: {counts} examples, {found} failing input(s) saved", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
