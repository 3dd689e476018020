"""Fix builders for the catalog rules EL107-EL115 (the older rules' fixes are in
:mod:`entrylint.fixes`, whose helpers these reuse).  Each is offered as *safe* only where the
rule's docs say why nothing else changes; the PID-1 run tests prove the safe ones.  Like every
fix, they are built by :func:`entrylint.fixguard.offer`."""

from __future__ import annotations

import shlex

from entrylint.diagnostics import Edit, Fix
from entrylint.dockerfile import Instruction, parse_json_array, split_words
from entrylint.fixes import eol_at, json_array, plain_argv, replace_args
from entrylint.fixguard import ExecAdded, RewritesInstruction, RunsInit, offer
from entrylint.model import ImageModel, Launch, Script
from entrylint.shell import Command

#: Programs a package script may start that are on PATH without npm's node_modules/.bin.
_ON_PATH = frozenset({"node", "nodejs", "bun", "deno"})


def _script_name(argv: list[str | None]) -> str | None:
    """``npm start`` -> ``start``; ``npm run web`` / ``yarn web`` / ``pnpm run web`` -> ``web``."""
    words = [a for a in argv[1:] if a is not None and not a.startswith("-")]
    if len(argv) != len(words) + 1 or not words:
        return None
    if words[0] in ("run", "run-script") and len(words) == 2:
        return words[1]
    if len(words) == 1 and (words[0] in ("start", "test") or
                            argv[0] in ("yarn", "pnpm", "bun")):
        return words[0]
    return None


def package_script_argv(model: ImageModel, argv: list[str | None]) -> list[str] | None:
    """The exec form of what ``npm start`` (or ``npm run NAME``) runs, from package.json,
    when it is one simple command of a program that is on PATH without npm."""
    scripts = model.package_scripts
    name = _script_name(argv) if argv and argv[0] in ("npm", "yarn", "pnpm", "bun") else None
    if scripts is None or name is None or name not in scripts:
        return None
    words, _why = plain_argv(scripts[name])
    if not words:
        return None
    first = words[0]
    if first not in _ON_PATH and not first.startswith(("/", "./")):
        return None  # `next start`: only npm puts node_modules/.bin on PATH
    return words


def package_script_fix(model: ImageModel, ins: Instruction, argv: list[str | None]
                       ) -> Fix | None:
    """EL110: ``CMD ["npm", "start"]`` -> ``CMD ["node", "server.js"]`` (unsafe)."""
    if ins.exec_form is None or ins.exec_form != argv:
        return None
    words = package_script_argv(model, argv)
    if words is None:
        return None
    name = _script_name(argv)
    if package_script_hooks(model, argv):
        return None  # they would silently stop running (a migration, a build): no fix
    edits = replace_args(model, ins, words)
    return offer(model, f"run package.json's `{name}` script directly: `{json_array(words)}`",
                 edits, [RewritesInstruction(ins, edits)],
                 unsafe=["npm's PATH and npm_* variables no longer apply"])


def package_script_hooks(model: ImageModel, argv: list[str | None]) -> list[str]:
    """The ``preNAME``/``postNAME`` scripts that ``npm run NAME`` runs around NAME (npm and
    yarn 1 run them; running the script directly would not)."""
    name = _script_name(argv) if argv and argv[0] in ("npm", "yarn", "pnpm", "bun") else None
    scripts = model.package_scripts or {}
    return [h for h in (f"pre{name}", f"post{name}") if name is not None and h in scripts]


def lf_endings_fix(model: ImageModel, script: Script) -> Fix | None:
    """EL112: a CRLF start script -> LF line endings (the whole file, which is only the script:
    heredocs are part of the Dockerfile and are not rewritten)."""
    if script.heredoc is not None or not script.file.crlf:
        return None
    data = script.file.data
    text = data.decode("utf-8", errors="strict").replace("\r\n", "\n")
    return offer(model, "convert the script to LF line endings: the kernel reads `#!/bin/sh\\r` "
                        "as a program named `sh\\r`",
                 (Edit(script.file.path, 0, len(data), text),), [])


def copy_chmod_fix(model: ImageModel, script: Script) -> Fix | None:
    """EL112: ``COPY start.sh /`` -> ``COPY --chmod=755 start.sh /`` when the COPY copies only
    this script (BuildKit, the default builder since Docker 23, honours ``--chmod``)."""
    ins = script.origin
    if ins is None or ins.keyword not in ("COPY", "ADD") or script.chmod is not None:
        return None
    if not any(i is ins for i in model.dockerfile.instructions):
        return None  # a COPY of another Dockerfile (one that builds the base image)
    flags, rest = ins.flags_and_rest()
    if "from" in flags or "chmod" in flags:
        return None
    words = parse_json_array(rest) or split_words(rest, model.dockerfile.escape)
    sources = words[:-1]
    if len(sources) != 1 or any(ch in sources[0] for ch in "*?[") or "://" in sources[0]:
        return None
    return offer(model, f"make it executable in the image: `{ins.keyword} --chmod=755 …`",
                 (Edit(model.source.path, ins.keyword_end, ins.keyword_end, " --chmod=755"),),
                 [])


def stopsignal_fix(model: ImageModel, anchor: Instruction, signal: str) -> Fix | None:
    """EL115: ``STOPSIGNAL SIGQUIT`` on its own line before ``anchor`` (the final stage's
    CMD or ENTRYPOINT)."""
    start = model.source.line_start(anchor.start_line)
    eol = eol_at(model.source, model.source.line_end(anchor.start_line))
    return offer(model, f"add `STOPSIGNAL {signal}`, the server's graceful stop",
                 (Edit(model.source.path, start, start, f"STOPSIGNAL {signal}{eol}"),), [])


