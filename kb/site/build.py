"""The static inventory site: every page rendered from the store, written atomically and
incrementally, searchable in the browser with Pagefind.

How a build stays atomic and cheap:

- The live site (``site/``) is never written to file by file. The build writes into a second tree beside
  it (``.site.next/``), then swaps the two with one ``renameat2(RENAME_EXCHANGE)``: readers see
  the old site or the new one, never a half-written one; a failed build leaves ``site/`` as it was.
- Each page has a *key*, a hash of everything it shows. A manifest per tree remembers the key
  of every file it holds (with its size and mtime, to notice tampering), so a page whose key did
  not change in that tree is neither rendered nor written. Changing one entry's metadata
  rewrites its two pages (FR, NL), its neighbours' "related" lists and the listings it appears
  in; changing texts only rewrites the changed entries' pages, found without keying the rest
  (see Site.outline).
- Pagefind writes each bundle into a folder of its own, moved into a tree in one rename: after
  a few changes the new pages go live first, and the new bundle follows (see build).
- Output is deterministic: no clock, stable orders, so two builds of the same entries are
  byte-identical.

Pagefind indexes the French entry pages only, as a single index (``--force-language fr``): each
entry is indexed once, and the Dutch search page maps the result URLs to ``/nl/``, so entries in
either language are found from both interfaces.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import ctypes
import datetime as dt
import errno
import gc
import gzip
import functools
import hashlib
import heapq
import json
import math
import multiprocessing
import os
import re
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol

import jinja2
import jinja2.filters
from markupsafe import Markup, escape

from kb.bibliography import formats as biblio
from kb import cache as cache_file
from kb import faults
from kb.site import charts
from kb import i18n
from kb import stats
from kb.config import Config
from kb.history import Dates, History
from kb.entries import json_schema, territories
from kb.entries.schema import CITATION_FIELDS, Entry
from kb.site import opendata, propose
from kb.site.markup import Renderer
from kb.entries.vocab import DIMENSIONS, Vocabularies, fold

PAGE_SIZE = 100
RELATED = 5
RARE_VALUES = 4  # related entries are found through an entry's rarest values...
CANDIDATES = 50  # ...taking this many entries from each
WORKERS = min(2, os.cpu_count() or 1)
PARALLEL_FROM = 400  # pages to render before it pays to fork workers
BROWSE = ("type", "scale", "criteria", "basis", "partners", "territories", "year", "language")
TEMPLATES = Path(__file__).parent / "templates"
ASSETS = Path(__file__).parent / "assets"
TERMS_SECTION = "kbtermes"  # the hidden section of an entry page with its labels in both languages (search_terms)
EVERY_ENTRY = "kbinventaire"  # a word on every indexed page: the search page lists by filters alone with it
SITE_VERSION = "2"  # bump when templates or the figures' rules change in a way no hash would show

Progress = Callable[[str, int, int], None]
PAUSE = "KB_TEST_PAUSE"  # test-only: names the phase at which a build stops, to be killed there


class BuildError(Exception):
    """The build failed; the live site was not touched."""


class SearchNotUpdated(BuildError):
    """Pagefind failed after the new pages went live: the site still searches with its previous bundle."""


@dataclass(frozen=True)
class Page:
    """A file of the site. A ``late`` page is made after the others, from files they wrote:
    its ``render`` takes the folder being built."""

    path: str
    key: str
    render: Callable[..., str | bytes]
    late: bool = False


@dataclass
class BuildReport:
    output: Path
    entries: int = 0
    pages: int = 0
    written: list[str] = field(default_factory=list)
    removed: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    live: float = 0.0  # seconds until the new pages were live (the search bundle may follow)

    def __str__(self) -> str:
        parts = ", ".join(f"{k} {v:.2f}s" for k, v in self.timings.items())
        return (
            f"built {self.output}: {self.entries} entries, {self.pages} pages, {len(self.written)} written, "
            f"{self.removed} removed ({parts}; live after {self.live:.2f}s)"
        )


def _provenance(entries: Iterable[Entry], history: History | None) -> dict[str, Dates]:
    """Each entry's dates from the repository's history, else from its ``added`` field (a date
    only, with no change known), else none."""
    known = history.dates if history else {}
    return {e.id: known.get(e.id) or Dates(e.added, "") for e in entries if e.id in known or e.added}


def _order(entry: Entry) -> tuple:
    """Listing order: newest first, then by title (accents and case aside), then id."""
    return (-entry.year, fold(entry.title), entry.id)


def _hash(*parts: object) -> str:
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
    ):
        self.vocabularies = vocabularies
        self.dates = _provenance(entries, history)
        self.order = {e.id: _order(e) for e in entries}  # folding titles is costly: once per entry
        self.entries = sorted(entries, key=lambda e: self.order[e.id])
        self.by_id = {e.id: e for e in self.entries}
        self.values: dict[str, dict[str, list[Entry]]] = {}
        for dimension in BROWSE:
            buckets: dict[str, list[Entry]] = defaultdict(list)
            for entry in self.entries:
                for value in self.tag_values(entry, dimension):
                    buckets[value].append(entry)
            if dimension == "territories":  # a territory lists the entries about it (kb.entries.territories)
                geo = territories.geography(vocabularies)
                buckets = defaultdict(
                    list,
                    {
                        t.id: own
                        for t in vocabularies.for_field(dimension)
                        if (own := geo.reach(t.id).split(self.entries)[0])
                    },
                )
            if dimension == "year":
                order = sorted(buckets, key=int, reverse=True)
            else:
                known = [t.id for t in vocabularies.for_field(dimension)]
                order = [v for v in known if v in buckets]
            self.values[dimension] = {v: buckets[v] for v in order}
        self.related, self.figures = self._cached_derived(cache) if cache else self._derived()
        self.cards = {e.id: _hash(self._card(e)) for e in self.entries}
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
        catalogue.cards = {e.id: _hash(cls._card(e)) for e in entries}
        return catalogue

    @staticmethod
    def tag_values(entry: Entry, dimension: str) -> tuple[str, ...]:
        return (str(entry.year),) if dimension == "year" else entry.tags()[dimension]

    def latest(self, n: int = 10) -> list[Entry]:
        """The entries added last (by the repository's history, else their ``added`` field)."""
        return sorted(self.entries, key=lambda e: (self.added(e.id), e.year, e.id), reverse=True)[:n]

    def added(self, entry_id: str) -> str:
        dates = self.dates.get(entry_id)
        return dates.added if dates else ""

    def news(self, months: int = 12, most: int = 100) -> list[tuple[str, list[Entry], int, list[Entry], int]]:
        """The last ``months`` months with additions or changes, newest first: (YYYY-MM, entries
        added, how many, entries last changed that month after being added before, how many),
        each list newest first and cut at ``most``."""
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

    def _derived(self) -> tuple[dict[str, list[tuple[str, tuple[tuple[str, str], ...]]]], stats.Summary]:
        return self._related(), stats.summary(self.entries, self.vocabularies)

    def _cached_derived(
        self, cache: Path
    ) -> tuple[dict[str, list[tuple[str, tuple[tuple[str, str], ...]]]], stats.Summary]:
        """Related entries and figures, kept in ``cache`` between builds: they depend on the
        entries' ids, years, types, languages and tags alone (and on the vocabularies), so
        editing a text or a title does not recompute them."""
        key = _hash(
            SITE_VERSION,
            RELATED,
            RARE_VALUES,
            CANDIDATES,
            _vocabulary_fingerprint(self.vocabularies),
            sorted(
                (e.id, e.year, e.type, e.language, e.scale, e.criteria, e.basis, e.partners, e.territories)
                for e in self.entries
            ),
        )
        stored = cache_file.read(cache)
        if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == key:
            return stored[1]
        derived = self._derived()
        cache_file.write(cache, (key, derived))
        return derived

    def _related(self) -> dict[str, list[tuple[str, tuple[tuple[str, str], ...]]]]:
        """For each entry, up to RELATED others sharing its rarest scales, criteria, bases, partners and
        territories (a shared value weighs more the fewer entries have it), newest first on a tie.
        Only the entry's rarest values are followed, so the cost stays linear on a large inventory."""
        postings: dict[tuple[str, str], list[str]] = defaultdict(list)
        tagsets: dict[str, set[tuple[str, str]]] = {}
        for entry in sorted(self.entries, key=lambda e: (-e.year, e.id)):
            tags = {(d, v) for d in ("scale", "criteria", "basis", "partners", "territories") for v in entry.tags()[d]}
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


class Site:
    """Renders a Catalogue into pages for the FR and NL interfaces, plus feeds and downloads."""

    EVERY_ENTRY = EVERY_ENTRY
    TERMS_SECTION = TERMS_SECTION

    def __init__(self, catalogue: Catalogue, config: Config | None = None):
        self.catalogue = catalogue
        self.config = config or Config()
        base_url = self.config.base_url
        self.base_url = base_url.rstrip("/") + "/" if base_url else ""
        self.vocabularies = catalogue.vocabularies
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES)),
            autoescape=True,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
            auto_reload=False,  # templates do not change during a build: no stat of them for each of 50,000 pages
        )
        self.env.globals.update(
            t=i18n.t,
            count=i18n.count,
            DIMENSION_NAMES=i18n.DIMENSION_NAMES,
            LANG_NAMES=i18n.LANG_NAMES,
            LANGUAGE_IN=i18n.LANGUAGE_IN,
            site=self,
            biblio=biblio,
            charts=charts,
            config=self.config,
            propose=propose,
        )
        self.design = self.design_of(self.vocabularies, self.config)
        self.geography = territories.geography(self.vocabularies)
        self.reaches = {t.id: self.geography.reach(t.id) for t in self.vocabularies.for_field("territories")}
        self._renderer: Renderer | None = None
        self._bodies: dict[str, str] = {}
        self._fresh_bodies: list[str] = []  # rendered in this process since fresh_bodies() last ran
        self._cards: dict[tuple[str, str, str, int], Markup] = {}
        self._bibtex: dict[str, str] = {}
        self._entry_keys: dict[str, str] = {}
        self._export_keys: dict[str, str] = {}

    @staticmethod
    def design_of(vocabularies: Vocabularies, config: Config) -> str:
        """Everything every page depends on: a change rewrites the whole site (see Tree)."""
        return _hash(
            SITE_VERSION,
            *sorted((p.name, p.read_bytes().hex()) for p in TEMPLATES.glob("*")),
            *sorted((p.name, p.read_bytes().hex()) for p in ASSETS.glob("*")),
            _vocabulary_fingerprint(vocabularies),
            repr(config),
        )

    # -- helpers the templates call ------------------------------------------------------------

    def label(self, dimension: str, value: str, lang: str) -> str:
        return self.catalogue.label(dimension, value, lang)

    def organisation(self, name: str, lang: str) -> tuple[str, str | None]:
        """(label, partner id or None): organisations may be written as partner ids."""
        partners = self.vocabularies.for_field("partners")
        return (partners.label(name, lang), name) if name in partners else (name, None)

    @staticmethod
    def other_languages(entry: Entry, lang: str) -> list[tuple[str, str, str | None, bool]]:
        """(language, title, summary, is our translation) in the languages the page does not show:
        the original when the page shows a translation, and the other translations. On the French
        pages, which Pagefind indexes, this makes the Dutch title and summary searchable."""
        shown = entry.text_language(lang)
        others = [] if shown == entry.language else [(entry.language, entry.title, entry.summary, False)]
        others += [(code, title, summary, True) for code, title, summary in entry.translations if code != shown]
        return others

    def shared_labels(self, shared: tuple[tuple[str, str], ...], lang: str, most: int = 3) -> str:
        return ", ".join(self.label(d, v, lang) for d, v in shared[:most])

    def own_places(self, entry: Entry) -> list[str]:
        """The territories this entry is about (kb.entries.territories): the site search's
        territory filter, so that it keeps what `kb search --territory` keeps."""
        return [t for t, reach in self.reaches.items() if reach.relation(entry.territories) == "own"]

    def territory_groups(self, lang: str) -> list[tuple[str, list[tuple[str, str, int]]]]:
        """The search panel's territory filter: each bassin with its whole communes, then the
        shared communes and the region; (id, label, entries about it) each."""
        counts = {t: len(es) for t, es in self.catalogue.values.get("territories", {}).items()}
        geo = self.geography

        def item(t: str) -> tuple[str, str, int]:
            return t, self.label("territories", t, lang), counts.get(t, 0)

        groups = [
            (self.label("territories", b, lang), [item(b)] + [item(c) for c in whole])
            for b, (whole, _) in geo.bassins.items()
        ]
        shared = [c for c in geo.communes if not any(c in whole for whole, _ in geo.bassins.values())]
        groups.append((i18n.t(lang, "shared_communes"), [item(c) for c in shared] + [item(r) for r in geo.regions]))
        return groups

    def search_terms(self, entry: Entry) -> str:
        """Words the search finds the entry by in either language: its vocabulary labels in
        French and Dutch, the French and Dutch names and NIS codes of its territories."""
        words = []
        for dimension in ("type", "scale", "criteria", "basis", "partners", "territories"):
            vocabulary = self.vocabularies.for_field(dimension)
            for value in entry.tags()[dimension]:
                term = vocabulary.terms.get(value)
                if term:
                    words += [term.labels.get("fr", ""), term.labels.get("nl", ""), str(term.extra.get("nis", ""))]
                    words.append(value if value.isdigit() else "")
        return " · ".join(dict.fromkeys(w for w in words if w))

    def labels_json(self, lang: str) -> str:
        """Labels the search script needs, as JSON safe inside a <script> element."""
        data = {d: {t.id: t.label(lang) for t in self.vocabularies.for_field(d)} for d in DIMENSIONS}
        data["ui"] = {
            k: i18n.t(lang, k)
            for k in (
                "loading",
                "no_results",
                "count",
                "count_one",
                "more",
                "failed",
                "compare_empty",
                "year",
                "method",
                "translation",
                "original_title",
                "compare_add",
                "compare_remove",
                "compare_full",
                "compare_go",
            )
        }
        data["ui"].update(
            {
                d: i18n.DIMENSION_NAMES[lang][d][0]
                for d in ("type", "scale", "criteria", "basis", "partners", "territories")
            }
        )
        data["ui"].update({k: i18n.t(lang, k) for k in ("broader_badge", "broader_count", "found_by")})
        # What asking for a territory means (kb.entries.territories), for the search's territory filter.
        data["reach"] = {t: {"own": sorted(r.own), "broader": sorted(r.broader)} for t, r in self.reaches.items()}
        return json.dumps(data, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c")

    def card(self, entry: Entry, lang: str, root: str, level: int = 3) -> Markup:
        """An entry's card in a list. Each entry appears in a dozen listings: rendered once per
        language and page depth, in Python, as Jinja macros were the build's largest cost."""
        key = (entry.id, lang, root, level)
        if key not in self._cards:
            shown = entry.text_language(lang)
            other = f' lang="{shown}"' if shown != lang else ""
            scale = escape(self.label("scale", entry.scale[0], lang))
            others = len(entry.scale) - 1
            more = (
                f' <span class="more">{escape(i18n.t(lang, "more_scales_one" if others == 1 else "more_scales", n=others))}</span>'
                if others
                else ""
            )
            original = ""
            if entry.is_translated(lang):  # our translation, with the title as published beside it
                original = (
                    f'\n<p class="original"><span class="mark">{escape(i18n.t(lang, "translation"))}</span> '
                    f"{escape(i18n.t(lang, 'original_title'))}{' :' if lang == 'fr' else ':'} "
                    f'<cite lang="{entry.language}">{escape(entry.title)}</cite></p>'
                )
            summary = ""
            text = entry.summary_in(lang)
            if text:
                short = jinja2.filters.do_truncate(self.env, text, 220)
                own = f' lang="{entry.language}"' if text == entry.summary and entry.language != lang else other
                summary = f'\n<p class="summary"{own}>{escape(short)}</p>'
            self._cards[key] = Markup(
                f'<li class="card">\n<h{level}><a href="{root}{lang}/entries/{entry.id}/"{other}>'
                f'{escape(entry.title_in(lang))}</a></h{level}>{original}\n<p class="meta"><span>{entry.year}</span> · '
                f"<span>{escape(self.label('type', entry.type, lang))}</span> · <span>{scale}{more}</span></p>"
                f"{summary}\n</li>"
            )
        return self._cards[key]

    def feed_dates(self, entry: Entry) -> tuple[str, str]:
        """(published, updated) of an entry in the Atom feed: when it was added and last changed
        as the history says (RFC 3339); from its ``added`` field, else its year, without one."""
        dates = self.catalogue.dates.get(entry.id)
        if dates is None:
            return "", f"{entry.year}-01-01T00:00:00Z"
        added = dates.added if "T" in dates.added else f"{dates.added}T00:00:00Z"
        return added, dates.changed or added

    def feed_updated(self, entries: list[Entry]) -> str:
        """The feed's own date: its latest entry's, as a UTC instant (offsets differ between commits)."""
        instants = [dt.datetime.fromisoformat(self.feed_dates(e)[1].replace("Z", "+00:00")) for e in entries]
        latest = max(instants, default=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
        return latest.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def bibtex(self, entry: Entry) -> str:
        """The entry's BibTeX, shown on its two pages and written as its .bib download."""
        if entry.id not in self._bibtex:
            self._bibtex[entry.id] = biblio.bibtex([entry], self.vocabularies)
        return self._bibtex[entry.id]

    def jsonld(self, entry: Entry, lang: str) -> str:
        """schema.org JSON-LD for an entry page, safe inside a <script> element."""
        data = biblio.jsonld(entry, self.vocabularies)
        if self.base_url:
            data["@id"] = f"{self.base_url}{lang}/entries/{entry.id}/"
        text = json.dumps(data, ensure_ascii=False, sort_keys=True)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

    def body_html(self, entry: Entry) -> str:
        """The sanitised body, rendered once and shared by the FR and NL pages (see also
        _render_bodies)."""
        if entry.id not in self._bodies:
            if self._renderer is None:
                self._renderer = Renderer()
            self._bodies[entry.id] = _body(self._renderer, entry)
            self._fresh_bodies.append(entry.id)
        return self._bodies[entry.id]

    def fresh_bodies(self) -> dict[str, str]:
        """The bodies rendered in this process since the last call: a worker process hands
        them back, so the pages rendered after it (the other language) reuse them."""
        fresh = {i: self._bodies[i] for i in self._fresh_bodies}
        self._fresh_bodies.clear()
        return fresh

    def keep_bodies(self, bodies: dict[str, str]) -> None:
        self._bodies.update(bodies)

    # -- pages ---------------------------------------------------------------------------------

    def pages(self) -> Iterator[Page]:
        c = self.catalogue
        yield self._page("index.html", "splash.html", depth=0, lang="fr", key=(len(c.entries),), extra={})
        yield self._page("404.html", "404.html", depth=0, lang="fr", key=(), extra={})
        for asset in sorted(ASSETS.glob("*")):
            data = asset.read_bytes()
            yield Page(f"assets/{asset.name}", _hash(data.hex()), lambda data=data: data)
        for lang in i18n.UI_LANGS:
            yield from self._language_pages(lang)
        yield from self._exports()
        entry_schema = json_schema.dumps(self.vocabularies)
        yield Page("schema/entry.json", _hash(entry_schema), lambda: entry_schema)
        ids = json.dumps(sorted(e.id for e in c.entries))
        yield Page("propose/ids.json", _hash(ids), lambda ids=ids: ids)
        latest = c.latest(50)
        yield self._page(
            "feed.xml",
            "feed.xml",
            0,
            "fr",
            key=[(c.cards[e.id], c.dates.get(e.id)) for e in latest],
            extra={"entries": latest},
        )

    def _exports(self) -> Iterator[Page]:
        """Each entry as .bib, .ris and CSL .json, and the whole inventory in each format."""
        c, v = self.catalogue, self.vocabularies
        for entry in c.entries:
            for suffix, render in (
                (".bib", self.bibtex),
                (".ris", lambda e: biblio.ris([e], v)),
                (".json", lambda e: biblio.dumps(biblio.csljson([e], v))),
            ):
                yield Page(
                    f"export/entries/{entry.id}{suffix}",
                    self._export_key(entry),
                    lambda e=entry, render=render: render(e),
                )
        # The whole inventory in each format: the entries' own files joined, in id order.
        ids = sorted(e.id for e in c.entries)
        everything = _hash([self._export_key(c.by_id[i]) for i in ids])
        for fmt in biblio.FORMATS:
            suffix = biblio.EXTENSIONS[fmt]

            def join(tree: Path, fmt: str = fmt, suffix: str = suffix) -> str:
                folder = os.path.join(tree, "export", "entries")
                return biblio.join(fmt, (_read(os.path.join(folder, i + suffix)) for i in ids))

            yield Page(f"export/kb{suffix}", everything, join, late=True)
        yield from self._open_data(everything)

    def _open_data(self, everything: str) -> Iterator[Page]:
        """The inventory for analysts (kb.site.opendata): SQLite for Datasette, CSV, JSON."""
        c, v = self.catalogue, self.vocabularies
        key = _hash(SITE_VERSION, everything, _vocabulary_fingerprint(v))
        records = functools.cache(lambda: opendata.rows(c.entries, v))
        yield Page("data/kb.sqlite", key, lambda: opendata.sqlite_bytes(records(), v))
        yield Page("data/kb.csv", key, lambda: opendata.csv_text(records()))
        yield Page("data/kb.json", key, lambda: opendata.json_text(records()))
        meta = opendata.metadata(self.config.site_title("en"), self.config.site_tagline("en"))
        yield Page("data/metadata.json", _hash(meta), lambda: meta)

    def sitemap(self, paths: Iterable[str]) -> Page:
        """sitemap.xml over every HTML page; absolute when the site has a base URL."""
        pages = sorted(p.removesuffix("index.html") for p in paths if p.endswith(".html") and p != "404.html")
        return self._page("sitemap.xml", "sitemap.xml", 0, "fr", key=pages, extra={"pages": pages})

    def _language_pages(self, lang: str) -> Iterator[Page]:
        c = self.catalogue
        counts = {d: [(v, len(es)) for v, es in values.items()] for d, values in c.values.items()}
        latest = c.latest()
        yield self._page(
            f"{lang}/index.html",
            "home.html",
            1,
            lang,
            key=(len(c.entries), counts, [c.cards[e.id] for e in latest]),
            extra={"latest": latest, "counts": counts, "total": len(c.entries)},
        )
        yield self._page(f"{lang}/search/index.html", "search.html", 2, lang, key=(counts,), extra={"counts": counts})
        news = c.news()
        yield self._page(
            f"{lang}/news/index.html",
            "news.html",
            2,
            lang,
            key=[
                (month, [c.cards[e.id] for e in new], n, [c.cards[e.id] for e in edited], m)
                for month, new, n, edited, m in news
            ],
            extra={"news": news},
        )
        yield from self._listing(lang, f"{lang}/entries", c.entries, title=i18n.t(lang, "all"), depth=2, crumbs=())
        for dimension, values in c.values.items():
            yield self._page(
                f"{lang}/{dimension}/index.html",
                "dimension.html",
                2,
                lang,
                key=(dimension, counts[dimension]),
                extra={"dimension": dimension, "values": counts[dimension]},
            )
            for value, entries in values.items():
                title = i18n.t(lang, "entries_with", value=self.label(dimension, value, lang))
                yield from self._listing(
                    lang, f"{lang}/{dimension}/{value}", entries, title=title, depth=3, crumbs=((dimension, value),)
                )
        yield from self._figure_pages(lang)
        for entry in c.entries:
            yield self.entry_page(entry, lang)

    def entry_page(self, entry: Entry, lang: str) -> Page:
        c = self.catalogue
        related = [(c.by_id[i], shared) for i, shared in c.related[entry.id]]
        return self._page(
            f"{lang}/entries/{entry.id}/index.html",
            "entry.html",
            3,
            lang,
            key=self._entry_key(entry),
            extra={"entry": entry, "related": related, "indexed": lang == "fr"},
        )

    def outline(self) -> dict[str, tuple[str, str, list]]:
        """Entry id -> (digest, metadata key, related entries): what a tree was built from.

        The pages of other entries (listings, related links, figures, downloads) show an
        entry's metadata only, never its body; so when no entry's metadata changed since a
        tree was built, only the changed entries' own pages need writing (see build)."""
        c = self.catalogue
        return {e.id: (e.digest, self._export_key(e), c.related[e.id]) for e in c.entries}

    def _export_key(self, entry: Entry) -> str:
        """What an entry's downloads hold: its metadata, not its body (so a body edit leaves
        the downloads, and the whole inventory's, as they are)."""
        if entry.id not in self._export_keys:
            self._export_keys[entry.id] = _hash(
                entry.id,
                entry.title,
                entry.type,
                entry.year,
                entry.language,
                entry.scale,
                entry.criteria,
                entry.date,
                entry.authors,
                entry.organisations,
                entry.partners,
                entry.territories,
                entry.url,
                entry.doi,
                entry.summary,
                entry.added,
                entry.basis,
                entry.translations,
                *(getattr(entry, name) for name in CITATION_FIELDS),
                entry.archive,
                entry.url_status,
            )
        return self._export_keys[entry.id]

    def _entry_key(self, entry: Entry) -> str:
        """An entry page's key, the same for its two languages (their paths differ): its
        content and what its related entries' links show."""
        if entry.id not in self._entry_keys:
            cards = self.catalogue.cards  # (a related entry's link shows what its card shows)
            related = "|".join(
                cards[i] + ":" + ",".join(f"{d}={v}" for d, v in shared)
                for i, shared in self.catalogue.related[entry.id]
            )
            dates = self.catalogue.dates.get(entry.id)  # (from the history: not in the file's digest)
            self._entry_keys[entry.id] = hashlib.sha1(f"{entry.digest}|{related}|{dates}".encode()).hexdigest()
        return self._entry_keys[entry.id]

    def _figure_pages(self, lang: str) -> Iterator[Page]:
        """The working group's questions at a glance: matrix, territories, partners and years, compare."""
        c = self.catalogue
        figures = c.figures.as_dict()
        yield self._page(
            f"{lang}/matrix/index.html",
            "matrix.html",
            2,
            lang,
            key=(figures["matrix"],),
            extra={"matrix": c.figures.matrix, "columns": "criteria"},
        )
        yield self._page(
            f"{lang}/matrix/basis/index.html",
            "matrix.html",
            3,
            lang,
            key=(figures["basis_matrix"],),
            extra={"matrix": c.figures.basis_matrix, "columns": "basis"},
        )
        for (scale, criterion), entries in sorted(c.matrix_cells.items()):
            title = f"{self.label('scale', scale, lang)} × {self.label('criteria', criterion, lang)}"
            yield from self._listing(
                lang, f"{lang}/matrix/{scale}/{criterion}", entries, title=title, depth=4, crumbs=()
            )
        for (scale, basis), entries in sorted(c.basis_cells.items()):
            title = f"{self.label('scale', scale, lang)} × {self.label('basis', basis, lang)}"
            yield from self._listing(
                lang, f"{lang}/matrix/basis/{scale}/{basis}", entries, title=title, depth=5, crumbs=()
            )
        yield self._page(
            f"{lang}/map/index.html",
            "map.html",
            2,
            lang,
            key=(figures["coverage"],),
            extra={"coverage": c.figures.coverage},
        )
        for area in (*c.figures.coverage.communes, *c.figures.coverage.bassins):
            local = [c.by_id[i] for i in area.local]
            partial = [c.by_id[i] for i in area.partial]
            yield self._page(
                f"{lang}/map/{area.id}/index.html",
                "area.html",
                3,
                lang,
                key=(area.as_dict(), [c.cards[e.id] for e in local[:PAGE_SIZE] + partial[:PAGE_SIZE]]),
                extra={
                    "area": area,
                    "local": local,
                    "partial": partial,
                    "shown": PAGE_SIZE,
                    "regional": len(c.figures.coverage.regional),
                },
            )
            # An area may have thousands of entries: past the first page, they are listed page by page.
            name = self.label("territories", area.id, lang)
            for part, entries in (("local", local), ("partial", partial)):
                if len(entries) > PAGE_SIZE:
                    yield from self._listing(
                        lang,
                        f"{lang}/map/{area.id}/{part}",
                        entries,
                        title=f"{name} · {i18n.t(lang, 'area_' + part)}",
                        depth=4,
                        crumbs=(),
                    )
        yield self._page(
            f"{lang}/overview/index.html",
            "overview.html",
            2,
            lang,
            key=(figures["partners_by_type"], figures["per_year"]),
            extra={"figures": c.figures},
        )
        yield self._page(f"{lang}/compare/index.html", "compare.html", 2, lang, key=())
        yield self._page(f"{lang}/propose/index.html", "propose.html", 2, lang, key=())
        template = propose.template_file(lang)
        yield Page(f"{lang}/propose/entry-template.md", _hash(template), lambda template=template: template)

    def link_from(self, depth_to_lang: int):
        """A ``link(dimension, value)`` for charts on a page ``depth_to_lang`` folders below /{lang}/:
        a value no entry has gets no link (it has no listing page)."""
        up = "../" * depth_to_lang

        def link(dimension: str, value: str) -> str | None:
            if dimension == "territories" and value != "region":
                return f"{up}map/{value}/"
            return f"{up}{dimension}/{value}/" if value in self.catalogue.values.get(dimension, {}) else None

        return link

    def matrix_link(self, scale: str, criterion: str) -> str | None:
        return f"{scale}/{criterion}/" if (scale, criterion) in self.catalogue.matrix_cells else None

    def basis_link(self, scale: str, basis: str) -> str | None:
        return f"{scale}/{basis}/" if (scale, basis) in self.catalogue.basis_cells else None

    def _listing(
        self, lang: str, base: str, entries: list[Entry], title: str, depth: int, crumbs: tuple
    ) -> Iterator[Page]:
        pages = max(1, math.ceil(len(entries) / PAGE_SIZE))
        for number in range(1, pages + 1):
            chunk = entries[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
            path = f"{base}/index.html" if number == 1 else f"{base}/page/{number}/index.html"
            yield self._page(
                path,
                "listing.html",
                depth + (0 if number == 1 else 2),
                lang,
                key=(title, number, pages, len(entries), [self.catalogue.cards[e.id] for e in chunk]),
                extra={
                    "entries": chunk,
                    "title": title,
                    "number": number,
                    "pages": pages,
                    "total": len(entries),
                    "crumbs": crumbs,
                    "base": "../../" if number > 1 else "",
                },
            )

    def _page(self, path: str, template: str, depth: int, lang: str, key: object, extra: dict | None = None) -> Page:
        context = {"lang": lang, "root": "../" * depth, "path": path, **(extra or {})}
        other = "nl" if lang == "fr" else "fr"
        context["alternate"] = path.replace(f"{lang}/", f"{other}/", 1) if path.startswith(f"{lang}/") else None
        return Page(path, _hash(template, key), lambda: self.env.get_template(template).render(context))


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as file:
        return file.read()


def _body(renderer: Renderer, entry: Entry) -> str:
    return _straight_apostrophes(renderer(entry.body))


def _straight_apostrophes(text: str) -> str:
    """Pagefind splits words on ' but not on ’: index l’évaluation as l'évaluation."""
    return text.replace("\u2019", "'")


def _vocabulary_fingerprint(vocabularies: Vocabularies) -> list:
    return [(name, [(t.id, dict(t.labels)) for t in vocab]) for name, vocab in sorted(vocabularies.by_name.items())]


# -- writing trees ---------------------------------------------------------------------------


class Tree:
    """An output folder and its manifest (path -> key, size, mtime) kept under ``state_dir``.

    The manifest holds the ``design`` (templates, assets, vocabularies...) its files were made
    with: under another design, no file is current."""

    def __init__(self, path: Path, state_dir: Path, design: str):
        self.path = path
        self.root = str(path)
        self.state_dir = state_dir
        self.design = design
        self.manifest: dict[str, list] = {}
        self.outline: dict[str, tuple[str, str, list]] = {}  # Site.outline() of the entries its pages show
        self.history = ""  # History.key() of the dates its pages show
        if path.is_dir():
            stored = cache_file.read(self._manifest_file())  # unreadable: no file is current
            if isinstance(stored, dict) and stored.get("design") == design:
                self.manifest, self.outline = stored["files"], stored.get("outline", {})
                self.history = stored.get("history", "")

    def _manifest_file(self) -> Path:
        # Keyed by the folder's inode, which survives the swap (a rename keeps the inode).
        return self.state_dir / f"manifest-{os.stat(self.path).st_ino}.pickle"

    def current(self, path: str, key: str) -> bool:
        recorded = self.manifest.get(path)
        if not recorded or recorded[0] != key:
            return False
        try:
            stat = os.stat(os.path.join(self.root, path))  # (no Path objects: called for every page)
        except OSError:
            return False
        return [stat.st_size, stat.st_mtime_ns] == recorded[1:]

    def record(self, path: str, key: str) -> None:
        """Remember ``key`` for the file now at ``path`` (written here, or by Pagefind)."""
        stat = (self.path / path).stat()
        self.manifest[path] = [key, stat.st_size, stat.st_mtime_ns]

    def write(self, path: str, key: str, content: str | bytes) -> None:
        _put(os.path.join(self.root, path), content)
        self.record(path, key)

    def prune(self, keep: set[str], sweep: bool = False) -> int:
        """Remove the files the new build does not produce: those in the manifest, or with
        ``sweep`` every file in the folder (outside pagefind/), for a tree copied from elsewhere."""
        if sweep:
            stale = [
                os.path.relpath(os.path.join(folder, name), self.root)
                for folder, _, names in os.walk(self.root)
                for name in names
            ]
            stale = [p for p in stale if p not in keep and not p.startswith("pagefind/")]
        else:
            stale = [p for p in self.manifest if p not in keep]
        folders = set()
        for relative in sorted(stale):
            (self.path / relative).unlink(missing_ok=True)
            folders.update(Path(relative).parents)
        for folder in sorted(folders, key=lambda f: len(f.parts), reverse=True):
            if folder.parts and not any((self.path / folder).iterdir()):
                (self.path / folder).rmdir()
        for path in stale:
            self.manifest.pop(path, None)
        return len(stale)

    def _marker(self) -> Path:
        return self.state_dir / f"writing-{os.stat(self.path).st_ino}"

    def start_writing(self) -> None:
        """Mark the tree as being written: until save(), its manifest may miss files."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._marker().touch()

    def interrupted(self) -> bool:
        return self._marker().exists()

    def save(self) -> None:
        cache_file.write(
            self._manifest_file(),
            {"design": self.design, "files": self.manifest, "outline": self.outline, "history": self.history},
        )
        self._marker().unlink(missing_ok=True)

    def moved(self, path: Path) -> None:
        """The folder was swapped to ``path`` (its inode, hence its manifest, goes with it)."""
        self.path, self.root = path, str(path)


def _put(target: str, content: str | bytes, folders: set[str] | None = None) -> os.stat_result:
    """Write a file of a tree as a new file: the tree may share it with the live site (a hard
    link, see _staging_tree), which must not change. ``folders`` holds folders known to exist
    (os calls on str paths: 50,000 files at 10,000 entries, where pathlib's cost showed)."""
    folder = os.path.dirname(target)
    if folders is None or folder not in folders:
        os.makedirs(folder, exist_ok=True)
        if folders is not None:
            folders.add(folder)
    try:
        os.unlink(target)
    except FileNotFoundError:
        pass
    with open(target, "wb") as file:
        file.write(content.encode("utf-8") if isinstance(content, str) else content)
        file.flush()
        return os.fstat(file.fileno())


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # a file system without hard links
        shutil.copy2(source, target)


def _exchange(a: Path, b: Path) -> None:
    """Swap two folders atomically (Linux renameat2 RENAME_EXCHANGE), else by two renames."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        at_fdcwd, rename_exchange = -100, 2
        if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
            return
        if ctypes.get_errno() == errno.EBUSY:  # a mount point that _mount_point did not see
            raise BuildError(
                f"{a} cannot be swapped with the new site (busy: a mount point?) -- build into a "
                f"folder inside it (kb build -o {a / 'site'})"
            )
    parking = a.with_name(a.name + ".swap")
    os.rename(a, parking)
    os.rename(b, a)
    os.rename(parking, b)


PAGEFIND_SIGNATURE = b"pagefind_dcd"
INDEXED_PAGES = "fr/entries/"  # what Pagefind indexes: the French entry pages (and the listing of them all)
SEARCH_MARK = "pagefind/pagefind-entry.json"  # its manifest key says which entry pages the bundle indexed


def _pagefind_read(path: Path):
    import cbor2

    data = gzip.decompress(path.read_bytes())
    if not data.startswith(PAGEFIND_SIGNATURE):
        raise ValueError(f"{path.name}: not a Pagefind data file")
    return cbor2.loads(data[len(PAGEFIND_SIGNATURE) :])


def _pagefind_write(value, folder: Path, prefix: str, suffix: str, digits: int) -> str:
    """Write a Pagefind data file named after its content; returns the new hash name. A file
    of that name already holds these bytes (it may be a link into the live bundle: left alone)."""
    import cbor2

    data = gzip.compress(PAGEFIND_SIGNATURE + cbor2.dumps(value), compresslevel=9, mtime=0)
    name = f"{prefix}_{hashlib.sha256(data).hexdigest()[:digits]}"
    target = folder / f"{name}{suffix}"
    if not target.exists():
        target.write_bytes(data)
    return name


def _renumbered(pages: list, number: dict[int, int]) -> list:
    """A word's postings ([page delta, locations, meta locations], page numbers as deltas from
    the previous posting) with the pages renumbered, in the new numbers' order."""
    absolute, current = [], 0
    for delta, *rest in pages:
        current += delta
        absolute.append((number[current], rest))
    absolute.sort(key=lambda posting: posting[0])
    renumbered, previous = [], 0
    for page, rest in absolute:
        renumbered.append([page - previous, *rest])
        previous = page
    return renumbered


def _sorted_ties(order: list[int], values: dict[int, str] | None, number: dict[int, int]) -> list[int] | None:
    """A sort index (page numbers in sort order; pages with equal values in page order, which
    was Pagefind's reading order) renumbered. Equal values are told by the filter of the same
    name (one value per page); without it the ties cannot be told apart: None."""
    if values is None or any(page not in values for page in order):
        return None
    groups: list[list[int]] = []
    for page in order:
        if groups and values[groups[-1][0]] == values[page]:
            groups[-1].append(page)
        else:
            groups.append([page])
    return [new for group in groups for new in sorted(number[page] for page in group)]


def canonical_pagefind(bundle: Path) -> None:
    """Make Pagefind's bundle byte-stable between identical builds, on any file system.

    Pagefind 1.5 numbers the pages in the order it finds them, which is the order the file
    system lists a folder (tmpfs and ext4 differ), and writes its filter indexes and a word's
    spellings from hash maps (upstream issue #638). Here the pages are renumbered in the order
    of their fragment (content-named) files, the word, filter and sort indexes rewritten with
    the new numbers and their values sorted, files renamed after their content, and the meta
    index and pagefind-entry.json rewritten to match. Anything unexpected leaves the bundle as
    Pagefind wrote it: search works either way.
    """
    entry_file = bundle / "pagefind-entry.json"
    entry = json.loads(entry_file.read_text())
    for language, info in entry["languages"].items():
        meta_path = bundle / f"pagefind.{info['hash']}.pf_meta"
        meta = _pagefind_read(meta_path)
        if not (
            isinstance(meta, list)
            and len(meta) > 4
            and all(len(f) == 2 for f in meta[3])
            and all(len(c) == 3 for c in meta[2])
            and all(len(s) == 2 for s in meta[4])
        ):
            return
        number = {old: new for new, (old, _) in enumerate(sorted(enumerate(meta[1]), key=lambda p: p[1][0]))}
        filters = {}
        for name, file_hash in meta[3]:
            path = bundle / "filter" / f"{file_hash}.pf_filter"
            filter_name, values = _pagefind_read(path)
            filters[name] = (path, filter_name, values)
        sorts = []
        for name, order in meta[4]:
            values = None
            if name in filters:
                values = {}
                for value, pages in filters[name][2]:
                    for page in pages:
                        values[page] = None if page in values else value  # a page with two values: no tie rule
                values = values if None not in values.values() else None
            renumbered = _sorted_ties(order, values, number)
            if renumbered is None:
                return
            sorts.append([name, renumbered])
        chunks = []
        for first, last, chunk_hash in meta[2]:
            path = bundle / "index" / f"{chunk_hash}.pf_index"
            words, *rest = _pagefind_read(path)
            for word in words:
                word[1] = _renumbered(word[1], number)
                for variant in word[2]:  # the word's other spellings (accents), from a hash map
                    variant[1] = _renumbered(variant[1], number)
                word[2].sort(key=lambda variant: variant[0])
            path.unlink()
            chunks.append([first, last, _pagefind_write([words, *rest], bundle / "index", language, ".pf_index", 7)])
        renamed = []
        for name, _ in sorted(meta[3]):
            path, filter_name, values = filters[name]
            values = sorted([value, sorted(number[page] for page in pages)] for value, pages in values)
            path.unlink()
            renamed.append([name, _pagefind_write([filter_name, values], bundle / "filter", language, ".pf_filter", 7)])
        meta[1] = sorted(meta[1], key=lambda page: page[0])
        meta[2], meta[3], meta[4] = chunks, renamed, sorts
        meta_path.unlink()
        info["hash"] = _pagefind_write(meta, bundle, f"pagefind.{language}", ".pf_meta", 10).removeprefix("pagefind.")
    entry_file.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")))


def prune_pagefind(bundle: Path) -> None:
    """Remove the files of earlier runs that the bundle's meta indexes no longer name.

    Pagefind writes into the previous bundle (it skips files that exist, which halves a
    re-index) and leaves what it no longer needs: without this, the bundle would grow with
    every build and differ from a clean build's."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text())
    keep = {"pagefind-entry.json"}
    for language, info in entry["languages"].items():
        meta_name = f"pagefind.{info['hash']}.pf_meta"
        meta = _pagefind_read(bundle / meta_name)
        keep.add(meta_name)
        keep.update(f"fragment/{page}.pf_fragment" for page, *_ in meta[1])
        keep.update(f"index/{chunk[2]}.pf_index" for chunk in meta[2])
        keep.update(f"filter/{file_hash}.pf_filter" for _, file_hash in meta[3])
    for folder in ("fragment", "index", "filter"):
        for file in (bundle / folder).glob("*"):
            if f"{folder}/{file.name}" not in keep:
                file.unlink()
    for file in bundle.glob("*.pf_meta"):
        if file.name not in keep:
            file.unlink()


class Indexing:
    """Pagefind indexing a tree's French entry pages (one single-language index) in the
    background, into a folder beside the trees, later moved into a tree as its ``pagefind/``.

    The folder starts with links to the content-named files of the newest bundle (``seed``):
    Pagefind skips the files that exist, which makes a re-index much cheaper. Bundles are
    never written in place, so a bundle being read by the live site never changes."""

    def __init__(self, tree: Path, work: Path, seed: Path | None, log: Path, limit: float):
        self.bundle, self.log, self.limit = work, log, limit
        self.deadline = time.monotonic() + limit
        shutil.rmtree(work, ignore_errors=True)  # left by an interrupted build
        work.mkdir(parents=True)
        if seed and (seed / "pagefind-entry.json").is_file():
            for folder in ("fragment", "index", "filter"):
                (work / folder).mkdir()
                for file in os.scandir(seed / folder):
                    _link_or_copy(file.path, str(work / folder / file.name))
            for file in seed.glob("*.pf_meta"):
                _link_or_copy(str(file), str(work / file.name))
        command = [
            sys.executable,
            "-m",
            "pagefind",
            "--site",
            str(tree / "fr" / "entries"),
            "--glob",
            "*/index.html",
            "--force-language",
            "fr",
            "--output-path",
            str(work),
            "--silent",
        ]
        log.parent.mkdir(parents=True, exist_ok=True)
        with open(log, "wb") as output:  # what Pagefind says, for when it fails
            self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)

    def finish(self) -> None:
        """Wait for Pagefind (until the time limit: it has hung), then make its bundle canonical."""
        _pause("search")
        try:
            self.process.wait(timeout=max(0.0, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            raise BuildError(
                f"Pagefind did not finish within {self.limit:g} s (KB_PAGEFIND_TIMEOUT); its log: {self.log}"
            ) from None
        if self.process.returncode != 0:
            raise BuildError(f"Pagefind failed (exit status {self.process.returncode}); its log: {self.log}")
        canonical_pagefind(self.bundle)
        prune_pagefind(self.bundle)

    def install(self, tree: Path) -> None:
        """Make the new bundle the tree's, in one rename (the tree may be the live site)."""
        target = tree / "pagefind"
        if target.exists():
            _exchange(target, self.bundle)
            shutil.rmtree(self.bundle)
        else:
            os.rename(self.bundle, target)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.bundle, ignore_errors=True)


def _pause(phase: str) -> None:
    """Test-only: when KB_TEST_PAUSE names ``phase``, say so on stderr and wait to be killed.
    The tests kill a build at known points ("pages": half the pages written, "swap": all
    written, not yet live, "search": Pagefind running) instead of at a guessed moment."""
    if os.environ.get(PAUSE) != phase:
        return
    print(f"kb: paused at {phase} ({PAUSE})", file=sys.stderr, flush=True)
    while True:
        time.sleep(3600)


def _link_copy(source: Path, target: Path) -> None:
    """``target`` becomes a copy of the bundle ``source`` made of hard links (bundles are never
    written in place, see Indexing)."""
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(source, target, copy_function=_link_or_copy)


_TODO: list[Page] = []  # the pages a forked worker renders (inherited, never pickled)
_SITE: list[Site] = []  # ...and the site they belong to


def _write_pages(indices: list[int], tree: str) -> tuple[list[tuple[str, list]], dict[str, str]]:
    """Render and write the given pages of _TODO into ``tree``; return their manifest rows
    and the entry bodies rendered on the way."""
    rows, folders = [], set()
    for index in indices:
        page = _TODO[index]
        stat = _put(os.path.join(tree, page.path), page.render(), folders)
        rows.append((page.path, [page.key, stat.st_size, stat.st_mtime_ns]))
    return rows, _SITE[0].fresh_bodies()


def _render(
    todo: list[Page],
    tree: Path,
    site: Site,
    progress: Progress | None,
    done: int = 0,
    total: int = 0,
    yielding: bool = False,
) -> Iterator[tuple[str, list]]:
    """Write the pages, in forked worker processes when there are many (Markdown and Jinja
    are CPU-bound); the output does not depend on how the work is split. The bodies the
    workers render come back to ``site``, for the pages rendered later. ``yielding`` workers
    run at a lower priority, leaving the cores to Pagefind first: it is the longest task left,
    and the pages fill the time it leaves (at 10,000 entries: 50.7 s against 57.6 s)."""
    _TODO[:], _SITE[:] = sorted(todo, key=lambda page: page.path), [site]
    chunks = [list(range(start, min(start + 250, len(_TODO)))) for start in range(0, len(_TODO), 250)]
    total = total or len(todo)
    pool = None
    try:
        if WORKERS > 1 and len(todo) >= PARALLEL_FROM and "fork" in multiprocessing.get_all_start_methods():
            gc.freeze()  # the workers' collector leaves alone what they inherit (and its memory unshared)
            pool = concurrent.futures.ProcessPoolExecutor(
                WORKERS,
                mp_context=multiprocessing.get_context("fork"),
                initializer=os.nice if yielding else None,
                initargs=(10,) if yielding else (),
            )
            results = pool.map(_write_pages, chunks, [str(tree)] * len(chunks))
        else:
            results = (_write_pages(chunk, str(tree)) for chunk in chunks)
        for rows, bodies in results:
            site.keep_bodies(bodies)
            done += len(rows)
            if progress:
                progress("pages", done, total)
            yield from rows
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
            gc.unfreeze()
        _TODO.clear()
        _SITE.clear()


class Source(Protocol):
    """Where the site's entries come from: the store (through the project's copy of it)."""

    def digests(self) -> dict[str, str]:
        """Entry id -> content digest, for every entry."""

    def entries(self, ids: Iterable[str] | None = None) -> list[Entry]:
        """The entries with these ids, or all of them."""


@dataclass
class Plan:
    """What a build writes into its tree."""

    site: Site
    pages: list[Page]  # to write
    outline: dict[str, tuple[str, str, list]]  # the tree's outline once they are written
    produced: set[str] | None = None  # every file of the site, when the whole site was planned
    total: int = 0  # files in the site


_ENTRIES: list[Entry] = []  # the entries whose bodies forked workers render (inherited, never pickled)


def _render_bodies(bounds: tuple[int, int]) -> dict[str, str]:
    renderer = Renderer()
    return {e.id: _body(renderer, e) for e in _ENTRIES[slice(*bounds)]}


def _whole_plan(
    source: Source, vocabularies: Vocabularies, tree: Tree, state_dir: Path, config: Config, history: History
) -> Plan:
    """Every page of the site, keyed; those the tree does not hold under the same key are to write.

    When the tree holds nothing to keep (a first build, a new design), every body is needed:
    worker processes render them with Markdown while this one plans the site."""
    entries = source.entries()
    pool = None
    if (
        not tree.manifest
        and WORKERS > 1
        and len(entries) >= PARALLEL_FROM
        and "fork" in multiprocessing.get_all_start_methods()
    ):
        _ENTRIES[:] = entries
        pool = concurrent.futures.ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("fork"))
        bodies = pool.map(_render_bodies, [(start, start + 250) for start in range(0, len(entries), 250)])
    try:
        site = Site(Catalogue(entries, vocabularies, cache=state_dir / "derived.pickle", history=history), config)
        pages = list(site.pages())
        pages.append(site.sitemap(page.path for page in pages))
        todo = [page for page in pages if not tree.current(page.path, page.key)]
        if pool:
            for rendered in bodies:
                site.keep_bodies(rendered)
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
            _ENTRIES.clear()
    return Plan(site, todo, site.outline(), {page.path for page in pages} | {SEARCH_MARK}, len(pages))


def _quick_plan(
    source: Source, vocabularies: Vocabularies, tree: Tree, config: Config, history: History
) -> Plan | None:
    """The changed entries' own pages, when no entry changed anything else since the tree was
    built: same entries, same metadata, same dates in the history, only texts edited (see
    Site.outline). None otherwise."""
    digests = source.digests()
    if not tree.outline or digests.keys() != tree.outline.keys() or tree.history != history.key:
        return None
    changed = sorted(i for i, d in digests.items() if tree.outline[i][0] != d)
    related = {i: tree.outline[i][2] for i in changed}
    shown = source.entries(sorted({*changed, *(other for i in changed for other, _ in related[i])}))
    site = Site(Catalogue.around(shown, vocabularies, related, history), config)
    outline = dict(tree.outline)
    for entry in (e for e in shown if e.id in related):
        if site._export_key(entry) != outline[entry.id][1]:
            return None
        outline[entry.id] = (entry.digest, outline[entry.id][1], related[entry.id])
    pages = [site.entry_page(site.catalogue.by_id[i], lang) for i in changed for lang in i18n.UI_LANGS]
    return Plan(
        site,
        [page for page in pages if not tree.current(page.path, page.key)],
        outline,
        total=len(tree.manifest) - (SEARCH_MARK in tree.manifest),
    )


def _search_key(site: Site, outline: dict[str, tuple[str, str, list]], history: str) -> str:
    """What the French entry pages show: the design, every entry's text and metadata, and dates."""
    return _hash(site.design, history, sorted((i, digest, metadata) for i, (digest, metadata, _) in outline.items()))


@contextlib.contextmanager
def _collector_off() -> Iterator[None]:
    """Planning allocates millions of lasting objects (entries, pages, keys) and next to no
    cyclic garbage: Python's cycle collector scanning them again and again took about 2 s of
    the plan at 10,000 entries."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _staging_tree(output: Path, back: Path, state_dir: Path, design: str) -> tuple[Tree, bool]:
    """The tree to write into, beside the live one, and whether it may hold files its manifest
    does not know (then the build looks at everything it holds)."""
    if back.is_dir():
        staging = Tree(back, state_dir, design)
        # Its manifest was lost or is from another design, or a build failed while writing into it.
        return staging, not staging.manifest or staging.interrupted()
    if not output.is_dir():
        back.mkdir(parents=True)
        return Tree(back, state_dir, design), False
    live = Tree(output, state_dir, design)
    # The first incremental build starts from the live site: its files, linked (see _put).
    shutil.copytree(output, back, symlinks=True, copy_function=_link_or_copy)
    staging = Tree(back, state_dir, design)
    staging.manifest, staging.outline, staging.history = dict(live.manifest), dict(live.outline), live.history
    return staging, True


def build(
    source: Source,
    vocabularies: Vocabularies,
    output: Path,
    state_dir: Path,
    progress: Progress | None = None,
    search: bool = True,
    config: Config | None = None,
    search_limit: float = 600.0,
    history: History | None = None,
) -> BuildReport:
    """Build the site from ``source``'s entries into ``output`` (see _build). An output folder
    that is a mount point is refused (a mount point cannot be renamed, so never swapped). When
    the disk fills up, the build's own folders (the tree beside the live one, Pagefind's
    bundle) are removed, so that the space they held is free again: the live site and the
    last good bundle stay."""
    output = output.resolve()
    if _mount_point(output):
        raise BuildError(
            f"{output} is a mount point, which cannot be swapped with a new site -- build into a "
            f"folder inside it (kb build -o {output / 'site'}) and publish that folder"
        )
    try:
        return _build(
            source,
            vocabularies,
            output,
            state_dir,
            progress,
            search,
            config or Config(),
            search_limit,
            history or History({}),
        )
    except OSError as error:
        if error.errno in faults.RAN_OUT:
            _discard(output.with_name(f".{output.name}.next"), state_dir)
            shutil.rmtree(output.with_name(f".{output.name}.search"), ignore_errors=True)
        raise


def _mount_point(path: Path) -> bool:
    """Whether ``path`` is where a file system is mounted (bind mounts included, which
    os.path.ismount does not always see: they are in /proc/self/mountinfo)."""
    if os.path.ismount(path):
        return True
    try:
        with open("/proc/self/mountinfo", encoding="utf-8") as mounts:
            points = {line.split()[4] for line in mounts if len(line.split()) > 4}
    except OSError:
        return False
    decoded = {re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), p) for p in points}
    return str(path) in decoded


def _discard(tree: Path, state_dir: Path) -> None:
    """Remove a build's working tree and what the state folder says about it."""
    if not tree.is_dir():
        return
    staging = Tree(tree, state_dir, "")
    for record in (staging._manifest_file(), staging._marker()):
        record.unlink(missing_ok=True)
    shutil.rmtree(tree, ignore_errors=True)


