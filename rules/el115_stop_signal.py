"""The stop signal does not match the server: nginx, php-fpm and Apache httpd stop gracefully
on another signal than SIGTERM; `STOPSIGNAL SIGKILL` allows no graceful stop at all; an
inherited `STOPSIGNAL` is not one the new server handles.

**Why it matters.** `docker stop` (and Kubernetes, which reads the image's STOPSIGNAL through
the runtime) sends the image's `STOPSIGNAL`, SIGTERM by default.  nginx and php-fpm take SIGTERM
as *fast* shutdown and SIGQUIT as graceful; Apache httpd takes SIGTERM as "stop now" and
SIGWINCH as graceful-stop (their documentation: nginx "Controlling nginx", php-fpm(8), httpd
"Stopping and Restarting").  With SIGTERM, requests in flight are cut off.  The official nginx,
php-fpm and httpd images set `STOPSIGNAL SIGQUIT`/`SIGWINCH` themselves; an image that installs
the server on another base must say it.  SIGKILL and SIGSTOP cannot be handled: no clean stop
is possible.  A `STOPSIGNAL` inherited from such a base (`FROM nginx`, then a Node app as PID 1)
goes to a program that has no handler for it, which as PID 1 ignores it until SIGKILL.  A compose
service's `stop_signal` overrides the image's: when every service that runs the image sets the
same one, that is the signal judged (and no STOPSIGNAL is asked for).  The server judged is the
one that will get the signal once the missing `exec` that EL101/EL103/EL105 report is added,
so that one `check` says all the image needs.
"""

from __future__ import annotations

from collections.abc import Iterator

from entrylint import facts
from entrylint.diagnostics import Diagnostic, Severity
from entrylint.dockerfile import Instruction
from entrylint.fixes_catalog import stopsignal_fix
from entrylint.model import ImageModel, Launch, Stage
from entrylint.rulekit import Placed, at_instruction, once_fixed, placed_launches

ID = "EL115"
NAME = "stop-signal"
SEVERITY: Severity = "error"
SUMMARY = "STOPSIGNAL does not match the server's graceful stop (nginx: SIGQUIT, httpd: SIGWINCH)"
POSIX = True
BAD = """
FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends nginx \\
    && rm -rf /var/lib/apt/lists/*
CMD ["nginx", "-g", "daemon off;"]
"""
GOOD = """
FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends nginx \\
    && rm -rf /var/lib/apt/lists/*
STOPSIGNAL SIGQUIT
CMD ["nginx", "-g", "daemon off;"]
"""
FIX = """
*Safe*: adds `STOPSIGNAL SIGQUIT` (nginx, php-fpm) or `STOPSIGNAL SIGWINCH` (Apache httpd) on
the line before the final stage's `CMD`/`ENTRYPOINT` when the server that ends up as PID 1 (or
under an init, which passes the signal on) is known and the image sets no STOPSIGNAL (`httpd`
counts as Apache's only when Apache is known to be there: the httpd image, a RUN installing
`httpd`/`apache2`, its `-D FOREGROUND`; BusyBox's `httpd` has no graceful stop). Nothing
else changes: SIGTERM already stopped it, now it stops gracefully. No fix for SIGKILL or an
inherited signal: which signal the app handles is the author's knowledge.
"""


def check(model: ImageModel) -> Iterator[Diagnostic]:
    if model.start is None:
        return
    own = model.final.effective_stopsignal()
    servers = _servers(model)
    if model.compose_stop_signal is not None:
        yield from _compose(model, servers, facts.signal_name(model.compose_stop_signal))
        return
    if own is not None:
        signal = facts.signal_name(own.args.split()[0] if own.args.split() else "")
        if signal in facts.UNCATCHABLE:
            yield at_instruction(
                ID, "error", model, own,
                f"`STOPSIGNAL {own.args.strip()}` cannot be handled: `docker stop` kills the "
                f"app at once, with no chance to finish requests or flush data. Use SIGTERM "
                f"(the default), or the server's graceful-stop signal")
            return
        for launch, want, via in servers:
            if want != signal:
                yield _once(_mismatch(model, own, launch, signal, want, inherited=False), via)
                return
        return
    inherited = _base_signal(model)
    if inherited is not None:
        if servers:
            for launch, want, via in servers:
                if want != inherited:
                    yield _once(_mismatch(model, None, launch, inherited, want, inherited=True),
                                via)
            return
        placed = _pid1_program(model)
        program = placed.launch if placed is not None else None
        if placed is not None and program is not None and program.where is not None:
            base = model.final.root_image
            fate = ("the init passes it on, and a program without a handler for it dies at "
                    "once, with no graceful shutdown" if placed.init is not None else
                    "as PID 1 a program without a handler for it ignores it, and is SIGKILLed "
                    "after the grace period")
            yield at_instruction(
                ID, "warning", model, program.where,
                f"the base image {base.ref if base else ''} sets `STOPSIGNAL {inherited}`, "
                f"which `docker stop` now sends to `{program.name}`: {fate}. Add `STOPSIGNAL "
                f"SIGTERM` (or the signal it handles)")
        return
    base = model.final.root_image
    if base is not None and any(t in base.ref for t in ("{{", "%%")):
        return  # `FROM php:{{ env.variant }}`: a template, whose base may set STOPSIGNAL
    for launch, want, via in servers:
        assert launch.where is not None
        anchor = _anchor(model)
        yield _once(at_instruction(
            ID, SEVERITY, model, launch.where,
            f"`{launch.name}` stops gracefully on {want}, but the image sends SIGTERM (no "
            f"STOPSIGNAL), which makes it stop at once and cut off requests in flight. Add "
            f"`STOPSIGNAL {want}` (or compose `stop_signal: {want}`)",
            stopsignal_fix(model, anchor, want) if anchor is not None else None), via)
        return


