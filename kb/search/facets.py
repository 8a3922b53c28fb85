"""Facet counts: how many of a query's matches carry each vocabulary value and each year.

Each document's values are one column of the index, ``b"dimension=value"`` pairs joined by
``SEPB`` (written by ``kb.search.documents``); the column is read in one go per opened index
(by ``kb.search.engine.view``) and handed here as a list of bytes, one per document.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from itertools import repeat

from kb.search.documents import SEPB
from kb.store.filters import TAG_FIELDS


class Facets:
    """The facet values of every document of an opened index (``raw()`` reads them, once),
    and the masks counting them fast."""

    def __init__(self, raw: Callable[[], list[bytes]]):
        self._read = raw
        self._raw: list[bytes] | None = None
        self._pairs: list[tuple[bytes, ...] | None] = []
        self._masks: dict[bytes, int] | None = None
        self._counted = 0

    def raw(self) -> list[bytes]:
        """Every document's column value (b'dimension=value' pairs joined by SEPB)."""
        if self._raw is None:
            self._raw = self._read()
            self._pairs = [None] * len(self._raw)
        return self._raw

    def pairs(self, docnums: Iterable[int]) -> list[tuple[bytes, ...]]:
        """The b'dimension=value' pairs of each document, split the first time they are asked for."""
        raw, cache = self.raw(), self._pairs
        found = []
        for docnum in docnums:
            pairs = cache[docnum]
            if pairs is None:
                pairs = cache[docnum] = tuple(raw[docnum].split(SEPB)) if raw[docnum] else ()
            found.append(pairs)
        return found

    def years(self) -> list[int]:
        """Every document's year."""
        return [year_of(pairs) for pairs in self.pairs(range(len(self.raw())))]

    def counts(self, docnums: Sequence[int], masks: bool | None = None) -> Counter[bytes]:
        """How many of ``docnums`` carry each b'dimension=value' pair.

        Counted document by document for a few documents, and on an index's first count (``kb
        search`` asks once); then with one mask per value, made once per opened index: a query's
        documents as one big integer (a bit per document) ANDed with each value's, and the bits
        counted, a microsecond per value however many documents match. ``masks``: use them
        (True) or not (False) whatever the counts."""
        self._counted += 1
        if masks is None:
            masks = len(docnums) >= 100 and (self._masks is not None or self._counted > 1)
        raw = self.raw()
        if not masks:  # the matched documents' values joined, split and counted in C
            counts = Counter(SEPB.join(map(raw.__getitem__, docnums)).split(SEPB))
            counts.pop(b"", None)
            return counts
        if self._masks is None:
            carrying: dict[bytes, list[int]] = {}
            for docnum, pairs in enumerate(self.pairs(range(len(raw)))):
                for pair in pairs:
                    carrying.setdefault(pair, []).append(docnum)
            self._masks = {pair: bitmask(docs, len(raw)) for pair, docs in carrying.items()}
        matched = bitmask(docnums, len(raw))
        return Counter({pair: number for pair, mask in self._masks.items() if (number := (matched & mask).bit_count())})


def table(counts: Counter[bytes]) -> dict[str, dict[str, int]]:
    """The counts per dimension (and ``year``), most frequent first, then by value."""
    found: dict[str, dict[str, int]] = {name: {} for name in (*TAG_FIELDS, "year")}
    for pair, number in counts.items():
        name, _, value = pair.decode().partition("=")
        found[name][value] = number
    return {name: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for name, c in found.items()}


def bitmask(docnums: Iterable[int], count: int) -> int:
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


def year_of(pairs: tuple[bytes, ...]) -> int:
    for pair in pairs:
        if pair.startswith(b"year="):
            return int(pair[5:])
    return 0
