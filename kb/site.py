"""The static inventory site: every page rendered from the store, written atomically and
incrementally, searchable in the browser with Pagefind.

How a build stays atomic and cheap:

- The live site (``site/``) is never written to. The build writes into a second tree beside
  it (``.site.next/``), then swaps the two with one ``renameat2(RENAME_EXCHANGE)``: readers see
  the old site or the new one, never a half-written one; a failed build leaves ``site/`` as it was.
- Each page has a *key*, a hash of everything it shows. A manifest per tree remembers the key
  of every file it holds (with its size and mtime, to notice tampering), so a page whose key did
  not change in that tree is neither rendered nor written. Changing one entry rewrites its two
  pages (FR, NL), its neighbours' "related" lists and the listings it appears in.
- Output is deterministic: no clock, stable orders, so two builds of the same entries are
  byte-identical.

Pagefind indexes the French entry pages only, as a single index (``--force-language fr``): each
entry is indexed once, and the Dutch search page maps the result URLs to ``/nl/``, so entries in
either language are found from both interfaces.
"""

from __future__ import annotations

import concurrent.futures
import ctypes
import gzip
import hashlib
import heapq
import json
import math
import multiprocessing
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import jinja2
import jinja2.filters
from markupsafe import Markup, escape

from . import biblio, charts, i18n, stats
from .entry import Entry
from .markup import Renderer
from .vocab import DIMENSIONS, Vocabularies, fold

PAGE_SIZE = 100
RELATED = 5
RARE_VALUES = 4  # related entries are found through an entry's rarest values...
CANDIDATES = 50  # ...taking this many entries from each
WORKERS = min(2, os.cpu_count() or 1)
PARALLEL_FROM = 400  # pages to render before it pays to fork workers
BROWSE = ("type", "scale", "criteria", "partners", "territories", "year", "language")
TEMPLATES = Path(__file__).parent / "templates"
ASSETS = Path(__file__).parent / "assets"
EVERY_ENTRY = "kbinventaire"  # a word on every indexed page: the search page lists by filters alone with it
SITE_VERSION = "1"  # bump when templates change in a way the template hash would not show

Progress = Callable[[str, int, int], None]


class BuildError(Exception):
    """The build failed; the live site was not touched."""


@dataclass(frozen=True)
class Page:
    path: str
    key: str
    render: Callable[[], str | bytes]


@dataclass
class BuildReport:
    output: Path
    entries: int = 0
    pages: int = 0
    written: list[str] = field(default_factory=list)
    removed: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def __str__(self) -> str:
        parts = ", ".join(f"{k} {v:.2f}s" for k, v in self.timings.items())
        return (f"built {self.output}: {self.entries} entries, {self.pages} pages, {len(self.written)} written, "
                f"{self.removed} removed ({parts})")


def _order(entry: Entry) -> tuple:
    return (-entry.year, fold(entry.title), entry.id)


def _hash(*parts: object) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()


