"""What asking for a territory means: one rule for `kb search`, the site's filters, the map and
the listing pages.

Brussels is one region, 19 communes and 5 bassins (kb/vocabularies/territories.yaml); a bassin
lists the communes wholly inside it (``communes``) and those it shares with other bassins
(``partial``: Bruxelles-Ville). For a territory asked for, an entry is either

* **own** -- about the territory itself: it lists the territory, or (for a bassin) a commune
  wholly inside it, since an entry about Jette is about Bassin Nord;
* **broader** -- about a territory around it or overlapping it, and not own: for a commune, its
  bassin(s) and the region; for a bassin, a commune it shares and the region; or
* neither.

Readers get the own entries first, then the broader ones, marked, with a switch to hide them.
The region's own entries are those that list the region; it has no broader ones.

The rule is written as two sets of territory ids per territory (``Reach``): an entry is own
when it lists one of ``own``, broader when it lists one of ``broader`` and none of ``own``.
Every consumer asks the same question of the ids an entry lists, whatever stores them (Whoosh,
SQL, Pagefind's "any" and "none" filters, a list of entries).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Protocol, Sequence, TypeVar

from kb.entries.vocab import Vocabularies, fold
from kb.i18n import Said


class _Placed(Protocol):
    """What ``Geography.split_each`` reads of an entry."""

    @property
    def territories(self) -> Iterable[str]: ...


T = TypeVar("T", bound=_Placed)


@dataclass(frozen=True)
class Reach:
    """The ids an entry lists to be about ``id`` itself (``own``) or about what is around it."""

    id: str
    kind: str
    own: frozenset[str]
    broader: frozenset[str]

    def relation(self, listed: Iterable[str]) -> str | None:
        """``"own"``, ``"broader"`` or None for an entry listing these territories."""
        places = set(listed)
        if places & self.own:
            return "own"
        return "broader" if places & self.broader else None


class UnknownTerritory(Said, ValueError):
    """A territory a reader typed that is no known one, or that names several: the message says
    which, and how to write it, in the reader's language."""


@dataclass(frozen=True)
class Geography:
    """The region, communes and bassins of the territory vocabulary, and each one's reach."""

    regions: tuple[str, ...]
    communes: tuple[str, ...]
    bassins: dict[str, tuple[tuple[str, ...], tuple[str, ...]]]  # id -> (whole communes, shared ones)
    names: dict[str, tuple[str, ...]]  # id -> folded names (labels in every language, NIS code, id)

    def kind(self, territory: str) -> str:
        if territory in self.regions:
            return "region"
        return "bassin" if territory in self.bassins else "commune"

    def bassins_of(self, commune: str) -> tuple[str, ...]:
        """The bassins a commune is wholly in, then those it is partly in."""
        whole = tuple(b for b, (communes, _) in self.bassins.items() if commune in communes)
        return whole + tuple(b for b, (_, shared) in self.bassins.items() if commune in shared)

    def reach(self, territory: str) -> Reach:
        kind = self.kind(territory)
        if kind == "region":
            return Reach(territory, kind, frozenset({territory}), frozenset())
        if kind == "bassin":
            whole, shared = self.bassins[territory]
            return Reach(territory, kind, frozenset({territory, *whole}), frozenset({*shared, *self.regions}))
        return Reach(territory, kind, frozenset({territory}), frozenset({*self.bassins_of(territory), *self.regions}))

    def split_each(self, territories: Iterable[str], entries: Sequence[T]) -> dict[str, tuple[list[T], list[T]]]:
        """For each of the ``territories``: the entries about it, then the broader ones (see
        Reach), each list in the given order. Each entry is looked at once, through the
        territories whose reach holds the ids it lists: asking each territory about each
        entry was 49 checks an entry for the listings."""
        own_of: dict[str, list[str]] = defaultdict(list)
        broader_of: dict[str, list[str]] = defaultdict(list)
        split: dict[str, tuple[list[T], list[T]]] = {}
        for territory in territories:
            reach = self.reach(territory)
            split[territory] = ([], [])
            for place in reach.own:
                own_of[place].append(territory)
            for place in reach.broader:
                broader_of[place].append(territory)
        # Entries often list the same territories (962 lists for 10,000 synthetic entries):
        # each list is looked up once.
        found: dict[tuple[str, ...], tuple[set[str], set[str]]] = {}
        for entry in entries:
            listed = tuple(entry.territories)
            if listed not in found:
                own = {t for place in listed for t in own_of.get(place, ())}
                found[listed] = own, {t for place in listed for t in broader_of.get(place, ())} - own
            own, broader = found[listed]
            for territory in own:
                split[territory][0].append(entry)
            for territory in broader:
                split[territory][1].append(entry)
        return split

    def reach_all(self, territories: Iterable[str]) -> Reach:
        """Several territories asked for at once: entries about any of them, then around any."""
        reaches = [self.reach(t) for t in territories]
        own = frozenset().union(*(r.own for r in reaches))
        return Reach(
            ",".join(r.id for r in reaches),
            reaches[0].kind if len(reaches) == 1 else "several",
            own,
            frozenset().union(*(r.broader for r in reaches)) - own,
        )

    def resolve(self, text: str) -> str:
        """The territory id a reader means by an id, a NIS code or a French, Dutch or English
        name typed loosely (any case, accents, hyphens or spaces: ``molenbeek``,
        ``sint-jans-molenbeek``, ``Saint Gilles``, ``21013``)."""
        wanted = _words(text)
        if not wanted:
            raise UnknownTerritory("territory.empty")
        exact = [t for t, names in self.names.items() if wanted in names]
        if len(exact) == 1:
            return exact[0]
        # Every word typed starts a word of one name only ("molenbeek", "st gilles", "woluwe pierre").
        loose = re.sub(r"\bste?\b", "s", wanted)  # "st gilles", "ste agathe": saint, sint, sainte
        partial = [t for t, names in self.names.items() if any(_contains(name, loose) for name in names)]
        if len(partial) == 1:
            return partial[0]
        if partial:
            raise UnknownTerritory("territory.ambiguous", text=text, choices=", ".join(partial))
        raise UnknownTerritory("territory.unknown", text=text)


def _words(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", fold(str(text))))


def _contains(name: str, wanted: str) -> bool:
    words = name.split()
    return all(any(w.startswith(part) for w in words) for part in wanted.split())


def geography(vocabularies: Vocabularies) -> Geography:
    """The geography of the territory vocabulary (order as in the file)."""
    terms = list(vocabularies["territories"])
    names = {}
    for term in terms:
        typed = [term.id, term.id.replace("_", " "), *term.labels.values(), str(term.extra.get("nis", ""))]
        names[term.id] = tuple(dict.fromkeys(_words(n) for n in typed if n))
    return Geography(
        regions=tuple(t.id for t in terms if t.extra.get("kind") == "region"),
        communes=tuple(t.id for t in terms if t.extra.get("kind") == "commune"),
        bassins={
            t.id: (
                tuple(str(c) for c in t.extra.get("communes", ())),
                tuple(str(c) for c in t.extra.get("partial", ())),
            )
            for t in terms
            if t.extra.get("kind") == "bassin"
        },
        names=names,
    )
