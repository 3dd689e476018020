"""What entrylint knows about programs, shells and base images.

Every fact here is either measured (``../shared/reference/pid1-behaviour.md``, reproduced by
``bench/pid1_table.py`` into ``docs/pid1-behaviour.md``) or marked ``source`` when it comes
from reading the program's source.  Rules consult this module; they never hard-code names.
A test (``tests/test_knowledge_agrees.py``) checks the measured entries against the table
that ``entrylint probe`` produced.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Literal

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
        Reaper("nginx", "source"),
        Reaper("postgres", "source"),
        Reaper("postmaster", "source"),
        Reaper("php-fpm", "source"),
        Reaper("haproxy", "source", needs_any_flag=("-W", "-Ws")),
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
    }
)

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

#: The entrypoint scripts of the official images in :data:`_EXEC_WRAPPER_ENTRYPOINT`: when a
#: Dockerfile names one that is not in its build context, it is the base image's, which ends
#: in ``exec "$@"``.
BASE_ENTRYPOINT_SCRIPTS: frozenset[str] = frozenset(
    {"docker-entrypoint.sh", "docker-entrypoint", "docker-php-entrypoint"}
)

#: Commands that stay the parent of the program they start and do not forward SIGTERM.
SIGNAL_SWALLOWERS: dict[str, str] = {
    "su": "measured: `su nobody -s /bin/sh -c app` exits 143 after 2 s, app gets no SIGTERM",
    "sudo": "source: sudo relays some signals but stays the parent; not reliable as PID 1",
    "npm": "measured: npm exits (code 1) in 0.5 s and the app is killed",
    "yarn": "source: like npm, runs the script through sh -c",
    "pnpm": "source: like npm, runs the script through sh -c",
}

ShellKind = Literal["dash", "bash", "ash", "none", "unknown", "windows"]

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


def reaps(argv: list[str]) -> bool:
    """True when the program of ``argv`` reaps orphans as PID 1 (unknown programs do not)."""
    if not argv:
        return False
    name = program_name(argv[0])
    if name.startswith("python") and len(argv) >= 3 and argv[1] == "-m":
        name, args = argv[2], argv[3:]
    else:
        args = argv[1:]
    reaper = REAPERS.get(name)
    if reaper is None:
        return False
    if reaper.needs_any_flag:
        return any(
            a in reaper.needs_any_flag or any(a.startswith(f + "=") for f in reaper.needs_any_flag)
            for a in args
        )
    return True


# --------------------------------------------------------------------------------------------
# Base images
# --------------------------------------------------------------------------------------------

Distro = Literal["debian", "alpine", "rhel", "wolfi", "busybox", "distroless", "scratch",
                 "windows", "unknown"]
EntrypointKind = Literal["none", "exec-wrapper", "init", "unknown"]


@dataclass(frozen=True)
class BaseImage:
    """What entrylint can tell about an external base image from its reference alone."""

    ref: str
    distro: Distro
    shell: ShellKind
    #: What the image's own ENTRYPOINT does: nothing, a script that ends in ``exec "$@"``,
    #: an init, or unknown.
    entrypoint: EntrypointKind

    @property
    def has_package_manager(self) -> bool:
        return self.distro in ("debian", "alpine", "rhel", "wolfi")


#: Words of a tag (split on - . _) that name a Debian or Ubuntu release.
_DEBIAN_TAG_WORDS = frozenset({"bookworm", "bullseye", "buster", "trixie", "stretch", "slim",
                               "jammy", "noble", "focal", "bionic", "xenial", "oracular",
                               "plucky", "sid", "debian", "ubuntu"})

#: Official images whose default tag is Debian-based and that set no ENTRYPOINT.
_NO_ENTRYPOINT_LANG = frozenset(
    {
        "python", "golang", "ruby", "openjdk", "eclipse-temurin", "amazoncorretto", "rust",
        "perl", "erlang", "elixir", "gcc", "buildpack-deps", "haskell", "clojure", "maven",
        "gradle", "swift", "julia", "r-base", "pypy", "httpd", "tomcat", "jetty", "sapmachine",
        "ibm-semeru-runtimes", "dart",
    }
)
#: Official images based on Amazon Linux by default (bash as /bin/sh, no apt-get or apk).
#: openjdk (Oracle Linux from 12 on, Debian for ``-slim``/``-buster``) and mysql (Oracle
#: Linux) are in no list: only their tag words can tell.
_RHEL_DEFAULT = frozenset({"amazoncorretto"})
#: Official images whose default tag is Debian or Ubuntu.
_DEBIAN_DEFAULT = frozenset(
    {
        "python", "golang", "ruby", "eclipse-temurin", "rust", "perl", "erlang", "elixir",
        "gcc", "buildpack-deps", "haskell", "clojure", "maven", "gradle", "swift", "julia",
        "r-base", "pypy", "httpd", "tomcat", "jetty", "sapmachine", "ibm-semeru-runtimes",
        "dart", "node", "php", "postgres", "mariadb", "redis", "mongo", "rabbitmq", "nginx",
        "memcached", "wordpress", "nextcloud", "cassandra", "couchdb", "influxdb", "telegraf",
        "haproxy", "caddy",
    }
)
#: Plain operating-system images: no ENTRYPOINT.
_PLAIN_OS = {
    "debian": "debian",
    "ubuntu": "debian",
    "alpine": "alpine",
    "centos": "rhel",
    "fedora": "rhel",
    "rockylinux": "rhel",
    "almalinux": "rhel",
    "oraclelinux": "rhel",
    "amazonlinux": "rhel",
    "ubi": "rhel",
    "ubi8": "rhel",
    "ubi9": "rhel",
    "ubi10": "rhel",
    "ubi-minimal": "rhel",
    "ubi8-minimal": "rhel",
    "ubi9-minimal": "rhel",
    "ubi-micro": "rhel",
    "wolfi-base": "wolfi",
}
#: Official images whose ENTRYPOINT is a script that ends in ``exec "$@"`` (transparent).
_EXEC_WRAPPER_ENTRYPOINT = frozenset(
    {
        "node", "php", "postgres", "mysql", "mariadb", "redis", "mongo", "rabbitmq", "nginx",
        "memcached", "docker", "traefik", "wordpress", "nextcloud", "cassandra", "couchdb",
        "influxdb", "telegraf", "haproxy", "caddy", "percona", "bitnami/python",
    }
)
#: Images whose ENTRYPOINT is an init (tini or dumb-init).
_INIT_ENTRYPOINT = frozenset(
    {
        "jenkins/jenkins", "jenkins", "elasticsearch",
        "docker.elastic.co/elasticsearch/elasticsearch",
        "kibana", "logstash", "jupyter/base-notebook", "jupyter/minimal-notebook",
        "jupyter/scipy-notebook", "jupyter/datascience-notebook", "jupyter/pyspark-notebook",
        "quay.io/jupyter/base-notebook", "quay.io/jupyter/minimal-notebook",
        "quay.io/jupyter/scipy-notebook", "sonarqube", "nats", "solr", "zookeeper",
        "phusion/baseimage",
    }
)


def split_image_ref(ref: str) -> tuple[str, str]:
    """``docker.io/library/python:3.12-slim@sha256:…`` -> (``python``, ``3.12-slim``)."""
    ref = ref.split("@", 1)[0]
    name, tag = ref, ""
    last = ref.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = ref.rsplit(":", 1)
    for prefix in ("docker.io/library/", "docker.io/", "index.docker.io/library/", "library/"):
        if name.startswith(prefix):
            name = name[len(prefix):]
            break
    return name.lower(), tag.lower()


def describe_base(ref: str) -> BaseImage:
    """Classify an external base image from its reference (name and tag) alone."""
    name, tag = split_image_ref(ref)
    short = name.rsplit("/", 1)[-1]
    if name == "scratch":
        return BaseImage(ref, "scratch", "none", "none")
    tokens = set(re.split(r"[-._]", tag))
    if name.startswith("cgr.dev/chainguard/") and short != "wolfi-base":
        # Chainguard images: no shell, except the "-dev" variants (BusyBox and apk); most set
        # an ENTRYPOINT of their own (cgr.dev/chainguard/python's is python).
        if "dev" in tokens:
            return BaseImage(ref, "wolfi", "ash", "unknown")
        return BaseImage(ref, "distroless", "none", "unknown")
    if "distroless" in name:
        # No shell: even ":debug" has BusyBox only at /busybox/sh, not at /bin/sh.  static,
        # base and cc set no ENTRYPOINT; python3, nodejs and java run their interpreter.
        entry: EntrypointKind = "none" if short.startswith(("static", "base", "cc")) \
            else "unknown"
        return BaseImage(ref, "distroless", "none", entry)
    if "windows" in name or "nanoserver" in name or "servercore" in name:
        return BaseImage(ref, "windows", "windows", "unknown")
    if short == "busybox":
        # BusyBox alone: ash, and no package manager (whatever the tag: musl, glibc, uclibc)
        return BaseImage(ref, "busybox", "ash", "none")
    if "alpine" in tag or "alpine" in short:
        distro: Distro = "alpine"
    elif short in _PLAIN_OS:
        distro = _PLAIN_OS[short]  # type: ignore[assignment]
    elif (short in _RHEL_DEFAULT or "ubi" in short or any(t.startswith("ubi") for t in tokens)
          or name.startswith("registry.access.redhat.com/")):
        distro = "rhel"
    elif tokens & _DEBIAN_TAG_WORDS:
        distro = "debian"
    elif short in _DEBIAN_DEFAULT:
        distro = "debian"  # the default tags of these official images are Debian or Ubuntu
    else:
        distro = "unknown"
    shells: dict[str, ShellKind] = {"debian": "dash", "alpine": "ash", "rhel": "bash",
                                    "wolfi": "ash"}
    shell = shells.get(distro, "unknown")
    if name in _INIT_ENTRYPOINT or short in _INIT_ENTRYPOINT:
        entry = "init"
    elif short in _EXEC_WRAPPER_ENTRYPOINT or name in _EXEC_WRAPPER_ENTRYPOINT:
        entry = "exec-wrapper"
    elif short in _PLAIN_OS or ("/" not in name and (short in _NO_ENTRYPOINT_LANG
                                                     or short in _RHEL_DEFAULT)):
        entry = "none"
    else:
        entry = "unknown"
    return BaseImage(ref, distro, shell, entry)


#: Where each distribution's package puts the init binaries.
INIT_PATHS: dict[str, dict[str, str]] = {
    "tini": {"alpine": "/sbin/tini", "debian": "/usr/bin/tini", "rhel": "/usr/bin/tini",
             "wolfi": "/usr/bin/tini"},
    "dumb-init": {"alpine": "/usr/bin/dumb-init", "debian": "/usr/bin/dumb-init",
                  "rhel": "/usr/bin/dumb-init"},
}
