"""`npm start` (or yarn, pnpm, npx) starts the app: the package manager stays PID 1.

**Why it matters.** `npm start` runs the package's `start` script through `sh -c` as a child
and stays its parent.  Measured as PID 1 (docs/pid1-behaviour.md): on SIGTERM npm exits within
0.5 s without waiting for the app, and the kernel SIGKILLs the app with the namespace — it never
shuts down cleanly; under `tini --` (and so `docker run --init`) the same happens, because tini
signals only npm.  The same goes for `npm run NAME` and `npm run-script NAME`.

**Measured the same way** (docs/pid1-behaviour.md), with an app that stops at once and one
that takes 1 s to stop: `npx PROGRAM` (`npm exec`, npm 11) runs the program through `sh -c`
and loses SIGTERM like `npm start`; `yarn start` with yarn 1 (the yarn the official node images
ship) runs `sh -c` and exits at once on SIGTERM, the app is SIGKILLed; `pnpm start` (pnpm 10)
runs `sh -c` and gets SIGTERM to the app, but exits at once (status 1) without waiting, so an
app that needs any time to stop is SIGKILLed; only yarn 4 (berry, its own shell, no `sh -c`)
passes SIGTERM on and waits for the app — but it stays PID 1 and never reaps.  So npm, npx,
yarn (which yarn an image has is not known from the Dockerfile) and pnpm are errors.
`yarn NAME`, `yarn run NAME` and `pnpm run NAME` are reported like `start`.

**`tini -g` is not enough.**  `tini -g` (and dumb-init) signal the whole process group, so the
app gets SIGTERM; but npm and pnpm exit at once, tini exits with its child, and an app that
takes 1 s to stop is SIGKILLed (measured: `tini -g -- npm run slow`, `tini -g -- pnpm run
slow`).  Under such an init EL110 is a *warning*: only an app that stops at once gets away.

**bun** (not measured).  `bun run NAME` / `bun NAME` is reported when NAME is a package.json
script (or a bare name, which bun looks up as a script or a node_modules/.bin
program), as a *warning*: bun runs it in a shell as its child (bun's documentation), and whether
bun passes SIGTERM on is not measured; `bun server.ts` and `bun run src/index.js` run the file in
bun's own process, the app itself, and are not reported.

Run the app itself (`CMD ["node", "server.js"]`, what `scripts.start` says), under an init
if it does not reap.  `npm ci`/`npm run build` in `RUN` are not affected.
"""

from __future__ import annotations

from collections.abc import Iterator

from entrylint import facts
from entrylint.diagnostics import Diagnostic, Severity
from entrylint.fixes_catalog import package_script_argv, package_script_fix, package_script_hooks
from entrylint.model import ImageModel, Launch
from entrylint.rulekit import (
    at_command,
    at_instruction,
    command_instruction,
    final_commands,
    init_of_script,
    placed_launches,
    quote_argv,
    run_dependence,
    signals_group,
    swallowers_at_instructions,
)

