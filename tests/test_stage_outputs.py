"""Start scripts that reach the final stage through what a builder stage's RUN did (issue 8,
third pass): ``RUN sh build.sh`` whose script copies ``script/*`` into ``output/``, which the
final stage takes with ``COPY --from``; and a script's own ``APP=name`` … ``exec bin/$APP``.
Each pattern with a positive and a negative case of our own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli_helpers import invoke_in

DOCKERFILE = ("FROM golang:1.22-alpine AS build\nWORKDIR /build\nCOPY . .\nRUN sh build.sh\n"
              "FROM alpine:3.20\nWORKDIR /app\nCOPY --from=build /build/output .\n"
              "ENTRYPOINT [\"./boot.sh\"]\n")
BOOT = "#!/bin/sh\necho starting\nmyserver --port 80\n"

# (id, files, expected (rule, path, line) findings); every file is mode 0644
CASES: list[tuple[str, dict[str, str], list[tuple[str, str, int]]]] = [
    # build.sh copies script/* into output/ and makes boot.sh executable there
    ("build-script-copies",
     {"Dockerfile": DOCKERFILE,
      "build.sh": "mkdir -p output/bin\ncp script/* output/\nchmod +x output/boot.sh\n"
                  "go build -o output/bin/myserver\n",
      "script/boot.sh": BOOT},
     [("EL103", "script/boot.sh", 3), ("EL104", "Dockerfile", 8)]),
    # ... without the chmod, boot.sh keeps its mode 0644: it cannot start
    ("build-script-no-chmod",
     {"Dockerfile": DOCKERFILE,
      "build.sh": "mkdir -p output\ncp script/* output/\n",
      "script/boot.sh": BOOT},
     [("EL112", "script/boot.sh", 1), ("EL103", "script/boot.sh", 3),
      ("EL104", "Dockerfile", 8)]),
    # `*` matches no dotfile, and cp without -r leaves directories out: not followed
    ("glob-leaves-out-directories",
     {"Dockerfile": DOCKERFILE.replace("./boot.sh", "./sub/boot.sh"),
      "build.sh": "mkdir -p output\ncp script/* output/\nchmod +x output/sub/boot.sh\n",
      "script/sub/boot.sh": BOOT},
     [("EL100", "Dockerfile", 8)]),
    # the same copy written in the RUN itself
    ("run-copies",
     {"Dockerfile": DOCKERFILE.replace("RUN sh build.sh", "RUN mkdir -p output && "
                                       "cp -r script/* output/ && chmod 755 output/boot.sh"),
      "script/boot.sh": BOOT},
     [("EL103", "script/boot.sh", 3), ("EL104", "Dockerfile", 8)]),
    # a script's own `APP=name` names what it execs
    ("script-variable",
     {"Dockerfile": "FROM alpine:3.20\nCOPY --chmod=755 boot.sh /boot.sh\n"
                    "ENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/sh\nAPP=\"myserver\"\nexport MODE=prod\nexec /usr/local/bin/${APP}\n"},
     [("EL104", "Dockerfile", 3)]),
    # ... but not when a branch may set it to something else
    ("script-variable-in-branch",
     {"Dockerfile": "FROM alpine:3.20\nCOPY --chmod=755 boot.sh /boot.sh\n"
                    "ENTRYPOINT [\"/boot.sh\"]\n",
      "boot.sh": "#!/bin/sh\nAPP=myserver\nif [ -n \"$DEV\" ]; then APP=gunicorn; fi\n"
                 "exec /usr/local/bin/$APP\n"},
     []),
]


@pytest.mark.parametrize(("files", "expected"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_stage_output(repo: Path, files: dict[str, str],
                      expected: list[tuple[str, str, int]]) -> None:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
        (repo / name).chmod(0o644)
    r = invoke_in(repo, ["check", "--format", "json", "Dockerfile"])
    got = sorted((d["rule"], d["path"], d["line"]) for d in json.loads(r.stdout))
    assert got == sorted(expected), r.output
