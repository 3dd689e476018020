"""The server is started in a way that cannot stop cleanly or reap: uWSGI without `--master`
or `--die-on-term`, or a development server as the image's server.

**Why it matters.** Measured as PID 1 (docs/pid1-behaviour.md): uWSGI without `--master` never
reaps orphans, and on SIGTERM exits at once (code 30) without a graceful stop; with `--master`
it reaps, but in uWSGI 2.0 SIGTERM means *reload*, so it never stops and `docker stop` ends in
SIGKILL — `--die-on-term` makes it exit (in 1 s).  Development servers are not built to be PID 1:
`flask run`, Django's `runserver` (`--noreload` ignores SIGTERM; with the autoreloader it exits
but SIGKILLs its serving child) and `python -m http.server` (like wsgiref, which ignored SIGTERM)
never reap orphans and never stop cleanly; `rails server` in development reloads code and logs
to the console.  Use a production server: gunicorn, uWSGI with `--master --die-on-term`, puma
with `RAILS_ENV=production`.

uWSGI options may also come from an ini file (`--ini app.ini`, `uwsgi app.ini`): entrylint reads
it when COPY puts it there from the build context (its `master` and `die-on-term`, from the
`[uwsgi]` section or the one named by `file.ini:section`). An ini it cannot read (built in RUN,
or one that includes others), another config format, or `UWSGI_*` variables: not reported.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from entrylint import facts
from entrylint.diagnostics import Diagnostic, Severity
from entrylint.fixes_catalog import uwsgi_flags_fix
from entrylint.model import ImageModel, Launch
from entrylint.model.serverconfig import flag_on
from entrylint.rulekit import at_instruction, command_instruction, placed_launches, quote_argv

ID = "EL111"
NAME = "server-misconfigured-for-pid1"
SEVERITY: Severity = "error"
SUMMARY = "uWSGI without --master/--die-on-term, or a development server, as the image's server"
POSIX = True
BAD = """
FROM python:3.12-slim
RUN pip install --no-cache-dir uwsgi flask
COPY app.py /srv/app.py
CMD ["uwsgi", "--http", ":8000", "--wsgi-file", "/srv/app.py"]
"""
GOOD = """
FROM python:3.12-slim
RUN pip install --no-cache-dir uwsgi flask
COPY app.py /srv/app.py
CMD ["uwsgi", "--master", "--die-on-term", "--http", ":8000", "--wsgi-file", "/srv/app.py"]
"""
FIX = """
*Safe* for uWSGI in exec form: adds `--master` and/or `--die-on-term` right after `uwsgi`
(uWSGI 2.1 already behaves so; the flags are accepted by every 2.x). No fix for development
servers: which production server to use is the author's choice.
"""

_CONFIG_FLAGS = ("--ini", "--yaml", "--yml", "--json", "--xml", "--config", "--emperor")
_MASTER = ("--master", "-M")


def check(model: ImageModel) -> Iterator[Diagnostic]:
    env = model.final.env
    seen: set[int] = set()
    for placed in placed_launches(model):
        launch = placed.launch
        if launch.kind != "program" or launch.where is None:
            continue
        launch = replace(launch, where=command_instruction(model, launch))
        argv = launch.argv
        name = facts.server_program(argv[0] or "")
        if name == "uwsgi":
            found = _uwsgi(model, launch, env, placed.init is not None)
        else:
            found = _dev_server(model, launch, placed.init is not None)
        if found is not None and id(found) not in seen:
            seen.add(id(found))
            yield found


def _flag(argv: list[str | None], names: tuple[str, ...]) -> bool:
    return any(a is not None and (a in names or any(a.startswith(n + "=") for n in names))
               for a in argv)


def _uwsgi(model: ImageModel, launch: Launch, env: dict[str, str | None],
           under_init: bool) -> Diagnostic | None:
    argv = launch.argv
    options = launch.options or {}  # the ini file's, read by the model
    if launch.options is None and (
            _flag(argv, _CONFIG_FLAGS) or any(a is not None and a.endswith((".ini", ".yaml",
                                                                             ".yml", ".xml"))
                                              for a in argv[1:])):
        return None  # options from a file entrylint cannot read
    if any(k.startswith("UWSGI_") for k in env):
        return None
    master = _flag(argv, _MASTER) or flag_on(options, "master")
    die = _flag(argv, ("--die-on-term",)) or flag_on(options, "die-on-term")
    if master and die:
        return None
    assert launch.where is not None
    missing = [f for f, ok in (("--master", master), ("--die-on-term", die)) if not ok]
    if not master:
        if under_init:
            severity: Severity = "info"
            why = ("without `--master` uWSGI does not stop gracefully: on SIGTERM it exits "
                   "at once, code 30 (measured; the init reaps its orphans)")
        else:
            severity = "warning"
            why = ("without `--master` uWSGI never reaps orphaned processes (zombies for the "
                   "life of the container) and on SIGTERM exits at once, code 30, without a "
                   "graceful stop (measured)")
    else:
        severity = "error"
        why = ("with `--master` but without `--die-on-term`, uWSGI 2.0 takes SIGTERM as "
               "*reload*: it never stops, and `docker stop` SIGKILLs it after the grace period "
               "(measured)")
    return at_instruction(ID, severity, model, launch.where,
                          f"`{_short(argv)}`: {why}. Add `{' '.join(missing)}`",
                          uwsgi_flags_fix(model, launch, missing))


def _dev_server(model: ImageModel, launch: Launch, under_init: bool) -> Diagnostic | None:
    what = facts.dev_server(launch.argv)
    if what is None:
        return None
    if what == "rails server":
        env = model.final.env.get("RAILS_ENV") or model.final.env.get("RACK_ENV")
        if env is not None and env != "development":
            return None
    assert launch.where is not None
    if what == "rails server":
        severity: Severity = "warning"
        why = ("runs in the development environment (no `RAILS_ENV=production`): code "
               "reloading, verbose logs, no asset precompilation")
    else:
        measured = what in ("flask run", "manage.py runserver", "django runserver",
                            "django-admin runserver") or "http.server" in what
        severity = "warning" if under_init else "error"
        why = ("is a development server: as PID 1 it ignores SIGTERM (or, with Django's "
               "autoreloader, SIGKILLs its serving child) and never reaps orphans"
               + (" (measured)" if measured else ""))
        if under_init:
            why = "is a development server, not meant to serve production traffic"
    advice = ("Set `ENV RAILS_ENV=production` (puma then runs in production mode)"
              if what == "rails server" else
              "Use a production server (gunicorn, uvicorn, or a static server)")
    return at_instruction(ID, severity, model, launch.where,
                          f"`{_short(launch.argv)}` {why}. {advice}")


def _short(argv: list[str | None]) -> str:
    text = quote_argv(argv)
    return text if len(text) <= 60 else text[:59] + "…"

