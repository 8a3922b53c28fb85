"""The entries arranged as the site shows them: sorted lists per value, related entries, figures.

Everything here depends on the entries' metadata only, never on how a page looks; the page keys
(``fingerprint``) are made here because a card's key and the derived-data cache key are too.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import math
from collections import defaultdict
from itertools import repeat
from pathlib import Path
from typing import Iterable

from kb import cache as cache_file
from kb import stats
from kb.entries import territories
from kb.entries.schema import Entry
from kb.entries.vocab import Vocabularies, fold
from kb.history import Dates, History

RELATED = 5
RARE_VALUES = 4  # related entries are found through an entry's rarest values...
CANDIDATES = 50  # ...taking this many entries from each
BROWSE = ("type", "scale", "criteria", "basis", "partners", "territories", "year", "language")
NEWS_MONTHS, NEWS_MOST = 12, 100  # the news page: months shown, entries listed per month and kind
SITE_VERSION = "4"  # bump when templates or the figures' rules change in a way no hash would show


def _provenance(entries: Iterable[Entry], history: History | None) -> dict[str, Dates]:
    """Each entry's dates from the repository's history, else from its ``added`` field (a date
    only, with no change known), else none."""
    known = history.dates if history else {}
    return {e.id: known.get(e.id) or Dates(e.added, "") for e in entries if e.id in known or e.added}


Related = dict[str, list[tuple[str, tuple[tuple[str, str], ...]]]]  # entry id -> (other id, shared tags)...

# What a tree was built from, per entry (Site.outline): its file's digest, its metadata key, its
# related entries packed as text, its listings, its folded title, its card's key and the key of
# what it is arranged by (``arranged``). All but the related entries follow from the entry's
# file alone.
Row = tuple[str, str, str, str, str, str, str]
DIGEST, FOLDED, CARD, ARRANGED = 0, 4, 5, 6


def arranged(entry: Entry) -> tuple:
    """What the site arranges an entry by, besides its title: every entry's related entries,
    the figures and the listings an entry is in follow from these fields of all entries alone
    (a title orders the listings, it does not put an entry in one)."""
    return (
        entry.id,
        entry.year,
        entry.type,
        entry.language,
        entry.scale,
        entry.criteria,
        entry.basis,
        entry.partners,
        entry.territories,
    )


def arranged_key(entry: Entry) -> str:
    """``arranged`` hashed, as a tree's outline keeps it (Row[ARRANGED])."""
    return fingerprint(*arranged(entry))


def same_file(row: Row | None, entry: Entry) -> Row | None:
    """``row`` (of a tree's outline) when it was made from ``entry``'s file as it is now: what
    follows from the file alone in it serves again."""
    return row if row and row[DIGEST] == entry.digest else None


def _order(entry: Entry, known: Row | None) -> tuple:
    """Listing order: newest first, then by title (accents and case aside), then id; the title
    folded for a ``known`` row of the same file serves again (folding is costly)."""
    row = same_file(known, entry)
    return (-entry.year, row[FOLDED] if row else fold(entry.title), entry.id)


def fingerprint(*parts: object) -> str:
    """A page key: the parts are built in a fixed order, so their repr is stable (and much
    cheaper than JSON for the 50,000 keys of a large site)."""
    return hashlib.sha1(repr(parts).encode()).hexdigest()


