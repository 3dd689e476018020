"""The examples in README.md and docs/*.md do what the text around them says, when tried."""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from entrylint.config import load_config
from entrylint.engine import all_rules
from tests.cli_helpers import invoke_in

PROJECT = Path(__file__).resolve().parents[1]
DOCS = [PROJECT / "README.md", *sorted((PROJECT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
SUPPRESSION = re.compile(r"#\s*entrylint:\s*ignore=([\w,]+)", re.IGNORECASE)
NO_INIT = 'FROM node:22-slim\nCMD ["node", "server.js"]\n'


def blocks(lang: str) -> Iterator[tuple[str, str]]:
    """(``file:line``, text) of every fenced block in ``lang`` in the docs."""
    for doc in DOCS:
        text = doc.read_text(encoding="utf-8")
        for m in FENCE.finditer(text):
            if m.group(1) == lang:
                line = text.count("\n", 0, m.start()) + 1
                yield f"{doc.relative_to(PROJECT)}:{line}", m.group(2)


SUPPRESSION_EXAMPLES = [(where, b) for where, b in blocks("dockerfile")
                        if SUPPRESSION.search(b)]
CONFIG_EXAMPLES = list(blocks("toml"))
FOREIGN = re.compile(r"#\s*(?:check=skip=|tally (?:global )?ignore=|hadolint (?:global )?ignore=)")
FOREIGN_EXAMPLES = [(where, b) for where, b in blocks("dockerfile") if FOREIGN.search(b)]


def run(repo: Path, *args: str) -> Result:
    return invoke_in(repo, args)


def test_there_are_examples_to_try() -> None:
    found = {where.split(":")[0] for where, _ in SUPPRESSION_EXAMPLES}
    assert {"README.md", "docs/configuration.md"} <= found
    assert {where.split(":")[0] for where, _ in CONFIG_EXAMPLES} >= {
        "README.md", "docs/configuration.md"}


@pytest.mark.parametrize(("where", "example"), SUPPRESSION_EXAMPLES,
                         ids=[w for w, _ in SUPPRESSION_EXAMPLES])
def test_suppression_example_suppresses_exactly_what_it_names(
        tmp_path: Path, where: str, example: str) -> None:
    """As a Dockerfile it lints clean, EL001 included (so no id in it is unused), and without
    its comments every rule it names is reported."""
    assert example.startswith("FROM "), f"{where}: a complete Dockerfile, to be tried as is"
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text(example)
    r = run(tmp_path, "check", "--format", "json", "Dockerfile")
    assert (r.exit_code, json.loads(r.stdout)) == (0, []), f"{where}: {r.stdout}{r.stderr}"

    (tmp_path / "Dockerfile").write_text(
        "".join(line for line in example.splitlines(keepends=True)
                if not SUPPRESSION.search(line)))
    r = run(tmp_path, "check", "--format", "json", "Dockerfile")
    found = {d["rule"] for d in json.loads(r.stdout)}
    for ids in SUPPRESSION.findall(example):
        named = set(ids.upper().split(","))
        if named == {"ALL"}:
            assert found, f"{where}: ignore=all above a line with no finding"
        else:
            assert named <= found, f"{where}: {sorted(named - found)} never fire here"


@pytest.mark.parametrize(("where", "example"), FOREIGN_EXAMPLES,
                         ids=[w for w, _ in FOREIGN_EXAMPLES])
def test_other_tools_suppression_examples(tmp_path: Path, where: str, example: str) -> None:
    """Clean as written; without the other tool's comment, EL101 or EL102 fires."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "Dockerfile").write_text(example)
    r = run(tmp_path, "check", "--format", "json", "Dockerfile")
    assert (r.exit_code, json.loads(r.stdout)) == (0, []), f"{where}: {r.stdout}{r.stderr}"
    (tmp_path / "Dockerfile").write_text("".join(
        line for line in example.splitlines(keepends=True) if not FOREIGN.search(line)))
    r = run(tmp_path, "check", "--format", "json", "Dockerfile")
    assert {d["rule"] for d in json.loads(r.stdout)} & {"EL101", "EL102"}, where


def test_there_are_foreign_examples() -> None:
    assert len(FOREIGN_EXAMPLES) >= 2


@pytest.mark.parametrize(("where", "example"), CONFIG_EXAMPLES,
                         ids=[w for w, _ in CONFIG_EXAMPLES])
def test_configuration_example_is_valid(tmp_path: Path, where: str, example: str) -> None:
    (tmp_path / ".git").mkdir()
    name = "pyproject.toml" if "[tool.entrylint]" in example else ".entrylint.toml"
    (tmp_path / name).write_text(example)
    load_config(tmp_path / name)  # raises ConfigError with the key
    (tmp_path / "Dockerfile").write_text(NO_INIT)
    r = run(tmp_path, "check", "Dockerfile")
    assert r.exit_code in (0, 1) and "error" not in r.stderr, f"{where}: {r.stderr}"


def test_configuration_examples_have_the_documented_effect(tmp_path: Path) -> None:
    """The keys example of docs/configuration.md: EL104 becomes an error; fail-level warning."""
    example = dict(CONFIG_EXAMPLES)
    keys = next(b for w, b in example.items() if w.startswith("docs/configuration.md"))
    (tmp_path / ".git").mkdir()
    (tmp_path / ".entrylint.toml").write_text(keys)
    (tmp_path / "Dockerfile").write_text(NO_INIT)
    r = run(tmp_path, "check", "--format", "json", "Dockerfile")
    assert [(d["rule"], d["severity"]) for d in json.loads(r.stdout)] == [("EL104", "error")]
    assert r.exit_code == 1


def test_prefix_ranges_in_the_docs_cover_every_rule_they_match() -> None:
    """`EL10` matches EL100 … EL106 (and any later EL10x), not "EL100 to EL104"."""
    ids = sorted(r.id for r in all_rules())
    texts = {str(d.relative_to(PROJECT)): d.read_text(encoding="utf-8") for d in DOCS}
    claim = re.compile(r"`(EL\d{1,2})`[^`]{0,40}?\b(EL\d{3})\s+(?:to|-|–|…)\s+(EL\d{3})")
    checked = 0
    for name, text in texts.items():
        for m in claim.finditer(" ".join(text.split())):
            prefix, lo, hi = m.groups()
            matching = [i for i in ids if i.startswith(prefix)]
            assert (lo, hi) == (matching[0], matching[-1]), f"{name}: {m.group(0)!r}"
            checked += 1
    assert checked, "docs/configuration.md explains what a prefix matches"


def test_encoding_claims_match_what_fix_does(tmp_path: Path) -> None:
    """The docs say UTF-8 only (a BOM kept), and that other encodings are errors: so it is."""
    for doc in ("README.md", "docs/fixing.md"):
        text = " ".join((PROJECT / doc).read_text(encoding="utf-8").split())
        assert "UTF-8" in text and "latin-1" in text, doc
        assert "BOM, a missing final newline, encoding" not in text, doc
    (tmp_path / ".git").mkdir()
    (tmp_path / "bom").mkdir()
    (tmp_path / "bom/Dockerfile").write_bytes(
        b"\xef\xbb\xbfFROM python:3.12-slim\r\nCMD python app.py\r\n")
    (tmp_path / "latin1").mkdir()
    latin1 = 'FROM python:3.12-slim\nLABEL a="é"\nCMD python app.py\n'.encode("latin-1")
    (tmp_path / "latin1/Dockerfile").write_bytes(latin1)
    r = run(tmp_path, "check", "--fix", "bom/Dockerfile")
    fixed = (tmp_path / "bom/Dockerfile").read_bytes()
    assert r.exit_code == 0 and fixed.startswith(b"\xef\xbb\xbfFROM") and b"\r\nCMD [" in fixed
    r = run(tmp_path, "check", "--fix", "latin1/Dockerfile")
    assert r.exit_code == 2 and "is not valid UTF-8" in r.stderr
    assert (tmp_path / "latin1/Dockerfile").read_bytes() == latin1


# -- docs/ci.md, as a new user would copy it -------------------------------------------------


def test_every_yaml_snippet_parses() -> None:
    snippets = list(blocks("yaml"))
    assert len(snippets) >= 5
    for where, text in snippets:
        assert yaml.safe_load(text) is not None, where


def test_action_snippets_use_inputs_the_action_has() -> None:
    action = yaml.safe_load((PROJECT / "action.yml").read_text())
    inputs = set(action["inputs"])
    used = 0
    for where, text in blocks("yaml"):
        steps = yaml.safe_load(text)
        jobs = steps.get("jobs", {}) if isinstance(steps, dict) else {}
        for job in jobs.values():
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("entrylint/entrylint@"):
                    used += 1
                    assert set(step.get("with", {})) <= inputs, where
    assert used >= 2


def commands() -> Iterator[tuple[str, list[str]]]:
    """Every `entrylint …` command in a sh or yaml block of docs/ci.md, docs/editors.md and
    README.md (not `probe`, which runs programs, nor `server`, which test_server.py drives)."""
    for where, text in [*blocks("sh"), *blocks("yaml")]:
        if not where.startswith(("docs/ci.md", "docs/editors.md", "README.md")):
            continue
        for line in text.splitlines():
            line = line.split(" #", 1)[0].strip().removeprefix("- run: ").removeprefix("- ")
            if line.startswith("entrylint ") and not {"probe", "server"} & set(line.split()):
                yield where, shlex.split(line)[1:]


@pytest.mark.parametrize(("where", "args"), list(commands()),
                         ids=[" ".join(a) for _, a in commands()])
def test_documented_commands_run(tmp_path: Path, where: str, args: list[str]) -> None:
    """No usage error (exit 2) for any documented command, run in a small repository."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "examples").mkdir()
    for d in (tmp_path, tmp_path / "examples"):
        (d / "Dockerfile").write_text(NO_INIT)
    (tmp_path / "Dockerfile.app").write_text(NO_INIT)
    args = [a if a not in ("PATH...", "[PATH...]") else "." for a in args]
    if "rule" in args[:1]:
        args = args[:2] + [a for a in args[2:] if a.startswith("--")]
    stdin = None
    if "<" in args:  # `entrylint check - < Dockerfile`: the shell's redirection
        i = args.index("<")
        stdin = (tmp_path / args[i + 1]).read_text()
        args = args[:i] + args[i + 2:]
    args = [a for a in args if not a.startswith("[")]
    r = invoke_in(tmp_path, args, input=stdin)
    assert r.exit_code in (0, 1), f"{where}: entrylint {' '.join(args)}: {r.output}"


def test_ci_md_says_what_the_pre_commit_hooks_run() -> None:
    hooks = {h["id"]: h for h in yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())}
    text = " ".join((PROJECT / "docs/ci.md").read_text(encoding="utf-8").split())
    said = re.findall(r"`(entrylint(?:-fix)?)` runs `(entrylint [^`]+)`", text)
    assert {hook for hook, _ in said} == set(hooks)
    for hook_id, command in said:
        hook = hooks[hook_id]
        assert command.split() == [*hook["entry"].split(), *hook.get("args", [])], hook_id
    for hook in hooks.values():
        # one process over the repository: never the same finding twice when pre-commit splits
        assert hook["pass_filenames"] is False and "args" not in hook
    assert "--fix" in hooks["entrylint-fix"]["entry"].split()  # user args: cannot drop it
    assert "`pass_filenames: false`" in text


def test_the_docs_map_every_foreign_id_to_its_rules() -> None:
    from entrylint.foreign import EQUIVALENTS

    text = (PROJECT / "docs/configuration.md").read_text(encoding="utf-8")
    rows = {m.group(1).upper(): m.group(2) for m in
            re.finditer(r"^\| `(\w+)` \| ([\w, ]+) \|", text, re.MULTILINE)}
    assert set(EQUIVALENTS) <= set(rows)
    for foreign_id, rules in EQUIVALENTS.items():
        assert rows[foreign_id].split(", ") == list(rules), foreign_id
