"""Writing a segment a chunk of documents at a time: kb's chains applied once per distinct word,
the postings gathered in memory by field and term, and written a block at a time.

Whoosh's ``SegmentWriter.add_document`` runs each field's text through a chain of generators
(a Token per word, a call per filter), adds each posting to a pool that pickles it into a run
file, and at commit sorts the runs, reads every posting back and hands them one by one to the
codec: at 10,000 entries 4.8 million postings, over 80 s of one core. Here:

- ``Analysis.index`` gives what ``field.index`` gives (each term's frequency, weight and value)
  and the field's length, with kb's chains (``Words``) applied to each distinct word once, not to
  each token; a field of another kind is left to ``field.index``;
- ``gather`` makes a chunk of documents' postings, grouped by field and term, and what each
  document stores (``Gathered``): in worker processes (``kb.search.index`` spreads it);
- ``Writer`` is Whoosh's ``SegmentWriter`` with a pool in memory (``Pool``) and
  ``add_gathered``, which adds a chunk's documents at once; the postings of segments merged into
  it still come one at a time (Whoosh's ``add_reader``), into the same pool;
- ``kb.search.engine.postings.FieldWriter`` writes a pooled term's postings a block at a time.

The segment written is byte for byte the one Whoosh's ``add_document`` writes (tested).
README.md beside this file names each private Whoosh API used here.
"""

from __future__ import annotations

from array import array
from collections import Counter
from itertools import accumulate, repeat
from operator import add, sub
from dataclasses import dataclass, field
from typing import Any

from whoosh import formats
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.fields import UnknownFieldError
from whoosh.system import pack_uint
from whoosh.writing import SegmentWriter

from kb.search.analysis import SECTION, SECTION_BOOSTS, SECTION_GAP, FoldAccents, Sections
from kb.search.engine.postings import ArrayPositions

# A term's postings in a chunk or a pool: document numbers, weights (doubles, as Whoosh adds them
# up) and values, the values as one string and, for a format of values of varying size, each size.
Postings = tuple["array[int]", "array[float]", bytearray, "array[int] | None"]
MAX_KNOWN = 500_000  # words remembered per chain: beyond, it starts again (memory stays bounded)
MAX_RECENT = 32  # texts remembered per chain: a document's title, summary and body recur in fields


class Words:
    """One of kb's chains (tokenize, lowercase, fold accents, [stop words], [stem]) applied to
    each distinct word once: every filter of such a chain changes or drops one token whatever
    the others are, so a token's term is the chain run over that word alone. Only positions
    depend on the neighbours (``StopFilter`` renumbers them), and ``Analysis`` counts them.
    The last texts' terms are kept too: a document's title, summary and body are analysed for
    two fields with the same chain (``text_fr`` and ``phrase_fr``)."""

    FILTERS = (LowercaseFilter, FoldAccents, StopFilter, StemFilter)

    def __init__(self, chain: Any) -> None:
        self.chain = chain
        self.pattern = chain.items[0].expression
        stops = [item for item in chain.items if isinstance(item, StopFilter)]
        self.renumber = bool(stops) and stops[0].renumber
        self.known: dict[str, bytes | None] = {}
        self.recent: dict[str, list[bytes | None]] = {}

    @classmethod
    def fits(cls, chain: Any) -> bool:
        """``chain`` is made of a plain regex tokenizer and filters that act on one token alone."""
        items: list[Any] = list(getattr(chain, "items", None) or [])
        return (
            bool(items)
            and type(items[0]) is RegexTokenizer
            and not items[0].gaps
            and items[0].expression.groups == 0
            and all(type(item) in cls.FILTERS for item in items[1:])
            and sum(type(item) is StopFilter for item in items) <= 1
        )

    def terms(self, text: str) -> list[bytes | None]:
        """Each token's term (UTF-8, as Whoosh stores it), in order; None for a token the chain
        drops (a stop word)."""
        found = self.recent.get(text)
        if found is not None:
            return found
        words = self.pattern.findall(text)
        known = self.known
        if len(known) > MAX_KNOWN:
            known.clear()
        for word in set(words).difference(known):
            known[word] = next((str(t.text).encode() for t in self.chain(word, mode="index")), None)
        if len(self.recent) >= MAX_RECENT:
            self.recent.clear()
        found = self.recent[text] = list(map(known.__getitem__, words))
        return found


