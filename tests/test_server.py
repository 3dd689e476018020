"""`entrylint server` driven over stdio by a small LSP client, as an editor would."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("pygls")  # in the test extras; `entrylint[server]` for users

SHELL_FORM = "FROM debian:12-slim\nCOPY start.sh /start.sh\nCMD /start.sh --port 80\n"
SCRIPT = "#!/bin/sh\nset -e\nserver --port 80\n"
TIMEOUT = 30


class Client:
    """JSON-RPC over the server's stdin/stdout with Content-Length framing."""

    def __init__(self, cwd: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-m", "entrylint", "server"], cwd=cwd,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.messages: queue.Queue[dict[str, Any]] = queue.Queue()
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while True:
            length = None
            while True:
                line = out.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                name, _, value = line.decode().partition(":")
                if name.lower() == "content-length":
                    length = int(value)
            assert length is not None
            self.messages.put(json.loads(out.read(length)))

    def send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.proc.stdin is not None
        self.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.proc.stdin.flush()

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: dict[str, Any] | None) -> Any:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        reply = self.wait(lambda m: m.get("id") == self.next_id and "method" not in m)
        assert "error" not in reply, reply
        return reply.get("result")

    def wait(self, match: Any) -> dict[str, Any]:
        while True:
            try:
                m = self.messages.get(timeout=TIMEOUT)
            except queue.Empty:
                raise AssertionError("no answer from the server") from None
            if match(m):
                return m

    def diagnostics(self, uri: str) -> list[dict[str, Any]]:
        m = self.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics"
                      and m["params"]["uri"] == uri)
        result: list[dict[str, Any]] = m["params"]["diagnostics"]
        return result


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "my repo"  # a space: URIs are percent-encoded
    (root / ".git").mkdir(parents=True)
    (root / "Dockerfile").write_text(SHELL_FORM)
    (root / "start.sh").write_text(SCRIPT)
    (root / "start.sh").chmod(0o755)  # as committed (a 0644 start script is EL112)
    return root


def test_language_server_session(repo: Path) -> None:
    client = Client(repo)
    try:
        init = client.request("initialize", {"processId": None, "rootUri": repo.as_uri(),
                                             "capabilities": {}})
        caps = init["capabilities"]
        assert caps["hoverProvider"] and caps["codeActionProvider"]
        assert init["serverInfo"]["name"] == "entrylint"
        client.notify("initialized", {})

        docker_uri = (repo / "Dockerfile").as_uri()
        script_uri = (repo / "start.sh").as_uri()
        assert "my%20repo" in docker_uri
        client.notify("textDocument/didOpen", {"textDocument": {
            "uri": docker_uri, "languageId": "dockerfile", "version": 1, "text": SHELL_FORM}})
        found = {uri: client.diagnostics(uri) for uri in (docker_uri, script_uri)}
        el101 = next(d for d in found[docker_uri] if d["code"] == "EL101")
        assert (el101["code"], el101["source"], el101["severity"]) == ("EL101", "entrylint", 1)
        assert el101["range"] == {"start": {"line": 2, "character": 0},
                                  "end": {"line": 2, "character": 23}}
        assert [d["code"] for d in found[script_uri]] == ["EL103"]  # the script it runs

        actions = client.request("textDocument/codeAction", {
            "textDocument": {"uri": docker_uri}, "range": el101["range"],
            "context": {"diagnostics": [el101]}})
        (action,) = [a for a in actions if a["title"].startswith("Fix EL101: ")]
        assert action["title"].startswith("Fix EL101: ") and action["title"].endswith("(safe)")
        assert action["kind"] == "quickfix" and action["isPreferred"] is True
        (edit,) = action["edit"]["changes"][docker_uri]
        line = SHELL_FORM.splitlines()[edit["range"]["start"]["line"]]
        rng = edit["range"]
        assert rng["start"]["line"] == rng["end"]["line"] == 2
        new = line[:rng["start"]["character"]] + edit["newText"] + line[rng["end"]["character"]:]
        assert new == 'CMD ["/start.sh", "--port", "80"]'

        hover = client.request("textDocument/hover", {
            "textDocument": {"uri": docker_uri}, "position": {"line": 2, "character": 5}})
        assert hover["contents"]["kind"] == "markdown"
        assert hover["contents"]["value"].startswith("# EL101 shell-form-cmd")
        assert client.request("textDocument/hover", {
            "textDocument": {"uri": docker_uri}, "position": {"line": 0, "character": 1}}) is None

        # editing the script (unsaved) re-lints the Dockerfile that runs it
        client.notify("textDocument/didOpen", {"textDocument": {
            "uri": script_uri, "languageId": "shellscript", "version": 1, "text": SCRIPT}})
        assert [d["code"] for d in client.diagnostics(script_uri)] == ["EL103"]
        fixed = "#!/bin/sh\nset -e\nexec server --port 80\n"
        client.notify("textDocument/didChange", {
            "textDocument": {"uri": script_uri, "version": 2},
            "contentChanges": [{"text": fixed}]})
        updates: dict[str, list[dict[str, Any]]] = {}
        while set(updates) != {docker_uri, script_uri}:
            m = client.wait(lambda m: m.get("method") == "textDocument/publishDiagnostics")
            updates[m["params"]["uri"]] = m["params"]["diagnostics"]
        assert updates[script_uri] == []
        assert "EL101" in {d["code"] for d in updates[docker_uri]}
        assert (repo / "start.sh").read_text() == SCRIPT  # the server never writes

        assert client.request("shutdown", None) is None
        client.notify("exit", {})
        assert client.proc.wait(timeout=TIMEOUT) == 0
    finally:
        if client.proc.poll() is None:
            client.proc.kill()
            client.proc.wait()


