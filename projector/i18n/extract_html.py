"""A Babel extractor for the panel's HTML: the words marked with ``data-i18n``.

The markup conventions are those ``projector/panel/static/i18n.js`` translates:

- ``<h2 data-i18n>Live total</h2>``: the element's text is a msgid (whitespace
  collapsed, as the browser reads it); ``data-i18n="msgid"`` names one outright.
- A child marked ``data-i18n-arg="name"`` stands in the msgid as ``{name}``
  (``Build one in {editor} or import a TOML file.``): the translation decides
  where the element goes. Any other child element is an error, since the
  browser would drop it when it writes the translation.
- ``data-i18n-placeholder``, ``data-i18n-title``, ``data-i18n-aria-label``: that
  attribute's value is a msgid (or the data attribute's own value, when given).
- ``data-i18n-comment="..."`` on the element becomes a comment for translators.

Used from ``babel-panel.cfg`` (Babel splits a section's name at its first colon, so the
``module:function`` goes in ``[extractors]``)::

    [extractors]
    panel_html = projector.i18n.extract_html:extract

    [panel_html: projector/panel/static/**.html]
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import IO, Any

#: Attributes a msgid may live in, each marked ``data-i18n-<name>``.
ATTRIBUTES = ("placeholder", "title", "aria-label")
#: Elements that never have an end tag (so never hold text).
VOID = frozenset(
    ["area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"]
)  # fmt: skip

Message = tuple[int, str | None, str, list[str]]


class MarkupError(ValueError):
    """Markup the browser could not translate faithfully; says where."""


def _normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@dataclass
class _Open:
    """An element whose end tag has not come yet."""

    tag: str
    #: The msgid being collected, when this element has ``data-i18n`` and no value.
    parts: list[str] | None = None
    lineno: int = 0
    comments: list[str] = field(default_factory=list)
    #: This element stands as ``{name}`` in its parent's msgid.
    arg: bool = False
    #: Where its msgid goes in the list (reserved at its start: document order).
    slot: int = -1


class _Extractor(HTMLParser):
    def __init__(self, filename: str) -> None:
        super().__init__(convert_charrefs=True)
        self.filename = filename
        self.stack: list[_Open] = []
        self.found: list[Message | None] = []

    def _where(self) -> str:
        return f"{self.filename}:{self.getpos()[0]}"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, dict(attrs), void=tag in VOID)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, dict(attrs), void=True)

    def _start(self, tag: str, attrs: Mapping[str, str | None], *, void: bool) -> None:
        lineno = self.getpos()[0]
        comments = [_normal(attrs["data-i18n-comment"] or "")] if attrs.get("data-i18n-comment") else []
        arg = attrs.get("data-i18n-arg")
        parent = self.stack[-1] if self.stack else None
        if parent is not None and parent.parts is not None:
            if not arg:
                raise MarkupError(
                    f'{self._where()}: <{tag}> inside a data-i18n element needs data-i18n-arg="name" '
                    "(the translation replaces the element's text, and would drop it)"
                )
            parent.parts.append("{" + arg + "}")
        for name in ATTRIBUTES:
            # A bare attribute (<input data-i18n-placeholder>) comes as None: present, no value.
            if f"data-i18n-{name}" not in attrs:
                continue
            msgid = _normal(attrs[f"data-i18n-{name}"] or attrs.get(name) or "")
            if not msgid:
                raise MarkupError(f"{self._where()}: data-i18n-{name} on <{tag}> without a {name}")
            self.found.append((lineno, None, msgid, comments))
        opened = _Open(tag, lineno=lineno, comments=comments, arg=bool(arg))
        if "data-i18n" in attrs:
            marked = attrs["data-i18n"] or ""
            if marked.strip():
                self.found.append((lineno, None, _normal(marked), comments))
            elif void:
                raise MarkupError(f"{self._where()}: <{tag}> holds no text to mark with data-i18n")
            else:
                opened.parts = []
                opened.slot = len(self.found)
                self.found.append(None)  # filled in at its end tag
        if not void:
            self.stack.append(opened)

    def handle_endtag(self, tag: str) -> None:
        # Close up to the matching element (HTML lets some end tags be left out).
        for depth in range(len(self.stack) - 1, -1, -1):
            if self.stack[depth].tag == tag:
                for closed in reversed(self.stack[depth:]):
                    self._close(closed)
                del self.stack[depth:]
                return

    def _close(self, closed: _Open) -> None:
        if closed.parts is None:
            return
        msgid = _normal("".join(closed.parts))
        if not msgid:
            raise MarkupError(f"{self.filename}:{closed.lineno}: <{closed.tag} data-i18n> has no text")
        self.found[closed.slot] = (closed.lineno, None, msgid, closed.comments)

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1].parts is not None:
            self.stack[-1].parts.append(data)


def extract_messages(text: str, filename: str = "<html>") -> list[Message]:
    """Every marked msgid in an HTML text, in document order of their elements' starts."""
    parser = _Extractor(filename)
    parser.feed(text)
    parser.close()
    for left in reversed(parser.stack):
        parser._close(left)
    return [found for found in parser.found if found is not None]


def extract(
    fileobj: IO[bytes],
    keywords: Collection[str],
    comment_tags: Collection[str],
    options: Mapping[str, Any],
) -> Iterator[Message]:
    """Babel's extraction method: ``(lineno, funcname, message, comments)`` per msgid."""
    encoding = str(options.get("encoding", "utf-8"))
    text = fileobj.read().decode(encoding)
    yield from extract_messages(text, str(getattr(fileobj, "name", "<html>")))
