"""Full-text search with Whoosh: per-language analysis, filters, facet counts, hostile queries.

Everything Whoosh-specific lives here. Each entry's text goes into the fields of its own
language (``title_fr``, ``body_nl``...), each analysed by that language's chain: tokenize,
lowercase, fold accents, drop stop words, stem. Folding happens *before* stemming, so that a
query typed without accents (``accessibilite``) meets the same stem as the text (``accessibilité``).
A query is parsed against every language's fields, so a Dutch reader finds French entries.

The index is derived from the store: ``sync()`` compares its own stored digests with the
store's and rewrites only what differs, so it repairs itself after an interrupted run. After a
run it records the store's revision; the next run, if the index still matches that revision,
writes its own changes alone (``update()``) without comparing every digest. A ``kb-format`` file
names the schema and analysis the index was written with; another one gets it rebuilt.

Searching keeps one searcher open (``_View``) and evaluates the common query shapes a posting
block at a time with Whoosh's own BM25F formula: the same matches and scores as Whoosh's
matchers, without one Python call per posting and per query node.
"""

from __future__ import annotations

import bisect
import heapq
import html
import os
import re
import unicodedata
import weakref
from collections import Counter
from dataclasses import asdict, dataclass, field
from itertools import accumulate, chain
from pathlib import Path
from typing import TYPE_CHECKING

from whoosh import columns, fields, index, qparser, query, scoring, searching, writing
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.codec.whoosh3 import LENGTHS_COLUMN, W3LeafMatcher, _lenfield
from whoosh.highlight import (
    ContextFragmenter, Formatter, Highlighter, get_text, set_matched_filter, top_fragments,
)
from whoosh.lang import stopwords_for_language
from whoosh.matching import FilterMatcher
from whoosh.support.charset import accent_map
from whoosh.util.numeric import byte_to_length, length_to_byte

from .filters import TAG_FIELDS, Filters
from .vocab import LANGS, Vocabularies, fold

if TYPE_CHECKING:
    from .entry import Entry

FORMAT = "2"  # of the index: bump when schema() or the analysis changes, and 'kb index' rebuilds it
MAX_QUERY = 500
MIN_PREFIX = 3  # letters before a wildcard
MAX_WILDCARDS = 3  # words with a wildcard in one query
MAX_SUGGESTED = 30  # longer words get no 'did you mean'
MAX_SUGGESTIONS = 5  # unknown words looked up for 'did you mean', per query
EXACT_TITLE_BOOST = 50.0
TOKENS = r"\w+(?:[.]\w+)*"
SEP = "\x1f"
OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


# Stop words of every language, dropped in every field: a query is parsed against the fields of all
# languages, and a word that one language drops (French 'de', 'et') but another keeps would
# otherwise be required in that other language's fields, where it never occurs.
# 'est' stays searchable: it is the East of Nord-Est and Sud-Est.
STOPWORDS = frozenset(fold(w) for lang in LANGS for w in stopwords_for_language(lang)) - {"est"}


def analyzer(lang: str):
    """tokenize -> lowercase -> fold accents -> stop words -> stem, for one language."""
    return (RegexTokenizer(TOKENS) | LowercaseFilter() | CharsetFilter(accent_map)
            | StopFilter(stoplist=STOPWORDS, minsize=2) | StemFilter(lang=lang, cachesize=100_000))


def _folding(stop: bool = True):
    chain = RegexTokenizer(TOKENS) | LowercaseFilter() | CharsetFilter(accent_map)
    return chain | StopFilter(stoplist=STOPWORDS, minsize=2) if stop else chain


def schema() -> fields.Schema:
    per_language = {}
    for lang in LANGS:
        chain = analyzer(lang)
        per_language[f"title_{lang}"] = fields.TEXT(analyzer=chain, field_boost=4.0)
        per_language[f"summary_{lang}"] = fields.TEXT(analyzer=chain, field_boost=1.5)
        per_language[f"body_{lang}"] = fields.TEXT(analyzer=chain)
        per_language[f"labels_{lang}"] = fields.TEXT(analyzer=chain, field_boost=0.5, phrase=False)
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