class Catalogue:
    """The entries arranged as the site shows them: sorted lists per value, related entries."""

    def __init__(self, entries: Iterable[Entry], vocabularies: Vocabularies):
        self.vocabularies = vocabularies
        self.order = {e.id: _order(e) for e in entries}  # folding titles is costly: once per entry
        self.entries = sorted(entries, key=lambda e: self.order[e.id])
        self.by_id = {e.id: e for e in self.entries}
        self.values: dict[str, dict[str, list[Entry]]] = {}
        for dimension in BROWSE:
            buckets: dict[str, list[Entry]] = defaultdict(list)
            for entry in self.entries:
                for value in self.tag_values(entry, dimension):
                    buckets[value].append(entry)
            if dimension == "year":
                order = sorted(buckets, key=int, reverse=True)
            else:
                known = [t.id for t in vocabularies.for_field(dimension)]
                order = [v for v in known if v in buckets]
            self.values[dimension] = {v: buckets[v] for v in order}
        self.related = self._related()
        self.figures = stats.summary(self.entries, vocabularies)
        self.matrix_cells: dict[tuple[str, str], list[Entry]] = defaultdict(list)
        for entry in self.entries:
            for scale in entry.scale:
                for criterion in entry.criteria:
                    self.matrix_cells[scale, criterion].append(entry)

    @staticmethod
    def tag_values(entry: Entry, dimension: str) -> tuple[str, ...]:
        return (str(entry.year),) if dimension == "year" else entry.tags()[dimension]

    def latest(self, n: int = 10) -> list[Entry]:
        return sorted(self.entries, key=lambda e: (e.added or "", e.year, e.id), reverse=True)[:n]

    def label(self, dimension: str, value: str, lang: str) -> str:
        return value if dimension == "year" else self.vocabularies.label(dimension, value, lang)

    def _related(self) -> dict[str, list[tuple[str, tuple[tuple[str, str], ...]]]]:
        """For each entry, up to RELATED others sharing its rarest scales, criteria, partners and
        territories (a shared value weighs more the fewer entries have it). Only the entry's
        rarest values are followed, so the cost stays linear on a large inventory."""
        postings: dict[tuple[str, str], list[str]] = defaultdict(list)
        tagsets: dict[str, set[tuple[str, str]]] = {}
        for entry in self.entries:
            tags = {(d, v) for d in ("scale", "criteria", "partners", "territories") for v in entry.tags()[d]}
            tags.discard(("territories", "region"))
            tagsets[entry.id] = tags
            for tag in tags:
                postings[tag].append(entry.id)
        weight = {tag: 1 / math.log2(1 + len(ids)) for tag, ids in postings.items()}
        related = {}
        for entry in self.entries:
            mine = tagsets[entry.id]
            scores: dict[str, float] = {}
            for tag in sorted(mine, key=lambda t: (len(postings[t]), t))[:RARE_VALUES]:
                for other in postings[tag][:CANDIDATES]:
                    scores[other] = scores.get(other, 0.0) + weight[tag]
            scores.pop(entry.id, None)
            # rounded, then the listing order: ties break the same way on every run
            best = heapq.nsmallest(RELATED, scores, key=lambda o: (-round(scores[o], 9), self.order[o]))
            related[entry.id] = [(other, tuple(sorted(mine & tagsets[other]))) for other in best]
        return related


