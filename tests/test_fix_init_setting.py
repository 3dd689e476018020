"""The `init` setting chooses what the EL104 fix installs."""

from __future__ import annotations

from pathlib import Path

from tests.cli_helpers import invoke_in

NODE = 'FROM node:22-alpine\nWORKDIR /app\nCOPY server.js .\nCMD ["node", "server.js"]\n'


def fix(repo: Path) -> str:
    r = invoke_in(repo, ["check", "--fix", "--unsafe-fixes", "."])
    assert r.exit_code == 0, r.output
    return (repo / "Dockerfile").read_text()


def test_dumb_init_setting(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text(NODE)
    (tmp_path / "server.js").write_text("")
    (tmp_path / ".entrylint.toml").write_text('init = "dumb-init"\n')
    assert fix(tmp_path) == (
        "FROM node:22-alpine\n"
        "RUN apk add --no-cache dumb-init\n"
        "WORKDIR /app\nCOPY server.js .\n"
        'ENTRYPOINT ["dumb-init", "--", "docker-entrypoint.sh"]\n'  # node's is kept
        'CMD ["node", "server.js"]\n')


def test_tini_by_default(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text(NODE)
    (tmp_path / "server.js").write_text("")
    out = fix(tmp_path)
    assert "RUN apk add --no-cache tini\n" in out and 'ENTRYPOINT ["tini", "--", "docker-entrypoint.sh"]\n' in out
