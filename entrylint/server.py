"""``entrylint server``: a language server over stdio (pygls).

* Diagnostics when a document is opened, changed or saved: for a Dockerfile, and for a start
  script (which re-lints the Dockerfiles that run it, and updates their diagnostics too).  The
  text of every open document is used, saved or not.
* Code actions on a finding with a fix: ``Fix EL101: … (safe)`` / ``(unsafe)``; the edits may
  touch several files (the Dockerfile and its script).
* Hover on a finding: the rule's documentation (the page ``entrylint rule ID --markdown``
  prints).

This module is imported only by ``entrylint server``: pygls and lsprotocol take time to import,
and ``entrylint check`` (run by pre-commit on every commit) must not pay for them.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path, to_fs_path

from entrylint import __version__
from entrylint.diagnostics import Applicability, Diagnostic
from entrylint.lsp_lint import Outcome, lint_document, utf16_position
from entrylint.source import SourceFile

_SEVERITY = {"error": lsp.DiagnosticSeverity.Error, "warning": lsp.DiagnosticSeverity.Warning,
             "info": lsp.DiagnosticSeverity.Information}


#: A lone surrogate (JSON lets a client send "\\ud800"): not encodable as UTF-8, so it is
#: linted as U+FFFD, which is one UTF-16 unit too (every position stays where it was).
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


class EntrylintServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("entrylint", __version__)
        #: uri -> (finding, its LSP range, the linted text of its file), for actions and hover
        self.findings: dict[str, list[tuple[Diagnostic, lsp.Range]]] = {}
        self.sources: dict[str, dict[Path, SourceFile]] = {}

    def open_documents(self) -> dict[Path, str]:
        out: dict[Path, str] = {}
        for uri, doc in self.workspace.text_documents.items():
            path = to_fs_path(uri)
            if path is not None:
                out[Path(path)] = _LONE_SURROGATE.sub("\ufffd", doc.source)
        return out

    def relint(self, uri: str) -> None:
        path = to_fs_path(uri)
        if path is None:
            return
        doc = self.workspace.text_documents.get(uri)
        language = doc.language_id if doc is not None else None
        dockerfile = True if language == "dockerfile" else None
        from entrylint.config import ConfigError

        try:
            outcome = lint_document(Path(path), self.open_documents(), dockerfile=dockerfile)
        except ConfigError as exc:  # a bad .entrylint.toml: say so, keep serving
            self.window_show_message(lsp.ShowMessageParams(
                type=lsp.MessageType.Error, message=f"entrylint: {exc}"))
            return
        self.publish(outcome)

    def publish(self, outcome: Outcome) -> None:
        from entrylint.docs import help_uri

        for path, diags in outcome.diagnostics.items():
            uri = from_fs_path(str(path))
            if uri is None:
                continue
            src = outcome.files.get(path)
            items: list[lsp.Diagnostic] = []
            kept: list[tuple[Diagnostic, lsp.Range]] = []
            for d in diags:
                rng = _range(src, d)
                kept.append((d, rng))
                url = help_uri(d.rule, outcome.docs_url)
                items.append(lsp.Diagnostic(
                    range=rng, message=d.message, severity=_SEVERITY[d.severity], code=d.rule,
                    source="entrylint", data={"fixable": d.fix is not None},
                    code_description=lsp.CodeDescription(href=url) if url else None))
            if path in outcome.errors:
                items.append(lsp.Diagnostic(
                    range=lsp.Range(lsp.Position(0, 0), lsp.Position(0, 0)),
                    message=f"cannot be linted: {outcome.errors[path]}",
                    severity=lsp.DiagnosticSeverity.Error, code="EL000", source="entrylint"))
            self.findings[uri] = kept
            self.sources[uri] = outcome.files
            self.text_document_publish_diagnostics(
                lsp.PublishDiagnosticsParams(uri=uri, diagnostics=items))


def _range(src: SourceFile | None, d: Diagnostic) -> lsp.Range:
    if src is None:
        return lsp.Range(lsp.Position(max(0, d.line - 1), max(0, d.column - 1)),
                         lsp.Position(max(0, d.end_line - 1), max(0, d.end_column - 1)))
    sl, sc = utf16_position(src, d.start)
    el, ec = utf16_position(src, max(d.start, d.end))
    return lsp.Range(lsp.Position(sl, sc), lsp.Position(el, ec))


def _overlaps(a: lsp.Range, b: lsp.Range) -> bool:
    def key(p: lsp.Position) -> tuple[int, int]:
        return p.line, p.character

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def _contains(r: lsp.Range, p: lsp.Position) -> bool:
    return ((r.start.line, r.start.character) <= (p.line, p.character)
            <= (r.end.line, r.end.character))


def code_actions(server: EntrylintServer, params: lsp.CodeActionParams) -> list[lsp.CodeAction]:
    uri = params.text_document.uri
    sources = server.sources.get(uri, {})
    out: list[lsp.CodeAction] = []
    for d, rng in server.findings.get(uri, []):
        if d.fix is None or not _overlaps(rng, params.range):
            continue
        changes: dict[str, list[lsp.TextEdit]] = {}
        for e in d.fix.edits:
            src = sources.get(e.path.resolve())
            target = from_fs_path(str(e.path.resolve()))
            if src is None or target is None:
                break
            sl, sc = utf16_position(src, e.start)
            el, ec = utf16_position(src, e.end)
            changes.setdefault(target, []).append(lsp.TextEdit(
                range=lsp.Range(lsp.Position(sl, sc), lsp.Position(el, ec)),
                new_text=e.content))
        else:
            safe = d.fix.applicability is Applicability.SAFE
            label = "safe" if safe else "unsafe: may change behaviour"
            out.append(lsp.CodeAction(
                title=f"Fix {d.rule}: {d.fix.message} ({label})",
                kind=lsp.CodeActionKind.QuickFix, is_preferred=safe,
                diagnostics=[lsp.Diagnostic(range=rng, message=d.message, code=d.rule,
                                            source="entrylint")],
                edit=lsp.WorkspaceEdit(changes=changes)))
    return out


def hover(server: EntrylintServer, params: lsp.HoverParams) -> lsp.Hover | None:
    from entrylint.docs import find_rule, rule_markdown

    for d, rng in server.findings.get(params.text_document.uri, []):
        if _contains(rng, params.position):
            rule = find_rule(d.rule)
            if rule is not None:
                return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown,
                                                            value=rule_markdown(rule)),
                                 range=rng)
    return None


def make_server() -> EntrylintServer:
    server = EntrylintServer()

    @server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: EntrylintServer, params: lsp.DidOpenTextDocumentParams) -> None:
        ls.relint(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: EntrylintServer, params: lsp.DidChangeTextDocumentParams) -> None:
        ls.relint(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: EntrylintServer, params: lsp.DidSaveTextDocumentParams) -> None:
        ls.relint(params.text_document.uri)

    @server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: EntrylintServer, params: lsp.DidCloseTextDocumentParams) -> None:
        ls.findings.pop(params.text_document.uri, None)
        ls.text_document_publish_diagnostics(
            lsp.PublishDiagnosticsParams(uri=params.text_document.uri, diagnostics=[]))

    @server.feature(lsp.TEXT_DOCUMENT_CODE_ACTION,
                    lsp.CodeActionOptions(code_action_kinds=[lsp.CodeActionKind.QuickFix]))
    def on_code_action(ls: EntrylintServer, params: lsp.CodeActionParams
                       ) -> list[lsp.CodeAction]:
        return code_actions(ls, params)

    @server.feature(lsp.TEXT_DOCUMENT_HOVER)
    def on_hover(ls: EntrylintServer, params: lsp.HoverParams) -> lsp.Hover | None:
        return hover(ls, params)

    return server


class _OneLine(logging.Formatter):
    """pygls logs a message it cannot handle (not JSON, not an object) with its traceback:
    the editor's log gets one line, its untrusted characters escaped, and the server goes on."""

    def format(self, record: logging.LogRecord) -> str:
        from entrylint.escape import terminal

        why = f" ({record.exc_info[1]})" if record.exc_info and record.exc_info[1] else ""
        return terminal(f"entrylint server: {record.levelname.lower()}: {record.getMessage()}"
                        f"{why}")


def serve(**_options: Any) -> None:
    """Speak LSP on standard input and output until the client says exit."""
    handler = logging.StreamHandler()
    handler.setFormatter(_OneLine())
    log = logging.getLogger("pygls")
    log.addHandler(handler)
    log.propagate = False
    try:
        make_server().start_io()
    except MemoryError:  # a Content-Length of 100 GB: pygls allocates it before reading
        import sys

        print("entrylint server: error: a message larger than the memory available (its "
              "Content-Length); stopping", file=sys.stderr)
        raise SystemExit(2) from None
