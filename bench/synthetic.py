"""Generated benchmark corpora: N Dockerfiles with the start scripts they run.

Every fourth project runs a script shared with the other projects (``common/entrypoint.sh`` at
the repository root, the monorepo layout), the rest carry their own.  The Dockerfiles mix the
shapes entrylint sees in real repositories: an entrypoint script that forgets ``exec``, a
shell-form CMD, a multi-stage build, an init, a ``sh -c`` string.
"""

from __future__ import annotations

from pathlib import Path

_SCRIPT = """#!/bin/sh
set -e
# project {i}
if [ "${{1#-}}" != "$1" ]; then
  set -- gunicorn "$@"
fi
if [ "$1" = gunicorn ]; then
  python manage.py migrate --noinput
  python manage.py collectstatic --noinput
fi
{last}
"""

_TEMPLATES = (
    # an entrypoint script, sometimes without exec
    """FROM python:3.12-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY {script} /usr/local/bin/docker-entrypoint.sh
ENTRYPOINT ["docker-entrypoint.sh"]
CMD ["gunicorn", "app:app", "--bind", ":8000"]
""",
    # shell-form CMD
    """FROM node:20-alpine
WORKDIR /srv
COPY package.json .
RUN npm install --omit=dev
COPY . .
EXPOSE 3000
CMD npm start
""",
    # multi-stage build, exec form, with a script copied from the build stage's context
    """FROM golang:1.22 AS build
WORKDIR /src
COPY . .
RUN go build -o /out/server ./cmd/server
FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \\
    && rm -rf /var/lib/apt/lists/*
COPY --from=build /out/server /usr/local/bin/server
COPY {script} /start.sh
ENTRYPOINT ["/start.sh"]
CMD ["server"]
""",
    # an init and a sh -c string
    """FROM ubuntu:22.04
RUN apt-get update && apt-get install -y tini && rm -rf /var/lib/apt/lists/*
ENV PORT=8080
COPY {script} /opt/app/run.sh
ENTRYPOINT ["tini", "--"]
CMD ["sh", "-c", "/opt/app/run.sh serve --port $PORT"]
""",
)


def make_corpus(root: Path, count: int) -> list[Path]:
    """Write ``count`` projects under ``root`` (a git repository) and return the Dockerfiles."""
    (root / ".git").mkdir(parents=True, exist_ok=True)
    common = root / "common" / "entrypoint.sh"
    common.parent.mkdir(exist_ok=True)
    common.write_text(_SCRIPT.format(i="common", last='exec "$@"'))
    common.chmod(0o755)
    out = []
    for i in range(count):
        proj = root / f"p{i:04d}"
        proj.mkdir(exist_ok=True)
        shared = i % 4 == 3
        script = "common/entrypoint.sh" if shared else "docker-entrypoint.sh"
        if not shared:
            last = 'exec "$@"' if i % 3 else '"$@"'
            s = proj / "docker-entrypoint.sh"
            s.write_text(_SCRIPT.format(i=i, last=last))
            s.chmod(0o755)
        (proj / "requirements.txt").write_text("django\ngunicorn\n")
        df = proj / "Dockerfile"
        df.write_text(_TEMPLATES[i % len(_TEMPLATES)].format(script=script))
        out.append(df)
    return out


def make_run_heavy(root: Path, runs: int = 400) -> Path:
    """One Dockerfile with ``runs`` RUN instructions, each a continued ``&&`` chain (no
    heredocs: hadolint 2.15 stops at ``RUN <<EOF`` with a parse error)."""
    (root / ".git").mkdir(parents=True, exist_ok=True)
    lines = ["FROM debian:bookworm-slim"]
    for i in range(runs):
        lines.append(f"RUN apt-get update && apt-get install -y --no-install-recommends \\\n"
                     f"    pkg{i}a pkg{i}b pkg{i}c \\\n    && mkdir -p /opt/s{i} \\\n"
                     f"    && rm -rf /var/lib/apt/lists/*")
    lines.append('COPY start.sh /start.sh\nENTRYPOINT ["/start.sh"]')
    (root / "start.sh").write_text("#!/bin/sh\nset -e\necho starting\nexec \"$@\"\n")
    (root / "start.sh").chmod(0o755)
    df = root / "Dockerfile"
    df.write_text("\n".join(lines) + "\n")
    return df
