"""PID 1 is a program that never reaps orphaned processes.

**Why it matters.** Every process whose parent dies is re-parented to PID 1.  A PID 1 that never
calls `waitpid()` on them leaves each one a zombie for the life of the container; they fill the
process table.  Most servers do not reap children they did not start: measured, wsgiref, the
Flask and Django dev servers, Tornado, waitress, uWSGI without `--master`, node and plain
Python apps all left every orphan a zombie; so did redis-server and haproxy without `-W`.
Servers measured to reap as PID 1 and stop on SIGTERM (gunicorn, uWSGI with `--master`, Apache
httpd, `sshd -D`, haproxy `-W`, `exim -bdf`, pure-ftpd, `dnsmasq -k`; nginx, postgres and
php-fpm from their source) are not reported,
nor is an init in front (tini, dumb-init, docker-init, catatonit, s6-overlay's `/init`, runit,
supervisord, systemd), nor a service that compose runs with `init: true`, nor an interactive
shell (`CMD ["bash"]`: a shell reaps what it inherits).  A Dockerfile that sets no
ENTRYPOINT or CMD runs its base image's: `FROM ruby:3` alone starts `irb`, `FROM node:22`
starts `node` through `docker-entrypoint.sh` (from entrylint's base-image table, or from the
Dockerfile of the repository that builds the base image); the message says so.

Where "never reaps" is not the truth, the message says what is (measured): vsftpd reaps, but
dies (SIGSEGV) on a process it did not start and ignores SIGTERM as PID 1; Debian's `cron -f`
reaps but ignores SIGTERM.  `exim -bd` (without `-v`), `sshd` without `-D` and `dnsmasq`
without `-k` fork into the background, so PID 1 exits at once and the container stops: an init
would not help, the flag does (no fix).  Where the flags come from a variable entrylint cannot
read (`sshd $OPTS`, `haproxy $OPTS`), nothing is said.

A small init fixes it: `ENTRYPOINT ["tini", "--"]` reaps orphans and forwards signals.
"""

from __future__ import annotations

from collections.abc import Iterator

from entrylint import baseimages, facts, knowledge
from entrylint.diagnostics import Diagnostic, Severity
from entrylint.fixes import init_fix, no_init_fix_reason
from entrylint.model import INTERACTIVE_SHELL, ImageModel, Launch
from entrylint.rulekit import at_instruction, once_fixed, quote_argv

ID = "EL104"
NAME = "no-init"
SEVERITY: Severity = "warning"
SUMMARY = "PID 1 never reaps orphans: run it under an init such as tini"
POSIX = True
BAD = """
FROM node:22-slim
COPY . /app
CMD ["node", "/app/server.js"]
"""
GOOD = """
FROM node:22-slim
RUN apt-get update && apt-get install -y --no-install-recommends tini \\
    && rm -rf /var/lib/apt/lists/*
COPY . /app
ENTRYPOINT ["tini", "--", "docker-entrypoint.sh"]
CMD ["node", "/app/server.js"]
"""
FIX = """
*Safe*: installs tini the way the final stage's base image wants it (`apk add --no-cache tini`
on Alpine and Wolfi, `apt-get install -y --no-install-recommends tini` on Debian/Ubuntu) right
after the stage's last package install, or else after `FROM` and its ARG/ENV/LABEL lines
(before any `USER`; under `USER root` … `USER <user>` when a non-root user is inherited, the
base image's included); no install when the image already puts tini there, which is then run
by the path it has (`ADD …/tini-static /tini` → `"/tini"`). Then prepends `"tini", "--"` to
the stage's exec-form `ENTRYPOINT`, or adds `ENTRYPOINT ["tini", "--"]` before the stage's
`CMD`, keeping the base image's own ENTRYPOINT after `--` when it has one
(`["tini", "--", "docker-entrypoint.sh"]` over postgres or node). `tini -g` when PID 1 would be
npm/yarn/su (they do not forward SIGTERM). The facts come from entrylint's base-image table
(`entrylint/data`, with a source for each); a fact it lacks makes the fix unsafe and the
message names it. No fix for a stage that inherits its `CMD` (a new ENTRYPOINT resets it), or
a shell-form `ENTRYPOINT` (EL102 converts it first). Which images get which fix:

"""
FIX += baseimages.init_fix_summary()



NEVER_REAPS = ("never reaps orphaned processes: they stay zombies for the life of the "
               "container")


