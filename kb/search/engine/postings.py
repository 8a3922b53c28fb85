"""How kb writes and reads posting blocks: Whoosh's W3 codec, its private classes subclassed.

A search reads every posting block of its words, and a phrase search every position of its
words; Whoosh's own blocks hold tuples and pickled lists, one Python object made per posting
when read. Here (``Codec``) a block's documents and weights are the bytes of two arrays, and a
phrase field's positions (``ArrayPositions``) the bytes of one array of ``(document << 32) +
position``: reading a block is a few copies. ``postings`` and ``phrase_keys`` read those blocks
directly, a block at a time; ``field_length_bytes`` and ``column_values`` read a segment's
columns in one go. README.md beside this file names each private Whoosh API used here and why.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
import sys
from itertools import accumulate, chain, repeat
from typing import Any

from whoosh import formats
from whoosh.codec.whoosh3 import (
    LENGTHS_COLUMN,
    W3Codec,
    W3FieldWriter,
    W3LeafMatcher,
    W3PostingsWriter,
    _lenfield,
)
from whoosh.matching import FilterMatcher
from whoosh.util.numeric import byte_to_length, length_to_byte


class ArrayPositions(formats.Positions):
    """Whoosh's ``Positions`` with a posting's positions as 4-byte integers (``array("I")``)
    instead of a pickled list of gaps: pickling them was a third of writing the index, and
    unpickling them most of a phrase search."""

    def word_values(self, value: str, analyzer: Any, **kwargs: Any) -> Iterator[tuple[str, int, float, bytes]]:
        found: dict[str, list[int]] = {}
        weights: dict[str, float] = {}
        kwargs["positions"] = kwargs["boosts"] = True
        for token in formats.tokens(value, analyzer, kwargs):
            found.setdefault(token.text, []).append(token.pos)
            weights[token.text] = weights.get(token.text, 0.0) + token.boost
        for word, positions in found.items():
            yield word, len(positions), weights[word] * self.field_boost, self.encode(positions)

    def encode(self, poslist: Iterable[int]) -> bytes:
        return array("I", poslist).tobytes()

    def decode_positions(self, valuestring: bytes) -> list[int]:
        return array("I", valuestring).tolist()

    def decode_frequency(self, valuestring: bytes) -> int:
        return len(valuestring) // 4


class PostingsWriter(W3PostingsWriter):
    """Writes a block's documents and weights as the bytes of two arrays, not as tuples of
    numbers: reading a block is then two copies, not an object made per posting by the unpickler
    (a search reads every block of its words). A weight shared by the whole block is written
    once, as Whoosh does.

    A ``ArrayPositions`` field's values are two strings too, not one string per posting (a string
    costs a function call to unpickle with protocol 2): every position as ``(document << 32) +
    position`` (8 bytes), the postings one after the other, and how many positions each posting
    has. A phrase search then reads a word's positions as numbers that say their document too,
    and intersects them as sets (see ``Evaluation._phrase_docs``). The document is the one this
    block is written for, so a merge, which gives documents new numbers, writes new keys."""

    _block: tuple[bytes, array[int] | None] | None  # the block's values, when add_all added it

    def _mini_ids(self) -> Any:
        return super()._mini_ids() if self._byteids else self._ids.tobytes()

    def _mini_weights(self) -> bytes | float | None:
        weights = self._weights
        if weights.count(weights[0]) != len(weights):  # (counted in C)
            return bytes(weights.tobytes())
        return None if weights[0] == 1.0 else float(weights[0])

    def add_all(
        self, ids: array[int], weights: array[float], data: bytes, sizes: array[int] | None, lengths: list[int]
    ) -> None:
        """A term's postings at once (``kb.search.engine.writer.Pool``), written as ``add_posting``
        one at a time would write them: blocks of ``_blocklimit``, the last left for
        ``finish_postings``. ``data``: the values one after the other, each ``sizes`` long (None:
        the format's fixed size); ``lengths``: each document's field length (``FieldLengths``)."""
        if array("I", sorted(ids)) != ids:  # not in document order (segments merged): sort them
            ids, weights, data, sizes = _sorted(ids, weights, data, sizes, self._format)
        count, limit = len(ids), self._blocklimit
        size = self._format.fixed_value_size()
        offsets = [0, *accumulate(sizes)] if sizes is not None else None
        known = len(lengths)
        for start in range(0, count, limit):
            if start:
                self._write_block()
            end = min(start + limit, count)
            block = ids[start:end]
            self._ids = block
            block_weights = weights[start:end]
            self._weights = array("f", block_weights.tolist())
            heaviest = max(block_weights)
            self._maxweight = heaviest if heaviest > 0 else 0  # as add_posting keeps it (from 0)
            if offsets is None or sizes is None:
                self._block = (data[start * size : end * size], None)
            else:
                self._block = (data[offsets[start] : offsets[end]], sizes[start:end])
            found = list(
                filter(
                    None,
                    map(lengths.__getitem__, block)
                    if block[-1] < known
                    else (lengths[d] if d < known else 0 for d in block),
                )
            )
            self._minlength = min(found) if found else None
            self._maxlength = max(found) if found else 0

    def _new_block(self) -> None:
        super()._new_block()
        self._block = None  # set by add_all

    def _mini_values(self) -> Any:
        if self._block is not None:
            return self._pooled_values(*self._block)
        if not isinstance(self._format, ArrayPositions):
            return super()._mini_values()
        keys = array("Q")
        for docnum, value in zip(self._ids, self._values):
            keys.extend(map((docnum << 32).__add__, array("I", value)))
        return [keys.tobytes(), array("I", [len(v) // 4 for v in self._values]).tobytes()]

    def _pooled_values(self, data: bytes, sizes: array[int] | None) -> Any:
        """What ``_mini_values`` makes of a block added by ``add_all``, from its values' string."""
        if sizes is None:  # values of one size: Whoosh joins them (or writes None: no values)
            return bytes(data) if self._format.fixed_value_size() else None
        if not isinstance(self._format, ArrayPositions):
            ends = list(accumulate(sizes))
            return tuple(bytes(data[a:b]) for a, b in zip([0, *ends], ends) if b > a)
        counts = array("I", [n // 4 for n in sizes])
        # (document << 32) + position for each position, made without a step per position: the
        # documents repeated once per position, then the two 4-byte halves of each key interleaved.
        docs = array("I", chain.from_iterable(map(repeat, self._ids, counts)))
        if sys.byteorder != "little":
            keys = array("Q", map(lambda d, p: (d << 32) + p, docs, array("I", bytes(data))))
            return [keys.tobytes(), counts.tobytes()]
        low, high, merged = bytes(data), docs.tobytes(), bytearray(2 * len(data))
        for byte in range(4):
            merged[byte::8] = low[byte::4]
            merged[4 + byte :: 8] = high[byte::4]
        return [bytes(merged), counts.tobytes()]


def _sorted(
    ids: array[int], weights: array[float], data: bytes, sizes: array[int] | None, format_: Any
) -> tuple[array[int], array[float], bytes, array[int] | None]:
    """Postings put in document order (merged segments may interleave)."""
    order = sorted(range(len(ids)), key=ids.__getitem__)
    if sizes is None:
        size = format_.fixed_value_size() or 0
        values = [data[i * size : (i + 1) * size] for i in order]
    else:
        ends = list(accumulate(sizes))
        starts = [0, *ends]
        values = [data[starts[i] : ends[i]] for i in order]
        sizes = array("I", map(sizes.__getitem__, order))
    return (
        array("I", map(ids.__getitem__, order)),
        array("d", map(weights.__getitem__, order)),
        b"".join(values),
        sizes,
    )


class LeafMatcher(W3LeafMatcher):
    """Reads what ``PostingsWriter`` writes, for Whoosh's own matchers as for kb's."""

    def _read_ids(self) -> None:
        if self._data is None:
            self._read_data()
        if type(self._data[0]) is not bytes:
            super()._read_ids()
            return
        self._ids = array("I", self._data[0])

    def _read_weights(self) -> None:
        if self._data is None:
            self._read_data()
        weights = self._data[1]  # a block's weights, or the one weight they all have (None: 1.0)
        if type(weights) is bytes:
            self._weights = array("f", weights)
        elif weights is None or type(weights) is float:
            self._weights = array("f", [1.0 if weights is None else weights]) * self._blocklength
        else:  # a tuple: written by Whoosh's own writer
            super()._read_weights()

    def _read_values(self) -> None:
        if self._data is None:
            self._read_data()
        if type(self._data[2]) is not list:
            super()._read_values()
            return
        keys, counts = self._data[2]
        positions = array("I", map(0xFFFFFFFF.__and__, array("Q", keys))).tobytes()
        ends = list(accumulate(4 * n for n in array("I", counts)))
        self._values = tuple(positions[start:end] for start, end in zip([0, *ends], ends))


class FieldLengths:
    """A segment's field lengths for writing its postings, each field's column read in one go:
    Whoosh asks for the length of a posting's document at every posting it writes, and looking
    each up in the column was a tenth of writing the index."""

    def __init__(self, perdoc: Any) -> None:
        self._perdoc = perdoc
        self._fields: dict[str, list[int]] = {}

    def doc_field_length(self, docnum: int, fieldname: str, default: int = 0) -> int:
        lengths = self.of(fieldname)
        return lengths[docnum] if docnum < len(lengths) else default

    def of(self, fieldname: str) -> list[int]:
        """Every document's length in ``fieldname`` (shorter than the segment: the rest are 0)."""
        lengths = self._fields.get(fieldname)
        if lengths is None:
            lengths = self._fields[fieldname] = [LENGTH_OF[b] for b in field_length_bytes(self._perdoc, fieldname)]
        return lengths


class FieldWriter(W3FieldWriter):
    """Whoosh's W3 field writer, given the field lengths as ``FieldLengths``; the postings of a
    pool in memory (``kb.search.engine.writer.Pool``) are written a term at a time."""

    def add_postings(self, schema: Any, lengths: Any, items: Iterable[Any]) -> None:
        lengths = FieldLengths(lengths) if lengths is not None else None
        pooled = getattr(items, "fields", None)
        if pooled is None:  # Whoosh's pool: postings one at a time, sorted
            super().add_postings(schema, lengths, items)
            return
        for fieldname in sorted(pooled):  # as Whoosh's sorted postings come: by field, then term
            if fieldname not in schema:
                continue
            terms = pooled[fieldname]
            self.start_field(fieldname, schema[fieldname])
            field_lengths = lengths.of(fieldname) if lengths is not None else []
            for term in sorted(terms):
                self.start_term(term)
                self._postwriter.add_all(*terms[term], field_lengths)
                self.finish_term()
            self.finish_field()


class Codec(W3Codec):
    """Whoosh's W3 codec with ``FieldWriter``, ``PostingsWriter`` and ``LeafMatcher``."""

    def field_writer(self, storage: Any, segment: Any) -> FieldWriter:
        return FieldWriter(self, storage, segment)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> PostingsWriter:
        return PostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def postings_reader(self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None) -> Any:
        if terminfo.is_inlined():
            return super().postings_reader(dbfile, terminfo, format_, term=term, scorer=scorer)
        offset, length = terminfo.extent()
        return LeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)


# Posting blocks of up to 1,024 postings, not compressed: a search reads every block of its words'
# postings, and decompressing them was half of reading them (the index is about twice as large:
# ~85 MB of postings for 10,000 entries).
CODEC = Codec(blocklimit=1024, compression=0)


def read_postings(matcher: Any) -> tuple[list[int], array[float]]:
    """The documents and weights of a term's postings in one segment, a block at a time.

    Reads Whoosh's W3 posting blocks directly (whoosh-reloaded is pinned); any other matcher
    is walked one posting at a time. Deleted documents are kept (``Evaluation`` leaves them out
    of its sets of documents, in C, instead of looking each posting up).
    """
    matcher = unfiltered(matcher)
    ids, weights = array("I"), array("f")
    if isinstance(matcher, W3LeafMatcher) and not matcher._byteids:
        while matcher.is_active():
            start = matcher._i
            matcher._read_ids()  # (LeafMatcher's: arrays; Whoosh's: ids as gaps and weights as tuples)
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


def read_phrase_keys(matcher: Any) -> array[int]:
    """``(document << 32) + position`` for each position of a term's postings in one segment:
    ``LeafMatcher``'s blocks hold them so, any other matcher is read one posting at a time.
    Deleted documents are kept."""
    matcher = unfiltered(matcher)
    keys = array("Q")
    while matcher.is_active():
        if isinstance(matcher, LeafMatcher) and isinstance(matcher.format, ArrayPositions):
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


def unfiltered(matcher: Any) -> Any:
    """The matcher under the filter that leaves a segment's deleted documents out."""
    return matcher.child if isinstance(matcher, FilterMatcher) and matcher._exclude else matcher


LENGTHS = [byte_to_length(b) if b else None for b in range(256)]
LENGTH_OF = [byte_to_length(b) for b in range(256)]


def field_length_bytes(reader: Any, fieldname: str) -> bytes:
    """Every document's field length in one segment, as the byte Whoosh stores it (``reader``:
    the segment's, or its per-document reader)."""
    count = reader.doc_count_all()
    try:  # the lengths column, read in one go (W3 codec)
        perdoc: Any = getattr(reader, "_perdoc", reader)
        column = perdoc._cached_reader(_lenfield(fieldname), LENGTHS_COLUMN)
        raw = column._dbfile.get(column._basepos, column._count) if column is not None and column._count else b""
    except AttributeError:  # another codec: ask document by document
        raw = bytes(length_to_byte(reader.doc_field_length(d, fieldname, 1) or 0) for d in range(count))
    return raw + bytes(count - len(raw))


def column_values(reader: Any, name: str) -> list[bytes]:
    """Every document's value of a bytes column in one segment."""
    column = reader.column_reader(name, translate=False)
    try:  # a VarBytesColumn, read in one go
        lengths, offsets = column._lengths, column._offsets
        data = column._dbfile.get(column._basepos, offsets[-1] + lengths[-1]) if len(lengths) else b""
        return [data[o : o + n] for o, n in zip(offsets, lengths)]
    except AttributeError:
        return list(column)
