"""Full-text search with Whoosh: per-language analysis, filters, facet counts, hostile queries.

Everything Whoosh-specific lives here. Each entry's text goes into the fields of its own
language, analysed by that language's chain: tokenize, lowercase, fold accents, drop stop words,
stem. Folding happens *before* stemming, so that a query typed without accents (``accessibilite``)
meets the same stem as the text (``accessibilité``). A query is parsed against every language's
fields, so a Dutch reader finds French entries (and the vocabulary labels of every entry are
indexed in every language).

One field per language holds the title, summary, body and labels (``text_fr``...), each word
weighted by where it stands (``Sections``): a word's postings are one list of ids and weights,
read without positions. Phrases are checked against a second field with positions
(``phrase_fr``), read only for "quoted phrases": its posting blocks hold each position as
``(document << 32) + position``, so that a phrase is found by intersecting sets of those numbers.
Posting blocks (``_Codec``) are written uncompressed, their numbers as arrays: a search reads
every block of its words, in a few copies rather than an object per posting.

The index is derived from the store: ``sync()`` compares its own stored digests with the
store's and rewrites only what differs, so it repairs itself after an interrupted run. After a
run it records the store's revision; the next run, if the index still matches that revision,
writes its own changes alone (``update()``) without comparing every digest. A ``kb-format`` file
names the schema and analysis the index was written with; another one gets it rebuilt.

Searching keeps one searcher open (``_View``, with what it reads once per opened index) and
evaluates the common query shapes itself (``_Evaluation``): the documents a query matches are
found as sets (all of them are counted and faceted), and only those that may be among the best
are scored (``_Evaluation.candidates``: each word's score has a bound), with Whoosh's own BM25F
formula and statistics, so matches, scores and order are Whoosh's. Facets are counted with a
mask per value, snippets cut as Whoosh's highlighter cuts them, over a window of the text.
"""

from __future__ import annotations

import bisect
import functools
import heapq
import html
import re
import sys
import types
import unicodedata
import weakref
from array import array
from collections import Counter, deque
from dataclasses import asdict, dataclass, field, replace
from itertools import accumulate, filterfalse, repeat
from pathlib import Path
from typing import TYPE_CHECKING


def _import_whoosh_lightly() -> None:
    """Import Whoosh without two modules it imports for nothing kb uses: ``whoosh.compat``
    imports ``urllib.request`` for ``urlretrieve`` (which pulls in email, http.client and ssl),
    ``whoosh.reading`` the ``cached_property`` package (which imports asyncio); together a fifth
    of a ``kb search`` process. While Whoosh is first imported those two names are served by
    small stand-ins, which are then taken out of ``sys.modules``: whatever imports them later
    gets the real modules."""
    if "whoosh.reading" in sys.modules:
        return
    standins = {}
    if "urllib.request" not in sys.modules:
        request = types.ModuleType("urllib.request")

        def urlretrieve(*args, **kwargs):
            from urllib.request import urlretrieve as real

            return real(*args, **kwargs)

        request.urlretrieve = urlretrieve
        standins["urllib.request"] = request
    if "cached_property" not in sys.modules:
        package = types.ModuleType("cached_property")
        package.cached_property = _CachedProperty
        standins["cached_property"] = package
    sys.modules.update(standins)
    try:
        import whoosh.compat
        import whoosh.reading  # noqa: F401
    finally:
        for name, module in standins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


class _CachedProperty:
    """What ``cached_property.cached_property`` does for a plain method (computed once, then an
    attribute of the instance), without importing asyncio for coroutine methods."""

    def __init__(self, func):
        self.__doc__ = func.__doc__
        self.func = func

    def __get__(self, obj, cls):
        if obj is None:
            return self
        value = obj.__dict__[self.func.__name__] = self.func(obj)
        return value


_import_whoosh_lightly()

from whoosh import columns, fields, formats, index, qparser, query, scoring, writing
from whoosh.analysis import (
    Analyzer,
    CharsetFilter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
)
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    W3Codec,
    W3FieldWriter,
    W3LeafMatcher,
    W3PostingsWriter,
    _lenfield,
)
from whoosh.highlight import (
    ContextFragmenter,
    Formatter,
    Fragment,
    Highlighter,
    get_text,
    mkfrag,
    top_fragments,
)
from whoosh.lang import stopwords_for_language
from whoosh.matching import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.support.charset import accent_map
from whoosh.util.numeric import byte_to_length, length_to_byte

from kb.files import write_atomically
from kb.store.filters import TAG_FIELDS, Filters
from kb.entries import vocab
from kb.entries.vocab import LANGS, Vocabularies, fold

if TYPE_CHECKING:
    from kb.entries.schema import Entry
    from kb.entries.territories import Reach

FORMAT = "6"  # of the index: bump when schema() or the analysis changes, and 'kb index' rebuilds it
MAX_QUERY = 500
PRUNE_FROM = 1000  # matches in a segment before some are left unscored (see _Evaluation.candidates)
SEED = 3  # times the hits asked for: the documents scored first, for a threshold
MIN_PREFIX = 3  # letters before a wildcard
MAX_WILDCARDS = 3  # words with a wildcard in one query
MAX_SUGGESTED = 30  # longer words get no 'did you mean'
MAX_SUGGESTIONS = 5  # unknown words looked up for 'did you mean', per query
EXACT_TITLE_BOOST = 50.0
TOKENS = r"\w+(?:[.]\w+)*"
SEP = "\x1f"
SEPB = SEP.encode()
OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


# Stop words of every language, dropped in every field: a query is parsed against the fields of all
# languages, and a word that one language drops (French 'de', 'et') but another keeps would
# otherwise be required in that other language's fields, where it never occurs.
# 'est' stays searchable: it is the East of Nord-Est and Sud-Est.
STOPWORDS = frozenset(fold(w) for lang in LANGS for w in stopwords_for_language(lang)) - {"est"}


class FoldAccents(CharsetFilter):
    """``CharsetFilter(accent_map)`` after lowercasing, leaving plain ASCII words (most) as they
    are: the map changes no lowercase ASCII letter, and translating every word through its 700
    entries was a good part of analysing a text."""

    def __init__(self):
        super().__init__(accent_map)

    def __call__(self, tokens):
        charmap = self.charmap
        for t in tokens:
            if not t.text.isascii():
                t.text = t.text.translate(charmap)
            yield t


def analyzer(lang: str):
    """tokenize -> lowercase -> fold accents -> stop words -> stem, for one language."""
    return (
        RegexTokenizer(TOKENS)
        | LowercaseFilter()
        | FoldAccents()
        | StopFilter(stoplist=STOPWORDS, minsize=2)
        | StemFilter(lang=lang, cachesize=100_000)
    )


def _folding(stop: bool = True):
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

    def __init__(self, lang: str):
        self.lang = lang
        self.chain = analyzer(lang)

    def has_morph(self) -> bool:
        return self.chain.has_morph()

    def __call__(self, value, positions=False, chars=False, boosts=False, start_pos=0, start_char=0, **kwargs):
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


class _Positions(formats.Positions):
    """Whoosh's ``Positions`` with a posting's positions as 4-byte integers (``array("I")``)
    instead of a pickled list of gaps: pickling them was a third of writing the index, and
    unpickling them most of a phrase search."""

    def word_values(self, value, analyzer, **kwargs):
        found: dict[str, list[int]] = {}
        weights: dict[str, float] = {}
        kwargs["positions"] = kwargs["boosts"] = True
        for token in formats.tokens(value, analyzer, kwargs):
            found.setdefault(token.text, []).append(token.pos)
            weights[token.text] = weights.get(token.text, 0.0) + token.boost
        for word, positions in found.items():
            yield word, len(positions), weights[word] * self.field_boost, self.encode(positions)

    def encode(self, poslist) -> bytes:
        return array("I", poslist).tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return array("I", valuestring).tolist()

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 4


