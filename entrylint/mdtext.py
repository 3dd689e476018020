"""The rule pages' small Markdown (headings, paragraphs, fenced code, ``**bold**``, ``code``,
links) as plain text: for SARIF ``help.text`` and for ``entrylint rule`` on a terminal."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterator
from dataclasses import dataclass

_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_INLINE = re.compile(r"`(?P<code>[^`]+)`|\*\*(?P<bold>.+?)\*\*|\*(?P<em>[^*\s][^*]*?)\*")

Style = Callable[[str, str], str]  # (kind, text) -> text; kinds: heading, title, bold, code


def _no_style(_kind: str, text: str) -> str:
    return text


@dataclass(frozen=True)
class Block:
    kind: str  # "heading", "title", "para", "code"
    text: str


def blocks(markdown: str) -> Iterator[Block]:
    """Top-level blocks: ``#``/``##`` headings, paragraphs and fenced code."""
    pos = 0
    for m in _FENCE.finditer(markdown):
        yield from _prose(markdown[pos:m.start()])
        yield Block("code", m.group(1).rstrip("\n"))
        pos = m.end()
    yield from _prose(markdown[pos:])


def _prose(text: str) -> Iterator[Block]:
    for para in re.split(r"\n\s*\n", text):
        para = para.strip()
        if not para:
            continue
        if para.startswith("# "):
            yield Block("title", para[2:].strip())
        elif para.startswith("## "):
            yield Block("heading", para[3:].strip())
        else:
            yield Block("para", " ".join(para.split()))


def inline(text: str, style: Style = _no_style) -> str:
    """``**bold**``, ``code`` and ``[text](url)`` without their markup."""
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)

    def span(m: re.Match[str]) -> str:
        kind, inner = _span(m)
        return style(kind, inner if kind == "code" else inline(inner, style))

    return _INLINE.sub(span, text)


def _span(m: re.Match[str]) -> tuple[str, str]:
    """(kind, text) of an inline span: bold (``**`` or ``*``) or code."""
    if m.group("code") is not None:
        return "code", m.group("code")
    return "bold", m.group("bold") if m.group("bold") is not None else m.group("em")


def render(markdown: str, *, width: int | None = None, style: Style = _no_style) -> str:
    """Plain text: titles and headings on their own line (underlined when unstyled), paragraphs
    wrapped to ``width`` (None: one line each), code blocks indented by four spaces."""
    out: list[str] = []
    for b in blocks(markdown):
        if b.kind in ("title", "heading"):
            text = inline(b.text)
            if style is _no_style:
                text += "\n" + ("=" if b.kind == "title" else "-") * len(text)
            else:
                text = style(b.kind, text)
            out.append(text)
        elif b.kind == "code":
            out.append("\n".join(style("code", "    " + line) if line else ""
                                 for line in b.text.splitlines()))
        else:
            # wrap the unstyled text, then style each wrapped line's markup-free pieces
            if width is None:
                out.append(inline(b.text, style))
            else:
                out.append(_wrap_styled(b.text, width, style))
    return "\n\n".join(out) + "\n"


def _wrap_styled(text: str, width: int, style: Style) -> str:
    """Wrap by the visible width (markup removed), then apply the styles line by line."""
    if style is _no_style:
        return "\n".join(textwrap.wrap(inline(text), width=max(20, width),
                                       break_on_hyphens=False))
    # Wrap on words; a word keeps its markup, so styles never straddle a line break unless
    # a styled span itself contains spaces (then each of its words is styled on its own).
    words = _styled_words(text, style)
    lines: list[str] = []
    line: list[str] = []
    visible = 0
    for raw, shown in words:
        extra = len(raw) + (1 if line else 0)
        if line and visible + extra > max(20, width):
            lines.append(" ".join(line))
            line, visible = [], 0
            extra = len(raw)
        line.append(shown)
        visible += extra
    if line:
        lines.append(" ".join(line))
    return "\n".join(lines)


def _styled_words(text: str, style: Style) -> list[tuple[str, str]]:
    """(visible word, styled word) pairs."""
    text = _LINK.sub(lambda m: f"{m.group(1)} ({m.group(2)})", text)
    out: list[tuple[str, str]] = []
    pos = 0
    for m in _INLINE.finditer(text):
        before = text[pos:m.start()]
        out += [(w, w) for w in before.split()]
        kind, inner = _span(m)
        if kind != "code":
            inner = inline(inner)  # **Safe `apt-get`**: the code inside the bold
        styled = [(w, style(kind, w)) for w in inner.split()]
        if styled and out and before and not before[-1].isspace():
            raw, shown = out.pop()  # "(" glued to the span: (`foo`)
            styled[0] = (raw + styled[0][0], shown + styled[0][1])
        elif styled and out and not before and pos > 0 and not text[pos - 1].isspace():
            raw, shown = out.pop()  # two spans glued together
            styled[0] = (raw + styled[0][0], shown + styled[0][1])
        out += styled
        # punctuation glued to the span (`foo`,) stays with its word
        pos = m.end()
        if pos < len(text) and not text[pos].isspace() and out:
            tail = re.match(r"[^\s`*]+", text[pos:])
            if tail is not None:
                raw, shown = out[-1]
                out[-1] = (raw + tail.group(0), shown + tail.group(0))
                pos += tail.end()
    out += [(w, w) for w in text[pos:].split()]
    return out