ID = "EL110"
NAME = "package-manager-launcher"
SEVERITY: Severity = "error"
SUMMARY = "npm/yarn/pnpm/npx stay PID 1 as the app's parent (npm, npx, yarn 1 lose SIGTERM)"
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
that package.json in the final stage's WORKDIR gives, when it is one simple command of `node`
(or `bun`, `deno`, or a path) with no shell syntax and no variable assignments (`node
server.js`). Unsafe because npm no longer puts `node_modules/.bin` on PATH nor sets `npm_*`
variables. No fix when the script needs a shell, sets variables, names a node_modules/.bin
program (`next start`), when package.json has a `prestart`/`poststart` script (it would
silently stop running: the message says so), or when package.json is not in the build context.
The same for `yarn NAME`, `pnpm NAME` and `bun run NAME`.
"""

#: Subcommands that install or build: they finish, so they are not a launcher.
_NOT_LAUNCHING = frozenset({"install", "i", "ci", "add", "build", "prune", "rebuild",
                            "config", "cache", "--version", "-v"})


def check(model: ImageModel) -> Iterator[Diagnostic]:
    for placed, where in swallowers_at_instructions(model, facts.PACKAGE_MANAGERS):
        launch = placed.launch
        if not _launches(launch.argv) or _covered(launch.name, placed.init):
            continue
        yield at_instruction(ID, _severity(launch.name, placed.init), model, where,
                             _message(model, launch.argv, placed.init),
                             package_script_fix(model, where, launch.argv))
    for placed in placed_launches(model):
        launch = placed.launch
        if launch.kind != "program" or launch.where is None or signals_group(placed.init) \
                or facts.runs_package_script(launch.argv, model.package_scripts) is None:
            continue
        if placed.parent is not None and placed.parent.kind == "script":
            continue  # the script names it: reported at the script's command
        where = command_instruction(model, launch) or launch.where
        yield at_instruction(ID, "warning", model, where, _message(model, launch.argv),
                             package_script_fix(model, where, launch.argv))
    for script in model.scripts:
        init = init_of_script(model, script)
        for cmd, argv in final_commands(script):
            if not argv or not ((argv[0] in facts.PACKAGE_MANAGERS and _launches(argv)) or
                                facts.runs_package_script(argv, model.package_scripts)):
                continue
            if argv[0] is None or _covered(argv[0], init) or \
                    (argv[0] not in facts.PACKAGE_MANAGERS and signals_group(init)):
                continue
            yield at_command(ID, _severity(argv[0], init), script, cmd,
                             _message(model, argv, init))


def _severity(name: str | None, init: Launch | None) -> Severity:
    """error when a measured version lets the app be SIGKILLed (npm, npx, yarn 1, pnpm 10,
    which does not wait for it); warning under ``tini -g`` (an app that stops at once gets
    SIGTERM in time) and for what is not measured (bun)."""
    if signals_group(init):
        return "warning"
    return SEVERITY if name is not None and facts.launcher_loses_sigterm(name) else "warning"


def _covered(name: str, init: Launch | None) -> bool:
    """Any init helps a launcher all of whose measured versions pass SIGTERM on and wait for
    the app (none today: yarn 4 does, yarn 1 does not): the init reaps, the app stops."""
    return init is not None and bool(facts.launchers_of(name)) and \
        not facts.launcher_loses_sigterm(name)


def _launches(argv: list[str | None]) -> bool:
    sub = argv[1] if len(argv) > 1 else None
    return sub is None or sub not in _NOT_LAUNCHING


def _message(model: ImageModel, argv: list[str | None], init: Launch | None = None) -> str:
    shown = quote_argv(argv)
    name = argv[0]
    resolved = package_script_argv(model, argv)
    key = "command:" if model.service is not None else "CMD"
    hooks = package_script_hooks(model, argv)
    run = (f"`{key} {_json(resolved)}` (what package.json's script runs)" if resolved
           else f"the app itself in exec form (`{key} [\"node\", \"server.js\"]`)")
    if hooks:
        run += (f" once what package.json's `{'`/`'.join(hooks)}` "
                f"script{'s' if len(hooks) > 1 else ''} do{'' if len(hooks) > 1 else 'es'} "
                f"is done elsewhere (no automatic fix: {'they' if len(hooks) > 1 else 'it'} "
                f"would stop running)")
    if name == "bun":
        return (f"`{shown}` runs a package.json script (or a node_modules/.bin program) in a "
                f"shell as its child, and stays resident as its parent (bun's documentation); "
                f"whether bun passes SIGTERM on is not measured, and the shell between them "
                f"does not{run_dependence(model)}. Run {run}, or put `tini -g --` in front")
    if signals_group(init) and init is not None:
        return (f"`{shown}` stays the app's parent: `{init.name}` signals the whole process "
                f"group, so the app gets SIGTERM, but {name} exits without waiting for it, and "
                f"the init exits with {name}: an app that needs time to stop (closing "
                f"connections, flushing) is SIGKILLed (measured with npm and pnpm, a server "
                f"that takes 1 s to stop). Run {run}")
    if name == "pnpm":
        return (f"`{shown}` stays PID 1 and runs the app through `sh -c` as its child: "
                f"measured (pnpm 10), it passes SIGTERM on but exits at once with status 1, "
                f"without waiting, so an app that needs time to stop is SIGKILLed; it never "
                f"reaps, and `tini --` or `tini -g --` does not help{run_dependence(model)}. "
                f"Run {run}")
    how = {"npm": "measured: npm exits within 0.5 s and the app is SIGKILLed",
           "npx": "measured: npx (`npm exec`) exits within 0.5 s and the app is SIGKILLed",
           "yarn": "measured: yarn 1, which the node images ship, exits at once and the app "
                   "is SIGKILLed; yarn 4 passes SIGTERM on and waits, but never reaps"
           }.get(name or "", f"{name} runs it as a child like npm does; not measured")
    return (f"`{shown}` stays PID 1 and runs the app as its child: on SIGTERM "
            f"the app never shuts down cleanly ({how}), and `tini --` does not help"
            f"{run_dependence(model)}. Run {run} (`tini -g --` in front gets SIGTERM to "
            f"the app, but not the time to stop: {name} exits at once, and tini with it)")


def _json(argv: list[str]) -> str:
    import json

    return json.dumps(argv)

