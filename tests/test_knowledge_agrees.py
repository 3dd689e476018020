"""entrylint/knowledge.py must agree with what `entrylint probe` measured.

The measurements are the JSON block of docs/pid1-behaviour.md, written by bench/pid1_table.py.
Where they disagree, the measurement wins: fix knowledge.py (or re-run the bench).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from entrylint import facts, knowledge

DOC = Path(__file__).resolve().parent.parent / "docs" / "pid1-behaviour.md"

#: bench shell name -> knowledge's ShellKind
SHELL_KIND = {"dash": "dash", "bash": "bash", "busybox": "ash"}


def _rows() -> list[dict[str, Any]]:
    text = DOC.read_text()
    blocks = re.findall(r"^```json\n(.*?)^```$", text, flags=re.S | re.M)
    assert len(blocks) == 1, "docs/pid1-behaviour.md must have exactly one ```json block"
    data = json.loads(blocks[0])
    rows = [r for r in data["rows"] if r["reaps"] != "error"]
    assert rows, "the table has no measured row"
    return rows


ROWS = _rows()


def _ids(rows: list[dict[str, Any]]) -> list[str]:
    return [r["case"] for r in rows]


def _pick(**facts: Any) -> list[dict[str, Any]]:
    return [r for r in ROWS if all(r.get(k) == v for k, v in facts.items())]


def _measured(row: dict[str, Any]) -> bool:
    return not str(row["reaps"]).startswith("mixed") and not str(row["sigterm"]).startswith(
        "mixed")


def test_table_has_the_main_cases() -> None:
    kinds = {r["kind"] for r in ROWS}
    assert {"server", "shell", "init"} <= kinds
    assert _pick(kind="server", server="gunicorn"), "gunicorn row missing"
    assert {r["shell"] for r in _pick(kind="shell")} >= {"dash", "bash"}


SERVERS = _pick(kind="server")


@pytest.mark.parametrize("row", SERVERS, ids=_ids(SERVERS))
def test_server_reaping(row: dict[str, Any]) -> None:
    reaps = row["reaps"] in ("yes", "periodic")
    assert row["reaps"] in ("yes", "periodic", "no"), row["reaps"]
    assert knowledge.reaps(row["argv"]) == reaps, (
        f"{row['case']}: measured reaps={row['reaps']}, knowledge.reaps({row['argv']}) says "
        f"{not reaps}")
    name = row["server"]
    if reaps:
        reaper = knowledge.REAPERS[knowledge.program_name(row["argv"][0])]
        assert reaper.periodic == (row["reaps"] == "periodic"), row["case"]
        assert reaper.evidence == "measured"
    else:
        assert name in knowledge.NON_REAPERS_MEASURED, f"{name}: measured not to reap"


SHELLS = [r for r in _pick(kind="shell") if r["form"] in ("lone", "and", "redirect")]


@pytest.mark.parametrize("row", SHELLS, ids=_ids(SHELLS))
def test_shell_execs(row: dict[str, Any]) -> None:
    table = {
        "lone": knowledge.SHELL_EXECS_LONE_COMMAND,
        "and": knowledge.SHELL_EXECS_AFTER_AND,
        "redirect": knowledge.SHELL_EXECS_REDIRECTED,
    }[row["form"]]
    kind = SHELL_KIND[row["shell"]]
    assert table[kind] == row["app_is_pid1"], (
        f"{row['case']}: measured app_is_pid1={row['app_is_pid1']} (PID 1 is "
        f"{row['pid1_name']}), knowledge says {table[kind]}")
    # and the consequence the rules rely on: a shell that stays PID 1 loses SIGTERM
    if not row["app_is_pid1"]:
        assert row["sigterm"] == "ignored", row["case"]


OTHER_SHELL_FORMS = [r for r in _pick(kind="shell") if r["form"] in ("then-true", "exec")]


@pytest.mark.parametrize("row", OTHER_SHELL_FORMS, ids=_ids(OTHER_SHELL_FORMS))
def test_shell_exec_and_trailing_command(row: dict[str, Any]) -> None:
    """`sh -c 'exec app'` always makes the app PID 1; `sh -c 'app; true'` never does."""
    assert row["app_is_pid1"] == (row["form"] == "exec"), row["case"]


INITS = [r for r in ROWS if r.get("init")]


@pytest.mark.parametrize("row", INITS, ids=_ids(INITS))
def test_inits_are_known(row: dict[str, Any]) -> None:
    assert row["init"] in knowledge.INITS
    assert knowledge.INITS[row["init"]] == "measured"
    assert knowledge.is_init(row["argv"][0], from_build_context=False)
    if _measured(row):
        assert row["reaps"] == "yes", f"{row['case']}: an init must reap"


def test_npm_swallows_sigterm() -> None:
    rows = [r for r in _pick(kind="node", program="npm") if not r.get("init")]
    if not rows:
        pytest.skip("the table has no `npm start` row (node/npm were not installed)")
    row = rows[0]
    if row["sigterm"] in ("lost", "ignored"):
        assert "npm" in knowledge.SIGNAL_SWALLOWERS
    else:
        assert "npm" not in knowledge.SIGNAL_SWALLOWERS


LAUNCHERS = [r for r in _pick(kind="node")
             if r.get("variant") and not r.get("init") and not r.get("slow")]
SLOW = [r for r in _pick(kind="node") if r.get("slow")]


def test_every_launcher_fact_is_measured() -> None:
    """Each entry of facts.LAUNCHERS has its row (npm; yarn 1, yarn 4, pnpm: bench/pid1_table.py
    npm-installs them into a temporary prefix; the test reads only the committed table)."""
    assert {r["variant"] for r in LAUNCHERS} == set(facts.LAUNCHERS)
    assert set(facts.PACKAGE_MANAGERS) == {f.program for f in facts.LAUNCHERS.values()}
    assert all(v == "measured" for v in facts.PACKAGE_MANAGERS.values())
    assert all(knowledge.SIGNAL_SWALLOWERS[p].startswith("measured")
               for p in facts.PACKAGE_MANAGERS)


@pytest.mark.parametrize("row", LAUNCHERS, ids=_ids(LAUNCHERS))
def test_launchers(row: dict[str, Any]) -> None:
    """EL110's facts: each package manager stays PID 1 (the app is its child, never reaped);
    whether the app got SIGTERM before the package manager exited is what facts.LAUNCHERS
    says."""
    launcher = facts.LAUNCHERS[row["variant"]]
    assert launcher.program == row["program"] == row["argv"][0], row["case"]
    assert not row["app_is_pid1"] and row["reaps"] == "no", row["case"]
    assert not knowledge.reaps(row["argv"]), row["case"]
    assert row["sigterm"] == ("exits" if launcher.app_gets_sigterm else "lost"), row["case"]
    assert all(row["app_got_sigterm"]) == launcher.app_gets_sigterm, row["case"]
    assert ("sh -c" in row["case"]) == launcher.via_sh, row["case"]
    if not launcher.app_gets_sigterm:
        assert facts.launcher_loses_sigterm(launcher.program), row["case"]


@pytest.mark.parametrize("row", SLOW, ids=_ids(SLOW))
def test_launchers_with_an_app_that_takes_time_to_stop(row: dict[str, Any]) -> None:
    """The app needs 1 s to stop: only a launcher that waits for it lets it finish; an init
    in front (even `tini -g`, which gets SIGTERM to the app) exits with the launcher."""
    launcher = facts.LAUNCHERS[row["variant"]]
    finished = all(row["app_got_sigterm"]) and row["sigterm"] == "exits"
    if row.get("init"):
        assert not finished and not launcher.waits_for_app, row["case"]
        assert row["init"] in facts.GROUP_SIGNALLING_INIT_FLAGS, row["case"]
        return
    assert finished == launcher.waits_for_app == launcher.stops_cleanly, row["case"]
    assert facts.launcher_loses_sigterm(launcher.program) != finished or \
        launcher.program == "yarn", row["case"]  # yarn: yarn 1 loses it, yarn 4 does not


def test_slow_stop_is_measured_for_each_launcher_that_gets_sigterm_through() -> None:
    """A launcher that passes SIGTERM on is believed to wait only where the slow row says so."""
    slow = {r["variant"] for r in SLOW if not r.get("init")}
    assert {k for k, f in facts.LAUNCHERS.items() if f.app_gets_sigterm} <= slow
    assert {r["variant"] for r in SLOW if r.get("init")} >= {"npm"}


def test_node_does_not_reap() -> None:
    rows = _pick(kind="node", program="node")
    if not rows:
        pytest.skip("the table has no `node server.js` row")
    assert rows[0]["reaps"] == "no"
    assert "node" in knowledge.NON_REAPERS_MEASURED
    assert not knowledge.reaps(rows[0]["argv"])


def test_exec_form_python_does_not_reap() -> None:
    rows = _pick(kind="exec")
    assert rows
    for row in rows:
        assert row["reaps"] == "no"
        assert not knowledge.reaps(row["argv"])


PRIVILEGE = _pick(kind="privilege")


@pytest.mark.parametrize("row", PRIVILEGE, ids=_ids(PRIVILEGE))
def test_privilege_drops(row: dict[str, Any]) -> None:
    """EL108's facts: which drops exec, which stay; what they do with SIGTERM and orphans."""
    prog = row["program"]
    if prog in facts.EXEC_DROPS:
        assert row["app_is_pid1"] and prog in knowledge.EXEC_WRAPPERS, row["case"]
        return
    drop = facts.PRIVILEGE_DROPS[prog]
    assert prog in knowledge.SIGNAL_SWALLOWERS and not row["app_is_pid1"], row["case"]
    assert (row["reaps"] == "yes") == drop.reaps == knowledge.reaps(row["argv"]), row["case"]
    dropped = facts.dropped_command(prog, row["argv"][1:])
    assert dropped is not None
    if dropped.text is not None and not dropped.text.startswith("exec "):
        assert row["sigterm"] == "lost", row["case"]  # dash runs the app as its child
        return
    assert row["sigterm"] == "exits", row["case"]
    assert all(c == 143 for c in row["returncode"]) == drop.exits_143, row["case"]
    assert row["stop_seconds"] >= drop.stop_delay * 0.9, row["case"]