@dataclass
class Results:
    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    notes: list[str] = field(default_factory=list)
    suggestion: str | None = None

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


def _highlight(text: str, words, field_type, top: int) -> str:
    """The ``top`` best fragments of ``text`` around ``words``, marked (Whoosh's highlighter,
    given the words once per query instead of looking them up again for every hit)."""
    if not text or not words:
        return ""
    text = _window(text, words)
    tokens = field_type.analyzer(text, positions=True, chars=True, mode="index", removestops=False)
    tokens = _HIGHLIGHTER._merge_matched_tokens(set_matched_filter(tokens, words))
    fragments = _HIGHLIGHTER.fragmenter.fragment_tokens(text, tokens)
    fragments = top_fragments(fragments, top, _HIGHLIGHTER.scorer, _HIGHLIGHTER.order, minscore=1)
    return _HIGHLIGHTER.formatter.format(fragments)


SNIPPET_WINDOW = 450  # characters of a long text given to the highlighter


def _window(text: str, words) -> str:
    """The part of a long text where the query's words are densest: analysing every word of
    every hit's text was most of a query's time. Words are found by their stems, which begin the
    folded words (accessibilit-é); when none is found that way, the whole text is kept."""
    if len(text) <= SNIPPET_WINDOW:
        return text
    stems = sorted({w for w in words if w}, key=len, reverse=True)
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(map(re.escape, stems)) + r")")
    found = [m.start() for m in pattern.finditer(text.lower().translate(_FOLD))]
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
    return text[begin:begin + SNIPPET_WINDOW]


_FOLD = {code: value for code, value in accent_map.items() if isinstance(value, str) and len(value) == 1}


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
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    text = text.replace("’", "'").replace("‘", "'")
    if len(text) > MAX_QUERY:
        text = text[:MAX_QUERY].rsplit(" ", 1)[0]
        notes.append(f"the query was cut to its first {MAX_QUERY} characters")
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
        notes.append(f"a wildcard needs {MIN_PREFIX} letters before it (accessib*): "
                     f"{', '.join(short[:5])} searched without it")
    if extra:
        notes.append(f"only {MAX_WILDCARDS} words with wildcards are searched as such: "
                     f"{', '.join(extra[:5])} searched without it")
    return " ".join(text.split())


