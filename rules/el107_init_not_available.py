"""The init that `ENTRYPOINT` names is not in the image, or not at that path: the container
fails to start.

**Why it matters.** `ENTRYPOINT ["/sbin/tini", "--"]` is copied from Alpine examples, where
`apk add tini` installs `/sbin/tini`; Debian's and Ubuntu's `tini` package installs
`/usr/bin/tini`, so on those images the container fails with `exec /sbin/tini: no such file or
directory`.  The same happens with `/tini` when no `ADD` of the release binary puts it there,
with `/usr/bin/dumb-init` when dumb-init came from `pip install` (it lands in
`/usr/local/bin`), and with any init that no stage of the image installs.  A bare name (`tini`)
is looked up on PATH and works wherever the package put it.  Paths per distribution:
docs/pid1-behaviour.md's reference ("Where an init comes from").

Only inits are checked (tini, dumb-init), only when the base image is a known distribution or
official image, and never when a COPY/ADD puts a file at that path or a RUN names that path
(`curl -L … > /sbin/tini && chmod +x /sbin/tini`: a write entrylint does not replay).  A
build-context script that a RUN executes (`COPY packages.sh /build/` + `RUN bash
/build/packages.sh`) counts as part of that RUN: what it installs is installed.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

from entrylint import facts
from entrylint.diagnostics import Diagnostic, Severity
from entrylint.fixes_catalog import init_path_fix
from entrylint.model import DEFAULT_PATH, ImageModel, Stage
from entrylint.rulekit import at_instruction

ID = "EL107"
NAME = "init-not-available"
SEVERITY: Severity = "error"
SUMMARY = "ENTRYPOINT names an init the image does not have, or at the wrong path"
POSIX = True
BAD = """
FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends tini \\
    && rm -rf /var/lib/apt/lists/*
ENTRYPOINT ["/sbin/tini", "--"]
CMD ["/usr/local/bin/server"]
"""
GOOD = """
FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends tini \\
    && rm -rf /var/lib/apt/lists/*
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["/usr/local/bin/server"]
"""
FIX = """
*Safe*: when the image installs the init at another path (`apt-get install tini` puts it at
`/usr/bin/tini`), replaces the path in the exec-form `ENTRYPOINT` with that one: the container
could not start before, so nothing that worked changes. No fix when nothing installs it.
"""

_CHECKED = ("tini", "tini-static", "dumb-init")


def check(model: ImageModel) -> Iterator[Diagnostic]:
    start = model.start
    if start is None or start.kind != "init" or start.where is None:
        return
    argv0 = start.argv[0]
    if argv0 is None or start.name not in _CHECKED:
        return
    base = model.final.root_image
    if base is None or base.distro in ("unknown", "windows") or base.entrypoint == "init":
        return  # the base image may bring it (jenkins, elasticsearch: tini)
    stages = model.final.chain()
    if _copied_to(model.final, argv0, start.name):
        return
    installs = [(m, ins.args) for s in stages for ins in s.all_of("RUN")
                for m in [_manager(ins.args, start.name)] if m is not None]
    installs += [(m, text) for _, text in model.run_scripts
                 for m in [facts.installed_by_script(text, start.name.removesuffix("-static"))]
                 if m is not None]
    if not installs and "/" in argv0 and any(_names(ins.args, argv0) for s in stages
                                             for ins in s.all_of("RUN")):
        return  # `curl … > /sbin/tini && chmod +x /sbin/tini`: a RUN writes it
    if not installs:
        yield at_instruction(
            ID, SEVERITY, model, start.where,
            f"`{argv0}` is not in the image: no stage installs {start.name} (nor does "
            f"{base.ref}), so the container cannot start (`exec {argv0}: no such file or "
            f"directory`). {_install_hint(start.name, base.distro)}")
        return
    if "/" not in argv0:
        return  # found on PATH wherever the package put it
    paths = [p for m, _ in installs for p in facts.package_path(start.name, m, base.distro)]
    if not paths or argv0 in paths:
        return
    if all(m == "pip" for m, _ in installs) and posixpath.dirname(argv0) not in facts.SYSTEM_BIN:
        return  # pip may have installed it into a virtualenv there
    right = paths[0]
    manager = installs[0][0]
    yield at_instruction(
        ID, SEVERITY, model, start.where,
        f"`{argv0}` is not where {start.name} is installed: {_how(manager)} puts it at "
        f"`{right}`, so the container cannot start (`exec {argv0}: no such file or "
        f"directory`). Use `{right}` (or just `{start.name}`, found on PATH)",
        init_path_fix(model, start, right))


def _names(run_text: str, path: str) -> bool:
    """``run_text`` names ``path`` as a whole word (a write the model does not replay)."""
    import re

    return re.search(rf"(?<![\w./-]){re.escape(path)}(?![\w./-])", run_text) is not None


def _manager(run_text: str, name: str) -> str | None:
    found = facts.installed_by_run(run_text, name)
    if found is None and name == "tini-static":
        found = facts.installed_by_run(run_text, "tini")  # Debian's tini has tini-static
    return found


def _how(manager: str) -> str:
    return {"apk": "`apk add`", "apt": "Debian's package", "dnf": "the RPM",
            "pip": "`pip install`"}.get(manager, manager)


def _install_hint(name: str, distro: str) -> str:
    line = {"alpine": f"RUN apk add --no-cache {name}",
            "debian": f"RUN apt-get update && apt-get install -y --no-install-recommends "
                      f"{name}"}.get(distro)
    return f"Install it (`{line}`)" if line else "Install it, or copy a static binary in"


def _copied_to(stage: Stage, argv0: str, name: str) -> bool:
    """Something in the image's filesystem (a COPY/ADD from the context, a URL, another stage
    or image, a RUN that writes it) that is or may be at ``argv0``, or on PATH for a bare
    name."""
    if "/" in argv0:
        paths = [posixpath.normpath(posixpath.join(stage.workdir, argv0))]
    else:
        path_var = stage.env.get("PATH") or DEFAULT_PATH
        paths = [posixpath.join(d, name) for d in path_var.split(":") if d.startswith("/")]
    return any(stage.fs.file(p) is not None or stage.fs.explain(p) for p in paths)