class _PostingsWriter(W3PostingsWriter):
    """Writes a block's documents and weights as the bytes of two arrays, not as tuples of
    numbers: reading a block is then two copies, not an object made per posting by the unpickler
    (a search reads every block of its words). A weight shared by the whole block is written
    once, as Whoosh does.

    A ``_Positions`` field's values are two strings too, not one string per posting (a string
    costs a function call to unpickle with protocol 2): every position as ``(document << 32) +
    position`` (8 bytes), the postings one after the other, and how many positions each posting
    has. A phrase search then reads a word's positions as numbers that say their document too,
    and intersects them as sets (see ``_Evaluation._phrase_docs``). The document is the one this
    block is written for, so a merge, which gives documents new numbers, writes new keys."""

    def _mini_ids(self):
        return super()._mini_ids() if self._byteids else self._ids.tobytes()

    def _mini_weights(self):
        weights = self._weights
        if any(w != weights[0] for w in weights):
            return weights.tobytes()
        return None if weights[0] == 1.0 else weights[0]

    def _mini_values(self):
        if not isinstance(self._format, _Positions):
            return super()._mini_values()
        keys = array("Q")
        for docnum, value in zip(self._ids, self._values):
            keys.extend(map((docnum << 32).__add__, array("I", value)))
        return [keys.tobytes(), array("I", [len(v) // 4 for v in self._values]).tobytes()]


class _LeafMatcher(W3LeafMatcher):
    """Reads what ``_PostingsWriter`` writes, for Whoosh's own matchers as for kb's."""

    def _read_ids(self):
        if self._data is None:
            self._read_data()
        if type(self._data[0]) is not bytes:
            return super()._read_ids()
        self._ids = array("I", self._data[0])

    def _read_weights(self):
        if self._data is None:
            self._read_data()
        weights = self._data[1]  # a block's weights, or the one weight they all have (None: 1.0)
        if type(weights) is bytes:
            self._weights = array("f", weights)
        elif weights is None or type(weights) is float:
            self._weights = array("f", [1.0 if weights is None else weights]) * self._blocklength
        else:  # a tuple: written by Whoosh's own writer
            super()._read_weights()

    def _read_values(self):
        if self._data is None:
            self._read_data()
        if type(self._data[2]) is not list:
            return super()._read_values()
        keys, counts = self._data[2]
        positions = array("I", map(0xFFFFFFFF.__and__, array("Q", keys))).tobytes()
        ends = list(accumulate(4 * n for n in array("I", counts)))
        self._values = tuple(positions[start:end] for start, end in zip([0, *ends], ends))


class _Lengths:
    """A segment's field lengths for writing its postings, each field's column read in one go:
    Whoosh asks for the length of a posting's document at every posting it writes, and looking
    each up in the column was a tenth of writing the index."""

    def __init__(self, perdoc):
        self._perdoc = perdoc
        self._fields: dict[str, list[int]] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        lengths = self._fields.get(fieldname)
        if lengths is None:
            lengths = self._fields[fieldname] = [_LENGTH_OF[b] for b in _field_length_bytes(self._perdoc, fieldname)]
        return lengths[docnum] if docnum < len(lengths) else default


class _FieldWriter(W3FieldWriter):
    """Whoosh's W3 field writer, given the field lengths as ``_Lengths``."""

    def add_postings(self, schema, lengths, items):
        super().add_postings(schema, _Lengths(lengths) if lengths is not None else None, items)


class _Codec(W3Codec):
    """Whoosh's W3 codec with ``_FieldWriter``, ``_PostingsWriter`` and ``_LeafMatcher``."""

    def field_writer(self, storage, segment):
        return _FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile, byteids=False):
        return _PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def postings_reader(self, dbfile, terminfo, format_, term=None, scorer=None):
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return _LeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)


# Posting blocks of up to 1,024 postings, not compressed: a search reads every block of its words'
# postings, and decompressing them was half of reading them (the index is about twice as large:
# ~85 MB of postings for 10,000 entries).
CODEC = _Codec(blocklimit=1024, compression=0)


def schema() -> fields.Schema:
    per_language = {}
    for lang in LANGS:
        # text_*: scored, without positions (a word's postings are ids and weights, cheap to read);
        # phrase_*: the same title, summary and body with positions, read only for "phrases".
        per_language[f"text_{lang}"] = fields.TEXT(analyzer=Sections(lang), phrase=False)
        per_language[f"phrase_{lang}"] = phrase = fields.TEXT(analyzer=Sections(lang))
        phrase.format = _Positions()
    tags = {name: fields.KEYWORD(commas=True, lowercase=False) for name in TAG_FIELDS}
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        names=fields.TEXT(analyzer=_folding(), phrase=False),
        words=fields.TEXT(analyzer=_folding(stop=False), phrase=False),  # what 'did you mean' may offer
        year=fields.NUMERIC(int, bits=16, sortable=True),
        sort_title=fields.COLUMN(columns.VarBytesColumn()),
        title_exact=fields.ID(),  # the whole title, normalised: a query that is the title ranks it first
        key=fields.COLUMN(columns.VarBytesColumn()),
        facets=fields.COLUMN(columns.VarBytesColumn()),
        data=fields.STORED,
        **per_language,
        **tags,
    )


@dataclass
class Hit:
    id: str
    title: str
    year: int
    type: str
    language: str
    tags: dict[str, list[str]]
    summary: str | None
    snippet: str
    score: float | None
    translations: dict[str, list[str | None]] = field(default_factory=dict)  # language -> [title, summary]
    broader: bool = False  # found through a territory around the one asked for (kb.entries.territories)


@dataclass
class Results:
    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    notes: list[str] = field(default_factory=list)
    suggestion: str | None = None
    broader_total: int = 0  # of ``total``, the entries about a territory around the one asked for

    def as_dict(self) -> dict:
        return asdict(self)


class _Mark(Formatter):
    """Wraps matched words in <mark>, escaping the rest: safe to put in a page or JSON."""

    between = " … "

    def format_token(self, text, token, replace=False):
        return f"<mark>{html.escape(get_text(text, token, replace))}</mark>"

    def format_fragment(self, fragment, replace=False):
        out, index_ = [], fragment.startchar
        for token in fragment.matches:
            if token.startchar > index_:
                out.append(html.escape(fragment.text[index_ : token.startchar]))
            out.append(self.format_token(fragment.text, token, replace))
            index_ = token.endchar
        out.append(html.escape(fragment.text[index_ : fragment.endchar]))
        return "".join(out)


_HIGHLIGHTER = Highlighter(fragmenter=ContextFragmenter(maxchars=160, surround=60), formatter=_Mark())


def _highlight(text: str, words, lang: str, chain, top: int) -> str:
    """The ``top`` best fragments of ``text`` around ``words``, marked (Whoosh's highlighter,
    given the words once per query instead of looking them up again for every hit)."""
    if not text or not words:
        return ""
    text = _window(text, words, lang, chain)
    if not text:
        return ""
    fragments = top_fragments(
        _fragments(text, words, lang, chain), top, _HIGHLIGHTER.scorer, _HIGHLIGHTER.order, minscore=1
    )
    return _HIGHLIGHTER.formatter.format(fragments)


_TOKEN = re.compile(TOKENS)
_ANALYSED: dict[str, dict[str, str]] = {}  # per language: a word -> what ``chain`` makes of it


def _analysed(word: str, lang: str, chain) -> str:
    """What ``chain`` makes of one word (its stem, folded), remembered."""
    analysed = _ANALYSED.get(lang)
    if analysed is None or len(analysed) > 200_000:
        analysed = _ANALYSED[lang] = {}
    found = analysed.get(word)
    if found is None:
        found = analysed[word] = next((t.text for t in chain(word, mode="index", removestops=False)), word)
    return found


class _Match:
    """A matched word of a fragment: what Whoosh's fragment scorer and formatter read of a token."""

    __slots__ = ("text", "startchar", "endchar")
    boost = 1.0

    def __init__(self, text: str, startchar: int, endchar: int):
        self.text, self.startchar, self.endchar = text, startchar, endchar


