"""Options a server reads from a configuration file that COPY put in the image.

uWSGI takes its options from the command line or from an ini file (``uwsgi --ini app.ini``,
``uwsgi app.ini``): whether it runs with ``master`` and ``die-on-term`` decides whether it
reaps and stops as PID 1.  The model reads that file from the build context here, so that
rules can judge the options without reading files.
"""

from __future__ import annotations

import posixpath

from entrylint.model.context import BuildContext
from entrylint.model.imagefs import ContextFile
from entrylint.model.stages import Stage
from entrylint.source import SourceError

_INI_FLAGS = ("--ini", "--ini-paste")


def uwsgi_ini_path(argv: list[str | None]) -> tuple[str, str] | None:
    """The ini file (and section, ``file.ini:name``; ``uwsgi`` by default) that a uWSGI
    command line loads, or None when it names none.  A second file makes it None too."""
    found: list[str | None] = []
    args = argv[1:]
    prev: str | None = None
    for i, a in enumerate(args):
        if a is None:
            prev = a
            continue
        if a in _INI_FLAGS:
            found.append(args[i + 1] if i + 1 < len(args) else None)
        elif a.startswith(tuple(f + "=" for f in _INI_FLAGS)):
            found.append(a.split("=", 1)[1])
        elif not a.startswith("-") and a.split(":", 1)[0].endswith(".ini") and (
                prev is None or not prev.startswith("-")):
            found.append(a)
        prev = a
    if len(found) != 1 or found[0] is None:
        return None
    path, _, section = found[0].partition(":")
    return path, section or "uwsgi"


def parse_ini(text: str, section: str) -> dict[str, str] | None:
    """The ``key = value`` lines of ``[section]`` (last one wins; ``_`` read as ``-``, as
    uWSGI does), or None when the section includes other files (``ini``/``include``), whose
    options entrylint does not follow."""
    out: dict[str, str] = {}
    current: str | None = None
    seen = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            current = line[1:-1].strip()
            seen = seen or current == section
            continue
        if current != section or "=" not in line:
            continue
        key, _, value = line.partition("=")
        key = key.strip().replace("_", "-")
        if key in ("ini", "include", "inherit", "for", "if-exists", "if-env"):
            return None
        out[key] = value.strip()
    return out if seen else None


def uwsgi_options(argv: list[str | None], stage: Stage, context: BuildContext
                  ) -> dict[str, str] | None:
    """The options of the ini file a uWSGI command line loads, when the file comes from the
    build context (resolved against WORKDIR) and can be read; else None."""
    named = uwsgi_ini_path(argv)
    if named is None or "$" in named[0] or "%" in named[0]:
        return None
    path, section = named
    hit = stage.fs.file(posixpath.normpath(posixpath.join(stage.workdir, path)))
    if hit is None or not isinstance(hit[1], ContextFile):
        return None
    got = context.read(hit[1].path)
    if isinstance(got, SourceError):
        return None
    return parse_ini(got.data.decode("utf-8", errors="replace"), section)


def flag_on(options: dict[str, str], name: str) -> bool:
    """Whether a uWSGI boolean option is on: any value but ``false``/``off``/``no``/``0``
    (uWSGI's ``uwsgi_opt_true``); a key with no value is on."""
    value = options.get(name)
    return value is not None and value.lower() not in ("false", "off", "no", "0")
