"""Facts behind the rules EL107-EL115: privilege drops, package-manager launchers, servers
with their own stop signal, development servers, and where inits get installed.

Like :mod:`entrylint.knowledge`, each fact is measured (``docs/pid1-behaviour.md``, checked by
``tests/test_knowledge_agrees.py``) or taken from the program's documentation, which the
comment next to it names.  Rules consult this module; they never hard-code program names.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from entrylint import knowledge


@dataclass(frozen=True)
class Drop:
    """A privilege-dropping command that stays resident as the parent of what it runs."""

    name: str
    #: it reaps orphans as PID 1
    reaps: bool
    #: on SIGTERM it waits this long before it exits (and SIGKILLs what is left)
    stop_delay: float
    #: it exits with 128+15 instead of the app's status
    exits_143: bool

    @property
    def fine_as_pid1(self) -> bool:
        """Exec'd, it would be a good PID 1 (relays SIGTERM at once and reaps): run as a
        script's child, only the missing ``exec`` is wrong (EL103's domain, not EL108's)."""
        return self.reaps and not self.exits_143 and self.stop_delay == 0


def missing_exec_rule(name: str | None) -> str:
    """The rule that reports a script's final command ``name`` run without ``exec``: EL110
    for a package manager, EL108 for a privilege drop that stays resident, else EL103."""
    if name in PACKAGE_MANAGERS:
        return "EL110"
    drop = PRIVILEGE_DROPS.get(name or "")
    if drop is not None and not drop.fine_as_pid1:
        return "EL108"
    return "EL103"


#: Measured (docs/pid1-behaviour.md, the ``nobody`` rows): all three pass SIGTERM to their
#: direct child only; when that child is a shell that does not exec the app (``su u -c app``
#: under dash) the app never gets it.
PRIVILEGE_DROPS: dict[str, Drop] = {
    d.name: d
    for d in (
        Drop("su", reaps=False, stop_delay=2.0, exits_143=True),
        Drop("runuser", reaps=False, stop_delay=2.0, exits_143=True),
        Drop("sudo", reaps=True, stop_delay=0.0, exits_143=False),
    )
}

#: Drops that exec the program (same PID): what a fix can use instead, with the Debian/Alpine
#: package that installs each.
EXEC_DROPS: dict[str, str] = {"gosu": "gosu", "su-exec": "su-exec", "setpriv": "util-linux"}

@dataclass(frozen=True)
class Launcher:
    """How a package manager that starts the app as its child behaves as PID 1 (measured:
    docs/pid1-behaviour.md, the rows whose ``variant`` is the key of :data:`LAUNCHERS`)."""

    #: the program's name (``yarn`` for both yarn 1 and yarn 4)
    program: str
    #: the versions measured
    version: str
    #: it runs the script through ``sh -c`` (yarn 4 runs it with its own shell emulator)
    via_sh: bool
    #: on SIGTERM to it, the app gets SIGTERM (an app that stops at once stops cleanly)
    app_gets_sigterm: bool
    #: ... and it waits for the app: an app that takes 1 s to stop finishes stopping
    waits_for_app: bool

    @property
    def stops_cleanly(self) -> bool:
        return self.app_gets_sigterm and self.waits_for_app


#: Measured as PID 1 in front of ``node server.js`` and of a server that takes 1 s to stop
#: (none of them reaps orphans; each stays PID 1 as the app's parent): npm and npx (``npm
#: exec``) exit within 0.5 s and yarn 1 at once, and the kernel SIGKILLs the app; pnpm 10 gets
#: SIGTERM to the app (past its ``sh -c``) but exits at once with status 1, so an app that
#: needs time to stop is SIGKILLed; only yarn 4 passes SIGTERM on and waits for the app.
LAUNCHERS: dict[str, Launcher] = {
    "npm": Launcher("npm", "npm 11", via_sh=True, app_gets_sigterm=False, waits_for_app=False),
    "npx": Launcher("npx", "npm 11", via_sh=True, app_gets_sigterm=False, waits_for_app=False),
    "yarn classic": Launcher("yarn", "yarn 1", via_sh=True, app_gets_sigterm=False,
                             waits_for_app=False),
    "yarn berry": Launcher("yarn", "yarn 4", via_sh=False, app_gets_sigterm=True,
                           waits_for_app=True),
    "pnpm": Launcher("pnpm", "pnpm 10", via_sh=True, app_gets_sigterm=True,
                     waits_for_app=False),
}