class _View:
    """One open searcher and what queries keep asking it, computed once: the matches of a query
    and their BM25F scores, facet values per document, field lengths.

    Whoosh scores a query by walking a tree of matchers, one Python call per posting and per
    node; for the queries readers type (words or phrases across the fields of three languages,
    AND, OR, NOT, an exact-title bonus, filters) that is most of a search's time. Here the common
    nodes (terms, and/or/and-maybe/and-not over them) are evaluated a posting block at a time,
    with the very formula and statistics Whoosh's BM25F uses, so scores and order are Whoosh's;
    phrases and year ranges too; any other node (prefixes...) is scored by Whoosh's own matcher.
    """

    def __init__(self, searcher):
        self.searcher = searcher
        self.weighting = searcher.weighting
        self.context = searcher.context()
        self.segments = [(sub, offset, sub.reader()) for sub, offset in searcher.leaf_searchers()]
        self.bm25 = isinstance(self.weighting, scoring.BM25F)
        self._norms: dict[tuple[int, str], _ByteLookup] = {}
        self._all: dict[int, list[int]] = {}
        self._facets: list[tuple[str, ...]] | None = None
        self._columns: dict[int, object] = {}
        self._seg_years: dict[int, list[int]] = {}
        self._titles = None

    # -- matches and scores -------------------------------------------------------------------------

    def scores(self, q: query.Query) -> dict[int, float]:
        """Every document matching ``q`` (global number) -> its score."""
        result: dict[int, float] = {}
        for number, (sub, offset, reader) in enumerate(self.segments):
            local = self._eval(q, number, sub, reader)
            result.update(local if not offset else {d + offset: v for d, v in local.items()})
        return result

    def _eval(self, q: query.Query, seg: int, sub, reader) -> dict[int, float]:
        kind = type(q)
        if q is query.NullQuery:
            return {}
        if kind is query.Term and self.bm25:
            return self._term(q, seg, sub, reader)
        if kind in (query.Or, query.And) and not getattr(q, "scale", None) and not getattr(q, "minmatch", 0):
            parts = [self._eval(child, seg, sub, reader) for child in q.subqueries]
            merged = _union(parts) if kind is query.Or else _intersection(parts)
            return merged if q.boost == 1.0 else {d: v * q.boost for d, v in merged.items()}
        if kind is query.AndMaybe:
            required, optional = self._eval(q.a, seg, sub, reader), self._eval(q.b, seg, sub, reader)
            merged = {d: v + optional[d] if d in optional else v for d, v in required.items()}
            return merged if q.boost == 1.0 else {d: v * q.boost for d, v in merged.items()}
        if kind is query.AndNot:
            required, excluded = self._eval(q.a, seg, sub, reader), self._eval(q.b, seg, sub, reader)
            merged = {d: v for d, v in required.items() if d not in excluded}
            return merged if q.boost == 1.0 else {d: v * q.boost for d, v in merged.items()}
        if kind is query.Phrase and self.bm25 and q.slop == 1 and len(q.words) > 1:
            return self._phrase(q, seg, sub, reader)
        if kind is query.NumericRange and q.fieldname == "year" and q.constantscore:
            # Whoosh scores a numeric range with a constant (its boost); the years are at hand.
            low = -float("inf") if q.start is None else q.start + (1 if q.startexcl else 0)
            high = float("inf") if q.end is None else q.end - (1 if q.endexcl else 0)
            return {d: q.boost for d, year in enumerate(self._years(seg, reader)) if low <= year <= high
                    and not (reader.has_deletions() and reader.is_deleted(d))}
        if kind is query.Every and not q.fieldname:
            return dict.fromkeys(self._all_ids(seg, reader), q.boost)
        return self._by_whoosh(q, sub)

    def _by_whoosh(self, q: query.Query, sub) -> dict[int, float]:
        """Whoosh's own matcher for this node: exact, one call per match."""
        matcher, found = q.matcher(sub, self.context), {}
        while matcher.is_active():
            found[matcher.id()] = matcher.score()
            matcher.next()
        return found

    def _term(self, q: query.Term, seg: int, sub, reader) -> dict[int, float]:
        fieldname = q.fieldname
        schema = self.searcher.schema
        if fieldname not in schema:
            return {}
        field_type = schema[fieldname]
        try:
            text = field_type.to_bytes(q.text)
        except ValueError:
            return {}
        if (fieldname, text) not in reader:
            return {}
        ids, weights, _ = _postings(reader.postings(fieldname, text))
        boost = q.boost
        if not field_type.scorable:  # Whoosh scores these by the posting's weight
            return {d: w * boost for d, w in zip(ids, weights)} if boost != 1.0 else dict(zip(ids, weights))
        parent = self.searcher
        idf = parent.idf(fieldname, text)
        k1 = self.weighting.K1
        norms = self._norms_for(seg, reader, fieldname)
        lengths, norm = norms.data, norms.table
        k1p1 = k1 + 1
        # bm25(idf, tf, fl, avgfl, B, K1) = idf * ((tf * (K1 + 1)) / (tf + K1 * ((1 - B) + B * fl / avgfl)))
        if boost == 1.0:
            return {d: idf * ((w * k1p1) / (w + norm[lengths[d]])) for d, w in zip(ids, weights)}
        return {d: idf * ((w * k1p1) / (w + norm[lengths[d]])) * boost for d, w in zip(ids, weights)}

    def _phrase(self, q: query.Phrase, seg: int, sub, reader) -> dict[int, float]:
        """Words one after the other in a field: the documents having every word, kept when
        the positions follow; scored as Whoosh does, the sum of the words' scores."""
        schema = self.searcher.schema
        if q.fieldname not in schema or not schema[q.fieldname].format.supports("positions"):
            return self._by_whoosh(q, sub)  # Whoosh says what is wrong
        field_type = schema[q.fieldname]
        words = []
        for word in q.words:
            try:
                word = field_type.to_bytes(word)
            except ValueError:
                return {}
            if (q.fieldname, word) not in reader:
                return {}
            words.append(word)
        decode = field_type.format.decode_positions
        scored, positions = [], []
        for word in words:
            ids, _, encoded = _postings(reader.postings(q.fieldname, word), values=True)
            scored.append(self._term(query.Term(q.fieldname, word), seg, sub, reader))
            positions.append(dict(zip(ids, encoded)))
        both = _intersection(scored)
        found = {}
        for d, score in both.items():
            first = decode(positions[0][d])
            rest = [set(decode(p[d])) for p in positions[1:]]
            if any(all(start + i in later for i, later in enumerate(rest, 1)) for start in first):
                found[d] = score * q.boost if q.boost != 1.0 else score
        return found

    def _norms_for(self, seg: int, reader, fieldname: str):
        """K1 * ((1 - B) + B * length / average length) for every document of a segment: Whoosh
        keeps lengths as one byte each, so this is a 256-entry table looked up by that byte."""
        key = (seg, fieldname)
        if key not in self._norms:
            weighting = self.weighting
            b = getattr(weighting, "_field_B", {}).get(fieldname, weighting.B)
            k1 = weighting.K1
            avgfl = self.searcher.avg_field_length(fieldname) or 1
            table = [k1 * ((1 - b) + b * length / avgfl) if length is not None else k1 for length in _LENGTHS]
            self._norms[key] = _ByteLookup(_field_length_bytes(reader, fieldname), table)
        return self._norms[key]

    def _years(self, seg: int, reader) -> list[int]:
        """Every document's year in one segment (from the facets column), read once."""
        if seg not in self._seg_years:
            self._seg_years[seg] = [_year(tuple(raw.decode().split(SEP))) if raw else 0
                                    for raw in _column_values(reader, "facets")]
        return self._seg_years[seg]

    def _all_ids(self, seg: int, reader) -> list[int]:
        if seg not in self._all:
            self._all[seg] = list(reader.all_doc_ids())
        return self._all[seg]

    # -- facets ---------------------------------------------------------------------------------------

    def facet_pairs(self, docnums) -> list[tuple[str, ...]]:
        """The 'dimension=value' pairs of each document; read for every document once a query
        matches a good part of them, else only for those."""
        if self._facets is None and len(docnums) * 4 < self.searcher.doc_count_all():
            return [self._facet_column(docnum) for docnum in docnums]
        if self._facets is None:
            self._facets = [()] * self.searcher.doc_count_all()
            for sub, offset, reader in self.segments:
                values = _column_values(reader, "facets")
                for local, raw in enumerate(values):
                    self._facets[offset + local] = tuple(raw.decode().split(SEP)) if raw else ()
        facets = self._facets
        return [facets[docnum] for docnum in docnums]

    def _facet_column(self, docnum: int) -> tuple[str, ...]:
        for number, (sub, offset, reader) in enumerate(self.segments):
            if offset <= docnum < offset + reader.doc_count_all():
                if number not in self._columns:  # a column reader reads its offsets when made: once
                    self._columns[number] = reader.column_reader("facets")
                raw = self._columns[number][docnum - offset]
                return tuple(raw.decode().split(SEP)) if raw else ()
        return ()

    def newest(self, docnums, limit: int) -> list[int]:
        """The ``limit`` documents with the latest year, then by folded title, then by number."""
        if not docnums or limit <= 0:
            return []
        pairs = self.facet_pairs(docnums)
        years = {d: _year(p) for d, p in zip(docnums, pairs)}
        ordered = sorted(docnums, key=lambda d: (-years[d], d))
        cut = years[ordered[min(limit, len(ordered)) - 1]]  # every document of the last year shown
        candidates = [d for d in ordered if years[d] >= cut]
        if self._titles is None:
            self._titles = self.searcher.reader().column_reader("sort_title")
        titles = self._titles
        return sorted(candidates, key=lambda d: (-years[d], titles[d], d))[:limit]


