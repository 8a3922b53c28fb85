"""Entry bodies to safe HTML: Python-Markdown, then nh3 with an allow-list (and ``escaped``, the
values of the page parts made in Python escaped as Jinja escapes them).

Bodies come from pull requests, so whatever HTML they hold is untrusted: the allow-list
keeps structure (headings with their ids, lists, tables, links, emphasis, code) and drops
scripts, event handlers, styles, iframes and any URL that is not http(s), mailto or relative.
"""

from __future__ import annotations

import re
from typing import Callable

import markdown
import nh3
from markdown.extensions.toc import TocExtension, TocTreeprocessor
from markdown.treeprocessors import InlineProcessor
from xml.etree import ElementTree as ET

TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "code",
    "dd",
    "del",
    "dl",
    "dt",
    "em",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
}
ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "ol": {"start"},
    **{f"h{n}": {"id"} for n in range(2, 7)},
}
URL_SCHEMES = {"http", "https", "mailto"}


# What any of Python-Markdown's inline patterns starts with: code, escapes, links, images and
# references, autolinks and e-mails, raw HTML, entities, emphasis, a line break, and the
# placeholders Markdown puts in text it has stashed.
INLINE_MARKS = re.compile(r"[`\\\[!<&*_\x02\x03]|  \n")


class _Inline(InlineProcessor):
    """Python-Markdown's inline processor, which tries each of its inline patterns on every piece
    of text, a regular expression after another: a third of rendering a body. A piece with none
    of the characters a pattern starts with (INLINE_MARKS), most of a body's sentences, is kept
    as it is without trying them: the same HTML, a body rendered 30 % faster. (This overrides a
    private method, InlineProcessor.__handleInline: should a later Markdown rename it, text is
    only looked at as before.)"""

    def _InlineProcessor__handleInline(self, data: str, patternIndex: int = 0) -> str:  # noqa: N802, N803
        if INLINE_MARKS.search(data) is None:
            return data
        return super()._InlineProcessor__handleInline(data, patternIndex)  # type: ignore[misc]


# What a block of a body must hold to be each kind of block Python-Markdown tests it for, a
# regular expression after another (hash and underlined headings, rules, tables, quotes), and
# to hold a link reference; what the whole body must hold to have fenced code or raw HTML.
BLOCK_MARKS = {
    "hashheader": ("#",),
    "setextheader": ("\n=", "\n-"),
    "hr": ("-", "_", "*"),
    "table": ("|",),
    "quote": (">",),
}
REFERENCE_MARK = "]:"
BODY_MARKS = {"fenced_code_block": ("```", "~~~"), "html_block": ("<",)}


class _Toc(TocTreeprocessor):
    """Headings get their ids as from Python-Markdown's own; the table of contents, which a page
    shows only where its body holds the marker ([TOC]), is built only then: looking for the
    marker's paragraph element by element, and the table, were a seventh of rendering a body."""

    def run(self, doc: ET.Element) -> None:
        self._marked = bool(self.marker) and any(
            element.text and element.text.strip() == self.marker and len(element) == 0 for element in doc.iter()
        )
        super().run(doc)

    def build_toc_div(self, toc_list: list) -> ET.Element:
        return super().build_toc_div(toc_list) if self._marked else ET.Element("div")

    def replace_marker(self, root: ET.Element, elem: ET.Element) -> None:
        if self._marked:
            super().replace_marker(root, elem)


class _TocExtension(TocExtension):
    TreeProcessorClass = _Toc


def markdown_instance(toc: type[TocExtension] = TocExtension) -> markdown.Markdown:
    """Python-Markdown as bodies are rendered: tables, lists that keep their kind, fenced code,
    headings with ids (from h2: the page's title is the h1), HTML rather than XHTML."""
    return markdown.Markdown(
        extensions=["tables", "sane_lists", "fenced_code", toc(baselevel=2, toc_depth="2-6")],
        output_format="html",
    )


def _needing(marks: tuple[str, ...], step: Callable, given: Callable[[tuple], str], otherwise: Callable) -> Callable:
    """``step`` (a processor's test or run) tried only on text holding one of ``marks``
    (``given`` finds the text among its arguments), else ``otherwise`` of its arguments."""

    def needing(*args):
        text = given(args)
        return step(*args) if any(mark in text for mark in marks) else otherwise(*args)

    return needing


class Renderer:
    """One Markdown instance, reset between bodies (building a new one per body is slower).

    It renders as Python-Markdown does, with less work: its inline patterns (_Inline), block
    tests (BLOCK_MARKS) and whole-body steps (BODY_MARKS) are not tried on text without the
    characters they need, and the table of contents is built only for a body that shows it
    (_Toc). The 10,000 synthetic bodies render in 6.3 s, against 8.3 s with _Inline alone and
    12.1 s for Python-Markdown as it is; tests/test_markup.py checks the HTML is the same."""

    def __init__(self) -> None:
        self._markdown = markdown_instance(_TocExtension)
        self._markdown.treeprocessors.register(_Inline(self._markdown), "inline", 20)  # replaces Markdown's own
        blocks, steps = self._markdown.parser.blockprocessors, self._markdown.preprocessors
        for name, marks in BLOCK_MARKS.items():
            blocks[name].test = _needing(marks, blocks[name].test, lambda args: args[1], lambda *args: False)
        reference = blocks["reference"]
        reference.run = _needing((REFERENCE_MARK,), reference.run, lambda args: args[1][0], lambda *args: False)
        for name, marks in BODY_MARKS.items():
            steps[name].run = _needing(marks, steps[name].run, lambda args: "\n".join(args[0]), lambda lines: lines)

    def __call__(self, body: str) -> str:
        self._markdown.reset()
        return sanitize(self._markdown.convert(body))


def sanitize(html: str) -> str:
    return nh3.clean(
        html,
        tags=TAGS,
        attributes=ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def escaped(value: object) -> str:
    """``value`` as HTML text, as Jinja's autoescape writes it (``markupsafe.escape``: the same
    five characters replaced, markup left as it is), but as a plain str. The parts of pages
    written in Python (kb.site.entry_parts, the cards) escape some 60 values a page, where a
    Markup object for each, then formatted into an f-string, cost twice the escaping itself
    (0.5 against 0.2 µs a value)."""
    if type(value) is str:
        text = value
    else:
        html = getattr(value, "__html__", None)
        if html is not None:
            return str(html())
        text = str(value)
    return (
        text.replace("&", "&amp;").replace(">", "&gt;").replace("<", "&lt;").replace("'", "&#39;").replace('"', "&#34;")
    )
