"""entrylint.boundary.confine: symlinks are followed only while they stay inside the root, and
nothing beyond the root is looked at."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from entrylint.boundary import BoundaryError, confine, read_regular


def test_confine_follows_links_inside(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "a").mkdir(parents=True)
    (root / "b").mkdir()
    (root / "b" / "x").write_text("x")
    os.symlink("../b/x", root / "a" / "rel")
    os.symlink(str(root / "b"), root / "a" / "abs")
    os.symlink(str(tmp_path / "alias" / "b"), root / "a" / "via-alias")
    os.symlink("repo", tmp_path / "alias")  # the root reached through another name
    real = (root / "b" / "x").resolve()
    assert confine(root / "a" / "rel", root) == real
    assert confine(root / "a" / "abs" / "x", root) == real
    assert confine(root / "a" / "via-alias" / "x", tmp_path / "alias") == real
    assert confine(root / "a" / "missing" / "y", root) == root.resolve() / "a" / "missing" / "y"


@pytest.mark.parametrize("target", ["../../outside", "/etc/shadow", "../.."])
def test_confine_refuses_links_out(tmp_path: Path, target: str) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    os.symlink(target, root / "link")
    with pytest.raises(BoundaryError, match="is a symlink that points outside the repository"):
        confine(root / "link" / "anything", root)


def test_confine_refuses_paths_outside(tmp_path: Path) -> None:
    with pytest.raises(BoundaryError, match="lies outside the repository"):
        confine(tmp_path / "elsewhere", tmp_path / "repo")
    with pytest.raises(BoundaryError, match="lies outside the repository"):
        confine(tmp_path / "repo" / ".." / "x", tmp_path / "repo")


def test_confine_symlink_loop(tmp_path: Path) -> None:
    os.symlink("b", tmp_path / "a")
    os.symlink("a", tmp_path / "b")
    with pytest.raises(BoundaryError, match="is a symlink loop"):
        confine(tmp_path / "a", tmp_path)


def test_read_regular_refuses_what_is_not_a_regular_file(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(BoundaryError, match=r"is not a regular file \(a FIFO\)"):
        read_regular(tmp_path / "fifo", 10)
    with pytest.raises(BoundaryError, match="is a directory"):
        read_regular(tmp_path, 10)
    (tmp_path / "big").write_bytes(b"x" * 11)
    with pytest.raises(BoundaryError, match="is 11 bytes, over the 10 byte limit"):
        read_regular(tmp_path / "big", 10)
    assert read_regular(tmp_path / "big", 11, root=tmp_path)[0] == b"x" * 11
