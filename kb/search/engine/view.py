"""One open searcher and what queries keep asking it, read once per opened index.

Whoosh's ``Searcher`` reads statistics, field lengths and columns for each query; ``View``
reads them once per opened index (a segment's readers, each field's length bytes and norms, the
years, the folded titles, the facet values) and runs queries through ``Evaluation``.
"""

from __future__ import annotations

import heapq
from itertools import filterfalse
from typing import Any

from whoosh import query, scoring

from kb.search.engine.evaluation import Evaluation
from kb.search.engine.postings import LENGTHS, column_values, field_length_bytes
from kb.search.facets import Facets


class View:
    """One open searcher and what queries keep asking it, read once per opened index: the
    segments' readers, field lengths, facet values per document, years, the query parser.

    Whoosh scores a query by walking a tree of matchers, one Python call per posting and per
    node; for the queries readers type (words or phrases across the fields of three languages,
    AND, OR, NOT, an exact-title bonus, filters) that is most of a search's time. Here the common
    nodes are evaluated by ``Evaluation``, with the very formula and statistics Whoosh's BM25F
    uses, so scores and order are Whoosh's; any other node (a fuzzy term...) is scored by
    Whoosh's own matcher.
    """

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher
        self.schema = searcher.schema
        self.weighting = searcher.weighting
        self.context = searcher.context()
        self.segments = [(sub, offset, sub.reader()) for sub, offset in searcher.leaf_searchers()]
        self.bm25 = isinstance(self.weighting, scoring.BM25F)
        self.parser: Any = None  # kb.search.queries.parser(schema), made on first use
        self._norms: dict[tuple[int, str], list[float]] = {}
        self._tables: dict[str, list[float]] = {}
        self._all: dict[int, list[int]] = {}
        self._deleted: dict[int, frozenset[int]] = {}
        self._by_year: dict[int, dict[int, list[int]]] = {}
        self.facets = Facets(
            lambda: [value for _, _, reader in self.segments for value in column_values(reader, "facets")]
        )
        self._years: list[int] | None = None
        self._titles: list[bytes] | None = None

    # -- matches and scores -------------------------------------------------------------------------

    def scores(self, q: query.Query) -> dict[int, float]:
        """Every document matching ``q`` (global number) -> its score, with nothing pruned: the
        oracle tests/test_search.py and test_search_synthetic.py compare the MaxScore path and
        Whoosh's own matchers with."""
        result: dict[int, float] = {}
        for number, (sub, offset, reader) in enumerate(self.segments):
            evaluation = Evaluation(self, number, sub, reader)
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
            evaluation = Evaluation(self, number, sub, reader)
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
            local = sorted(Evaluation(self, number, sub, reader).docs(q))
            found.extend(local if not offset else [d + offset for d in local])
        return found

    def norms(self, seg: int, reader: Any, fieldname: str) -> list[float]:
        """Each document's norm (``norm_table``) by its length byte, made once per field."""
        key = (seg, fieldname)
        if key not in self._norms:
            self._norms[key] = list(map(self.norm_table(fieldname).__getitem__, field_length_bytes(reader, fieldname)))
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
                k1 * ((1 - b) + b * length / avgfl) if length is not None else k1 for length in LENGTHS
            ]
        return self._tables[fieldname]

    def all_ids(self, seg: int, reader: Any) -> list[int]:
        """The segment's documents but the deleted ones."""
        if seg not in self._all:
            self._all[seg] = list(filterfalse(self.deleted(seg, reader).__contains__, range(reader.doc_count_all())))
        return self._all[seg]

    def by_year(self, seg: int) -> dict[int, list[int]]:
        """Year -> the segment's documents of that year (local numbers, deleted ones left out),
        made once per opened index."""
        if seg not in self._by_year:
            _, offset, reader = self.segments[seg]
            years = self.years()
            found: dict[int, list[int]] = {}
            for d in self.all_ids(seg, reader):
                found.setdefault(years[d + offset], []).append(d)
            self._by_year[seg] = found
        return self._by_year[seg]

    def deleted(self, seg: int, reader: Any) -> frozenset[int]:
        """The segment's deleted documents, which its postings still list."""
        if seg not in self._deleted:
            self._deleted[seg] = reader.deleted_docs_set if reader.has_deletions() else frozenset()
        return self._deleted[seg]

    def years(self) -> list[int]:
        """Every document's year (global numbers), from the facets column, read once."""
        if self._years is None:
            self._years = self.facets.years()
        return self._years

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
                title for sub, offset, reader in self.segments for title in column_values(reader, "sort_title")
            ]
        return self._titles