#: Package managers and runners that start the app as a child and stay its parent, all
#: measured (:data:`LAUNCHERS`).
PACKAGE_MANAGERS: dict[str, str] = {
    "npm": "measured",
    "yarn": "measured",
    "pnpm": "measured",
    "npx": "measured",
}


def launchers_of(program: str) -> list[Launcher]:
    """The measured behaviours of ``program`` (yarn: yarn 1 and yarn 4)."""
    return [launcher for launcher in LAUNCHERS.values() if launcher.program == program]


def launcher_loses_sigterm(program: str) -> bool:
    """Whether some measured version of ``program`` lets the app be SIGKILLed on SIGTERM
    (yarn: yarn 1, which the official node images ship, does)."""
    return any(not launcher.stops_cleanly for launcher in launchers_of(program))


#: bun is a runtime as well as a script runner: ``bun server.ts`` / ``bun run server.ts`` run
#: the file in bun's own process (the app is PID 1); ``bun run start`` / ``bun start`` run
#: package.json's script in a shell as a child (bun's documentation, "bun run"), like npm.
#: Not measured: whether bun passes SIGTERM on to the script.
SCRIPT_RUNNING_RUNTIMES = frozenset({"bun"})

#: What a file argument of bun ends with (a runtime's file, not a package script's name).
_RUNTIME_FILE = re.compile(r"\.(?:[cm]?[jt]sx?|json)$")


def runs_package_script(argv: Sequence[str | None],
                        scripts: dict[str, str] | None) -> str | None:
    """The package.json script (or node_modules/.bin program) that ``bun run NAME`` /
    ``bun NAME`` starts as a child, or None when bun runs a file itself."""
    words = [w for w in argv[1:] if w is not None and not w.startswith("-")]
    if not argv or knowledge.program_name(argv[0] or "") not in SCRIPT_RUNNING_RUNTIMES \
            or not words:
        return None
    if words[0] == "run":
        words = words[1:]
    if not words or words[0] in ("install", "i", "add", "x", "build", "test", "upgrade"):
        return None
    name = words[0]
    if scripts is not None and name in scripts:
        return name
    if "/" in name or _RUNTIME_FILE.search(name):
        return None
    return name

#: Inits that signal the whole process group of their child, so that a resident wrapper
#: (npm, su) does not keep SIGTERM from the app: ``tini -g`` (measured with npm) and
#: dumb-init, which forwards to the process group by default (its documentation, "setsid mode").
#: The app gets SIGTERM, but not the time to stop: npm and pnpm exit at once, the init exits
#: with its child, and an app that takes 1 s to stop is SIGKILLed (measured, the `run slow`
#: rows); EL110 stays a warning there.
GROUP_SIGNALLING_INIT_FLAGS: dict[str, tuple[str, ...] | None] = {
    "tini": ("-g",),
    "tini-static": ("-g",),
    "dumb-init": None,  # by default; `--single-child` turns it off
}

#: The signal each server stops gracefully on, when it is not SIGTERM (SIGTERM makes them stop
#: at once, dropping requests in flight).  Documentation: nginx "Controlling nginx" (QUIT:
#: graceful shutdown; TERM, INT: fast shutdown); php-fpm(8) (SIGQUIT: graceful stop; SIGINT,
#: SIGTERM: immediate termination); Apache httpd "Stopping and Restarting" (WINCH:
#: graceful-stop; TERM: stop now).  The official images set exactly these STOPSIGNALs.
GRACEFUL_STOP: dict[str, str] = {
    "nginx": "SIGQUIT",
    "openresty": "SIGQUIT",
    "php-fpm": "SIGQUIT",
    "httpd": "SIGWINCH",
    "apache2": "SIGWINCH",
    "apachectl": "SIGWINCH",
    "apache2ctl": "SIGWINCH",
    "apache2-foreground": "SIGWINCH",
    "httpd-foreground": "SIGWINCH",
}

#: Servers that reap and stop as PID 1 only with the right flags: EL111 reports them (with
#: the flags), EL104 does not.
FLAG_FIXABLE_SERVERS = frozenset({"uwsgi"})

#: Signals that cannot be handled: no graceful stop is possible.
UNCATCHABLE = frozenset({"SIGKILL", "SIGSTOP"})

_SIGNAL_NUMBERS = {"9": "SIGKILL", "19": "SIGSTOP", "15": "SIGTERM", "3": "SIGQUIT",
                   "2": "SIGINT", "28": "SIGWINCH", "1": "SIGHUP", "10": "SIGUSR1",
                   "12": "SIGUSR2"}