def _build(
    source: Source,
    vocabularies: Vocabularies,
    output: Path,
    state_dir: Path,
    progress: Progress | None,
    search: bool,
    config: Config,
    search_limit: float,
    history: History,
) -> BuildReport:
    """Build the site from ``source``'s entries into ``output``, atomically; returns what was done.

    After a few changes (an incremental build) with search on, the rebuilt pages go live as soon
    as they are written, with the live search bundle; Pagefind then indexes them and its new
    bundle replaces the previous one in one rename (see _index_live). Otherwise Pagefind runs
    while the pages after the French entry pages are written, and everything goes live at once.
    Pagefind is stopped after ``search_limit`` seconds."""
    report = BuildReport(output=output)
    began = started = time.perf_counter()
    back = output.with_name(f".{output.name}.next")
    with _collector_off():
        staging, sweep = _staging_tree(output, back, state_dir, Site.design_of(vocabularies, config))
        plan = (None if sweep else _quick_plan(source, vocabularies, staging, config, history)) or _whole_plan(
            source, vocabularies, staging, state_dir, config, history
        )
    report.entries, report.pages = len(plan.outline), plan.total
    report.timings["prepare"] = time.perf_counter() - started

    started = time.perf_counter()
    search_key = _search_key(plan.site, plan.outline, history.key)
    index = search and not staging.current(SEARCH_MARK, search_key)
    live_bundle = output / "pagefind"
    pages_first = index and (output / SEARCH_MARK).is_file() and len(plan.pages) < PARALLEL_FROM
    work = output.with_name(f".{output.name}.search")
    # The French entry pages first (with the listing under fr/entries/): then Pagefind indexes
    # them while the other pages are written, with the bodies rendered for the French pages.
    first = [page for page in plan.pages if page.path.startswith(INDEXED_PAGES)]
    rest = [page for page in plan.pages if not page.path.startswith(INDEXED_PAGES) and not page.late]
    indexing = None
    staging.start_writing()
    try:
        if plan.produced is not None:  # removed pages go first: Pagefind must not index an entry page that is gone
            report.removed = staging.prune(plan.produced, sweep=sweep)
        for path, row in _render(first, back, plan.site, progress, total=len(plan.pages)):
            staging.manifest[path] = row
            report.written.append(path)
        _pause("pages")
        if index and not pages_first:
            indexing = Indexing(
                back,
                work,
                seed=live_bundle if live_bundle.is_dir() else back / "pagefind",
                log=state_dir / "pagefind.log",
                limit=search_limit,
            )
        for path, row in _render(
            rest, back, plan.site, progress, done=len(first), total=len(plan.pages), yielding=indexing is not None
        ):
            staging.manifest[path] = row
            report.written.append(path)
        for page in plan.pages:
            if page.late:
                staging.write(page.path, page.key, page.render(back))
                report.written.append(page.path)
        staging.outline, staging.history = plan.outline, history.key
        report.timings["pages"] = time.perf_counter() - started
        if indexing:
            started = time.perf_counter()
            if progress:
                progress("search", 0, 1)
            indexing.finish()
            indexing.install(back)
            report.timings["search"] = time.perf_counter() - started
            staging.record(SEARCH_MARK, search_key)
        elif pages_first:
            _link_copy(live_bundle, back / "pagefind")
            staging.manifest.pop(SEARCH_MARK, None)
    finally:
        if indexing:
            indexing.stop()
    staging.save()
    _pause("swap")
    if output.exists():
        _exchange(output, back)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        os.rename(back, output)
    report.live = time.perf_counter() - began
    if pages_first:
        staging.moved(output)
        report.timings["search"] = _index_live(staging, work, search_key, progress, search_limit)
    return report


def _index_live(live: Tree, work: Path, search_key: str, progress: Progress | None, limit: float) -> float:
    """Index the live site's entry pages, then swap the new bundle in; returns the time taken.
    Should Pagefind fail, the site keeps searching with the bundle it has (SearchNotUpdated)."""
    started = time.perf_counter()
    if progress:
        progress("search", 0, 1)
    indexing = None
    try:
        indexing = Indexing(
            live.path, work, seed=live.path / "pagefind", log=live.state_dir / "pagefind.log", limit=limit
        )
        indexing.finish()
        indexing.install(live.path)
    except (BuildError, OSError) as error:
        raise SearchNotUpdated(str(error)) from error
    finally:
        if indexing:
            indexing.stop()
    live.record(SEARCH_MARK, search_key)
    live.save()
    return time.perf_counter() - started
