"""Report formats: SARIF against the 2.1.0 schema, GitHub, GitLab, checkstyle, JSON, --output."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from entrylint.cli import main
from entrylint.diagnostics import Applicability, Diagnostic, Edit, Fix
from entrylint.docs import find_rule, rule_markdown
from entrylint.formats import fingerprints, render, to_checkstyle, to_github, to_gitlab, to_sarif
from entrylint.source import SourceFile

PROJECT = Path(__file__).resolve().parents[1]
NASTY = 'bad: 100% sure, <tag> & "quote"\nsecond line\r\nthird'


SCHEMA = PROJECT / "tests/data/sarif-schema-2.1.0.json"  # OASIS's; see tests/data/README.md


def sarif_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(SCHEMA.read_text(encoding="utf-8"))
    return schema


def validate_sarif(doc: dict[str, Any]) -> None:
    """The official schema, with its formats checked (``uri``, ``uri-reference``)."""
    import jsonschema

    checker = jsonschema.Draft7Validator.FORMAT_CHECKER
    assert {"uri", "uri-reference"} <= set(checker.checkers), (
        "uri-reference is only checked with rfc3986-validator installed (test extras)")
    jsonschema.validate(doc, sarif_schema(), cls=jsonschema.Draft7Validator,
                        format_checker=checker)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "docker").mkdir()
    (root / "Dockerfile").write_text(
        "FROM node:22-alpine\nCOPY docker/start.sh /start.sh\n"
        'ENTRYPOINT ["/start.sh"]\nCMD node server.js\n')
    (root / "docker/start.sh").write_text("#!/bin/sh\nset -e\nnode server.js\n")
    (root / "docker/start.sh").chmod(0o755)
    (root / "other").mkdir()
    (root / "other/Dockerfile").write_text('FROM node:22-slim\nCMD ["node", "server.js"]\n')
    # one finding of each level for the formats' level mappings (EL101 works by accident on
    # Alpine: a warning by default)
    (root / ".entrylint.toml").write_text('[severity]\nEL101 = "info"\n')
    monkeypatch.chdir(root)
    return root


def check(*args: str) -> Any:
    r = CliRunner().invoke(main, ["check", *args])
    assert r.exception is None or isinstance(r.exception, SystemExit), r.output
    return r


def test_sarif_validates_and_has_what_code_scanning_needs(repo: Path) -> None:
    r = check("--format", "sarif", ".")
    assert r.exit_code == 1
    doc = json.loads(r.output)
    validate_sarif(doc)
    assert doc["version"] == "2.1.0" and len(doc["runs"]) == 1
    run = doc["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "entrylint" and driver["version"]
    assert "informationUri" not in driver  # not hosted anywhere yet: no dead link
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == sorted(ids) and {"EL001", "EL101", "EL103", "EL104"} <= set(ids)
    el103 = driver["rules"][ids.index("EL103")]
    assert "helpUri" not in el103
    assert el103["help"]["markdown"] == rule_markdown(find_rule("EL103"))  # type: ignore[arg-type]
    assert el103["defaultConfiguration"]["level"] == "error"
    assert el103["shortDescription"]["text"] and el103["fullDescription"]["text"]
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == repo.resolve().as_uri() + "/"
    results = run["results"]
    by_rule = {res["ruleId"]: res for res in results}
    assert set(by_rule) == {"EL101", "EL103", "EL104"}
    for res in results:
        assert driver["rules"][res["ruleIndex"]]["id"] == res["ruleId"]
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        assert not loc["artifactLocation"]["uri"].startswith("/")
        assert set(loc["region"]) == {"startLine", "startColumn", "endLine", "endColumn"}
        assert res["partialFingerprints"]["entrylint/v1"]
    assert by_rule["EL101"]["level"] == "note"  # info: the severity override
    assert by_rule["EL104"]["level"] == "warning"
    script = by_rule["EL103"]["locations"][0]["physicalLocation"]
    assert script["artifactLocation"]["uri"] == "docker/start.sh"
    assert script["region"] == {"startLine": 3, "startColumn": 1, "endLine": 3,
                                "endColumn": 15}


def test_sarif_fingerprints_survive_edits_above(repo: Path) -> None:
    def prints() -> dict[str, str]:
        doc = json.loads(check("--format", "sarif", ".").output)
        return {r["ruleId"]: r["partialFingerprints"]["entrylint/v1"]
                for r in doc["runs"][0]["results"]}

    before = prints()
    (repo / "Dockerfile").write_text("# a new comment\n\n" + (repo / "Dockerfile").read_text())
    (repo / "docker/start.sh").write_text("#!/bin/sh\nset -e\necho hi\nnode   server.js\n")
    after = prints()
    assert before == after
    (repo / "docker/start.sh").write_text("#!/bin/sh\nset -e\nnode other.js\n")
    assert prints()["EL103"] != before["EL103"]


def test_identical_lines_get_distinct_fingerprints() -> None:
    src = SourceFile(Path("start.sh"), b"#!/bin/sh\nnode a\nnode a\n")
    diags = [Diagnostic("EL103", "error", src.path, 10, 16, "m", line=2, column=1),
             Diagnostic("EL103", "error", src.path, 17, 23, "m", line=3, column=1)]
    a, b = fingerprints(diags, {src.path: src}, Path.cwd())
    assert a != b


def _fixed_diag(tmp_path: Path) -> tuple[Diagnostic, dict[Path, SourceFile]]:
    path = tmp_path / "Dockerfile"
    data = b"FROM debian:12-slim\nCMD python app.py\n"
    src = SourceFile(path, data)
    fix = Fix("Use exec form", (Edit(path, 24, 37, '["python", "app.py"]'),
                                Edit(path, 20, 20, "# fixed\n")), Applicability.UNSAFE)
    d = Diagnostic("EL101", "error", path, 20, 37, NASTY, fix)
    d.line, d.column, d.end_line, d.end_column = 2, 1, 2, 18
    return d, {path: src}


def test_sarif_fixes_validate(tmp_path: Path) -> None:
    d, files = _fixed_diag(tmp_path)
    doc = to_sarif([d], files, tmp_path)
    validate_sarif(doc)
    result = doc["runs"][0]["results"][0]
    assert result["message"]["text"] == NASTY
    change = result["fixes"][0]["artifactChanges"][0]
    assert change["artifactLocation"] == {"uri": "Dockerfile", "uriBaseId": "%SRCROOT%"}
    first, second = change["replacements"]
    assert first["deletedRegion"] == {"startLine": 2, "startColumn": 5, "endLine": 2,
                                      "endColumn": 18}
    assert first["insertedContent"]["text"] == '["python", "app.py"]'
    assert second["deletedRegion"] == {"startLine": 2, "startColumn": 1, "endLine": 2,
                                       "endColumn": 1}


def test_github_annotations_escape_data_and_properties(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    d = Diagnostic("EL104", "info", Path("dir,with:odd%/Dockerfile"), 0, 1, NASTY,
                   line=3, column=2, end_line=4, end_column=5)
    line = to_github([d])
    assert line.endswith("\n") and line.count("\n") == 1
    assert line == (
        "::notice file=dir%2Cwith%3Aodd%25/Dockerfile,line=3,col=2,endLine=4,endColumn=5,"
        "title=EL104::bad: 100%25 sure, <tag> & \"quote\"%0Asecond line%0D%0Athird\n")


def test_github_levels(repo: Path) -> None:
    out = check("--format", "github", ".").output.splitlines()
    # EL104 on line 3: node never reaps once EL103's exec makes it PID 1
    assert [line.split(" ", 1)[0] for line in out] == ["::warning", "::notice", "::error",
                                                       "::warning"]
    assert out[2].startswith("::error file=docker/start.sh,line=3,col=1,endLine=3,"
                             "endColumn=15,title=EL103::`node server.js` runs as a child")


def test_github_paths_are_relative_to_the_checkout(repo: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo / "docker")
    out = check("--format", "github", "..").output
    assert "::error file=docker/start.sh,line=3" in out


def test_gitlab_code_quality(repo: Path) -> None:
    report = json.loads(check("--format", "gitlab", ".").output)
    assert [i["check_name"] for i in report] == ["EL104", "EL101", "EL103", "EL104"]
    for issue in report:
        assert set(issue) == {"description", "check_name", "fingerprint", "severity",
                              "location"}
        assert isinstance(issue["description"], str) and issue["description"]
        assert len(issue["fingerprint"]) == 64
        assert set(issue["location"]) == {"path", "lines"}
        assert isinstance(issue["location"]["lines"]["begin"], int)
    assert [i["severity"] for i in report] == ["minor", "info", "major", "minor"]
    assert report[2]["location"] == {"path": "docker/start.sh",
                                     "lines": {"begin": 3, "end": 3}}
    assert len({i["fingerprint"] for i in report}) == 4


def test_gitlab_escapes_through_json(tmp_path: Path) -> None:
    d, files = _fixed_diag(tmp_path)
    issue = json.loads(json.dumps(to_gitlab([d], files, tmp_path)))[0]
    assert issue["description"].endswith(NASTY)
    assert issue["location"]["path"] == "Dockerfile"


def test_checkstyle_xml_escaping(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    d = Diagnostic("EL101", "error", Path("a&b<c>/Dockerfile"), 0, 1, NASTY + "\x07",
                   line=2, column=1)
    text = to_checkstyle([d])
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(text.encode())
    assert root.tag == "checkstyle"
    (file_el,) = root.findall("file")
    assert file_el.get("name") == "a&b<c>/Dockerfile"
    (err,) = file_el.findall("error")
    # XML normalises \r\n in attribute values only when they are not escaped: they are
    assert err.get("message") == NASTY
    assert err.attrib == {"line": "2", "column": "1", "severity": "error",
                          "message": NASTY, "source": "entrylint.EL101"}


def test_checkstyle_from_cli(repo: Path) -> None:
    root = ET.fromstring(check("--format", "checkstyle", ".").output.encode())
    files = {f.get("name"): [e.get("source") for e in f] for f in root}
    assert files == {"Dockerfile": ["entrylint.EL104", "entrylint.EL101"],
                     "docker/start.sh": ["entrylint.EL103"],
                     "other/Dockerfile": ["entrylint.EL104"]}


def test_cli_offers_every_format() -> None:
    from entrylint import cli, formats

    assert cli.FORMATS == formats.FORMATS  # copied so the CLI imports nothing heavy


def test_json_keys_are_exact(repo: Path) -> None:
    out = json.loads(check("--format", "json", ".").output)
    assert out and all(list(d) == ["rule", "severity", "path", "line", "column", "end_line",
                                   "end_column", "message", "fix", "url"] for d in out)
    assert {d["url"] for d in out} == {None}


def test_output_file_gets_the_format_and_terminal_the_text(repo: Path) -> None:
    r = check("--format", "sarif", "--output", "report.sarif", ".")
    assert r.exit_code == 1
    assert "docker/start.sh:3:1: EL103 [error]" in r.output
    assert r.output.rstrip().splitlines()[-1].startswith("Linted 2 Dockerfiles, 1 script:")
    validate_sarif(json.loads((repo / "report.sarif").read_text()))
    r = check("--format", "text", "-o", "report.txt", ".")
    assert "EL103" in (repo / "report.txt").read_text()
    assert "\x1b[" not in (repo / "report.txt").read_text()


def test_empty_reports_are_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    validate_sarif(json.loads(render("sarif", [], {})))
    assert json.loads(render("gitlab", [], {})) == []
    assert render("github", [], {}) == ""
    assert ET.fromstring(render("checkstyle", [], {}).encode()).tag == "checkstyle"


def _run_on_tty(cwd: Path, env: dict[str, str]) -> str:
    """Run entrylint with its stdout on a pseudo-terminal; return what it wrote."""
    import pty
    import subprocess
    import sys

    master, slave = pty.openpty()
    proc = subprocess.run([sys.executable, "-m", "entrylint", "check", "."], cwd=cwd, env=env,
                          stdout=slave, stderr=subprocess.PIPE, timeout=60)
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.returncode == 1, proc.stderr
    return b"".join(chunks).decode()


@pytest.mark.skipif(os.name != "posix", reason="needs a pseudo-terminal")
def test_text_colour_only_on_a_tty_and_no_color_honoured(repo: Path) -> None:
    assert "\x1b[" not in check(".").output  # not a TTY
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    assert "\x1b[" in _run_on_tty(repo, env)
    assert "\x1b[" not in _run_on_tty(repo, {**env, "NO_COLOR": "1"})


ODD_DIRS = ["my app", "50%off", "é", "a#b", "c:d", "q?x"]


@pytest.fixture
def odd_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    for d in ODD_DIRS:
        (root / d).mkdir()
        # one finding each (gunicorn reaps: no EL104 once EL101's exec form makes it PID 1)
        (root / d / "Dockerfile").write_text("FROM debian:12-slim\nCMD gunicorn app:app\n")
    monkeypatch.chdir(root)
    return root


def test_sarif_uris_are_percent_encoded_references_to_the_right_file(odd_repo: Path) -> None:
    import urllib.parse

    doc = json.loads(check("--format", "sarif", ".").output)
    validate_sarif(doc)  # with the uri-reference format checked
    run = doc["runs"][0]
    uris = sorted(r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                  for r in run["results"])
    assert uris == sorted(["my%20app/Dockerfile", "50%25off/Dockerfile", "%C3%A9/Dockerfile",
                           "a%23b/Dockerfile", "c%3Ad/Dockerfile", "q%3Fx/Dockerfile"])
    base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    for uri in uris:  # resolved against %SRCROOT% as a URI, each names its file
        resolved = urllib.parse.urljoin(base, uri)
        path = Path(urllib.parse.unquote(urllib.parse.urlparse(resolved).path))
        assert path.is_file() and path.parent.name in ODD_DIRS, uri
        assert path.parent.parent == odd_repo.resolve()
    for res in run["results"]:
        for change in res["fixes"][0]["artifactChanges"]:
            assert change["artifactLocation"]["uri"] in uris


def test_other_formats_stay_valid_on_odd_paths(odd_repo: Path) -> None:
    gitlab = json.loads(check("--format", "gitlab", ".").output)
    assert sorted(i["location"]["path"] for i in gitlab) == sorted(
        f"{d}/Dockerfile" for d in ODD_DIRS)
    root = ET.fromstring(check("--format", "checkstyle", ".").output.encode())
    assert sorted(f.get("name") for f in root) == sorted(f"{d}/Dockerfile" for d in ODD_DIRS)
    lines = check("--format", "github", ".").output.splitlines()
    assert len(lines) == len(ODD_DIRS)
    files = sorted(line.split("file=", 1)[1].split(",line=", 1)[0] for line in lines)
    assert files == sorted(["my app/Dockerfile", "50%25off/Dockerfile", "é/Dockerfile",
                            "a#b/Dockerfile", "c%3Ad/Dockerfile", "q?x/Dockerfile"])


def test_checkstyle_paths_are_relative_to_the_repository_like_the_others(
        repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo / "docker")
    root = ET.fromstring(check("--format", "checkstyle", "..").output.encode())
    assert "docker/start.sh" in {f.get("name") for f in root}
    gitlab = json.loads(check("--format", "gitlab", "..").output)
    assert "docker/start.sh" in {i["location"]["path"] for i in gitlab}


def test_sarif_help_text_is_plain_text(repo: Path) -> None:
    doc = json.loads(check("--format", "sarif", ".").output)
    for rule in doc["runs"][0]["tool"]["driver"]["rules"]:
        text = rule["help"]["text"]
        assert "##" not in text and "```" not in text and "**" not in text, rule["id"]
        assert "`" not in text and "`" not in rule["shortDescription"]["text"], rule["id"]
        assert f"{rule['id']} {rule['name']}" in text.splitlines()[0]
    el101 = next(r for r in doc["runs"][0]["tool"]["driver"]["rules"] if r["id"] == "EL101")
    assert "\n    CMD python /app/app.py\n" in el101["help"]["text"]  # code kept, indented


def test_rule_links_come_from_docs_url(repo: Path) -> None:
    from entrylint import __version__

    template = "https://docs.example.com/entrylint/{version}/rules/{rule}.html"
    (repo / ".entrylint.toml").write_text(f'docs-url = "{template}"\n')
    doc = json.loads(check("--format", "sarif", ".").output)
    validate_sarif(doc)
    driver = doc["runs"][0]["tool"]["driver"]
    el103 = next(r for r in driver["rules"] if r["id"] == "EL103")
    assert el103["helpUri"] == f"https://docs.example.com/entrylint/{__version__}/rules/EL103.html"
    assert driver["informationUri"] == f"https://docs.example.com/entrylint/{__version__}/rules/"
    out = json.loads(check("--format", "json", ".").output)
    assert {d["url"].rsplit("/", 1)[1] for d in out} == {"EL101.html", "EL103.html",
                                                         "EL104.html"}
    other = "https://git.example.com/el/-/blob/v{version}/docs/rules/{rule}.md"
    out = json.loads(check("--format", "json", "--docs-url", other, ".").output)
    el101 = next(d for d in out if d["rule"] == "EL101")
    assert el101["url"] == f"https://git.example.com/el/-/blob/v{__version__}/docs/rules/EL101.md"
    out = json.loads(check("--format", "json", "--docs-url", "", ".").output)
    assert out[0]["url"] is None
    r = check("--format", "json", "--docs-url", "https://example.com/rules", ".")
    assert r.exit_code == 2 and "{rule}" in r.output
