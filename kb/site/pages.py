"""The site's pages: every file the build writes, with its key, for the FR and NL interfaces.

``Site`` turns a ``Catalogue`` into ``Page`` objects (path, key, how to render it) and holds the
helpers the templates call. It is the largest module of the site because each kind of page is
a few lines here next to the others: a new page is one method (and a template), and the keys
that decide what an incremental build rewrites are written beside what each page shows.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Generic, Iterable, Iterator, TypeVar

import jinja2
import jinja2.filters
from markupsafe import Markup

from kb import i18n
from kb import bibliography as biblio
from kb.config import Config
from kb.entries import json_schema, territories
from kb.entries.schema import CITATION_FIELDS, Entry
from kb.entries.vocab import DIMENSIONS, Vocabularies
from kb.site import charts, entry_parts, opendata, propose
from kb.site.catalogue import SITE_VERSION, Catalogue, Row, arranged_key, fingerprint, same_file, vocabulary_fingerprint
from kb.site.markup import Renderer, escaped

PAGE_SIZE = 100
TEMPLATES = Path(__file__).parent / "templates"
ASSETS = Path(__file__).parent / "assets"
ENTRY_PARTS = Path(entry_parts.__file__)
TERMS_SECTION = "kbtermes"  # the hidden section of an entry page with its labels in both languages (search_terms)
LANGUAGES_SECTION = (
    "kblangues"  # the anchor Pagefind gives the text of "In other languages" (its heading is not indexed)
)
EVERY_ENTRY = "kbinventaire"  # a word on every indexed page: the search page lists by filters alone with it


@dataclass(frozen=True)
class Scope:
    """The part of the site a plan needs keyed after a few metadata edits (see
    kb.site.build): the pages of these entries and of these listings (named by ``Site.listings``
    units, without the language), with every page that is neither an entry page nor a listing."""

    entries: frozenset[str]
    listings: frozenset[str]


@dataclass(frozen=True)
class Page:
    """A file of the site: its path, its key (a hash of everything it shows) and how to make it."""

    path: str
    key: str
    render: Callable[[], str | bytes]
    weight: int = 1  # what rendering it costs, in pages: a whole-inventory download, one per entry (see render)


V = TypeVar("V")


class MadeOnce(Generic[V]):
    """A value of an entry that is the same on its two pages (its body, its citation), made
    once, by whichever process renders its first page. A page worker hands back what it made
    (``fresh``) and the build keeps it (``keep``), so that the workers forked later, for the
    other language's pages and the downloads, find it made."""

    def __init__(self, make: Callable[[Entry], V]) -> None:
        self._make = make
        self._made: dict[str, V] = {}
        self._fresh: list[str] = []  # made in this process since fresh() last ran

    def __call__(self, entry: Entry) -> V:
        value = self._made.get(entry.id)
        if value is None:
            value = self._made[entry.id] = self._make(entry)
            self._fresh.append(entry.id)
        return value

    def fresh(self) -> dict[str, V]:
        """The values made in this process since the last call."""
        fresh = {i: self._made[i] for i in self._fresh}
        self._fresh.clear()
        return fresh

    def keep(self, made: dict[str, V]) -> None:
        self._made.update(made)


SITEMAP_URLS = 50_000  # addresses per sitemap file, the sitemaps.org protocol's limit


def _card_start(level: int, root: str) -> str:
    """A card up to its link's path, which starts at the page's ``root``."""
    return f'<li class="card">\n<h{level}><a href="{root}'


