"""entrylint/fixguard.py: every fix passes one gate, and the gate's checks (issue 9)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from entrylint.baseimages import BaseImage, init_fix_summary
from entrylint.diagnostics import Applicability, Diagnostic, Fix
from entrylint.engine import lint_paths
from entrylint.fixguard import (
    InstallsPackage,
    NewEntrypoint,
    cleanup_traps,
    shell_is_plain,
)
from entrylint.knowledge import describe_base
from entrylint.model import load
from entrylint.shell import ShellScript
from tests.test_fixes import write

ROOT = Path(__file__).resolve().parent.parent


def diags(root: Path, rule: str) -> list[Diagnostic]:
    return [d for d in lint_paths([root]).diagnostics if d.rule == rule]


def one_fix(root: Path, rule: str) -> Fix | None:
    (d,) = diags(root, rule)
    return d.fix


# ------------------------------------------------------------------------------------------
# Nothing builds a Fix but the gate
# ------------------------------------------------------------------------------------------


def test_only_fixguard_constructs_fixes() -> None:
    offenders = []
    for path in [*ROOT.joinpath("entrylint").rglob("*.py"), *ROOT.joinpath("rules").glob("*.py")]:
        if path.name in ("fixguard.py", "diagnostics.py"):
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else \
                    func.attr if isinstance(func, ast.Attribute) else ""
                if name == "Fix":
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == [], "build fixes with entrylint.fixguard.offer, not Fix(...)"


# ------------------------------------------------------------------------------------------
# exec and traps, functions
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "sigs"), [
    ("trap 'rm -f /run/app.pid' EXIT\napp\n", ["EXIT"]),
    ("trap cleanup TERM INT\napp\n", ["TERM", "INT"]),
    ("trap 'kill $PID' SIGTERM\napp\n", ["TERM"]),
    ("trap '' INT\napp\n", []),  # ignoring a signal is no cleanup
    ("app\n", []),
])
def test_cleanup_traps(text: str, sigs: list[str]) -> None:
    assert cleanup_traps(ShellScript(text.encode())) == sigs


def test_exec_next_to_an_exit_trap_in_shell_form_is_unsafe(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM debian:12-slim\n"
                                   "CMD trap 'rm -f /tmp/lock' EXIT; app --serve\n"})
    f = one_fix(tmp_path, "EL101")
    assert f is not None and f.applicability is Applicability.UNSAFE
    assert "trap … EXIT" in f.message


def test_exec_in_a_script_with_a_term_cleanup_trap_is_unsafe(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM debian:12-slim\nCOPY start.sh /start.sh\n"
                                   "ENTRYPOINT [\"tini\", \"--\", \"/start.sh\"]\n",
                     "start.sh": "#!/bin/sh\ntrap 'rm -rf /tmp/work' TERM INT\napp --serve\n"})
    f = one_fix(tmp_path, "EL103")
    assert f is not None and f.applicability is Applicability.UNSAFE
    assert "trap … TERM/INT" in f.message


def test_no_exec_in_a_function_called_twice_even_unsafe(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM debian:12-slim\nCOPY start.sh /start.sh\n"
                                   "ENTRYPOINT [\"tini\", \"--\", \"/start.sh\"]\n",
                     "start.sh": "#!/bin/sh\nrun() {\n  app \"$@\"\n}\nrun --check\nrun\n"})
    assert one_fix(tmp_path, "EL103") is None


# ------------------------------------------------------------------------------------------
# SHELL
# ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("shell", "plain"), [
    (["/bin/sh", "-c"], True),
    (["/bin/bash", "-o", "pipefail", "-c"], True),
    (["/bin/bash", "-l", "-c"], False),
    (["/bin/bash", "-lc"], False),
    (["/bin/bash", "--login", "-c"], False),
    (["conda", "run", "-n", "app", "/bin/bash", "-c"], False),
])
def test_shell_is_plain(shell: list[str], plain: bool) -> None:
    assert shell_is_plain(shell) is plain


def test_login_shell_is_kept(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM debian:12-slim\nSHELL [\"/bin/bash\", \"-l\", \"-c\"]\n"
                                   "CMD app --serve\n"})
    f = one_fix(tmp_path, "EL101")
    assert f is not None and f.applicability is Applicability.SAFE
    assert f.edits[-1].content == ' ["/bin/bash", "-l", "-c", "exec app --serve"]'


def test_conda_run_shell_makes_exec_form_unsafe(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM debian:12-slim\n"
                                   "SHELL [\"conda\", \"run\", \"-n\", \"app\", \"/bin/bash\", "
                                   "\"-c\"]\nCMD python app.py\n"})
    f = one_fix(tmp_path, "EL101")
    assert f is not None and f.applicability is Applicability.UNSAFE
    assert "SHELL" in f.message and "skips it" in f.message
    # and the tini install goes above the SHELL, so that it does not run under conda
    (init,) = [d.fix for d in diags(tmp_path, "EL104")]
    assert init is not None and init.edits[0].start == len("FROM debian:12-slim")


# ------------------------------------------------------------------------------------------
# program names with spaces
# ------------------------------------------------------------------------------------------


def test_one_string_that_is_no_command_line_is_only_split_unsafe(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM ubuntu:24.04\nCMD [\"Plex Media Server\"]\n"})
    f = one_fix(tmp_path, "EL106")
    assert f is not None and f.applicability is Applicability.UNSAFE
    assert "does not look like a command line" in f.message


def test_one_string_command_line_is_split_safely(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM python:3.12-slim\nCMD [\"gunicorn app:app\"]\n"})
    f = one_fix(tmp_path, "EL106")
    assert f is not None and f.applicability is Applicability.SAFE


# ------------------------------------------------------------------------------------------
# base-image facts
# ------------------------------------------------------------------------------------------


def _model(tmp_path: Path, dockerfile: str):  # type: ignore[no-untyped-def]
    write(tmp_path, {"Dockerfile": dockerfile})
    return load(tmp_path / "Dockerfile")


def test_new_entrypoint_over_an_unknown_one_is_unsafe_and_names_the_fact(tmp_path: Path
                                                                         ) -> None:
    model = _model(tmp_path, "FROM debian:12-slim\nCMD [\"app\"]\n")
    base = BaseImage("example/app:1", "debian", "dash", "exec-wrapper",
                     missing=("the ENTRYPOINT of example/app:1",))
    verdict = NewEntrypoint(base, ("tini", "--")).check(model)
    assert verdict.unsafe is not None and "the ENTRYPOINT of example/app:1" in verdict.unsafe
    kept = NewEntrypoint(describe_base("eclipse-temurin:21-jre"),
                         ("tini", "--", "/__cacert_entrypoint.sh")).check(model)
    assert kept.refuse is None and kept.unsafe is None


@pytest.mark.parametrize(("ref", "refused", "unsafe"), [
    ("mcr.microsoft.com/dotnet/runtime-deps:8.0-jammy-chiseled", True, False),
    ("gcr.io/distroless/base-debian12", True, False),
    ("debian:stretch-slim", True, False),
    ("ubuntu:18.04", True, False),
    ("ubuntu:20.04", False, False),
    ("python:3.9-slim", False, True),  # not listed, and the tag names no release
])
def test_apt_install_needs_apt_and_a_tini_package(tmp_path: Path, ref: str, refused: bool,
                                                  unsafe: bool) -> None:
    model = _model(tmp_path, "FROM debian:12-slim\nCMD [\"app\"]\n")
    verdict = InstallsPackage(describe_base(ref), "apt", "tini").check(model)
    assert (verdict.refuse is not None, verdict.unsafe is not None) == (refused, unsafe)


def test_no_fix_note_names_the_manual_alternative(tmp_path: Path) -> None:
    write(tmp_path, {"Dockerfile": "FROM ubuntu:16.04\nCMD [\"app\"]\n"})
    (d,) = diags(tmp_path, "EL104")
    assert d.fix is None
    assert "Ubuntu 16.04 (xenial) has no tini package" in d.message
    assert "docker run --init" in d.message and "--checksum" in d.message


# ------------------------------------------------------------------------------------------
# the documentation follows the tables
# ------------------------------------------------------------------------------------------


def test_fixing_md_lists_the_images_from_the_tables() -> None:
    text = ROOT.joinpath("docs/fixing.md").read_text()
    m = re.search(r"<!-- base-images:start -->\n(.*)\n<!-- base-images:end -->", text, re.S)
    assert m is not None
    assert m.group(1) == init_fix_summary(), (
        "docs/fixing.md is out of date: paste entrylint.baseimages.init_fix_summary()")


@pytest.mark.parametrize(("install", "command"), [
    ("ADD --chmod=755 https://github.com/krallin/tini/releases/download/v0.19.0/"
     "tini-static-amd64 /tini", "/tini"),
    ("RUN curl -fsSL -o /usr/local/bin/tini https://github.com/krallin/tini/releases/"
     "download/v0.19.0/tini-amd64 && chmod +x /usr/local/bin/tini", "tini"),
    ("RUN curl -fsSL -o /opt/tini https://example.com/tini && chmod +x /opt/tini", "/opt/tini"),
    ("COPY --from=tini-builder /usr/bin/tini-static /usr/local/bin/", "/usr/local/bin/tini-static"),
    ("RUN apt-get update && apt-get install -y tini", "tini"),
])
def test_the_init_is_run_by_the_path_it_has(tmp_path: Path, install: str, command: str
                                            ) -> None:
    write(tmp_path, {"Dockerfile": f"FROM debian:12-slim\n{install}\nCMD [\"/usr/bin/app\"]\n"})
    f = one_fix(tmp_path, "EL104")
    assert f is not None and f.applicability is Applicability.SAFE, f
    assert f.edits[-1].content == f'ENTRYPOINT ["{command}", "--"]\n'
