"""What a ``RUN`` does to the image's filesystem, as far as simple file commands tell.

The official images do ``COPY docker-entrypoint.sh /usr/local/bin/`` then ``RUN ln -s
usr/local/bin/docker-entrypoint.sh /docker-entrypoint.sh`` and start ``/docker-entrypoint.sh``.
This module reads each simple command of a ``RUN`` (``ln``, ``cp``, ``mv``, ``mkdir``, ``rm``,
``chmod``, ``curl -o``, ``wget -O``, ``sed -i``, ``dos2unix``, ``cd``) and replays it; anything
else a ``RUN`` does is unknown, and never hides a file a known write put.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

from entrylint.dockerfile import Instruction
from entrylint.model.imagefs import ImageFS, substitute_or_none
from entrylint.shell import Command, literal, node_text, shared_script

_SKIP_WRAPPERS = frozenset({"sudo", "command", "builtin", "nohup"})
_SHELLS = frozenset({"sh", "bash", "ash", "dash", "zsh"})


def _dir_star(src: str) -> str | None:
    """``dir/*`` -> ``dir`` (a directory named without wildcards), else None."""
    head, _, tail = src.rpartition("/")
    if tail != "*" or any(c in head for c in "*?[") or not head:
        return None
    return head


def _words(cmd: Command, env: dict[str, str | None]) -> list[str | None]:
    out: list[str | None] = []
    for w in cmd.words:
        v = literal(cmd.source, w)
        if v is None:
            text = node_text(cmd.source, w)
            if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
                text = text[1:-1]
            v = substitute_or_none(text, env)
            if v is not None and any(c in v for c in "`$(){}*?[]") and not (
                    text == node_text(cmd.source, w) and _dir_star(v) is not None
                    and not any(c in v[:-1] for c in "`$(){}*?[]")):
                v = None  # but `dir/*` unquoted stays: cp replays it
        out.append(v)
    return out


def _operands(args: list[str | None], with_value: frozenset[str] = frozenset()
              ) -> tuple[set[str], list[str | None]]:
    """Split ``-sf --force a b`` into option letters/names and operands."""
    opts: set[str] = set()
    operands: list[str | None] = []
    i = 0
    only_operands = False
    while i < len(args):
        a = args[i]
        if only_operands or a is None or not a.startswith("-") or a == "-":
            operands.append(a)
        elif a == "--":
            only_operands = True
        elif a.startswith("--"):
            opts.add(a.split("=", 1)[0])
            if a in with_value:
                i += 1
        else:
            for ch in a[1:]:
                opts.add("-" + ch)
            if a in with_value or ("-" + a[-1]) in with_value:
                i += 1
        i += 1
    return opts, operands


#: Reads the text of a build-context script at a container path (None: not one, or unread).
ScriptReader = Callable[[str], "str | None"]
#: Scripts run by scripts that a RUN runs, at most this deep.
MAX_SCRIPT_DEPTH = 3


def _script_run(name: str, argv: list[str | None]) -> str | None:
    """The script that a command of RUN runs: ``sh build.sh``, ``./build.sh``, ``. x.sh``."""
    if name in _SHELLS:
        rest = argv[1:]
        while rest and rest[0] is not None and rest[0].startswith("-") and rest[0] != "-":
            if rest[0] in ("-c", "-o", "+o"):
                return None  # `sh -c TEXT`: a command line, not a script
            rest = rest[1:]
        return rest[0] if rest and rest[0] is not None and rest[0] != "-" else None
    if name in (".", "source"):
        return argv[1] if len(argv) > 1 else None
    first = argv[0]
    if first is not None and (first.startswith(("./", "/")) and first.endswith(".sh")):
        return first
    return None


def replay_run(fs: ImageFS, ins: Instruction, text: str, env: dict[str, str | None],
               workdir: str, read_script: ScriptReader | None = None, depth: int = 0) -> None:
    """Replay the file commands of ``RUN text`` into ``fs`` (and, with ``read_script``, of the
    build-context scripts it runs, in the directory it runs them from)."""
    script = shared_script(text.encode("utf-8", errors="surrogateescape"))
    cwd = workdir
    for cmd in script.iter_commands():
        argv = _words(cmd, env)
        while argv and argv[0] in _SKIP_WRAPPERS:
            argv = argv[1:]
        if not argv or argv[0] is None:
            continue
        name = posixpath.basename(argv[0])
        args = argv[1:]

        def at(p: str, cwd: str = cwd) -> str:
            return posixpath.normpath(posixpath.join(cwd, p))

        ran = _script_run(name, argv) if read_script is not None else None
        if ran is not None and read_script is not None and depth < MAX_SCRIPT_DEPTH:
            body = read_script(at(ran))
            if body is not None:
                replay_run(fs, ins, body, env, cwd, read_script, depth + 1)
            continue
        if name == "cd":
            if args and args[0] is not None:
                cwd = at(args[0])
            continue
        if name == "ln":
            opts, ops = _operands(args, frozenset({"-t", "--target-directory", "-S"}))
            if len(ops) < 2 or any(o is None for o in ops):
                continue
            *targets, last = [o for o in ops if o is not None]
            into = (len(targets) > 1 or last.endswith("/") or fs.is_dir(at(last))) \
                and "-T" not in opts
            for target in targets:
                link = at(posixpath.join(last, posixpath.basename(target)) if into else last)
                if "-s" in opts or "--symbolic" in opts:
                    absolute = posixpath.normpath(
                        target if target.startswith("/")
                        else posixpath.join(posixpath.dirname(link), target)
                        if "-r" not in opts and "--relative" not in opts else at(target))
                    fs.link(ins, absolute, link)
                else:
                    fs.copy_path(ins, at(target), link, move=False)
        elif name in ("cp", "mv", "install"):
            with_value = frozenset({"-t", "--target-directory", "-m", "--mode", "-o", "-g",
                                    "--owner", "--group", "-S", "--suffix"})
            opts, ops = _operands(args, with_value)
            if name == "install" and "-d" in opts:
                for o in ops:
                    if o is not None:
                        fs.make_dir(ins, at(o))
                continue
            if len(ops) < 2:
                continue
            *srcs, dest = ops
            if dest is None:
                continue
            for src in srcs:
                if src is not None and _dir_star(src) is not None and (
                        len(srcs) > 1 or dest.endswith("/") or fs.is_dir(at(dest))):
                    # `cp script/* out/`: what script/ holds (no dotfiles), into out/
                    fs.copy_contents(ins, at(_dir_star(src) or "."), at(dest),
                                     recursive=bool(opts & {"-r", "-R", "-a", "--recursive",
                                                            "--archive"}),
                                     move=name == "mv")
                    continue
                if src is None or any(c in src for c in "*?["):
                    continue
                dst = at(dest)
                if len(srcs) > 1 or dest.endswith("/"):
                    dst = posixpath.join(dst, posixpath.basename(src))
                fs.copy_path(ins, at(src), dst, move=name == "mv")
            if name == "install" or "-m" in opts:
                fs.made_executable.append(at(dest))
        elif name == "mkdir":
            _, ops = _operands(args, frozenset({"-m", "--mode"}))
            for o in ops:
                if o is not None:
                    fs.make_dir(ins, at(o))
        elif name in ("rm", "unlink"):
            _, ops = _operands(args)
            for o in ops:
                if o is not None and not any(c in o for c in "*?["):
                    fs.remove(ins, at(o))
        elif name == "chmod":
            opts, ops = _operands(args, frozenset({"--reference"}))
            if not ops or ops[0] is None:
                continue
            mode = ops[0]
            executable = any("x" in part.partition("+")[2] or "x" in part.partition("=")[2]
                             for part in mode.split(",")) or (
                mode.isdigit() and any(int(c) & 1 for c in mode[-3:]))
            if executable:
                fs.made_executable += [at(o) for o in ops[1:] if o is not None]
                for o in ops[1:]:
                    if o is not None:
                        fs.set_mode(ins, at(o), mode)
        elif name in ("curl", "wget"):
            flag = "-o" if name == "curl" else "-O"
            long = "--output" if name == "curl" else "--output-document"
            for i, a in enumerate(args[:-1]):
                value = args[i + 1]
                if a in (flag, long) and value is not None and value != "-":
                    fs.opaque(ins, at(value), f"downloaded by `{name}` in RUN (line "
                                              f"{ins.start_line})")
        elif name == "git" and args and args[0] == "clone":
            _, ops = _operands(args[1:], frozenset({"-b", "--branch", "--depth", "-o",
                                                    "--origin", "-c", "--config"}))
            if ops and ops[0] is not None:
                dest = ops[1] if len(ops) > 1 and ops[1] is not None else \
                    posixpath.basename(ops[0].rstrip("/")).removesuffix(".git")
                fs.maybe(ins, at(dest), f"clones {ops[0]} there")
        elif name in ("tar", "unzip", "bsdtar") and args:
            target = cwd
            for i, a in enumerate(args[:-1]):
                if a in ("-C", "--directory", "-d") and args[i + 1] is not None:
                    target = at(args[i + 1] or "")
            fs.maybe(ins, target, f"unpacks an archive there (`{name}` in RUN)")
        elif name in ("sed", "dos2unix", "perl") and args:
            in_place = name == "dos2unix" or any(
                (a is not None and a.startswith("-i")) or a == "--in-place" for a in args)
            if in_place:
                for o in args:
                    if o is not None and not o.startswith("-") and ("/" in o or o.endswith(".sh")):
                        fs.rewritten[at(o)] = ins