def _once(diag: Diagnostic, via: tuple[str, ...]) -> Diagnostic:
    """A finding about the server that becomes PID 1 once ``via``'s fixes are in: it says
    so, and holds only while one of those findings is reported."""
    if via:
        diag.message = once_fixed(via) + diag.message
        diag.requires = via
    return diag


def _compose(model: ImageModel, servers: list[tuple[Launch, str, tuple[str, ...]]],
             signal: str) -> Iterator[Diagnostic]:
    """Compose's ``stop_signal`` is what ``docker compose stop`` sends: judge that one."""
    anchor = model.final.effective_stopsignal() or _anchor(model)
    if anchor is None:
        return
    if signal in facts.UNCATCHABLE:
        yield at_instruction(
            ID, "error", model, anchor,
            f"the compose services that run this image set `stop_signal: {signal}`, which "
            f"cannot be handled: the app is killed at once, with no clean stop")
        return
    for launch, want, via in servers:
        if want != signal:
            yield _once(at_instruction(
                ID, SEVERITY, model, anchor,
                f"`{launch.name}` stops gracefully on {want}, but the compose services that "
                f"run this image set `stop_signal: {signal}`. Use `stop_signal: {want}`"), via)
            return


def _mismatch(model: ImageModel, own: Instruction | None, launch: Launch, signal: str,
              want: str, *, inherited: bool) -> Diagnostic:
    where = own if own is not None else launch.where
    assert where is not None
    source = "inherited from the base image" if inherited else f"line {where.start_line}"
    return at_instruction(
        ID, SEVERITY, model, where,
        f"`{launch.name}` stops gracefully on {want}, but the STOPSIGNAL is {signal} ({source}). "
        f"Use `STOPSIGNAL {want}`")


def _servers(model: ImageModel) -> list[tuple[Launch, str, tuple[str, ...]]]:
    """The known servers that end up as PID 1, or as an init's child (inits pass the stop
    signal on), with the signal each stops gracefully on and the rules whose reported fixes
    make it PID 1 (EL101's exec form, EL103's exec: none when it is PID 1 already)."""
    out: list[tuple[Launch, str, tuple[str, ...]]] = []
    pid1 = {id(c) for c in model.pid1_candidates()}
    after = {id(c): (c, via) for c, via in model.pid1_after_fixes() if via}
    placed_all = placed_launches(model)
    seen = {id(p.launch) for p in placed_all}
    # a script's final child that EL103's exec makes PID 1 is not in the chain until then
    placed_all += [Placed(c, None, None) for c, _ in after.values() if id(c) not in seen]
    for placed in placed_all:
        launch = placed.launch
        if launch.kind != "program" or launch.where is None:
            continue
        via = after[id(launch)][1] if id(launch) in after else ()
        if id(launch) not in pid1 and placed.init is None and not via:
            continue
        if (placed.parent is not None and placed.parent.kind == "shell-c"
                and placed.parent.stays and not via):
            continue  # a shell stays PID 1 in front of it whatever is fixed
        program = facts.server_program(launch.argv[0] or "")
        want = facts.GRACEFUL_STOP.get(program)
        if program == "httpd" and not _apache_httpd(model, launch):
            continue  # BusyBox has an `httpd` too, which has no graceful-stop signal
        if want is not None and "-t" not in launch.argv and "-v" not in launch.argv:
            out.append((launch, want, via))
    return out


def _apache_httpd(model: ImageModel, launch: Launch) -> bool:
    """Whether ``httpd`` is Apache's: BusyBox (the busybox image, Alpine's busybox-extras)
    has an ``httpd`` applet that ignores SIGWINCH, so Apache must be known: its own path
    (``/usr/local/apache2/bin/httpd``), its ``-D FOREGROUND``, the httpd image, or a RUN
    that installs ``httpd``/``apache2``."""
    argv = [a or "" for a in launch.argv]
    if "apache" in argv[0] or any(a in ("-DFOREGROUND", "FOREGROUND") for a in argv[1:]):
        return True
    base = model.final.root_image
    if base is not None and base.ref.rsplit("/", 1)[-1].split(":")[0] == "httpd":
        return True
    stage: Stage | None = model.final
    while stage is not None:
        for ins in stage.all_of("RUN"):
            if any(facts.installed_by_run(ins.args, p) not in (None, "pip")
                   for p in ("httpd", "apache2")):
                return True
        stage = stage.base_stage
    return False


def _base_signal(model: ImageModel) -> str | None:
    base = model.final.root_image
    return facts.base_stopsignal(base.ref) if base is not None else None


def _pid1_program(model: ImageModel) -> Placed | None:
    """The program that gets the stop signal: PID 1, or the child of the init in front."""
    pid1 = {id(c) for c in model.pid1_candidates()}
    for placed in placed_launches(model):
        if placed.launch.kind == "program" and (id(placed.launch) in pid1
                                                or placed.init is not None):
            return placed
    return None


def _anchor(model: ImageModel) -> Instruction | None:
    """Where the new STOPSIGNAL goes: before the final stage's CMD or ENTRYPOINT."""
    found = [i for i in (model.final.entrypoint, model.final.cmd) if i is not None]
    return min(found, key=lambda i: i.start) if found else None