def _fragments(text: str, words, lang: str, chain) -> list[Fragment]:
    """The fragments Whoosh's ``ContextFragmenter`` cuts around ``words`` in ``text``, given
    the tokens of ``chain(text, chars=True, mode="index", removestops=False)`` marked by
    ``set_matched_filter`` and merged by ``_merge_matched_tokens``: the same steps in one loop
    over the words' spans, without a Token object and three generators per word (most of a
    snippet's time). Each distinct word is analysed once per process. Two words of TOKENS never
    touch, so merging leaves them as they are; a text here is a window far below the
    fragmenter's character limit."""
    maxchars, surround = _HIGHLIGHTER.fragmenter.maxchars, _HIGHLIGHTER.fragmenter.surround
    fragments: list[Fragment] = []
    first, firsts, countdown, matches, length, end = None, deque(), -1, [], 0, None
    known = _ANALYSED.get(lang, {})
    for match in _TOKEN.finditer(text):
        start, end = match.span()
        size = end - start
        word = known.get(match.group()) or _analysed(match.group(), lang, chain)
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
            matches.append(_Match(word, start, end))
        if countdown >= 0:
            length += size
            countdown -= size
            if countdown <= 0:
                fragments.append(mkfrag(text, matches, startchar=first, endchar=end))
                first, firsts, matches, length = None, deque(), [], 0
    if matches:
        fragments.append(mkfrag(text, matches, startchar=first, endchar=end))
    return fragments


SNIPPET_WINDOW = 450  # characters of a long text given to the highlighter


def _window(text: str, words, lang: str, chain) -> str:
    """The part of a long text where the query's words are densest: analysing every word of
    every hit's text was most of a query's time. Words are found by their stems, which begin the
    words, accents and case aside (accessibilit-é); when none is found that way (a stemmer that
    changes letters, or a hit found by its title or labels), the distinct words of the text that
    analyse into a query word are looked for; none: "" (nothing to highlight)."""
    if len(text) <= SNIPPET_WINDOW:
        return text
    found = [m.start() for m in _stems_pattern(frozenset(words)).finditer(text)]
    if not found:
        matching = [word for word in dict.fromkeys(_TOKEN.findall(text)) if _analysed(word, lang, chain) in words]
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


_FOLD = {code: value for code, value in accent_map.items() if isinstance(value, str) and len(value) == 1}
_ACCENTED: dict[str, str] = {}  # a folded letter -> a regex class of the letters that fold to it
for _code, _letter in _FOLD.items():
    if _letter.isalpha() and chr(_code).lower() == chr(_code) and chr(_code) != _letter:
        _ACCENTED[_letter] = _ACCENTED.get(_letter, _letter) + chr(_code)


@functools.lru_cache(maxsize=256)
def _stems_pattern(stems: frozenset[str]) -> re.Pattern:
    """A regex for the words that begin with one of ``stems``, accents and case aside: made
    once per query's words, not once per hit."""
    ordered = sorted((stem for stem in stems if stem), key=len, reverse=True)
    return re.compile(r"(?<!\w)(?:" + "|".join(map(_accented, ordered)) + r")", re.IGNORECASE)


def _accented(stem: str) -> str:
    """A regex matching ``stem`` with or without accents (case is left to re.IGNORECASE)."""
    return "".join(f"[{re.escape(_ACCENTED[c])}]" if c in _ACCENTED else re.escape(c) for c in stem)


def _unsectioned(text: str) -> str:
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


def clean_query(text: str) -> tuple[str, list[str]]:
    """Make any user input safe to parse; say what was changed."""
    notes = []
    if not text.isprintable():  # (most queries are: no look-up per character)
        text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    text = text.replace("’", "'").replace("‘", "'")
    if len(text) > MAX_QUERY:
        text = text[:MAX_QUERY].rsplit(" ", 1)[0]
        notes.append(f"the query was cut to its first {MAX_QUERY} characters")
    text = re.sub(r"(?<=\w)\?+(?=[\s\W]|$)", " ", text)  # 'Brussel?' ends a question: not a wildcard
    stripped = re.sub(r"(?<![\w])[*?]+", " ", text)
    if stripped != text and stripped.strip():
        notes.append("wildcards are only allowed at the end of a word (accessib*)")
    text = _limit_wildcards(" ".join(stripped.split()), notes)
    if text.count('"') % 2:
        text = text.replace('"', " ")
        notes.append("an unclosed quote was ignored")
    return text.strip(), notes


def _limit_wildcards(text: str, notes: list[str]) -> str:
    """A wildcard expands to every indexed word it fits: keep it to a few, each after 3 letters."""
    short, extra, kept = [], [], 0

    def limit(match: re.Match) -> str:
        nonlocal kept
        word = match.group(0)
        plain = re.sub(r"[*?]", "", word)
        if len(re.split(r"[*?]", word, maxsplit=1)[0]) < MIN_PREFIX:
            short.append(word)
            return plain
        kept += 1
        if kept > MAX_WILDCARDS:
            extra.append(word)
            return plain
        return word

    text = re.sub(r"\w[\w*?]*[*?][\w*?]*", limit, text)
    if short:
        notes.append(
            f"a wildcard needs {MIN_PREFIX} letters before it (accessib*): {', '.join(short[:5])} searched without it"
        )
    if extra:
        notes.append(
            f"only {MAX_WILDCARDS} words with wildcards are searched as such: "
            f"{', '.join(extra[:5])} searched without it"
        )
    return " ".join(text.split())


