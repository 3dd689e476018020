"""Why entrylint reads Dockerfiles itself and scripts with tree-sitter-bash: the figures.

Runs the two parsers the project was asked to use (dockerfile-parse, bashlex) beside the ones
it uses (its own Dockerfile reader, tree-sitter-bash) on a directory of real checkouts (the
corpus of ``bench/corpus.py``), with BuildKit's own parser (PyPI ``dockerfile``) as the
reference for Dockerfiles:

* a Dockerfile reader is *wrong* on a file when its instructions (keyword and first line)
  differ from BuildKit's;
* a script parser *fails* on a script when it raises (bashlex) or leaves ERROR/MISSING nodes
  (tree-sitter-bash, which recovers and keeps the rest).

The scripts are the entry scripts entrylint follows from those Dockerfiles, one per distinct
content.  Usage (the extra parsers are not entrylint's dependencies)::

    pip install bashlex dockerfile-parse dockerfile
    python bench/parsers.py --checkouts /path/to/checkouts
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from entrylint.dockerfile import parse
from entrylint.engine import discover
from entrylint.model import load
from entrylint.shell import ShellScript
from entrylint.source import SourceError, read_source


def buildkit(text: str) -> list[tuple[str, int]] | None:
    import dockerfile

    try:
        return [(c.cmd.upper(), c.start_line) for c in dockerfile.parse_string(text)]
    except dockerfile.GoParseError:
        return None


def dockerfile_parse(text: str) -> list[tuple[str, int]]:
    from dockerfile_parse import DockerfileParser

    p = DockerfileParser(fileobj=io.BytesIO(text.encode()))
    return [(i["instruction"].upper(), i["startline"] + 1) for i in p.structure
            if i["instruction"] != "COMMENT"]


def ours(text: str, path: Path) -> list[tuple[str, int]]:
    from entrylint.source import SourceFile

    df = parse(SourceFile(path, text.encode()))
    return [(i.keyword, i.start_line) for i in df.instructions]


def timed(fn: Any, *args: Any) -> tuple[Any, float]:
    t = time.perf_counter()
    try:
        out = fn(*args)
    except Exception as exc:  # a parser that raises: that is the measurement
        out = exc
    return out, time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--checkouts", type=Path, required=True)
    args = ap.parse_args(argv)

    dockerfiles = sorted(p for p in discover([args.checkouts]) if p.is_file())
    wrong: Counter[str] = Counter()
    seconds: Counter[str] = Counter()
    valid = 0
    scripts: dict[str, bytes] = {}
    for path in dockerfiles:
        try:
            text = read_source(path, root=args.checkouts).data.decode("utf-8")
        except (SourceError, UnicodeDecodeError):
            continue
        reference, t = timed(buildkit, text)
        seconds["buildkit"] += t
        if not isinstance(reference, list):
            continue  # BuildKit rejects it: not a valid Dockerfile
        valid += 1
        for name, fn in (("dockerfile-parse", dockerfile_parse), ("entrylint", ours)):
            got, t = timed(fn, text, *([path] if fn is ours else []))
            seconds[name] += t
            if got != reference:
                wrong[name] += 1
        try:
            model = load(path)
        except SourceError:
            continue
        for s in model.scripts:
            scripts.setdefault(hashlib.sha256(s.shell.data).hexdigest(), s.shell.data)

    print(f"Dockerfiles: {valid} that BuildKit's parser accepts "
          f"(of {len(dockerfiles)} found)")
    for name in ("dockerfile-parse", "entrylint"):
        print(f"  {name:17} wrong on {wrong[name]:4} ({wrong[name] / max(valid, 1):.1%}), "
              f"{seconds[name]:.2f} s")
    print(f"  {'BuildKit (ref.)':17} {seconds['buildkit']:.2f} s")

    import bashlex

    raised = 0
    errors = 0
    t_bashlex = t_ts = 0.0
    for data in scripts.values():
        text = data.decode("utf-8", errors="replace")
        got, t = timed(bashlex.parse, text)
        t_bashlex += t
        raised += isinstance(got, Exception)
        sh, t = timed(ShellScript, data)
        t_ts += t
        errors += isinstance(sh, ShellScript) and sh.has_errors
    n = max(len(scripts), 1)
    print(f"Entry scripts entrylint follows: {len(scripts)} distinct")
    print(f"  bashlex           raises on {raised:4} ({raised / n:.1%}), {t_bashlex:.2f} s")
    print(f"  tree-sitter-bash  errors in {errors:4} ({errors / n:.1%}), {t_ts:.2f} s "
          f"(the rest of each script is still analysed)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
