"""Hypothesis strategies for Dockerfiles and start scripts (shared by the property tests and
``bench/fuzz.py``), and the checks every generated case must pass."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from hypothesis import strategies as st

BASES = ["alpine:3", "debian:12", "ubuntu:24.04", "python:3.12-slim", "node:22", "scratch",
         "postgres:16", "gcr.io/distroless/base"]
WORDS = ["app", "--serve", "gunicorn", "app:app", "-b", ":8000", "node", "server.js", "exec",
         "sh", "-c", "python", "run.py", "tini", "--", "/start.sh", "./start.sh", "echo", "hi",
         "$HOME", "${PORT:-80}", '"$@"', "'a b'", '"x y"', "&&", ";", "|", "&", "*.conf",
         "2>&1", ">/dev/null", "\\", "#", "true", "wait", "$!", "trap", "'kill $P'", "TERM"]
SCRIPT_LINES = [
    "set -e", "app --serve", 'exec "$@"', "exec app", "python run.py &", "wait", "P=$!",
    "trap 'kill $P' TERM", 'if [ "$1" = web ]; then', "fi", "else", 'case "$1" in',
    "  a) app ;;", "esac", 'set -- gunicorn "$@"', "f() { app; }", "f", ". ./env.sh",
    "while true; do sleep 1; done", "echo $(date)", "cd /app", "export A=1", "exit 0",
    "trap cleanup EXIT", "{ app; }", "(app)", "nohup app &", "su-exec app app",
]


@st.composite
def command_text(draw: st.DrawFn) -> str:
    return " ".join(draw(st.lists(st.sampled_from(WORDS), min_size=1, max_size=6)))


@st.composite
def start_setting(draw: st.DrawFn, keyword: str) -> str:
    if draw(st.booleans()):
        argv = draw(st.lists(st.sampled_from(WORDS), min_size=0, max_size=4))
        return f"{keyword} [" + ", ".join(f'"{a}"' if '"' not in a and "\\" not in a
                                          else '"x"' for a in argv) + "]"
    return f"{keyword} {draw(command_text())}"


@st.composite
def dockerfile(draw: st.DrawFn) -> str:
    lines = [f"FROM {draw(st.sampled_from(BASES))}"]
    body = st.one_of(
        st.just("COPY start.sh /start.sh"), st.just("COPY . /app"), st.just("WORKDIR /app"),
        st.just("ENV PORT=8000"), st.just("ENV PATH=/app/bin:$PATH"), st.just("USER app"),
        st.just("RUN apt-get update && apt-get install -y tini"), st.just("RUN chmod +x /s"),
        st.just("# a comment"), st.just(""), st.just("STOPSIGNAL SIGINT"),
        st.just("SHELL [\"/bin/bash\", \"-c\"]"), st.just("RUN a \\\n  b"),
        st.just("# entrylint: ignore=EL104"), st.just("ARG V=1"),
        st.just("COPY <<EOF /run.sh\n#!/bin/sh\napp\nEOF"),
        command_text().map(lambda t: "RUN " + t),
        start_setting("CMD"), start_setting("ENTRYPOINT"),
    )
    lines += draw(st.lists(body, max_size=8))
    if draw(st.booleans()):
        lines.append(draw(start_setting(draw(st.sampled_from(["CMD", "ENTRYPOINT"])))))
    return "\n".join(lines) + ("\n" if draw(st.booleans()) else "")


@st.composite
def script(draw: st.DrawFn) -> str:
    shebang = draw(st.sampled_from(["#!/bin/sh", "#!/bin/bash", "#!/usr/bin/env sh", ""]))
    body = draw(st.lists(st.sampled_from(SCRIPT_LINES), max_size=10))
    return "\n".join([shebang, *body]) + "\n"


def write_case(root: Path, df: str, sh: str) -> Path:
    (root / ".git").mkdir(parents=True, exist_ok=True)
    (root / "Dockerfile").write_text(df, encoding="utf-8")
    (root / "start.sh").write_text(sh, encoding="utf-8")
    os.chmod(root / "start.sh", 0o755)
    return root


def lint_never_raises(df: str, sh: str) -> None:
    """Lint and fix in memory: any exception is a bug (SourceErrors become file errors)."""
    from entrylint.engine import lint_paths
    from entrylint.fixer import fix_paths

    with tempfile.TemporaryDirectory() as tmp:
        root = write_case(Path(tmp), df, sh)
        lint_paths([root / "Dockerfile"])
        fix_paths([root / "Dockerfile"], unsafe=True)
