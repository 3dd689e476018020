"""entrylint/data's tables parsed once per change of the file (entrylint/tablecache.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from entrylint import tablecache


def _parse(text: str) -> dict[str, list[str]]:
    return {"words": text.split()}


def test_cached_value_is_used_until_the_source_changes(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    src = tmp_path / "table.txt"
    src.write_text("a b")
    calls: list[str] = []

    def parse(text: str) -> dict[str, list[str]]:
        calls.append(text)
        return _parse(text)

    assert tablecache.load(src, parse) == {"words": ["a", "b"]}
    assert tablecache.load(src, parse) == {"words": ["a", "b"]}
    assert calls == ["a b"]  # the second load came from data/__pycache__
    assert list((tmp_path / "__pycache__").iterdir())
    src.write_text("a b c")
    os.utime(src, ns=(1, 1))  # a different size and mtime: parsed again
    assert tablecache.load(src, parse) == {"words": ["a", "b", "c"]}
    assert calls == ["a b", "a b c"]


def test_damaged_cache_is_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    src = tmp_path / "table.txt"
    src.write_text("x")
    tablecache.load(src, _parse)
    (cache,) = (tmp_path / "__pycache__").iterdir()
    cache.write_bytes(b"\x00garbage")
    assert tablecache.load(src, _parse) == {"words": ["x"]}


def test_nothing_written_without_bytecode(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    src = tmp_path / "table.txt"
    src.write_text("x")
    assert tablecache.load(src, _parse) == {"words": ["x"]}
    assert not (tmp_path / "__pycache__").exists()


def test_shared_rows_stay_shared(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """official_images.json's index maps many tags to one row; _family_agreement counts rows
    by identity, so the cached index must keep them one object."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    src = tmp_path / "t.txt"
    src.write_text("x")

    def parse(text: str) -> dict[str, dict[str, str]]:
        row = {"v": text}
        return {"a": row, "b": row}

    tablecache.load(src, parse)
    cached = tablecache.load(src, parse)
    assert cached["a"] is cached["b"]
