"""The fragments of a snippet, cut as Whoosh's ``ContextFragmenter`` cuts them, without its tokens.

Whoosh's highlighter analyses the whole text into Token objects, marks the matched ones, merges
them and cuts fragments around them: three generators and an object per word, most of a
snippet's time. ``fragments`` does the same steps in one loop over the words' spans and makes
the ``Fragment`` objects Whoosh's scorer and formatter read (through ``mkfrag``), with
``Match`` standing for a matched token. tests/test_search.py compares the result with Whoosh's
own highlighter on every entry.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection
from typing import Any

from whoosh.highlight import ContextFragmenter, Fragment, mkfrag

from kb.search.analysis import ANALYSED, TOKEN, analysed


class Match:
    """A matched word of a fragment: what Whoosh's fragment scorer and formatter read of a token."""

    __slots__ = ("text", "startchar", "endchar")
    boost = 1.0

    def __init__(self, text: str, startchar: int, endchar: int) -> None:
        self.text, self.startchar, self.endchar = text, startchar, endchar


def cut_fragments(
    text: str, words: Collection[str], lang: str, chain: Any, fragmenter: ContextFragmenter
) -> list[Fragment]:
    """The fragments Whoosh's ``ContextFragmenter`` cuts around ``words`` in ``text``, given
    the tokens of ``chain(text, chars=True, mode="index", removestops=False)`` marked by
    ``set_matched_filter`` and merged by ``_merge_matched_tokens``: the same steps in one loop
    over the words' spans, without a Token object and three generators per word (most of a
    snippet's time), for ``fragmenter``'s limits. Each distinct word is analysed once per process. Two words of TOKENS never
    touch, so merging leaves them as they are; a text here is a window far below the
    fragmenter's character limit."""
    maxchars, surround = fragmenter.maxchars, fragmenter.surround
    found: list[Fragment] = []
    first: int | None = None
    firsts: deque[int] = deque()
    matches: list[Match] = []
    countdown, length, end = -1, 0, 0
    known = ANALYSED.get(lang, {})
    for match in TOKEN.finditer(text):
        start, end = match.span()
        size = end - start
        word = known.get(match.group()) or analysed(match.group(), lang, chain)
        matched = word in words
        if countdown < 0 and not matched:  # outside a fragment: keep the context before it
            firsts.append(start)
            while firsts and end - firsts[0] > surround:
                firsts.popleft()
        elif length + size > maxchars:
            countdown = 0
        elif matched:
            countdown = surround
            if first is None:
                if firsts:
                    first = firsts[0]
                else:
                    first = start
                    countdown += surround
            matches.append(Match(word, start, end))
        if countdown >= 0:
            length += size
            countdown -= size
            if countdown <= 0:
                found.append(mkfrag(text, matches, startchar=first, endchar=end))
                first, firsts, matches, length = None, deque(), [], 0
    if matches:
        found.append(mkfrag(text, matches, startchar=first, endchar=end))
    return found
