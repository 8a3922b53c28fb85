"""One query evaluated in one segment: the documents it matches as sets, the best of them scored.

Whoosh scores a query by walking a tree of matchers, one Python call per posting and per node;
for the queries readers type that was most of a search's time. ``Evaluation`` answers the
common nodes itself with Whoosh's own BM25F formula and statistics (so matches, scores and order
are Whoosh's) and hands any other node to Whoosh's matcher. It reads postings through
``kb.search.engine.postings`` and a segment's statistics through ``View``.

Over 300 lines because matching (``docs``), scoring (``scores``, ``_add``, ``_term``) and
pruning (``candidates``, ``_bounds``) walk the same node kinds (``kind_of``) with the same
cached postings: split, each part would need the others' private state.
"""

from __future__ import annotations

import bisect
import heapq
from array import array
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from whoosh import query
from whoosh.reading import TermNotFound
from whoosh.util.numeric import length_to_byte

from kb.search.engine.postings import read_phrase_keys, read_postings

if TYPE_CHECKING:
    from kb.search.engine.view import View

PRUNE_FROM = 1000  # matches in a segment before some are left unscored (see Evaluation.candidates)
SEED = 3  # times the hits asked for: the documents scored first, for a threshold


class Evaluation:
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

    def __init__(self, view: View, seg: int, sub: Any, reader: Any) -> None:
        self.view, self.seg, self.sub, self.reader = view, seg, sub, reader
        self.deleted = view.deleted(seg, reader)  # left out of every set of documents, not of postings
        self._postings: dict[tuple[str, bytes] | None, tuple[list[int], array[float]] | None] = {}
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
        kind = kind_of(q, self.view.bm25)
        if kind == "null":
            return set()
        if kind == "term":
            postings = self.postings(q.fieldname, q.text)
            found = set(postings[0]) if postings else set()
            if self.deleted and found:
                found -= self.deleted
            return found
        if kind == "or":  # (a word in the fields of three languages: often found in one only)
            some = [docs for docs in map(self.docs, q.subqueries) if docs]
            return some[0] if len(some) == 1 else set().union(*some)
        if kind == "and":
            return intersect([self.docs(child) for child in q.subqueries])
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
        kind = kind_of(q, self.view.bm25)
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
        if key is None:
            return None
        try:
            info = self.reader.term_info(*key)
        except TermNotFound:
            return None
        weight: float = info.max_weight()
        boost: float = q.boost * factor
        if not self.view.schema[q.fieldname].scorable:
            return weight * boost
        norm: float = self.view.norm_table(q.fieldname)[length_to_byte(info.min_length())]
        idf: float = self.view.searcher.idf(*key)
        k1: float = self.view.weighting.K1
        return idf * ((weight * (k1 + 1)) / (weight + norm)) * boost

    def _add(self, q: query.Query, total: list[float], within: set[int], loose: bool, factor: float) -> None:
        """Add ``factor`` times the score of ``q`` to ``total[d]`` for each document ``d`` of
        ``within`` that ``q`` matches, and nothing to the other documents of ``within``.

        ``loose``: no document outside ``within`` will be read (``within`` is the query's matches,
        and the nodes above ``q`` match all of them), so a word may add to all its postings
        without looking each up in ``within``: what lands outside is never seen.
        """
        kind = kind_of(q, self.view.bm25)
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

    def postings(self, fieldname: str, text: Any) -> tuple[list[int], array[float]] | None:
        """(ids, weights) of a term in this segment, read once per query; None when absent."""
        key = self._key(fieldname, text)
        if key in self._postings:
            return self._postings[key]
        found = self._postings[key] = read_postings(self.reader.postings(*key)) if key and key in self.reader else None
        return found

    def phrase_keys(self, fieldname: str, text: Any) -> array[int] | None:
        """``(document << 32) + position`` for each position of a term in this segment; None
        when absent."""
        key = self._key(fieldname, text)
        return read_phrase_keys(self.reader.postings(*key)) if key and key in self.reader else None

    def _key(self, fieldname: str, text: Any) -> tuple[str, bytes] | None:
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
        ids: list[int] = postings[0]
        weights: Sequence[float] = postings[1]
        if len(within) * 4 < len(ids):  # a few documents: find each by bisection
            ids, weights, loose = *looked_up(ids, weights, within), True
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


def looked_up(ids: list[int], weights: Sequence[float], within: set[int]) -> tuple[list[int], list[float]]:
    """The postings (``ids``, ascending, and ``weights``) of the few documents of ``within``,
    each found by bisection."""
    found = [i for d in sorted(within) if (i := bisect.bisect_left(ids, d)) < len(ids) and ids[i] == d]
    return [ids[i] for i in found], [weights[i] for i in found]


def kind_of(q: query.Query, bm25: bool) -> str:
    """Which of ``Evaluation``'s cases a query node is ('whoosh': none of them)."""
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


def intersect(sets: list[set[int]]) -> set[int]:
    if not sets or not all(sets):
        return set()
    sets = sorted(sets, key=len)
    return sets[0].intersection(*sets[1:])
