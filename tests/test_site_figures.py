"""The site's figures, feeds and downloads, read back from the built files and compared with
counts made directly from the entries' YAML (not through kb)."""

from __future__ import annotations

import html
import json
import re
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import bibtexparser
import pytest
import rispy
import yaml

from conftest import REPO
from kb.project import Project

SITEMAPS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def fronts(entries: Path) -> dict[str, dict]:
    return {p.stem: yaml.safe_load(p.read_text(encoding="utf-8").split("---")[1]) for p in sorted(entries.glob("*.md"))}


class Table(HTMLParser):
    """Rows of the first <table> as lists of (text, href) cells."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[tuple[str, str | None]]] = []
        self.depth = 0
        self.cell: list[str] | None = None
        self.href: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.depth += 1
        elif self.depth == 1 and tag == "tr":
            self.rows.append([])
        elif self.depth == 1 and tag in ("td", "th"):
            self.cell, self.href = [], None
        elif tag == "a" and self.cell is not None:
            self.href = dict(attrs).get("href")

    def handle_endtag(self, tag):
        if tag == "table":
            self.depth -= 1
        elif tag in ("td", "th") and self.cell is not None and self.rows:
            self.rows[-1].append((" ".join("".join(self.cell).split()), self.href))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, dict[str, dict]]:
    root = tmp_path_factory.mktemp("figures")
    (root / "entries").mkdir()
    for path in (REPO / "entries").glob("*.md"):
        if path.name != "README.md":
            (root / "entries" / path.name).write_bytes(path.read_bytes())
    project = Project(root=root)
    project.build(base_url="https://kb.example.org/inventaire/")
    project.close()
    return root / "site", fronts(root / "entries")


def test_matrix_cells_count_the_entries_with_both_values_and_link_to_them(site):
    out, data = site
    expected = Counter((s, c) for d in data.values() for s in d["scale"] for c in d["criteria"])
    page = out / "fr" / "matrix" / "index.html"
    table = Table()
    table.feed(page.read_text(encoding="utf-8"))
    # rows and columns follow the vocabulary files' order
    criteria = [t["id"] for t in yaml.safe_load((REPO / "kb/vocabularies/criteria.yaml").read_text())]
    scales = [t["id"] for t in yaml.safe_load((REPO / "kb/vocabularies/scales.yaml").read_text())]
    assert len(table.rows[0]) == len(criteria) + 2 and len(table.rows) == len(scales) + 2
    seen = 0
    for scale, row in zip(scales, table.rows[1:-1]):
        for criterion, (text, href) in zip(criteria, row[1:-1]):
            assert int(text) == expected.get((scale, criterion), 0), (scale, criterion)
            if int(text):
                seen += 1
                listing = (page.parent / href / "index.html").read_text(encoding="utf-8")
                assert listing.count('<li class="card">') == min(int(text), 100)
            else:
                assert href is None
    assert seen == len(expected)


def test_every_commune_page_lists_the_entries_tagged_with_it(site):
    out, data = site
    communes = [
        t["id"]
        for t in yaml.safe_load((REPO / "kb/vocabularies/territories.yaml").read_text())
        if t.get("kind") == "commune"
    ]
    assert len(communes) == 19
    map_page = (out / "nl" / "map" / "index.html").read_text(encoding="utf-8")
    for nis in communes:
        assert f'href="../map/{nis}/"' in map_page
        page = (out / "nl" / "map" / nis / "index.html").read_text(encoding="utf-8")
        for entry_id, d in data.items():
            if nis in [str(t) for t in d.get("territories", [])]:
                assert f"/entries/{entry_id}/" in page, (nis, entry_id)


def test_an_area_with_many_entries_lists_them_page_by_page(tmp_path, monkeypatch):
    """A bassin may have thousands of entries: its page shows the first ones and links to a
    paginated listing of them all (here with pages of 2 entries)."""
    from kb.site import pages as site_module

    monkeypatch.setattr(site_module, "PAGE_SIZE", 2)
    (tmp_path / "entries").mkdir()
    for path in (REPO / "entries").glob("*.md"):
        if path.name != "README.md":
            (tmp_path / "entries" / path.name).write_bytes(path.read_bytes())
    project = Project(root=tmp_path)
    project.build(search=False)
    project.close()
    areas = sorted((tmp_path / "site" / "fr" / "map").glob("*/local/index.html"))
    assert areas, "no area has more than 2 local entries"
    # a commune's own entries are its territories/ listing's: "see all" links there, no second list
    assert all(area.parent.parent.name.startswith("bassin_") for area in areas), areas
    communes = [
        page
        for page in (tmp_path / "site" / "fr" / "map").glob("[0-9]*/index.html")
        if int(re.search(r"Fiches sur ce territoire \((\d+)\)", page.read_text(encoding="utf-8")).group(1)) > 2
    ]
    assert communes, "no commune has more than 2 local entries"
    for page in communes:
        nis = page.parent.name
        assert f'<a href="../../territories/{nis}/">Voir les' in page.read_text(encoding="utf-8")
        assert (tmp_path / "site" / "fr" / "territories" / nis / "page" / "2" / "index.html").is_file()
    for listing in areas:
        area = listing.parent.parent
        page = (area / "index.html").read_text(encoding="utf-8")
        assert page.count('<li class="card">') <= 4 and 'href="local/"' in page
        listed = set()
        for file in [listing, *sorted((listing.parent / "page").glob("*/index.html"))]:
            listed.update(re.findall(r'href="(?:\.\./)+fr/entries/([^/"]+)/"', file.read_text(encoding="utf-8")))
        total = int(re.search(r"Voir les (\d+) fiches", page).group(1))
        assert len(listed) == total > 2


def test_years_chart_links_every_year_with_entries(site):
    out, data = site
    page = (out / "fr" / "overview" / "index.html").read_text(encoding="utf-8")
    for year, n in Counter(d["year"] for d in data.values()).items():
        assert f'href="../year/{year}/"' in page
        listing = (out / "fr" / "year" / str(year) / "index.html").read_text(encoding="utf-8")
        assert listing.count('<li class="card">') == n


def test_compare_page_and_its_data(site):
    """The compare page reads what it shows from the entry pages (no file per entry besides
    them): the tags from the links of the facts, the date from the JSON-LD of the French page."""
    out, data = site
    page = (out / "fr" / "compare" / "index.html").read_text(encoding="utf-8")
    assert "assets/compare.js" in page and "<noscript>" in page
    assert not (out / "export" / "entries").exists()
    for entry_id, d in data.items():
        entry = (out / "nl" / "entries" / entry_id / "index.html").read_text(encoding="utf-8")
        facts = re.search(r'<dl class="facts".*?</dl>', entry, re.S).group(0)
        tags = re.findall(r'<a class="tag" href="(?:\.\./)+nl/(\w+)/([^/"]+)/"', facts)
        assert [value for dimension, value in tags if dimension == "scale"] == d["scale"]
        assert [value for dimension, value in tags if dimension == "type"] == [d["type"]]
        french = (out / "fr" / "entries" / entry_id / "index.html").read_text(encoding="utf-8")
        ld = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', french, re.S).group(1))
        assert ld["datePublished"] == str(d.get("date") or d["year"])


def test_downloads_parse_with_real_readers(site):
    out, data = site
    for entry_id in data:  # an entry's BibTeX is on its pages (the whole inventory's in kb.bib)
        page = (out / "nl" / "entries" / entry_id / "index.html").read_text(encoding="utf-8")
        shown = html.unescape(re.search(r'<pre id="kb-bibtex">(.*?)</pre>', page, re.S).group(1))
        library = bibtexparser.parse_string(shown)
        assert not library.failed_blocks and [e.key for e in library.entries] == [entry_id]
    whole = bibtexparser.parse_string((out / "export" / "kb.bib").read_text(encoding="utf-8"))
    assert sorted(e.key for e in whole.entries) == sorted(data)
    records = rispy.loads((out / "export" / "kb.ris").read_text(encoding="utf-8"))
    assert sorted(r["title"] for r in records) == sorted(d["title"] for d in data.values())
    assert len(json.loads((out / "export" / "kb.json").read_text(encoding="utf-8"))) == len(data)


ATOM = "{http://www.w3.org/2005/Atom}"


def test_atom_feed_lists_the_newest_entries_with_absolute_links(site):
    out, data = site
    feed = ET.parse(out / "feed.xml").getroot()
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == min(50, len(data))
    for entry in entries:
        href = entry.find(f"{ATOM}link").get("href")
        assert href.startswith("https://kb.example.org/inventaire/fr/entries/")
        path = href.removeprefix("https://kb.example.org/inventaire/")
        assert (out / path / "index.html").is_file()
        assert entry.find(f"{ATOM}updated").text.endswith("T00:00:00Z")


def test_sitemap_lists_every_page_once_and_only_existing_ones(site):
    out, _ = site
    root = ET.parse(out / "sitemap.xml").getroot()
    locs = [loc.text for loc in root.iter(f"{SITEMAPS}loc")]
    assert len(locs) == len(set(locs))
    pages = {p for p in out.rglob("index.html")}
    assert len(locs) == len(pages)
    for loc in locs:
        relative = loc.removeprefix("https://kb.example.org/inventaire/")
        assert (out / relative / "index.html").is_file() or (out / relative).is_file()


def test_a_large_site_has_a_sitemap_index(tmp_path, monkeypatch):
    """Past the protocol's 50,000 addresses (here 100), sitemap.xml is an index of files that
    list every page once, none over the limit."""
    from kb.site import pages

    monkeypatch.setattr(pages, "SITEMAP_URLS", 100)
    project = Project(root=tmp_path, entries_dir=REPO / "entries")
    project.build(search=False)
    project.close()
    out = tmp_path / "site"
    index = ET.parse(out / "sitemap.xml").getroot()
    assert index.tag == f"{SITEMAPS}sitemapindex"
    parts = [loc.text for loc in index.iter(f"{SITEMAPS}loc")]
    locs = []
    for part in parts:
        listed = [loc.text for loc in ET.parse(out / part).getroot().iter(f"{SITEMAPS}loc")]
        assert 0 < len(listed) <= 100
        locs += listed
    assert len(locs) == len(set(locs)) == len(list(out.rglob("index.html")))


class Head(HTMLParser):
    """The <meta name=...> tags, the JSON-LD and the COinS span of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, list[str]] = {}
        self.jsonld: list[str] = []
        self.coins: list[str] = []
        self._script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "meta" and "name" in a:
            self.meta.setdefault(a["name"], []).append(a["content"])
        elif tag == "script" and a.get("type") == "application/ld+json":
            self._script = True
        elif tag == "span" and a.get("class") == "Z3988":
            self.coins.append(a["title"])

    def handle_endtag(self, tag):
        self._script = False

    def handle_data(self, data):
        if self._script:
            self.jsonld.append(data)


