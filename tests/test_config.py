"""Configuration files, --config and the command-line overrides."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from entrylint.cli import main
from entrylint.config import Config, ConfigError, ConfigLoader, load_config

# EL101 (warning: it works only because ash execs it) and EL104 (warning), both on line 2.
SHELL_FORM = "FROM node:22-alpine\nCMD node server.js\n"
# Only EL104 (warning).
NO_INIT = 'FROM node:22-slim\nCMD ["node", "server.js"]\n'
# EL103 in docker/start.sh.
SCRIPT_DF = ('FROM debian:12-slim\nCOPY docker/start.sh /start.sh\n'
             'ENTRYPOINT ["tini", "--", "/start.sh"]\n'
             "RUN apt-get update && apt-get install -y tini\n")
SCRIPT = "#!/bin/sh\nset -e\ngunicorn app:app\n"


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text))
        if p.read_text().startswith("#!"):
            p.chmod(0o755)  # as committed: a start script is executable (EL112)


def run(*args: str) -> Result:
    return CliRunner().invoke(main, ["check", *args])


def rules_of(result: Result) -> list[str]:
    return [line.split(": ", 1)[1].split()[0] for line in result.output.splitlines()
            if ": EL" in line and not line.startswith("Linted")]


def test_defaults_report_everything(repo: Path) -> None:
    write(repo, {"Dockerfile": SHELL_FORM})
    r = run()
    assert r.exit_code == 1
    assert rules_of(r) == ["EL101", "EL104"]
    assert "EL101 [warning]" in r.output and "EL104 [warning]" in r.output


def test_entrylint_toml_ignore_and_prefix_select(repo: Path) -> None:
    write(repo, {"Dockerfile": SHELL_FORM, ".entrylint.toml": 'ignore = ["EL104"]\n'})
    assert rules_of(run()) == ["EL101"]
    (repo / ".entrylint.toml").write_text('select = ["EL10"]\nignore = ["EL101"]\n')
    assert rules_of(run()) == ["EL104"]
    # the more specific of select/ignore wins
    (repo / ".entrylint.toml").write_text('ignore = ["EL10"]\nselect = ["EL104"]\n')
    assert rules_of(run()) == ["EL104"]


def test_pyproject_table_and_extend_ignore(repo: Path) -> None:
    write(repo, {"Dockerfile": SHELL_FORM,
                 "pyproject.toml": '[project]\nname = "x"\n\n[tool.entrylint]\n'
                                   'extend-ignore = ["EL101"]\n'})
    assert rules_of(run()) == ["EL104"]


def test_nearest_config_wins_up_to_repo_root(repo: Path, tmp_path: Path) -> None:
    # above the repository root: never read
    (tmp_path / ".entrylint.toml").write_text('ignore = ["ALL"]\n')
    write(repo, {"pyproject.toml": '[tool.entrylint]\nignore = ["EL104"]\n',
                 "svc/Dockerfile": SHELL_FORM,
                 "svc/.entrylint.toml": 'ignore = ["EL101"]\n',
                 "other/Dockerfile": SHELL_FORM,
                 # a pyproject.toml without [tool.entrylint] is skipped
                 "other/pyproject.toml": '[project]\nname = "other"\n'})
    r = run(".")
    assert "svc/Dockerfile:2:1: EL104" in r.output
    assert "svc/Dockerfile:2:1: EL101" not in r.output
    assert "other/Dockerfile:2:1: EL101" in r.output
    assert "other/Dockerfile:2:1: EL104" not in r.output


def test_entrylint_toml_beats_pyproject_in_the_same_directory(repo: Path) -> None:
    write(repo, {"Dockerfile": SHELL_FORM, ".entrylint.toml": 'ignore = ["EL101"]\n',
                 "pyproject.toml": '[tool.entrylint]\nignore = ["EL104"]\n'})
    assert rules_of(run()) == ["EL104"]


def test_config_option_overrides_discovery(repo: Path, tmp_path: Path) -> None:
    write(repo, {"Dockerfile": SHELL_FORM, ".entrylint.toml": 'ignore = ["EL101"]\n'})
    assert "configuration from .entrylint.toml" in run("-v").output
    other = tmp_path / "ci.toml"
    other.write_text('ignore = ["EL104"]\n')
    assert rules_of(run("--config", str(other))) == ["EL101"]
    assert f"configuration from {other}" in run("-v", "--config", str(other)).output


def test_cli_select_replaces_and_ignore_extends(repo: Path) -> None:
    write(repo, {"Dockerfile": SHELL_FORM, ".entrylint.toml": 'ignore = ["EL104"]\n'})
    assert rules_of(run("--select", "EL101,EL104")) == ["EL101", "EL104"]
    r = run("--ignore", "EL101")
    assert rules_of(r) == [] and r.exit_code == 0


def test_severity_override(repo: Path) -> None:
    write(repo, {"Dockerfile": NO_INIT,
                 ".entrylint.toml": '[severity]\nEL104 = "error"\n'})
    r = run()
    assert "EL104 [error]" in r.output
    # node's own ENTRYPOINT is kept behind tini: a safe fix
    assert r.output.strip().endswith("1 error (1 fixable with --fix)")


def test_fail_level(repo: Path) -> None:
    write(repo, {"Dockerfile": NO_INIT, ".entrylint.toml": 'fail-level = "error"\n'})
    r = run()
    assert "EL104 [warning]" in r.output  # still printed
    assert r.exit_code == 0
    assert "1 below the fail level" in r.output
    assert run("--fail-level", "warning").exit_code == 1  # the option beats the file
    (repo / ".entrylint.toml").unlink()
    assert run().exit_code == 1  # default: any finding fails
    assert run("--fail-level", "error").exit_code == 0


def test_per_file_ignores_use_gitwildmatch_relative_to_the_config(repo: Path) -> None:
    write(repo, {"Dockerfile": SCRIPT_DF, "docker/start.sh": SCRIPT})
    assert rules_of(run()) == ["EL103"]
    (repo / ".entrylint.toml").write_text('[per-file-ignores]\n"docker/*.sh" = ["EL103"]\n')
    assert rules_of(run()) == []
    (repo / ".entrylint.toml").write_text('[per-file-ignores]\n"*.sh" = ["EL10"]\n')
    assert rules_of(run()) == []
    (repo / ".entrylint.toml").write_text('[per-file-ignores]\n"/start.sh" = ["EL103"]\n')
    assert rules_of(run()) == ["EL103"]  # anchored to the config's directory: no match


def test_assume_init_drops_el104_only(repo: Path) -> None:
    write(repo, {"Dockerfile": SHELL_FORM, "k8s/Dockerfile": NO_INIT,
                 ".entrylint.toml": 'assume-init = ["k8s/**"]\n'})
    r = run(".")
    assert "k8s/Dockerfile" not in r.output
    assert "Dockerfile:2:1: EL104" in r.output


def test_init_key_is_exposed_for_the_fixer(repo: Path) -> None:
    write(repo, {"Dockerfile": NO_INIT, ".entrylint.toml": 'init = "dumb-init"\n'})
    loader = ConfigLoader()
    assert loader.for_path(repo / "Dockerfile").init == "dumb-init"
    assert Config().init == "tini"


@pytest.mark.parametrize(("text", "expected"), [
    ('selct = ["EL101"]\n', "key `selct`: unknown key"),
    ('ignore = ["EL999"]\n', "key `ignore`: unknown rule 'EL999'"),
    ('ignore = ["EL101"]\nfail-level = "fatal"\n', "key `fail-level`: must be one of"),
    ('[severity]\nEL10 = "error"\n', "key `severity`: 'EL10' is not a rule id"),
    ('[severity]\nEL101 = "loud"\n', "key `severity` EL101: must be one of"),
    ('init = "s6"\n', "key `init`: must be \"tini\" or \"dumb-init\""),
    ('[per-file-ignores]\n"*.sh" = ["XX1"]\n', "unknown rule 'XX1'"),
    ('assume-init = [1]\n', "key `assume-init`: must be a list of strings"),
    ('select = [\n', "invalid TOML"),
])
def test_bad_config_is_a_clear_error(repo: Path, text: str, expected: str) -> None:
    write(repo, {"Dockerfile": NO_INIT, ".entrylint.toml": text})
    r = run()
    assert r.exit_code == 2, r.output
    assert expected in r.output
    assert "entrylint: error: .entrylint.toml: " in r.output  # relative to the cwd
    assert isinstance(r.exception, SystemExit)  # a message, not a traceback
    assert "Traceback" not in r.output


@pytest.mark.parametrize(("key", "text"), [
    ("select", 'select = "EL10"'),
    ("ignore", 'ignore = "EL100"'),
    ("extend-ignore", 'extend-ignore = "EL100"'),
    ("assume-init", 'assume-init = "deploy/**/Dockerfile"'),
    ("exclude", 'exclude = "tests/fixtures/"'),
    ("per-file-ignores", '[per-file-ignores]\n"legacy/**" = "EL103"'),
])
@pytest.mark.parametrize("name", [".entrylint.toml", "pyproject.toml"])
def test_a_string_where_a_list_is_meant_is_an_error(repo: Path, name: str, key: str,
                                                    text: str) -> None:
    """`ignore = "EL100"` is not silently taken as ["EL100"]: the docs say a wrong type exits 2."""
    if name == "pyproject.toml":
        text = "[tool.entrylint]\n" + text.replace("[per-file-ignores]",
                                                    "[tool.entrylint.per-file-ignores]")
    write(repo, {"Dockerfile": NO_INIT, name: text + "\n"})
    r = run()
    assert r.exit_code == 2, r.output
    assert isinstance(r.exception, SystemExit)
    assert f"entrylint: error: {name}: " in r.output and f"key `{key}`" in r.output
    assert "must be a list of strings, not a string" in r.output
    with pytest.raises(ConfigError, match=f"{name}.*key `{key}`.*list of strings"):
        load_config(repo / name)


def test_config_not_utf8(repo: Path) -> None:
    write(repo, {"Dockerfile": NO_INIT})
    (repo / ".entrylint.toml").write_bytes(b"\xff\xfe = 1\n")
    r = run()
    assert r.exit_code == 2 and isinstance(r.exception, SystemExit)
    assert "entrylint: error: .entrylint.toml: not UTF-8" in r.output


def test_bad_pyproject_names_the_table(repo: Path) -> None:
    write(repo, {"Dockerfile": NO_INIT, "pyproject.toml": '[tool.entrylint]\nfoo = 1\n'})
    r = run()
    assert r.exit_code == 2
    assert "error: pyproject.toml: [tool.entrylint] key `foo`: unknown key" in r.output


def test_bad_options_and_missing_config(repo: Path) -> None:
    write(repo, {"Dockerfile": NO_INIT})
    r = run("--select", "EL9")
    assert r.exit_code == 2 and "--select: unknown rule 'EL9'" in r.output
    r = run("--config", "nope.toml")
    assert r.exit_code == 2 and "nope.toml: no such configuration file" in r.output
    r = run("--fail-level", "fatal")
    assert r.exit_code == 2


def test_load_config_api(tmp_path: Path) -> None:
    p = tmp_path / ".entrylint.toml"
    p.write_text('select = ["el10"]\n[severity]\nEL104 = "info"\n')
    cfg = load_config(p)
    assert cfg.select == ("EL10",) and cfg.enabled("EL103") and not cfg.enabled("EL001")
    assert cfg.severity_of("EL104", "warning") == "info"
    with pytest.raises(ConfigError):
        load_config(tmp_path / "missing.toml")


def test_exclude_skips_searched_files_not_named_ones(repo: Path) -> None:
    write(repo, {"Dockerfile": SHELL_FORM, "fixtures/bad/Dockerfile": SHELL_FORM,
                 ".entrylint.toml": 'exclude = ["fixtures/"]\n'})
    r = run()
    assert {d.split(":")[0] for d in r.output.splitlines() if ": EL" in d} == {"Dockerfile"}
    r = run("fixtures/bad/Dockerfile")
    assert "fixtures/bad/Dockerfile:" in r.output and r.exit_code == 1