class _View:
    """One open searcher and what queries keep asking it, read once per opened index: the
    segments' readers, field lengths, facet values per document, years, the query parser.

    Whoosh scores a query by walking a tree of matchers, one Python call per posting and per
    node; for the queries readers type (words or phrases across the fields of three languages,
    AND, OR, NOT, an exact-title bonus, filters) that is most of a search's time. Here the common
    nodes are evaluated by ``_Evaluation``, with the very formula and statistics Whoosh's BM25F
    uses, so scores and order are Whoosh's; any other node (a fuzzy term...) is scored by
    Whoosh's own matcher.
    """

    def __init__(self, searcher):
        self.searcher = searcher
        self.schema = searcher.schema
        self.weighting = searcher.weighting
        self.context = searcher.context()
        self.segments = [(sub, offset, sub.reader()) for sub, offset in searcher.leaf_searchers()]
        self.bm25 = isinstance(self.weighting, scoring.BM25F)
        self.parser = None
        self._norms: dict[tuple[int, str], list[float]] = {}
        self._tables: dict[str, list[float]] = {}
        self._all: dict[int, list[int]] = {}
        self._deleted: dict[int, frozenset[int]] = {}
        self._by_year: dict[int, dict[int, list[int]]] = {}
        self._raw_facets: list[bytes] | None = None
        self._facets: list[tuple[bytes, ...] | None] = []
        self._years: list[int] | None = None
        self._masks: dict[bytes, int] | None = None
        self._counted = 0
        self._titles: list[bytes] | None = None

    # -- matches and scores -------------------------------------------------------------------------

    def scores(self, q: query.Query) -> dict[int, float]:
        """Every document matching ``q`` (global number) -> its score, with nothing pruned: the
        oracle tests/test_search.py and test_search_synthetic.py compare the MaxScore path and
        Whoosh's own matchers with."""
        result: dict[int, float] = {}
        for number, (sub, offset, reader) in enumerate(self.segments):
            evaluation = _Evaluation(self, number, sub, reader)
            docs = evaluation.docs(q)
            if docs:
                scores = evaluation.scores(q)
                result.update((d + offset, scores[d]) for d in docs)
        return result

    def ranked(self, q: query.Query, limit: int) -> tuple[list[int], list[tuple[float, int]]]:
        """(every document matching ``q``, the best ``limit`` of them as (score, document)), in
        global numbers; ties go to the lower document number, as in Whoosh. Every match is
        counted (facets count them all), only those that may be among the best are scored."""
        matched: list[int] = []
        best: list[tuple[float, int]] = []
        for number, (sub, offset, reader) in enumerate(self.segments):
            evaluation = _Evaluation(self, number, sub, reader)
            docs = evaluation.docs(q)
            if not docs:
                continue
            matched.extend(docs if not offset else (d + offset for d in docs))
            best.extend((score, d + offset) for score, d in evaluation.best(q, limit))
        best.sort(key=lambda pair: (-pair[0], pair[1]))
        return matched, best[: max(limit, 0)]

    def matches(self, q: query.Query) -> list[int]:
        """Every document matching ``q`` (global numbers, ascending), without scoring them."""
        found: list[int] = []
        for number, (sub, offset, reader) in enumerate(self.segments):
            local = sorted(_Evaluation(self, number, sub, reader).docs(q))
            found.extend(local if not offset else [d + offset for d in local])
        return found

    def norms(self, seg: int, reader, fieldname: str) -> list[float]:
        """Each document's norm (``norm_table``) by its length byte, made once per field."""
        key = (seg, fieldname)
        if key not in self._norms:
            self._norms[key] = list(map(self.norm_table(fieldname).__getitem__, _field_length_bytes(reader, fieldname)))
        return self._norms[key]

    def norm_table(self, fieldname: str) -> list[float]:
        """K1 * ((1 - B) + B * length / average length) for each length byte: Whoosh keeps a
        document's field length as one byte, so its norm is a look-up by that byte."""
        if fieldname not in self._tables:
            weighting = self.weighting
            b = getattr(weighting, "_field_B", {}).get(fieldname, weighting.B)
            k1 = weighting.K1
            avgfl = self.searcher.avg_field_length(fieldname) or 1
            self._tables[fieldname] = [
                k1 * ((1 - b) + b * length / avgfl) if length is not None else k1 for length in _LENGTHS
            ]
        return self._tables[fieldname]

    def all_ids(self, seg: int, reader) -> list[int]:
        """The segment's documents but the deleted ones."""
        if seg not in self._all:
            self._all[seg] = list(filterfalse(self.deleted(seg, reader).__contains__, range(reader.doc_count_all())))
        return self._all[seg]

    def by_year(self, seg: int) -> dict[int, list[int]]:
        """Year -> the segment's documents of that year (local numbers, deleted ones left out),
        made once per opened index."""
        if seg not in self._by_year:
            _, offset, reader = self.segments[seg]
            years, found = self.years(), {}
            for d in self.all_ids(seg, reader):
                found.setdefault(years[d + offset], []).append(d)
            self._by_year[seg] = found
        return self._by_year[seg]

    def deleted(self, seg: int, reader) -> frozenset[int]:
        """The segment's deleted documents, which its postings still list."""
        if seg not in self._deleted:
            self._deleted[seg] = reader.deleted_docs_set if reader.has_deletions() else frozenset()
        return self._deleted[seg]

    def years(self) -> list[int]:
        """Every document's year (global numbers), from the facets column, read once."""
        if self._years is None:
            self._years = [_year(pairs) for pairs in self.facet_pairs(range(self.searcher.doc_count_all()))]
        return self._years

    # -- facets ---------------------------------------------------------------------------------------

    def _raw(self) -> list[bytes]:
        """Every document's facets column value (b'dimension=value' pairs joined by SEPB)."""
        if self._raw_facets is None:
            raw: list[bytes] = []
            for sub, offset, reader in self.segments:
                raw.extend(_column_values(reader, "facets"))
            self._raw_facets, self._facets = raw, [None] * len(raw)
        return self._raw_facets

    def facet_pairs(self, docnums) -> list[tuple[bytes, ...]]:
        """The b'dimension=value' pairs of each document. The column is read in one go per
        opened index; a document's pairs are split the first time they are asked for."""
        raw, cache = self._raw(), self._facets
        found = []
        for docnum in docnums:
            pairs = cache[docnum]
            if pairs is None:
                pairs = cache[docnum] = tuple(raw[docnum].split(SEPB)) if raw[docnum] else ()
            found.append(pairs)
        return found

    def facet_counts(self, docnums, masks: bool | None = None) -> Counter:
        """How many of ``docnums`` carry each b'dimension=value' pair.

        Counted document by document for a few documents, and on an index's first count (``kb
        search`` asks once); then with one mask per value, made once per opened index: a query's
        documents as one big integer (a bit per document) ANDed with each value's, and the bits
        counted, a microsecond per value however many documents match. ``masks``: use them
        (True) or not (False) whatever the counts."""
        self._counted += 1
        if masks is None:
            masks = len(docnums) >= 100 and (self._masks is not None or self._counted > 1)
        if not masks:
            raw = self._raw()  # the matched documents' values joined, split and counted in C
            counts = Counter(SEPB.join(map(raw.__getitem__, docnums)).split(SEPB))
            counts.pop(b"", None)
            return counts
        if self._masks is None:
            count = self.searcher.doc_count_all()
            carrying: dict[bytes, list[int]] = {}
            for docnum, pairs in enumerate(self.facet_pairs(range(count))):
                for pair in pairs:
                    carrying.setdefault(pair, []).append(docnum)
            self._masks = {pair: _bitmask(docs, count) for pair, docs in carrying.items()}
        matched = _bitmask(docnums, self.searcher.doc_count_all())
        return Counter({pair: number for pair, mask in self._masks.items() if (number := (matched & mask).bit_count())})

    def newest(self, docnums: list[int], limit: int) -> list[int]:
        """The ``limit`` documents with the latest year, then by folded title, then by number:
        only the documents of the years shown are ordered by title."""
        if not docnums or limit <= 0:
            return []
        years = self.years()
        cut = heapq.nlargest(limit, map(years.__getitem__, docnums))[-1]  # the last year shown
        candidates = [d for d in docnums if years[d] >= cut]
        titles = self.titles()
        return heapq.nsmallest(limit, candidates, key=lambda d: (-years[d], titles[d], d))

    def titles(self) -> list[bytes]:
        """Every document's folded title (global numbers), the column read in one go per
        opened index."""
        if self._titles is None:
            self._titles = [
                title for sub, offset, reader in self.segments for title in _column_values(reader, "sort_title")
            ]
        return self._titles


