"""bench/corpus.py on two tiny synthetic checkouts: counts, follow rate and P/R arithmetic."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.fixture(scope="module")
def corpus() -> ModuleType:
    sys.path.insert(0, str(BENCH))
    try:
        return importlib.import_module("corpus")
    finally:
        sys.path.remove(str(BENCH))


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def checkouts(tmp_path: Path) -> Path:
    root = tmp_path / "checkouts"
    # repo one: a followed script without exec (EL103) and a shell-form CMD (EL101)
    one = root / "acme+one"
    (one / ".git").mkdir(parents=True)
    _write(one / "boot.sh", '#!/bin/sh\nset -e\nmyserver "$@"\n')
    _write(one / "Dockerfile",
           'FROM debian:12\nCOPY boot.sh /boot.sh\nENTRYPOINT ["/boot.sh"]\n')
    _write(one / "web" / "Dockerfile", "FROM debian:12\nCMD python app.py\n")
    # repo two: the image's /start.sh is never copied from the context (a RUN step would have
    # to make it), so entrylint cannot follow the context's start.sh and says why
    two = root / "acme+two"
    (two / ".git").mkdir(parents=True)
    _write(two / "start.sh", '#!/bin/sh\nexec myserver "$@"\n')
    _write(two / "Dockerfile",
           "FROM debian:12\nRUN echo building\nENTRYPOINT [\"/start.sh\"]\n")
    return root


def test_counts_follow_rate_and_reasons(corpus: ModuleType, checkouts: Path) -> None:
    res = corpus.evaluate(checkouts, isolate=False)
    s = res["summary"]
    assert (s["repositories"], s["dockerfiles"], s["crashes"]) == (2, 3, 0)
    assert s["runs_context_script"] == 2  # boot.sh and start.sh, not `python app.py`
    assert s["followed"] == 1
    assert s["follow_rate"] == 0.5
    assert s["findings"]["EL103"] == 1
    assert s["findings"]["EL101"] == 1
    text = corpus.render(s, res["outcomes"], None, [])
    missed = [line for line in text.splitlines() if "acme/two:Dockerfile" in line]
    assert missed and "start.sh" in missed[0]


def test_only_one_repository_in_a_worker(corpus: ModuleType, checkouts: Path) -> None:
    res = corpus.evaluate(checkouts, only=["acme/two"], jobs=1, timeout=30)
    assert res["summary"]["dockerfiles"] == 1
    assert res["outcomes"][0].repo == "acme/two"
    assert res["outcomes"][0].crash is None


def test_precision_recall_per_split(corpus: ModuleType, checkouts: Path,
                                    tmp_path: Path) -> None:
    labels = tmp_path / "labels.toml"
    labels.write_text(
        '[[case]]\nrepo = "acme/one"\ndockerfile = "Dockerfile"\nsplit = "dev"\n'
        'expect = ["EL103", "EL104"]\n\n'
        '[[case]]\nrepo = "acme/one"\ndockerfile = "web/Dockerfile"\nsplit = "heldout"\n'
        'expect = []\n\n'
        '[[case]]\nrepo = "acme/two"\ndockerfile = "Dockerfile"\nsplit = "dev"\n'
        'expect = ["EL104"]\n', encoding="utf-8")
    res = corpus.evaluate(checkouts, labels_path=labels, labelled_only=True, isolate=False)
    dev, held = res["scores"]["dev"], res["scores"]["heldout"]
    assert (dev["EL103"].tp, dev["EL103"].fp, dev["EL103"].fn) == (1, 0, 0)
    assert dev["EL103"].precision == 1.0 and dev["EL103"].recall == 1.0
    # every cell agrees with the outcomes, whatever the model finds today
    expect = {("acme/one", "Dockerfile"): ("dev", {"EL103", "EL104"}),
              ("acme/one", "web/Dockerfile"): ("heldout", set()),
              ("acme/two", "Dockerfile"): ("dev", {"EL104"})}
    for rule in corpus.RULES:
        for split in corpus.SPLITS:
            cells = [(rule in o.rules(), rule in exp) for o in res["outcomes"]
                     for sp, exp in [expect[(o.repo, o.dockerfile)]] if sp == split]
            sc = res["scores"][split][rule]
            assert (sc.tp, sc.fp, sc.fn) == (cells.count((True, True)),
                                             cells.count((True, False)),
                                             cells.count((False, True)))
    # web/Dockerfile: EL101 fires but the label expects nothing: one FP, precision 0
    assert (held["EL101"].tp, held["EL101"].fp) == (0, 1)
    assert held["EL101"].precision == 0.0 and held["EL101"].recall is None
    assert any(m.kind == "FP" and m.rule == "EL101" for m in res["mistakes"])
    assert {m.kind for m in res["mistakes"] if m.rule == "EL104"} <= {"FN", "FP"}


def test_a_second_heldout_split_is_scored_on_its_own(corpus: ModuleType, checkouts: Path,
                                                   tmp_path: Path) -> None:
    labels = tmp_path / "labels.toml"
    labels.write_text(
        '[[case]]\nrepo = "acme/one"\ndockerfile = "Dockerfile"\nsplit = "heldout"\n'
        'expect = ["EL103"]\n\n'
        '[[case]]\nrepo = "acme/one"\ndockerfile = "web/Dockerfile"\nsplit = "heldout2"\n'
        'expect = ["EL101"]\n', encoding="utf-8")
    res = corpus.evaluate(checkouts, labels_path=labels, labelled_only=True, isolate=False)
    held, held2 = res["scores"]["heldout"], res["scores"]["heldout2"]
    assert (held2["EL101"].tp, held2["EL101"].fp, held2["EL101"].fn) == (1, 0, 0)
    assert (held["EL101"].tp, held["EL101"].fp, held["EL101"].fn) == (0, 0, 0)
    assert (held["EL103"].tp, held2["EL103"].tp) == (1, 0)
    text = corpus.render(res["summary"], res["outcomes"], res["scores"], res["mistakes"])
    assert "heldout2 EL101: P 1.00  R 1.00  (1 0 0)" in text
    bad = tmp_path / "bad.toml"
    bad.write_text('[[case]]\nrepo = "acme/one"\ndockerfile = "Dockerfile"\nsplit = "nosuchsplit"\n',
                   encoding="utf-8")
    with pytest.raises(ValueError):
        corpus.read_labels(bad)


def test_heuristic_ignores_interpreters_and_other_stages(corpus: ModuleType,
                                                         tmp_path: Path) -> None:
    import corpus_heuristic as h  # imported through the corpus fixture's module

    repo = tmp_path / "r"
    _write(repo / "run.sh", "#!/bin/bash\nexec app\n")
    df = repo / "Dockerfile"
    _write(df, 'FROM a AS b\nFROM debian\nCOPY --from=b /run.sh /run.sh\n'
               'CMD ["bash", "/run.sh"]\n')
    assert h.analyse(df, repo, repo).scripts == []
    _write(df, 'FROM debian\nCOPY run.sh /usr/bin/go\nCMD ["go"]\n')
    assert h.analyse(df, repo, repo).scripts == ["go"]


def test_heuristic_tabs_and_scripts_through_a_local_stage(corpus: ModuleType,
                                                          tmp_path: Path) -> None:
    import corpus_heuristic as h

    repo = tmp_path / "r"
    _write(repo / "scripts" / "boot.sh", "#!/bin/sh\nexec app\n")
    df = repo / "Dockerfile"
    _write(df, "FROM alpine AS prep\nCOPY scripts/boot.sh /boot.sh\nFROM alpine\n"
               "COPY --from=prep /boot.sh /boot.sh\nENTRYPOINT\t[\"/boot.sh\"]\n")
    assert h.analyse(df, repo, repo).scripts == ["boot.sh"]
    _write(df, "FROM vendor/tools AS prep\nFROM alpine\n"
               "COPY --from=prep /boot.sh /boot.sh\nENTRYPOINT [\"/boot.sh\"]\n")
    assert h.analyse(df, repo, repo).scripts == []


def test_a_worker_that_dies_or_hangs_is_reported(corpus: ModuleType, checkouts: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    task = next(iter(corpus.dockerfile_tasks(corpus.repositories(checkouts, ["acme/two"]))))

    def boom(_task: object) -> None:
        raise SystemExit(3)

    monkeypatch.setattr(corpus, "analyse", boom)
    [died] = corpus.run_tasks([task], timeout=20)
    assert died.crash is not None and "worker died" in died.crash

    monkeypatch.setattr(corpus, "analyse", lambda _task: time.sleep(30))
    [hung] = corpus.run_tasks([task], timeout=0.5)
    assert hung.crash is not None and "timeout" in hung.crash


def test_aliases_count_split_rules_by_where_they_fire(corpus: ModuleType) -> None:
    out = corpus.Outcome(repo="a/b", dockerfile="Dockerfile", context=".", findings=[
        {"rule": "EL109", "file": "boot.sh", "line": 3, "message": "loop"},
        {"rule": "EL109", "file": "Dockerfile", "line": 2, "message": "keepalive"},
        {"rule": "EL110", "file": "Dockerfile", "line": 2, "message": "npm"},
        {"rule": "EL104", "file": "Dockerfile", "line": 2, "message": "no init"}])
    aliases = {"EL109": {"script": "EL103", "dockerfile": "EL105"},
               "EL110": {"script": "EL103", "dockerfile": ""}}
    assert out.rules() == {"EL104"}
    assert out.rules(aliases) == {"EL103", "EL104", "EL105"}


def test_alias_of_an_execd_command(corpus: ModuleType) -> None:
    """EL108 on `exec su …` is no missing exec: `script_exec` counts it apart."""
    out = corpus.Outcome(repo="a/b", dockerfile="Dockerfile", context=".", findings=[
        {"rule": "EL108", "file": "boot.sh", "line": 3, "message": "su", "exec": True}])
    aliases = {"EL108": {"script": "EL103", "script_exec": "", "dockerfile": ""}}
    assert out.rules(aliases) == set()
    out.findings[0]["exec"] = False
    assert out.rules(aliases) == {"EL103"}