UWSGI = [r for r in SERVERS if r["server"].startswith("uwsgi")]


@pytest.mark.parametrize("row", UWSGI, ids=_ids(UWSGI))
def test_uwsgi_needs_master_and_die_on_term(row: dict[str, Any]) -> None:
    """EL111: only --master --die-on-term both reaps and stops on SIGTERM."""
    master = "--master" in row["argv"]
    die = "--die-on-term" in row["argv"]
    assert (row["reaps"] != "no") == master, row["case"]
    if master:
        assert (row["sigterm"] == "exits") == die, row["case"]
    assert "uwsgi" in facts.FLAG_FIXABLE_SERVERS


DEV = [r for r in SERVERS if facts.dev_server(r["argv"]) is not None]


@pytest.mark.parametrize("row", DEV, ids=_ids(DEV))
def test_dev_servers_do_not_stop_cleanly(row: dict[str, Any]) -> None:
    """EL111: every development server measured ignores SIGTERM or loses it, and never reaps."""
    assert row["sigterm"] in ("ignored", "lost"), row["case"]
    assert row["reaps"] == "no", row["case"]


def test_dev_server_rows_exist() -> None:
    assert {facts.dev_server(r["argv"]) for r in DEV} >= {"flask run", "manage.py runserver"}


DAEMONS = _pick(kind="daemon")
#: a program known by another name that is the same binary (Debian: /usr/sbin/exim -> exim4)
SAME_PROGRAM = {"exim": "exim4"}


