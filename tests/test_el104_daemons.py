"""EL104 on daemons measured as PID 1 (the `kind: daemon` rows of docs/pid1-behaviour.md):
those that reap and stop on SIGTERM are not reported; the others are, with what is true of
them instead of "never reaps".  No daemon needs to be installed: the table is the data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import invoke_in

INSTALL = "FROM debian:12\nRUN apt-get update && apt-get install -y --no-install-recommends x\n"


def el104(repo: Path, cmd: str, files: dict[str, str] | None = None) -> list[dict[str, str]]:
    (repo / "Dockerfile").write_text(INSTALL + cmd + "\n")
    for name, text in (files or {}).items():
        (repo / name).write_text(text)
        (repo / name).chmod(0o755)
    r = invoke_in(repo, ["check", "--format", "json", "--select", "EL104", "."])
    return [d for d in json.loads(r.stdout) if d["rule"] == "EL104"]


@pytest.mark.parametrize("cmd", [
    'CMD ["/usr/sbin/sshd", "-D", "-e"]',
    'CMD ["sshd", "-D"]',
    'CMD ["haproxy", "-W", "-db", "-f", "/etc/haproxy/haproxy.cfg"]',
    'CMD ["haproxy", "-Ws", "-f", "/etc/haproxy/haproxy.cfg"]',
    'CMD ["exim", "-bdf", "-q15m"]',
    'CMD ["/usr/sbin/exim4", "-bdf", "-q30m"]',
    'CMD ["exim", "-bd", "-q15m", "-v"]',  # -v: stays in the foreground (measured)
    'CMD ["/usr/sbin/pure-ftpd", "-l", "puredb:/etc/pure-ftpd/pureftpd.pdb", "-E"]',
    'CMD ["dnsmasq", "-k"]',
    'CMD ["dnsmasq", "--keep-in-foreground", "--user=root"]',
])
def test_daemons_that_reap_and_stop_are_not_reported(repo: Path, cmd: str) -> None:
    assert el104(repo, cmd) == []


def test_sshd_from_a_start_script_with_options_in_a_variable(repo: Path) -> None:
    """The corpus pattern `exec /usr/sbin/sshd -D $SERVICE_SSH_OPTS`."""
    script = "#!/bin/sh\nset -e\nexec /usr/sbin/sshd -D $SERVICE_SSH_OPTS\n"
    assert el104(repo, 'COPY start.sh /start.sh\nCMD ["/start.sh"]',
                 {"start.sh": script}) == []


def test_unreadable_options_may_hold_the_flag(repo: Path) -> None:
    """`haproxy $OPTS`: the word entrylint cannot read may be `-W`; nothing is claimed."""
    script = "#!/bin/sh\nexec haproxy $HAPROXY_OPTS -f /etc/haproxy/haproxy.cfg\n"
    assert el104(repo, 'COPY start.sh /start.sh\nCMD ["/start.sh"]',
                 {"start.sh": script}) == []


def test_vsftpd_is_reported_with_the_true_reason(repo: Path) -> None:
    (d,) = el104(repo, 'CMD ["vsftpd", "/etc/vsftpd.conf"]')
    assert "never reaps" not in d["message"]
    assert "dies (SIGSEGV) when it reaps a process it did not start" in d["message"]
    assert "ignores SIGTERM as PID 1" in d["message"]
    assert "Run it under an init" in d["message"] and d["fix"] is not None


def test_cron_reaps_but_ignores_sigterm(repo: Path) -> None:
    (d,) = el104(repo, 'CMD ["cron", "-f"]')
    assert "never reaps" not in d["message"]
    assert "reaps orphans but ignores SIGTERM as PID 1" in d["message"]


@pytest.mark.parametrize(("cmd", "flag"), [
    ('CMD ["exim", "-bd", "-q15m"]', "-bdf"),
    ('CMD ["/usr/sbin/sshd", "-e"]', "-D"),
    ('CMD ["dnsmasq", "--user=root"]', "-k"),
])
def test_daemons_that_fork_away_get_their_flag_not_an_init(repo: Path, cmd: str,
                                                           flag: str) -> None:
    """PID 1 exits at once (measured): tini in front would exit with it, so no init fix."""
    (d,) = el104(repo, cmd)
    assert "forks into the background" in d["message"]
    assert f"`{flag}`" in d["message"]
    assert "never reaps" not in d["message"] and "Run it under an init" not in d["message"]
    assert d["fix"] is None


def test_haproxy_without_master_worker_never_reaps(repo: Path) -> None:
    (d,) = el104(repo, 'CMD ["haproxy", "-f", "/usr/local/etc/haproxy/haproxy.cfg"]')
    assert "never reaps orphaned processes" in d["message"]
    assert "(with `-W` it reaps them itself)" in d["message"]


def test_redis_never_reaps(repo: Path) -> None:
    (d,) = el104(repo, 'CMD ["redis-server"]')
    assert "never reaps orphaned processes" in d["message"]