def _year(pairs: tuple[str, ...]) -> int:
    for pair in pairs:
        if pair.startswith("year="):
            return int(pair[5:])
    return 0


def _union(parts: list[dict[int, float]]) -> dict[int, float]:
    parts = [p for p in parts if p]
    if not parts:
        return {}
    parts.sort(key=len, reverse=True)
    merged = dict(parts[0])
    for part in parts[1:]:
        for d, v in part.items():
            merged[d] = merged[d] + v if d in merged else v
    return merged


def _intersection(parts: list[dict[int, float]]) -> dict[int, float]:
    if not parts or not all(parts):
        return {}
    parts = sorted(parts, key=len)
    keys = set(parts[0]).intersection(*parts[1:])
    first = parts[0]
    merged = {d: first[d] for d in keys}
    for part in parts[1:]:
        merged = {d: v + part[d] for d, v in merged.items()}
    return merged


def _postings(matcher, values: bool = False) -> tuple[list[int], list[float], list]:
    """The documents, weights (and with ``values`` the encoded positions) of a term's postings in
    one segment, a block at a time.

    Reads Whoosh's W3 posting blocks directly (whoosh-reloaded is pinned); any other matcher
    is walked one posting at a time. Deleted documents (a filtering wrapper) are left out.
    """
    deleted = None
    if isinstance(matcher, FilterMatcher) and matcher._exclude:
        deleted, matcher = matcher._ids, matcher.child
    ids: list[int] = []
    weights: list[float] = []
    encoded: list = []
    if isinstance(matcher, W3LeafMatcher):
        while matcher.is_active():
            if matcher._data is None:
                matcher._read_data()
            start = matcher._i
            raw = matcher._data[0]
            block = raw if matcher._byteids else list(accumulate(raw))  # ids are stored as gaps
            ids.extend(block[start:] if start else block)
            matcher._read_weights()
            weights.extend(matcher._weights[start:] if start else matcher._weights)
            if values:
                matcher._read_values()
                encoded.extend(matcher._values[start:])
            matcher._next_block()
    else:
        while matcher.is_active():
            ids.append(matcher.id())
            weights.append(matcher.weight())
            if values:
                encoded.append(matcher.value())
            matcher.next()
    if deleted:
        kept = [i for i, d in enumerate(ids) if d not in deleted]
        ids, weights = [ids[i] for i in kept], [weights[i] for i in kept]
        encoded = [encoded[i] for i in kept] if values else encoded
    return ids, weights, encoded


