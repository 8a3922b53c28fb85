"""Content tests: what the inventory must hold to be worth consulting in French and in Dutch.

Each check is a function over entries (or vocabularies, or a built site) that returns what is
wrong. The tests marked ``content`` run it over the SHIPPED entries and vocabularies
(``entries/``, ``kb/vocabularies/``): they fail until the entries are complete, and say which
entries lack what. The same checks run first over a few good entries written here, so that a
failure on the shipped inventory is the content's, not the check's.

- every entry has French and Dutch titles and summaries (its own, or our translation), a
  basis, a scale, criteria and territories;
- every partner has a French and a Dutch name, without a gloss in brackets;
- the Dutch site shows a Dutch title for at least 95% of the entries;
- an entry with a container exports it in BibTeX, RIS and CSL JSON;
- Debian's pandoc (citeproc) reads the CSL JSON and BibTeX exports without a warning, and prints
  a Dutch entry's reference with its organisation's Dutch name.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from conftest import REPO

from kb import bibliography as biblio
from kb.bibliography.exports import bibtex as bibtex_out
from kb.entries import inventory, vocab
from kb.entries.schema import Entry
from kb.project import Project

DUTCH_TITLE_SHARE = 0.95
UI_LANGUAGES = ("fr", "nl")

# ------------------------------------------------------------------------------------ checks


def incomplete(entries: list[Entry]) -> list[str]:
    """'<id>: no nl title' and the like, for every entry missing what the inventory needs."""
    problems = []
    for entry in entries:
        for lang in UI_LANGUAGES:
            own = lang == entry.language
            translated = entry.translation(lang)
            if not own and translated is None:
                problems.append(f"{entry.id}: no {lang} title")
            summary = entry.summary if own else (translated[1] if translated else None)
            if not summary:
                problems.append(f"{entry.id}: no {lang} summary")
        for name in ("basis", "scale", "criteria", "territories"):
            if not getattr(entry, name):
                problems.append(f"{entry.id}: no {name}")
    return problems


GLOSS = re.compile(r"\(.*\)")


def unnamed_partners(vocabularies: vocab.Vocabularies) -> list[str]:
    """Partners without a French or a Dutch name, or with a gloss in brackets inside a name (which
    citations would print as part of the name)."""
    problems = []
    for term in vocabularies["partners"]:
        for lang in UI_LANGUAGES:
            name = term.labels.get(lang, "").strip()
            if not name:
                problems.append(f"{term.id}: no {lang} name")
            elif GLOSS.search(name):
                problems.append(f"{term.id}: the {lang} name '{name}' has a gloss in brackets")
    return problems


class _Heading(HTMLParser):
    """The page's <html lang> and its <h1>'s text and lang."""

    def __init__(self) -> None:
        super().__init__()
        self.page_lang = self.h1_lang = None
        self.h1 = ""
        self._in_h1 = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html":
            self.page_lang = attrs.get("lang")
        elif tag == "h1" and not self.h1:
            self._in_h1, self.h1_lang = True, attrs.get("lang")

    def handle_endtag(self, tag):
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data):
        if self._in_h1:
            self.h1 += data


def dutch_title_share(site: Path) -> tuple[float, list[str]]:
    """Share of the Dutch entry pages whose <h1> is in Dutch (no other lang than the page's),
    and the ids of those that are not."""
    pages = sorted((site / "nl" / "entries").glob("*/index.html"))
    other = []
    for page in pages:
        heading = _Heading()
        heading.feed(page.read_text(encoding="utf-8"))
        assert heading.page_lang == "nl" and heading.h1.strip(), page
        if (heading.h1_lang or heading.page_lang) != "nl":
            other.append(page.parent.name)
    return (1 - len(other) / len(pages) if pages else 0.0), other


def containers_lost(entries: list[Entry], vocabularies: vocab.Vocabularies) -> list[str]:
    """'<id>: <format>' for every entry with a container that an export leaves out."""
    problems = []
    for entry in entries:
        if not entry.container:
            continue
        bib = biblio.bibtex([entry], vocabularies)
        if not re.search(
            r"^\s*(?:journal|series) = \{" + re.escape(bibtex_out._tex(entry.container)) + r"\},$", bib, re.MULTILINE
        ):
            problems.append(f"{entry.id}: bibtex")
        ris = biblio.ris([entry], vocabularies)
        if f"T2  - {entry.container}" not in ris.splitlines():
            problems.append(f"{entry.id}: ris")
        item = biblio.csljson([entry], vocabularies)[0]
        if entry.container not in (item.get("container-title"), item.get("collection-title")):
            problems.append(f"{entry.id}: csljson")
    return problems


def pandoc_references(entries: list[Entry], vocabularies: vocab.Vocabularies, folder: Path) -> dict[str, str]:
    """Format -> the bibliography pandoc's citeproc prints from that export of ``entries``;
    AssertionError when pandoc warns about (or fails on) an export."""
    folder.mkdir(parents=True, exist_ok=True)
    document = folder / "all.md"
    document.write_text("---\nnocite: '@*'\n---\n", encoding="utf-8")
    printed = {}
    for fmt in ("csljson", "bibtex"):
        bibliography = folder / f"kb{biblio.EXTENSIONS[fmt]}"
        bibliography.write_text(biblio.export(entries, fmt, vocabularies), encoding="utf-8")
        run = subprocess.run(
            ["pandoc", "--citeproc", "--bibliography", str(bibliography), "-t", "plain", "--wrap=none", str(document)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert run.returncode == 0 and run.stderr == "", f"pandoc on the {fmt} export: {run.stderr}"
        printed[fmt] = run.stdout
    return printed


def dutch_names_missing(entries: list[Entry], vocabularies: vocab.Vocabularies, printed: dict[str, str]) -> list[str]:
    """'<format>: <id> lacks <name>' for each Dutch entry published by a partner whose Dutch name
    (differing from the French) pandoc did not print."""
    partners = vocabularies["partners"]
    problems = []
    for entry in entries:
        if entry.language != "nl":
            continue
        for organisation in entry.organisations:
            if organisation in partners and partners[organisation].label("nl") != partners[organisation].label("fr"):
                name = partners[organisation].label("nl")
                problems += [
                    f"{fmt}: {entry.id} lacks {name}"
                    for fmt, text in printed.items()
                    if name not in " ".join(text.split())
                ]
    return problems


# ------------------------------------------------------------------------------------ fixtures

GOOD_PARTNERS = [
    {
        "id": "cocom",
        "abbr": {"fr": "COCOM", "nl": "GGC", "en": "COCOM"},
        "fr": "Commission communautaire commune",
        "nl": "Gemeenschappelijke Gemeenschapscommissie",
        "en": "Common Community Commission",
    },
    {
        "id": "observatoire",
        "abbr": "Observatoire",
        "fr": "Observatoire de la Santé et du Social de Bruxelles-Capitale",
        "nl": "Observatorium voor Gezondheid en Welzijn van Brussel-Hoofdstad",
        "en": "Brussels Health and Social Observatory",
    },
    {"id": "brusano", "abbr": "Brusano", "fr": "Brusano", "nl": "Brusano", "en": "Brusano"},
]

GOOD_ENTRIES = {
    "zorgzones-brussel-2022": """---
title: "Zorgzones in Brussel"
type: report
year: 2022
organisations: [cocom, brusano]
scale: [bassin]
criteria: [population_size]
basis: [administrative_boundaries, existing_networks]
territories: [bassin_nord]
language: nl
summary: "Een rapport over de zorgzones."
translations:
  fr:
    title: "Les zones de soins à Bruxelles"
    summary: "Un rapport sur les zones de soins."
  en:
    title: "Care zones in Brussels"
added: 2026-12-04
---

## Inhoud

Een rapport.
""",
    "barometre-quartiers-2021": """---
title: "Baromètre des quartiers"
type: article
year: 2021
organisations: [observatoire]
scale: [quartier_monitoring]
criteria: [socio_economic_deprivation]
basis: [statistical_units]
territories: ["21004"]
language: fr
summary: "Un article sur les quartiers."
translations:
  nl:
    title: "Barometer van de wijken"
    summary: "Een artikel over de wijken."
container: "Bruxelles Santé"
volume: "96"
issue: "2"
pages: "12-15"
issn: "0776-8613"
added: 2026-12-04
---

## Contenu

Un article.
""",
    "rapport-serie-2020": """---
title: "Rapport dans une série"
type: report
year: 2020
organisations: [observatoire, "Université Saint-Louis – Bruxelles"]
scale: [region]
criteria: [health_indicators]
basis: [indicator_thresholds]
territories: [region]
language: fr
summary: "Un rapport d'une série."
translations:
  nl:
    title: "Een rapport in een reeks"
    summary: "Een rapport uit een reeks."
container: "Cahiers de l'Observatoire"
isbn: "978-2-930346-49-6"
publisher_place: Bruxelles
edition: "2e édition"
added: 2026-12-04
---

## Contenu

Un rapport.
""",
}


@pytest.fixture(scope="module")
def good_vocabularies(tmp_path_factory) -> vocab.Vocabularies:
    folder = tmp_path_factory.mktemp("vocabularies")
    for path in vocab.VOCAB_DIR.glob("*.yaml"):
        shutil.copy2(path, folder / path.name)
    (folder / "partners.yaml").write_text(yaml.safe_dump(GOOD_PARTNERS, allow_unicode=True), encoding="utf-8")
    return vocab.load(folder)


@pytest.fixture(scope="module")
def good_entries(tmp_path_factory, good_vocabularies) -> list[Entry]:
    folder = tmp_path_factory.mktemp("good") / "entries"
    folder.mkdir()
    for entry_id, text in GOOD_ENTRIES.items():
        (folder / f"{entry_id}.md").write_text(text, encoding="utf-8")
    found = inventory.load([folder], good_vocabularies)
    assert found.problems == [] and len(found.entries) == len(GOOD_ENTRIES)
    return found.entries


@pytest.fixture(scope="module")
def shipped() -> tuple[list[Entry], vocab.Vocabularies]:
    vocabularies = vocab.load()
    found = inventory.load([REPO / "entries"], vocabularies)
    assert found.errors == []
    return found.entries, vocabularies


def built_site(root: Path, entries_dir: Path) -> Path:
    project = Project(root=root, entries_dir=entries_dir)
    try:
        project.build(search=False)
    finally:
        project.close()
    return root / "site"


# ------------------------------------------------------------------------------------ the checks can pass


def test_good_entries_are_complete(good_entries):
    assert incomplete(good_entries) == []


def test_an_entry_without_translation_or_basis_is_reported(tmp_path, good_vocabularies):
    text = GOOD_ENTRIES["zorgzones-brussel-2022"].replace("basis: [administrative_boundaries, existing_networks]\n", "")
    text = text.replace('    summary: "Un rapport sur les zones de soins."\n', "")
    (tmp_path / "zorgzones-brussel-2022.md").write_text(text, encoding="utf-8")
    found = inventory.load([tmp_path], good_vocabularies)
    assert incomplete(found.entries) == ["zorgzones-brussel-2022: no fr summary", "zorgzones-brussel-2022: no basis"]


def test_good_partners_have_french_and_dutch_names(good_vocabularies):
    assert unnamed_partners(good_vocabularies) == []


def test_a_gloss_in_a_partner_name_is_reported(tmp_path):
    for path in vocab.VOCAB_DIR.glob("*.yaml"):
        shutil.copy2(path, tmp_path / path.name)
    glossed = [dict(GOOD_PARTNERS[0], nl="Gemeenschappelijke Gemeenschapscommissie (GGC)")]
    (tmp_path / "partners.yaml").write_text(yaml.safe_dump(glossed, allow_unicode=True), encoding="utf-8")
    assert unnamed_partners(vocab.load(tmp_path)) == [
        "cocom: the nl name 'Gemeenschappelijke Gemeenschapscommissie (GGC)' has a gloss in brackets"
    ]


def test_good_entries_show_dutch_titles_on_the_dutch_site(tmp_path):
    entries_dir = tmp_path / "entries"
    entries_dir.mkdir()
    for entry_id, text in GOOD_ENTRIES.items():
        # the shipped partners, whatever their names: this test is about titles
        (entries_dir / f"{entry_id}.md").write_text(text.replace("[cocom, brusano]", "[brusano]"), encoding="utf-8")
    share, other = dutch_title_share(built_site(tmp_path, entries_dir))
    assert (share, other) == (1.0, [])
    # and a French entry without a Dutch translation is counted as not Dutch
    text = GOOD_ENTRIES["rapport-serie-2020"]
    start, end = text.index("translations:"), text.index("container:")
    (entries_dir / "rapport-serie-2020.md").write_text(text[:start] + text[end:], encoding="utf-8")
    share, other = dutch_title_share(built_site(tmp_path, entries_dir))
    assert other == ["rapport-serie-2020"] and share == pytest.approx(2 / 3)


def test_good_entries_export_their_container_in_every_format(good_entries, good_vocabularies):
    assert [e.id for e in good_entries if e.container] == ["barometre-quartiers-2021", "rapport-serie-2020"]
    assert containers_lost(good_entries, good_vocabularies) == []
    item = biblio.csljson([e for e in good_entries if e.type == "article"], good_vocabularies)[0]
    assert item["type"] == "article-journal" and item["container-title"] == "Bruxelles Santé"


def test_pandoc_reads_the_good_exports_and_prints_dutch_names(good_entries, good_vocabularies, tmp_path):
    printed = pandoc_references(good_entries, good_vocabularies, tmp_path)
    assert dutch_names_missing(good_entries, good_vocabularies, printed) == []
    for fmt, text in printed.items():
        text = " ".join(text.split())
        assert "Gemeenschappelijke Gemeenschapscommissie" in text, fmt  # the Dutch entry's publisher
        assert "Commission communautaire commune" not in text, fmt
        assert "Bruxelles Santé" in text and "96" in text and "12" in text, fmt  # the article's journal


def test_pandoc_check_notices_a_french_name_on_a_dutch_entry(good_entries, good_vocabularies):
    printed = {"csljson": "Commission communautaire commune. 2022. Zorgzones in Brussel."}
    assert dutch_names_missing(good_entries, good_vocabularies, printed) == [
        "csljson: zorgzones-brussel-2022 lacks Gemeenschappelijke Gemeenschapscommissie"
    ]


# ------------------------------------------------------------------------------------ the shipped inventory


@pytest.mark.content
def test_shipped_entries_are_complete(shipped):
    entries, _ = shipped
    assert incomplete(entries) == []


@pytest.mark.content
def test_shipped_partners_have_french_and_dutch_names(shipped):
    _, vocabularies = shipped
    assert unnamed_partners(vocabularies) == []


@pytest.mark.content
def test_shipped_dutch_site_shows_dutch_titles(tmp_path):
    entries_dir = tmp_path / "entries"
    shutil.copytree(REPO / "entries", entries_dir, ignore=shutil.ignore_patterns("README.md"))
    share, other = dutch_title_share(built_site(tmp_path, entries_dir))
    assert share >= DUTCH_TITLE_SHARE, f"{share:.0%} of the Dutch entry pages show a Dutch title; not: {other}"


@pytest.mark.content
def test_shipped_entries_with_a_container_export_it(shipped):
    entries, vocabularies = shipped
    assert any(e.container for e in entries), "no shipped entry names its journal, series or website"
    assert containers_lost(entries, vocabularies) == []


@pytest.mark.content
def test_pandoc_reads_the_shipped_exports_and_prints_dutch_names(shipped, tmp_path):
    entries, vocabularies = shipped
    printed = pandoc_references(entries, vocabularies, tmp_path)
    dutch = [
        e
        for e in entries
        if e.language == "nl"
        and any(
            o in vocabularies["partners"]
            and vocabularies["partners"][o].label("nl") != vocabularies["partners"][o].label("fr")
            for o in e.organisations
        )
    ]
    assert dutch, "no shipped Dutch entry is published by a partner with a Dutch name"
    assert dutch_names_missing(entries, vocabularies, printed) == []
    assert json.loads(biblio.export(entries, "csljson", vocabularies))  # (valid JSON)
