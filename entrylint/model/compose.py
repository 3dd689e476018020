"""Compose files: the service that builds a Dockerfile gives its build context, whether
every service that runs the image has ``init: true``, and what each service starts instead of
the image's ENTRYPOINT/CMD (``command:``/``entrypoint:``, with where they are written).

Compose's rules (the Compose specification, ``command`` and ``entrypoint``): a string is split
into words like a shell would split them (quotes, backslashes) but is *not* run by a shell; a
list is the argv.  ``command:`` replaces the image's CMD; ``entrypoint:`` replaces its
ENTRYPOINT and drops its CMD, unless ``command:`` is given too.  ``$VAR``/``${VAR}`` are
interpolated by compose from its environment (``$$`` is a literal ``$``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from entrylint import runmemo
from entrylint.boundary import BoundaryError, read_regular
from entrylint.dockerfile import Instruction
from entrylint.source import SourceError, SourceFile

COMPOSE_NAMES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")


@dataclass(frozen=True)
class Override:
    """A ``command:`` or ``entrypoint:`` of a service: its words (one that compose
    interpolates from its environment is kept as written) and where its key and value are."""

    key: str
    argv: tuple[str, ...]
    start: int  # the key
    end: int  # the end of the value
    line: int  # 1-based line of the key


@dataclass
class ComposeService:
    """A service that runs the image, as compose starts it."""

    name: str
    file: SourceFile
    init: bool
    stop_signal: str | None
    command: Override | None = None
    entrypoint: Override | None = None
    #: why its command/entrypoint cannot be known (a value that is not a string or a list of
    #: strings, unbalanced quotes, an empty override)
    unknown: str | None = None


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
    #: the services that run the image, in the file's order
    services: list[ComposeService] = field(default_factory=list)


#: A compose file larger than this is refused (real ones are a few KiB).
MAX_COMPOSE_BYTES = 1024 * 1024
#: Alias uses (``*name``) allowed in one compose file: a "billion laughs" document nests them.
MAX_ALIASES = 1000


def _load_yaml(path: Path, root: Path) -> tuple[object, Any, bytes]:
    """The document of a compose file, its node tree (for where keys are) and its bytes, read
    within the repository and the size cap, with aliases bounded.  Raises
    :class:`SourceError` (a file entrylint refuses) or ``yaml.YAMLError`` (not YAML: ignored,
    as before)."""
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
    loader = BoundedLoader(text)
    try:
        node = loader.get_single_node()
        doc = loader.construct_document(node) if node is not None else None
        return doc, node, data
    except RecursionError:
        raise SourceError(path, "is nested too deeply to read") from None
    finally:
        loader.dispose()


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
                doc, node, data = _load_yaml(f, root)
            except yaml.YAMLError:
                continue
            services = doc.get("services") if isinstance(doc, dict) else None
            if not isinstance(services, dict):
                continue
            found: list[bool] = []
            signals: list[object] = []
            images: set[str] = set()
            runs: list[str] = []
            for svc_name, svc in services.items():
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
                    runs.append(str(svc_name))
                    context = ctx_path
                    if isinstance(svc.get("image"), str):
                        images.add(svc["image"])
            # services that run the built image by its name, without building it
            for svc_name, svc in services.items():
                if isinstance(svc, dict) and "build" not in svc and isinstance(
                        svc.get("image"), str) and svc["image"] in images:
                    found.append(svc.get("init") is True)
                    signals.append(svc.get("stop_signal"))
                    runs.append(str(svc_name))
            if found:
                # every service that runs this image must have an init for EL104 to hold off,
                # and the same stop_signal for EL115
                same = signals[0] if len(set(map(str, signals))) == 1 else None
                source = SourceFile(path=f, data=data)
                return ComposeInfo(context=context, init=all(found), file=f, read=read,
                                   stop_signal=same if isinstance(same, str) else None,
                                   services=[_service(n, services, node, source)
                                             for n in runs])
    return ComposeInfo(read=read)


def _service(name: str, services: dict[Any, Any], root_node: Any, source: SourceFile
             ) -> ComposeService:
    svc = services[name] if name in services else next(
        v for k, v in services.items() if str(k) == name)
    signal = svc.get("stop_signal")
    out = ComposeService(name=name, file=source, init=svc.get("init") is True,
                         stop_signal=signal if isinstance(signal, str) else None)
    keys = _service_keys(root_node, name, source)
    for key in ("entrypoint", "command"):
        if key not in svc or svc[key] is None:
            continue  # null: the image's own
        where = keys.get(key)
        if where is None:
            out.unknown = f"its `{key}:` is not where entrylint can point at it"
            continue
        argv, why = _words(svc[key])
        if argv is None:
            out.unknown = f"its `{key}:` {why}"
            continue
        start, end, line = where
        setattr(out, key, Override(key, argv, start, end, line))
    return out


def _service_keys(root_node: Any, name: str, source: SourceFile
                  ) -> dict[str, tuple[int, int, int]]:
    """Where the ``command``/``entrypoint`` keys of service ``name`` are: (byte offset of the
    key, byte offset of the end of its value, 1-based line)."""
    import yaml

    def child(node: Any, key: str) -> Any:
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if isinstance(k, yaml.ScalarNode) and k.value == key:
                    return v, k
        return None

    out: dict[str, tuple[int, int, int]] = {}
    got = child(root_node, "services")
    svc = child(got[0], name) if got is not None else None
    if svc is None:
        return out
    for key in ("command", "entrypoint"):
        hit = child(svc[0], key)
        if hit is not None:
            value, k = hit
            start = _offset(source, k.start_mark)
            # an alias's value is written elsewhere (the anchor): the key is what is here
            end = max(start, _offset(source, value.end_mark))
            out[key] = (start, end, k.start_mark.line + 1)
    return out


def _offset(source: SourceFile, mark: Any) -> int:
    """The byte offset of a YAML mark (its line and column count characters)."""
    line = int(mark.line) + 1
    if line > source.position(len(source.data))[0]:
        return len(source.data)
    start = source.line_start(line)
    nl = source.data.find(b"\n", start)
    text = source.data[start : nl if nl != -1 else len(source.data)].decode(
        "utf-8", errors="replace")
    return start + len(text[: int(mark.column)].encode("utf-8", errors="replace"))


def _words(value: object) -> tuple[tuple[str, ...] | None, str]:
    """A ``command:``/``entrypoint:`` value as argv (a word that compose interpolates is
    kept as written; one in the program's place makes the argv unknown)."""
    import shlex

    if isinstance(value, str):
        try:
            words = shlex.split(value)
        except ValueError:
            return None, "has unbalanced quotes"
    elif isinstance(value, list) and all(isinstance(w, str) for w in value):
        words = list(value)
    else:
        return None, "is not a string or a list of strings"
    if not words:
        return None, "is empty (it clears the image's setting)"
    if "$" in words[0].replace("$$", ""):
        return None, "names its program through compose's `${…}` interpolation"
    return tuple(_interpolated(w) for w in words), ""


def _interpolated(word: str) -> str:
    """A word as the container gets it: ``$$`` is ``$``; a word with any other ``$`` is
    compose's interpolation from its own environment, kept as written."""
    return word if "$" in word.replace("$$", "") else word.replace("$$", "$")


class ComposeInstruction(Instruction):
    """A service's ``command:``/``entrypoint:`` in the role of CMD/ENTRYPOINT: always exec
    form, its offsets and line in :attr:`file` (the compose file), not the Dockerfile."""

    def __init__(self, service: ComposeService, override: Override) -> None:
        import json

        keyword = "ENTRYPOINT" if override.key == "entrypoint" else "CMD"
        super().__init__(keyword=keyword, args=json.dumps(list(override.argv)),
                         start=override.start, end=override.end,
                         keyword_end=override.start + len(override.key),
                         start_line=override.line, end_line=override.line)
        self.file = service.file
        self.service = service.name
        self.key = override.key
