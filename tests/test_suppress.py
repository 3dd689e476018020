"""Inline suppression comments and the EL001 unused-ignore report."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrylint.config import Config
from entrylint.engine import lint_paths

SHELL_CMD = "CMD python app.py\n"  # EL101 [error] on debian (dash); then EL104: python
#: never reaps once EL101's exec form makes it PID 1
NODE = "FROM node:22-slim\n"


def lint(root: Path, dockerfile: str, files: dict[str, str] | None = None,
         **kw: object) -> list[tuple[str, int, str]]:
    (root / "Dockerfile").write_text(dockerfile)
    for name, text in (files or {}).items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        if p.read_text().startswith("#!"):
            p.chmod(0o755)  # as committed: a start script is executable (EL112)
    result = lint_paths([root / "Dockerfile"], **kw)  # type: ignore[arg-type]
    return [(d.rule, d.line, d.message) for d in result.diagnostics]


def rules(found: list[tuple[str, int, str]]) -> list[tuple[str, int]]:
    return [(r, line) for r, line, _ in found]


def test_baseline(repo: Path) -> None:
    assert rules(lint(repo, "FROM debian:12-slim\n" + SHELL_CMD)) == [("EL101", 2), ("EL104", 2)]


def test_a_finding_that_needs_another_rules_fix_goes_with_it(repo: Path) -> None:
    # EL104 judges the PID 1 that EL101's fix leaves: with EL101 suppressed or not selected,
    # there is no such fix, and the shell (which reaps) stays PID 1.
    df = "FROM debian:12-slim\n# entrylint: ignore=EL101\n" + SHELL_CMD
    assert lint(repo, df) == []
    assert lint(repo, "FROM debian:12-slim\n" + SHELL_CMD, config=Config(ignore=("EL101",))) == []


@pytest.mark.parametrize("comment", [
    "# entrylint: ignore=EL101",
    "#entrylint:ignore=EL101",
    "  # entrylint: ignore=el101",
    "# entrylint: ignore = EL101 , EL103",
    "# entrylint: ignore=all",
    "# hadolint ignore=DL3025",
    "# hadolint ignore=DL3008,DL3025",
])
def test_comment_above_instruction(repo: Path, comment: str) -> None:
    found = lint(repo, f"FROM debian:12-slim\n{comment}\n{SHELL_CMD}")
    if "EL103" in comment:  # the idle part of the comment is reported
        assert [(r, m) for r, _, m in found] == [
            ("EL001", "unused suppression: no EL103 finding on the line below")]
    else:
        assert found == []


def test_partly_unused_comment_reports_the_idle_code(repo: Path) -> None:
    found = lint(repo, "FROM debian:12-slim\n# entrylint: ignore=EL101,EL104\n" + SHELL_CMD)
    assert rules(found) == [("EL001", 2)]
    assert "no EL104 finding on the line below" in found[0][2]


def test_comment_covers_a_whole_continued_instruction(repo: Path) -> None:
    df = ("FROM debian:12-slim\n# entrylint: ignore=EL101\nCMD python \\\n"
          "    # a comment inside the continuation\n    app.py\n")
    assert lint(repo, df) == []


def test_stacked_comments_and_not_across_blank_lines(repo: Path) -> None:
    df = "FROM debian:12-slim\n# entrylint: ignore=EL101\n# why: legacy\n" + SHELL_CMD
    assert lint(repo, df) == []
    df = "FROM debian:12-slim\n# entrylint: ignore=EL101\n\n" + SHELL_CMD
    assert rules(lint(repo, df)) == [("EL001", 2), ("EL101", 4), ("EL104", 4)]


def test_comment_only_covers_the_next_instruction(repo: Path) -> None:
    df = NODE + '# entrylint: ignore=EL104\nENV A=1\nCMD ["node", "server.js"]\n'
    assert rules(lint(repo, df)) == [("EL001", 2), ("EL104", 4)]


HEREDOC = (
    "FROM debian:12-slim\n"
    "COPY --chmod=755 <<EOF /start.sh\n"
    "#!/bin/sh\n"
    "echo starting\n"
    "gunicorn app:app\n"
    "EOF\n"
    'ENTRYPOINT ["tini", "--", "/start.sh"]\n'
    "RUN apt-get update && apt-get install -y tini\n"
)


def test_heredoc_script_line(repo: Path) -> None:
    assert rules(lint(repo, HEREDOC)) == [("EL103", 5)]
    inside = HEREDOC.replace("gunicorn", "# entrylint: ignore=EL103\ngunicorn")
    assert lint(repo, inside) == []
    above_instruction = HEREDOC.replace("COPY", "# entrylint: ignore=EL103\nCOPY")
    assert lint(repo, above_instruction) == []
    wrong_line = HEREDOC.replace("echo", "# entrylint: ignore=EL103\necho")
    assert rules(lint(repo, wrong_line)) == [("EL001", 4), ("EL103", 6)]


SCRIPT_DF = ('FROM debian:12-slim\nCOPY start.sh /start.sh\n'
             'ENTRYPOINT ["tini", "--", "/start.sh"]\n'
             "RUN apt-get update && apt-get install -y tini\n")
SCRIPT = '#!/bin/sh\nset -e\nif [ -n "$A" ]; then\n  flask run\nelse\n  gunicorn app\nfi\n'


def test_script_command_and_file_wide(repo: Path) -> None:
    found = lint(repo, SCRIPT_DF, {"start.sh": SCRIPT})
    assert rules(found) == [("EL103", 4), ("EL103", 6)]
    one = SCRIPT.replace("  gunicorn", "  # entrylint: ignore=EL103\n  gunicorn")
    assert rules(lint(repo, SCRIPT_DF, {"start.sh": one})) == [("EL103", 4)]
    whole = SCRIPT + "# entrylint: ignore-file=EL103\n"
    assert lint(repo, SCRIPT_DF, {"start.sh": whole}) == []
    unused = "#!/bin/sh\n# entrylint: ignore-file=EL103\nexec gunicorn app\n"
    found = lint(repo, SCRIPT_DF, {"start.sh": unused})
    assert rules(found) == [("EL001", 2)]
    assert "no EL103 finding in this file" in found[0][2]


def test_hadolint_global_and_unrelated_comments(repo: Path) -> None:
    df = "# hadolint global ignore=DL3025\nFROM debian:12-slim\n" + SHELL_CMD
    assert lint(repo, df) == []
    # hadolint comments are hadolint's too: never reported as unused by entrylint
    df = 'FROM debian:12-slim\n# hadolint ignore=DL3008,DL3025\nCMD ["gunicorn", "app:app"]\n'
    assert lint(repo, df) == []


def test_unknown_rule_in_comment(repo: Path) -> None:
    found = lint(repo, "FROM debian:12-slim\n# entrylint: ignore=EL999\n" + SHELL_CMD)
    assert rules(found) == [("EL001", 2), ("EL101", 3), ("EL104", 3)]
    assert "unknown rule EL999" in found[0][2]


def test_unused_ignore_can_be_silenced(repo: Path) -> None:
    df = NODE + '# entrylint: ignore=EL101\nCMD ["node", "server.js"]\n'
    assert rules(lint(repo, df)) == [("EL001", 2), ("EL104", 3)]
    assert rules(lint(repo, df, unused_ignores=False)) == [("EL104", 3)]
    assert rules(lint(repo, df, config=Config(ignore=("EL001",)))) == [("EL104", 3)]


def test_comment_for_a_rule_switched_off_is_not_unused(repo: Path) -> None:
    df = 'FROM debian:12-slim\n# entrylint: ignore=EL101\nCMD ["gunicorn", "app:app"]\n'
    assert rules(lint(repo, df)) == [("EL001", 2)]
    assert lint(repo, df, config=Config(ignore=("EL101",))) == []
    pfi = Config(per_file_ignores=(("Dockerfile", ("EL101",)),), root=repo)
    assert lint(repo, df, config=pfi) == []


def test_el001_is_located_on_the_comment(repo: Path) -> None:
    (repo / "Dockerfile").write_text(NODE + '  # entrylint: ignore=EL101\n'
                                     'CMD ["node", "server.js"]\n')
    d = lint_paths([repo / "Dockerfile"]).diagnostics[0]
    assert (d.rule, d.severity, d.line, d.column, d.end_line) == ("EL001", "info", 2, 3, 2)
    assert d.end_column == len("  # entrylint: ignore=EL101") + 1
