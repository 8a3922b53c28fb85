"""Snippets: the best fragments of a hit's text around the query's words, marked.

Whoosh's highlighter (its fragmenter's limits, scorer, order and a ``Formatter`` of kb's),
given the query's words once per query instead of looking them up again for every hit, and a
window of a long text rather than all of it (``window``). The fragments themselves are cut by
``kb.search.engine.fragments``.
"""

from __future__ import annotations

import bisect
import functools
import html
import re
from collections.abc import Collection
from typing import Any

from whoosh.highlight import ContextFragmenter, Formatter, Highlighter, get_text, top_fragments
from whoosh.support.charset import accent_map

from kb.search.analysis import TOKEN, analysed
from kb.search.engine.fragments import cut_fragments


class Mark(Formatter):
    """Wraps matched words in <mark>, escaping the rest: safe to put in a page or JSON."""

    between = " … "

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        return f"<mark>{html.escape(get_text(text, token, replace))}</mark>"

    def format_fragment(self, fragment: Any, replace: bool = False) -> str:
        out: list[str] = []
        index_ = fragment.startchar
        for token in fragment.matches:
            if token.startchar > index_:
                out.append(html.escape(fragment.text[index_ : token.startchar]))
            out.append(self.format_token(fragment.text, token, replace))
            index_ = token.endchar
        out.append(html.escape(fragment.text[index_ : fragment.endchar]))
        return "".join(out)


HIGHLIGHTER = Highlighter(fragmenter=ContextFragmenter(maxchars=160, surround=60), formatter=Mark())


def highlight(text: str, words: Collection[str] | None, lang: str, chain: Any, top: int) -> str:
    """The ``top`` best fragments of ``text`` around ``words``, marked (Whoosh's highlighter,
    given the words once per query instead of looking them up again for every hit)."""
    if not text or not words:
        return ""
    text = window(text, words, lang, chain)
    if not text:
        return ""
    best = top_fragments(
        cut_fragments(text, words, lang, chain, HIGHLIGHTER.fragmenter),
        top,
        HIGHLIGHTER.scorer,
        HIGHLIGHTER.order,
        minscore=1,
    )
    return str(HIGHLIGHTER.formatter.format(best))


SNIPPET_WINDOW = 450  # characters of a long text given to the highlighter


def window(text: str, words: Collection[str], lang: str, chain: Any) -> str:
    """The part of a long text where the query's words are densest: analysing every word of
    every hit's text was most of a query's time. Words are found by their stems, which begin the
    words, accents and case aside (accessibilit-é); when none is found that way (a stemmer that
    changes letters, or a hit found by its title or labels), the distinct words of the text that
    analyse into a query word are looked for; none: "" (nothing to highlight)."""
    if len(text) <= SNIPPET_WINDOW:
        return text
    found = [m.start() for m in stems_pattern(frozenset(words)).finditer(text)]
    if not found:
        matching = [word for word in dict.fromkeys(TOKEN.findall(text)) if analysed(word, lang, chain) in words]
        if not matching:
            return ""
        pattern = re.compile(
            r"(?<![\w.])(?:" + "|".join(map(re.escape, sorted(matching, key=len, reverse=True))) + r")(?![\w])"
        )
        found = [m.start() for m in pattern.finditer(text)]
        if not found:
            return text
    best, most = found[0], 0
    for i, start in enumerate(found):
        inside = bisect.bisect_left(found, start + SNIPPET_WINDOW - 120, i) - i
        if inside > most:
            best, most = start, inside
    begin = max(0, best - 60)
    if begin:  # start on a word
        space = text.find(" ", begin)
        begin = space + 1 if 0 <= space < best else begin
    return text[begin : begin + SNIPPET_WINDOW]


FOLD = {code: value for code, value in accent_map.items() if isinstance(value, str) and len(value) == 1}
ACCENTED: dict[str, str] = {}  # a folded letter -> a regex class of the letters that fold to it
for _code, _letter in FOLD.items():
    if _letter.isalpha() and chr(_code).lower() == chr(_code) and chr(_code) != _letter:
        ACCENTED[_letter] = ACCENTED.get(_letter, _letter) + chr(_code)


@functools.lru_cache(maxsize=256)
def stems_pattern(stems: frozenset[str]) -> re.Pattern[str]:
    """A regex for the words that begin with one of ``stems``, accents and case aside: made
    once per query's words, not once per hit."""
    ordered = sorted((stem for stem in stems if stem), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(accented, ordered)) + r")", re.IGNORECASE)


def accented(stem: str) -> str:
    """A regex matching ``stem`` with or without accents (case is left to re.IGNORECASE)."""
    return "".join(f"[{re.escape(ACCENTED[c])}]" if c in ACCENTED else re.escape(c) for c in stem)
