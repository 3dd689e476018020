"""What entrylint knows about programs, shells and base images.

Every fact here is either measured (``../shared/reference/pid1-behaviour.md``, reproduced by
``bench/pid1_table.py`` into ``docs/pid1-behaviour.md``) or marked ``source`` when it comes
from reading the program's source.  Rules consult this module; they never hard-code names.
A test (``tests/test_knowledge_agrees.py``) checks the measured entries against the table
that ``entrylint probe`` produced.
"""

from __future__ import annotations

import functools
import posixpath
import re
from dataclasses import dataclass
from typing import Literal

from entrylint.baseimages import (
    BaseImage,
    Distro,
    EntrypointKind,
    ShellKind,
    describe_base,
    exec_wrapper_scripts,
    split_image_ref,
)

__all__ = ["BaseImage", "Distro", "EntrypointKind", "ShellKind", "describe_base",
           "split_image_ref"]

Evidence = Literal["measured", "source"]


@dataclass(frozen=True)
class Reaper:
    """A program that reaps orphans when it runs as PID 1."""

    name: str
    evidence: Evidence
    #: A flag the program needs for it (uWSGI reaps only with ``--master``).
    needs_any_flag: tuple[str, ...] = ()
    periodic: bool = False


#: Inits: they reap orphans and forward signals to their child.
INITS: dict[str, Evidence] = {
    "tini": "measured",
    "tini-static": "measured",
    "docker-init": "source",
    "dumb-init": "measured",
    "catatonit": "source",
    "s6-svscan": "source",
    "runsvdir": "source",
    "runit": "source",
    "my_init": "source",  # phusion baseimage
    "supervisord": "source",
    "systemd": "source",
    "init": "source",  # /sbin/init (systemd, sysvinit) and s6-overlay's /init; see is_init()
}

#: The flags that keep sshd / dnsmasq in the foreground (without one they fork into the
#: background, measured: PID 1 exits at once).  ``--keep-in-foreground`` and ``--no-daemon``
#: are the long names of dnsmasq's ``-k`` and ``-d``.
_SSHD_FOREGROUND = ("-D", "-De", "-eD")
_DNSMASQ_FOREGROUND = ("-k", "--keep-in-foreground", "-d", "--no-daemon")
_EXIM_BACKGROUND = ("forks into the background (`-bd` without `-v`): PID 1 exits at once and "
                    "the container stops; `-bdf` keeps it in the foreground, where it reaps "
                    "and stops on SIGTERM")
#: exim -bd stays in the foreground with -v (measured) or -d (debugging; from exim's manual)
_EXIM_FOREGROUND = ("-bdf", "-v")

#: Servers that reap orphans themselves when they are PID 1.
REAPERS: dict[str, Reaper] = {
    r.name: r
    for r in (
        Reaper("gunicorn", "measured"),
        Reaper("uwsgi", "measured", needs_any_flag=("--master", "-M"), periodic=True),
        Reaper("httpd", "measured", periodic=True),
        Reaper("apache2", "measured", periodic=True),
        Reaper("apachectl", "measured", periodic=True),
        Reaper("apache2ctl", "measured", periodic=True),
        # The official php:*-apache and wordpress images' CMD: a script that ends in
        # `exec apache2 -DFOREGROUND "$@"` (source).
        Reaper("apache2-foreground", "source", periodic=True),
        # The official httpd image's CMD: `exec httpd -DFOREGROUND "$@"` (source).
        Reaper("httpd-foreground", "source", periodic=True),
        Reaper("nginx", "source"),
        Reaper("postgres", "source"),
        Reaper("postmaster", "source"),
        Reaper("php-fpm", "source"),
        # Daemons measured as PID 1 (bench/pid1_daemons.py, Debian 12's packages): each
        # reaped every injected orphan at once and exited on SIGTERM.
        Reaper("haproxy", "measured", needs_any_flag=("-W", "-Ws")),  # master-worker only
        Reaper("sshd", "measured", needs_any_flag=_SSHD_FOREGROUND),
        Reaper("exim4", "measured", needs_any_flag=_EXIM_FOREGROUND),
        Reaper("exim", "measured", needs_any_flag=_EXIM_FOREGROUND),  # Debian: a link to exim4
        Reaper("pure-ftpd", "measured"),
        Reaper("dnsmasq", "measured", needs_any_flag=_DNSMASQ_FOREGROUND),
        # not a server, but measured to reap as PID 1 (the `sudo -u nobody app` row)
        Reaper("sudo", "measured"),
    )
}

#: Servers measured *not* to reap as PID 1 (also the default for any unknown program).
NON_REAPERS_MEASURED: frozenset[str] = frozenset(
    {
        "wsgiref",
        "flask",
        "django-runserver",
        "tornado",
        "waitress-serve",
        "uwsgi-no-master",
        "node",
        "haproxy",  # without -W (master-worker): measured, and it ignored SIGTERM too
        "redis-server",
    }
)


