"""Several `CMD`, `ENTRYPOINT`, `STOPSIGNAL` or `HEALTHCHECK` in one stage: only the last counts.

**Why it matters.** Docker keeps only the last of each of these instructions in a stage; the
earlier ones are silently dropped.  Two `CMD`s usually mean the author expected both commands to
run (they never do: use a script or a supervisor), and an earlier `STOPSIGNAL` or `HEALTHCHECK`
that a later one overrides is a setting that looks active and is not.  The image works only if
the last one happens to be the one that was meant.  Checked in the final stage (the one that
runs); instructions in earlier build stages do not reach the image.
"""

from __future__ import annotations

from collections.abc import Iterator

from entrylint.diagnostics import Diagnostic, Severity
from entrylint.fixes_catalog import remove_instruction_fix
from entrylint.model import ImageModel
from entrylint.rulekit import at_instruction

ID = "EL114"
NAME = "duplicate-instruction"
SEVERITY: Severity = "warning"
SUMMARY = "Several CMD/ENTRYPOINT/STOPSIGNAL/HEALTHCHECK in the final stage: only the last counts"
BAD = """
FROM ruby:3.3-slim
CMD ["bundle", "exec", "sidekiq"]
CMD ["bundle", "exec", "puma", "-C", "config/puma.rb"]
"""
GOOD = """
FROM ruby:3.3-slim
CMD ["bundle", "exec", "puma", "-C", "config/puma.rb"]
"""
FIX = """
*Unsafe*: removes the earlier instructions. The last one is what runs today, so the image does
not change, but the author may have meant an earlier one.
"""

_KEYWORDS = ("CMD", "ENTRYPOINT", "STOPSIGNAL", "HEALTHCHECK")


def check(model: ImageModel) -> Iterator[Diagnostic]:
    if _templated(model.source.data):
        return  # a Dockerfile.template: its {{ if }} blocks choose one of the instructions
    for keyword in _KEYWORDS:
        found = model.final.all_of(keyword)
        if len(found) < 2:
            continue
        last = found[-1]
        for ins in found[:-1]:
            yield at_instruction(
                ID, SEVERITY, model, ins,
                f"this {keyword} has no effect: the {keyword} of line {last.start_line} "
                f"replaces it (Docker keeps only the last one of a stage)"
                + (". To run several processes use a script with trap-and-wait or a "
                   "supervisor" if keyword == "CMD" else ""),
                remove_instruction_fix(model, ins),
            )


def _templated(data: bytes) -> bool:
    """A template (the official images' jq/Go-template ``Dockerfile.template``), not a
    Dockerfile: lines that start with ``{{``."""
    return data.startswith(b"{{") or b"\n{{" in data
