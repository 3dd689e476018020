"""Start-up patterns of real repositories that the model got wrong (issue 8, second pass),
each reproduced by a small repository of our own: the findings entrylint must give, and must
not.  Every pattern has a positive and a negative case."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import invoke_in

# (id, files, expected (rule, path, line) findings)
CASES: list[tuple[str, dict[str, str], list[tuple[str, str, int]]]] = [
    # ENTRYPOINT without CMD: `exec "$@"` has no words, replaces nothing, and the script goes
    # on to run the server without exec (which then never reaps as PID 1)
    ("exec-args-empty",
     {"Dockerfile": "FROM python:3.12-slim\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/bash\nset -o errexit\nexec \"$@\"\n\nmigrate\nuvicorn app:app\n"},
     [("EL103", "boot.sh", 6), ("EL104", "Dockerfile", 3)]),
    # ... with a CMD, `exec "$@"` runs it and what follows never runs
    ("exec-args-given",
     {"Dockerfile": "FROM python:3.12-slim\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n"
                    "CMD [\"gunicorn\", \"app:app\"]\n",
      "boot.sh": "#!/bin/bash\nset -o errexit\nexec \"$@\"\n\nmigrate\nuvicorn app:app\n"},
     [("EL113", "boot.sh", 5)]),
    # ... and `set -- gunicorn "$@"` gives `exec "$@"` words even without a CMD
    ("exec-args-set",
     {"Dockerfile": "FROM python:3.12-slim\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/bash\nset -e\nset -- gunicorn app:app \"$@\"\nexec \"$@\"\n"},
     []),
    # `su … -c` run last without exec: EL108 reports it (not EL103), and EL104 judges the PID 1
    # that fixing it leaves, in the same run
    ("su-child-no-init",
     {"Dockerfile": "FROM ubuntu:24.04\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/bash\nset -e\nsu - app -c \"/srv/server $ARGS\"\n"},
     [("EL108", "boot.sh", 3), ("EL104", "Dockerfile", 3)]),
    # ... the same for `npm run start` (EL110)
    ("npm-child-no-init",
     {"Dockerfile": "FROM node:22-alpine\nWORKDIR /app\nCOPY boot.sh /boot.sh\n"
                    "ENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/sh\nset -e\nnpm run start\n"},
     [("EL110", "boot.sh", 3), ("EL104", "Dockerfile", 4)]),
    # ... and under tini -g (which signals the group and reaps) neither applies
    ("su-child-tini-g",
     {"Dockerfile": "FROM ubuntu:24.04\nRUN apt-get update && apt-get install -y tini\n"
                    "COPY boot.sh /boot.sh\nENTRYPOINT [\"tini\", \"-g\", \"--\", \"/boot.sh\"]\n",
      "boot.sh": "#!/bin/bash\nset -e\nsu - app -c \"exec /srv/server\"\n"},
     []),
    # `sudo -u app …` relays SIGTERM and reaps once exec'd: run as the shell's child, only the
    # exec is missing (EL103), also under an init
    ("sudo-child-under-tini",
     {"Dockerfile": "FROM ubuntu:24.04\nRUN apt-get update && apt-get install -y tini sudo\n"
                    "COPY boot.sh /boot.sh\nENTRYPOINT [\"tini\", \"--\", \"/boot.sh\"]\n",
      "boot.sh": "#!/bin/bash\nset -e\nsudo -n -E -u app /srv/server\n"},
     [("EL103", "boot.sh", 3)]),
    ("sudo-exec-under-tini",
     {"Dockerfile": "FROM ubuntu:24.04\nRUN apt-get update && apt-get install -y tini sudo\n"
                    "COPY boot.sh /boot.sh\nENTRYPOINT [\"tini\", \"--\", \"/boot.sh\"]\n",
      "boot.sh": "#!/bin/bash\nset -e\nexec sudo -n -E -u app /srv/server\n"},
     []),
    # an architecture namespace publishes the same official image: its ENTRYPOINT (none) and
    # its OS are known, so PID 1 is `python`, which never reaps
    ("arch-namespace-official",
     {"Dockerfile": "FROM arm64v8/python:3.12-slim\nCOPY app.py /app.py\n"
                    "CMD [\"python\", \"/app.py\"]\n", "app.py": "print(1)\n"},
     [("EL104", "Dockerfile", 3)]),
    ("arch-namespace-lookalike",
     {"Dockerfile": "FROM arm64v8x/python:3.12-slim\nCOPY app.py /app.py\n"
                    "CMD [\"python\", \"/app.py\"]\n", "app.py": "print(1)\n"},
     []),
    # a script that ends by sourcing the base image's entrypoint with a command: what that
    # entrypoint execs (`exec "$@"`, the official images' pattern) replaces the script
    ("source-base-entrypoint-known",
     {"Dockerfile": "FROM postgres:16\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/bash\nset -e\nprepare\n. /usr/local/bin/docker-entrypoint.sh "
                 "node /srv/server.js\n"},
     [("EL104", "Dockerfile", 3)]),
    # ... an unknown vendor base: followed on the assumption, which the message states
    ("source-base-entrypoint-assumed",
     {"Dockerfile": "FROM vendor/vaultish:1.2\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/sh\nset -e\n. /usr/local/bin/docker-entrypoint.sh vault server\n"},
     [("EL104", "Dockerfile", 3)]),
    ("exec-base-entrypoint-assumed",
     {"Dockerfile": "FROM vendor/vaultish:1.2\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n"
                    "CMD [\"vault\", \"server\"]\n",
      "boot.sh": "#!/bin/sh\nset -e\nexec /usr/local/bin/docker-entrypoint.sh \"$@\"\n"},
     [("EL104", "Dockerfile", 3)]),
    # ... a sourced script from the build context runs in the same shell: its `exec` counts
    ("source-context-script",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh lib.sh /\nENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/sh\nset -e\n. /lib.sh\n",
      "lib.sh": "prepare() { :; }\nprepare\nexec myserver --serve\n"},
     [("EL104", "Dockerfile", 3)]),
    # ... and sourcing a settings file at the end is no exec (the shell is PID 1 and reaps)
    ("source-settings-last",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh env.sh /\nENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/sh\nset -e\n. /env.sh\n",
      "env.sh": "export A=1\n"},
     []),
    # `start-stop-daemon --start --exec PROG` execs PROG (measured): PID 1 is gunicorn, which
    # reaps; only the script's missing exec is reported
    ("start-stop-daemon-foreground",
     {"Dockerfile": "FROM debian:12\nCOPY start.sh /start.sh\nCMD [\"bash\", \"/start.sh\"]\n",
      "start.sh": "#!/bin/bash\nstart-stop-daemon --start -c app:app --exec /srv/bin/gunicorn "
                  "--chdir /srv -- app:app -b :9090\n"},
     [("EL103", "start.sh", 2)]),
    # ... and a script it execs is followed
    ("start-stop-daemon-script",
     {"Dockerfile": "FROM debian:12\nCOPY start.sh run.sh /\nCMD [\"/start.sh\"]\n",
      "start.sh": "#!/bin/sh\nexec start-stop-daemon --start --chuid app --exec /run.sh "
                  "-- --port 80\n",
      "run.sh": "#!/bin/sh\nmyserver \"$@\"\n"},
     [("EL103", "run.sh", 2), ("EL104", "Dockerfile", 3)]),
    # ... with --background it forks the daemon and exits at once: no PID 1 to judge
    ("start-stop-daemon-background",
     {"Dockerfile": "FROM debian:12\nCOPY start.sh /\nCMD [\"/start.sh\"]\n",
      "start.sh": "#!/bin/sh\nexec start-stop-daemon --start --background --exec "
                  "/usr/bin/myserver\n"},
     []),
    # an if/elif chain on "$1": with CMD ["web"] only the first branch runs (the worker
    # branch's missing exec is another command's)
    ("elif-chain-first-taken",
     {"Dockerfile": "FROM python:3.12-slim\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n"
                    "CMD [\"web\"]\n",
      "boot.sh": "#!/bin/bash\nset -e\nif [ \"$1\" = 'web' ]; then\n  exec gunicorn app:app\n"
                 "elif [ \"$1\" = 'worker' ]; then\n  celery -A app worker\nelse\n  exec \"$@\"\nfi\n"},
     []),
    # ... with CMD ["worker"] the elif branch runs: its missing exec is reported
    ("elif-chain-second-taken",
     {"Dockerfile": "FROM python:3.12-slim\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n"
                    "CMD [\"worker\"]\n",
      "boot.sh": "#!/bin/bash\nset -e\nif [ \"$1\" = 'web' ]; then\n  exec gunicorn app:app\n"
                 "elif [ \"$1\" = 'worker' ]; then\n  celery -A app worker\nelse\n  exec \"$@\"\nfi\n"},
     [("EL103", "boot.sh", 6), ("EL104", "Dockerfile", 3)]),
    # uWSGI options from the ini file COPY puts in the image (the model reads it)
    ("uwsgi-ini-master-die-on-term",
     {"Dockerfile": "FROM python:3.12-slim\nRUN pip install uwsgi\nWORKDIR /srv\nCOPY . .\nCMD [\"uwsgi\", \"--ini\", \"app.ini\"]\n",
      "app.ini": "[uwsgi]\nmodule = app:app\nmaster = True\ndie_on_term = true\n"},
     []),
    ("uwsgi-ini-master-only",
     {"Dockerfile": "FROM python:3.12-slim\nRUN pip install uwsgi\nWORKDIR /srv\nCOPY . .\nCMD [\"uwsgi\", \"--ini\", \"app.ini\"]\n",
      "app.ini": "[uwsgi]\nmodule = app:app\nmaster = true\n#die-on-term = true\n"},
     [("EL111", "Dockerfile", 5)]),
    ("uwsgi-ini-no-master",
     {"Dockerfile": "FROM python:3.12-slim\nRUN pip install uwsgi\nWORKDIR /srv\nCOPY . .\nCMD [\"uwsgi\", \"--ini\", \"app.ini\"]\n",
      "app.ini": "[uwsgi]\nmodule = app:app\nmaster = false\ndie-on-term = true\n"},
     [("EL111", "Dockerfile", 5)]),
    # ... an ini that includes another is not judged
    ("uwsgi-ini-includes",
     {"Dockerfile": "FROM python:3.12-slim\nRUN pip install uwsgi\nWORKDIR /srv\nCOPY . .\nCMD [\"uwsgi\", \"--ini\", \"app.ini\"]\n",
      "app.ini": "[uwsgi]\nini = base.ini\nmodule = app:app\n"},
     []),
    # a trap whose handler only logs does not forward SIGTERM, even if the log line says "kill"
    ("trap-logs-kill-word",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/bash\nstop() { echo \"stop requested: kill pending\"; }\n"
                 "trap stop TERM\nmyserver &\nwait $!\n"},
     [("EL109", "boot.sh", 5)]),
    # `command exec app` execs (the builtin runs the exec builtin): nothing is missing, and
    # EL104 judges the program it execs
    ("command-exec",
     {"Dockerfile": "FROM python:3.12-slim\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/sh\ncommand exec python /srv/app.py\n"},
     [("EL104", "Dockerfile", 3)]),
    # ... while `eval "$CMD"` alone runs the command as a child of the shell
    ("eval-child",
     {"Dockerfile": "FROM python:3.12-slim\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/sh\neval python /srv/app.py\n"},
     [("EL103", "boot.sh", 2), ("EL104", "Dockerfile", 3)]),
    # a template's placeholder (`%%CMD%%`, filled in by a generator) is no program: nothing is
    # said about the PID 1 it will be (--verbose says why)
    ("template-placeholder",
     {"Dockerfile": "FROM debian:12\nCOPY entrypoint.sh /entrypoint.sh\n"
                    "ENTRYPOINT [\"/entrypoint.sh\"]\nCMD [\"%%CMD%%\"]\n",
      "entrypoint.sh": "#!/bin/sh\nset -e\nexec \"$@\"\n"},
     []),
    # php's own entrypoint is docker-php-entrypoint: an /entrypoint.sh that nothing copies in
    # is not the base image's (another official image's script of that name does not count)
    ("not-the-base-entrypoint",
     {"Dockerfile": "FROM php:8.3-fpm-alpine\nENTRYPOINT [\"/entrypoint.sh\"]\n"
                    "CMD [\"php-fpm\"]\n"},
     [("EL100", "Dockerfile", 2)]),
    # ... while postgres's docker-entrypoint.sh is, and ends in `exec "$@"`
    ("the-base-entrypoint",
     {"Dockerfile": "FROM postgres:16\nENTRYPOINT [\"docker-entrypoint.sh\"]\n"
                    "CMD [\"postgres\"]\n"},
     []),
    # `sh -c 'java …'` on an image whose /bin/sh is not known: whichever shell it is, once
    # EL105's `exec` is in, java is PID 1 and never reaps (EL104 says so in the same run)
    ("sh-c-unknown-shell",
     {"Dockerfile": "FROM vendor/jre:11\nCOPY app.jar /app.jar\n"
                    "ENTRYPOINT [\"sh\", \"-c\", \"java $JAVA_OPTS -jar /app.jar\"]\n",
      "app.jar": ""},
     [("EL105", "Dockerfile", 3), ("EL104", "Dockerfile", 3)]),
    # a last `echo` that only logs is no command: the app before it is what lacks `exec`
    ("tail-echo-logs",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/sh\nmyserver --port 80\necho \"server stopped\" >&2\n"},
     [("EL103", "boot.sh", 2), ("EL104", "Dockerfile", 3)]),
    # ... but one that writes a file (a GitHub Action's output) is the last command: an exec
    # of the app would lose it, and the shell stays PID 1 (it reaps)
    ("tail-echo-writes-file",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/sh\nmyserver --port 80\necho \"time=$(date)\" >> $GITHUB_OUTPUT\n"},
     []),
    # ... one that logs and then kills the job forwards it: correct supervision
    ("trap-logs-then-kills",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/bash\nstop() { echo \"stopping\"; kill -TERM \"$pid\"; }\n"
                 "trap stop TERM\nmyserver &\npid=$!\nwait \"$pid\"\n"},
     []),
    # an endless loop that is not the script's last statement: with CMD [.., "-d"] its branch
    # runs and never ends, so the `-shell` branch after it is unreachable (EL109, no EL103)
    ("endless-loop-then-more",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nCMD [\"/boot.sh\", \"-d\"]\n",
      "boot.sh": "#!/bin/bash\nmyd --daemon\nif [[ $1 == \"-d\" ]]; then\n"
                 "  while true; do sleep 1000; done\nfi\nif [[ $1 == \"-shell\" ]]; then\n"
                 "  /bin/bash\nfi\n"},
     [("EL109", "boot.sh", 4)]),
    # ... `until false` and `while :` too, bare at the top level: `myserver` never runs
    ("until-false-then-server",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nCMD [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/sh\nmyd --daemon\nuntil false; do sleep 60; done\nmyserver\n"},
     [("EL109", "boot.sh", 3)]),
    # ... a loop with a `break` ends: what follows runs (the server's missing exec)
    ("loop-with-break-then-server",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nCMD [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/sh\nwhile :; do\n  [ -e /tmp/ready ] && break\n  sleep 1\ndone\n"
                 "myserver --port 80\n"},
     [("EL103", "boot.sh", 6), ("EL104", "Dockerfile", 3)]),
    # ... `tail -f` in the middle keeps the shell: the command after it never runs
    ("tail-f-then-more",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nCMD [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/sh\nmyserver &\ntail -f /dev/null\nmyserver --again\n"},
     [("EL109", "boot.sh", 3)]),
    # ... while `sleep 86400` ends after a day, and the command after it runs then
    ("long-sleep-then-server",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nCMD [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/sh\nsleep 86400\nmyserver --port 80\n"},
     [("EL103", "boot.sh", 3), ("EL104", "Dockerfile", 3)]),
    # a top-level copy of "$1" decides the branch as "$1" does: CMD ["web"] takes the branch
    # that execs the supervisor (which reaps), not `exec "$@"`
    ("arg1-copy-branch-taken",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n"
                    "CMD [\"web\"]\n",
      "boot.sh": "#!/bin/sh\nset -e\nFIRST=\"$1\"\nif [ \"$FIRST\" = \"web\" ]; then\n"
                 "  prepare\n  exec s6-svscan /etc/s6\nfi\nexec \"$@\"\n"},
     []),
    # ... with CMD ["worker"] the branch is not taken: `exec "$@"` makes worker PID 1
    ("arg1-copy-branch-not-taken",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n"
                    "CMD [\"worker\"]\n",
      "boot.sh": "#!/bin/sh\nset -e\nFIRST=\"$1\"\nif [ \"$FIRST\" = \"web\" ]; then\n"
                 "  prepare\n  exec s6-svscan /etc/s6\nfi\nexec \"$@\"\n"},
     [("EL104", "Dockerfile", 3)]),
    # ... the same in a `case "${FIRST}"` (unbraced copy `FIRST=$1`)
    ("arg1-copy-case",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n"
                    "CMD [\"web\"]\n",
      "boot.sh": "#!/bin/sh\nFIRST=$1\ncase \"${FIRST}\" in\n  web) exec s6-svscan /etc/s6 ;;\n"
                 "esac\nexec \"$@\"\n"},
     []),
    # ... a copy made after `shift` is the second argument, and one set again in a branch is
    # no copy: the test is not decided, and `exec "$@"` is what runs last
    ("arg1-copy-after-shift",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n"
                    "CMD [\"web\", \"web\"]\n",
      "boot.sh": "#!/bin/sh\nshift\nFIRST=\"$1\"\nif [ \"$FIRST\" = \"web\" ]; then\n"
                 "  exec s6-svscan /etc/s6\nfi\nexec \"$@\"\n"},
     [("EL104", "Dockerfile", 3)]),
    ("arg1-copy-set-again",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n"
                    "CMD [\"web\"]\n",
      "boot.sh": "#!/bin/sh\nFIRST=\"$1\"\n[ -n \"$MODE\" ] && FIRST=\"$MODE\"\n"
                 "if [ \"$FIRST\" = \"web\" ]; then\n  exec s6-svscan /etc/s6\nfi\nexec \"$@\"\n"},
     [("EL104", "Dockerfile", 3)]),
    # a test of "$2" inside the "$1" branch is decided by the second word of CMD: only
    # `app start` execs the supervisor; `app stop` falls through to `exec "$@"`
    ("second-arg-branch-taken",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n"
                    "CMD [\"app\", \"start\"]\n",
      "boot.sh": "#!/bin/bash\nif [[ \"$1\" == app ]]; then\n  prepare\n"
                 "  if [[ \"$2\" == \"start\" ]]; then\n    exec s6-svscan /etc/s6\n  fi\nfi\n"
                 "exec \"$@\"\n"},
     []),
    ("second-arg-branch-not-taken",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n"
                    "CMD [\"app\", \"stop\"]\n",
      "boot.sh": "#!/bin/bash\nif [[ \"$1\" == app ]]; then\n  prepare\n"
                 "  if [[ \"$2\" == \"start\" ]]; then\n    exec s6-svscan /etc/s6\n  fi\nfi\n"
                 "exec \"$@\"\n"},
     [("EL104", "Dockerfile", 3)]),
    # `[[ "$1" == server ]] && { …; exec runsvdir …; }` is a branch: CMD ["server"] takes it
    ("and-group-branch-taken",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n"
                    "CMD [\"server\"]\n",
      "boot.sh": "#!/bin/bash\nset -e\n[[ \"$1\" == \"server\" ]] && {\n  prepare\n"
                 "  exec runsvdir -P /etc/service\n}\nexec \"$@\"\n"},
     []),
    # ... CMD ["other"] does not, and `exec "$@"` makes `other` PID 1
    ("and-group-branch-not-taken",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n"
                    "CMD [\"other\"]\n",
      "boot.sh": "#!/bin/bash\nset -e\n[[ \"$1\" == \"server\" ]] && {\n  prepare\n"
                 "  exec runsvdir -P /etc/service\n}\nexec \"$@\"\n"},
     [("EL104", "Dockerfile", 3)]),
    # ... `[ … ] && exec cmd` on one line, tested through a copy of "$1"
    ("and-exec-one-line",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n"
                    "CMD [\"web\"]\n",
      "boot.sh": "#!/bin/sh\nMODE=\"${1}\"\n[ \"$MODE\" = web ] && exec s6-svscan /etc/s6\n"
                 "exec \"$@\"\n"},
     []),
    # ... and as the last statement, a group whose test fails does not run: no missing exec
    ("and-group-last-not-taken",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n"
                    "CMD [\"other\"]\n",
      "boot.sh": "#!/bin/bash\n[[ \"$1\" == \"server\" ]] && {\n  myserver --port 80\n}\n"},
     []),
    ("and-group-last-taken",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n"
                    "CMD [\"server\"]\n",
      "boot.sh": "#!/bin/bash\n[[ \"$1\" == \"server\" ]] && {\n  myserver --port 80\n}\n"},
     [("EL103", "boot.sh", 3), ("EL104", "Dockerfile", 3)]),
]


@pytest.mark.parametrize(("files", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_startup_gap(repo: Path, files: dict[str, str],
                     expected: list[tuple[str, str, int]]) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
        if text.startswith("#!"):
            (repo / name).chmod(0o755)
    r = invoke_in(repo, ["check", "--format", "json", "."])
    got = sorted((d["rule"], d["path"], d["line"]) for d in json.loads(r.stdout))
    assert got == sorted(expected), r.output


def test_assumed_base_entrypoint_is_said(repo: Path) -> None:
    (repo / "Dockerfile").write_text("FROM vendor/vaultish:1.2\nCOPY boot.sh /boot.sh\n"
                                     "ENTRYPOINT [\"/boot.sh\"]\n")
    (repo / "boot.sh").write_text("#!/bin/sh\n. /usr/local/bin/docker-entrypoint.sh vault\n")
    (repo / "boot.sh").chmod(0o755)
    r = invoke_in(repo, ["check", "--format", "json", "."])
    (d,) = json.loads(r.stdout)
    assert "assumes that /usr/local/bin/docker-entrypoint.sh of the base image" in d["message"]


def test_arg_tests_of_later_arguments() -> None:
    from entrylint.shell import evaluate_arg_test

    assert evaluate_arg_test('[[ "$2" == "start" ]]', "app", ["start"]) is True
    assert evaluate_arg_test('[ "${2}" != start ]', "app", ["start"]) is False
    assert evaluate_arg_test('[ "$3" = x ]', "app", ["start"]) is False  # empty
    assert evaluate_arg_test('[ "$2" = start ]', "app") is None  # the rest is unknown
    assert evaluate_arg_test('[ "$2" = start ]', "app", [None]) is None


def test_start_stop_daemon_options() -> None:
    from entrylint.model.startup import parse_start_stop_daemon

    assert parse_start_stop_daemon(["--start", "--exec", "/bin/app", "--", "-v"]) == (
        ["/bin/app", "-v"], False)
    assert parse_start_stop_daemon(["-S", "-b", "-x", "/bin/app"]) == (["/bin/app"], True)
    assert parse_start_stop_daemon(["-Sb", "--exec=/bin/app", "--startas", "/bin/wrap"]) == (
        ["/bin/wrap"], True)
    assert parse_start_stop_daemon(["--stop", "--pidfile", "/run/app.pid"]) is None


def test_uwsgi_ini_reading() -> None:
    from entrylint.model.serverconfig import flag_on, parse_ini, uwsgi_ini_path

    assert uwsgi_ini_path(["uwsgi", "--ini=/srv/app.ini:prod"]) == ("/srv/app.ini", "prod")
    assert uwsgi_ini_path(["uwsgi", "--http", ":80", "app.ini"]) == ("app.ini", "uwsgi")
    assert uwsgi_ini_path(["uwsgi", "--ini", "a.ini", "--ini", "b.ini"]) is None
    opts = parse_ini("[other]\nmaster = true\n[prod]\nmaster = 1\nmaster = off\n", "prod")
    assert opts == {"master": "off"} and not flag_on(opts, "master")
    assert parse_ini("[uwsgi]\nmaster = true\n", "prod") is None
    assert flag_on({"master": "True"}, "master") and not flag_on({}, "master")


@pytest.mark.parametrize(("line", "word"), [("exec $(pick_server)", "$(pick_server)"),
                                            ('exec "$(cat /etc/app.cmd)" --port 80',
                                             '"$(cat /etc/app.cmd)"'),
                                            # eval's words are run as a command: it execs
                                            ('eval exec $(pick_server) -- "$@"',
                                             "$(pick_server)"),
                                            ('eval "exec $APP --bind :80"',
                                             '"exec $APP --bind :80"')])
def test_exec_of_substitution_is_unknown(repo: Path, line: str, word: str) -> None:
    """`exec $(fn)`: the program is unknown, and --verbose says so; EL104 guesses nothing."""
    (repo / "Dockerfile").write_text("FROM python:3.12-slim\nCOPY boot.sh /boot.sh\n"
                                     "ENTRYPOINT [\"/boot.sh\"]\n")
    (repo / "boot.sh").write_text(f"#!/bin/bash\npick_server() {{ echo python app.py; }}\n{line}\n")
    (repo / "boot.sh").chmod(0o755)
    r = invoke_in(repo, ["check", "--verbose", "--format", "json", "."])
    assert json.loads(r.stdout) == []
    assert f"boot.sh:3: the program `{word}` is only known at run time" in r.stderr


@pytest.mark.parametrize(("trap", "fate"), [
    ("trap 'cleanup; exit 143' TERM\n", "the kernel SIGKILLs the job at once, without SIGTERM"),
    ("", "the job is SIGKILLed after the grace period")])
def test_wait_without_forwarding_says_what_happens(repo: Path, trap: str, fate: str) -> None:
    """A TERM handler that does not signal the job ends the shell at once (the wait is
    interrupted): the job is SIGKILLed then, not after the grace period."""
    (repo / "Dockerfile").write_text("FROM debian:12\nCOPY boot.sh /boot.sh\n"
                                     "ENTRYPOINT [\"/boot.sh\"]\n")
    (repo / "boot.sh").write_text(f"#!/bin/bash\ncleanup() {{ rm -f /tmp/x; }}\n{trap}"
                                  "./run.sh &\nwait $!\n")
    (repo / "boot.sh").chmod(0o755)
    r = invoke_in(repo, ["check", "--format", "json", "."])
    (d,) = json.loads(r.stdout)
    assert d["rule"] == "EL109" and fate in d["message"]


def test_chroot_options_before_the_new_root() -> None:
    from entrylint.model.startup import wrapper_target

    assert wrapper_target("chroot", ["--userspec=app:app", "/", "myserver", "-v"]) == [
        "myserver", "-v"]
    assert wrapper_target("chroot", ["--userspec", "app", "--skip-chdir", "/srv", "app"]) == [
        "app"]
    assert wrapper_target("chroot", ["/", "myserver"]) == ["myserver"]