class _Evaluation:
    """One query in one segment: each term's postings read once, then the documents a node
    matches (sets, intersected in C) and the scores of those of them that may be among the
    best, added into one list.

    Scoring is a Python step per posting of each word, matching a C step: a word's score is
    added over all its postings when every document that will be read has it, over the few
    documents to score by bisection, and only over the documents its node matches otherwise
    (an AND inside an OR). Handled here: terms, AND, OR, AND-MAYBE, AND-NOT, REQUIRE, phrases
    on fields with positions, year ranges, everything; any other node is matched and scored by
    Whoosh's own matcher.
    """

    def __init__(self, view: _View, seg: int, sub, reader):
        self.view, self.seg, self.sub, self.reader = view, seg, sub, reader
        self.deleted = view.deleted(seg, reader)  # left out of every set of documents, not of postings
        self._postings: dict[tuple[str, bytes], tuple[list[int], list[float]] | None] = {}
        self._docs: dict[int, set[int]] = {}
        self._whoosh: dict[int, dict[int, float]] = {}

    # -- which documents ------------------------------------------------------------------------------

    def docs(self, q: query.Query) -> set[int]:
        key = id(q)
        found = self._docs.get(key)
        if found is None:
            found = self._docs[key] = self._match(q)
        return found

    def _match(self, q: query.Query) -> set[int]:
        kind = _kind(q, self.view.bm25)
        if kind == "null":
            return set()
        if kind == "term":
            postings = self.postings(q.fieldname, q.text)
            found = set(postings[0]) if postings else set()
            if self.deleted and found:
                found -= self.deleted
            return found
        if kind == "or":  # (a word in the fields of three languages: often found in one only)
            found = [docs for docs in map(self.docs, q.subqueries) if docs]
            return found[0] if len(found) == 1 else set().union(*found)
        if kind == "and":
            return _intersect([self.docs(child) for child in q.subqueries])
        if kind == "andmaybe":
            return self.docs(q.a)
        if kind == "andnot":
            kept = self.docs(q.a)
            return kept - self.docs(q.b) if kept else kept
        if kind == "require":
            return self._phrase_docs(q.b, self.docs(q.a))
        if kind == "phrase":
            return self._phrase_docs(q, None)
        if kind == "years":
            low = -float("inf") if q.start is None else q.start + (1 if q.startexcl else 0)
            high = float("inf") if q.end is None else q.end - (1 if q.endexcl else 0)
            years = self.view.by_year(self.seg)
            return set().union(*(docs for year, docs in years.items() if low <= year <= high))
        if kind == "every":
            return set(self.view.all_ids(self.seg, self.reader))
        return set(self._by_whoosh(q))

    # -- their scores ---------------------------------------------------------------------------------

    def scores(self, q: query.Query, within: set[int] | None = None) -> list[float]:
        """Each document's score (by local number), right for the documents ``q`` matches (those
        in ``within``, when given) and meaningless for the others: each node adds its score into
        one list (a Python step or two per posting, instead of the dictionaries, filters and
        merges of scoring node by node)."""
        total = [0.0] * self.reader.doc_count_all()
        self._add(q, total, self.docs(q) if within is None else within & self.docs(q), True, 1.0)
        return total

    # -- the best of them -----------------------------------------------------------------------------

    def best(self, q: query.Query, limit: int) -> list[tuple[float, int]]:
        """The ``limit`` best documents matching ``q``, as (score, local number), best first, ties
        to the lower number (``nlargest`` keeps the order of equals, and the documents are in
        order): only the ``candidates`` are scored."""
        if limit <= 0 or not self.docs(q):
            return []
        candidates = self.candidates(q, limit)
        scores = self.scores(q, candidates)
        return [(scores[d], d) for d in heapq.nlargest(limit, sorted(candidates), key=scores.__getitem__)]

    def candidates(self, q: query.Query, limit: int) -> set[int]:
        """The documents matching ``q`` that may be among its ``limit`` best: all of them, or
        fewer when the words' bounds say so (MaxScore).

        Each word's score is at most its ``bound``. The exact scores of a few documents (those
        of the words with the highest bounds) give a threshold, at most the ``limit``-th best
        score of all; the words with the lowest bounds, as long as those bounds add up to less
        than the threshold, cannot together lift a document to it: a document that has none of
        the other words scores less than the threshold, and is left out. (The bounds: Whoosh
        keeps each word's highest weight and shortest field length in a segment.)"""
        docs = self.docs(q)
        leaves = self._bounds(q, 1.0) if len(docs) >= PRUNE_FROM else None
        if not leaves:
            return docs
        leaves.sort(key=lambda leaf: leaf[0])
        seed: set[int] = set()
        for _, found in reversed(leaves):
            grown = seed | (found & docs)
            if len(grown) * 4 > len(docs):
                break
            seed = grown
            if len(seed) >= SEED * limit:
                break
        if len(seed) < limit:
            return docs
        scores = self.scores(q, seed)
        threshold = heapq.nlargest(limit, map(scores.__getitem__, seed))[-1]
        below = 0.0
        for count, (bound, _) in enumerate(leaves):
            if (below + bound) * (1 + 1e-9) >= threshold:
                break
            below += bound
        else:
            return seed
        essential = [found for _, found in leaves[count:]]
        if any(len(found) * 2 >= len(docs) and len(found & docs) * 2 >= len(docs) for found in essential):
            return docs  # (no use making a set as large)
        kept = seed.union(*essential) & docs
        return kept if len(kept) * 2 < len(docs) else docs

    def _bounds(self, q: query.Query, factor: float) -> list[tuple[float, set[int]]] | None:
        """(the highest score it can add to a document, the documents it adds to) for each part
        of ``q`` that scores, as ``_add`` scores them; None when a part's highest score is unknown."""
        kind = _kind(q, self.view.bm25)
        if kind == "null":
            return []
        if kind in ("whoosh", "phrase") or q.boost <= 0:
            return None
        if kind in ("years", "every"):
            return [(q.boost * factor, self.docs(q))]
        if kind == "term":
            bound = self._bound(q, factor)
            return [] if bound is None else [(bound, self.docs(q))]
        parts = q.subqueries if kind in ("or", "and") else [q.a, q.b] if kind == "andmaybe" else [q.a]
        found: list[tuple[float, set[int]]] = []
        for part in parts:
            bounds = self._bounds(part, factor * q.boost)
            if bounds is None:
                return None
            found.extend(bounds)
        return found

    def _bound(self, q: query.Term, factor: float) -> float | None:
        """The highest score ``_term`` can give a word (times ``factor``): that of its highest
        weight in its shortest field (BM25F grows with the weight and shrinks with the length);
        None when the word is not in this segment."""
        key = self._key(q.fieldname, q.text)
        try:
            info = self.reader.term_info(*key) if key else None
        except TermNotFound:
            info = None
        if info is None:
            return None
        weight, boost = info.max_weight(), q.boost * factor
        if not self.view.schema[q.fieldname].scorable:
            return weight * boost
        norm = self.view.norm_table(q.fieldname)[length_to_byte(info.min_length())]
        idf = self.view.searcher.idf(*key)
        return idf * ((weight * (self.view.weighting.K1 + 1)) / (weight + norm)) * boost

    def _add(self, q: query.Query, total: list[float], within: set[int], loose: bool, factor: float) -> None:
        """Add ``factor`` times the score of ``q`` to ``total[d]`` for each document ``d`` of
        ``within`` that ``q`` matches, and nothing to the other documents of ``within``.

        ``loose``: no document outside ``within`` will be read (``within`` is the query's matches,
        and the nodes above ``q`` match all of them), so a word may add to all its postings
        without looking each up in ``within``: what lands outside is never seen.
        """
        kind = _kind(q, self.view.bm25)
        if kind == "null" or not within:
            return
        if kind == "term":
            self._term(q, total, within, loose, factor)
            return
        if kind not in ("years", "every", "whoosh"):
            factor *= q.boost
        if kind == "or":
            for child in q.subqueries:
                self._add(child, total, within, loose, factor)
        elif kind == "andmaybe":
            self._add(q.a, total, within, loose, factor)
            self._add(q.b, total, *self._narrow(q.a, within, loose), factor)
        elif kind in ("and", "andnot", "require", "phrase"):
            if kind == "and":
                parts = q.subqueries
            elif kind == "phrase":  # Whoosh scores a phrase as the sum of its words' scores
                parts = [query.Term(q.fieldname, word) for word in q.words]
            else:
                parts = [q.a]
            narrowed = self._narrow(q, within, loose)
            for part in parts:
                self._add(part, total, *narrowed, factor)
        elif kind == "whoosh":  # Whoosh's matcher scores it
            found = self._by_whoosh(q)
            for d in within & found.keys():
                total[d] += found[d] * factor
        else:  # a year range and 'everything' score their boost
            boost = q.boost * factor
            for d in within & self.docs(q):
                total[d] += boost

    def _narrow(self, q: query.Query, within: set[int], loose: bool) -> tuple[set[int], bool]:
        """(the documents of ``within`` that ``q`` matches, whether its parts may add outside
        them): they may if ``q`` matches all of ``within`` and its own caller may."""
        narrowed = within & self.docs(q)
        return (within, loose) if len(narrowed) == len(within) else (narrowed, False)

    def _by_whoosh(self, q: query.Query) -> dict[int, float]:
        """Whoosh's own matcher for this node: exact, one call per match."""
        key = id(q)
        if key not in self._whoosh:
            matcher, found = q.matcher(self.sub, self.view.context), {}
            while matcher.is_active():
                found[matcher.id()] = matcher.score()
                matcher.next()
            self._whoosh[key] = found
        return self._whoosh[key]

    def postings(self, fieldname: str, text):
        """(ids, weights) of a term in this segment, read once per query; None when absent."""
        key = self._key(fieldname, text)
        if key in self._postings:
            return self._postings[key]
        found = self._postings[key] = _postings(self.reader.postings(*key)) if key and key in self.reader else None
        return found

    def phrase_keys(self, fieldname: str, text) -> array | None:
        """``(document << 32) + position`` for each position of a term in this segment; None
        when absent."""
        key = self._key(fieldname, text)
        return _phrase_keys(self.reader.postings(*key)) if key and key in self.reader else None

    def _key(self, fieldname: str, text) -> tuple[str, bytes] | None:
        """(field, term as bytes), None when the field or the term cannot be in the index."""
        if fieldname not in self.view.schema:
            return None
        try:
            return fieldname, self.view.schema[fieldname].to_bytes(text)
        except ValueError:
            return None

    def _term(self, q: query.Term, total: list[float], within: set[int], loose: bool, factor: float) -> None:
        """Add ``factor`` times a word's BM25F score (Whoosh's formula and statistics) to
        ``total`` for each of its documents in ``within`` (and, ``loose``, maybe others)."""
        postings = self.postings(q.fieldname, q.text)
        if not postings:
            return
        ids, weights = postings
        if len(within) * 4 < len(ids):  # a few documents: find each by bisection
            ids, weights, loose = *_looked_up(ids, weights, within), True
        boost = q.boost * factor
        fieldname = q.fieldname
        if not self.view.schema[fieldname].scorable:  # Whoosh scores these by the posting's weight
            for d, w in zip(ids, weights):
                if loose or d in within:
                    total[d] += w * boost
            return
        # bm25(idf, tf, fl, avgfl, B, K1) = idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl))),
        # times the boost: these loops are most of a query's time.
        idf = self.view.searcher.idf(fieldname, self.view.schema[fieldname].to_bytes(q.text))
        norm = self.view.norms(self.seg, self.reader, fieldname)
        k1p1 = self.view.weighting.K1 + 1
        if loose:
            for d, w in zip(ids, weights):
                total[d] += idf * ((w * k1p1) / (w + norm[d])) * boost
        else:
            for d, w in zip(ids, weights):
                if d in within:
                    total[d] += idf * ((w * k1p1) / (w + norm[d])) * boost

    def _phrase_docs(self, phrase: query.Query, candidates: set[int] | None) -> set[int]:
        """The documents (among ``candidates``) where the phrase's words follow one another.

        Each position of the i-th of n words, as ``(document << 32) + position``, plus n - 1 - i,
        is where the phrase would end: the phrase is where every word gives the same key. The last
        word's keys make a set, which each other word's keys intersect (C loops, no Python step
        per position or document)."""
        if type(phrase) is not query.Phrase:
            found = set(self._by_whoosh(phrase))
            return found if candidates is None else found & candidates
        words = []
        for i, word in enumerate(phrase.words):
            keys = self.phrase_keys(phrase.fieldname, word)
            if not keys:
                return set()
            words.append((len(keys), len(phrase.words) - 1 - i, keys))
        words.sort(key=lambda found: (found[1] != 0, found[0]))  # the last word first: no shift
        _, shift, keys = words[0]
        ends = set(map(shift.__add__, keys) if shift else keys)
        for _, shift, keys in words[1:]:
            ends = ends.intersection(map(shift.__add__, keys) if shift else keys)
            if not ends:
                return set()
        found = {end >> 32 for end in ends}
        return found.difference(self.deleted) if candidates is None else found & candidates


