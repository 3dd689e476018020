"""The bundled examples/ show each pitfall, as the README says, and good/ is clean."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli_helpers import invoke_in, shown

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
# EL104 also where the program that the EL101/EL103/EL105 fix makes PID 1 never reaps
EXPECTED = {
    "shell-form": {"EL101", "EL104"},
    "shell-entrypoint": {"EL102"},
    "start-script": {"EL103", "EL104"},
    "node-no-init": {"EL104"},
    "paas-sh-c": {"EL105", "EL104"},
    "good": set(),
}


def test_each_example_shows_its_pitfall() -> None:
    r = invoke_in(EXAMPLES, ["check", "--format", "json", "."])
    assert r.exit_code == 1
    found: dict[str, set[str]] = {name: set() for name in EXPECTED}
    prefix = shown(EXAMPLES, ".")  # reports name files from the checkout's root
    for d in json.loads(r.stdout):
        found[d["path"].removeprefix(prefix + "/").split("/")[0]].add(d["rule"])
    assert found == EXPECTED
    assert {p.name for p in EXAMPLES.iterdir() if p.is_dir()} == set(EXPECTED)
