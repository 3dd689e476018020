"""``--statistics``: how many findings of each rule, most frequent first (as ruff has it)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence

from entrylint.diagnostics import Applicability, Diagnostic


def rows(diags: Sequence[Diagnostic]) -> list[dict[str, object]]:
    """``{rule, name, count, fixable}`` per rule, by count (descending), then rule id."""
    from entrylint.docs import find_rule

    counts = Counter(d.rule for d in diags)
    safe = Counter(d.rule for d in diags
                   if d.fix is not None and d.fix.applicability is Applicability.SAFE)
    out: list[dict[str, object]] = []
    for rule, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        doc = find_rule(rule)
        out.append({"rule": rule, "name": doc.name if doc is not None else "", "count": n,
                    "fixable": safe[rule]})
    return out


def render(diags: Sequence[Diagnostic], fmt: str) -> str:
    """The table as text (``COUNT RULE [*] NAME``; ``[*]`` when some have a safe fix) or as a
    JSON array for ``--format json``."""
    table = rows(diags)
    if fmt == "json":
        return json.dumps(table, indent=2) + "\n"
    if not table:
        return ""
    width = max(len(str(r["count"])) for r in table)
    return "".join(f"{str(r['count']).rjust(width)}  {r['rule']}  "
                   f"{'[*]' if r['fixable'] else '   '} {r['name']}\n" for r in table)