class Site:
    """Renders a Catalogue into pages for the FR and NL interfaces, plus feeds and downloads."""

    EVERY_ENTRY = EVERY_ENTRY

    def __init__(self, catalogue: Catalogue, base_url: str = ""):
        self.catalogue = catalogue
        self.base_url = base_url.rstrip("/") + "/" if base_url else ""
        self.vocabularies = catalogue.vocabularies
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True, trim_blocks=True,
            lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
        )
        self.env.globals.update(t=i18n.t, count=i18n.count, DIMENSION_NAMES=i18n.DIMENSION_NAMES,
                                LANG_NAMES=i18n.LANG_NAMES, LANGUAGE_IN=i18n.LANGUAGE_IN, site=self,
                                biblio=biblio, charts=charts)
        self.design = _hash(SITE_VERSION, *sorted((p.name, p.read_bytes().hex()) for p in TEMPLATES.glob("*.html")),
                            *sorted((p.name, p.read_bytes().hex()) for p in ASSETS.glob("*")),
                            _vocabulary_fingerprint(self.vocabularies), self.base_url)
        self._renderer: Renderer | None = None
        self._bodies: dict[str, str] = {}
        self._cards: dict[tuple[str, str, str, int], Markup] = {}
        self._bibtex: dict[str, str] = {}

    # -- helpers the templates call ------------------------------------------------------------

    def label(self, dimension: str, value: str, lang: str) -> str:
        return self.catalogue.label(dimension, value, lang)

    def organisation(self, name: str, lang: str) -> tuple[str, str | None]:
        """(label, partner id or None): organisations may be written as partner ids."""
        partners = self.vocabularies.for_field("partners")
        return (partners.label(name, lang), name) if name in partners else (name, None)

    def shared_labels(self, shared: tuple[tuple[str, str], ...], lang: str, most: int = 3) -> str:
        return ", ".join(self.label(d, v, lang) for d, v in shared[:most])

    def labels_json(self, lang: str) -> str:
        """Labels the search script needs, as JSON safe inside a <script> element."""
        data = {d: {t.id: t.label(lang) for t in self.vocabularies.for_field(d)} for d in DIMENSIONS}
        data["ui"] = {k: i18n.t(lang, k) for k in ("loading", "no_results", "count", "count_one", "more", "failed",
                                                   "compare_empty", "year", "method")}
        data["ui"].update({d: i18n.DIMENSION_NAMES[lang][d][0] for d in ("type", "scale", "criteria", "partners",
                                                                          "territories")})
        return json.dumps(data, ensure_ascii=False, sort_keys=True).replace("<", "\\u003c")

    def card(self, entry: Entry, lang: str, root: str, level: int = 3) -> Markup:
        """An entry's card in a list. Each entry appears in a dozen listings: rendered once per
        language and page depth, in Python, as Jinja macros were the build's largest cost."""
        key = (entry.id, lang, root, level)
        if key not in self._cards:
            other = f' lang="{entry.language}"' if entry.language != lang else ""
            scale = escape(self.label("scale", entry.scale[0], lang))
            more = f" +{len(entry.scale) - 1}" if len(entry.scale) > 1 else ""
            summary = ""
            if entry.summary:
                short = jinja2.filters.do_truncate(self.env, entry.summary, 220)
                summary = f'\n<p class="summary"{other}>{escape(short)}</p>'
            self._cards[key] = Markup(
                f'<li class="card">\n<h{level}><a href="{root}{lang}/entries/{entry.id}/"{other}>{escape(entry.title)}'
                f'</a></h{level}>\n<p class="meta"><span>{entry.year}</span> · '
                f'<span>{escape(self.label("type", entry.type, lang))}</span> · <span>{scale}{more}</span></p>'
                f"{summary}\n</li>"
            )
        return self._cards[key]

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
        """The sanitised body, rendered once and shared by the FR and NL pages."""
        if entry.id not in self._bodies:
            if self._renderer is None:
                self._renderer = Renderer()
            self._bodies[entry.id] = _straight_apostrophes(self._renderer(entry.body))
        return self._bodies[entry.id]

    # -- pages ---------------------------------------------------------------------------------

    def pages(self) -> Iterator[Page]:
        c = self.catalogue
        yield self._page("index.html", "splash.html", depth=0, lang="fr",
                         key=(len(c.entries),), extra={})
        yield self._page("404.html", "404.html", depth=0, lang="fr", key=(), extra={})
        for asset in sorted(ASSETS.glob("*")):
            data = asset.read_bytes()
            yield Page(f"assets/{asset.name}", _hash(data.hex()), lambda data=data: data)
        for lang in i18n.UI_LANGS:
            yield from self._language_pages(lang)
        yield from self._exports()
        yield self._page("feed.xml", "feed.xml", 0, "fr", key=[self._card_key(e) + (e.added,) for e in c.latest(50)],
                         extra={"entries": c.latest(50)})

    def _exports(self) -> Iterator[Page]:
        """Each entry as .bib, .ris and CSL .json, and the whole inventory in each format."""
        c, v = self.catalogue, self.vocabularies
        for entry in c.entries:
            for suffix, render in ((".bib", self.bibtex), (".ris", lambda e: biblio.ris([e], v)),
                                   (".json", lambda e: biblio.dumps(biblio.csljson([e], v)))):
                yield Page(f"export/entries/{entry.id}{suffix}", _hash(self.design, suffix, entry.digest),
                           lambda e=entry, render=render: render(e))
        everything = _hash(self.design, sorted(e.digest for e in c.entries))
        yield Page("export/kb.bib", everything, lambda: biblio.bibtex(c.entries, v))
        yield Page("export/kb.ris", everything, lambda: biblio.ris(c.entries, v))
        yield Page("export/kb.json", everything, lambda: biblio.dumps(biblio.csljson(c.entries, v)))

    def sitemap(self, paths: Iterable[str]) -> Page:
        """sitemap.xml over every HTML page; absolute when the site has a base URL."""
        pages = sorted(p.removesuffix("index.html") for p in paths if p.endswith(".html") and p != "404.html")
        return self._page("sitemap.xml", "sitemap.xml", 0, "fr", key=pages, extra={"pages": pages})

    def _language_pages(self, lang: str) -> Iterator[Page]:
        c = self.catalogue
        counts = {d: [(v, len(es)) for v, es in values.items()] for d, values in c.values.items()}
        latest = c.latest()
        yield self._page(f"{lang}/index.html", "home.html", 1, lang,
                         key=(len(c.entries), counts, [self._card_key(e) for e in latest]),
                         extra={"latest": latest, "counts": counts, "total": len(c.entries)})
        yield self._page(f"{lang}/search/index.html", "search.html", 2, lang, key=(counts,),
                         extra={"counts": counts})
        yield from self._listing(lang, f"{lang}/entries", c.entries, title=i18n.t(lang, "all"), depth=2,
                                 crumbs=())
        for dimension, values in c.values.items():
            yield self._page(f"{lang}/{dimension}/index.html", "dimension.html", 2, lang,
                             key=(dimension, counts[dimension]),
                             extra={"dimension": dimension, "values": counts[dimension]})
            for value, entries in values.items():
                title = i18n.t(lang, "entries_with", value=self.label(dimension, value, lang))
                yield from self._listing(lang, f"{lang}/{dimension}/{value}", entries, title=title, depth=3,
                                         crumbs=((dimension, value),))
        yield from self._figure_pages(lang)
        for entry in c.entries:
            related = [(c.by_id[i], shared) for i, shared in c.related[entry.id]]
            yield self._page(
                f"{lang}/entries/{entry.id}/index.html", "entry.html", 3, lang,
                key=(entry.digest, [(e.id, e.title, e.year, shared) for e, shared in related]),
                extra={"entry": entry, "related": related, "indexed": lang == "fr"},
            )

    def _figure_pages(self, lang: str) -> Iterator[Page]:
        """The working group's questions at a glance: matrix, territories, partners and years, compare."""
        c = self.catalogue
        figures = c.figures.as_dict()
        yield self._page(f"{lang}/matrix/index.html", "matrix.html", 2, lang, key=(figures["matrix"],),
                         extra={"matrix": c.figures.matrix})
        for (scale, criterion), entries in sorted(c.matrix_cells.items()):
            title = f"{self.label('scale', scale, lang)} × {self.label('criteria', criterion, lang)}"
            yield from self._listing(lang, f"{lang}/matrix/{scale}/{criterion}", entries, title=title, depth=4,
                                     crumbs=())
        yield self._page(f"{lang}/map/index.html", "map.html", 2, lang, key=(figures["coverage"],),
                         extra={"coverage": c.figures.coverage})
        for area in (*c.figures.coverage.communes, *c.figures.coverage.bassins):
            local = [c.by_id[i] for i in area.local]
            partial = [c.by_id[i] for i in area.partial]
            yield self._page(f"{lang}/map/{area.id}/index.html", "area.html", 3, lang,
                             key=(area.as_dict(), [self._card_key(e) for e in local + partial]),
                             extra={"area": area, "local": local, "partial": partial,
                                    "regional": len(c.figures.coverage.regional)})
        yield self._page(f"{lang}/overview/index.html", "overview.html", 2, lang,
                         key=(figures["partners_by_type"], figures["per_year"]), extra={"figures": c.figures})
        yield self._page(f"{lang}/compare/index.html", "compare.html", 2, lang, key=())

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

    def _listing(self, lang: str, base: str, entries: list[Entry], title: str, depth: int,
                 crumbs: tuple) -> Iterator[Page]:
        pages = max(1, math.ceil(len(entries) / PAGE_SIZE))
        for number in range(1, pages + 1):
            chunk = entries[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
            path = f"{base}/index.html" if number == 1 else f"{base}/page/{number}/index.html"
            yield self._page(path, "listing.html", depth + (0 if number == 1 else 2), lang,
                             key=(title, number, pages, len(entries), [self._card_key(e) for e in chunk]),
                             extra={"entries": chunk, "title": title, "number": number, "pages": pages,
                                    "total": len(entries), "crumbs": crumbs,
                                    "base": "../../" if number > 1 else ""})

    @staticmethod
    def _card_key(entry: Entry) -> tuple:
        return (entry.id, entry.title, entry.year, entry.type, entry.summary, entry.language, entry.scale,
                entry.criteria)

    def _page(self, path: str, template: str, depth: int, lang: str, key: object, extra: dict | None = None) -> Page:
        context = {"lang": lang, "root": "../" * depth, "path": path, **(extra or {})}
        other = "nl" if lang == "fr" else "fr"
        context["alternate"] = path.replace(f"{lang}/", f"{other}/", 1) if path.startswith(f"{lang}/") else None
        return Page(path, _hash(self.design, template, lang, path, key),
                    lambda: self.env.get_template(template).render(context))


def _straight_apostrophes(text: str) -> str:
    """Pagefind splits words on ' but not on ’: index l’évaluation as l'évaluation."""
    return text.replace("\u2019", "'")


def _vocabulary_fingerprint(vocabularies: Vocabularies) -> list:
    return [(name, [(t.id, dict(t.labels)) for t in vocab]) for name, vocab in sorted(vocabularies.by_name.items())]


# -- writing trees ---------------------------------------------------------------------------


class Tree:
    """An output folder and its manifest (path -> key, size, mtime) kept under ``state_dir``."""

    def __init__(self, path: Path, state_dir: Path):
        self.path = path
        self.state_dir = state_dir
        self.manifest: dict[str, list] = {}
        if path.is_dir():
            manifest_file = self._manifest_file()
            if manifest_file.is_file():
                try:
                    self.manifest = json.loads(manifest_file.read_text())
                except (OSError, ValueError):
                    self.manifest = {}

    def _manifest_file(self) -> Path:
        # Keyed by the folder's inode, which survives the swap (a rename keeps the inode).
        return self.state_dir / f"manifest-{os.stat(self.path).st_ino}.json"

    def current(self, path: str, key: str) -> bool:
        recorded = self.manifest.get(path)
        if not recorded or recorded[0] != key:
            return False
        try:
            stat = os.stat(self.path / path)
        except OSError:
            return False
        return [stat.st_size, stat.st_mtime_ns] == recorded[1:]

    def write(self, path: str, key: str, content: str | bytes) -> None:
        target = self.path / path
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode("utf-8") if isinstance(content, str) else content
        target.write_bytes(data)
        stat = target.stat()
        self.manifest[path] = [key, stat.st_size, stat.st_mtime_ns]

    def prune(self, keep: set[str]) -> int:
        """Remove files (outside pagefind/) that the new build does not produce."""
        removed = 0
        for file in sorted(self.path.rglob("*")):
            relative = file.relative_to(self.path).as_posix()
            if file.is_file() and relative not in keep and not relative.startswith("pagefind/"):
                file.unlink()
                removed += 1
        for directory in sorted((d for d in self.path.rglob("*") if d.is_dir()), reverse=True):
            if not any(directory.iterdir()):
                directory.rmdir()
        self.manifest = {p: v for p, v in self.manifest.items() if p in keep}
        return removed

    def save(self) -> None:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self._manifest_file().write_text(json.dumps(self.manifest, sort_keys=True))


def _exchange(a: Path, b: Path) -> None:
    """Swap two folders atomically (Linux renameat2 RENAME_EXCHANGE), else by two renames."""
    libc = ctypes.CDLL(None, use_errno=True)
    renameat2 = getattr(libc, "renameat2", None)
    if renameat2 is not None:
        at_fdcwd, rename_exchange = -100, 2
        if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
            return
    parking = a.with_name(a.name + ".swap")
    os.rename(a, parking)
    os.rename(b, a)
    os.rename(parking, b)


PAGEFIND_SIGNATURE = b"pagefind_dcd"


def _pagefind_read(path: Path):
    import cbor2

    data = gzip.decompress(path.read_bytes())
    if not data.startswith(PAGEFIND_SIGNATURE):
        raise ValueError(f"{path.name}: not a Pagefind data file")
    return cbor2.loads(data[len(PAGEFIND_SIGNATURE):])


def _pagefind_write(value, folder: Path, prefix: str, suffix: str, digits: int) -> str:
    """Write a Pagefind data file named after its content; returns the new hash name."""
    import cbor2

    data = gzip.compress(PAGEFIND_SIGNATURE + cbor2.dumps(value), compresslevel=9, mtime=0)
    name = f"{prefix}_{hashlib.sha256(data).hexdigest()[:digits]}"
    (folder / f"{name}{suffix}").write_bytes(data)
    return name


def canonical_pagefind(bundle: Path) -> None:
    """Make Pagefind's bundle byte-stable between identical builds.

    Pagefind 1.5 writes its filter indexes from a hash map, so the order of values (and
    hence the file names and the meta index naming them) changes from run to run although
    the content does not (upstream issue #638: fragments are stable, filters are not). Here
    each filter file's values are sorted, files are renamed after their content, and the meta
    index and pagefind-entry.json are rewritten to match. Anything unexpected leaves the
    bundle as Pagefind wrote it: search works either way.
    """
    entry_file = bundle / "pagefind-entry.json"
    entry = json.loads(entry_file.read_text())
    for language, info in entry["languages"].items():
        meta_path = bundle / f"pagefind.{info['hash']}.pf_meta"
        meta = _pagefind_read(meta_path)
        if not (isinstance(meta, list) and len(meta) > 3 and all(len(f) == 2 for f in meta[3])):
            return
        renamed = []
        for name, file_hash in sorted(meta[3]):
            path = bundle / "filter" / f"{file_hash}.pf_filter"
            filter_name, values = _pagefind_read(path)
            path.unlink()
            new = _pagefind_write([filter_name, sorted(values, key=lambda v: v[0])], bundle / "filter",
                                  language, ".pf_filter", 7)
            renamed.append([name, new])
        meta[3] = renamed
        meta_path.unlink()
        info["hash"] = _pagefind_write(meta, bundle, f"pagefind.{language}", ".pf_meta", 10).removeprefix("pagefind.")
    entry_file.write_text(json.dumps(entry, ensure_ascii=False, separators=(",", ":")))


def run_pagefind(tree: Path) -> None:
    """Index the French entry pages as one single-language index."""
    command = [sys.executable, "-m", "pagefind", "--site", str(tree), "--glob", "fr/entries/*/index.html",
               "--force-language", "fr", "--output-subdir", "pagefind", "--silent"]
    shutil.rmtree(tree / "pagefind", ignore_errors=True)
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise BuildError(f"Pagefind failed ({result.returncode}): {(result.stderr or result.stdout).strip()[-2000:]}")
    canonical_pagefind(tree / "pagefind")


_TODO: list[Page] = []  # the pages a forked worker renders (inherited, never pickled)


def _write_pages(indices: list[int], tree: str) -> list[tuple[str, list]]:
    """Render and write the given pages of _TODO into ``tree``; return their manifest rows."""
    rows = []
    for index in indices:
        page = _TODO[index]
        target = Path(tree) / page.path
        target.parent.mkdir(parents=True, exist_ok=True)
        content = page.render()
        target.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        stat = target.stat()
        rows.append((page.path, [page.key, stat.st_size, stat.st_mtime_ns]))
    return rows


def _render(todo: list[Page], tree: Path, progress: Progress | None) -> Iterator[tuple[str, list]]:
    """Write the pages, in forked worker processes when there are many (Markdown and Jinja
    are CPU-bound); the output does not depend on how the work is split."""
    global _TODO
    # Both language versions of a page side by side: a worker then renders each body once.
    _TODO = sorted(todo, key=lambda page: (page.path.partition("/")[2], page.path))
    chunks = [list(range(start, min(start + 250, len(_TODO)))) for start in range(0, len(_TODO), 250)]
    done = 0
    try:
        if WORKERS > 1 and len(todo) >= PARALLEL_FROM and "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            with concurrent.futures.ProcessPoolExecutor(WORKERS, mp_context=context) as pool:
                for rows in pool.map(_write_pages, chunks, [str(tree)] * len(chunks)):
                    done += len(rows)
                    if progress:
                        progress("pages", done, len(todo))
                    yield from rows
        else:
            for chunk in chunks:
                rows = _write_pages(chunk, str(tree))
                done += len(rows)
                if progress:
                    progress("pages", done, len(todo))
                yield from rows
    finally:
        _TODO = []


def build(entries: list[Entry], vocabularies: Vocabularies, output: Path, state_dir: Path,
          progress: Progress | None = None, search: bool = True, base_url: str = "") -> BuildReport:
    """Build the site from ``entries`` into ``output``, atomically; returns what was done."""
    report = BuildReport(output=output, entries=len(entries))
    started = time.perf_counter()
    output = output.resolve()
    back = output.with_name(f".{output.name}.next")
    live = Tree(output, state_dir)
    if not back.is_dir():
        if output.is_dir():
            shutil.copytree(output, back, symlinks=True)  # the first incremental build starts from the live site
            staging = Tree(back, state_dir)
            staging.manifest = dict(live.manifest)
        else:
            back.mkdir(parents=True)
            staging = Tree(back, state_dir)
    else:
        staging = Tree(back, state_dir)
    site = Site(Catalogue(entries, vocabularies), base_url)
    report.timings["prepare"] = time.perf_counter() - started

    started = time.perf_counter()
    pages = list(site.pages())
    pages.append(site.sitemap(page.path for page in pages))
    produced = {page.path for page in pages}
    todo = [page for page in pages if not staging.current(page.path, page.key)]
    for path, row in _render(todo, back, progress):
        staging.manifest[path] = row
        report.written.append(path)
    report.pages = len(pages)
    report.removed = staging.prune(produced)
    report.timings["pages"] = time.perf_counter() - started

    if search:
        started = time.perf_counter()
        if progress:
            progress("search", 0, 1)
        run_pagefind(back)
        report.timings["search"] = time.perf_counter() - started
    staging.save()
    if output.exists():
        _exchange(output, back)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        os.rename(back, output)
    return report
