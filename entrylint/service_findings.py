"""The findings of what a compose service starts instead of the image's ENTRYPOINT/CMD.

A service that overrides the start-up (``command:``/``entrypoint:``) gets its own model
(:class:`entrylint.model.ServiceRun`) and the rules run on it.  What they find is merged into
the image's findings: a finding the image's own start-up already has is not repeated; one at
the Dockerfile (a rule that points at the ENTRYPOINT the service keeps) moves to the service's
override, where the difference is; every one names the service.  A Dockerfile that several
services run gets one finding per service that starts something else.  None carries a fix:
entrylint does not rewrite compose files (keeping every other byte of YAML exactly is more
than a text edit can promise), and a script fix judged under one service's start-up may not
hold under the image's.
"""

from __future__ import annotations

import shlex
from dataclasses import replace

from entrylint.diagnostics import Diagnostic
from entrylint.model import ImageModel, ServiceRun, display_path


def merged(model: ImageModel, run: ServiceRun, found: list[Diagnostic],
           reported: list[Diagnostic]) -> list[Diagnostic]:
    """The findings of ``run``'s start-up that ``reported`` (the image's and the services'
    so far) does not already have, placed and worded for the service."""
    seen = {(d.rule, d.path, d.start) for d in reported}
    compose = run.service.file
    argv = shlex.join(run.at.exec_form or [])
    name = f"compose service `{run.service.name}`"
    out: list[Diagnostic] = []
    for d in found:
        if d.path == model.source.path:
            # the rule points at the Dockerfile; the service's override is what differs
            d = replace(d, path=compose.path, start=run.at.start,
                        end=max(compose.line_end(run.at.start_line), run.at.start),
                        notes=list(d.notes))
        if (d.rule, d.path, d.start) in seen:
            continue
        seen.add((d.rule, d.path, d.start))
        prefix = (f"{name} (`{run.at.key}: {argv}`): " if d.path == compose.path else
                  f"{name} ({display_path(compose.path)}:{run.at.start_line}) runs this: ")
        why = "entrylint does not rewrite compose files" if d.path == compose.path else \
            "the finding comes from a compose service's start-up"
        message = prefix + d.message
        if d.fix is not None:
            message += f" (no automatic fix: {why})"
            d.notes.append(f"no automatic fix: {why}")
        out.append(replace(d, message=message, fix=None))
    return out