def new_postings(fixed: bool) -> Postings:
    """An empty term's postings (``fixed``: the field's values all have one size)."""
    return (array("I"), array("d"), bytearray(), None if fixed else array("I"))


class Column:
    """A field's postings in a chunk of documents, one after the other as the documents come:
    each posting's term, document, weight and value. Added a document at a time by C loops
    (``extend``), grouped by term once per chunk by one stable sort (``packed``): no step in
    Python per posting."""

    def __init__(self) -> None:
        self.terms: list[bytes] = []
        self.docs: array[int] = array("I")
        self.weights: array[float] = array("d")
        self.values: list[bytes] = []

    def packed(self, fixed: bool) -> Packed:
        """The postings grouped by term, in document order within a term (``fixed``: the values
        all have one size)."""
        terms, count = self.terms, len(self.terms)
        counted = Counter(terms)
        names = sorted(counted)
        counts = array("I", map(counted.__getitem__, names))
        # The order by term, then by place (documents stay in order): a term's rank x count + its
        # place, as plain integers, sorted (comparing integers, not strings, each in C).
        rank = {name: number * count for number, name in enumerate(names)}
        keys = list(map(add, map(rank.__getitem__, terms), range(count)))
        keys.sort()
        order = list(map(count.__rmod__, keys))
        values = list(map(self.values.__getitem__, order))
        sizes = None
        if fixed:  # every value one size: a term's bytes are its count times that
            size = len(values[0]) if values else 0
            spans = array("I", map(size.__mul__, counts))
        else:
            sizes = array("I", map(len, values))
            ends = list(accumulate(sizes))
            upto = [ends[n - 1] for n in accumulate(counts)]  # the bytes of values up to each term's end
            spans = array("I", map(sub, upto, [0, *upto[:-1]]))
        return (
            names,
            counts,
            spans,
            array("I", map(self.docs.__getitem__, order)),
            array("d", map(self.weights.__getitem__, order)),
            b"".join(values),
            sizes,
        )


class Analysis:
    """How each field of ``schema`` indexes a value, as ``field.index`` does: kb's own
    analysers (``Sections``, and the chains of ``kb.search.analysis``) over formats whose values
    kb knows (``Frequency``, ``ArrayPositions``) word by word (``Words``), any other field by
    ``field.index``. One per writing run: the words each chain has seen are kept in it."""

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self._words: dict[str, tuple[Words, bool]] = {}
        shared: dict[str, Words] = {}  # Sections of one language share their chain (analysis.analyzer)
        for name, field_ in schema.items():
            if type(field_.format) not in (formats.Frequency, ArrayPositions):
                continue
            analyzer = getattr(field_, "analyzer", None)
            if type(analyzer) is Sections and Words.fits(analyzer.chain):
                if analyzer.lang not in shared:
                    shared[analyzer.lang] = Words(analyzer.chain)
                self._words[name] = (shared[analyzer.lang], True)
            elif Words.fits(analyzer):
                self._words[name] = (Words(analyzer), False)

    def index(self, name: str, value: Any, docnum: int, column: Column) -> int:
        """Add the postings of ``value`` in field ``name`` for document ``docnum`` to ``column``,
        as ``field.index`` makes them; return the field's length (what ``add_document`` adds up:
        0 for a field that is not scorable)."""
        field_ = self.schema[name]
        fast = self._words.get(name)
        if fast is None or not isinstance(value, str):
            length = 0
            for term, freq, weight, vbytes in field_.index(value):
                column.terms.append(term)
                column.docs.append(docnum)
                column.weights.append(weight)
                column.values.append(vbytes or b"")
                length += freq
        else:
            words, sectioned = fast
            parts = value.split(SECTION) if sectioned and SECTION in value else [value]
            boosts = SECTION_BOOSTS if len(parts) > 1 else (1.0,)
            if isinstance(field_.format, ArrayPositions):
                length = _positions(words, parts, boosts, field_.format.field_boost, docnum, column)
            else:
                length = _frequencies(words, parts, boosts, field_.format.field_boost, docnum, column)
        return length if field_.scorable else 0


