"""bench/base_images.py reads official-images library files and Dockerfiles (synthetic here:
the real ones are fetched, never committed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "base_images.py"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("base_images_script", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


LIBRARY = """\
# this file is generated
Maintainers: Someone (@someone)
GitRepo: https://github.com/docker-library/example.git
GitFetch: refs/heads/main

Tags: 2.1-bookworm, 2-bookworm
SharedTags: 2.1, 2
Architectures: amd64, arm64v8
GitCommit: 0123456789abcdef0123456789abcdef01234567
Directory: 2.1/bookworm

Tags: 2.1-windowsservercore
Architectures: windows-amd64
GitCommit: 0123456789abcdef0123456789abcdef01234567
Directory: 2.1/windows
"""

DOCKERFILE = """\
ARG BASE=debian:bookworm-slim
FROM golang:1.22 AS build
RUN make
FROM $BASE
COPY --from=build /out/app /usr/local/bin/
COPY entrypoint.sh /docker-entrypoint.sh
ENTRYPOINT ["/docker-entrypoint.sh"]
USER app
STOPSIGNAL SIGQUIT
CMD ["app", "--serve"]
"""


def test_library_entries() -> None:
    mod = load_script()
    _, entries = mod.library_entries(LIBRARY)
    assert [e.tags for e in entries] == [["2.1-bookworm", "2-bookworm", "2.1", "2"],
                                         ["2.1-windowsservercore"]]
    first = entries[0]
    assert (first.repo, first.directory, first.branch) == (
        "docker-library/example", "2.1/bookworm", "main")
    assert entries[1].arches == ["windows-amd64"]


def test_dockerfile_facts_of_the_final_stage() -> None:
    facts = load_script().dockerfile_facts(DOCKERFILE)
    assert facts.base == "debian:bookworm-slim"  # the ARG default
    assert facts.entrypoint == ["/docker-entrypoint.sh"]
    assert facts.cmd == ["app", "--serve"]
    assert (facts.user, facts.stopsignal) == ("app", "SIGQUIT")
    assert facts.copies["/docker-entrypoint.sh"] == "entrypoint.sh"


def test_a_new_entrypoint_resets_the_inherited_cmd() -> None:
    facts = load_script().dockerfile_facts("FROM a AS one\nCMD [\"x\"]\nFROM one\n"
                                           "ENTRYPOINT [\"/e.sh\"]\n")
    assert (facts.entrypoint, facts.cmd) == (["/e.sh"], None)


def test_a_pinned_base_tag_finds_the_listed_variant() -> None:
    mod = load_script()
    tags = {"1.31.4-alpine-slim": {}, "mainline-alpine-slim": {}, "1.31.4": {}}
    assert mod.base_tag_in(tags, "1.29.8-alpine-slim") == "1.31.4-alpine-slim"
    assert mod.base_tag_in(tags, "bookworm") is None
