"""Compose files: the service that builds a Dockerfile gives its build context and whether
every service that runs the image has ``init: true``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from entrylint import runmemo
from entrylint.boundary import BoundaryError, read_regular
from entrylint.source import SourceError

COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


@dataclass
class ComposeInfo:
    context: Path | None = None
    init: bool = False
    file: Path | None = None
    #: every compose file parsed on the way (whether or not it builds the Dockerfile)
    read: list[Path] = field(default_factory=list)
    #: the ``stop_signal`` that every service running the image sets (None: not all, or
    #: not the same one)
    stop_signal: str | None = None


#: A compose file larger than this is refused (real ones are a few KiB).
MAX_COMPOSE_BYTES = 1024 * 1024
#: Alias uses (``*name``) allowed in one compose file: a "billion laughs" document nests them.
MAX_ALIASES = 1000


def _load_yaml(path: Path, root: Path) -> object:
    """The document of a compose file, read within the repository and the size cap, with
    aliases bounded.  Raises :class:`SourceError` (a file entrylint refuses) or
    ``yaml.YAMLError`` (not YAML: ignored, as before)."""
    import yaml

    try:
        data, _ = read_regular(path, MAX_COMPOSE_BYTES, root=root)
    except BoundaryError as exc:
        raise SourceError(path, exc.reason) from None

    class BoundedLoader(yaml.SafeLoader):
        aliases = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                self.aliases += 1
                if self.aliases > MAX_ALIASES:
                    raise SourceError(path, f"uses more than {MAX_ALIASES} YAML aliases (an "
                                            "alias bomb?); not read")
            return super().compose_node(parent, index)

    text = data.decode("utf-8", errors="replace")
    try:
        return yaml.load(text, Loader=BoundedLoader)
    except RecursionError:
        raise SourceError(path, "is nested too deeply to read") from None


def _resolve(base: Path, name: str) -> Path | None:
    try:
        return runmemo.resolve(base / name)
    except (ValueError, OSError, RuntimeError):  # a NUL byte, a loop
        return None


def find_compose(dockerfile: Path, root: Path) -> ComposeInfo:
    """A compose file in the repository whose service builds this Dockerfile.  Raises
    :class:`SourceError` for a compose file that is too large or an alias bomb."""
    target = runmemo.resolve(dockerfile)
    d = runmemo.resolve(dockerfile.parent)
    root = runmemo.resolve(root)
    dirs = [d, *[p for p in d.parents if p == root or root in p.parents]]
    read: list[Path] = []
    for directory in dirs:
        for name in COMPOSE_NAMES:
            f = directory / name
            if not runmemo.lexists(f):
                continue
            import yaml  # only when there is a compose file: PyYAML is slow to import

            read.append(f)
            try:
                doc = _load_yaml(f, root)
            except yaml.YAMLError:
                continue
            services = doc.get("services") if isinstance(doc, dict) else None
            if not isinstance(services, dict):
                continue
            found: list[bool] = []
            signals: list[object] = []
            images: set[str] = set()
            for svc in services.values():
                if not isinstance(svc, dict):
                    continue
                build = svc.get("build")
                if isinstance(build, str):
                    ctx, dfname = build, "Dockerfile"
                elif isinstance(build, dict):
                    ctx = str(build.get("context", "."))
                    dfname = str(build.get("dockerfile", "Dockerfile"))
                else:
                    continue
                ctx_path = _resolve(directory, ctx)
                if ctx_path is not None and _resolve(ctx_path, dfname) == target:
                    found.append(svc.get("init") is True)
                    signals.append(svc.get("stop_signal"))
                    context = ctx_path
                    if isinstance(svc.get("image"), str):
                        images.add(svc["image"])
            # services that run the built image by its name, without building it
            for svc in services.values():
                if isinstance(svc, dict) and "build" not in svc and isinstance(
                        svc.get("image"), str) and svc["image"] in images:
                    found.append(svc.get("init") is True)
                    signals.append(svc.get("stop_signal"))
            if found:
                # every service that runs this image must have an init for EL104 to hold off,
                # and the same stop_signal for EL115
                same = signals[0] if len(set(map(str, signals))) == 1 else None
                return ComposeInfo(context=context, init=all(found), file=f, read=read,
                                   stop_signal=same if isinstance(same, str) else None)
    return ComposeInfo(read=read)
