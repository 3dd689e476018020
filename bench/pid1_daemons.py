"""Daemons (sshd, haproxy, exim, FTP servers, redis, cron, dnsmasq) as PID 1: the cases of
``bench/pid1_table.py --kind daemon``.

Each daemon runs from its distribution package (Debian's, as root), listening on a free
loopback port; ``probe`` injects the orphans, as for the wrapper cases.  A daemon that is
not installed is skipped with a line saying so (install it with apt-get, one package at a
time: vsftpd and pure-ftpd conflict).  Nothing here installs anything.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Daemon:
    name: str
    #: the Debian package that ships it (for the skip line and the versions)
    package: str
    argv: list[str]
    #: argv as a Dockerfile shows it (ports as PORT, paths of the bench's files shortened)
    shown: list[str]
    #: the program's name as knowledge.py knows it
    program: str
    port: int | None = None
    #: orphans per round (0: none, to see what SIGTERM alone does)
    orphans: int = 3
    wait: float = 1.5
    runs: int = 1
    extra: dict[str, str] = field(default_factory=dict)


HAPROXY_CFG = """\
global
    log stdout format raw local0
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend bench
    bind 127.0.0.1:{port}
    default_backend none
backend none
    server none 127.0.0.1:9 check
"""


def daemon_cases(work: Path, free_port: Callable[[], int],
                 skipped: dict[str, str]) -> list[Daemon]:
    """The daemon cases whose program is installed; ``skipped`` gets why for each other."""
    out: list[Daemon] = []

    def have(path: str, package: str, names: list[str]) -> bool:
        if Path(path).exists() or shutil.which(path) is not None:
            return True
        skip(names, f"{path} is not installed (Debian package {package})", skipped)
        return False

    sshd_names = ["`sshd -D -e`", "`sshd -e` (no -D: forks into the background)"]
    if have("/usr/sbin/sshd", "openssh-server", sshd_names):
        Path("/run/sshd").mkdir(parents=True, exist_ok=True)
        for label, flags in zip(sshd_names, (["-D", "-e"], ["-e"]), strict=True):
            p = free_port()
            out.append(Daemon(label, "openssh-server",
                              ["/usr/sbin/sshd", *flags, "-p", str(p), "-o",
                               "ListenAddress=127.0.0.1"],
                              ["sshd", *flags, "-p", "PORT"], "sshd",
                              port=p if "-D" in flags else None))

    hap = ["`haproxy -W -db -f cfg` (master-worker)", "`haproxy -db -f cfg`",
           "`haproxy -f cfg`"]
    if have("/usr/sbin/haproxy", "haproxy", hap):
        for label, flags in zip(hap, (["-W", "-db"], ["-db"], []), strict=True):
            p = free_port()
            cfg = work / f"haproxy-{p}.cfg"
            cfg.write_text(HAPROXY_CFG.format(port=p))
            out.append(Daemon(label, "haproxy", ["/usr/sbin/haproxy", *flags, "-f", str(cfg)],
                              ["haproxy", *flags, "-f", "haproxy.cfg"], "haproxy", port=p))

    exim = ["`exim4 -bdf -q15m`", "`exim4 -bd -q15m` (forks into the background)",
            "`exim4 -bd -q15m -v` (-v: stays in the foreground)"]
    if have("/usr/sbin/exim4", "exim4-daemon-light", exim):
        for label, flags in zip(exim, (["-bdf"], ["-bd"], ["-bd", "-v"]), strict=True):
            p = free_port()
            out.append(Daemon(label, "exim4-daemon-light",
                              ["/usr/sbin/exim4", *flags, "-oX", str(p), "-q15m"],
                              ["exim4", *flags, "-oX", "PORT", "-q15m"], "exim4",
                              port=None if flags == ["-bd"] else p))

    pure = ["`pure-ftpd -S 127.0.0.1,PORT`"]
    if have("/usr/sbin/pure-ftpd", "pure-ftpd", pure):
        p = free_port()
        out.append(Daemon(pure[0], "pure-ftpd", ["/usr/sbin/pure-ftpd", "-S", f"127.0.0.1,{p}"],
                          ["pure-ftpd", "-S", "127.0.0.1,PORT"], "pure-ftpd", port=p))

    vsftpd = ["`vsftpd -obackground=NO` (orphans)", "`vsftpd -obackground=NO` (no orphans)"]
    if have("/usr/sbin/vsftpd", "vsftpd", vsftpd):
        Path("/var/run/vsftpd/empty").mkdir(parents=True, exist_ok=True)
        # no --wait-port: probe's test connection would start a session (a child of its own)
        for label, orphans in zip(vsftpd, (3, 0), strict=True):
            p = free_port()
            out.append(Daemon(label, "vsftpd",
                              ["/usr/sbin/vsftpd", "-olisten=YES", f"-olisten_port={p}",
                               "-obackground=NO", "-olisten_ipv6=NO"],
                              ["vsftpd", "-olisten=YES", "-olisten_port=PORT",
                               "-obackground=NO"], "vsftpd", orphans=orphans, runs=3))

    redis = ["`redis-server`"]
    if have("/usr/bin/redis-server", "redis-server", redis):
        p = free_port()
        out.append(Daemon(redis[0], "redis-server",
                          ["/usr/bin/redis-server", "--port", str(p), "--bind", "127.0.0.1",
                           "--save", "", "--appendonly", "no", "--dir", str(work)],
                          ["redis-server", "--port", "PORT"], "redis-server", port=p))

    cron = ["`cron -f` (Debian cron)"]
    if have("/usr/sbin/cron", "cron", cron):
        out.append(Daemon(cron[0], "cron", ["/usr/sbin/cron", "-f"], ["cron", "-f"], "cron"))

    bb = ["`busybox crond -f`"]
    if have("busybox", "busybox", bb) and applet("crond", bb, skipped):
        spool = work / "crontabs"
        spool.mkdir(exist_ok=True)
        out.append(Daemon(bb[0], "busybox", [str(shutil.which("busybox")), "crond", "-f",
                                             "-c", str(spool)],
                          ["busybox", "crond", "-f"], "crond"))

    dns = ["`dnsmasq -k`", "`dnsmasq -d`", "`dnsmasq` (no -k: forks into the background)"]
    if have("/usr/sbin/dnsmasq", "dnsmasq", dns):
        for label, flags in zip(dns, (["-k"], ["-d"], []), strict=True):
            p = free_port()
            out.append(Daemon(label, "dnsmasq",
                              ["/usr/sbin/dnsmasq", *flags, f"--port={p}",
                               "--listen-address=127.0.0.1", "--bind-interfaces",
                               "--conf-file=/dev/null", "--user=root",
                               f"--pid-file={work}/dnsmasq-{p}.pid"],
                              ["dnsmasq", *flags, "--port=PORT"], "dnsmasq",
                              port=p if flags else None))
    return out


def skip(names: list[str], why: str, skipped: dict[str, str]) -> None:
    print(f"pid1_daemons: skip {', '.join(names)}: not measured, {why}", flush=True)
    skipped.update(dict.fromkeys(names, why))


def applet(name: str, names: list[str], skipped: dict[str, str]) -> bool:
    """BusyBox has the applet (Debian's busybox has no crond)."""
    done = subprocess.run(["busybox", name, "--help"], capture_output=True, text=True,
                          check=False)
    if "applet not found" not in done.stdout + done.stderr:
        return True
    skip(names, f"this busybox has no {name} applet", skipped)
    return False