class Site:
    """Renders a Catalogue into pages for the FR and NL interfaces, plus feeds and downloads."""

    EVERY_ENTRY = EVERY_ENTRY
    TERMS_SECTION = TERMS_SECTION
    LANGUAGES_SECTION = LANGUAGES_SECTION

    def __init__(
        self,
        catalogue: Catalogue,
        config: Config | None = None,
        compiled: Path | None = None,
        known: dict[str, Row] | None = None,
    ):
        """``compiled``: a folder keeping the templates compiled between builds (see _templates);
        ``known``: the outline of a tree built before (see outline)."""
        self.catalogue = catalogue
        self.known = known or {}
        self.config = config or Config()
        base_url = self.config.base_url
        self.base_url = base_url.rstrip("/") + "/" if base_url else ""
        self.vocabularies = catalogue.vocabularies
        self.env = _templates(compiled)
        self.env.globals.update(
            t=i18n.t,
            count=i18n.count,
            counted=i18n.counted,
            DIMENSION_NAMES=i18n.DIMENSION_NAMES,
            LANG_NAMES=i18n.LANG_NAMES,
            LANGUAGE_IN=i18n.LANGUAGE_IN,
            site=self,
            charts=charts,
            config=self.config,
            propose=propose,
        )
        self.design = self.design_of(self.vocabularies, self.config)
        self.geography = territories.geography(self.vocabularies)
        self.reaches = {t.id: self.geography.reach(t.id) for t in self.vocabularies.for_field("territories")}
        self._renderer: Renderer | None = None
        self.bodies = MadeOnce(self._body)  # entry.html: the sanitised body, shared by the FR and NL pages
        self.citations = MadeOnce(self._citation)  # entry_parts.cite: the (COinS, BibTeX) of each entry
        self._cards: dict[tuple[str, int], dict[str, str]] = {}  # (language, level) -> entry -> card (_card_rest)
        self._entry_keys: dict[str, str] = {}
        self._export_keys: dict[str, str] = {}
        self._listed_cards: dict[str, list[str]] = {}  # listing unit -> its pages' card hashes (_listed)
        self._parts: dict[tuple[str, str, str], Markup] = {}  # (template, language, root) -> HTML (part)

    @staticmethod
    def design_of(vocabularies: Vocabularies, config: Config) -> str:
        """Everything every page depends on: a change rewrites the whole site (see Tree)."""
        return fingerprint(
            SITE_VERSION,
            *sorted((p.name, p.read_bytes().hex()) for p in TEMPLATES.glob("*")),
            *sorted((p.name, p.read_bytes().hex()) for p in ASSETS.glob("*")),
            ENTRY_PARTS.read_bytes().hex(),  # (parts of the entry pages made in Python, as templates are)
            vocabulary_fingerprint(vocabularies),
            repr(config.shown()),  # (a memory limit set, say, rewrites nothing)
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

    @staticmethod
    def search_meta(entry: Entry) -> list[tuple[str, str]]:
        """The Pagefind metadata an entry's French page carries besides its title (the h1) and
        year, (name, value) each, for search.js to show a result in either interface: only what
        differs from what search.js falls back to, the French title (``title``) for
        ``title_nl`` and ``original`` and the entry's language for ``lang_fr`` and
        ``lang_nl``. Each fragment of the search bundle then holds a title once or twice
        rather than four times."""
        title = entry.title_in("fr")
        meta = [("original", entry.title)] if entry.title != title else []
        if entry.title_in("nl") != title:
            meta.append(("title_nl", entry.title_in("nl")))
        meta += [(f"lang_{ui}", ui) for ui in ("fr", "nl") if entry.text_language(ui) != entry.language]
        return meta

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
                "colon",
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
        data["ui"].update(
            {k: i18n.t(lang, k) for k in ("broader_badge", "broader_count", "found_by", "other_languages")}
        )
        # What asking for a territory means (kb.entries.territories), for the search's territory filter.
        data["reach"] = {t: {"own": sorted(r.own), "broader": sorted(r.broader)} for t, r in self.reaches.items()}
        return json.dumps(data, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c")

    def card(self, entry: Entry, lang: str, root: str, level: int = 3) -> Markup:
        """An entry's card in a list, its heading at ``level`` (one below the list's heading)."""
        return Markup(f"{_card_start(level, root)}{self._card_rest(entry, lang, level, self._cards_of(lang, level))}")

    def cards(self, entries: Iterable[Entry], lang: str, root: str, level: int = 3) -> Markup:
        """The cards of a list (``level``: their heading level, one below the list's heading), one
        per line: one call for a listing's hundred cards, where a Jinja loop calling a macro per
        card took a third of its rendering."""
        made = self._cards_of(lang, level)
        rests = [made.get(entry.id) or self._card_rest(entry, lang, level, made) for entry in entries]
        if not rests:
            return Markup("")
        start = _card_start(level, root)
        return Markup(start + f"\n{start}".join(rests) + "\n")

    def _cards_of(self, lang: str, level: int) -> dict[str, str]:
        return self._cards.setdefault((lang, level), {})

    def _card_rest(self, entry: Entry, lang: str, level: int, made: dict[str, str]) -> str:
        """An entry's card from its link's path on, kept in ``made``: each entry appears in a
        dozen listings at several depths, so a card is rendered once per language and heading
        level, in Python, as Jinja macros were the build's largest cost; in as few bytes as it
        looks (some 35 cards an entry make a fifth of the site)."""
        shown = entry.text_language(lang)
        other = f' lang="{shown}"' if shown != lang else ""
        scale = escaped(self.label("scale", entry.scale[0], lang))
        others = len(entry.scale) - 1
        more = (
            f' <span class="more">{escaped(i18n.counted("more_scales", others).render(lang))}</span>' if others else ""
        )
        original = ""
        if entry.is_translated(lang):  # our translation, with the title as published beside it
            original = (
                f'\n<p class="original"><span class="mark">{escaped(i18n.t(lang, "translation"))}</span> '
                f"{escaped(i18n.t(lang, 'original_title'))}{i18n.t(lang, 'colon')} "
                f'<cite lang="{entry.language}">{escaped(entry.title)}</cite></p>'
            )
        summary = ""
        text = entry.summary_in(lang)
        if text:
            short = jinja2.filters.do_truncate(self.env, text, 220)
            own = f' lang="{entry.language}"' if text == entry.summary and entry.language != lang else other
            summary = f'\n<p class="summary"{own}>{escaped(short)}</p>'
        made[entry.id] = rest = (
            f'{lang}/entries/{entry.id}/"{other}>'
            f'{escaped(entry.title_in(lang))}</a></h{level}>{original}\n<p class="meta">{entry.year} · '
            f"{escaped(self.label('type', entry.type, lang))} · {scale}{more}</p>"
            f"{summary}\n</li>"
        )
        return rest

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

    def meta_tags(self, entry: Entry) -> Markup:
        return entry_parts.meta_tags(self, entry)

    def facts(self, entry: Entry, lang: str, root: str, indexed: bool) -> Markup:
        return entry_parts.facts(self, entry, lang, root, indexed)

    def cite(self, entry: Entry, lang: str, root: str) -> Markup:
        return entry_parts.cite(self, entry, lang, root)

    def part(self, template: str, lang: str, root: str) -> Markup:
        """A part of every page that shows nothing but its language and the way to the site's
        root (``root``), rendered from ``template`` once for each: the navigation's 24 values
        were 20 us of every page's rendering (230,000 pages at 100,000 entries)."""
        key = (template, lang, root)
        if key not in self._parts:
            self._parts[key] = Markup(self.env.get_template(template).render(lang=lang, root=root))
        return self._parts[key]

    def related(self, shown: list[tuple[Entry, tuple[tuple[str, str], ...]]], lang: str, root: str) -> Markup:
        return entry_parts.related(self, shown, lang, root)

    def _citation(self, entry: Entry) -> tuple[str, str]:
        """The entry's COinS and BibTeX, the same on its two pages (and its BibTeX in kb.bib):
        made once (``citations``), with the French page (6 s of CPU at 100,000 entries: 17 and
        28 us an entry, when they were made for each page and again for kb.bib)."""
        return biblio.coins(entry, self.vocabularies), biblio.bibtex([entry], self.vocabularies)

    def _bibtex_file(self) -> str:
        """kb.bib, from the records the entry pages made."""
        return biblio.bibtex(self.catalogue.entries, self.vocabularies, made=lambda entry: self.citations(entry)[1])

    def jsonld(self, entry: Entry, lang: str) -> str:
        """schema.org JSON-LD for an entry page, safe inside a <script> element."""
        data = biblio.jsonld(entry, self.vocabularies)
        if self.base_url:
            data["@id"] = f"{self.base_url}{lang}/entries/{entry.id}/"
        text = json.dumps(data, ensure_ascii=False, sort_keys=True)
        return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")

    def _body(self, entry: Entry) -> str:
        """The sanitised body, made once (``bodies``; see also render.bodies_in_workers)."""
        if self._renderer is None:
            self._renderer = Renderer()
        return render_body(self._renderer, entry)

    # -- pages ---------------------------------------------------------------------------------

    def pages(self, scope: Scope | None = None) -> Iterator[Page]:
        """Every page of the site, or with ``scope`` only its entry pages and listings."""
        c = self.catalogue
        yield self._page("index.html", "splash.html", depth=0, lang="fr", key=(len(c.entries),), extra={})
        yield self._page("404.html", "404.html", depth=0, lang="fr", key=(), extra={})
        for asset in sorted(ASSETS.glob("*")):
            data = asset.read_bytes()
            yield Page(f"assets/{asset.name}", fingerprint(data.hex()), lambda data=data: data)
        for lang in i18n.UI_LANGS:
            yield from self._language_pages(lang, scope)
        yield from self._exports()
        entry_schema = json_schema.dumps(self.vocabularies)
        yield Page("schema/entry.json", fingerprint(entry_schema), lambda: entry_schema)
        ids = json.dumps(sorted(e.id for e in c.entries))
        yield Page("propose/ids.json", fingerprint(ids), lambda ids=ids: ids)
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
        """The whole inventory in each format. An entry's own files are not written: its
        BibTeX is on its pages, with the meta tags Zotero reads, and the compare page reads the
        entry pages; at 100,000 entries its .bib, .ris and CSL .json were 300,000 files for what
        the pages and kb.* already hold."""
        c, v = self.catalogue, self.vocabularies
        ids = sorted(e.id for e in c.entries)
        everything = fingerprint([self._export_key(c.by_id[i]) for i in ids])
        for fmt in biblio.FORMATS:
            yield Page(
                f"export/kb{biblio.EXTENSIONS[fmt]}",
                everything,
                self._bibtex_file if fmt == "bibtex" else lambda fmt=fmt: biblio.export(c.entries, fmt, v),
                len(c.entries),
            )
        yield from self._open_data(everything)

    def _open_data(self, everything: str) -> Iterator[Page]:
        """The inventory for analysts (kb.site.opendata): SQLite for Datasette, CSV, JSON."""
        c, v = self.catalogue, self.vocabularies
        key = fingerprint(SITE_VERSION, everything, vocabulary_fingerprint(v))
        records = functools.cache(lambda: opendata.rows(c.entries, v))
        weight = len(c.entries)
        yield Page("data/kb.sqlite", key, lambda: opendata.sqlite_bytes(records(), v), weight)
        yield Page("data/kb.csv", key, lambda: opendata.csv_text(records()), weight)
        yield Page("data/kb.json", key, lambda: opendata.json_text(records()), weight)
        meta = opendata.metadata(self.config.site_title("en"), self.config.site_tagline("en"))
        yield Page("data/metadata.json", fingerprint(meta), lambda: meta)

    def sitemaps(self, paths: Iterable[str]) -> list[Page]:
        """sitemap.xml over every HTML page; absolute when the site has a base URL. Above the
        protocol's 50,000 addresses per file (some 11,000 entries), sitemap.xml is an index
        of sitemap-1.xml, sitemap-2.xml... which list them: search engines ignore a larger file."""
        pages = sorted(p.removesuffix("index.html") for p in paths if p.endswith(".html") and p != "404.html")
        if len(pages) <= SITEMAP_URLS:
            return [self._page("sitemap.xml", "sitemap.xml", 0, "fr", key=pages, extra={"pages": pages})]
        parts = {
            f"sitemap-{number}.xml": pages[start : start + SITEMAP_URLS]
            for number, start in enumerate(range(0, len(pages), SITEMAP_URLS), 1)
        }
        listed = [
            self._page(name, "sitemap.xml", 0, "fr", key=part, extra={"pages": part}) for name, part in parts.items()
        ]
        return [
            *listed,
            self._page("sitemap.xml", "sitemap-index.xml", 0, "fr", key=list(parts), extra={"parts": list(parts)}),
        ]

    def _language_pages(self, lang: str, scope: Scope | None) -> Iterator[Page]:
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
        news = c.news
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
        for dimension in c.values:
            yield self._page(
                f"{lang}/{dimension}/index.html",
                "dimension.html",
                2,
                lang,
                key=(dimension, counts[dimension]),
                extra={"dimension": dimension, "values": counts[dimension]},
            )
        for unit, entries, title, depth, crumbs in self.listings(lang):
            if scope is None or unit in scope.listings:
                yield from self._listing(lang, unit, entries, title, depth, crumbs)
        yield from self._figure_pages(lang)
        shown = (
            c.entries
            if scope is None
            else sorted((c.by_id[i] for i in scope.entries if i in c.by_id), key=lambda e: c.order[e.id])
        )
        for entry in shown:
            yield self.entry_page(entry, lang)

    def listings(self, lang: str | None, every: bool = False) -> Iterator[tuple[str, list[Entry], str, int, tuple]]:
        """Every list of entries the site pages through: (unit, its entries, title in ``lang``,
        depth, breadcrumbs); its pages are ``{lang}/{unit}/index.html`` and
        ``{lang}/{unit}/page/N/``. Without ``lang``, no titles (only the units are wanted). A map
        area's entries are listed apart only past PAGE_SIZE (its own page shows the first ones);
        ``every`` yields those lists too, as an entry belongs to them (see placements)."""
        c = self.catalogue

        def title(key: str, **values: str) -> str:
            return i18n.t(lang, key, **values) if lang else ""

        def label(dimension: str, value: str) -> str:
            return self.label(dimension, value, lang) if lang else ""

        yield "entries", c.entries, title("all"), 2, ()
        for dimension, values in c.values.items():
            for value, entries in values.items():
                yield (
                    f"{dimension}/{value}",
                    entries,
                    title("entries_with", value=label(dimension, value)),
                    3,
                    ((dimension, value),),
                )
        for (scale, criterion), entries in sorted(c.matrix_cells.items()):
            name = f"{label('scale', scale)} × {label('criteria', criterion)}" if lang else ""
            yield f"matrix/{scale}/{criterion}", entries, name, 4, ()
        for (scale, basis), entries in sorted(c.basis_cells.items()):
            name = f"{label('scale', scale)} × {label('basis', basis)}" if lang else ""
            yield f"matrix/basis/{scale}/{basis}", entries, name, 5, ()
        communes = {area.id for area in c.figures.coverage.communes}
        for area in (*c.figures.coverage.communes, *c.figures.coverage.bassins):
            # A commune's own entries are its territories/ listing (see _figure_pages).
            for part, ids in (("local", [] if area.id in communes else area.local), ("partial", area.partial)):
                if every or len(ids) > PAGE_SIZE:
                    name = f"{label('territories', area.id)} · {title('area_' + part)}" if lang else ""
                    yield f"map/{area.id}/{part}", [c.by_id[i] for i in ids], name, 4, ()

    def placements(self, ids: set[str] | None = None) -> dict[str, str]:
        """Entry id -> the listings it is in (``listings`` units, one a line), for these
        entries or all: a tree keeps them in its outline, so that after an edit the listings
        an entry was in are known without the entries as they were."""
        units: dict[str, list[str]] = {i: [] for i in (ids if ids is not None else self.catalogue.by_id)}
        for unit, entries, *_ in self.listings(None, every=True):
            for entry in entries:
                if entry.id in units:
                    units[entry.id].append(unit)
        return {i: "\n".join(names) for i, names in units.items()}

    def entry_page(self, entry: Entry, lang: str) -> Page:
        """An entry's page in ``lang``. The French one is ``indexed`` (Pagefind reads it, for
        both interfaces) and ``described``: it alone carries the citation_* tags Google Scholar
        reads and the JSON-LD search engines read, so that each finds the work once (Scholar
        takes one page per work; the Dutch page names the French one as its alternate). The
        COinS span, from which Zotero's connector saves an entry by default (its COinS
        translator comes before Embedded Metadata), is on both: 1.9 MB of the Pages artifact at
        10,000 entries."""
        c = self.catalogue
        related = [(c.by_id[i], shared) for i, shared in c.related[entry.id]]
        return self._page(
            f"{lang}/entries/{entry.id}/index.html",
            "entry.html",
            3,
            lang,
            key=self._entry_key(entry),
            extra={"entry": entry, "related": related, "indexed": lang == "fr", "described": lang == "fr"},
        )

    def outline(self) -> dict[str, Row]:
        """Entry id -> (digest, metadata key, related entries packed as text, placements, folded
        title, card key, arranged key): what a tree was built from (see catalogue.Row).

        The pages of other entries (listings, related links, figures, downloads) show an
        entry's metadata only, never its body; so when no entry's metadata changed since a
        tree was built, only the changed entries' own pages need writing, and when a few
        entries' metadata changed, only the listings they were and are in (see build)."""
        c = self.catalogue
        # A known row of the same file is the row: its folded title and card key served the
        # catalogue (Catalogue's ``known``); only its related entries may have changed.
        known = {e.id: row for e in c.entries if (row := self._known(e))}
        placed = self.placements({e.id for e in c.entries if e.id not in known})
        rows: dict[str, Row] = {}
        for e in c.entries:
            related, row = c.packed[e.id], known.get(e.id)
            if row is None:
                rows[e.id] = (
                    e.digest,
                    self._export_key(e),
                    related,
                    placed[e.id],
                    c.order[e.id][1],
                    c.cards[e.id],
                    arranged_key(e),
                )
            else:
                rows[e.id] = row if row[2] == related else (*row[:2], related, *row[3:])
        return rows

    def _known(self, entry: Entry) -> Row | None:
        """The entry's row in the outline the site was given (``known``), when its file is the
        same: its metadata key and placements follow from its file alone, so they serve again."""
        return same_file(self.known.get(entry.id), entry)

    def _export_key(self, entry: Entry) -> str:
        """What an entry's downloads hold: its metadata, not its body (so a body edit leaves
        the downloads, and the whole inventory's, as they are)."""
        if entry.id not in self._export_keys and (known := self._known(entry)):
            self._export_keys[entry.id] = known[1]
        if entry.id not in self._export_keys:
            self._export_keys[entry.id] = fingerprint(
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
        keys = c.figure_keys
        yield self._page(
            f"{lang}/matrix/index.html",
            "matrix.html",
            2,
            lang,
            key=keys["matrix"],
            extra={"matrix": c.figures.matrix, "columns": "criteria"},
        )
        yield self._page(
            f"{lang}/matrix/basis/index.html",
            "matrix.html",
            3,
            lang,
            key=keys["basis_matrix"],
            extra={"matrix": c.figures.basis_matrix, "columns": "basis"},
        )
        yield self._page(
            f"{lang}/map/index.html",
            "map.html",
            2,
            lang,
            key=keys["coverage"],
            extra={"coverage": c.figures.coverage},
        )
        communes = {area.id for area in c.figures.coverage.communes}
        for area in (*c.figures.coverage.communes, *c.figures.coverage.bassins):
            local = [c.by_id[i] for i in area.local]
            partial = [c.by_id[i] for i in area.partial]
            # A commune's own entries are those that list it (kb.stats), which its territories/
            # listing lists: "see all" links there rather than to a second listing of them (0.9 MB
            # of the Pages artifact at 10,000 entries). A bassin's own entries also count its
            # communes', so they have their own listing.
            listed = area.id in communes
            yield self._page(
                f"{lang}/map/{area.id}/index.html",
                "area.html",
                3,
                lang,
                key=(keys[f"map/{area.id}"], [c.cards[e.id] for e in local[:PAGE_SIZE] + partial[:PAGE_SIZE]]),
                extra={
                    "area": area,
                    "local": local,
                    "partial": partial,
                    "shown": PAGE_SIZE,
                    "all_local": f"../../territories/{area.id}/" if listed else "local/",
                    "regional": len(c.figures.coverage.regional),
                },
            )
        yield self._page(
            f"{lang}/overview/index.html",
            "overview.html",
            2,
            lang,
            key=keys["overview"],
            extra={"figures": c.figures},
        )
        yield self._page(f"{lang}/compare/index.html", "compare.html", 2, lang, key=())
        yield self._page(f"{lang}/propose/index.html", "propose.html", 2, lang, key=())
        template = propose.template_file(lang)
        yield Page(f"{lang}/propose/entry-template.md", fingerprint(template), lambda template=template: template)

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
        self, lang: str, unit: str, entries: list[Entry], title: str, depth: int, crumbs: tuple
    ) -> Iterator[Page]:
        pages = max(1, math.ceil(len(entries) / PAGE_SIZE))
        shown = self._listed(unit, entries)
        for number in range(1, pages + 1):
            chunk = entries[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
            path = f"{lang}/{unit}/index.html" if number == 1 else f"{lang}/{unit}/page/{number}/index.html"
            yield self._page(
                path,
                "listing.html",
                depth + (0 if number == 1 else 2),
                lang,
                key=(title, number, pages, len(entries), shown[number - 1]),
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

    def _listed(self, unit: str, entries: list[Entry]) -> list[str]:
        """What each page of a listing shows of its entries, a hash of their cards' keys per
        page: the same in both languages, made once (the listings of a rebuild after a title
        edit are some 800 pages of a hundred cards at 10,000 entries)."""
        if unit not in self._listed_cards:
            cards = self.catalogue.cards
            keys = [cards[e.id] for e in entries]
            self._listed_cards[unit] = [
                hashlib.sha1("".join(keys[start : start + PAGE_SIZE]).encode()).hexdigest()
                for start in range(0, max(len(keys), 1), PAGE_SIZE)
            ]
        return self._listed_cards[unit]

    def _page(self, path: str, template: str, depth: int, lang: str, key: object, extra: dict | None = None) -> Page:
        context = {"lang": lang, "root": "../" * depth, "path": path, **(extra or {})}
        other = "nl" if lang == "fr" else "fr"
        context["alternate"] = path.replace(f"{lang}/", f"{other}/", 1) if path.startswith(f"{lang}/") else None
        return Page(
            path, fingerprint(template, key), lambda: plain_apostrophes(self.env.get_template(template).render(context))
        )


def plain_apostrophes(page: str) -> str:
    """``page`` with each ``&#39;`` that escaping wrote for an apostrophe written ``'`` again.

    markupsafe (Jinja's autoescape, and the parts made in Python) escapes ``'`` for attributes
    quoted with it; every attribute kb writes is quoted with ``"``, so ``'`` needs no escape in
    its pages, and French text has many (``l'aide``, ``d'aide``): 0.26 % of the HTML pages'
    compressed bytes at 1,000 entries. A ``&#39;`` typed in a text was escaped to
    ``&amp;#39;``, which this leaves as it is."""
    return page.replace("&#39;", "'")


# How the templates are compiled: the compiled code depends on these options too.
TEMPLATE_OPTIONS = {
    "autoescape": True,
    "trim_blocks": True,
    "lstrip_blocks": True,
    "keep_trailing_newline": True,
    "undefined": jinja2.StrictUndefined,
    "auto_reload": False,  # templates do not change during a build: no stat of them for each of 50,000 pages
}


def _templates(compiled: Path | None) -> jinja2.Environment:
    """The templates' environment. Compiling the templates an entry page uses takes about 50 ms,
    a twentieth of a rebuild after one edit: with ``compiled``, the compiled code is kept there
    (Jinja checks each template's source against it, and writes it atomically), under a name
    that changes with Jinja's version and the options."""
    cache = None
    if compiled is not None:
        compiled.mkdir(parents=True, exist_ok=True)
        options = fingerprint(jinja2.__version__, sorted((k, repr(v)) for k, v in TEMPLATE_OPTIONS.items()))
        cache = jinja2.FileSystemBytecodeCache(str(compiled), f"%s-{options[:12]}.cache")
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), bytecode_cache=cache, **TEMPLATE_OPTIONS)


def render_body(renderer: Renderer, entry: Entry) -> str:
    return _straight_apostrophes(renderer(entry.body))


def _straight_apostrophes(text: str) -> str:
    """Pagefind splits words on ' but not on ’: index l’évaluation as l'évaluation."""
    return text.replace("\u2019", "'")
