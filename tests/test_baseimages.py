"""entrylint/data: the base-image tables, their provenance, and what describe_base makes of them."""

from __future__ import annotations

import re

import pytest

from entrylint.baseimages import curated, describe_base, generated

SOURCE = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}:\S+$")


def test_every_curated_fact_has_a_source() -> None:
    table = curated()
    assert all(entry.get("source") for entry in table["image"])
    assert all(facts.get("source") for facts in table["os"].values())


def test_every_generated_tag_names_the_dockerfile_it_was_read_from() -> None:
    rows = [row for tags in generated().values() for row in tags.values()]
    assert len(rows) > 1000
    assert all(SOURCE.match(row["sources"][0]) for row in rows), "repo@commit:path"


@pytest.mark.parametrize(("ref", "os", "release", "tini"), [
    ("debian:stretch-slim", "debian", "9", False),
    ("debian:jessie", "debian", "8", False),
    ("debian:buster-slim", "debian", "10", True),
    ("ubuntu:18.04", "ubuntu", "18.04", False),
    ("ubuntu:bionic", "ubuntu", "18.04", False),
    ("ubuntu:16.04", "ubuntu", "16.04", False),
    ("ubuntu:18.10", "ubuntu", "18.10", True),
    ("ubuntu:20.04", "ubuntu", "20.04", True),
    ("node:8-stretch", "debian", "9", False),
    ("python:3.6-jessie", "debian", "8", False),
    ("alpine:3.4", "alpine", "3.4", False),
    ("alpine:3.20", "alpine", "3.20", True),
    ("alpine:latest", "alpine", None, True),
])
def test_releases_with_and_without_tini(ref: str, os: str, release: str | None,
                                        tini: bool) -> None:
    b = describe_base(ref)
    assert (b.os, b.release, b.tini_package) == (os, release, tini)


@pytest.mark.parametrize("ref", [
    "mcr.microsoft.com/dotnet/runtime-deps:8.0-jammy-chiseled",
    "mcr.microsoft.com/dotnet/aspnet:8.0-noble-chiseled-extra",
    "gcr.io/distroless/static-debian12:nonroot",
    "cgr.dev/chainguard/python:latest",
    "busybox:1.36",
    "registry.access.redhat.com/ubi9/ubi-micro:9.4",
])
def test_a_release_word_does_not_make_an_image_have_apt(ref: str) -> None:
    assert describe_base(ref).package_manager == "none"


def test_dotnet_chiseled_runs_as_app_without_a_shell() -> None:
    b = describe_base("mcr.microsoft.com/dotnet/runtime-deps:8.0-jammy-chiseled")
    assert (b.shell, b.user) == ("none", "app")


@pytest.mark.parametrize(("ref", "argv"), [
    ("eclipse-temurin:21-jre", ("/__cacert_entrypoint.sh",)),
    ("maven:3.9-eclipse-temurin-21", ("/usr/local/bin/mvn-entrypoint.sh",)),
    ("postgres:16", ("docker-entrypoint.sh",)),
    ("python:3.12-slim", ()),
    ("lscr.io/linuxserver/plex:latest", ("/init",)),
    ("gcr.io/distroless/base-debian12:debug", ("/busybox/sh",)),
])
def test_own_entrypoints(ref: str, argv: tuple[str, ...]) -> None:
    assert describe_base(ref).entrypoint_argv == argv


def test_unknown_means_unknown() -> None:
    b = describe_base("registry.example.com/team/base:jammy")  # a release word, but whose?
    assert (b.os, b.package_manager, b.tini_package, b.entrypoint_argv) == (None,) * 4
    assert b.missing and "not in entrylint's base-image table" in b.missing[0]
    old = describe_base("python:3.9-slim")  # no longer listed, and the tag names no release
    assert old.tini_package is None
    assert any("release" in m for m in old.missing)


def test_official_tags_come_from_their_dockerfiles() -> None:
    b = describe_base("postgres:16")
    assert b.stopsignal == "SIGINT"
    assert b.sources[0].startswith("docker-library/postgres@")
    assert describe_base("mysql:8.4").os == "oraclelinux"  # FROM oraclelinux:9-slim