def signal_name(text: str) -> str:
    """``9`` / ``kill`` / ``SIGKILL`` -> ``SIGKILL``."""
    word = text.strip().upper()
    if word in _SIGNAL_NUMBERS:
        return _SIGNAL_NUMBERS[word]
    return word if word.startswith("SIG") else f"SIG{word}"


def server_program(argv0: str) -> str:
    """``/usr/sbin/php-fpm8.2`` -> ``php-fpm``: the name :data:`GRACEFUL_STOP` knows."""
    name = knowledge.program_name(argv0)
    return re.sub(r"^(php-fpm)[0-9.]*$", r"\1", name)


def base_stopsignal(ref: str) -> str | None:
    """The STOPSIGNAL that an official base image sets (their Dockerfiles): nginx SIGQUIT,
    ``php:*-fpm`` SIGQUIT, httpd and ``php:*-apache`` SIGWINCH; None when it sets none or the
    image is not known."""
    name, tag = knowledge.split_image_ref(ref)
    short = name.rsplit("/", 1)[-1]
    words = set(re.split(r"[-._]", tag))
    if short in ("nginx", "openresty"):
        return "SIGQUIT"
    if short in ("php", "wordpress", "drupal", "joomla", "nextcloud", "matomo"):
        if "fpm" in words:
            return "SIGQUIT"
        if "apache" in words or (short != "php" and not words & {"cli", "zts"}):
            return "SIGWINCH"  # these images' default tags are the Apache variant
        return None
    if short == "httpd":
        return "SIGWINCH"
    return None


# --------------------------------------------------------------------------------------------
# Development servers
# --------------------------------------------------------------------------------------------


def dev_server(argv: Sequence[str | None]) -> str | None:
    """What development server ``argv`` starts (``flask run``, ``manage.py runserver``,
    ``python -m http.server``, ``rails server``), or None."""
    words = [a or "" for a in argv]
    if not words:
        return None
    name = knowledge.program_name(words[0])
    rest = words[1:]
    if name.startswith("python"):
        opts = [w for w in rest if not w.startswith("-") or w == "-m"]
        if len(opts) >= 2 and opts[0] == "-m":
            module = opts[1]
            if module in ("http.server", "SimpleHTTPServer"):
                return f"python -m {module}"
            if module == "flask" and "run" in opts[2:]:
                return "flask run"
            if module == "django" and "runserver" in opts[2:]:
                return "django runserver"
            return None
        if opts and knowledge.program_name(opts[0]) == "manage.py" and opts[1:2] == ["runserver"]:
            return "manage.py runserver"  # the subcommand, not a later word
        return None
    if name == "flask" and "run" in rest:
        return "flask run"
    if name in ("django-admin", "manage.py") and \
            [w for w in rest if not w.startswith("-")][:1] == ["runserver"]:
        return f"{name} runserver"
    if name == "bundle" and rest[:1] == ["exec"]:
        return dev_server(rest[1:])
    if name in ("rails", "bin/rails") and rest[:1] in (["s"], ["server"]):
        env = _rails_env(rest[1:])
        return None if env is not None and env != "development" else "rails server"
    return None


def _rails_env(args: list[str]) -> str | None:
    for i, a in enumerate(args):
        if a in ("-e", "--environment") and i + 1 < len(args):
            return args[i + 1]
        if a.startswith("--environment="):
            return a.split("=", 1)[1]
    return None


# --------------------------------------------------------------------------------------------
# Where inits come from
# --------------------------------------------------------------------------------------------

#: Where ``pip install`` puts a program's entry point outside a virtualenv: the official
#: python images' interpreter and Debian's pip both use /usr/local/bin.
PIP_BIN = "/usr/local/bin"
#: Directories a pip install never writes to (only the distribution's packages do).
SYSTEM_BIN = frozenset({"/usr/bin", "/bin", "/usr/sbin", "/sbin"})


def installed_by_run(run_text: str, program: str) -> str | None:
    """How ``run_text`` (a RUN's shell text) installs ``program``: ``apk``, ``apt``,
    ``dnf``, ``pip``, or None."""
    text = " ".join(run_text.split())
    word = rf"(?<![\w.-]){re.escape(program)}(?![\w.-])"
    for manager, pattern in (
        ("apk", r"\bapk\b[^;&|]*\badd\b[^;&|]*"),
        ("apt", r"\bapt(?:-get)?\b[^;&|]*\binstall\b[^;&|]*"),
        ("dnf", r"\b(?:dnf|yum|microdnf)\b[^;&|]*\binstall\b[^;&|]*"),
        ("pip", r"\bpip[0-9.]*\b[^;&|]*\binstall\b[^;&|]*"),
    ):
        for m in re.finditer(pattern, text):
            if re.search(word, m.group(0)):
                return manager
    return None