def test_entry_pages_carry_citation_metadata_zotero_can_read(site):
    from urllib.parse import parse_qs

    out, data = site
    partners = yaml.safe_load((REPO / "kb/vocabularies/partners.yaml").read_text())
    for entry_id, d in data.items():
        page = out / "fr" / "entries" / entry_id / "index.html"
        head = Head()
        head.feed(page.read_text(encoding="utf-8"))
        assert head.meta["citation_title"] == [d["title"]]
        # organisations are cited under their name in the entry's language
        names = {t["id"]: t[d["language"]] for t in partners}
        organisations = [names.get(o, o) for o in d.get("organisations", [])]
        assert head.meta.get("citation_author", []) == (d.get("authors") or organisations)
        assert head.meta["citation_publication_date"][0].startswith(str(d["year"]))
        assert head.meta["citation_language"] == [d["language"]]
        ld = json.loads("".join(head.jsonld))
        assert ld["@context"] == "https://schema.org" and ld["name"] == d["title"]
        assert ld["inLanguage"] == d["language"]
        assert ld["@id"] == f"https://kb.example.org/inventaire/fr/entries/{entry_id}/"
        (coins,) = head.coins
        fields = parse_qs(coins)
        assert fields["ctx_ver"] == ["Z39.88-2004"]
        assert d["title"] in (fields.get("rft.btitle", []) + fields.get("rft.atitle", []) + fields.get("rft.title", []))
        # the Dutch page: the same COinS for Zotero, the tags and JSON-LD on the French page only
        dutch = Head()
        dutch.feed((out / "nl" / "entries" / entry_id / "index.html").read_text(encoding="utf-8"))
        assert dutch.coins == head.coins
        assert not dutch.jsonld and not [name for name in dutch.meta if name.startswith("citation_")]