def test_daemon_rows_exist() -> None:
    """bench/pid1_daemons.py's rows are in the table (measured from Debian 12's packages)."""
    names = {r["daemon"] for r in DAEMONS}
    assert {"sshd", "haproxy", "exim4", "vsftpd", "pure-ftpd"} <= names


@pytest.mark.parametrize("row", DAEMONS, ids=_ids(DAEMONS))
def test_daemon_as_pid1(row: dict[str, Any]) -> None:
    """EL104's knowledge of daemons: a daemon that reaps and stops on SIGTERM is a good PID 1
    (knowledge.reaps); one that never reaps is "never reaps"; any other has a Pid1Flaw that
    says what the row shows (crashes, ignores SIGTERM, forks into the background)."""
    argv = row["argv"]
    name = knowledge.program_name(argv[0])
    assert name == row["daemon"], row["case"]
    good = row["reaps"] in ("yes", "periodic") and row["sigterm"] == "exits"
    assert knowledge.reaps(argv) == good, row["case"]
    flaw = knowledge.pid1_flaw(argv)
    if good:
        reaper = knowledge.REAPERS[name]
        assert reaper.evidence == "measured", row["case"]
        assert reaper.periodic == (row["reaps"] == "periodic"), row["case"]
        assert flaw is None, row["case"]
        return
    if row["reaps"] == "no":  # "never reaps" is the truth
        assert flaw is None and name in knowledge.NON_REAPERS_MEASURED, row["case"]
        return
    assert flaw is not None and flaw.evidence == "measured", row["case"]
    assert "never reaps" not in flaw.what, row["case"]
    if row["reaps"] == "not tried" and row["sigterm"] == "exited-early":
        assert "forks into the background" in flaw.what and not flaw.init_helps, row["case"]
        return
    assert flaw.init_helps, row["case"]
    if row["reaps"].startswith("crashed ("):
        died_of = row["reaps"].removeprefix("crashed (").rstrip(")")
        assert f"dies ({died_of})" in flaw.what, row["case"]
    if row["sigterm"] == "ignored":
        assert "ignores SIGTERM as PID 1" in flaw.what, row["case"]
    if row["reaps"] == "yes":
        assert "reaps orphans but" in flaw.what, row["case"]


def test_every_daemon_fact_is_measured() -> None:
    """Each measured daemon entry of knowledge.py has its row (or is the same binary as one)."""
    names = {r["daemon"] for r in DAEMONS}
    flaws = {f.name for f in knowledge.PID1_FLAWS.values() if f.evidence == "measured"}
    assert {SAME_PROGRAM.get(n, n) for n in flaws} <= names
    servers = {r["server"] for r in SERVERS} | {r["program"] for r in PRIVILEGE}
    measured = {n for n, r in knowledge.REAPERS.items() if r.evidence == "measured"}
    # httpd and its wrappers were measured before the bench had them (shared/reference)
    unbenched = {"httpd", "apache2", "apachectl", "apache2ctl"}
    assert {SAME_PROGRAM.get(n, n) for n in measured} - unbenched <= names | servers
