"""How text becomes indexed words, the same for entries and for queries.

Each entry's text goes into the fields of its own language, analysed by that language's chain:
tokenize, lowercase, fold accents, drop stop words, stem. Folding happens *before* stemming, so
that a query typed without accents (``accessibilite``) meets the same stem as the text
(``accessibilité``). One language's title, summary, body and labels are one text, its parts
separated by ``SECTION`` and each word weighted by its part (``Sections``). Built from Whoosh's
public analysis classes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import Any

from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.lang import stopwords_for_language
from whoosh.support.charset import accent_map

from kb.entries.vocab import LANGS, fold

TOKENS = r"\w+(?:[.]\w+)*"


# Stop words of every language, dropped in every field: a query is parsed against the fields of all
# languages, and a word that one language drops (French 'de', 'et') but another keeps would
# otherwise be required in that other language's fields, where it never occurs.
# 'est' stays searchable: it is the East of Nord-Est and Sud-Est.
STOPWORDS = frozenset(fold(w) for lang in LANGS for w in stopwords_for_language(lang)) - {"est"}


class FoldAccents(CharsetFilter):
    """``CharsetFilter(accent_map)`` after lowercasing, leaving plain ASCII words (most) as they
    are: the map changes no lowercase ASCII letter, and translating every word through its 700
    entries was a good part of analysing a text."""

    def __init__(self) -> None:
        super().__init__(accent_map)

    def __call__(self, tokens: Iterable[Any]) -> Iterator[Any]:
        charmap = self.charmap
        for t in tokens:
            if not t.text.isascii():
                t.text = t.text.translate(charmap)
            yield t


def analyzer(lang: str) -> Any:
    """tokenize -> lowercase -> fold accents -> stop words -> stem, for one language."""
    return (
        RegexTokenizer(TOKENS)
        | LowercaseFilter()
        | FoldAccents()
        | StopFilter(stoplist=STOPWORDS, minsize=2)
        | StemFilter(lang=lang, cachesize=100_000)
    )


def folding(stop: bool = True) -> Any:
    chain = RegexTokenizer(TOKENS) | LowercaseFilter() | FoldAccents()
    return chain | StopFilter(stoplist=STOPWORDS, minsize=2) if stop else chain


# One language's text is one field, its parts separated by SECTION and weighted per word: a word of
# the title counts 4 times, of the summary 1.5, of the body once, of a vocabulary label half. One
# posting list per word and language, not four (title, summary, body, labels), is what a query reads.
SECTION = "\x1e"
SECTION_BOOSTS = (4.0, 1.5, 1.0, 0.5)  # title, summary, body, labels
SECTION_GAP = 100  # positions left between two parts, so that a phrase never spans them


class Sections(Analyzer):
    """One language's chain (``analyzer(lang)``) run over each part of a SECTION-separated text,
    each token weighted by its part (SECTION_BOOSTS), the positions of a part starting well after
    the previous part's. Text without SECTION (a query) is analysed as the chain does."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.chain = analyzer(lang)

    def has_morph(self) -> bool:
        return bool(self.chain.has_morph())

    def __call__(
        self,
        value: str,
        positions: bool = False,
        chars: bool = False,
        boosts: bool = False,
        start_pos: int = 0,
        start_char: int = 0,
        **kwargs: Any,
    ) -> Iterator[Any]:
        if SECTION not in value:
            yield from self.chain(
                value,
                positions=positions,
                chars=chars,
                boosts=boosts,
                start_pos=start_pos,
                start_char=start_char,
                **kwargs,
            )
            return
        pos, char = start_pos, start_char
        for number, part in enumerate(value.split(SECTION)):
            boost = SECTION_BOOSTS[number] if number < len(SECTION_BOOSTS) else 1.0
            last = None
            for token in self.chain(
                part, positions=positions, chars=chars, boosts=boosts, start_pos=pos, start_char=char, **kwargs
            ):
                if boosts:
                    token.boost *= boost
                if positions:
                    last = token.pos
                yield token
            if last is not None:
                pos = last + SECTION_GAP
            char += len(part) + 1


TOKEN = re.compile(TOKENS)
ANALYSED: dict[str, dict[str, str]] = {}  # per language: a word -> what ``chain`` makes of it


def analysed(word: str, lang: str, chain: Any) -> str:
    """What ``chain`` makes of one word (its stem, folded), remembered."""
    known = ANALYSED.get(lang)
    if known is None or len(known) > 200_000:
        known = ANALYSED[lang] = {}
    found = known.get(word)
    if found is None:
        found = known[word] = next((str(t.text) for t in chain(word, mode="index", removestops=False)), word)
    return found


def unsectioned(text: str) -> str:
    return text.replace(SECTION, " ")


def exact_key(text: str) -> str:
    """A title or query reduced to its folded words, for exact-title matching."""
    return " ".join(re.findall(r"\w+", fold(text)))


def plain_text(markdown_text: str) -> str:
    """Markdown reduced to words for snippets: no link targets, markup or HTML tags."""
    text = re.sub(r"<!--.*?-->|<[^>]+>", " ", markdown_text, flags=re.S)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[#*_`>|]+", " ", text)
    return " ".join(text.split())