def _boost(boosts: tuple[float, ...], number: int) -> float:
    return boosts[number] if number < len(boosts) else 1.0


def _frequencies(
    words: Words, parts: list[str], boosts: tuple[float, ...], field_boost: float, docnum: int, column: Column
) -> int:
    """``Frequency.word_values`` over ``Sections``' parts: each term's count, and its weight, the
    sum of its tokens' boosts (count x boost per part: the boosts are multiples of 1/2, so the
    sums are exact as Whoosh's token by token additions are; the byte-for-byte test says so)."""
    counts: Counter[bytes | None] = Counter(words.terms(parts[0]))
    if len(parts) == 1:
        counts.pop(None, None)
        column.weights.extend(map((boosts[0] * field_boost).__mul__, counts.values()))
    else:
        weights: dict[bytes | None, float] = {t: n * boosts[0] for t, n in counts.items()}
        for number, part in enumerate(parts[1:], 1):
            boost = _boost(boosts, number)
            found = Counter(words.terms(part))
            counts.update(found)
            for term, n in found.items():
                weights[term] = weights.get(term, 0.0) + n * boost
        counts.pop(None, None)
        column.weights.extend(map(field_boost.__mul__, map(weights.__getitem__, counts)))
    column.terms.extend(counts)  # type: ignore[arg-type]  # (None popped)
    column.docs.extend(repeat(docnum, len(counts)))
    column.values.extend(map(pack_uint, counts.values()))
    return sum(counts.values())


def _positions(
    words: Words, parts: list[str], boosts: tuple[float, ...], field_boost: float, docnum: int, column: Column
) -> int:
    """``ArrayPositions.word_values`` over ``Sections``' parts: a part's positions start
    SECTION_GAP after the previous part's last; with a stop filter, the words kept after the first
    are numbered one after the other (``StopFilter(renumber=True)``). A value is its positions
    as 4-byte integers (``ArrayPositions.encode``)."""
    found: dict[bytes, list[int]] = {}
    weights: dict[bytes, float] = {}
    start, length = 0, 0
    for number, part in enumerate(parts):
        boost = _boost(boosts, number)
        tokens = words.terms(part)
        numbered: list[tuple[int, bytes]]
        if words.renumber:
            kept = [t for t in tokens if t is not None]
            if not kept:
                continue
            numbered = list(enumerate(kept, start + tokens.index(kept[0])))
        else:
            numbered = [(start + i, t) for i, t in enumerate(tokens) if t is not None]
            if not numbered:
                continue
        for position, term in numbered:
            at = found.get(term)
            if at is None:
                found[term] = [position]
                weights[term] = boost
            else:
                at.append(position)
                weights[term] += boost
        start = numbered[-1][0] + SECTION_GAP
        length += len(numbered)
    column.terms.extend(found)
    column.docs.extend(repeat(docnum, len(found)))
    column.weights.extend(map(field_boost.__rmul__, weights.values()))
    column.values.extend([array("I", at).tobytes() for at in found.values()])
    return length


@dataclass
class Gathered:
    """A chunk of documents ready for ``Writer.add_gathered``: their postings by field, grouped
    by term (``Packed``: documents numbered from ``first``), and per document, in field name
    order, each field's stored value, length and column value (what ``add_document`` hands the
    per-document writer)."""

    first: int
    documents: list[list[tuple[str, Any, int, Any]]] = field(default_factory=list)
    postings: dict[str, Packed] = field(default_factory=dict)


def gather(analysis: Analysis, documents: list[dict[str, Any]], first: int) -> Gathered:
    """What ``add_document`` would write of ``documents``, numbered from ``first`` (no ``_boost``
    or ``_stored_`` keys: kb's documents have none)."""
    schema = analysis.schema
    gathered = Gathered(first)
    columns: dict[str, Column] = {}
    for docnum, doc in enumerate(documents, first):
        names = sorted(doc)
        for name in names:
            if name not in schema:
                raise UnknownFieldError(f"No field named {name!r} in {schema}")
        fields = []
        for name in names:
            value = doc[name]
            if value is None:
                continue
            field_ = schema[name]
            length = 0
            if field_.indexed:
                column = columns.get(name)
                if column is None:
                    column = columns[name] = Column()
                length = analysis.index(name, value, docnum, column)
            stored_column = field_.to_column_value(value) if field_.column_type else None
            fields.append((name, value if field_.stored else None, length, stored_column))
        gathered.documents.append(fields)
    gathered.postings = {
        name: column.packed(schema[name].format.fixed_value_size() is not None) for name, column in columns.items()
    }
    return gathered