def installed_by_script(script_text: str, program: str) -> str | None:
    """How a build-context script that a RUN executes installs ``program``: as
    :func:`installed_by_run`, or, since scripts keep their package lists apart from the
    install command (``PACKAGES=( … dumb-init … )`` then ``apt-get install
    "${PACKAGES[@]}"``), the manager of any install command when the script names
    ``program`` as a word."""
    found = installed_by_run(script_text, program)
    if found is not None:
        return found
    if re.search(rf"(?<![\w./-]){re.escape(program)}(?![\w./-])", script_text) is None:
        return None
    for manager, pattern in (("apk", r"\bapk\b[^;&|\n]*\badd\b"),
                             ("apt", r"\bapt(?:-get)?\b[^;&|\n]*\binstall\b"),
                             ("dnf", r"\b(?:dnf|yum|microdnf)\b[^;&|\n]*\binstall\b")):
        if re.search(pattern, script_text):
            return manager
    return None


def package_path(program: str, manager: str, distro: str) -> tuple[str, ...]:
    """Where ``manager`` installs ``program`` on ``distro``."""
    if manager == "pip":
        return (f"{PIP_BIN}/{program}",)
    name = program.removesuffix("-static")
    by_distro = knowledge.INIT_PATHS.get(name, {})
    family = {"apk": "alpine", "apt": "debian", "dnf": "rhel"}.get(manager, distro)
    if distro == "wolfi" and manager == "apk":
        family = "wolfi"
    base = by_distro.get(family)
    if base is None:
        return ()
    if program.endswith("-static"):
        return (base + "-static",)
    return (base,)


# --------------------------------------------------------------------------------------------
# What a privilege drop runs
# --------------------------------------------------------------------------------------------

_SU_VALUE_OPTS = frozenset({"-s", "--shell", "-g", "--group", "-G", "--supp-group", "-w",
                            "--whitelist-environment", "-u", "--user", "-c", "--command",
                            "--session-command"})
_SUDO_VALUE_OPTS = frozenset({"-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-T",
                              "--user", "--group", "--chdir", "--prompt", "--role", "--type",
                              "--other-user", "--command-timeout", "--close-from"})


@dataclass(frozen=True)
class Dropped:
    """What a privilege drop starts: a shell command line (``su u -c TEXT``) or a program."""

    text: str | None = None
    argv: tuple[str | None, ...] = ()
    #: the user it switches to, when written out
    user: str | None = None


def dropped_command(name: str, args: list[str | None]) -> Dropped | None:
    """``su app -c 'exec x'`` -> text ``exec x``; ``runuser -u app -- x`` / ``sudo -u app x``
    -> argv ``x``.  None when it cannot tell (or only a login shell runs)."""
    if name in ("su", "runuser"):
        text: str | None = None
        user: str | None = None
        i = 0
        while i < len(args):
            a = args[i]
            if a is None:
                return None
            if a == "--":
                rest = args[i + 1 :]
                if user is None and rest:
                    user, rest = rest[0], rest[1:]
                return Dropped(argv=tuple(rest), user=user) if rest else \
                    (Dropped(text=text, user=user) if text is not None else None)
            if a in ("-c", "--command", "--session-command") and i + 1 < len(args):
                text = args[i + 1]
                i += 2
                continue
            if a.startswith("--command="):
                text = a.split("=", 1)[1]
            elif a in ("-u", "--user") and i + 1 < len(args):
                user = args[i + 1]
                i += 2
                continue
            elif a in _SU_VALUE_OPTS:
                i += 2
                continue
            elif not a.startswith("-") and user is None:
                user = a
            elif not a.startswith("-") and name == "runuser":
                return Dropped(argv=tuple(args[i:]), user=user)
            i += 1
        return Dropped(text=text, user=user) if text is not None else None
    if name == "sudo":
        user = None
        i = 0
        while i < len(args):
            a = args[i]
            if a is None:
                return None
            if a == "--":
                i += 1
                break
            if a in ("-u", "--user") and i + 1 < len(args):
                user = args[i + 1]
                i += 2
                continue
            if a in _SUDO_VALUE_OPTS:
                i += 2
                continue
            if not a.startswith("-"):
                break
            i += 1
        rest = args[i:]
        return Dropped(argv=tuple(rest), user=user) if rest else None
    return None
