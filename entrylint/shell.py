"""Shell scripts: parse with tree-sitter-bash and find what runs last on every path.

Why tree-sitter-bash and not bashlex: measured on 564 distinct real entrypoint scripts, bashlex
0.18 raises on 230 (41%) — no ``[[ ]]``, ``case`` patterns, ``$(( ))``, arrays, quoted heredoc
delimiters — including the official postgres, nginx and jenkins entrypoints.  tree-sitter-bash is
error-tolerant (errors stay local; 14 of 564 had any), 9x faster, gives byte offsets, and ships
wheels for Linux, macOS and Windows.  A script that bash runs is therefore always analysed.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any, Literal

from entrylint import knowledge

if TYPE_CHECKING:
    import tree_sitter
    from tree_sitter import Node as Node


@lru_cache(maxsize=1)
def _parser() -> tree_sitter.Parser:
    # Imported here, not at the top: a Dockerfile without a script or shell text to parse
    # never pays for loading the grammar (most of a one-file run's start-up otherwise).
    import tree_sitter
    import tree_sitter_bash

    return tree_sitter.Parser(tree_sitter.Language(tree_sitter_bash.language()))


@lru_cache(maxsize=128)
def _parse(data: bytes) -> tree_sitter.Tree:
    """One parse per distinct text: a start script shared by many Dockerfiles (a monorepo's
    common entrypoint) is parsed once per process.  Trees are never edited, so sharing is safe."""
    return _parser().parse(data)


def shared_script(data: bytes, base: int = 0) -> ShellScript:
    """The :class:`ShellScript` of ``data``, one per distinct text and base among the last
    few asked for (a repository's Dockerfiles are linted one after another): what
    it works out (its commands, functions, the terminal walk per argument list) is then
    worked out once for every Dockerfile that runs the same script.  A script is never
    changed once parsed, so sharing it is safe."""
    return _shared_script(data, base)


@lru_cache(maxsize=16)  # a repository's Dockerfiles come one after another
def _shared_script(data: bytes, base: int) -> ShellScript:
    return ShellScript(data=data, base=base)


def __getattr__(name: str) -> Any:
    """``shell.Node`` at run time (annotations import it under TYPE_CHECKING instead)."""
    if name == "Node":
        import tree_sitter

        return tree_sitter.Node
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

#: What a TERM trap does to pass the signal on: kill the children, or ask them to stop
#: (``nginx -s quit``, ``supervisorctl stop all``, ``s6-svc -d``, ``pg_ctl stop``).
_KILL = re.compile(r"\b(?:kill|pkill|killall|s6-svc|s6-svscanctl|supervisorctl)\b"
                   r"|\s-s\s+['\"]?(?:SIG)?(?:quit|stop|term|QUIT|STOP|TERM)\b"
                   r"|\b(?:stop|shutdown)\b")

#: Commands that only print: a ``kill`` or ``stop`` in their words signals nothing.
_PRINTERS = frozenset({"echo", "printf", "logger", ":"})

_NEEDS_SHELL = re.compile(r"[$`*?\[~{}]")
_BACKSLASH = re.compile(r"\\(.)")
_DQ_ESCAPE = re.compile(r'\\([$`"\\\n])')


def node_text(data: bytes, node: Node) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8", errors="replace")


def literal(data: bytes, node: Node) -> str | None:
    """The value of a word after quote removal, or None when it needs expansion or globbing."""
    if node.type != "concatenation":
        return _literal_part(data, node)
    out = []
    stack = list(reversed(node.children))  # a nested concatenation is flattened, not recursed
    while stack:
        child = stack.pop()
        if child.type == "concatenation":
            stack.extend(reversed(child.children))
            continue
        v = _literal_part(data, child)
        if v is None:
            return None
        out.append(v)
    return "".join(out)


_PLAIN_REF = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def expand_word(data: bytes, node: Node, values: dict[str, str]) -> str | None:
    """The value of a word whose only expansions are ``$NAME``/``${NAME}`` of ``values``
    (``bin/${RUN_NAME}``, ``"$APP_HOME/run"``), or None."""
    out: list[str] = []
    stack = [node]
    while stack:
        part = stack.pop()
        if part.type == "concatenation":
            stack.extend(reversed(part.children))
            continue
        if part.type in ("simple_expansion", "expansion"):
            m = _PLAIN_REF.fullmatch(node_text(data, part))
            name = (m.group(1) or m.group(2)) if m is not None else None
            if name is None or name not in values:
                return None
            out.append(values[name])
        elif part.type == "string":
            for child in part.children:
                if child.type == '"':
                    continue
                if child.type == "string_content" and "\\" not in node_text(data, child):
                    out.append(node_text(data, child))
                elif child.type in ("simple_expansion", "expansion"):
                    stack_value = expand_word(data, child, values)
                    if stack_value is None:
                        return None
                    out.append(stack_value)
                else:
                    return None
        else:
            v = _literal_part(data, part)
            if v is None:
                return None
            out.append(v)
    return "".join(out)


def _literal_part(data: bytes, node: Node) -> str | None:
    t = node.type
    if t == "word" or t == "number":
        raw = node_text(data, node)
        if "\\" not in raw:  # the common case, without the cost of re.sub
            return None if _NEEDS_SHELL.search(raw) else raw
        if _NEEDS_SHELL.search(raw.replace("\\$", "").replace("\\*", "")):
            return None
        return _BACKSLASH.sub(r"\1", raw)
    if t == "raw_string":
        return node_text(data, node)[1:-1]
    if t == "string":
        if any(child.type not in ('"', "string_content") for child in node.children):
            return None
        # the text between the quotes, not the string_content children: tree-sitter-bash
        # puts blanks-only content (`" "`) into the closing quote's token
        return _DQ_ESCAPE.sub(r"\1", node_text(data, node)[1:-1])
    return None  # an expansion, an ansi_c_string


@dataclass
class Command:
    """A simple command found in a script."""

    node: Node
    name: str | None  # literal command name (None when it is an expansion such as "$@")
    words: list[Node]  # name and arguments
    redirected: bool
    context: Literal["plain", "and_or", "pipeline", "subshell", "negated", "background"]
    assignments: bool = False
    #: Added to node offsets when the command was parsed from a slice of the script.
    shift: int = 0
    #: The bytes the node offsets refer to.
    source: bytes = b""

    @property
    def text(self) -> str:
        return node_text(self.source, self.node)

    def word_text(self, word: Node) -> str:
        return node_text(self.source, word)

    @property
    def start(self) -> int:
        return self.node.start_byte + self.shift

    @property
    def end(self) -> int:
        return self.node.end_byte + self.shift

    @property
    def is_exec(self) -> bool:
        """``exec app``, and ``eval exec app`` / ``command exec app``, which exec too."""
        if self.name == "exec":
            return len(self.words) > 1
        return self._execs_through_builtin() and len(self.words) > 2

    def _execs_through_builtin(self) -> bool:
        return (self.name in ("eval", "command") and len(self.words) > 1
                and self.words[1].type == "word" and self.words[1].text == b"exec")

    def argv(self, data: bytes) -> list[str | None]:
        """Literal words (None where a word needs the shell)."""
        return [literal(data, w) for w in self.words]

    def exec_target(self) -> list[Node]:
        """The words after ``exec`` and its options (``exec -a NAME cmd`` -> ``cmd``)."""
        words = self.words[2:] if self._execs_through_builtin() else self.words[1:]
        while words and words[0].type == "word":
            first = words[0].text.decode() if words[0].text else ""
            if first == "-a" and len(words) > 1:
                words = words[2:]
            elif first in ("-c", "-l", "-cl", "-lc", "--"):
                words = words[1:]
            else:
                break
        return words


Kind = Literal["exec", "child", "short", "loop", "wait", "keepalive", "unknown"]


@dataclass
class Terminal:
    """What runs last on one path through a script."""

    kind: Kind
    command: Command | None
    node: Node
    #: Statements after it that end the script (``exit $?``, ``echo done``).
    trailing: list[Node] = field(default_factory=list)
    #: The function calls this terminal was reached through (``_main "$@"``).
    via_functions: list[str] = field(default_factory=list)
    reason: str = ""


#: The words that expand to the first argument.
_ARG1 = frozenset({'"$1"', "$1", '"${1}"', "${1}"})

#: The words that expand to all of a script's arguments.
_ALL_ARGS = frozenset({'"$@"', "$@", '"${@}"', "${@}", '"$*"', "$*", '"${*}"', "${*}"})

def _sets_arguments(words: list[str]) -> bool:
    """Does ``set WORDS`` set the positional parameters (``set -- a b``, ``set a``), rather
    than only options (``set -e``, ``set -o pipefail``)?"""
    i = 0
    while i < len(words):
        w = words[i]
        if w == "--" or not w.startswith(("-", "+")) or w in ("-", "+"):
            return True
        if w in ("-o", "+o"):
            i += 1
        i += 1
    return False


#: The reason of the one unknown end of a script too deeply nested for the terminal walk.
TOO_DEEP = "nested too deeply to follow"

_STATEMENT_SKIP = frozenset({"comment", "function_definition", "heredoc_body", ";", ";;", "&",
                             "\n", "heredoc_end"})


def descendants(node: Node, *, self_too: bool = False,
                skip: tuple[str, ...] = ()) -> Iterator[Node]:
    """The named nodes below ``node`` in source order, without recursion (a script nested
    thousands deep must not exhaust Python's stack); a node whose type is in ``skip`` is
    yielded but not entered."""
    stack = [node] if self_too else list(reversed(node.named_children))
    while stack:
        n = stack.pop()
        yield n
        if n.type not in skip:
            stack.extend(reversed(n.named_children))


@dataclass
class ShellScript:
    """A parsed script.  ``data`` is the script's own bytes; ``base`` is where they start in the
    file that holds them (a heredoc body sits inside its Dockerfile)."""

    data: bytes
    base: int = 0
    _args: list[str | None] | None = field(init=False, default=None, repr=False)
    tree: tree_sitter.Tree = field(init=False)
    functions: dict[str, Node] = field(init=False, default_factory=dict)
    _commands: list[Command] | None = field(init=False, default=None, repr=False)
    #: ids of the nodes that ``&`` follows (see is_background)
    _background: set[int] | None = field(init=False, default=None, repr=False)
    _facts: dict[str, Any] = field(init=False, default_factory=dict, repr=False)
    _command_memo: dict[tuple[int, int, str, bool], Command | None] = field(
        init=False, default_factory=dict, repr=False)
    #: During one terminal walk: which functions never return (see _never_completes).
    _never_returns: dict[str, bool] = field(init=False, default_factory=dict, repr=False)
    #: The terminal walk per argument list (every rule and the model ask for it).
    _terminal_memo: dict[tuple[str | None, ...] | None, list[Terminal]] = field(
        init=False, default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.tree = _parse(self.data)
        self.functions = {}
        self._collect_functions(self.tree.root_node)

    # -- structure --------------------------------------------------------------------------
    def _collect_functions(self, node: Node) -> None:
        if b"(" not in self.data and b"function" not in self.data:
            return  # `name()`, `name ( )` and `function name` need one of them: no walk
        for child in descendants(node, skip=("command_substitution",)):
            if child.type == "function_definition":
                name = child.child_by_field_name("name")
                body = child.child_by_field_name("body")
                if name is not None and body is not None:
                    self.functions[node_text(self.data, name)] = body

    @property
    def has_errors(self) -> bool:
        return self.tree.root_node.has_error

    @property
    def shebang(self) -> str | None:
        first = self.data.split(b"\n", 1)[0].rstrip(b"\r")
        if first.startswith(b"#!"):
            return first[2:].decode("utf-8", errors="replace").strip()
        return None

    def statements(self, node: Node) -> list[Node]:
        return [c for c in node.named_children if c.type not in _STATEMENT_SKIP]

    def is_background(self, node: Node) -> bool:
        """Whether ``node`` (of this script's tree) is followed by ``&``.  The nodes that are
        are found in one walk: tree-sitter finds a sibling through the parent, which it
        finds from the root, so ``next_sibling`` costs the node's depth, and asking it of
        every command of a script nested 20,000 deep took seconds."""
        if self._background is None:
            found: set[int] = set()
            for n in descendants(self.tree.root_node, self_too=True):
                kids = n.children
                found.update(a.id for a, b in pairwise(kids) if b.type == "&")
            self._background = found
        return node.id in self._background

    def iter_commands(self, node: Node | None = None) -> list[Command]:
        """Every simple command in the script (outside command substitutions too)."""
        whole = node is None
        if whole and self._commands is not None:
            return self._commands  # every rule asks: walk the script once
        out: list[Command] = []
        root = node or self.tree.root_node
        for n in descendants(root, self_too=True):
            if n.type == "command":
                c = self._command(n, "plain", redirected=False)
                if c is not None:
                    out.append(c)
        if whole:
            self._commands = out
        return out

    def _command(self, node: Node, context: Terminal | str, *, redirected: bool) -> Command | None:
        """The :class:`Command` of a ``command`` node, built once per node, context and
        redirection (the terminal walk and the rules ask for the same statements again)."""
        ctx = context if isinstance(context, str) else "plain"
        key = (node.id, node.start_byte, ctx, redirected)
        memo = self._command_memo
        if key not in memo:
            memo[key] = self._build_command(node, ctx, redirected=redirected)
        return memo[key]

    def _build_command(self, node: Node, ctx: str, *, redirected: bool) -> Command | None:
        name_node = node.child_by_field_name("name")
        words: list[Node] = []
        assignments = False
        for ch in node.named_children:
            if ch.type == "variable_assignment":
                assignments = True
                continue
            if ch.type in ("file_redirect", "heredoc_redirect", "herestring_redirect"):
                redirected = True
                continue
            if ch.type == "command_name":
                inner = ch.named_children[0] if ch.named_children else ch
                words.append(inner)
                continue
            if ch.type == "comment":
                continue
            words.append(ch)
        name = None
        if name_node is not None and words:
            name = literal(self.data, words[0])
        return Command(node=node, name=name, words=words, redirected=redirected,
                       context=ctx, assignments=assignments,  # type: ignore[arg-type]
                       source=self.data)

    def has_background_jobs(self) -> bool:
        """Whether the script starts anything with ``&``."""
        return any(ch.type == "&" for n in descendants(self.tree.root_node, self_too=True)
                   for ch in n.children)

    def sourced_files(self) -> list[str]:
        """The files the script reads with ``.`` or ``source`` (as written)."""
        if "sourced" not in self._facts:
            self._facts["sourced"] = [c.word_text(c.words[1]) for c in self.iter_commands()
                                      if c.name in (".", "source") and len(c.words) > 1]
        return list(self._facts["sourced"])

    def traps_exit(self) -> bool:
        """A ``trap … EXIT`` (or ``0``): ``exec`` would skip it."""
        if "traps_exit" not in self._facts:
            self._facts["traps_exit"] = b"trap" in self.data and self._traps_exit()
        return bool(self._facts["traps_exit"])

    def _traps_exit(self) -> bool:
        for c in self.iter_commands():
            if c.name == "trap" and len(c.words) >= 3:
                sigs = {(literal(self.data, w) or "").upper() for w in c.words[2:]}
                if sigs & {"EXIT", "0", "SIGEXIT"}:
                    return True
        return False

    def handles_term(self) -> bool:
        """Some ``trap ACTION TERM`` runs an action (``trap cleanup TERM``; not ``trap '' TERM``,
        which ignores it, nor ``trap - TERM``)."""
        for c in self.iter_commands():
            if c.name != "trap" or len(c.words) < 3:
                continue
            sigs = {(literal(self.data, w) or "").upper().removeprefix("SIG")
                    for w in c.words[2:]}
            action = literal(self.data, c.words[1])
            if sigs & {"TERM", "15"} and action not in ("", "-"):
                return True
        return False

    def traps_term(self) -> bool:
        """A ``trap … TERM`` (or INT/QUIT) whose action forwards the signal with ``kill``,
        written out or in a function it calls: the trap-and-wait pattern."""
        if "traps_term" not in self._facts:
            self._facts["traps_term"] = b"trap" in self.data and self._traps_term()
        return bool(self._facts["traps_term"])

    def _traps_term(self) -> bool:
        for c in self.iter_commands():
            if c.name != "trap" or len(c.words) < 3:
                continue
            sigs = {(literal(self.data, w) or "").upper().removeprefix("SIG")
                    for w in c.words[2:]}
            if not sigs & {"TERM", "15"}:
                continue  # docker stop sends SIGTERM
            action = literal(self.data, c.words[1]) or node_text(self.data, c.words[1])
            if c.words[1].type == "string" and self._expanded_too_early(c):
                continue  # trap "kill $PID" TERM before PID=$!: $PID is empty in the trap
            if self._stops_children(action, set()):
                return True
        return False

    def arrays(self) -> dict[str, list[str | None]]:
        """Bash arrays assigned once with literal words: ``DEFAULT=(java -jar app.jar)``."""
        if "arrays" not in self._facts:  # asked once per exec target: walk the script once
            self._facts["arrays"] = self._arrays()
        return {k: list(v) for k, v in self._facts["arrays"].items()}

    def _arrays(self) -> dict[str, list[str | None]]:
        found: dict[str, list[str | None]] = {}
        twice: set[str] = set()
        for node in descendants(self.tree.root_node, self_too=True):
            key, value = self._assignment(node) or ("", None)
            if value is not None and value.type == "array":
                if key in found:
                    twice.add(key)
                found[key] = [literal(self.data, w) for w in value.named_children
                              if w.type != "comment"]
        return {k: v for k, v in found.items() if k not in twice}

    def _assignment(self, node: Node) -> tuple[str, Node | None] | None:
        """``NAME=value`` (``variable_assignment``): its name and value node; else None."""
        if node.type != "variable_assignment":
            return None
        name = node.child_by_field_name("name")
        if name is None:
            return None
        return node_text(self.data, name), node.child_by_field_name("value")

    def scalars(self) -> dict[str, tuple[str, int]]:
        """Variables the script sets once, at its top level, to a literal word
        (``RUN_NAME="pbh"``), with the byte where the assignment ends: after it, ``$RUN_NAME``
        is that word.  One assigned anywhere else too (a branch, a loop, ``read``) is left out."""
        if "scalars" not in self._facts:
            self._facts["scalars"] = self._scalars()
        return dict(self._facts["scalars"])

    def _scalars(self) -> dict[str, tuple[str, int]]:
        top: dict[str, tuple[str, int]] = {}
        seen: dict[str, int] = {}
        for node in descendants(self.tree.root_node, self_too=True):
            named = self._assignment(node)
            if named is not None:
                key, value = named
                seen[key] = seen.get(key, 0) + 1
                parent = node.parent
                if parent is not None and parent.type == "declaration_command":
                    parent = parent.parent
                word = literal(self.data, value) if value is not None else ""
                if parent is not None and parent.type == "program" and word is not None \
                        and node_text(self.data, node).startswith(key + "="):
                    top[key] = (word, node.end_byte)
            elif node.type == "for_statement":
                var = node.child_by_field_name("variable")
                if var is not None:
                    seen[node_text(self.data, var)] = 2
            elif node.type == "command":
                name = node.child_by_field_name("name")
                if name is not None and node_text(self.data, name) in ("read", "getopts",
                                                                       "unset", "mapfile"):
                    for w in node.named_children[1:]:
                        seen[node_text(self.data, w)] = 2
        return {k: v for k, v in top.items() if seen.get(k) == 1}

    def trap_functions(self) -> frozenset[str]:
        """The functions that a ``trap`` runs (``trap term_handler INT TERM``)."""
        if "trap_functions" not in self._facts:
            self._facts["trap_functions"] = self._trap_functions()
        return frozenset(self._facts["trap_functions"])

    def _trap_functions(self) -> frozenset[str]:
        names: set[str] = set()
        for c in self.iter_commands():
            if c.name == "trap" and len(c.words) >= 3:
                action = literal(self.data, c.words[1]) or node_text(self.data, c.words[1])
                names |= {n for n in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", action)
                          if n in self.functions}
        return frozenset(names)

    def _stops_children(self, action: str, seen: set[str]) -> bool:
        """Does a trap action (or a function it calls, at any depth) kill or stop jobs?
        Judged per command: what ``echo``/``printf``/``logger`` print (``echo "stop
        requested"``) is no signal to anyone."""
        if not _KILL.search(action):
            return self._calls_stopping_function(action, seen)
        parsed = ShellScript(action.encode("utf-8", errors="surrogateescape"))
        if parsed.has_errors:
            return True  # cannot tell the words apart: keep the textual verdict
        for c in parsed.iter_commands():
            if c.name in _PRINTERS:
                continue
            if c.name in self.functions:
                if self._calls_stopping_function(c.name, seen):
                    return True
                continue
            if _KILL.search(c.text):
                return True
        return False

    def _calls_stopping_function(self, action: str, seen: set[str]) -> bool:
        for name in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", action):
            body = self.functions.get(name)
            if body is not None and name not in seen:
                seen.add(name)
                if self._stops_children(node_text(self.data, body), seen):
                    return True
        return False

    def _expanded_too_early(self, trap: Command) -> bool:
        """A double-quoted trap action expands its variables when the trap is set: one that
        is assigned only later is empty in the action."""
        names = set(re.findall(r"(?<!\\)\$\{?([A-Za-z_][A-Za-z0-9_]*)",
                               trap.word_text(trap.words[1])))
        if not names:
            return False
        before: set[str] = set()
        after: set[str] = set()

        for node in descendants(self.tree.root_node):
            if node.type == "variable_assignment":
                name = node.child_by_field_name("name")
                if name is not None and node_text(self.data, name) in names:
                    (before if node.start_byte < trap.start else after).add(
                        node_text(self.data, name))
        # empty in the action: set only after the trap (a `read PID` before it may set it)
        return bool(after - before)

    def exec_is_noop(self, command: Command, args: list[str | None] | None) -> bool:
        """``exec "$@"`` when the script is known to get no arguments (an ENTRYPOINT without
        CMD): with no words left, ``exec`` replaces nothing and the script goes on.  Not
        inside a function (its ``"$@"`` are the function's), nor where ``set --`` rewrites
        the arguments."""
        if args is None or args or not command.is_exec:
            return False
        if any(command.word_text(w) not in _ALL_ARGS for w in command.exec_target()):
            return False
        parent = command.node.parent
        while parent is not None:
            if parent.type == "function_definition":
                return False
            parent = parent.parent
        return not any(c.name == "set" and _sets_arguments([c.word_text(w) for w in c.words[1:]])
                       for c in self.iter_commands())

    # -- terminals --------------------------------------------------------------------------
    def start_terminals(self, args: list[str | None] | None = None
                        ) -> tuple[list[Terminal], list[Terminal]]:
        """:meth:`terminals` split in two: the ends of the paths start-up takes, and the trap
        handler's clean-up called last (``term_handler`` after a trap-and-wait loop), which
        runs once the server is gone and so is no end of a path."""
        handlers = self.trap_functions() if self.traps_term() else frozenset()
        ends: list[Terminal] = []
        cleanup: list[Terminal] = []
        for term in self.terminals(args):
            (cleanup if handlers and set(term.via_functions) & handlers else ends).append(term)
        return ends, cleanup

    def terminals(self, args: list[str | None] | None = None) -> list[Terminal]:
        """The command that runs last on each path through the script.

        With ``args`` (the script's arguments, when known) a ``case "$1" in`` takes only the
        arm that matches, as the shell would.  Walked once per argument list: the list
        returned is the caller's, the terminals in it are shared (never change them)."""
        key = None if args is None else tuple(args)
        if key not in self._terminal_memo:
            self._terminal_memo[key] = self._walk_terminals(args)
        return list(self._terminal_memo[key])

    def _walk_terminals(self, args: list[str | None] | None) -> list[Terminal]:
        self._args = args
        self._never_returns = {}
        try:
            terms = self._terminals_of(self.statements(self.tree.root_node), 0, [])
        except RecursionError:
            # hundreds of nested `if`s or subshells (no real start script): this script's
            # end is unknown, but the Dockerfile and its other facts are still linted
            return [Terminal("unknown", None, self.tree.root_node, reason=TOO_DEEP)]
        finally:
            self._args = None
        if self.has_errors and all(t.kind == "unknown" for t in terms):
            return self._last_line_terminals(args) or terms
        return terms

    def _last_line_terminals(self, args: list[str | None] | None) -> list[Terminal]:
        """Error recovery: where a construct tree-sitter cannot parse swallowed the end of
        the script, analyse its last command line on its own (bash runs line by line)."""
        lines = self.data.splitlines(keepends=True)
        offset = len(self.data)
        for line in reversed(lines):
            offset -= len(line)
            text = line.strip()
            if not text or text.startswith(b"#") or text in (b"fi", b"done", b"esac", b"}"):
                continue
            sub = ShellScript(line, base=self.base + offset)
            sub.functions = self.functions
            if sub.has_errors:
                return []
            terms = sub.terminals(args)
            for t in terms:
                if t.command is not None:
                    t.command.shift = offset
            return terms
        return []

    def _if_clauses(self, node: Node) -> list[tuple[bool | None, list[Node]]]:
        """The branches of an ``if``/``elif``/``else`` chain that can run for the known first
        argument, each with whether its test holds (``else``: True; None: unknown).  The
        tests run in order: a branch whose test holds ends the list, one that fails is left
        out (``if [ "$1" = web ]; then …; elif [ "$1" = worker ]; then …; fi``)."""
        args = getattr(self, "_args", None)
        arg1 = args[0] if args else None

        def holds(clause: Node) -> bool | None:
            if clause.type == "else_clause":
                return True
            condition = clause.child_by_field_name("condition")
            if arg1 is None or condition is None:
                return None
            return self.arg1_test(condition, arg1, args[1:] if args else None)

        def body(clause: Node) -> list[Node]:
            out: list[Node] = []
            seen_then = clause.type == "else_clause"
            for ch in clause.children:
                if ch.type == "then":
                    seen_then = True
                    continue
                if ch.type in ("elif_clause", "else_clause"):
                    break
                if seen_then and ch.is_named and ch.type not in _STATEMENT_SKIP:
                    out.append(ch)
            return out

        clauses = [node, *(ch for ch in node.children
                           if ch.type in ("elif_clause", "else_clause"))]
        taken: list[tuple[bool | None, list[Node]]] = []
        for clause in clauses:
            verdict = holds(clause)
            if verdict is False:
                continue
            taken.append((verdict, body(clause)))
            if verdict is True:
                break
        return taken

    def _case_arm_taken(self, node: Node) -> Node | None:
        """The ``case_item`` that ``case "$1"`` takes for the known first argument."""
        args = getattr(self, "_args", None)
        value = node.child_by_field_name("value")
        if not args or args[0] is None or value is None:
            return None
        if node_text(self.data, value) not in _ARG1 and \
                self._arg1_alias(node_text(self.data, value), value.start_byte) is None:
            return None
        for item in node.named_children:
            if item.type != "case_item":
                continue
            for pat in item.children_by_field_name("value"):
                text = literal(self.data, pat)
                if text is None:
                    text = node_text(self.data, pat)
                    if "$" in text or "`" in text:
                        return None
                if fnmatch.fnmatchcase(args[0], text):
                    return item
        return None

    def _terminals_of(self, stmts: list[Node], depth: int, via: list[str]) -> list[Terminal]:
        # A statement that never completes ends the script: what follows it never runs (an
        # `exec`, `sleep infinity`, `while true; do sleep 60; done`, or an
        # `if [ "$1" = web ]; then exec …; fi` whose test holds for the known arguments).
        for i, stmt in enumerate(stmts[:-1]):
            if self._never_completes(stmt):
                stmts = stmts[: i + 1]
                break
        trailing: list[Node] = []
        for stmt in reversed(stmts):
            if self._is_tail_noise(stmt):
                trailing.insert(0, stmt)
                continue
            terms = self._terminal(stmt, depth, via)
            for t in terms:
                t.trailing = trailing + t.trailing
            return terms
        return []

    def _never_completes(self, stmt: Node, depth: int = 0) -> bool:
        """Whether ``stmt``, run in the foreground, never hands on to the next statement on
        the paths the known arguments take: an ``exec`` that replaces the shell, a keepalive
        that never ends (``sleep infinity``, ``tail -f``), an endless loop (``while true``
        with no ``break``/``return``), a call of a function whose body has one, and an
        ``if``/``case``/``[ "$1" = x ] && { …; }`` whose every path taken has one.  (``exit``
        in a loop ends the script too, so it does not make what follows reachable.)"""
        if depth > 40 or self.is_background(stmt):
            return False
        node, _ = unwrap_redirect(stmt)
        t = node.type
        if t == "command":
            c = self._command(node, "plain", redirected=False)
            if c is None:
                return False
            if c.is_exec:
                return not self.exec_is_noop(c, self._args)
            if is_keepalive(c) and _never_ends(c):
                return True
            if c.name is not None and c.name in self.functions:
                return self._function_never_returns(c.name, depth)
            return False
        if t == "compound_statement":
            return any(self._never_completes(s, depth + 1) for s in self.statements(node))
        if t == "while_statement":
            return self._endless(node)
        if t == "c_style_for_statement":
            head = node_text(self.data, node).split("))", 1)[0]
            return re.fullmatch(r"for\s*\(\(\s*;\s*;\s*", head) is not None and \
                self._no_break(node)
        if t == "if_statement":
            clauses = self._if_clauses(node)
            return bool(clauses) and clauses[-1][0] is True and all(
                any(self._never_completes(s, depth + 1) for s in body) for _, body in clauses)
        if t == "case_statement":
            arm = self._case_arm_taken(node)
            return arm is not None and any(self._never_completes(s, depth + 1)
                                           for s in self._case_body(arm))
        if t == "list":
            parts = flatten_and(node)
            return parts is not None and len(parts) == 2 and \
                self._guard_holds(node) is True and self._never_completes(parts[1], depth + 1)
        return False

    def _function_never_returns(self, name: str, depth: int) -> bool:
        memo = self._never_returns  # per walk: the arguments decide the branches
        if name not in memo:
            memo[name] = False  # a recursive call is no proof
            memo[name] = any(self._never_completes(s, depth + 1)
                             for s in self.statements(self.functions[name]))
        return memo[name]

    def _endless(self, loop: Node) -> bool:
        """``while true``/``while :``/``until false`` with no ``break`` or ``return``."""
        condition = loop.child_by_field_name("condition")
        if condition is None:
            return False
        test = node_text(self.data, condition).strip().rstrip(";").strip()
        until = bool(loop.children) and loop.children[0].type == "until"
        forever = test == "false" if until else test in ("true", ":", "[ 1 ]")
        return forever and self._no_break(loop)

    def _no_break(self, loop: Node) -> bool:
        return not any(c.name in ("break", "return") for c in self.iter_commands(loop))

    def _guard_holds(self, node: Node) -> bool | None:
        """For ``TEST && …``: whether TEST, a test of ``$1`` (or a copy of it) that entrylint
        can evaluate, holds for the known first argument; None when it cannot tell."""
        args = self._args
        parts = flatten_and(node)
        if not args or args[0] is None or not parts or len(parts) < 2 \
                or parts[0].type != "test_command":
            return None
        return self.arg1_test(parts[0], args[0], args[1:])

    def arg1_test(self, condition: Node, arg1: str,
                  later: list[str | None] | None = None) -> bool | None:
        """:func:`evaluate_arg_test` of a condition, where a copy of ``$1`` made before it
        (``CMD_ARG="$1"`` at the top level) counts as ``$1``."""
        text = node_text(self.data, condition)
        if "$" in text and self._arg1_aliases():
            text = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?",
                          lambda m: "$1" if self._arg1_alias(m.group(0), condition.start_byte)
                          else m.group(0), text)
        return evaluate_arg_test(text, arg1, later)

    def _arg1_alias(self, word: str, where: int) -> str | None:
        """The variable that ``word`` (``"$X"``, ``${X}``) expands, when it is a copy of
        ``$1`` assigned before byte ``where``."""
        m = re.fullmatch(r'"?\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})"?',
                         word)
        if m is None:
            return None
        name = m.group(1) or m.group(2)
        end = self._arg1_aliases().get(name)
        return name if end is not None and end <= where else None

    def _arg1_aliases(self) -> dict[str, int]:
        """Variables that are copies of the first argument: set once, at the top level, to
        ``"$1"`` (``$1``, ``"${1}"``) before any ``shift`` or ``set --``, and never again
        (no ``read``, ``for``, ``local``); each with the byte where its assignment ends."""
        if "arg1_aliases" not in self._facts:
            self._facts["arg1_aliases"] = self._find_arg1_aliases()
        found: dict[str, int] = self._facts["arg1_aliases"]
        return found

    def _find_arg1_aliases(self) -> dict[str, int]:
        if b"$1" not in self.data and b"${1}" not in self.data:
            return {}
        copies: dict[str, tuple[int, int]] = {}
        seen: dict[str, int] = {}
        for node in descendants(self.tree.root_node):
            if node.type == "variable_assignment":
                name = node.child_by_field_name("name")
                value = node.child_by_field_name("value")
                if name is None:
                    continue
                key = node_text(self.data, name)
                seen[key] = seen.get(key, 0) + 1
                parent = node.parent
                if parent is not None and parent.type == "declaration_command":
                    parent = parent.parent
                if parent is not None and parent.type == "program" and value is not None \
                        and node_text(self.data, value) in _ARG1 \
                        and node_text(self.data, node).startswith(key + "="):
                    copies[key] = (node.start_byte, node.end_byte)
            elif node.type in ("for_statement", "c_style_for_statement", "select_statement"):
                var = node.child_by_field_name("variable")
                if var is not None:
                    seen[node_text(self.data, var)] = 2
            elif node.type == "command":
                name = node.child_by_field_name("name")
                if name is not None and node_text(self.data, name) in (
                        "read", "getopts", "unset", "mapfile", "readarray", "local",
                        "declare", "typeset", "export", "printf"):
                    for w in node.named_children[1:]:
                        seen[re.sub(r"=.*", "", node_text(self.data, w))] = 2
        rewrites = [c.start for c in self.iter_commands() if c.name == "shift" or (
            c.name == "set" and _sets_arguments([c.word_text(w) for w in c.words[1:]]))]
        return {k: end for k, (start, end) in copies.items()
                if seen.get(k) == 1 and all(r > start for r in rewrites)}

    def _case_body(self, item: Node) -> list[Node]:
        """The statements of a ``case_item`` (after its ``)``)."""
        out: list[Node] = []
        after_paren = False
        for ch in item.children:
            if ch.type == ")":
                after_paren = True
                continue
            if after_paren and ch.is_named and ch.type not in _STATEMENT_SKIP:
                out.append(ch)
        return out

    def _writes_a_file(self, redirect: Node) -> bool:
        """Whether a redirect sends output to a file (not ``>&2``, ``2>&1``, ``/dev/null``)."""
        ops = [c for c in redirect.children if c.type != "file_descriptor"]
        if not ops or node_text(self.data, ops[0]) not in (">", ">>", "&>", "&>>", ">|"):
            return False  # `>&2` duplicates a descriptor; `<` reads
        dest = node_text(self.data, ops[-1]).strip("\"'")
        return dest not in ("/dev/null", "/dev/stderr", "/dev/stdout", "/dev/tty",
                            "/proc/1/fd/1", "/proc/1/fd/2")

    def _is_tail_noise(self, stmt: Node) -> bool:
        """``exit``, ``echo done`` and the like after the real last command."""
        node = stmt
        if node.type == "redirected_statement":
            body = node.child_by_field_name("body")
            if body is None or any(self._writes_a_file(r) for r in node.children
                                   if r.type == "file_redirect"):
                # `echo "time=$(date)" >> "$GITHUB_OUTPUT"`: its output is kept, and an
                # `exec` of the command before would lose it
                return False
            node = body
        if node.type != "command":
            return False
        c = self._command(node, "plain", redirected=False)
        if c is None or c.name is None:
            return False
        # `--bind …` on a line of its own: a broken continuation that only fails after the
        # real command has exited
        return c.name in ("exit", "return", "echo", "printf", "true", ":") or \
            c.name.startswith("-")

    def _terminal(self, node: Node, depth: int, via: list[str],
                  context: str = "plain", redirected: bool = False) -> list[Terminal]:
        t = node.type
        if depth > 12:
            return [Terminal("unknown", None, node, via_functions=via, reason="too deep")]
        if self.is_background(node):
            return [Terminal("child", None, node, via_functions=via, reason="background")]
        if t == "redirected_statement":
            body = node.child_by_field_name("body")
            if body is None:
                return [Terminal("short", None, node, via_functions=via)]
            if any(ch.type == "heredoc_redirect" for ch in node.named_children):
                # cat <<EOF … : feeding a heredoc is not starting a server
                c = self._command(body, context, redirected=True) if body.type == "command" \
                    else None
                if c is None or c.name in knowledge.SHORT_LIVED:
                    return [Terminal("short", c, node, via_functions=via)]
            return self._terminal(body, depth, via, context, redirected=True)
        if t == "command":
            c = self._command(node, context, redirected=redirected)
            assert c is not None
            if c.name == "exec":
                if len(c.words) == 1:
                    return [Terminal("short", c, node, via_functions=via,
                                     reason="exec with only redirections")]
                if self.exec_is_noop(c, self._args):
                    return [Terminal("short", c, node, via_functions=via,
                                     reason="exec \"$@\" without arguments does nothing")]
                target = c.exec_target()
                if target:
                    name = literal(self.data, target[0]) or ""
                    if (_keepalive(name, [c.word_text(w) for w in target[1:]])
                            and self.has_background_jobs()):
                        # `app & exec tail -f /dev/null`: tail becomes PID 1 and the app
                        # never hears SIGTERM
                        return [Terminal("keepalive", c, node, via_functions=via)]
                return [Terminal("exec", c, node, via_functions=via)]
            if c.name is not None and c.name in self.functions and c.name not in via:
                body = self.functions[c.name]
                inner = self._terminals_of(self.statements(body), depth + 1, [*via, c.name])
                if inner:
                    return inner
                return [Terminal("short", c, node, via_functions=via)]
            if c.name == "wait":
                return [Terminal("wait", c, node, via_functions=via)]
            if is_keepalive(c):
                return [Terminal("keepalive", c, node, via_functions=via)]
            if c.name in ("command", "eval") and c.is_exec:
                # `eval exec $(pick) -- "$@"`: what eval runs replaces the shell
                return [Terminal("exec", c, node, via_functions=via)]
            if c.name == "eval" and len(c.words) > 1 and \
                    _unquoted(c.word_text(c.words[1])).lstrip().startswith("exec "):
                # `eval "exec $APP --bind :80"`: execs, but what only the expansion says
                return [Terminal("unknown", c, node, via_functions=via,
                                 reason="eval of a string that execs")]
            if c.name in ("command", "eval") and len(c.words) > 1:
                # `command app` / `eval "$@"` run their argument as a child of the shell
                return [Terminal("child", c, node, via_functions=via)]
            if c.name is not None and c.name in knowledge.SHORT_LIVED:
                return [Terminal("short", c, node, via_functions=via)]
            return [Terminal("child", c, node, via_functions=via)]
        if t == "list":
            kids = node.named_children
            op = next((ch.type for ch in node.children if ch.type in ("&&", "||")), "&&")
            if op == "&&" and self._guard_holds(node) is False:
                # `[[ "$1" == web ]] && { …; }` with another first argument: like an `if`
                return [Terminal("short", None, node, via_functions=via,
                                 reason="the test does not hold")]
            right = self._terminal(kids[-1], depth, via, "and_or")
            if op == "||" and len(kids) >= 2:
                left = self._terminal(kids[0], depth, via, "and_or")
                left = [x for x in left if x.kind in ("exec", "child")]
                right = [x for x in right if x.kind != "short"]
                return left + right
            return right
        if t == "pipeline":
            cmds = [ch for ch in node.named_children]
            last = cmds[-1] if cmds else node
            inner = self._terminal(last, depth, via, "pipeline")
            for term in inner:
                if term.kind == "exec":
                    term.kind = "child"
                    term.reason = "exec inside a pipeline runs in a subshell"
                elif term.kind == "short":
                    # `app | tee log`: the app is the long-running child
                    first = self._terminal(cmds[0], depth, via, "pipeline") if cmds else []
                    return [Terminal("child", x.command, x.node, via_functions=via,
                                     reason="pipeline")
                            for x in first if x.kind in ("child", "exec")] or inner
            return inner
        if t == "if_statement":
            out: list[Terminal] = []
            for _, stmts in self._if_clauses(node):
                out += self._terminals_of(stmts, depth, via)
            return out or [Terminal("short", None, node, via_functions=via,
                                    reason="the test does not hold")]
        if t in ("elif_clause", "else_clause"):
            stmts = []
            seen_then = t == "else_clause"
            for ch in node.children:
                if ch.type == "then":
                    seen_then = True
                    continue
                if seen_then and ch.is_named and ch.type not in _STATEMENT_SKIP:
                    stmts.append(ch)
            return self._terminals_of(stmts, depth, via)
        if t == "case_statement":
            out = []
            arm = self._case_arm_taken(node)
            for item in node.named_children:
                if item.type != "case_item" or (arm is not None and item != arm):
                    continue
                out += self._terminals_of(self._case_body(item), depth, via)
            return out
        if t == "compound_statement":
            return self._terminals_of(self.statements(node), depth, via)
        if t == "subshell":
            inner = self._terminals_of(self.statements(node), depth, via)
            return [Terminal("child" if x.kind == "exec" else x.kind, x.command, x.node,
                             via_functions=via, reason="subshell") for x in inner]
        if t == "negated_command":
            kids = node.named_children
            return self._terminal(kids[-1], depth, via, "negated") if kids else []
        if t in ("while_statement", "select_statement", "c_style_for_statement"):
            return [Terminal("loop", None, node, via_functions=via)]
        if t == "for_statement":
            # `for f in /tmp/*.pid; do rm …; done`: a loop over a list ends
            return [Terminal("short", None, node, via_functions=via)]
        if t in ("variable_assignment", "variable_assignments", "declaration_command",
                 "test_command", "unset_command"):
            return [Terminal("short", None, node, via_functions=via)]
        return [Terminal("unknown", None, node, via_functions=via, reason=t)]


_STARTS_WITH_DASH = re.compile(
    r"""^\[\[?\s*"?\$\{1#-\}"?\s*!=\s*"?\$1"?\s*\]\]?$"""
    r"""|^\[\[?\s*"?\$\{1:0:1\}"?\s*==?\s*['"]?-['"]?\s*\]\]?$""")
_EQUALS = re.compile(
    r"""^\[\[?\s*"?\$\{?([1-9])\}?"?\s*(==?|!=)\s*['"]?([^'"\s\]]+)['"]?\s*\]\]?$""")


def evaluate_arg_test(text: str, arg1: str,
                      later: list[str | None] | None = None) -> bool | None:
    """``[ "$1" = web ] || [ "$1" = api ]`` (or ``-o``) for ``$1`` = ``arg1``; None when
    some part cannot be evaluated.  With ``later`` (the known arguments after the first),
    ``[ "$2" = docker-start ]`` too (an argument past the last is empty)."""
    text = re.sub(r"\s+-o\s+", " ] || [ ", text.strip().rstrip(";"))
    result = False
    for test in re.split(r"\s*\|\|\s*", text):
        test = test.strip()
        if _STARTS_WITH_DASH.match(test):
            result = result or arg1.startswith("-")
            continue
        m = _EQUALS.match(test)
        if m is None:
            return None  # a test entrylint cannot evaluate: it may hold
        n = int(m.group(1))
        value = arg1 if n == 1 else None if later is None else \
            later[n - 2] if n - 2 < len(later) else ""
        if value is None:
            return None
        result = result or ((value == m.group(3)) == (m.group(2) != "!="))
    return result



def unwrap_redirect(node: Node) -> tuple[Node, bool]:
    """``app 2>&1`` -> (``app``, True); any other node -> (node, False)."""
    if node.type == "redirected_statement":
        body = node.child_by_field_name("body")
        if body is not None:
            return body, True
    return node, False


def flatten_and(node: Node) -> list[Node] | None:
    """``a && b && c`` -> [a, b, c]; None when the list also has ``||``."""
    if node.type != "list":
        return [node]
    ops = {ch.type for ch in node.children if not ch.is_named}
    if ops != {"&&"}:
        return None
    out: list[Node] = []
    stack = list(reversed(node.named_children))  # `a && b && …` nests left: no recursion
    while stack:
        n = stack.pop()
        if n.type != "list":
            out.append(n)
            continue
        if {ch.type for ch in n.children if not ch.is_named} != {"&&"}:
            return None
        stack.extend(reversed(n.named_children))
    return out


def is_keepalive(command: Command) -> bool:
    """``tail -f /dev/null``, ``sleep infinity``: commands that only keep a shell alive."""
    return _keepalive(command.name or "", [command.word_text(w) for w in command.words[1:]])


def _keepalive(name: str, words: list[str]) -> bool:
    args = [w.strip("'\"") for w in words]
    if name == "tail":
        return any(a in ("-f", "-F", "--follow") or (a.startswith("-") and "f" in a[1:]
                                                      and not a.startswith("--"))
                   for a in args)
    if name == "sleep" and args:
        return args[0] in ("infinity", "inf") or (args[0].isdigit() and int(args[0]) >= 3600)
    return False


def _never_ends(command: Command) -> bool:
    """A keepalive that never exits by itself: ``sleep infinity``, ``tail -f`` (not
    ``sleep 86400``, which ends in a day, nor ``tail --pid=N -f``, which ends with N)."""
    words = [command.word_text(w).strip("'\"") for w in command.words[1:]]
    if command.name == "sleep":
        return bool(words) and words[0] in ("infinity", "inf")
    return not any(w.startswith("--pid") for w in words)


def ends_in_keepalive(script: ShellScript, node: Node) -> bool:
    inner, _ = unwrap_redirect(node)
    c = script._command(inner, "plain", redirected=False) if inner.type == "command" else None
    return c is not None and is_keepalive(c)


def long_running_part(script: ShellScript, parts: list[Node]) -> str | None:
    """The first of ``parts`` (the commands before the last ``&&``) that is not a short-lived
    command such as ``cd`` or ``mkdir``: it runs as a child of the shell until it exits."""
    for part in parts:
        inner, _ = unwrap_redirect(part)
        c = script._command(inner, "plain", redirected=False) if inner.type == "command" else None
        if c is None or c.name not in knowledge.SHORT_LIVED:
            return node_text(script.data, part)
    return None


SHELLS = frozenset({"sh", "bash", "dash", "ash", "zsh", "ksh", "mksh", "busybox"})


def shebang_interpreter(shebang: str | None) -> str | None:
    """``/usr/bin/env bash`` -> ``bash``; ``/bin/sh -e`` -> ``sh``."""
    if not shebang:
        return None
    parts = shebang.split()
    if not parts:
        return None
    prog = knowledge.program_name(parts[0])
    if prog == "env":
        rest = [p for p in parts[1:] if not p.startswith("-")]
        return knowledge.program_name(rest[0]) if rest else None
    return prog


def _unquoted(text: str) -> str:
    """A word's text without one pair of surrounding quotes."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text