def remove_instruction_fix(model: ImageModel, ins: Instruction) -> Fix | None:
    """EL114: delete a dead instruction, with its line ending (unsafe: the author may have
    meant that one)."""
    start = model.source.line_start(ins.start_line)
    end = model.source.line_end(ins.end_line)
    data = model.source.data
    if data[end : end + 2] == b"\r\n":
        end += 2
    elif data[end : end + 1] == b"\n":
        end += 1
    return offer(model, f"remove the {ins.keyword} of line {ins.start_line}: a later one "
                        f"replaces it", (Edit(model.source.path, start, end, ""),), [],
                 unsafe=["the author may have meant this one"])


def init_path_fix(model: ImageModel, start: Launch, right: str) -> Fix | None:
    """EL107: ``ENTRYPOINT ["/sbin/tini", …]`` -> ``["/usr/bin/tini", …]``, where the image's
    package puts it."""
    ins = start.where
    form = ins.exec_form if ins is not None else None
    if ins is None or not form or form[0] != start.argv[0]:
        return None
    edits = replace_args(model, ins, [right, *form[1:]])
    return offer(model, f"use `{right}`, where the package installs {start.name}", edits,
                 [RunsInit(model.final, right, right), RewritesInstruction(ins, edits)])


def uwsgi_flags_fix(model: ImageModel, launch: Launch, missing: list[str]) -> Fix | None:
    """EL111: ``["uwsgi", …]`` -> ``["uwsgi", "--master", "--die-on-term", …]``."""
    ins = launch.where
    form = ins.exec_form if ins is not None else None
    if ins is None or form is None:
        return None
    positions = [i for i, a in enumerate(form) if a.rsplit("/", 1)[-1] == "uwsgi"]
    if len(positions) != 1 or form[positions[0]:] != list(launch.argv):
        return None
    i = positions[0] + 1
    edits = replace_args(model, ins, [*form[:i], *missing, *form[i:]])
    return offer(model, f"add `{' '.join(missing)}`: uWSGI then reaps and stops on SIGTERM",
                 edits, [RewritesInstruction(ins, edits)])


def _drop_words(name: str, args: list[str]) -> tuple[str, list[str], list[str]] | None:
    """``su app -c 'python app.py'`` -> (``app``, ``[python, app.py]``, what else changes);
    None when the privilege drop is not one a plain ``gosu USER argv`` can stand for."""
    from entrylint import facts

    dropped = facts.dropped_command(name, list(args))
    if dropped is None or dropped.user is None or dropped.user.startswith("-"):
        return None
    lost = [f"{name} sets USER, LOGNAME and SHELL (and HOME) for {dropped.user}; gosu and "
            "su-exec set only HOME"]
    if name == "su":
        allowed = {"-c", "--command", "-", "-l", "--login", "-s", "--shell", dropped.user}
        if any(a not in allowed and a != dropped.text and
               not (i > 0 and args[i - 1] in ("-s", "--shell")) for i, a in enumerate(args)):
            return None  # -m, -p, -g, -G…: what they change is not worth guessing
        if dropped.text is None:
            return None
        words, _why = plain_argv(dropped.text)
        if not words:
            return None
        lost.append("su runs the text through the user's shell (from /etc/passwd, or -s) and "
                    "its PAM session (limits)")
        if any(a in ("-", "-l", "--login") for a in args):
            lost.append("`su -` starts a login shell: a fresh environment, HOME as working "
                        "directory, the profile scripts")
        return dropped.user, words, lost
    if name == "runuser" and dropped.argv and all(a is not None for a in dropped.argv):
        if args[:2] != ["-u", dropped.user] or args[2:3] != ["--"]:
            return None
        lost.append("runuser runs its PAM session (limits)")
        return dropped.user, [a for a in dropped.argv if a is not None], lost
    return None


def privilege_drop_fix(model: ImageModel, tool: str, name: str, args: list[str],
                       script: Script | None = None, command: Command | None = None,
                       ins: Instruction | None = None, via: tuple[str, ...] = ()
                       ) -> Fix | None:
    """EL108: ``su app -c 'python app.py'`` -> ``exec gosu app python app.py`` in a script,
    ``["su", "app", "-c", "python app.py"]`` -> ``["gosu", "app", "python", "app.py"]`` in
    exec form; only with ``tool`` (gosu, su-exec) installed in the image.  Always unsafe:
    the environment the app sees changes (the reasons name how)."""
    got = _drop_words(name, args)
    if got is None:
        return None
    user, words, lost = got
    argv = [tool, user, *words]
    message = f"drop privileges with {tool}, which execs the app as PID 1"
    if ins is not None:
        edits = replace_args(model, ins, argv)
        return offer(model, f"{message}: `{json_array(argv)}`", edits,
                     [RewritesInstruction(ins, edits)], unsafe=lost)
    if script is None or command is None or script.heredoc is not None:
        return None
    text = "exec " + " ".join(shlex.quote(w) for w in argv)
    start, end = script.file_offset(command.start), script.file_offset(command.end)
    return offer(model, f"{message}: `{text}`", (Edit(script.file.path, start, end, text),),
                 [ExecAdded(script.shell, via, where=script.display)], unsafe=lost)