_LENGTHS = [byte_to_length(b) if b else None for b in range(256)]


class _ByteLookup:
    """``table[data[i]]`` for ``self[i]``: per-document values that depend on one byte."""

    __slots__ = ("data", "table")

    def __init__(self, data: bytes, table: list[float]):
        self.data, self.table = data, table

    def __getitem__(self, docnum: int) -> float:
        return self.table[self.data[docnum]]


def _field_length_bytes(reader, fieldname: str) -> bytes:
    """Every document's field length in one segment, as the byte Whoosh stores it."""
    count = reader.doc_count_all()
    try:  # the lengths column, read in one go (W3 codec)
        column = reader._perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        raw = column._dbfile.get(column._basepos, column._count) if column is not None and column._count else b""
    except AttributeError:  # another codec: ask document by document
        raw = bytes(length_to_byte(reader.doc_field_length(d, fieldname, 1) or 0) for d in range(count))
    return raw + bytes(count - len(raw))


def _column_values(reader, name: str) -> list[bytes]:
    """Every document's value of a bytes column in one segment."""
    column = reader.column_reader(name)
    try:  # a VarBytesColumn, read in one go
        lengths, offsets = column._lengths, column._offsets
        data = column._dbfile.get(column._basepos, offsets[-1] + lengths[-1]) if len(lengths) else b""
        return [data[o:o + n] for o, n in zip(offsets, lengths)]
    except AttributeError:
        return list(column)


