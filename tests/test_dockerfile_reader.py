"""The Dockerfile reader, checked against BuildKit's own parser (PyPI ``dockerfile``)."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrylint.dockerfile import Unknown, parse, parse_json_array, split_words, substitute
from entrylint.source import SourceFile

FIXTURES = Path(__file__).parent / "fixtures"

EXTRA = {
    "blank-in-continuation": "FROM alpine\nRUN apk add \\\n\n    curl\nCMD [\"sh\"]\n",
    "comment-in-continuation": "FROM alpine\nRUN apk add \\\n# a comment\n    curl \\\n  # indented\n    jq\n",
    "heredocs-two": "FROM alpine\nRUN <<A cat /dev/stdin && sh <<'B'\nx\nA\necho hi\nB\nCMD x\n",
    "heredoc-dash": "FROM alpine\nCOPY <<-EOT /a.sh\n\t#!/bin/sh\n\texec app\n\tEOT\nCMD [\"/a.sh\"]\n",
    "crlf": "FROM alpine\r\nRUN echo a \\\r\n  b\r\nCMD [\"x\", \"y\"]\r\n",
    "escape-backtick": "# escape=`\nFROM mcr.microsoft.com/windows\nRUN dir c:\\ `\n  && echo\nCMD x\n",
    "json-single-quotes": "FROM alpine\nCMD ['a', 'b']\nENTRYPOINT [\"a\", \"b\"\n",
    "empty-json": "FROM alpine\nCMD []\nENTRYPOINT [ \"a\" ,\"b\" ]\n",
    "lowercase": "from alpine as base\ncmd [\"a\"]\n",
    "trailing-continuation": "FROM alpine\nCMD echo \\",
    "healthcheck": "FROM alpine\nHEALTHCHECK --interval=5s CMD curl -f http://x/ || exit 1\nCMD [\"a\"]\n",
    # seen in the corpus (bench/parsers.py): an escaped escape at the end of a line does not
    # continue it (Windows paths: `C:\\Windows\\System32\\`) ...
    "escaped-escape-at-end": "FROM a\nCOPY x \\\n\tC:\\\\dir\\\\\n\n# c\nENV X=1\n",
    "three-escapes-at-end": "FROM a\nRUN echo a\\\\\\\nENV X=1\n",
    "escaped-backtick": "# escape=`\nFROM a\nRUN echo a``\nENV X=1\n",
    # ... and a line that is only `\\` puts the keyword on the next one (template files)
    "lone-escape-line": "FROM a\nRUN set -eux; \\\n{{ x }}\n\t\\\n\tapk add \\\n\tfoo\n",
}


def _cases() -> list[tuple[str, bytes]]:
    cases = [(str(p.relative_to(FIXTURES)), p.read_bytes())
             for p in sorted(FIXTURES.rglob("*Dockerfile*"))
             if p.is_file() and not p.name.endswith(".dockerignore")]
    cases += [(k, v.encode()) for k, v in EXTRA.items()]
    return cases


@pytest.mark.parametrize(("name", "data"), _cases(), ids=[c[0] for c in _cases()])
def test_matches_buildkit(name: str, data: bytes, tmp_path: Path) -> None:
    dockerfile = pytest.importorskip(
        "dockerfile", reason="BuildKit's parser (PyPI 'dockerfile') has Linux wheels only")
    path = tmp_path / "Dockerfile"
    path.write_bytes(data)
    ours = parse(SourceFile(path, data)).instructions
    theirs = dockerfile.parse_file(str(path))
    assert [i.keyword for i in ours] == [c.cmd.upper() for c in theirs]
    assert [(i.start_line, i.end_line) for i in ours] == [(c.start_line, c.end_line)
                                                          for c in theirs]
    for i, c in zip(ours, theirs, strict=True):
        if c.cmd.upper() in ("CMD", "ENTRYPOINT", "SHELL"):
            assert (i.exec_form is not None) == c.json, (i.args, c)
            if c.json:
                assert tuple(i.exec_form or ()) == c.value
        if c.heredocs:
            assert [h.name for h in i.heredocs] == [h.name for h in c.heredocs]
            # BuildKit reports the raw body; ``<<-`` tabs are stripped later, at build time
            raw = [data[h.body_start : h.body_end].decode().replace("\r\n", "\n")
                   for h in i.heredocs]
            assert raw == [h.content for h in c.heredocs]


def test_non_string_array_is_a_build_error(tmp_path: Path) -> None:
    dockerfile = pytest.importorskip("dockerfile", reason="BuildKit's parser: Linux wheels only")
    path = tmp_path / "Dockerfile"
    path.write_text('FROM alpine\nCMD ["a", 1]\n')
    with pytest.raises(dockerfile.GoParseError, match="strings only"):
        dockerfile.parse_file(str(path))
    ins = parse(SourceFile(path, path.read_bytes())).instructions[1]
    assert ins.exec_form is None and ins.json_not_strings


def test_tab_stripping_heredoc_body() -> None:
    data = b"FROM alpine\nCOPY <<-EOT /a.sh\n\t#!/bin/sh\n\texec app\n\tEOT\n"
    src = SourceFile(Path("Dockerfile"), data)
    (h,) = parse(src).instructions[1].heredocs
    assert h.body(src) == b"#!/bin/sh\nexec app\n"


def test_byte_ranges_are_exact() -> None:
    data = b"FROM alpine\n\nCMD  python \\\n   app.py\n# end\n"
    df = parse(SourceFile(Path("Dockerfile"), data))
    cmd = df.instructions[1]
    assert data[cmd.start : cmd.end] == b"CMD  python \\\n   app.py"
    assert data[cmd.start : cmd.keyword_end] == b"CMD"
    assert cmd.args == "python    app.py"


def test_exec_form_is_dockers_rule() -> None:
    assert parse_json_array('["python", "app.py"]') == ["python", "app.py"]
    assert parse_json_array("[\"python\", 'app.py']") is None
    assert parse_json_array('["a", 1]') is None
    assert parse_json_array('"/setup.sh"') is None
    assert parse_json_array('["a"] extra') is None


def test_words_and_substitution() -> None:
    assert split_words('a "b c" d\\ e \'f g\'') == ["a", "b c", "d e", "f g"]
    env = {"A": "1", "E": "", "U": None}
    assert substitute("${A}/$A/${B:-x}/${E:-y}/${A:+z}/${B:+w}", env) == "1/1/x/y/z/"
    with pytest.raises(Unknown):
        substitute("$U", env)
