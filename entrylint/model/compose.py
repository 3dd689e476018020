"""Compose files: the service that builds a Dockerfile gives its build context and whether
every service that runs the image has ``init: true``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

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


def find_compose(dockerfile: Path, root: Path) -> ComposeInfo:
    """A compose file in the repository whose service builds this Dockerfile."""
    target = dockerfile.resolve()
    d = dockerfile.parent.resolve()
    root = root.resolve()
    dirs = [d, *[p for p in d.parents if p == root or root in p.parents]]
    read: list[Path] = []
    for directory in dirs:
        for name in COMPOSE_NAMES:
            f = directory / name
            if not f.is_file():
                continue
            import yaml  # only when there is a compose file: PyYAML is slow to import

            read.append(f)
            try:
                doc = yaml.safe_load(f.read_text(encoding="utf-8", errors="replace"))
            except (yaml.YAMLError, OSError):
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
                ctx_path = (directory / ctx).resolve()
                if (ctx_path / dfname).resolve() == target:
                    found.append(svc.get("init") is True)
                    signals.append(svc.get("stop_signal"))
                    context = ctx_path
                    if isinstance(svc.get("image"), str):
                        images.add(svc["image"])
            # services that run the built image by its name, without building it
            for svc in services.values():
                if isinstance(svc, dict) and "build" not in svc and svc.get("image") in images:
                    found.append(svc.get("init") is True)
                    signals.append(svc.get("stop_signal"))
            if found:
                # every service that runs this image must have an init for EL104 to hold off,
                # and the same stop_signal for EL115
                same = signals[0] if len(set(map(str, signals))) == 1 else None
                return ComposeInfo(context=context, init=all(found), file=f, read=read,
                                   stop_signal=same if isinstance(same, str) else None)
    return ComposeInfo(read=read)
