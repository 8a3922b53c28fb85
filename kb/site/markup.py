"""Entry bodies to safe HTML: Python-Markdown, then nh3 with an allow-list.

Bodies come from pull requests, so whatever HTML they hold is untrusted: the allow-list
keeps structure (headings with their ids, lists, tables, links, emphasis, code) and drops
scripts, event handlers, styles, iframes and any URL that is not http(s), mailto or relative.
"""

from __future__ import annotations

import markdown
import nh3
from markdown.extensions.toc import TocExtension

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


class Renderer:
    """One Markdown instance, reset between bodies (building a new one per body is slower)."""

    def __init__(self) -> None:
        self._markdown = markdown.Markdown(
            extensions=["tables", "sane_lists", "fenced_code", TocExtension(baselevel=2, toc_depth="2-6")],
            output_format="html",
        )

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