@dataclass(frozen=True)
class Pid1Flaw:
    """What is wrong with a program as PID 1 when "it never reaps orphans" is not the truth:
    it reaps, but crashes or ignores SIGTERM, or it does not stay PID 1 at all."""

    name: str
    evidence: Evidence
    #: completes "PID 1 will be `X`, which ..."
    what: str
    #: only when one of these flags is given (exim ``-bd``); empty: always
    with_any_flag: tuple[str, ...] = ()
    #: not when one of these is given (sshd ``-D``)
    unless_any_flag: tuple[str, ...] = ()
    #: an init in front fixes it (False: the program's own flags do; see ``what``)
    init_helps: bool = True


#: Programs measured to be a poor PID 1 for a reason other than not reaping.
PID1_FLAWS: dict[str, Pid1Flaw] = {
    f.name: f
    for f in (
        Pid1Flaw("vsftpd", "measured",
                 "dies (SIGSEGV) when it reaps a process it did not start, and ignores "
                 "SIGTERM as PID 1"),
        Pid1Flaw("cron", "measured",
                 "reaps orphans but ignores SIGTERM as PID 1 (`docker stop` ends in SIGKILL)"),
        Pid1Flaw("exim4", "measured", _EXIM_BACKGROUND, with_any_flag=("-bd",),
                 unless_any_flag=(*_EXIM_FOREGROUND, "-d"), init_helps=False),
        Pid1Flaw("exim", "measured", _EXIM_BACKGROUND, with_any_flag=("-bd",),
                 unless_any_flag=(*_EXIM_FOREGROUND, "-d"), init_helps=False),
        Pid1Flaw("sshd", "measured",
                 "forks into the background without `-D`: PID 1 exits at once and the "
                 "container stops; `sshd -D` stays in the foreground, where it reaps and stops "
                 "on SIGTERM", unless_any_flag=_SSHD_FOREGROUND, init_helps=False),
        Pid1Flaw("dnsmasq", "measured",
                 "forks into the background without `-k`: PID 1 exits at once and the "
                 "container stops; `dnsmasq -k` stays in the foreground, where it reaps and "
                 "stops on SIGTERM", unless_any_flag=_DNSMASQ_FOREGROUND, init_helps=False),
    )
}

#: Commands that replace themselves with their argument (``exec``): they are transparent.
EXEC_WRAPPERS: dict[str, str] = {
    "gosu": "measured-like (setpriv)",
    "su-exec": "measured-like (setpriv)",
    "setpriv": "measured",
    "chpst": "source",
    "s6-setuidgid": "source",
    "env": "source",
    "nice": "source",
    "nohup": "source",
    "ionice": "source",
    "taskset": "source",
    "numactl": "source",
    "stdbuf": "source",
    "chroot": "source",
}

@functools.cache
def base_entrypoint_scripts() -> frozenset[str]:
    """The entrypoint scripts of base images that end in ``exec "$@"`` (from entrylint/data):
    when a Dockerfile names one that is not in its build context and its base image's
    ENTRYPOINT is such a script, it is the base image's.  (A function: the tables are read on
    first use, not when this module is imported.)"""
    return frozenset({"docker-entrypoint.sh", "docker-entrypoint", "docker-php-entrypoint"}
                     ) | exec_wrapper_scripts()

#: Commands that stay resident as the parent of the program they start (they do not exec it):
#: the model does not follow them.  EL108 (privilege drops) and EL110 (package managers) say
#: what each does with SIGTERM; :mod:`entrylint.facts` holds the details.
SIGNAL_SWALLOWERS: dict[str, str] = {
    "su": "measured: forwards SIGTERM to its child only, exits 143 after 2 s, never reaps",
    "runuser": "measured: like su",
    "sudo": "measured: relays SIGTERM and reaps, but stays the parent",
    "npm": "measured: npm exits (code 1) in 0.5 s and the app is killed",
    "yarn": "measured: yarn 1 exits at once and the app is killed; yarn 4 passes SIGTERM on",
    "pnpm": "measured: pnpm 10 passes SIGTERM on, exits with status 1, never reaps",
    "npx": "measured: like npm (npm exec), exits in 0.5 s and the app is killed",
}

#: Whether ``SHELL -c 'one simple command'`` execs that command (measured).
SHELL_EXECS_LONE_COMMAND: dict[str, bool] = {
    "dash": False,
    "bash": True,
    "ash": True,
}

#: Shells measured to exec a final command when it follows ``cd x &&``.
SHELL_EXECS_AFTER_AND: dict[str, bool] = {"dash": False, "bash": True, "ash": True}
#: ... and with a redirection on it (``app 2>&1``): only BusyBox ash.
SHELL_EXECS_REDIRECTED: dict[str, bool] = {"dash": False, "bash": False, "ash": True}

SHELL_NAMES: dict[str, ShellKind] = {
    "sh": "unknown",  # depends on the image; see BaseImage.shell
    "dash": "dash",
    "bash": "bash",
    "ash": "ash",
    "busybox": "ash",
    "zsh": "bash",  # zsh also execs a lone command (source)
}

