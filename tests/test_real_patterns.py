"""Patterns found in real repositories (bench/corpus.py), each reproduced by a small repository
of our own: the findings entrylint must give, and must not (issue 8)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import invoke_in

# (id, files, expected (rule, path, line) findings)
CASES: list[tuple[str, dict[str, str], list[tuple[str, str, int]]]] = [
    # `#!/usr/bin/dumb-init /bin/sh`: dumb-init is PID 1 (it reaps); the shell still runs the
    # server as a child, which gets SIGTERM only by a race (measured 5 of 8)
    ("init-in-shebang",
     {"Dockerfile": "FROM alpine:3.19\nRUN apk add dumb-init\nCOPY boot.sh /boot.sh\n"
                    "ENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/usr/bin/dumb-init /bin/sh\nset -e\nmyserver \"$@\"\n"},
     [("EL103", "boot.sh", 3)]),
    ("init-in-shebang-exec",
     {"Dockerfile": "FROM alpine:3.19\nRUN apk add dumb-init\nCOPY boot.sh /boot.sh\n"
                    "ENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/usr/bin/dumb-init /bin/sh\nset -e\nexec myserver \"$@\"\n"},
     []),
    # a tini release build by its platform name is tini
    ("tini-build-name",
     {"Dockerfile": "FROM debian:12\nADD https://example.org/tini-static-amd64 /tini\n"
                    "COPY boot.sh /boot.sh\nRUN chmod +x /tini\n"
                    "ENTRYPOINT [\"/tini-static-amd64\", \"--\", \"/boot.sh\"]\n",
      "boot.sh": "#!/bin/sh\nexec myserver\n"},
     []),
    # the trap handler called at the end cleans up after the server: not a missing exec
    ("trap-handler-called-last",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nCMD [\"/bin/bash\", \"/boot.sh\"]\n",
      "boot.sh": "#!/bin/bash\nterm_handler() {\n  [[ -n \"$pid\" ]] && kill \"$pid\"\n"
                 "  cleanup_files\n  exit 0\n}\ntrap term_handler INT TERM\nmyserver &\n"
                 "pid=$!\nwhile [[ -e /proc/$pid ]]; do\n  wait \"$pid\"\ndone\n"
                 "term_handler\n"},
     []),
    # ... but without a trap the same script leaves the server unsignalled
    ("no-trap-background-wait",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nCMD [\"/bin/bash\", \"/boot.sh\"]\n",
      "boot.sh": "#!/bin/bash\nmyserver &\nwait $!\n"},
     [("EL109", "boot.sh", 3)]),  # background-without-forwarding (was EL103)
    # a trap that calls a function that asks the server to stop
    ("trap-nested-stop",
     {"Dockerfile": "FROM nginx:1.27\nCOPY boot.sh /boot.sh\nCMD [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/sh\nstop_nginx() { nginx -s quit; }\nstop_all() { stop_nginx; }\n"
                 "trap stop_all TERM\nnginx -g 'daemon off;' &\nwait\n"},
     []),
    # a `case "$1"` arm that CMD does not select is another command (a one-shot migration)
    ("case-arm-not-selected",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n"
                    "CMD [\"app:start\"]\n",
      "boot.sh": "#!/bin/bash\nset -e\ncase \"$1\" in\n  app:start)\n    exec nginx ;;\n"
                 "  app:init)\n    do_migrations ;;\n  *)\n    exec \"$@\" ;;\nesac\n"},
     [("EL115", "Dockerfile", 3)]),  # nginx on Debian without STOPSIGNAL SIGQUIT
    # `exec $(which squid)` and a literal bash array in `set -- "${DEFAULT[@]}"`
    ("which-and-array",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/bash\nDEFAULT=(java -jar app.jar)\nif [[ $# -eq 0 ]]; then\n"
                 "  set -- \"${DEFAULT[@]}\"\nfi\nexec $(which \"$1\") \"${@:2}\"\n"},
     []),
    ("array-default-command",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/bash\nDEFAULT=(java -jar app.jar)\nif [[ $# -eq 0 ]]; then\n"
                 "  set -- \"${DEFAULT[@]}\"\nfi\nexec \"$@\"\n"},
     [("EL104", "Dockerfile", 3)]),
    ("exec-which",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/sh\nexec $(which node) server.js\n"},
     [("EL104", "Dockerfile", 3)]),
    # a loop around `wait` under a trap that stops the job: correct supervision
    ("trap-loop-around-wait",
     {"Dockerfile": "FROM alpine:3.19\nRUN apk add tini\nCOPY boot.sh /boot.sh\n"
                    "ENTRYPOINT [\"/sbin/tini\", \"--\", \"/boot.sh\"]\n",
      "boot.sh": "#!/bin/sh\nstop() { kill \"$pid\"; exit 0; }\ntrap stop TERM INT\n"
                 "while true; do\n  worker &\n  pid=$!\n  wait \"$pid\"\n  sleep 5\ndone\n"},
     []),
    ("trap-kill-any-variable",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nCMD [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/bash\nnode server.js &\nSERVER=$!\n"
                 "trap 'kill -TERM $SERVER; wait $SERVER' TERM INT\nwait $SERVER\n"},
     []),  # and bash, PID 1 for good, reaps
    # a periodic job: `sleep N & wait $!` under a trap that exits ends at once on TERM
    ("periodic-loop-interruptible-sleep",
     {"Dockerfile": "FROM alpine:3.19\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/sh\ncleanup() { echo bye; exit 0; }\ntrap cleanup INT TERM\n"
                 "while true; do\n  certbot renew\n  sleep 43200 &\n  wait $!\ndone\n"},
     []),
    # ... but the same trap around a server in the background leaves it to be SIGKILLed
    ("loop-server-exit-trap",
     {"Dockerfile": "FROM alpine:3.19\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/sh\ntrap 'exit 0' INT TERM\n"
                 "while true; do\n  myserver &\n  wait $!\n  sleep 5\ndone\n"},
     [("EL109", "boot.sh", 3)]),
    # `if [[ "$1" == web ]]; then exec nginx; fi; exec "$@"` with CMD ["web"]: nginx is PID 1
    ("if-guard-exec",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n"
                    "CMD [\"web\"]\n",
      "boot.sh": "#!/bin/bash\nif [[ \"$1\" == \"web\" ]]; then\n  exec nginx -g \"daemon off;\"\n"
                 "fi\nexec \"$@\"\n"},
     [("EL115", "Dockerfile", 3)]),  # nginx on Debian without STOPSIGNAL SIGQUIT
    # ... and with another CMD, "$@" is what runs: node never reaps
    ("if-guard-other-command",
     {"Dockerfile": "FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n"
                    "CMD [\"node\", \"server.js\"]\n",
      "boot.sh": "#!/bin/bash\nif [[ \"$1\" == \"web\" ]]; then\n  exec nginx -g \"daemon off;\"\n"
                 "fi\nexec \"$@\"\n"},
     [("EL104", "Dockerfile", 3)]),
]


@pytest.mark.parametrize(("files", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_real_pattern(repo: Path, files: dict[str, str],
                      expected: list[tuple[str, str, int]]) -> None:
    for name, text in files.items():
        (repo / name).write_text(text)
        if text.startswith("#!"):
            (repo / name).chmod(0o755)  # as committed (a 0644 start script is EL112)
    r = invoke_in(repo, ["check", "--format", "json", "."])
    got = sorted((d["rule"], d["path"], d["line"]) for d in json.loads(r.stdout))
    assert got == sorted(expected), r.output
