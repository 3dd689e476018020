"""Repository roots, found once per directory of a run."""

from __future__ import annotations

from pathlib import Path

from entrylint import runmemo


class RepoRoots:
    """``find_repo_root`` with a memory: the nearest ``.git`` above each directory asked
    about, sharing the answer of every parent on the way, so 2,000 sibling projects cost one
    walk up, not 2,000.  A run makes one (files appearing meanwhile are not noticed)."""

    def __init__(self) -> None:
        self._git: dict[Path, Path | None] = {}
        self._answers: dict[Path, Path] = {}

    def __call__(self, start: Path) -> Path:
        """The nearest directory at or above ``start`` that holds ``.git``, else ``start``
        itself (resolved), as :func:`entrylint.model.find_repo_root` answers."""
        if start not in self._answers:
            real = runmemo.resolve(start)
            found = self._git_root(real)
            self._answers[start] = found if found is not None else real
        return self._answers[start]

    def _git_root(self, d: Path) -> Path | None:
        chain: list[Path] = []
        found: Path | None = None
        while True:
            if d in self._git:
                found = self._git[d]
                break
            chain.append(d)
            if (d / ".git").exists():
                found = d
                break
            if d.parent == d:
                break
            d = d.parent
        for c in chain:
            self._git[c] = found
        return found