BUILTINS: frozenset[str] = frozenset(
    {
        ":", ".", "source", "true", "false", "exit", "return", "set", "unset", "export",
        "readonly", "local", "declare", "typeset", "shift", "cd", "pushd", "popd", "echo",
        "printf", "test", "[", "[[", "eval", "exec", "trap", "wait", "umask", "ulimit",
        "read", "getopts", "alias", "unalias", "type", "command", "hash", "break", "continue",
        "let", "shopt", "builtin", "times", "jobs", "fg", "bg", "kill", "enable",
    }
)

#: Commands that finish quickly: a script ending in one of these is not leaving a server as a child.
SHORT_LIVED: frozenset[str] = BUILTINS | frozenset(
    {
        "chmod", "chown", "mkdir", "rm", "cp", "mv", "ln", "touch", "cat", "ls", "sleep",
        "sed", "grep", "awk", "find", "tar", "curl", "wget", "date", "id", "whoami", "env-update",
        "sync", "usermod", "useradd", "groupadd", "adduser", "addgroup", "rmdir", "tee",
        "envsubst", "update-ca-certificates", "ldconfig",
    }
)


def program_name(argv0: str) -> str:
    """The name a program is known by: ``/usr/bin/python3.12`` -> ``python3.12``."""
    return posixpath.basename(argv0.rstrip("/")) or argv0


def is_init(argv0: str, *, from_build_context: bool) -> bool:
    """True when ``argv0`` is an init.  A script of the user's *named* ``init`` is not one."""
    name = program_name(argv0)
    if name not in INITS:
        # the release builds are named by platform: tini-amd64, tini-static-arm64, as-tini
        return _TINI_BUILD.fullmatch(name) is not None
    return not (name == "init" and from_build_context)


_TINI_BUILD = re.compile(r"(?:[a-z]+-)?tini(?:-static)?(?:-(?:amd64|arm64|armhf|armel|i386|"
                         r"ppc64le|s390x|muslc-amd64|x86_64|aarch64))?")


def _program_and_args(argv: list[str]) -> tuple[str, list[str]]:
    name = program_name(argv[0])
    if name.startswith("python") and len(argv) >= 3 and argv[1] == "-m":
        return argv[2], argv[3:]
    return name, argv[1:]


def _has_flag(args: list[str], flags: tuple[str, ...]) -> bool:
    return any(a in flags or any(a.startswith(f + "=") for f in flags) for a in args)


def reaps(argv: list[str]) -> bool:
    """True when the program of ``argv`` reaps orphans as PID 1 and is a good PID 1 (unknown
    programs are not; see :func:`pid1_flaw` for those that reap but are not)."""
    if not argv:
        return False
    name, args = _program_and_args(argv)
    reaper = REAPERS.get(name)
    if reaper is None:
        return False
    if reaper.needs_any_flag:
        return _has_flag(args, reaper.needs_any_flag)
    return True


def pid1_flaw(argv: list[str]) -> Pid1Flaw | None:
    """What is measured to be wrong with ``argv`` as PID 1 when it is not that it never reaps
    (vsftpd crashes, cron ignores SIGTERM, ``exim -bd`` forks away), or None."""
    if not argv:
        return None
    name, args = _program_and_args(argv)
    flaw = PID1_FLAWS.get(name)
    if flaw is None or (flaw.with_any_flag and not _has_flag(args, flaw.with_any_flag)):
        return None
    return None if _has_flag(args, flaw.unless_any_flag) else flaw


def flag_decides(argv: list[str]) -> bool:
    """Whether the program of ``argv`` is a good PID 1 or not depends on its flags (haproxy
    ``-W``, ``sshd -D``, ``exim -bdf``)."""
    if not argv:
        return False
    name, _ = _program_and_args(argv)
    reaper, flaw = REAPERS.get(name), PID1_FLAWS.get(name)
    return bool((reaper is not None and reaper.needs_any_flag)
                or (flaw is not None and (flaw.with_any_flag or flaw.unless_any_flag)))


def reaping_flag(argv: list[str]) -> str | None:
    """The flag with which the program of ``argv`` would reap as PID 1 (haproxy ``-W``), when
    it is known to reap with one and ``argv`` lacks it; else None."""
    if not argv:
        return None
    name, args = _program_and_args(argv)
    reaper = REAPERS.get(name)
    if reaper is None or not reaper.needs_any_flag or _has_flag(args, reaper.needs_any_flag):
        return None
    return reaper.needs_any_flag[0]


# --------------------------------------------------------------------------------------------
# Base images: looked up in entrylint/data (see entrylint/baseimages.py)
# --------------------------------------------------------------------------------------------

#: Where each distribution's package puts the init binaries.
INIT_PATHS: dict[str, dict[str, str]] = {
    "tini": {"alpine": "/sbin/tini", "debian": "/usr/bin/tini", "rhel": "/usr/bin/tini",
             "wolfi": "/usr/bin/tini"},
    "dumb-init": {"alpine": "/usr/bin/dumb-init", "debian": "/usr/bin/dumb-init",
                  "rhel": "/usr/bin/dumb-init"},
}
