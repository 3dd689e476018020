"""`npm start` (or yarn, pnpm, npx) starts the app: the package manager stays PID 1.

**Why it matters.** `npm start` runs the package's `start` script through `sh -c` as a child
and stays its parent.  Measured as PID 1 (docs/pid1-behaviour.md): on SIGTERM npm exits within
0.5 s without waiting for the app, and the kernel SIGKILLs the app with the namespace — it never
shuts down cleanly; under `tini --` (and so `docker run --init`) the same happens, because tini
signals only npm.  yarn, pnpm and npx run scripts and binaries as children the same way (their
documentation).  Run the app itself (`CMD ["node", "server.js"]`, what `scripts.start` says), or
if the package manager must stay, put `tini -g` in front: it signals the whole process group
(measured: the app then gets SIGTERM).  `npm ci`/`npm run build` in `RUN` are not affected.
"""

from __future__ import annotations

from collections.abc import Iterator

from entrylint import facts
from entrylint.diagnostics import Diagnostic, Severity
from entrylint.fixes_catalog import package_script_argv, package_script_fix
from entrylint.model import ImageModel
from entrylint.rulekit import (
    at_command,
    at_instruction,
    final_commands,
    init_of_script,
    quote_argv,
    run_dependence,
    signals_group,
    swallowers_at_instructions,
)

ID = "EL110"
NAME = "package-manager-launcher"
SEVERITY: Severity = "error"
SUMMARY = "npm/yarn/pnpm/npx start the app as a child and do not pass SIGTERM on"
POSIX = True
BAD = """
FROM node:22-slim
WORKDIR /app
COPY . .
CMD ["npm", "start"]
"""
GOOD = """
FROM node:22-slim
WORKDIR /app
COPY . .
CMD ["node", "server.js"]
"""
FIX = """
*Unsafe*: replaces `CMD ["npm", "start"]` (or `npm run NAME`) with the exec form of the script
that package.json in the final stage's WORKDIR gives, when it is one simple command (`node
server.js`). Unsafe because `prestart`/`poststart` scripts stop running and npm no longer puts
`node_modules/.bin` on PATH nor sets `npm_*` variables. No fix when the script needs a shell or
package.json is not in the build context.
"""

#: Subcommands that install or build: they finish, so they are not a launcher.
_NOT_LAUNCHING = frozenset({"install", "i", "ci", "add", "build", "prune", "rebuild",
                            "config", "cache", "--version", "-v"})


def check(model: ImageModel) -> Iterator[Diagnostic]:
    for placed, where in swallowers_at_instructions(model, facts.PACKAGE_MANAGERS):
        launch = placed.launch
        if not _launches(launch.argv) or signals_group(placed.init):
            continue
        yield at_instruction(ID, SEVERITY, model, where, _message(model, launch.argv),
                             package_script_fix(model, where, launch.argv))
    for script in model.scripts:
        if signals_group(init_of_script(model, script)):
            continue
        for cmd, argv in final_commands(script):
            if not argv or argv[0] not in facts.PACKAGE_MANAGERS or not _launches(argv):
                continue
            yield at_command(ID, SEVERITY, script, cmd, _message(model, argv))


def _launches(argv: list[str | None]) -> bool:
    sub = argv[1] if len(argv) > 1 else None
    return sub is None or sub not in _NOT_LAUNCHING


def _message(model: ImageModel, argv: list[str | None]) -> str:
    shown = quote_argv(argv)
    name = argv[0]
    resolved = package_script_argv(model, argv)
    key = "command:" if model.service is not None else "CMD"
    run = (f"`{key} {_json(resolved)}` (what package.json's script runs)" if resolved
           else f"the app itself in exec form (`{key} [\"node\", \"server.js\"]`)")
    how = ("measured: npm exits within 0.5 s and the app is SIGKILLed"
           if name == "npm" else f"{name} runs it as a child like npm does")
    return (f"`{shown}` stays PID 1 and runs the app through `sh -c` as its child: on SIGTERM "
            f"the app never shuts down cleanly ({how}), and `tini --` does not help"
            f"{run_dependence(model)}. Run {run}, or put `tini -g --` in front")


def _json(argv: list[str]) -> str:
    import json

    return json.dumps(argv)

