"""The image's filesystem and start-up command, as real Dockerfiles write them (issue 8).

Each case is a small repository: which build-context file start-up reaches (``follows``), or
that entrylint says why it cannot (``unknown``: words of the --verbose reason).  Each pattern
has a positive case and a negative one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from entrylint.model import ImageModel, load

BOOT = "#!/bin/sh\nset -e\ngunicorn app:app\n"


def model_of(root: Path, dockerfile: str, files: dict[str, str]) -> ImageModel:
    (root / ".git").mkdir(exist_ok=True)
    for name, text in {"Dockerfile": dockerfile, **files}.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return load(root / "Dockerfile", repo_root=root)


def followed(m: ImageModel) -> list[str]:
    return [Path(s.display).name if "heredoc" not in s.display else s.display.split()[-1]
            for s in m.scripts]


def reasons(m: ImageModel) -> str:
    return " | ".join(u.reason for u in [*m.unresolved, *m.opaque])


# (id, Dockerfile, files, the context file followed (None: none), words of the reason)
CASES: list[tuple[str, str, dict[str, str], str | None, str]] = [
    # 1. a COPY whose contents are unknown hides only what it certainly wrote
    ("from-stage-dir-elsewhere",
     "FROM python:3.12 AS deps\nRUN pip install --prefix=/opt/pkgs flask\n"
     "FROM python:3.12-slim\nCOPY deploy/boot.sh /boot.sh\n"
     "COPY --from=deps /opt/pkgs /usr/local\nCMD [\"/boot.sh\"]\n",
     {"deploy/boot.sh": BOOT}, "boot.sh", ""),
    ("from-stage-dir-over-path-dir",
     "FROM python:3.12 AS deps\nRUN pip install --prefix=/opt/pkgs flask\n"
     "FROM python:3.12-slim\nCOPY deploy/boot.sh /usr/local/bin/\n"
     "COPY --from=deps /opt/pkgs /usr/local\nCMD [\"boot.sh\"]\n",
     {"deploy/boot.sh": BOOT}, "boot.sh", ""),
    ("from-stage-dir-into-workdir",
     "FROM golang:1.22 AS build\nRUN go build -o /out/bin/app .\n"
     "FROM debian:12-slim\nWORKDIR /srv\nCOPY boot.sh .\nCOPY --from=build /out/bin .\n"
     "CMD [\"./boot.sh\"]\n",
     {"boot.sh": BOOT}, "boot.sh", ""),
    ("from-stage-file-overwrites",
     "FROM alpine AS build\nRUN echo '#!/bin/sh' > /boot.sh\n"
     "FROM debian:12-slim\nCOPY boot.sh /boot.sh\nCOPY --from=build /boot.sh /boot.sh\n"
     "CMD [\"/boot.sh\"]\n",
     {"boot.sh": BOOT}, None, "built in stage build"),
    ("from-stage-copies-context-file",
     "FROM alpine AS src\nCOPY scripts/ /scripts/\n"
     "FROM debian:12-slim\nCOPY --from=src /scripts /opt/bin\nCMD [\"/opt/bin/boot.sh\"]\n",
     {"scripts/boot.sh": BOOT}, "boot.sh", ""),
    ("variable-destination",
     "FROM debian:12-slim\nCOPY deploy/boot.sh /boot.sh\nADD vendor.tar.gz $PREFIX/\n"
     "COPY $EXTRA /opt/\nCMD [\"/boot.sh\"]\n",
     {"deploy/boot.sh": BOOT, "vendor.tar.gz": ""}, "boot.sh", ""),
    ("run-writes-the-script",
     "FROM debian:12-slim\nCOPY boot.sh /boot.sh\nRUN curl -fsSL -o /boot.sh https://x/boot\n"
     "CMD [\"/boot.sh\"]\n",
     {"boot.sh": BOOT}, None, "downloaded by `curl`"),
    # 2. Docker's destination rules
    ("existing-dir-from-copy",
     "FROM python:3.12-slim\nCOPY src /srv\nCOPY deploy/boot.sh /srv\nCMD [\"/srv/boot.sh\"]\n",
     {"src/app.py": "", "deploy/boot.sh": BOOT}, "boot.sh", ""),
    ("not-a-dir-is-a-file",
     "FROM python:3.12-slim\nCOPY deploy/boot.sh /srv/start\nCMD [\"/srv/start\"]\n",
     {"deploy/boot.sh": BOOT}, "boot.sh", ""),
    ("existing-dir-from-workdir",
     "FROM python:3.12-slim\nWORKDIR /app\nWORKDIR /\nCOPY boot.sh /app\n"
     "CMD [\"/app/boot.sh\"]\n",
     {"boot.sh": BOOT}, "boot.sh", ""),
    ("existing-dir-from-mkdir",
     "FROM python:3.12-slim\nRUN mkdir -p /opt/app/bin\nCOPY boot.sh /opt/app/bin\n"
     "CMD [\"/opt/app/bin/boot.sh\"]\n",
     {"boot.sh": BOOT}, "boot.sh", ""),
    ("standard-dir",
     "FROM python:3.12-slim\nCOPY boot.sh /usr/local/bin\nCMD [\"boot.sh\"]\n",
     {"boot.sh": BOOT}, "boot.sh", ""),
    ("scratch-has-no-standard-dirs",
     "FROM scratch\nCOPY boot.sh /usr/local/bin\nCMD [\"/usr/local/bin/boot.sh\"]\n",
     {"boot.sh": BOOT}, None, ""),
    ("several-sources-mean-a-dir",
     "FROM python:3.12-slim\nCOPY boot.sh app.py /srv\nCMD [\"/srv/boot.sh\"]\n",
     {"boot.sh": BOOT, "app.py": ""}, "boot.sh", ""),
    ("copy-dot-under-workdir-sh",
     "FROM python:3.12-slim\nWORKDIR /srv\nCOPY . .\nCMD [\"sh\", \"/srv/deploy/boot.sh\"]\n",
     {"deploy/boot.sh": BOOT}, "boot.sh", ""),
    ("bash-relative-to-workdir",
     "FROM python:3.12-slim\nWORKDIR /srv\nCOPY deploy/ .\nCMD [\"/bin/bash\", \"boot.sh\"]\n",
     {"deploy/boot.sh": BOOT}, "boot.sh", ""),
    ("wildcard-matches-dotfiles",
     "FROM python:3.12-slim\nCOPY scripts/* /usr/local/bin/\nCMD [\".start.sh\"]\n",
     {"scripts/.start.sh": BOOT}, ".start.sh", ""),
    ("wildcard-class-and-question",
     "FROM python:3.12-slim\nCOPY script[s]/boo?.sh /\nCMD [\"/boot.sh\"]\n",
     {"scripts/boot.sh": BOOT}, "boot.sh", ""),
    ("dockerignore-excludes",
     "FROM python:3.12-slim\nCOPY . /app\nCMD [\"/app/boot.sh\"]\n",
     {"boot.sh": BOOT, ".dockerignore": "*.sh\n"}, None, ".dockerignore excludes"),
    ("env-path-extends-the-default",
     "FROM debian:12-slim\nCOPY scripts /opt/app/scripts\nENV PATH=\"/opt/app/scripts:$PATH\"\n"
     "ENTRYPOINT [\"boot.sh\"]\n",
     {"scripts/boot.sh": BOOT}, "boot.sh", ""),
    ("git-clone-in-run",
     "FROM debian:12-slim\nRUN git clone --depth=1 https://example.org/app.git /app\n"
     "ENTRYPOINT [\"/app/boot.sh\"]\n",
     {}, None, "clones https://example.org/app.git there"),
    ("tar-in-run",
     "FROM debian:12-slim\nRUN curl -L https://x/y.tgz | tar -xz -C /opt\n"
     "ENTRYPOINT [\"/opt/boot.sh\"]\n",
     {}, None, "unpacks an archive there"),
    # 3. symlinks, copies and moves made in RUN
    ("ln-relative-official-images",
     "FROM debian:12-slim\nCOPY docker-entrypoint.sh /usr/local/bin/\n"
     "RUN ln -s usr/local/bin/docker-entrypoint.sh /entrypoint.sh # backwards compat\n"
     "ENTRYPOINT [\"/entrypoint.sh\"]\nCMD [\"gunicorn\"]\n",
     {"docker-entrypoint.sh": BOOT}, "docker-entrypoint.sh", ""),
    ("ln-sf-absolute",
     "FROM debian:12-slim\nCOPY boot.sh /opt/app/boot.sh\n"
     "RUN ln -sf /opt/app/boot.sh /usr/local/bin/start\nCMD [\"start\"]\n",
     {"boot.sh": BOOT}, "boot.sh", ""),
    ("ln-into-dir",
     "FROM debian:12-slim\nCOPY boot.sh /opt/boot.sh\nRUN ln -s /opt/boot.sh /usr/bin/\n"
     "CMD [\"/usr/bin/boot.sh\"]\n",
     {"boot.sh": BOOT}, "boot.sh", ""),
    ("linked-dir",
     "FROM debian:12-slim\nCOPY bin/ /opt/app/bin/\nRUN ln -s /opt/app /app\n"
     "CMD [\"/app/bin/boot.sh\"]\n",
     {"bin/boot.sh": BOOT}, "boot.sh", ""),
    ("cp-and-mv",
     "FROM debian:12-slim\nCOPY boot.sh /tmp/boot.sh\n"
     "RUN cp /tmp/boot.sh /usr/local/bin/boot && mv /tmp/boot.sh /start.sh\n"
     "CMD [\"/start.sh\"]\n",
     {"boot.sh": BOOT}, "boot.sh", ""),
    ("mv-removes-the-source",
     "FROM debian:12-slim\nCOPY boot.sh /tmp/boot.sh\nRUN mv /tmp/boot.sh /start.sh\n"
     "CMD [\"/tmp/boot.sh\"]\n",
     {"boot.sh": BOOT}, None, ""),
    ("cd-then-ln",
     "FROM debian:12-slim\nCOPY boot.sh /opt/boot.sh\nRUN cd /usr/local/bin && ln -s ../../../opt/boot.sh start\n"
     "CMD [\"start\"]\n",
     {"boot.sh": BOOT}, "boot.sh", ""),
    # 4. how the start command is read
    ("tini-without-dashdash",
     "FROM debian:12-slim\nCOPY boot.sh /boot.sh\n"
     "ENTRYPOINT [\"/usr/bin/tini\", \"/boot.sh\", \"--\"]\n",
     {"boot.sh": BOOT}, "boot.sh", ""),
    ("tini-options",
     "FROM debian:12-slim\nCOPY boot.sh /boot.sh\n"
     "ENTRYPOINT [\"tini\", \"-s\", \"-g\", \"-p\", \"SIGTERM\", \"-v\", \"-e\", \"143\", \"--\","
     " \"/boot.sh\"]\n",
     {"boot.sh": BOOT}, "boot.sh", ""),
    ("dumb-init-options",
     "FROM debian:12-slim\nCOPY boot.sh /boot.sh\n"
     "ENTRYPOINT [\"dumb-init\", \"--single-child\", \"--rewrite\", \"15:2\", \"/boot.sh\"]\n",
     {"boot.sh": BOOT}, "boot.sh", ""),
    ("bash-e-script",
     "FROM debian:12-slim\nCOPY boot.sh /boot.sh\nCMD [\"/bin/bash\", \"-e\", \"/boot.sh\"]\n",
     {"boot.sh": BOOT}, "boot.sh", ""),
    ("sh-x-script",
     "FROM debian:12-slim\nCOPY boot.sh /boot.sh\nCMD [\"sh\", \"-x\", \"/boot.sh\"]\n",
     {"boot.sh": BOOT}, "boot.sh", ""),
    ("env-nice-stdbuf-timeout",
     "FROM debian:12-slim\nCOPY boot.sh /boot.sh\n"
     "CMD [\"env\", \"A=1\", \"nice\", \"-n\", \"5\", \"stdbuf\", \"-oL\", \"timeout\", \"-s\","
     " \"TERM\", \"3600\", \"/boot.sh\"]\n",
     {"boot.sh": BOOT}, "boot.sh", ""),
    ("privilege-droppers",
     "FROM debian:12-slim\nCOPY boot.sh /boot.sh\n"
     "CMD [\"setpriv\", \"--reuid\", \"1000\", \"--regid\", \"1000\", \"--init-groups\","
     " \"chpst\", \"-u\", \"app\", \"s6-setuidgid\", \"app\", \"gosu\", \"app\", \"/boot.sh\"]\n",
     {"boot.sh": BOOT}, "boot.sh", ""),
    ("shell-form-unknown-shell",
     "FROM registry.example.com/base:1\nCOPY boot.sh /boot.sh\nENTRYPOINT /boot.sh\n",
     {"boot.sh": BOOT}, "boot.sh", ""),
    # 5. a base image whose own ENTRYPOINT is unknown runs CMD
    ("unknown-base-entrypoint",
     "FROM vendor/base:2\nCOPY boot.sh /boot.sh\nCMD [\"/boot.sh\"]\n",
     {"boot.sh": BOOT}, "boot.sh", ""),
]


@pytest.mark.parametrize(("dockerfile", "files", "follows", "why"),
                         [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_start_script_is_found(tmp_path: Path, dockerfile: str, files: dict[str, str],
                               follows: str | None, why: str) -> None:
    m = model_of(tmp_path, dockerfile, files)
    if follows is None:
        assert followed(m) == [], followed(m)
    else:
        assert followed(m) == [follows], reasons(m)
    assert why in reasons(m)


def test_the_base_images_own_script_is_no_missing_script(tmp_path: Path) -> None:
    """tomcat's CMD is `catalina.sh run`: naming it is no script missing from the context."""
    m = model_of(tmp_path, "FROM tomcat:9-jdk11\nCOPY app.war /usr/local/tomcat/webapps/\n"
                           "CMD [\"catalina.sh\", \"run\"]\n", {"app.war": ""})
    assert m.unresolved == []
    m = model_of(tmp_path, "FROM tomcat:9-jdk11\nCMD [\"start-app.sh\"]\n", {})
    assert [u.path for u in m.unresolved] == ["start-app.sh"]


