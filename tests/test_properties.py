"""Property tests (hypothesis): generated Dockerfiles and scripts never make entrylint raise;
``--fix`` output re-parses with BuildKit's parser, is a fixed point and keeps the lines it did
not fix; a shell-form command converted to exec form gives the argv dash gives.  Example
counts are modest; ``bench/fuzz.py`` runs the same properties at volume."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from generate import dockerfile, lint_never_raises, script, write_case
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from entrylint.fixer import fix_paths
from entrylint.fixes import plain_argv

FAST = settings(max_examples=40, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@FAST
@given(dockerfile(), script())
def test_generated_inputs_never_raise(df: str, sh: str) -> None:
    lint_never_raises(df, sh)


@FAST
@given(st.binary(max_size=400), st.text(max_size=200))
def test_arbitrary_bytes_never_raise(df: bytes, sh: str) -> None:
    from entrylint.engine import lint_paths

    with tempfile.TemporaryDirectory() as tmp:
        root = write_case(Path(tmp), "", sh.replace("\x00", ""))
        (root / "Dockerfile").write_bytes(b"FROM alpine\n" + df)
        lint_paths([root / "Dockerfile"])


def _buildkit_parses(text: str) -> bool:
    buildkit = pytest.importorskip("dockerfile", reason="BuildKit's parser has Linux wheels")
    try:
        buildkit.parse_string(text)
    except buildkit.GoParseError:
        return False
    return True


def _is_subsequence(small: list[str], big: list[str]) -> bool:
    it = iter(big)
    return all(any(line == b for b in it) for line in small)


@FAST
@given(dockerfile(), script())
@example(df="FROM alpine:3\nCMD \\\nCOPY start.sh /start.sh", sh="#!/bin/sh\n")
def test_fix_output_reparses_is_a_fixed_point_and_keeps_other_lines(df: str, sh: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = write_case(Path(tmp), df, sh)
        report = fix_paths([root / "Dockerfile"], unsafe=True)
        if report.non_converging:
            pytest.fail(f"fixes do not converge: {report.non_converging}\n{df}\n---\n{sh}")
        assert report.write() == []
        new_df = (root / "Dockerfile").read_text()
        if _buildkit_parses(df):
            assert _buildkit_parses(new_df), new_df
        again = fix_paths([root / "Dockerfile"], unsafe=True)
        assert again.changes == {}, f"not a fixed point:\n{df}\n---\n{sh}\n---\n{again.diff()}"
        # lines that are not the start command (which the fixes rewrite) stay, in order;
        # EL114's fix removes the dead ones of several STOPSIGNAL/HEALTHCHECK lines
        # (a line after a `\` belongs to the instruction it continues: `CMD \` + `COPY a b` is
        # the start command `COPY a b`, as BuildKit reads it)
        kept, dropping = [], False
        for ln in df.split("\n"):
            if not dropping:
                dropping = ln.startswith(("CMD", "ENTRYPOINT", "FROM", "RUN apt", "  ",
                                          "STOPSIGNAL", "HEALTHCHECK"))
            if not dropping:
                kept.append(ln)
            dropping = dropping and ln.endswith("\\")
        assert _is_subsequence(kept, new_df.split("\n")), new_df
        # a script only ever gains `exec ` in front of commands, or a #! line
        new_sh = (root / "start.sh").read_text()
        stripped = [ln.replace("exec ", "", 1) if ln not in sh.split("\n") else ln
                    for ln in new_sh.split("\n")]
        assert _is_subsequence([ln.replace("exec ", "", 1) if ln.startswith("exec ") else ln
                                for ln in sh.split("\n") if not ln.startswith("#!")],
                               [ln.replace("exec ", "", 1) if ln.startswith("exec ") else ln
                                for ln in stripped]), new_sh


#: No `$`, backtick, glob, `~`, brace, redirection, `;`, `&`, `|`, parenthesis or newline:
#: dash can run nothing from these but `printf`.
_SAFE = st.text(alphabet="ab xy09'\"\\=-_./:,@%+#\t", min_size=1, max_size=24)


@pytest.mark.skipif(shutil.which("dash") is None, reason="needs dash")
@settings(max_examples=150, deadline=None)
@given(st.sampled_from(["app", "gunicorn", "/bin/app"]), _SAFE)
@example("app", "\\ 0")  # found by the fuzzer: tree-sitter-bash dropped `\ 0`
@example("app", "\" \"")  # found by the fuzzer: `" "` read as an empty string
def test_exec_form_conversion_matches_dash(prog: str, rest: str) -> None:
    text = f"{prog} {rest}"
    argv, _ = plain_argv(text)
    if argv is None:
        return
    p = subprocess.run(["dash", "-c", f'set -- {text}\nprintf "%s\\0" "$@"'],
                       capture_output=True, timeout=10)
    assert p.returncode == 0, (text, argv, p.stderr)
    assert p.stdout.decode().split("\0")[:-1] == argv, text