class Catalogue:
    """The entries arranged as the site shows them: sorted lists per value, related entries."""

    def __init__(
        self,
        entries: Iterable[Entry],
        vocabularies: Vocabularies,
        cache: Path | None = None,
        history: History | None = None,
        known: dict[str, Row] | None = None,
    ):
        """``known``: the outline of a tree built before (Site.outline), whose folded titles and
        card keys serve again for the entries whose file is the same."""
        before = known or {}
        self.vocabularies = vocabularies
        self.dates = _provenance(entries, history)
        self.order = {e.id: _order(e, before.get(e.id)) for e in entries}  # folding titles is costly: once per entry
        self.entries = sorted(entries, key=lambda e: self.order[e.id])
        self.by_id = {e.id: e for e in self.entries}
        self.values: dict[str, dict[str, list[Entry]]] = {}
        for dimension in BROWSE:
            buckets: dict[str, list[Entry]] = defaultdict(list)
            if dimension == "territories":  # a territory lists the entries about it (kb.entries.territories)
                ids = [t.id for t in vocabularies.for_field(dimension)]
                split = territories.geography(vocabularies).split_each(ids, self.entries)
                buckets = defaultdict(list, {t: own for t, (own, _) in split.items() if own})
            elif dimension in ("year", "type", "language"):  # one value each (the loops are 70,000 steps)
                for entry in self.entries:
                    buckets[str(entry.year) if dimension == "year" else getattr(entry, dimension)].append(entry)
            else:
                for entry in self.entries:
                    for value in getattr(entry, dimension):
                        buckets[value].append(entry)
            if dimension == "year":
                order = sorted(buckets, key=int, reverse=True)
            else:
                known = [t.id for t in vocabularies.for_field(dimension)]
                order = [v for v in known if v in buckets]
            self.values[dimension] = {v: buckets[v] for v in order}
        self.related, self.figures, self.packed, self.figure_keys = (
            self._cached_derived(cache) if cache else self._derived()
        )
        self.cards = {
            e.id: row[CARD] if (row := same_file(before.get(e.id), e)) else fingerprint(self._card(e))
            for e in self.entries
        }
        # (scale, criterion) and (scale, basis) -> the entries having both: the two matrices' cells
        self.matrix_cells: dict[tuple[str, str], list[Entry]] = defaultdict(list)
        self.basis_cells: dict[tuple[str, str], list[Entry]] = defaultdict(list)
        for entry in self.entries:
            for scale in entry.scale:
                for criterion in entry.criteria:
                    self.matrix_cells[scale, criterion].append(entry)
                for basis in entry.basis:
                    self.basis_cells[scale, basis].append(entry)

    @classmethod
    def around(
        cls, entries: list[Entry], vocabularies: Vocabularies, related: dict[str, list], history: History | None = None
    ) -> Catalogue:
        """Only what the pages of a few entries need (themselves and the entries they link to),
        with their related entries as a whole catalogue found them: for an incremental build
        in which no entry changed anything but its own pages."""
        catalogue = cls.__new__(cls)
        catalogue.vocabularies = vocabularies
        catalogue.dates = _provenance(entries, history)
        catalogue.entries = entries
        catalogue.by_id = {e.id: e for e in entries}
        catalogue.related = related
        catalogue.cards = {e.id: fingerprint(cls._card(e)) for e in entries}
        return catalogue

    def latest(self, n: int = 10) -> list[Entry]:
        """The entries added last (by the repository's history, else their ``added`` field)."""
        return self._newest[:n]

    @functools.cached_property
    def _newest(self) -> list[Entry]:
        """Every entry, the last added first: the home page in each language and the feed take
        their heads (sorting 10,000 entries once, not three times)."""
        return sorted(self.entries, key=lambda e: (self.added(e.id), e.year, e.id), reverse=True)

    def added(self, entry_id: str) -> str:
        dates = self.dates.get(entry_id)
        return dates.added if dates else ""

    @functools.cached_property
    def news(self) -> list[tuple[str, list[Entry], int, list[Entry], int]]:
        """The last NEWS_MONTHS months with additions or changes, newest first: (YYYY-MM, entries
        added, how many, entries last changed that month after being added before, how many),
        each list newest first and cut at NEWS_MOST (made once, for the news page in each language)."""
        months, most = NEWS_MONTHS, NEWS_MOST
        added: dict[str, list[tuple[str, Entry]]] = defaultdict(list)
        changed: dict[str, list[tuple[str, Entry]]] = defaultdict(list)
        for entry in self.entries:
            dates = self.dates.get(entry.id)
            if not dates:
                continue
            added[dates.added[:7]].append((dates.added, entry))
            if dates.changed and dates.changed[:10] != dates.added[:10]:
                changed[dates.changed[:7]].append((dates.changed, entry))
        result = []
        for month in sorted(added.keys() | changed.keys(), reverse=True)[:months]:
            new = [e for _, e in sorted(added[month], key=lambda p: (p[0], p[1].id), reverse=True)]
            edited = [e for _, e in sorted(changed[month], key=lambda p: (p[0], p[1].id), reverse=True)]
            result.append((month, new[:most], len(new), edited[:most], len(edited)))
        return result

    def label(self, dimension: str, value: str, lang: str) -> str:
        return value if dimension == "year" else self.vocabularies.label(dimension, value, lang)

    @staticmethod
    def _card(entry: Entry) -> tuple:
        """What an entry's card in a listing shows."""
        return (
            entry.id,
            entry.title,
            entry.year,
            entry.type,
            entry.summary,
            entry.language,
            entry.scale,
            entry.criteria,
            entry.translations,
        )

    def _derived(self) -> tuple[Related, stats.Summary, dict[str, str], dict[str, str]]:
        """Related entries, figures, the related entries packed for a tree's outline (see
        packed) and the figures' keys (see figure_keys): made once with them, not by every build."""
        related = self._related()
        figures = stats.summary(self.entries, self.vocabularies)
        return related, figures, {i: packed(r) for i, r in related.items()}, figure_keys(figures)

    def _cached_derived(self, cache: Path) -> tuple[Related, stats.Summary, dict[str, str], dict[str, str]]:
        """Related entries and figures, kept in ``cache`` between builds: they depend on the
        entries' ids, years, types, languages and tags alone (and on the vocabularies), so
        editing a text or a title does not recompute them. The related entries are kept packed
        only, and unpacked for the entries a build asks about (_Unpacked): unpickling all of
        them took 30 ms of a rebuild that shows a few hundred."""
        key = fingerprint(
            "figures, packed, keys",
            SITE_VERSION,
            RELATED,
            RARE_VALUES,
            CANDIDATES,
            vocabulary_fingerprint(self.vocabularies),
            sorted(arranged(e) for e in self.entries),
        )
        stored = cache_file.read(cache)
        if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == key:
            figures, packs, keys = stored[1]
            return _Unpacked(packs), figures, packs, keys
        related, figures, packs, keys = self._derived()
        cache_file.write(cache, (key, (figures, packs, keys)))
        return related, figures, packs, keys

    def _related(self) -> Related:
        """For each entry, up to RELATED others sharing its rarest scales, criteria, bases, partners and
        territories (a shared value weighs more the fewer entries have it), newest first on a tie.
        Only the entry's rarest values are followed, so the cost stays linear on a large inventory."""
        postings: dict[tuple[str, str], list[str]] = defaultdict(list)
        tagsets: dict[str, set[tuple[str, str]]] = {}
        for entry in sorted(self.entries, key=lambda e: (-e.year, e.id)):
            values = entry.tags()
            tags = {(d, v) for d in ("scale", "criteria", "basis", "partners", "territories") for v in values[d]}
            tags.discard(("territories", "region"))
            tagsets[entry.id] = tags
            for tag in tags:
                postings[tag].append(entry.id)
        # Whole-number weights: sums are exact, so ties break the same way on every run.
        weight = {tag: round(1_000_000 / math.log2(1 + len(ids))) for tag, ids in postings.items()}
        rarity = {tag: (len(ids), tag) for tag, ids in postings.items()}
        heads = {tag: ids[:CANDIDATES] for tag, ids in postings.items()}
        rank = {i: number for number, i in enumerate(tagsets)}  # (filled newest first)
        related = {}
        for entry in self.entries:
            mine = tagsets[entry.id]
            scores: dict[str, int] = {}
            for tag in sorted(mine, key=rarity.__getitem__)[:RARE_VALUES]:
                ids = heads[tag]  # scores[other] += weight, in C loops: 2 million additions at 10,000 entries
                scores.update(zip(ids, map(weight[tag].__add__, map(scores.get, ids, repeat(0)))))
            scores.pop(entry.id, None)
            cut = heapq.nlargest(RELATED, scores.values())[-1] if scores else 0
            best = sorted((-score, rank[other], other) for other, score in scores.items() if score >= cut)
            related[entry.id] = [(other, tuple(sorted(mine & tagsets[other]))) for _, _, other in best[:RELATED]]
        return related