def test_unknown_base_entrypoint_is_an_assumption(tmp_path: Path) -> None:
    m = model_of(tmp_path, "FROM vendor/base:2\nCOPY boot.sh /boot.sh\nCMD [\"/boot.sh\"]\n",
                 {"boot.sh": BOOT})
    assert m.assumes_base_entrypoint
    assert any("assuming it ends in `exec \"$@\"`" in n for n in m.notes)
    known = model_of(tmp_path, "FROM debian:12\nCOPY boot.sh /boot.sh\nCMD [\"/boot.sh\"]\n",
                     {"boot.sh": BOOT})
    assert not known.assumes_base_entrypoint


def test_verbose_names_the_instruction_that_hides_a_script(tmp_path: Path) -> None:
    m = model_of(tmp_path, "FROM alpine AS b\nRUN make\nFROM debian:12-slim\n"
                           "COPY --from=b /out /opt\nCMD [\"/opt/run.sh\"]\n", {})
    assert followed(m) == []
    assert "`COPY --from=b /out /opt` (line 4) copies /out of stage b" in reasons(m)


def test_opaque_script_is_not_claimed_to_be_pid1(tmp_path: Path) -> None:
    """A script nobody can read makes PID 1 unknown: EL104 must not call it a non-reaper."""
    m = model_of(tmp_path, "FROM debian:12-slim\nRUN curl -o /start.sh https://x/s\n"
                           "CMD [\"/start.sh\"]\n", {})
    assert [c.kind for c in m.pid1_candidates()] == ["unknown"]


def test_no_source_is_taken_from_above_the_repository(tmp_path: Path) -> None:
    """With the context at the repository root there is no parent to fall back to: a file of
    the same name beside the repository is not the build's (it used to be taken)."""
    (tmp_path / "boot.sh").write_text(BOOT)
    (tmp_path / "repo").mkdir()
    m = model_of(tmp_path / "repo", "FROM debian:12\nCOPY boot.sh /boot.sh\nCMD [\"/boot.sh\"]\n",
                 {})
    assert followed(m) == []
    assert not any("repository root" in n for n in m.notes)