class SearchIndex:
    """The Whoosh index in ``directory``, created on first use."""

    def __init__(self, directory: Path, vocabularies: Vocabularies):
        self.directory = directory
        self.vocabularies = vocabularies
        self._index = None
        self._view: _View | None = None  # kept open between searches: opening reads every segment

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
        temporary = path.with_name(f".kb-synced-{os.getpid()}")
        temporary.write_text(revision + "\n")
        os.replace(temporary, path)

    def sync(self, target: dict[str, str], fetch, full: bool = False,
             revision: str | None = None) -> tuple[list[str], list[str]]:
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
        writer = ix.writer(limitmb=256, compound=False)
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
        words = " ".join(filter(None, (entry.title, entry.summary, body)))
        labels = {
            other: " ".join(self.vocabularies.label(dim, v, other) for dim, values in entry.tags().items()
                            if dim != "language" for v in values)
            for other in LANGS
        }
        tags = {name: list(values) for name, values in entry.tags().items()}
        doc = {
            "id": entry.id,
            f"title_{lang}": entry.title,
            f"summary_{lang}": entry.summary or "",
            f"body_{lang}": body,
            "names": " ".join((*entry.authors, *entry.organisations)),
            "words": words,
            "year": entry.year,
            "sort_title": fold(entry.title).encode(),
            "title_exact": exact_key(entry.title),
            "key": f"{entry.id}{SEP}{entry.digest}".encode(),
            "facets": SEP.join(f"{d}={v}" for d, vs in tags.items() for v in vs).encode() + f"{SEP}year={entry.year}".encode(),
            "data": {"title": entry.title, "year": entry.year, "type": entry.type, "language": lang,
                     "tags": tags, "summary": entry.summary, "text": body},
        }
        doc.update({f"labels_{other}": text for other, text in labels.items()})
        doc.update({name: ",".join(values) for name, values in tags.items() if values})
        return doc

    # -- reading -----------------------------------------------------------------------------

    def _parser(self) -> qparser.QueryParser:
        names = [f"{kind}_{lang}" for kind in ("title", "summary", "body", "labels") for lang in LANGS] + ["names"]
        parser = qparser.MultifieldParser(names, schema=self._live().searcher.schema, group=qparser.AndGroup)
        # Readers type words, not Whoosh syntax: no field:, ^boost, [ranges] or 'single quotes' (which
        # French apostrophes would open: l'aide et l'accueil).
        for plugin in (qparser.FieldsPlugin, qparser.BoostPlugin, qparser.RangePlugin, qparser.SingleQuotePlugin):
            parser.remove_plugin_class(plugin)
        return parser

    def _compile(self, text: str) -> query.Query:
        """Parse, then drop what cannot match (phrases on fields without positions, stop words)
        and spell out prefixes (accessib*) as the indexed words they fit."""
        searcher = self._live().searcher
        schema, reader = searcher.schema, searcher.reader()

        def rewrite(q: query.Query) -> query.Query:
            if isinstance(q, query.Phrase):
                field_type = schema[q.fieldname] if q.fieldname in schema else None  # noqa: SIM401 (no .get)
                return q if field_type is not None and field_type.format.supports("positions") else query.NullQuery
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

    def _run(self, parsed: query.Query, cleaned: str, notes: list[str], filters: Filters, limit: int) -> Results:
        conditions = [parsed] + [query.Term(name, value) for name, value in filters.tags()]
        if filters.year_from is not None or filters.year_to is not None:
            conditions.append(query.NumericRange("year", filters.year_from, filters.year_to))
        final = query.And(conditions) if len(conditions) > 1 else parsed
        listing = isinstance(parsed, query.Every)
        if not listing and cleaned:
            final = query.AndMaybe(final, query.Term("title_exact", exact_key(cleaned), boost=EXACT_TITLE_BOOST))
        view = self._live()
        searcher = view.searcher
        limit = max(limit, 0)
        if listing:
            matched = view.scores(final).keys()
            top = [(None, d) for d in view.newest(list(matched), limit)]
        else:
            # Every match is scored once; the best ``limit`` are kept (ties: the lower document
            # number first, as Whoosh), all of them are counted and faceted.
            scores = view.scores(final)
            matched = scores.keys()
            top = [(v, d) for d, v in heapq.nlargest(limit, scores.items(), key=lambda dv: (dv[1], -dv[0]))]
        results = searching.Results(searcher, final, top, docset=set(matched))
        facets = self._facets(view, matched)
        words = None
        if not listing and top:  # the query's words per field, looked up once for every snippet
            words = {}
            schema, reader = searcher.schema, searcher.reader()
            for leaf in final.leaves():  # (Query.existing_terms loses every field but the first)
                for fieldname, text in leaf.expanded_terms(reader, phrases=True):
                    if fieldname in schema:
                        word = text if isinstance(text, str) else schema[fieldname].from_bytes(text)
                        words.setdefault(fieldname, set()).add(word)
        hits = [self._hit(h, words) for h in results][:limit]
        suggestion = None if matched or listing else self._suggest(searcher, cleaned)
        return Results(cleaned or "*", len(matched), hits, facets, notes, suggestion)

    def _facets(self, view: _View, docnums) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {name: {} for name in (*TAG_FIELDS, "year")}
        pairs = Counter(chain.from_iterable(view.facet_pairs(list(docnums)))) if docnums else {}
        for pair, number in pairs.items():
            name, _, value = pair.partition("=")
            counts[name][value] = number
        return {name: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for name, c in counts.items()}

    def _hit(self, hit, words: dict[str, frozenset[str]] | None) -> Hit:
        """A hit for display; ``words``: the query's words per field, to highlight (None: a listing)."""
        data = hit["data"]
        snippet = ""
        listing = words is None
        if not listing:
            lang = data["language"]
            snippet = _highlight(data["text"], words.get(f"body_{lang}"), hit.searcher.schema[f"body_{lang}"], 2) or \
                _highlight(data["summary"] or "", words.get(f"summary_{lang}"), hit.searcher.schema[f"summary_{lang}"], 1)
        if not snippet:
            snippet = html.escape(_shorten(data["summary"] or data["text"], 200))
        return Hit(hit["id"], data["title"], data["year"], data["type"], data["language"], data["tags"],
                   data["summary"], snippet, None if listing else round(hit.score, 3))

    def _suggest(self, searcher, cleaned: str) -> str | None:
        """'Did you mean': each word the index does not know replaced by its closest known word."""
        reader, changed, words, tries = searcher.reader(), False, [], 0
        for word in re.findall(r"\w+", cleaned):
            folded = fold(word)
            if (2 < len(folded) <= MAX_SUGGESTED and word not in OPERATORS and folded not in STOPWORDS
                    and tries < MAX_SUGGESTIONS and reader.doc_frequency("words", folded) == 0):
                tries += 1  # each look-up walks the word list: a few per query
                # Closest first, and only among words that begin like this one: Whoosh measures
                # the distance to every word sharing the prefix, in Python; with no prefix that is
                # the whole word list (~0.3 s per word at 10,000 entries), with one letter ~10 ms.
                # The price: a typo in the first letter gets no suggestion.
                close = next((found for maxdist, prefix in ((1, 1), (2, 2))
                              if (found := searcher.suggest("words", folded, limit=1, maxdist=maxdist,
                                                            prefix=prefix))), None)
                if close:
                    words.append(close[0])
                    changed = True
                    continue
            words.append(word)
        return " ".join(words) if changed else None


def _shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[:length].rsplit(" ", 1)[0] + " …"