def _looked_up(ids: list[int], weights, within: set[int]) -> tuple[list[int], list[float]]:
    """The postings (``ids``, ascending, and ``weights``) of the few documents of ``within``,
    each found by bisection."""
    found = [i for d in sorted(within) if (i := bisect.bisect_left(ids, d)) < len(ids) and ids[i] == d]
    return [ids[i] for i in found], [weights[i] for i in found]


def _kind(q: query.Query, bm25: bool) -> str:
    """Which of ``_Evaluation``'s cases a query node is ('whoosh': none of them)."""
    kind = type(q)
    if q is query.NullQuery:
        return "null"
    if kind is query.Term:
        return "term" if bm25 else "whoosh"
    if kind in (query.Or, query.And):
        if getattr(q, "scale", None) or getattr(q, "minmatch", 0):
            return "whoosh"
        return "or" if kind is query.Or else "and"
    if kind is query.AndMaybe:
        return "andmaybe"
    if kind is query.AndNot:
        return "andnot"
    if kind is query.Require and type(q.b) is query.Phrase and q.b.slop == 1 and len(q.b.words) > 1:
        return "require"
    if kind is query.Phrase and bm25 and q.slop == 1 and len(q.words) > 1:
        return "phrase"
    if kind is query.NumericRange and q.fieldname == "year" and q.constantscore:
        return "years"
    if kind is query.Every and not q.fieldname:
        return "every"
    return "whoosh"


def _bitmask(docnums, count: int) -> int:
    """An integer with bit ``d`` set for each of ``docnums``, made by C loops (no Python step
    per document): a byte per document first, then every eighth byte of those (the documents
    whose number is ``j`` modulo 8) read as one integer, whose bits are then ``8 * k``,
    shifted by ``j``."""
    flags = bytearray(count + 7 & ~7)
    deque(map(flags.__setitem__, docnums, repeat(1)), maxlen=0)
    mask = 0
    for j in range(8):
        mask |= int.from_bytes(flags[j::8], "little") << j
    return mask


def _year(pairs: tuple[bytes, ...]) -> int:
    for pair in pairs:
        if pair.startswith(b"year="):
            return int(pair[5:])
    return 0


def _intersect(sets: list[set[int]]) -> set[int]:
    if not sets or not all(sets):
        return set()
    sets = sorted(sets, key=len)
    return sets[0].intersection(*sets[1:])


def _postings(matcher) -> tuple[list[int], array]:
    """The documents and weights of a term's postings in one segment, a block at a time.

    Reads Whoosh's W3 posting blocks directly (whoosh-reloaded is pinned); any other matcher
    is walked one posting at a time. Deleted documents are kept (``_Evaluation`` leaves them out
    of its sets of documents, in C, instead of looking each posting up).
    """
    matcher = _unfiltered(matcher)
    ids, weights = array("I"), array("f")
    if isinstance(matcher, W3LeafMatcher) and not matcher._byteids:
        while matcher.is_active():
            start = matcher._i
            matcher._read_ids()  # (_LeafMatcher's: arrays; Whoosh's: ids as gaps and weights as tuples)
            matcher._read_weights()
            ids.extend(matcher._ids[start:] if start else matcher._ids)
            weights.extend(matcher._weights[start:] if start else matcher._weights)
            matcher._next_block()
    else:
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            matcher.next()
    return ids.tolist(), weights


def _phrase_keys(matcher) -> array:
    """``(document << 32) + position`` for each position of a term's postings in one segment:
    ``_LeafMatcher``'s blocks hold them so, any other matcher is read one posting at a time.
    Deleted documents are kept."""
    matcher = _unfiltered(matcher)
    keys = array("Q")
    while matcher.is_active():
        if isinstance(matcher, _LeafMatcher) and isinstance(matcher.format, _Positions):
            if matcher._data is None:
                matcher._read_data()
            found, counts = matcher._data[2]
            found, start = array("Q", found), matcher._i
            keys.extend(found[sum(array("I", counts)[:start]) :] if start else found)
            matcher._next_block()
        else:
            keys.extend(map((matcher.id() << 32).__add__, matcher.value_as("positions")))
            matcher.next()
    return keys


def _unfiltered(matcher):
    """The matcher under the filter that leaves a segment's deleted documents out."""
    return matcher.child if isinstance(matcher, FilterMatcher) and matcher._exclude else matcher


_LENGTHS = [byte_to_length(b) if b else None for b in range(256)]
_LENGTH_OF = [byte_to_length(b) for b in range(256)]


def _field_length_bytes(reader, fieldname: str) -> bytes:
    """Every document's field length in one segment, as the byte Whoosh stores it (``reader``:
    the segment's, or its per-document reader)."""
    count = reader.doc_count_all()
    try:  # the lengths column, read in one go (W3 codec)
        column = getattr(reader, "_perdoc", reader)._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        raw = column._dbfile.get(column._basepos, column._count) if column is not None and column._count else b""
    except AttributeError:  # another codec: ask document by document
        raw = bytes(length_to_byte(reader.doc_field_length(d, fieldname, 1) or 0) for d in range(count))
    return raw + bytes(count - len(raw))


def _column_values(reader, name: str) -> list[bytes]:
    """Every document's value of a bytes column in one segment."""
    column = reader.column_reader(name, translate=False)
    try:  # a VarBytesColumn, read in one go
        lengths, offsets = column._lengths, column._offsets
        data = column._dbfile.get(column._basepos, offsets[-1] + lengths[-1]) if len(lengths) else b""
        return [data[o : o + n] for o, n in zip(offsets, lengths)]
    except AttributeError:
        return list(column)