def figure_keys(figures: stats.Summary) -> dict[str, str]:
    """What each figure page shows of the figures, hashed: ``matrix``, ``basis_matrix``,
    ``coverage`` (the map), ``overview``, and ``map/<area>`` for each commune and bassin. The
    coverage names every entry of every area (some 50,000 ids at 10,000 entries): hashing it
    for each page in each language was a tenth of a rebuild after a title edit, so it is done
    once, with the figures, and kept with them."""
    shown = figures.as_dict()
    keys = {name: fingerprint(shown[name]) for name in ("matrix", "basis_matrix", "coverage")}
    keys["overview"] = fingerprint(shown["partners_by_type"], shown["per_year"])
    for area in (*figures.coverage.communes, *figures.coverage.bassins):
        keys[f"map/{area.id}"] = fingerprint(area.as_dict())
    return keys


def packed(related: list[tuple[str, tuple[tuple[str, str], ...]]]) -> str:
    """An entry's related entries as text, for a tree's outline (see Site.outline): every build
    loads and saves the outline of all the entries, and only the few entries a quick plan
    rebuilds need their related entries back (``unpacked``). Pickling 10,000 nested lists took
    about 0.1 s each way at 10,000 entries; text is copied. ``other|dimension=value,...`` per
    related entry, ``;`` between them: ids and vocabulary ids hold none of those signs, and
    joining them costs a fifth of JSON's 30 ms at 10,000 entries."""
    return ";".join(other + "|" + ",".join(d + "=" + v for d, v in shared) for other, shared in related)


class _Unpacked(dict):
    """Related entries (Catalogue.related) unpacked from their text (``packed``) when first
    asked for."""

    def __init__(self, packs: dict[str, str]):
        super().__init__()
        self.packs = packs

    def __missing__(self, entry_id: str) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
        self[entry_id] = related = unpacked(self.packs[entry_id])
        return related


def unpacked(text: str) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    related = []
    for part in filter(None, text.split(";")):
        other, _, shared = part.partition("|")
        related.append(
            (other, tuple((d, v) for d, _, v in (pair.partition("=") for pair in shared.split(",") if pair)))
        )
    return related


def lists(text: str, ids: set[str]) -> bool:
    """Whether packed related entries (``packed``) name one of ``ids`` (asked of every entry
    after an edit: a plain search for each id first, which the related entries of most
    entries do not hold anywhere)."""
    return any(i in text and (text.startswith(f"{i}|") or f";{i}|" in text) for i in ids)


def vocabulary_fingerprint(vocabularies: Vocabularies) -> list:
    """The vocabularies' ids and labels: a page showing a label changes when they do."""
    return [(name, [(t.id, dict(t.labels)) for t in vocab]) for name, vocab in sorted(vocabularies.by_name.items())]