def test_check_does_not_import_pygls() -> None:
    code = ("import sys; from entrylint.cli import main\n"
            "try:\n    main(['check', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pygls', 'lsprotocol')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=TIMEOUT, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_positions_count_utf16_code_units() -> None:
    from entrylint.lsp_lint import utf16_position
    from entrylint.source import SourceFile

    data = "FROM x\nLABEL a=\"é😀\" b=1\n".encode()
    src = SourceFile(Path("Dockerfile"), data)
    b = data.index(b"b=1")
    assert utf16_position(src, b) == (1, len('LABEL a="é') + 2 + len('" '))
    assert utf16_position(src, 0) == (0, 0)


def test_a_bad_configuration_is_a_message_not_a_crash(repo: Path) -> None:
    (repo / ".entrylint.toml").write_text('ignore = "EL101"\n')
    client = Client(repo)
    try:
        client.request("initialize", {"processId": None, "rootUri": repo.as_uri(),
                                      "capabilities": {}})
        client.notify("initialized", {})
        uri = (repo / "Dockerfile").as_uri()
        client.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "dockerfile", "version": 1, "text": SHELL_FORM}})
        m = client.wait(lambda m: m.get("method") == "window/showMessage")
        assert m["params"]["type"] == 1 and "must be a list of strings" in m["params"]["message"]
        (repo / ".entrylint.toml").write_text(  # fixed: read again
            'ignore = ["EL103"]\ndocs-url = "https://docs.example.com/{rule}"\n')
        client.notify("textDocument/didSave", {"textDocument": {"uri": uri}})
        d = next(d for d in client.diagnostics(uri) if d["code"] == "EL101")
        assert d["codeDescription"] == {"href": "https://docs.example.com/EL101"}
        assert client.request("shutdown", None) is None
        client.notify("exit", {})
        assert client.proc.wait(timeout=TIMEOUT) == 0
    finally:
        if client.proc.poll() is None:
            client.proc.kill()
            client.proc.wait()


def test_hostile_client_input(repo: Path) -> None:
    """A lone surrogate in an open document (JSON allows "\\ud800") is linted, not an
    'Error in server: UnicodeEncodeError'; a message that is not JSON, or not an object, is
    one line on stderr, no traceback, and the server goes on."""
    client = Client(repo)
    try:
        client.request("initialize", {"processId": None, "rootUri": repo.as_uri(),
                                      "capabilities": {}})
        client.notify("initialized", {})
        assert client.proc.stdin is not None
        for body in (b"{abc}", b"[1, 2]"):
            client.proc.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
            client.proc.stdin.flush()
        uri = (repo / "Dockerfile").as_uri()
        client.notify("textDocument/didOpen", {"textDocument": {
            "uri": uri, "languageId": "dockerfile", "version": 1,
            "text": "FROM debian:12\nCMD node \ud800 x\n"}})
        diags = client.diagnostics(uri)
        assert [d["code"] for d in diags] == ["EL101", "EL104"]
        assert diags[0]["range"]["end"] == {"line": 1, "character": 12}  # U+FFFD: 1 unit
        assert client.request("shutdown", None) is None
        client.notify("exit", {})
        assert client.proc.wait(timeout=TIMEOUT) == 0
        assert client.proc.stderr is not None
        err = client.proc.stderr.read().decode()
        assert "Traceback" not in err
        assert err.count("\n") == 2 and err.startswith("entrylint server: error: "), err
    finally:
        if client.proc.poll() is None:
            client.proc.kill()
            client.proc.wait()


def test_a_content_length_beyond_memory(repo: Path) -> None:
    """pygls allocates the announced length before it reads: a MemoryError was a traceback
    (exit 1); now one line and exit 2."""
    p = subprocess.run([sys.executable, "-m", "entrylint", "server"], cwd=repo,
                       input=b"Content-Length: 99999999999999\r\n\r\n{}", capture_output=True,
                       timeout=TIMEOUT)
    assert (p.returncode, p.stderr.decode()) == (
        2, "entrylint server: error: a message larger than the memory available (its "
           "Content-Length); stopping\n")