# A field's postings in a chunk, ready to travel between processes: a few arrays, not a few per
# term (each array unpickled costs a function call: 2.4 million of them at 10,000 entries).
# The terms; each term's number of postings and bytes of values; then the postings of all terms
# one after the other: documents, weights, values, each value's size (None: one size).
Packed = tuple[list[bytes], "array[int]", "array[int]", "array[int]", "array[float]", bytes, "array[int] | None"]


class Pool:
    """A segment's postings in memory, by field and term, each term's in document order; what
    ``postings.FieldWriter.add_postings`` writes at commit (``iter_postings`` is the pool itself)."""

    def __init__(self, schema: Any) -> None:
        self.schema = schema
        self.fields: dict[str, dict[bytes, Postings]] = {}

    def add(self, item: tuple[str, bytes, int, float, bytes | None]) -> None:
        """One posting (Whoosh's ``add_reader`` merging a segment into the new one)."""
        fieldname, term, docnum, weight, vbytes = item
        terms = self.fields.get(fieldname)
        if terms is None:
            terms = self.fields[fieldname] = {}
        postings = terms.get(term)
        if postings is None:
            fixed = fieldname not in self.schema or self.schema[fieldname].format.fixed_value_size() is not None
            postings = terms[term] = new_postings(fixed)
        postings[0].append(docnum)
        postings[1].append(weight)
        if vbytes:
            postings[2].extend(vbytes)
        if postings[3] is not None:
            postings[3].append(len(vbytes or b""))

    def merge(self, gathered: dict[str, Packed]) -> None:
        """Add a chunk's postings (``gather``), whose documents follow those in the pool."""
        for fieldname, (terms, counts, spans, ids, weights, data, sizes) in gathered.items():
            mine = self.fields.setdefault(fieldname, {})
            start = offset = 0
            values = memoryview(data)
            for term, count, span in zip(terms, counts, spans):
                end, stop = start + count, offset + span
                known = mine.get(term)
                if known is None:
                    mine[term] = (
                        ids[start:end],
                        weights[start:end],
                        bytearray(values[offset:stop]),
                        None if sizes is None else sizes[start:end],
                    )
                else:
                    known[0].extend(ids[start:end])
                    known[1].extend(weights[start:end])
                    known[2].extend(values[offset:stop])
                    if known[3] is not None and sizes is not None:
                        known[3].extend(sizes[start:end])
                start, offset = end, stop

    def iter_postings(self) -> Pool:
        return self

    def cleanup(self) -> None:
        self.fields = {}


class Writer(SegmentWriter):
    """Whoosh's segment writer with its postings pooled in memory (``Pool``), taking chunks of
    documents already analysed (``add_gathered``); ``add_document`` works as Whoosh's."""

    pool: Any
    _added: bool

    def __init__(self, ix: Any, **kwargs: Any) -> None:
        super().__init__(ix, **kwargs)
        self.pool.cleanup()
        self.pool = Pool(self.schema)

    def add_gathered(self, gathered: Gathered) -> None:
        """Add a chunk's documents: they must be numbered from this writer's next number."""
        self._check_state()
        if gathered.first != self.docnum:
            raise ValueError(f"documents numbered from {gathered.first}, expected {self.docnum}")
        perdoc, schema = self.perdocwriter, self.schema
        for fields in gathered.documents:
            perdoc.start_doc(self.docnum)
            for name, stored, length, column in fields:
                field_ = schema[name]
                perdoc.add_field(name, field_, stored, length)
                if column is not None:
                    perdoc.add_column_value(name, field_.column_type, column)
            perdoc.finish_doc()
            self.docnum += 1
        self.pool.merge(gathered.postings)
        self._added = self._added or bool(gathered.documents)