class SearchIndex:
    """The Whoosh index in ``directory``, created on first use."""

    def __init__(self, directory: Path, vocabularies: Vocabularies | None = None):
        self.directory = directory
        self._vocabularies = vocabularies  # for writing (labels); searching needs none
        self._index = None
        self._view: _View | None = None  # kept open between searches: opening reads every segment

    @property
    def vocabularies(self) -> Vocabularies:
        if self._vocabularies is None:
            self._vocabularies = vocab.load()
        return self._vocabularies

    def _live(self) -> _View:
        """The open searcher (and its caches), reopened when the index has changed on disk."""
        view = self._view
        if view is None or view.searcher.is_closed or not view.searcher.up_to_date():
            if view is not None:
                view.searcher.close()
            searcher = self._open().searcher()
            weakref.finalize(searcher, searcher.reader().close)
            self._view = view = _View(searcher)
        return view

    def close(self) -> None:
        if self._view is not None:
            self._view.searcher.close()
            self._view = None

    def exists(self) -> bool:
        return index.exists_in(str(self.directory))

    @property
    def _format_file(self) -> Path:
        return self.directory / "kb-format"

    def current(self) -> bool:
        """The index exists and was written with this version's schema and analysis."""
        try:
            return self.exists() and self._format_file.read_text().strip() == FORMAT
        except OSError:
            return False

    def _open(self, create: bool = False):
        """The index; with ``create``, a new empty one when it is missing or of another format."""
        if self._index is None:
            if create and not self.current():
                self.directory.mkdir(parents=True, exist_ok=True)
                self._index = index.create_in(str(self.directory), schema())
                self._format_file.write_text(FORMAT + "\n")
            elif self.exists():
                self._index = index.open_dir(str(self.directory))
            else:
                raise FileNotFoundError(f"no search index in {self.directory}: run 'kb index' first")
        return self._index

    # -- writing -----------------------------------------------------------------------------

    def digests(self) -> dict[str, str]:
        if not self.exists():
            return {}
        with self._open().reader() as reader:
            if not reader.doc_count():  # an empty index has no columns to read
                return {}
            keys = reader.column_reader("key")
            pairs = (keys[n].decode().split(SEP) for n in reader.all_doc_ids())
            return {entry_id: digest for entry_id, digest in pairs}

    def synced(self) -> str | None:
        """The store revision this index was last brought up to date with (see ``update``)."""
        try:
            return (self.directory / "kb-synced").read_text().strip() or None if self.current() else None
        except OSError:
            return None

    def _record(self, revision: str | None) -> None:
        """Write down, after the commit, which store revision the index now matches."""
        path = self.directory / "kb-synced"
        if revision is None:
            path.unlink(missing_ok=True)
            return
        write_atomically(path, revision + "\n")

    def sync(
        self, target: dict[str, str], fetch, full: bool = False, revision: str | None = None
    ) -> tuple[list[str], list[str]]:
        """Make the index hold the entries whose digests are ``target``; ``fetch(ids)`` gives them.

        Compares every digest, so it repairs whatever an interrupted run left. ``revision``: the
        store revision ``target`` comes from, recorded for ``update``. Returns (written ids, removed ids).
        """
        if not self.current():  # missing, or written by another version: rebuild
            full, self._index = True, None
        ix = self._open(create=True)
        self._record(None)  # until the commit below is done
        current = {} if full else self.digests()
        removed = sorted(current.keys() - target.keys())
        stale = sorted(i for i, d in target.items() if current.get(i) != d)
        if removed or stale or full:
            self._write(ix, fetch(stale), [] if full else removed + [i for i in stale if i in current], full)
        self._record(revision)
        return stale, removed

    def update(self, entries: list[Entry], removed: list[str], revision: str | None) -> tuple[list[str], list[str]]:
        """Apply one run's changes to an index that matched the store before them: write
        ``entries``, delete ``removed``, and record the store's new ``revision``.

        Only valid when ``synced()`` equals the store revision before those changes (else use
        ``sync``, which compares everything). Returns (written ids, removed ids).
        """
        written = sorted(e.id for e in entries)
        if entries or removed:
            self._record(None)
            self._write(self._open(), entries, sorted(set(removed) | set(written)), False)
        self._record(revision)
        return written, sorted(removed)

    def _write(self, ix, entries, delete: list[str], full: bool) -> None:
        # Separate files, not one compound segment file: Whoosh copies a compound file into
        # memory each time it opens it, which every search and every index run does.
        writer = ix.writer(limitmb=256, compound=False, codec=CODEC)
        try:
            for entry_id in delete:
                writer.delete_by_term("id", entry_id)
            for entry in entries:
                writer.add_document(**self._document(entry))
            writer.commit(mergetype=writing.CLEAR if full else writing.MERGE_SMALL)
        except BaseException:
            writer.cancel()
            raise
        self._index = None

    def _document(self, entry: Entry) -> dict:
        lang = entry.language
        body = plain_text(entry.body)
        labels = {
            other: " ".join(
                self.vocabularies.label(dim, v, other)
                for dim, values in entry.tags().items()
                if dim != "language"
                for v in values
            )
            for other in LANGS
        }
        tags = {name: list(values) for name, values in entry.tags().items()}
        own = [_unsectioned(text) for text in (entry.title, entry.summary or "", body)]
        # Our translations are searched in their own language's fields, weighted as title and summary.
        translated = {
            lang_: [_unsectioned(title), _unsectioned(summary or ""), ""]
            for lang_, title, summary in entry.translations
        }
        doc = {
            "id": entry.id,
            f"phrase_{lang}": SECTION.join(own),
            "names": " ".join((*entry.authors, *entry.organisations)),
            # Each word once: 'did you mean' asks only whether a word is indexed and which are close.
            "words": " ".join(
                dict.fromkeys(
                    re.findall(TOKENS, " ".join([*own, *(t for parts in translated.values() for t in parts)]))
                )
            ),
            "year": entry.year,
            "sort_title": fold(entry.title).encode(),
            "title_exact": exact_key(entry.title),
            "key": f"{entry.id}{SEP}{entry.digest}".encode(),
            "facets": SEP.join(f"{d}={v}" for d, vs in tags.items() for v in vs).encode()
            + f"{SEP}year={entry.year}".encode(),
            "data": {
                "title": entry.title,
                "year": entry.year,
                "type": entry.type,
                "language": lang,
                "tags": tags,
                "summary": entry.summary,
                "text": body,
                "translations": {code: [title, summary] for code, title, summary in entry.translations},
            },
        }
        for other, parts in translated.items():
            doc[f"phrase_{other}"] = SECTION.join(parts)
        for other in LANGS:  # the labels in every language: a Dutch word finds a French entry
            parts = [*own, labels[other]] if other == lang else [*translated.get(other, ["", "", ""]), labels[other]]
            doc[f"text_{other}"] = SECTION.join(_unsectioned(p) for p in parts)
        doc.update({name: ",".join(values) for name, values in tags.items() if values})
        return doc

    # -- reading -----------------------------------------------------------------------------

    def _parser(self) -> qparser.QueryParser:
        view = self._live()
        if view.parser is None:  # made once per opened index
            names = [f"text_{lang}" for lang in LANGS] + ["names"]
            parser = qparser.MultifieldParser(names, schema=view.schema, group=qparser.AndGroup)
            # Readers type words, not Whoosh syntax: no field:, ^boost, [ranges] or 'single quotes'
            # (which French apostrophes would open: l'aide et l'accueil).
            for plugin in (qparser.FieldsPlugin, qparser.BoostPlugin, qparser.RangePlugin, qparser.SingleQuotePlugin):
                parser.remove_plugin_class(plugin)
            view.parser = parser
        return view.parser

    def _compile(self, text: str) -> query.Query:
        """Parse, then make phrases read positions where there are some, drop what cannot match
        (stop words, phrases on fields without positions) and spell out prefixes (accessib*) as
        the indexed words they fit."""
        searcher = self._live().searcher
        schema, reader = searcher.schema, searcher.reader()

        def rewrite(q: query.Query) -> query.Query:
            if isinstance(q, query.Phrase):
                # A phrase in text_fr: the documents having its words there, scored as those words,
                # kept when the words follow one another in phrase_fr (the same text, with positions).
                lang = q.fieldname[len("text_") :] if q.fieldname.startswith("text_") else None
                if lang not in LANGS or f"phrase_{lang}" not in schema:
                    return query.NullQuery
                words = query.And([query.Term(q.fieldname, word) for word in q.words], boost=q.boost)
                return query.Require(words, query.Phrase(f"phrase_{lang}", q.words, slop=q.slop))
            if isinstance(q, (query.Prefix, query.Wildcard)):
                # Scored like the words themselves (BM25, summed), as Whoosh does on a large index;
                # as plain terms they are evaluated with the rest, a posting block at a time.
                words = [query.Term(fieldname, word) for fieldname, word in q.expanded_terms(reader) if word]
                if not words:
                    return query.NullQuery
                return words[0].with_boost(q.boost) if len(words) == 1 else query.Or(words, boost=q.boost)
            return q if q.is_leaf() else q.apply(rewrite)

        try:
            return rewrite(self._parser().parse(text)).normalize()
        except Exception:  # noqa: BLE001 - any parser failure falls back to plain words
            return query.NullQuery

    def parse(self, text: str) -> tuple[query.Query, str, list[str]]:
        """The Whoosh query for any user text; falls back to plain words when the syntax is odd."""
        cleaned, notes = clean_query(text)
        if not cleaned or cleaned == "*":
            return query.Every(), "", notes
        words = [w for w in re.findall(r"\w+\*?", cleaned) if w.upper() not in OPERATORS]
        if not words:
            notes.append("the query has no words to search for: listing all entries")
            return query.Every(), "", notes
        parsed = self._compile(cleaned)
        if parsed is query.NullQuery:  # odd syntax such as '(((' or '^': search the words alone
            plain = " ".join(words)
            parsed = self._compile(plain)
            if parsed is query.NullQuery:
                notes.append(f"'{_shorten(plain, 60)}' has only common words (de, het, the...): listing all entries")
                return query.Every(), "", notes
            if plain != cleaned:
                notes.append(f"the query syntax was simplified to: {_shorten(plain, 60)}")
            cleaned = plain
        return parsed, cleaned, notes

    def search(self, text: str = "", filters: Filters = Filters(), limit: int = 20) -> Results:
        parsed, cleaned, notes = self.parse(text)
        try:
            return self._run(parsed, cleaned, notes, filters, limit)
        except query.QueryError:  # a construct the fields cannot answer: search the words alone
            plain = " ".join(w for w in re.findall(r"\w+", cleaned) if w.upper() not in OPERATORS)
            notes.append(f"the query syntax was simplified to: {_shorten(plain, 60)}")
            parsed = self._compile(plain)
            return self._run(query.Every() if parsed is query.NullQuery else parsed, plain, notes, filters, limit)

    def search_near(self, text: str, filters: Filters, reach: Reach, limit: int = 20, broader: bool = True) -> Results:
        """Entries about the territory ``reach`` stands for first, then (``broader``) those about a
        territory around it, marked: the rule of kb.entries.territories."""
        own = self.search(text, replace(filters, places_any=tuple(sorted(reach.own))), limit)
        if not broader or not reach.broader:
            return own
        around = self.search(
            text,
            replace(filters, places_any=tuple(sorted(reach.broader)), places_none=tuple(sorted(reach.own))),
            max(limit - len(own.hits), 0),
        )
        for hit in around.hits:
            hit.broader = True
        facets = {
            name: dict(
                sorted(
                    (Counter(own.facets[name]) + Counter(around.facets[name])).items(), key=lambda kv: (-kv[1], kv[0])
                )
            )
            for name in own.facets
        }
        total = own.total + around.total
        return Results(
            own.query,
            total,
            own.hits + around.hits,
            facets,
            own.notes,
            own.suggestion if not total else None,
            around.total,
        )

    def _run(self, parsed: query.Query, cleaned: str, notes: list[str], filters: Filters, limit: int) -> Results:
        conditions = [parsed] + [query.Term(name, value) for name, value in filters.tags()]
        if filters.places_any:
            conditions.append(query.Or([query.Term("territories", v) for v in filters.places_any]))
        if filters.places_none:
            conditions.append(query.Not(query.Or([query.Term("territories", v) for v in filters.places_none])))
        if filters.year_from is not None or filters.year_to is not None:
            conditions.append(query.NumericRange("year", filters.year_from, filters.year_to))
        final = query.And(conditions) if len(conditions) > 1 else parsed
        listing = isinstance(parsed, query.Every)
        if not listing and cleaned:
            final = query.AndMaybe(final, query.Term("title_exact", exact_key(cleaned), boost=EXACT_TITLE_BOOST))
        view = self._live()
        searcher = view.searcher
        limit = max(limit, 0)
        if listing:  # nothing to score: the matches, newest first
            matched = view.matches(final)
            top = [(None, d) for d in view.newest(matched, limit)]
        else:  # every match is scored and counted; the best ``limit`` are kept
            matched, top = view.ranked(final, limit)
        facets = self._facets(view, matched)
        words = query_words(final, searcher) if not listing and top else None
        hits = [self._hit(view, searcher.stored_fields(d), score, words) for score, d in top]
        suggestion = None if matched or listing else self._suggest(searcher, cleaned)
        return Results(cleaned or "*", len(matched), hits, facets, notes, suggestion)

    def _facets(self, view: _View, docnums) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {name: {} for name in (*TAG_FIELDS, "year")}
        pairs = view.facet_counts(docnums) if docnums else {}
        for pair, number in pairs.items():
            name, _, value = pair.decode().partition("=")
            counts[name][value] = number
        return {name: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for name, c in counts.items()}

    def _hit(self, view: _View, stored: dict, score: float | None, words: dict[str, set[str]] | None) -> Hit:
        """A hit for display; ``words``: the query's words per field, to highlight (None: a listing)."""
        data = stored["data"]
        snippet = ""
        listing = words is None
        if not listing:
            lang = data["language"]
            found = words.get(f"text_{lang}")
            chain_ = view.schema[f"text_{lang}"].analyzer.chain
            snippet = _highlight(data["text"], found, lang, chain_, 2) or _highlight(
                data["summary"] or "", found, lang, chain_, 1
            )
        if not snippet:
            snippet = html.escape(_shorten(data["summary"] or data["text"], 200))
        return Hit(
            stored["id"],
            data["title"],
            data["year"],
            data["type"],
            data["language"],
            data["tags"],
            data["summary"],
            snippet,
            None if listing else round(score, 3),
            data.get("translations", {}),
        )

    def _suggest(self, searcher, cleaned: str) -> str | None:
        """'Did you mean': each word the index does not know replaced by its closest known word."""
        reader, changed, words, tries = searcher.reader(), False, [], 0
        for word in re.findall(r"\w+", cleaned):
            folded = fold(word)
            if (
                2 < len(folded) <= MAX_SUGGESTED
                and word not in OPERATORS
                and folded not in STOPWORDS
                and tries < MAX_SUGGESTIONS
                and reader.doc_frequency("words", folded) == 0
            ):
                tries += 1  # each look-up walks the word list: a few per query
                # Closest first, and only among words that begin like this one: Whoosh measures
                # the distance to every word sharing the prefix, in Python; with no prefix that is
                # the whole word list (~0.3 s per word at 10,000 entries), with one letter ~10 ms.
                # The price: a typo in the first letter gets no suggestion.
                close = next(
                    (
                        found
                        for maxdist, prefix in ((1, 1), (2, 2))
                        if (found := searcher.suggest("words", folded, limit=1, maxdist=maxdist, prefix=prefix))
                    ),
                    None,
                )
                if close:
                    words.append(close[0])
                    changed = True
                    continue
            words.append(word)
        return " ".join(words) if changed else None


def query_words(q: query.Query, searcher) -> dict[str, set[str]]:
    """The words of a query per field, to highlight: looked up once for every snippet."""
    words: dict[str, set[str]] = {}
    schema, reader = searcher.schema, searcher.reader()
    for leaf in q.leaves():  # (Query.existing_terms loses every field but the first)
        for fieldname, text in leaf.expanded_terms(reader, phrases=True):
            if fieldname in schema:
                word = text if isinstance(text, str) else schema[fieldname].from_bytes(text)
                words.setdefault(fieldname, set()).add(word)
    return words


def _shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[:length].rsplit(" ", 1)[0] + " …"
