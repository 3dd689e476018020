from __future__ import annotations

import pytest

from entrylint.knowledge import describe_base, is_init, reaps


@pytest.mark.parametrize(
    ("ref", "distro", "shell", "entrypoint"),
    [
        ("python:3.12-slim", "debian", "dash", "none"),
        ("python:3.12-alpine", "alpine", "ash", "none"),
        ("docker.io/library/ubuntu:24.04", "debian", "dash", "none"),
        ("node:22", "debian", "dash", "exec-wrapper"),
        ("postgres:16", "debian", "dash", "exec-wrapper"),
        ("gcr.io/distroless/static-debian12:nonroot", "distroless", "none", "none"),
        # /busybox/sh only, and it is the ENTRYPOINT (distroless static/static.bzl)
        ("gcr.io/distroless/base:debug", "distroless", "none", "unknown"),
        ("scratch", "scratch", "none", "none"),
        ("registry.access.redhat.com/ubi9/ubi-minimal:9.4", "rhel", "bash", "none"),
        ("jenkins/jenkins:lts", "unknown", "unknown", "init"),
        ("registry.example.com/team/base:1", "unknown", "unknown", "unknown"),
        ("golang:1.23@sha256:abc", "debian", "dash", "none"),
    ],
)
def test_describe_base(ref: str, distro: str, shell: str, entrypoint: str) -> None:
    b = describe_base(ref)
    assert (b.distro, b.shell, b.entrypoint) == (distro, shell, entrypoint)


def test_reaps() -> None:
    assert reaps(["gunicorn", "app:app"])
    assert reaps(["python", "-m", "gunicorn", "app:app"])
    assert not reaps(["uwsgi", "--http", ":80"])
    assert reaps(["uwsgi", "--master", "--http", ":80"])
    assert not reaps(["node", "server.js"])
    assert not reaps([])


def test_script_named_init_is_not_an_init() -> None:
    assert is_init("/init", from_build_context=False)
    assert not is_init("/init", from_build_context=True)
    assert is_init("/usr/bin/tini", from_build_context=False)


@pytest.mark.parametrize(
    ("ref", "distro", "shell"),
    [
        # found by QA: each got an apt-get/apk tini install that cannot build
        ("busybox:1.36", "busybox", "ash"),
        ("busybox:glibc", "busybox", "ash"),
        ("oraclelinux:9-slim", "rhel", "bash"),
        ("amazoncorretto:21", "rhel", "bash"),
        ("amazoncorretto:21-alpine", "alpine", "ash"),
        ("openjdk:21-jdk", "unknown", "unknown"),
        ("openjdk:17-jdk-slim", "debian", "dash"),
        ("mysql:8.4", "rhel", "bash"),  # FROM oraclelinux:9-slim (official_images.json)
    ],
)
def test_images_that_are_not_debian(ref: str, distro: str, shell: str) -> None:
    b = describe_base(ref)
    assert (b.distro, b.shell) == (distro, shell)
    assert b.has_package_manager == (distro in ("debian", "alpine", "rhel", "wolfi"))


@pytest.mark.parametrize(
    ("ref", "distro", "shell", "entrypoint"),
    [
        # its ENTRYPOINT is /__cacert_entrypoint.sh, which ends in exec "$@"
        ("eclipse-temurin:17-jre-ubi9-minimal", "rhel", "bash", "exec-wrapper"),
        ("cgr.dev/chainguard/python:latest-dev", "wolfi", "ash", "unknown"),
        ("cgr.dev/chainguard/python:latest", "distroless", "none", "unknown"),
        ("gcr.io/distroless/python3-debian12", "distroless", "none", "unknown"),
        ("myorg/app:inside", "unknown", "unknown", "unknown"),  # not the Debian release "sid"
        ("mysql:8.0-debian", "debian", "dash", "exec-wrapper"),
    ],
)
def test_third_qa_pass_images(ref: str, distro: str, shell: str, entrypoint: str) -> None:
    b = describe_base(ref)
    assert (b.distro, b.shell, b.entrypoint) == (distro, shell, entrypoint)