def _known_argv(candidate: Launch) -> list[str]:
    argv = [a or "" for a in candidate.argv]
    if candidate.kind == "program" and argv:
        return [facts.server_program(argv[0]), *argv[1:]]
    return argv


def _what_is_wrong(candidate: Launch, flaw: knowledge.Pid1Flaw | None) -> str:
    """Completes "PID 1 will be `X`, which ...": the measured flaw, or that it never reaps
    (and the flag with which it would, for haproxy)."""
    if flaw is not None:
        return flaw.what
    flag = knowledge.reaping_flag(_known_argv(candidate))
    if flag is None:
        return NEVER_REAPS
    return f"{NEVER_REAPS} (with `{flag}` it reaps them itself)"


def _non_reaping(candidate: Launch) -> bool:
    argv = [a or "" for a in candidate.argv]
    if candidate.kind == "program":
        if candidate.shell_kind is not None and candidate.how == INTERACTIVE_SHELL:
            return False  # a shell reaps what it inherits (docs/pid1-behaviour.md)
        if facts.server_program(argv[0]) in facts.FLAG_FIXABLE_SERVERS:
            return False  # uWSGI without --master: EL111 says which flags make it reap
        if None in candidate.argv[1:] and knowledge.flag_decides(_known_argv(candidate)):
            return False  # `sshd $OPTS`: the word we cannot read may be `-D`
        return not knowledge.reaps([facts.server_program(argv[0]), *argv[1:]])
    return candidate.kind == "swallower" and not knowledge.reaps(argv)


def check(model: ImageModel) -> Iterator[Diagnostic]:
    if model.start is None or model.compose_init or model.assumes_base_entrypoint:
        # an unknown base ENTRYPOINT may well be an init: nothing to say about reaping
        return
    after = [(c, via) for c, via in model.pid1_after_fixes() if _non_reaping(c)]
    if any(not via for _, via in after):
        after = [(c, via) for c, via in after if not via]  # PID 1 already, whatever is fixed
    offenders = [c for c, _ in after]
    if not offenders:
        return
    fixes = sorted({rule for _, via in after for rule in via})
    where = next((c.where for c in offenders if c.where is not None), None)
    if where is None:
        return
    named: dict[str, str] = {}  # shown command -> what is wrong with it as PID 1
    flaws = [knowledge.pid1_flaw(_known_argv(c)) for c in offenders]
    for c, flaw in zip(offenders, flaws, strict=True):
        text = quote_argv(c.argv)
        if len(text) > 50:
            text = text[:49] + "…"
        named.setdefault(text, _what_is_wrong(c, flaw))
    if len(set(named.values())) == 1:
        shown = " / ".join(f"`{n}`" for n in named) + ", which " + next(iter(named.values()))
    else:
        shown = ", or ".join(f"`{n}`, which {what}" for n, what in named.items())
    once = once_fixed(fixes) if fixes else ""
    assumed = next((launch.assumed for launch in model.start.walk() if launch.assumed), None)
    suffix = f" ({assumed})" if assumed is not None else ""
    if all(f is not None and not f.init_helps for f in flaws):
        # an init does not help (exim -bd forks away): the program's own flag does
        diag = at_instruction(ID, SEVERITY, model, where,
                              f"{once}PID 1 will be {shown}.{suffix}", None)
        diag.requires = tuple(fixes)
        diag.notes.append("no automatic fix: an init in front would exit with it")
        yield diag
        return
    swallowers = [c for c in offenders if c.kind == "swallower"]
    fix = init_fix(model, process_group=bool(swallowers))
    why_not = no_init_fix_reason(model)
    if swallowers:
        init = ('`ENTRYPOINT ["tini", "-g", "--"]` (`-g`: ' + swallowers[0].name +
                " keeps SIGTERM from the app, and tini -g signals the whole process group; "
                "see " + ("EL110" if swallowers[0].name in facts.PACKAGE_MANAGERS else "EL108")
                + ")")
    else:
        init = '`ENTRYPOINT ["tini", "--"]`'
    how = (f"`init: true` in the service, or {init} in the image" if model.service is not None
           else f"{init}, or `docker run --init` / compose `init: true` where the container "
                f"is run that way (Kubernetes has no --init)")
    message = f"{once}PID 1 will be {shown}. Run it under an init: {how}{suffix}"
    diag = at_instruction(ID, SEVERITY, model, where, message, fix)
    diag.requires = tuple(fixes)
    if fix is None and why_not is not None:
        diag.notes.append(f"no automatic fix: {why_not}")
        diag.message += f" (no automatic fix: {why_not})"
    yield diag

