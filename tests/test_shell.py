"""What runs last on every path of a script."""

from __future__ import annotations

import pytest

from entrylint.shell import ShellScript, literal, shebang_interpreter


def kinds(src: str, args: list[str | None] | None = None) -> list[tuple[str, str | None]]:
    s = ShellScript(src.encode())
    return [(t.kind, t.command.name if t.command else None) for t in s.terminals(args)]


@pytest.mark.parametrize(
    ("src", "want"),
    [
        ("python app.py\n", [("child", "python")]),
        ("exec python app.py\n", [("exec", "exec")]),
        ('exec "$@"\n', [("exec", "exec")]),
        ('"$@"\n', [("child", None)]),
        ("set -e\nmigrate\nexec app\nexit 0\n", [("exec", "exec")]),
        ("app\nexit $?\n", [("child", "app")]),
        ("if [ -n \"$X\" ]; then\n  exec a\nelif [[ $Y == z* ]]; then\n  b\nelse\n  exec c\nfi\n",
         [("exec", "exec"), ("child", "b"), ("exec", "exec")]),
        ("cd /srv && gunicorn app\n", [("child", "gunicorn")]),
        ("cd /srv && exec gunicorn app\n", [("exec", "exec")]),
        ("app 2>&1 | tee /log\n", [("child", "app")]),
        ("exec app | tee /log\n", [("child", "exec")]),
        ("main() {\n  exec gosu u \"$@\"\n}\nmain \"$@\"\n", [("exec", "exec")]),
        ("arr=(1 2)\necho $(( 1 + 2 ))\n(app)\n", [("child", "app")]),
        ("while true; do sleep 1; done\n", [("loop", None)]),
        ("app &\nwait $!\n", [("wait", "wait")]),
        ("cat <<'EOF' > /etc/x.conf\nexec nothing\nEOF\nexec nginx\n", [("exec", "exec")]),
        ("chown -R app /data\n", [("short", "chown")]),
        ("exec >/var/log/out 2>&1\n", [("short", "exec")]),
    ],
)
def test_terminals(src: str, want: list[tuple[str, str | None]]) -> None:
    assert kinds(src) == want


def test_case_arm_follows_known_argument() -> None:
    src = 'case "$1" in\n  web|api) exec gunicorn ;;\n  w*) celery ;;\n  *) exec "$@" ;;\nesac\n'
    assert kinds(src, ["api"]) == [("exec", "exec")]
    assert kinds(src, ["worker"]) == [("child", "celery")]
    assert len(kinds(src)) == 3


def test_trap_detection() -> None:
    assert ShellScript(b"trap 'kill -TERM $PID' TERM INT\napp & PID=$!\nwait $PID\n").traps_term()
    assert not ShellScript(b"trap 'rm -f /tmp/x' EXIT\napp\n").traps_term()


def test_literal_words() -> None:
    s = ShellScript(b"cmd 'a b' \"c d\" e\\ f $HOME *.py ~/x \"x$y\" a'b'c\n")
    words = s.iter_commands()[0].words
    assert [literal(s.data, w) for w in words] == ["cmd", "a b", "c d", "e f", None, None, None,
                                                   None, "abc"]


def test_error_tolerant_on_broken_script() -> None:
    s = ShellScript(b"if [ x ; then\n  foo\n\nexec app\n")
    assert s.has_errors
    s.terminals()  # never raises


def test_shebang_interpreter() -> None:
    assert shebang_interpreter("/usr/bin/env bash") == "bash"
    assert shebang_interpreter("/bin/sh -e") == "sh"
    assert shebang_interpreter("/usr/bin/env -S python3 -u") == "python3"
    assert shebang_interpreter(None) is None


def test_long_and_chain_flattens_without_recursion() -> None:
    """`a && b && …` nests one list per `&&`: 3,000 of them exceed Python's stack if walked
    recursively."""
    from entrylint.shell import flatten_and

    n = 3000
    sh = ShellScript((" && ".join(f"c{i}" for i in range(n)) + "\n").encode())
    (stmt,) = sh.statements(sh.tree.root_node)
    parts = flatten_and(stmt)
    assert parts is not None and len(parts) == n
    assert [sh.data[p.start_byte:p.end_byte] for p in parts[:2]] == [b"c0", b"c1"]



def test_terminal_walk_is_remembered_per_argument_list() -> None:
    """Every rule asks for the same walk: it is done once per argument list, and a caller
    that changes the list it got does not change what the next caller gets."""
    src = 'case "$1" in\n  web) exec gunicorn ;;\n  *) celery ;;\nesac\n'
    sh = ShellScript(src.encode())
    first = sh.terminals(["web"])
    first.clear()
    again = sh.terminals(["web"])
    assert [(t.kind, t.command.name if t.command else None) for t in again] == \
        [("exec", "exec")]
    assert again[0] is sh.terminals(["web"])[0]  # shared, not walked again
    assert [t.kind for t in sh.terminals(["worker"])] == ["child"]
    assert len(sh.terminals()) == 2


def test_commands_are_built_once_per_node() -> None:
    sh = ShellScript(b"cd /srv\nexec app --port 80\n")
    (c1, c2) = sh.iter_commands()
    term = sh.terminals()[0]
    assert term.command is c2  # the walk reuses the command the rules listed
    assert [c1.name, c2.name] == ["cd", "exec"]


def test_shared_script_is_one_object_per_text() -> None:
    from entrylint.shell import shared_script

    a = shared_script(b"#!/bin/sh\nexec app\n")
    assert shared_script(b"#!/bin/sh\nexec app\n") is a
    assert shared_script(b"#!/bin/sh\nexec app\n", base=7) is not a
    assert shared_script(b"#!/bin/sh\nexec app\n", base=7).base == 7


def test_functions_found_without_parentheses_precheck_missing_none() -> None:
    """The walk for function definitions is skipped only when no definition can exist."""
    assert set(ShellScript(b"function main { exec app; }\nmain\n").functions) == {"main"}
    assert set(ShellScript(b"main ( ) { exec app; }\nmain\n").functions) == {"main"}
    assert ShellScript(b"exec app\n").functions == {}


def test_too_deep_script_gives_an_unknown_end_not_an_error() -> None:
    n = 5000
    sh = ShellScript(("if true; then\n" * n + "app\n" + "fi\n" * n).encode())
    (term,) = sh.terminals()
    assert term.kind == "unknown" and "nested too deeply" in term.reason
    shallow = ShellScript(("if true; then\n" * 50 + "app\n" + "fi\n" * 50).encode())
    assert [t.kind for t in shallow.terminals()] == ["child"]
