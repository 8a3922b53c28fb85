"""Bibliographic interoperability: BibTeX, RIS and CSL-JSON out and in, and citation metadata.

Out (``kb export`` and the site): ``bibtex()``, ``ris()`` and ``csljson()``/``dumps()`` write
entries in the three formats reference managers read; ``citation_meta()`` (Google Scholar /
Highwire ``citation_*`` meta tags), ``coins()`` (a COinS span for Zotero's browser connector),
``jsonld()`` (schema.org) and ``reference()`` (a formatted one-line reference) describe one
entry in a page.

In (``kb import``): ``read_records()`` reads a BibTeX, RIS or CSL-JSON file as Zotero exports
it into kb front-matter fields, ``import_file()`` writes one entry file per new record.

Mapping choices, the same in every direction:

* Most items are grey literature: reports, studies, plans, vision papers and atlases are
  ``@techreport`` / ``RPRT`` / CSL ``report``; articles ``@article`` / ``JOUR`` /
  ``article-journal``; legal texts ``@misc`` / ``STAT`` / CSL ``legislation``; datasets
  ``@misc`` / ``DATA`` / CSL ``dataset``; programmes, projects, participatory processes and
  tools ``@misc`` / ``GEN`` / CSL ``document``. The kb type's label travels as the report type
  (BibTeX ``type``, RIS ``M3``, CSL ``genre``), so an import gives back the exact kb type.
* Publishing organisations are literal names, never split into given/family: for partner ids,
  the partner's name in the entry's own language (a Dutch document is cited under the Dutch
  name), the name as written otherwise. They are the institution and, when an entry has no
  personal author, the corporate authors (BibTeX ``{{Name}}``, RIS ``AU`` without a comma, CSL
  ``{"literal": ...}``, one per organisation). Several publishers are several values where the
  format has a list: BibTeX ``institution``/``publisher`` is a biblatex list (``{A} and {B}``,
  each name braced so that an "and" inside it stays); RIS ``PB`` and CSL ``publisher`` hold one
  value (Zotero keeps only the first of several ``PB`` lines and moves the others to a note;
  CSL's ``publisher`` is a single string), so there they are joined by ``"; "``, which the
  imports split again.
* Where the document appears (``container``: journal, series, website) is BibTeX ``journal``
  for articles and ``series`` otherwise, RIS ``T2`` (and ``JO`` for articles), CSL
  ``container-title`` (``collection-title`` for reports, the series they are part of); volume,
  issue, pages, ISBN/ISSN, place and edition are BibTeX ``volume``/``number``/``pages``/
  ``isbn``/``issn``/``address``/``edition``, RIS ``VL``/``IS``/``SP``+``EP``/``SN``/``CY``/
  ``ET``, CSL ``volume``/``issue``/``page``/``ISBN``/``ISSN``/``publisher-place``/``edition``.
* Scale, criteria and partners travel as keywords (their French labels; RIS ``KW``, BibTeX
  ``keywords``, CSL ``keyword``) and, in CSL, exactly as ids in ``custom``. On import,
  keywords that name a vocabulary value (id or label in any language) fill those fields.
* Output is deterministic: entries sorted by id, fields in a fixed order, no timestamps.

Import reads every record before writing anything (a bad file gives ``file:line: error: record N
('key') ...`` and writes nothing), skips records that duplicate an entry or an earlier record
(same DOI, same URL, nearly the same title), writes each file through a temporary file and never
over an existing one, and leaves out what the source does not say: ``scale`` and ``criteria``
(unless keywords name them), so that ``kb check`` lists them as the contributor's to-do.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import functools
import json
import logging
import os
import re
import tempfile
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from kb.entries import vocab as vocab_module
from kb.entries.schema import SCHEMA, Context, Entry, Invalid, parse_bytes, split_front_matter
from kb.entries.inventory import (
    Reworded,
    display_path,
    entry_files,
    load as load_inventory,
    normalise_title,
    same_title,
    title_words,
)
from kb.entries.new import body_template, free_id, render
from kb.entries.problems import Problem
from kb.files import _default_mode, write_atomically
from kb.i18n import Message, message
from kb.entries.vocab import Vocabularies, fold

FORMATS = ("bibtex", "ris", "csljson")
EXTENSIONS = {"bibtex": ".bib", "ris": ".ris", "csljson": ".json"}
MAX_IMPORT_BYTES = 20_000_000
LABEL_LANG = "fr"  # organisation and keyword labels are written in French, read in any language
SEPARATOR = "; "  # between organisations in one publisher field

# --------------------------------------------------------------------------------------------
# kb types in each format


@dataclass(frozen=True)
class Kind:
    """How one kb type is written: BibTeX entry type, RIS TY, CSL type, schema.org type, COinS format."""

    bibtex: str
    ris: str
    csl: str
    schema: str
    coins: str  # "book" (rft.genre=report), "journal" (rft.genre=article) or "dc"

    @property
    def is_report(self) -> bool:
        return self.bibtex == "techreport"


_REPORT = Kind("techreport", "RPRT", "report", "Report", "book")
_DOCUMENT = Kind("misc", "GEN", "document", "CreativeWork", "dc")
KINDS: dict[str, Kind] = {
    "study": _REPORT,
    "report": _REPORT,
    "plan": _REPORT,
    "vision_note": _REPORT,
    "atlas": _REPORT,
    "programme": _DOCUMENT,
    "project": _DOCUMENT,
    "participatory_process": _DOCUMENT,
    "tool": _DOCUMENT,
    "legal_text": Kind("misc", "STAT", "legislation", "Legislation", "dc"),
    "dataset": Kind("misc", "DATA", "dataset", "Dataset", "dc"),
    "article": Kind("article", "JOUR", "article-journal", "ScholarlyArticle", "journal"),
}


def kind(entry_type: str) -> Kind:
    """The format types for a kb type (a type added to the vocabulary later is a generic document)."""
    return KINDS.get(entry_type, _DOCUMENT)


# Reading: the format's own type -> kb type, when the record does not name a kb type itself.
_IMPORT_TYPES: dict[str, dict[str, str]] = {
    "bibtex": {
        **dict.fromkeys(("techreport", "report"), "report"),
        "article": "article",
        **dict.fromkeys(
            (
                "book",
                "booklet",
                "inbook",
                "incollection",
                "phdthesis",
                "mastersthesis",
                "thesis",
                "manual",
                "proceedings",
                "inproceedings",
                "conference",
                "collection",
                "unpublished",
            ),
            "study",
        ),
        "dataset": "dataset",
        **dict.fromkeys(("legislation", "legal", "law", "jurisdiction", "legislature"), "legal_text"),
    },
    "ris": {
        **dict.fromkeys(("RPRT", "GOVDOC"), "report"),
        **dict.fromkeys(("JOUR", "JFULL", "MGZN", "NEWS", "EJOUR", "ABST", "INPR"), "article"),
        **dict.fromkeys(("DATA", "DBASE", "AGGR"), "dataset"),
        **dict.fromkeys(("STAT", "BILL", "LEGAL", "CASE"), "legal_text"),
        **dict.fromkeys(
            ("BOOK", "EBOOK", "EDBOOK", "CHAP", "ECHAP", "THES", "CONF", "CPAPER", "MANSCPT", "UNPB"), "study"
        ),
        "MAP": "atlas",
    },
    "csljson": {
        "report": "report",
        **dict.fromkeys(("article-journal", "article-magazine", "article-newspaper"), "article"),
        "dataset": "dataset",
        **dict.fromkeys(("legislation", "bill", "regulation", "treaty", "legal_case", "hearing"), "legal_text"),
        **dict.fromkeys(
            ("book", "chapter", "thesis", "manuscript", "paper-conference", "collection", "pamphlet", "periodical"),
            "study",
        ),
        "map": "atlas",
    },
}
DEFAULT_IMPORT_TYPE = "report"

# --------------------------------------------------------------------------------------------
# shared helpers


def _vocabularies(vocabularies: Vocabularies | None) -> Vocabularies:
    return vocabularies or vocab_module.load()


@dataclass(frozen=True)
class _Person:
    family: str
    given: str = ""

    def kb(self) -> str:
        return f"{self.family}, {self.given}" if self.given else self.family


def _person(name: str) -> _Person:
    """``Family, Given`` as kb writes people (split at the first comma)."""
    family, _, given = name.partition(",")
    return _Person(family.strip(), given.strip())


def _organisation_names(entry: Entry, vocabularies: Vocabularies) -> list[str]:
    """Publishing organisations as names: partner ids become their name in the entry's
    language (a Dutch document cites the Dutch name of its publisher)."""
    partners = vocabularies.for_field("partners")
    return [partners[o].label(entry.language) if o in partners else o for o in entry.organisations]


def _pages(text: str) -> tuple[str, str]:
    """('12', '15') from '12-15' (or '12–15', '12--15'); (pages, '') when it is not a range."""
    match = re.fullmatch(r"\s*(\w+)\s*(?:-+|–|—)\s*(\w+)\s*", text)
    return (match.group(1), match.group(2)) if match else (text, "")


def _page_range(text: str, dash: str) -> str:
    first, last = _pages(text)
    return f"{first}{dash}{last}" if last else first


def _keywords(entry: Entry, vocabularies: Vocabularies) -> list[str]:
    """Scale, criteria and partners labels, in that order, each once."""
    words: list[str] = []
    for dimension in ("scale", "criteria", "partners"):
        for value in getattr(entry, dimension):
            label = vocabularies.label(dimension, value, LABEL_LANG)
            if label not in words:
                words.append(label)
    return words


def _date_parts(entry: Entry) -> list[int]:
    """[year], [year, month] or [year, month, day]."""
    if entry.date:
        return [int(p) for p in entry.date.split("-")]
    return [entry.year]


def _type_label(entry: Entry, vocabularies: Vocabularies) -> str:
    return vocabularies.label("type", entry.type, LABEL_LANG)


def _sorted(entries: Iterable[Entry]) -> list[Entry]:
    return sorted(entries, key=lambda e: e.id)


# --------------------------------------------------------------------------------------------
# BibTeX out

_BIBTEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
# TeX ligatures that would change the text (-- into an en dash, `` into a quote...): broken with {}.
_LIGATURE = re.compile(r"(?<=[-`'!?<>])(?=[-`'<>])")
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


_TEX = str.maketrans(_BIBTEX_SPECIALS)


def _tex(text: str) -> str:
    """Text for a braced BibTeX value: UTF-8 kept as is, TeX's special characters escaped."""
    return _LIGATURE.sub("{}", text.translate(_TEX))


def _verbatim(text: str) -> str:
    """URLs and DOIs are verbatim fields: only braces and backslashes would break the file."""
    return text.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


def _bibtex_name(name: str) -> str:
    person = _person(name)

    def part(text: str) -> str:
        escaped = _tex(text)
        return f"{{{escaped}}}" if re.search(r"\band\b|,", text, re.I) else escaped

    return f"{part(person.family)}, {part(person.given)}" if person.given else part(person.family)


def bibtex_record(entry: Entry, vocabularies: Vocabularies | None = None) -> str:
    """One entry as a BibTeX record; the citation key is the entry id."""
    vocabularies = _vocabularies(vocabularies)
    k = kind(entry.type)
    organisations = _organisation_names(entry, vocabularies)
    fields: list[tuple[str, str]] = [("title", f"{{{{{_tex(entry.title)}}}}}")]
    if entry.authors:
        fields.append(("author", "{" + " and ".join(_bibtex_name(a) for a in entry.authors) + "}"))
    elif organisations:
        fields.append(("author", "{" + " and ".join(f"{{{_tex(o)}}}" for o in organisations) + "}"))
    if organisations:
        fields.append(
            (
                "institution" if k.is_report else "publisher",
                "{" + " and ".join(f"{{{_tex(o)}}}" for o in organisations) + "}",
            )
        )
    if entry.container:
        fields.append(("journal" if k.bibtex == "article" else "series", f"{{{_tex(entry.container)}}}"))
    for name, value in (
        ("volume", entry.volume),
        ("number", entry.issue),
        ("pages", entry.pages and _page_range(entry.pages, "--")),
        ("edition", entry.edition),
        ("address", entry.publisher_place),
        ("isbn", entry.isbn),
        ("issn", entry.issn),
    ):
        if value:
            fields.append((name, f"{{{_tex(value) if name != 'pages' else value}}}"))
    fields.append(("type", f"{{{_tex(_type_label(entry, vocabularies))}}}"))
    parts = _date_parts(entry)
    fields.append(("year", f"{{{entry.year}}}"))
    if len(parts) > 1:
        fields.append(("month", _MONTHS[parts[1] - 1]))
        fields.append(("date", f"{{{entry.date}}}"))
    fields.append(("language", f"{{{entry.language}}}"))
    if url := readable_url(entry):
        fields.append(("url", f"{{{_verbatim(url)}}}"))
    if entry.doi:
        fields.append(("doi", f"{{{_verbatim(entry.doi)}}}"))
    if entry.summary:
        fields.append(("abstract", f"{{{_tex(entry.summary)}}}"))
    keywords = _keywords(entry, vocabularies)
    if keywords:
        fields.append(("keywords", f"{{{_tex(', '.join(keywords))}}}"))
    body = "".join(f"  {name} = {value},\n" for name, value in fields)
    return f"@{k.bibtex}{{{entry.id},\n{body}}}\n"


def readable_url(entry: Entry) -> str | None:
    """Where the document can be read: its archived copy once its url is marked dead
    (``url_status: dead``), so citations and downloads never send readers to a dead link."""
    if entry.url_status == "dead" and entry.archive:
        return entry.archive
    return entry.url


def bibtex(entries: Iterable[Entry], vocabularies: Vocabularies | None = None) -> str:
    """The entries as a BibTeX file (UTF-8 text), sorted by id."""
    vocabularies = _vocabularies(vocabularies)
    return "\n".join(bibtex_record(e, vocabularies) for e in _sorted(entries))


# --------------------------------------------------------------------------------------------
# RIS out


def _ris_writer_class():
    import rispy

    class Writer(rispy.RisWriter):
        """rispy's RIS writer without its "1." numbering lines, one UR line per URL."""

        DEFAULT_DELIMITER_MAPPING: dict = {}

        def set_header(self, count: int) -> str:
            return ""

    return Writer


def ris_record(entry: Entry, vocabularies: Vocabularies | None = None) -> dict[str, Any]:
    """One entry as a rispy reference (tag names as rispy spells them, in writing order)."""
    vocabularies = _vocabularies(vocabularies)
    organisations = _organisation_names(entry, vocabularies)
    record: dict[str, Any] = {"type_of_reference": kind(entry.type).ris, "id": entry.id, "title": entry.title}
    if entry.authors:
        record["authors"] = [_person(a).kb() for a in entry.authors]
    elif organisations:
        record["authors"] = list(organisations)
    record["year"] = str(entry.year)
    parts = _date_parts(entry) + [None, None]
    if entry.date:
        record["date"] = f"{parts[0]:04d}/" + "/".join(f"{p:02d}" if p else "" for p in parts[1:3]) + "/"
    if organisations:
        record["publisher"] = SEPARATOR.join(organisations)
    if entry.container:
        record["secondary_title"] = entry.container  # T2: Zotero's publication or series title
        if kind(entry.type).ris == "JOUR":
            record["journal_name"] = entry.container  # JO
    if entry.volume:
        record["volume"] = entry.volume
    if entry.issue:
        record["number"] = entry.issue  # IS
    if entry.pages:
        first, last = _pages(entry.pages)
        record["start_page"] = first
        if last:
            record["end_page"] = last
    if entry.isbn or entry.issn:
        record["issn"] = entry.issn if kind(entry.type).ris == "JOUR" and entry.issn else entry.isbn or entry.issn  # SN
    if entry.publisher_place:
        record["place_published"] = entry.publisher_place  # CY
    if entry.edition:
        record["edition"] = entry.edition  # ET
    record["type_of_work"] = _type_label(entry, vocabularies)
    record["language"] = entry.language
    if url := readable_url(entry):
        record["urls"] = [url]
    if entry.doi:
        record["doi"] = entry.doi
    if entry.summary:
        record["abstract"] = entry.summary
    keywords = _keywords(entry, vocabularies)
    if keywords:
        record["keywords"] = keywords
    return record


def ris(entries: Iterable[Entry], vocabularies: Vocabularies | None = None) -> str:
    """The entries as a RIS file (UTF-8 text), sorted by id; written by rispy."""
    vocabularies = _vocabularies(vocabularies)
    records = [ris_record(e, vocabularies) for e in _sorted(entries)]
    if not records:
        return ""
    return _ris_writer_class()(delimiter_tags_mapping={}).formats(records)


# --------------------------------------------------------------------------------------------
# CSL-JSON out


def csl_item(entry: Entry, vocabularies: Vocabularies | None = None) -> dict[str, Any]:
    """One entry as a CSL-JSON item (CSL 1.0.2)."""
    vocabularies = _vocabularies(vocabularies)
    organisations = _organisation_names(entry, vocabularies)
    item: dict[str, Any] = {"id": entry.id, "type": kind(entry.type).csl, "title": entry.title}
    if entry.authors:
        item["author"] = [
            {"family": p.family, "given": p.given} if p.given else {"family": p.family}
            for p in map(_person, entry.authors)
        ]
    elif organisations:
        item["author"] = [{"literal": o} for o in organisations]
    item["issued"] = {"date-parts": [_date_parts(entry)]}
    if organisations:
        item["publisher"] = SEPARATOR.join(organisations)  # a single string in CSL: no list possible
    if entry.container:
        item["collection-title" if kind(entry.type).csl == "report" else "container-title"] = entry.container
    item.update(
        {
            name: value
            for name, value in (
                ("volume", entry.volume),
                ("issue", entry.issue),
                ("page", entry.pages and _page_range(entry.pages, "-")),
                ("edition", entry.edition),
                ("publisher-place", entry.publisher_place),
                ("ISBN", entry.isbn),
                ("ISSN", entry.issn),
            )
            if value
        }
    )
    item["genre"] = _type_label(entry, vocabularies)
    item["language"] = entry.language
    if url := readable_url(entry):
        item["URL"] = url
    if entry.doi:
        item["DOI"] = entry.doi
    if entry.summary:
        item["abstract"] = entry.summary
    keywords = _keywords(entry, vocabularies)
    if keywords:
        item["keyword"] = ", ".join(keywords)
    custom: dict[str, Any] = {"type": entry.type}
    for dimension in ("scale", "criteria", "basis", "partners", "territories"):
        if getattr(entry, dimension):
            custom[dimension] = list(getattr(entry, dimension))
    item["custom"] = custom
    return item


def csljson(entries: Iterable[Entry], vocabularies: Vocabularies | None = None) -> list[dict[str, Any]]:
    """The entries as CSL-JSON items, sorted by id."""
    vocabularies = _vocabularies(vocabularies)
    return [csl_item(e, vocabularies) for e in _sorted(entries)]


def dumps(items: list[dict[str, Any]]) -> str:
    """CSL-JSON text: UTF-8 (not \\u-escaped), indented, with a final newline."""
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"


def join(fmt: str, exports: Iterable[str]) -> str:
    """Several entries' exports in ``fmt``, each as ``export([entry], fmt)`` wrote it, joined into
    what ``export(entries, fmt)`` writes (in the order given; ``export`` sorts by id). The site
    builds its whole-inventory downloads this way from the per-entry files it has written."""
    exports = list(exports)
    if fmt in ("bibtex", "ris"):
        return "\n".join(exports)
    if fmt == "csljson":
        items = [text.strip()[1:-1].strip("\n") for text in exports]  # "[\n  {...}\n]\n" -> "  {...}"
        return "[\n" + ",\n".join(items) + "\n]\n" if items else dumps([])
    raise ValueError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")


def export(entries: Iterable[Entry], fmt: str, vocabularies: Vocabularies | None = None) -> str:
    """The entries in ``fmt`` (one of ``FORMATS``) as text."""
    if fmt == "bibtex":
        return bibtex(entries, vocabularies)
    if fmt == "ris":
        return ris(entries, vocabularies)
    if fmt == "csljson":
        return dumps(csljson(entries, vocabularies))
    raise ValueError(f"unknown format '{fmt}': use one of {', '.join(FORMATS)}")


# --------------------------------------------------------------------------------------------
# metadata for the entry pages


def _date_text(entry: Entry, separator: str) -> str:
    return separator.join(f"{p:02d}" if i else str(p) for i, p in enumerate(_date_parts(entry)))


def citation_meta(entry: Entry, vocabularies: Vocabularies | None = None) -> list[tuple[str, str]]:
    """Google Scholar / Highwire Press ``<meta name="citation_..." content="...">`` pairs, in order.

    Reports name their institution (``citation_technical_report_institution``), other types
    their publisher; an entry without personal authors names its organisations as authors.
    A URL ending in ``.pdf`` is the ``citation_pdf_url``, another the landing page
    (``citation_abstract_html_url``). The template HTML-escapes the values.
    """
    vocabularies = _vocabularies(vocabularies)
    organisations = _organisation_names(entry, vocabularies)
    meta: list[tuple[str, str]] = [("citation_title", entry.title)]
    authors = list(entry.authors) or organisations
    meta.extend(("citation_author", name) for name in authors)
    date = _date_text(entry, "/")
    meta.append(("citation_publication_date", date))
    meta.append(("citation_date", date))
    publisher_tag = "citation_technical_report_institution" if kind(entry.type).is_report else "citation_publisher"
    meta.extend((publisher_tag, name) for name in organisations)
    if entry.container:
        # citation_journal_title makes Zotero take the page for a journal article: only for articles.
        meta.append(
            (
                "citation_journal_title" if kind(entry.type).csl == "article-journal" else "citation_series_title",
                entry.container,
            )
        )
    if entry.volume:
        meta.append(("citation_volume", entry.volume))
    if entry.issue:
        meta.append(("citation_issue", entry.issue))
    if entry.pages:
        first, last = _pages(entry.pages)
        meta.append(("citation_firstpage", first))
        if last:
            meta.append(("citation_lastpage", last))
    if entry.isbn:
        meta.append(("citation_isbn", entry.isbn))
    if entry.issn:
        meta.append(("citation_issn", entry.issn))
    if entry.doi:
        meta.append(("citation_doi", entry.doi))
    keywords = _keywords(entry, vocabularies)
    if keywords:
        meta.append(("citation_keywords", "; ".join(keywords)))
    meta.append(("citation_language", entry.language))
    if url := readable_url(entry):
        path = urllib.parse.urlsplit(url).path
        meta.append(("citation_pdf_url" if path.lower().endswith(".pdf") else "citation_abstract_html_url", url))
    return meta


def coins(entry: Entry, vocabularies: Vocabularies | None = None) -> str:
    """The ``title`` of a COinS span (``<span class="Z3988" title="...">``): an OpenURL ContextObject.

    The value is URL-encoded (UTF-8, spaces as ``%20``); the template HTML-escapes it (``&`` ->
    ``&amp;``) like any attribute value. Reports use the book format with ``rft.genre=report``,
    articles the journal format, other types Dublin Core.
    """
    vocabularies = _vocabularies(vocabularies)
    k = kind(entry.type)
    organisations = _organisation_names(entry, vocabularies)
    people = [_person(a) for a in entry.authors]
    pairs: list[tuple[str, str]] = [("ctx_ver", "Z39.88-2004"), ("rft_val_fmt", f"info:ofi/fmt:kev:mtx:{k.coins}")]
    if entry.doi:
        pairs.append(("rft_id", f"info:doi/{entry.doi}"))
    if url := readable_url(entry):
        pairs.append(("rft_id", url))
    date = _date_text(entry, "-")
    if k.coins == "dc":
        pairs += [("rft.type", k.csl), ("rft.title", entry.title)]
        pairs += [("rft.creator", p.kb()) for p in people] or [("rft.creator", o) for o in organisations]
        pairs += [("rft.publisher", o) for o in organisations]
        pairs += [("rft.date", date), ("rft.language", entry.language)]
        if entry.container:
            pairs.append(("rft.source", entry.container))
        if entry.summary:
            pairs.append(("rft.description", entry.summary))
    else:
        if k.coins == "book":
            pairs += [("rft.genre", "report"), ("rft.btitle", entry.title)]
        else:
            pairs += [("rft.genre", "article"), ("rft.atitle", entry.title)]
        if people:
            pairs += [("rft.aulast", people[0].family)]
            if people[0].given:
                pairs.append(("rft.aufirst", people[0].given))
            pairs += [("rft.au", p.kb()) for p in people]
        else:
            pairs += [("rft.aucorp", o) for o in organisations]
        if organisations and k.coins == "book":
            pairs.append(("rft.pub", SEPARATOR.join(organisations)))
        if entry.publisher_place and k.coins == "book":
            pairs.append(("rft.place", entry.publisher_place))
        if entry.edition and k.coins == "book":
            pairs.append(("rft.edition", entry.edition))
        if entry.container:
            pairs.append(("rft.jtitle" if k.coins == "journal" else "rft.series", entry.container))
        pairs.append(("rft.date", date))
        for name, value in (
            ("rft.volume", entry.volume),
            ("rft.issue", entry.issue),
            ("rft.pages", entry.pages and _page_range(entry.pages, "-")),
            ("rft.isbn", entry.isbn),
            ("rft.issn", entry.issn),
        ):
            if value:
                pairs.append((name, value))
    return urllib.parse.urlencode(pairs, quote_via=urllib.parse.quote, safe="")


def jsonld(entry: Entry, vocabularies: Vocabularies | None = None) -> dict[str, Any]:
    """schema.org JSON-LD for the entry's page.

    Embed it with ``json.dumps(data, ensure_ascii=False)`` where ``<``, ``>`` and ``&`` are
    replaced by ``\\u003c``, ``\\u003e``, ``\\u0026`` so that no text can close the script element.
    """
    vocabularies = _vocabularies(vocabularies)
    organisations = _organisation_names(entry, vocabularies)
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": kind(entry.type).schema, "name": entry.title}
    if entry.authors:
        data["author"] = [
            {
                "@type": "Person",
                "name": f"{p.given} {p.family}".strip(),
                "familyName": p.family,
                **({"givenName": p.given} if p.given else {}),
            }
            for p in map(_person, entry.authors)
        ]
    elif organisations:
        data["author"] = [{"@type": "Organization", "name": o} for o in organisations]
    data["datePublished"] = entry.date or str(entry.year)
    if organisations:
        publishers = [{"@type": "Organization", "name": o} for o in organisations]
        data["publisher"] = publishers[0] if len(publishers) == 1 else publishers
    data["genre"] = _type_label(entry, vocabularies)
    keywords = _keywords(entry, vocabularies)
    if keywords:
        data["keywords"] = keywords
    data["inLanguage"] = entry.language
    if entry.container:
        series = "Periodical" if kind(entry.type).csl == "article-journal" else "CreativeWorkSeries"
        data["isPartOf"] = {"@type": series, "name": entry.container, **({"issn": entry.issn} if entry.issn else {})}
    if entry.isbn:
        data["isbn"] = entry.isbn
    if entry.pages:
        data["pagination"] = entry.pages
    if entry.summary:
        data["description"] = entry.summary
    if url := readable_url(entry):
        data["url"] = url
    if entry.doi:
        data["identifier"] = {"@type": "PropertyValue", "propertyID": "DOI", "value": entry.doi}
        data["sameAs"] = f"https://doi.org/{entry.doi}"
    return data


# --------------------------------------------------------------------------------------------
# formatted reference

_WORDS = {  # "and", "et al.", "available at", opening and closing quotes
    "fr": ("et", "et al.", "Disponible sur", "« ", " »"),
    "nl": ("en", "e.a.", "Beschikbaar op", "“", "”"),
    "en": ("and", "et al.", "Available at", "‘", "’"),
}


def _short_name(name: str) -> str:
    """'Moriau, Jacques' -> 'Moriau, J.'; 'Boussart, K.' stays; a single name stays whole."""
    family, _, given = (part.strip() for part in name.partition(","))
    if not given:
        return family
    initials = "-".join(f"{part[0]}." for part in given.replace(".", " ").replace("-", " - ").split() if part != "-")
    return f"{family}, {initials}"


def reference(entry: Entry, lang: str = "fr", vocabularies: Vocabularies | None = None) -> str:
    """The entry as a one-line plain-text reference in ``lang`` (fr, nl, en), Harvard style
    (Cite Them Right): ``Moriau, J. (2023) « Title ». Publisher. Disponible sur: URL.``

    Reports are cited by title and genre, legal texts by title, other items with the title in quotes; with no
    person named, the organisations are the authors and are not repeated as publisher. This
    is formatted here rather than by citeproc-py, which takes about 5 ms an entry: too slow
    for every page of a large inventory. The tests render the same entries with citeproc-py.
    """
    vocabularies = _vocabularies(vocabularies)
    if lang not in _WORDS:
        raise ValueError(f"unknown language '{lang}': use one of {', '.join(_WORDS)}")
    and_, et_al, available, opening, closing = _WORDS[lang]
    people = [_short_name(name) for name in entry.authors]
    organisations = _organisation_names(entry, vocabularies)
    names = people or organisations
    if len(names) > 3:
        creators = f"{names[0]} {et_al}"
    elif len(names) > 1:
        creators = f"{', '.join(names[:-1])} {and_} {names[-1]}"
    else:
        creators = names[0] if names else ""
    if not creators:
        parts = [f"{entry.title} ({entry.year})."]
    elif kind(entry.type).csl == "report":  # the edition before the genre, as citeproc places it
        edition = f" {entry.edition}." if entry.edition else ""
        parts = [f"{creators} ({entry.year}) {entry.title}.{edition} {_type_label(entry, vocabularies)}."]
    elif kind(entry.type).csl == "legislation":
        parts = [f"{creators} ({entry.year}) {entry.title}."]
    else:
        parts = [f"{creators} ({entry.year}) {opening}{entry.title}{closing}."]
    where = _where(entry, edition=kind(entry.type).csl != "report" or not creators)
    if where:
        parts.append(f"{where}.")
    if people and organisations:
        place = f"{entry.publisher_place}: " if entry.publisher_place else ""
        parts.append(f"{place}{SEPARATOR.join(organisations)}.")
    if entry.doi:
        parts.append(f"doi:{entry.doi}.")
    elif url := readable_url(entry):
        parts.append(f"{available}: {url}.")
    return " ".join(" ".join(parts).split())


def _where(entry: Entry, edition: bool = True) -> str:
    """'Bruxelles Santé, 96(2), 12-15' or 'Série, 3e éd.': where the document appears, for a reference."""
    parts = [entry.container] if entry.container else []
    number = (entry.volume or "") + (f"({entry.issue})" if entry.issue else "")
    parts += [p for p in (number, entry.pages and _page_range(entry.pages, "–"), edition and entry.edition) if p]
    return ", ".join(parts)


# --------------------------------------------------------------------------------------------
# reading: common model


class ImportFailed(Exception):
    """The file cannot be imported; ``problems`` say where and why. Nothing was written."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class Raw:
    """One record as read from a file, before it is mapped to kb fields."""

    number: int
    line: int
    label: str
    source_type: str = ""
    title: str = ""
    genre: str = ""
    people: list[_Person] = field(default_factory=list)
    corporate: list[str] = field(default_factory=list)
    publishers: list[str] = field(default_factory=list)
    year: str = ""
    month: str = ""
    day: str = ""
    language: str = ""
    url: str = ""
    doi: str = ""
    abstract: str = ""
    keywords: list[str] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)
    citation: dict[str, str] = field(default_factory=dict)  # container, volume, issue, pages, isbn...

    def what(self) -> Message:
        """ "record N ('label')" in the catalogue's words."""
        return message("import.record", number=self.number, label=self.label)


def _standard_number(value: str) -> tuple[str, str]:
    """('isbn'|'issn', value) for an RIS SN or a CSL number: the digits say which."""
    digits = re.sub(r"[^0-9Xx]", "", value)
    return ("issn" if len(digits) == 8 else "isbn"), value


@dataclass
class Record:
    """One record mapped to kb front-matter fields, ready to write."""

    number: int
    line: int
    label: str
    fields: dict[str, Any]
    body: str
    warnings: list[Problem] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.fields["title"]

    def what(self) -> Message:
        """ "record N ('label')" in the catalogue's words."""
        return message("import.record", number=self.number, label=self.label)

    def describe(self, lang: str = "en") -> str:
        return self.what().render(lang)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return " ".join(_text(v) for v in value)
    return " ".join(str(value).split())


def _strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _strings(v)]
    text = _text(value)
    return [text] if text else []


def _split_list(text: str, separators: str = ",;") -> list[str]:
    """Split at separators outside parentheses: 'Périmètre de projet (CQD, CRU), Région'."""
    items, depth, current = [], 0, []
    for char in text:
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(0, depth - 1)
        if char in separators and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [" ".join(i.split()) for i in items if i.strip()]


def _split_publishers(values: Iterable[str]) -> list[str]:
    return [name for value in values for name in _split_list(value, ";")]


_LANGUAGE_WORDS = {
    "fr": "fr",
    "fre": "fr",
    "fra": "fr",
    "french": "fr",
    "francais": "fr",
    "frans": "fr",
    "nl": "nl",
    "dut": "nl",
    "nld": "nl",
    "dutch": "nl",
    "nederlands": "nl",
    "neerlandais": "nl",
    "flemish": "nl",
    "vlaams": "nl",
    "en": "en",
    "eng": "en",
    "english": "en",
    "anglais": "en",
    "engels": "en",
}


def _language(value: str) -> str | None:
    words = re.split(r"[\s\-_,;/]+", fold(value).strip())
    return _LANGUAGE_WORDS.get(words[0]) if words and words[0] else None


# --------------------------------------------------------------------------------------------
# reading BibTeX


@contextlib.contextmanager
def _quiet(logger_name: str) -> Iterator[None]:
    """bibtexparser logs each bad block; kb reports them itself, with the record number."""
    logger = logging.getLogger(logger_name)  # its children (bibtexparser.splitter) inherit the level
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


@functools.lru_cache(maxsize=1)
def _latex_decoder():
    from pylatexenc.latex2text import LatexNodes2Text, MacroTextSpec, get_default_latex_context_db

    context = get_default_latex_context_db()
    context.add_context_category(
        "kb",
        prepend=True,
        macros=[
            MacroTextSpec("url", simplify_repl="%s"),
            MacroTextSpec("textasciicircum", simplify_repl="^"),
        ],
    )
    return LatexNodes2Text(latex_context=context, keep_braced_groups=False, math_mode="verbatim")


_TEX_LIGATURES = (
    ("---", "\u2014"),
    ("--", "\u2013"),
    ("``", "\u201c"),
    ("''", "\u201d"),
    ("!`", "\u00a1"),
    ("?`", "\u00bf"),
)
_SIMPLE_TEX = re.compile(r"(?:[^\\$%~&]|\\[&%$#_{}])*")


def _untex_simple(text: str) -> str:
    for ligature, char in _TEX_LIGATURES:
        text = text.replace(ligature, char)
    return text.replace("{", "").replace("}", "")


def _untex(value: str) -> str:
    """BibTeX value -> text: LaTeX accents and escapes decoded (pylatexenc, as bibtexparser does).

    Values with nothing but braces, ligatures and escaped specials (\\&, \\%...) - nearly all of
    them - take a fast path that gives what pylatexenc gives, a hundred times faster.
    """
    if _SIMPLE_TEX.fullmatch(value):
        parts = re.split(r"\\([&%$#_{}])", value)
        return _text("".join(p if i % 2 else _untex_simple(p) for i, p in enumerate(parts)))
    try:
        return _text(_latex_decoder().latex_to_text(value))
    except Exception:  # pylatexenc gives up on some malformed input; keep the raw text then
        return _text(value.replace("{", "").replace("}", ""))


def _braced_whole(name: str) -> bool:
    """``{Observatoire de la Santé}``: one brace group around the whole name (a corporate name)."""
    if not (name.startswith("{") and name.endswith("}")):
        return False
    depth = 0
    for i, char in enumerate(name):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if depth == 0 and i < len(name) - 1:
            return False
    return True


def _bibtex_month(value: str) -> str:
    text = fold(_untex(value)).strip().rstrip(".")
    if text.isdigit() and 1 <= int(text) <= 12:
        return str(int(text))
    for number, name in enumerate(_MONTHS, 1):
        if text.startswith(name) or (name == "may" and text.startswith("mai")):
            return str(number)
    french = ("janv", "fev", "mars", "avr", "mai", "juin", "juil", "aout", "sept", "oct", "nov", "dec")
    for number, name in enumerate(french, 1):
        if text.startswith(name):
            return str(number)
    return ""


def _read_bibtex(text: str, path: str) -> tuple[list[Raw], list[Problem]]:
    import bibtexparser
    from bibtexparser.middlewares.names import parse_single_name_into_parts, split_multiple_persons_names
    from bibtexparser.model import DuplicateBlockKeyBlock, Entry as BibEntry, ParsingFailedBlock

    with _quiet("bibtexparser"):
        library = bibtexparser.parse_string(text)
    problems: list[Problem] = []
    blocks: list[tuple[int, Any]] = []
    for block in library.blocks:
        if isinstance(block, (BibEntry, ParsingFailedBlock)):
            blocks.append(((block.start_line or 0) + 1, block))
    blocks.sort(key=lambda pair: pair[0])
    raws: list[Raw] = []
    for number, (line, block) in enumerate(blocks, 1):
        if isinstance(block, DuplicateBlockKeyBlock):  # a key used twice: read the record on its own
            with _quiet("bibtexparser"):
                again = bibtexparser.parse_string(block.raw or "").entries
            if again:
                block = again[0]
        if isinstance(block, ParsingFailedBlock):
            head = (block.raw or "").strip().split("\n", 1)[0][:40]
            reason = getattr(block.error, "abort_reason", "") or str(block.error) or "syntax error"
            reason = " ".join(reason.split()).rstrip(".")
            truncated = "end of file" in reason.lower()
            problems.append(
                Problem.of(
                    path,
                    line,
                    "error",
                    "import.cut_short_record" if truncated else "import.unreadable_record",
                    number=number,
                    head=head,
                    reason=reason,
                )
            )
            continue
        values = {f.key.lower(): f.value for f in block.fields}
        raw = Raw(number, line, block.key, source_type=block.entry_type.lower())
        raw.title = _untex(str(values.get("title", "")))
        raw.genre = _untex(str(values.get("type", "")))
        # institution and publisher are biblatex lists ('{A} and {B}'), and may hold 'A; B' too
        publishers = [
            _untex(name)
            for k in ("institution", "publisher", "organization", "school")
            if k in values
            for name in split_multiple_persons_names(str(values[k]))
            if name.strip()
        ]
        raw.publishers = _split_publishers(publishers)
        known = {fold(p) for p in raw.publishers}
        names = values.get("author") or values.get("editor") or ""
        for name in split_multiple_persons_names(str(names)) if names else []:
            name = name.strip()
            if not name:
                continue
            if _braced_whole(name) or fold(_untex(name)) in known:
                raw.corporate.append(_untex(name))
                continue
            parts = parse_single_name_into_parts(name, strict=False)
            family = _untex(" ".join(parts.von + parts.last + parts.jr))
            given = _untex(" ".join(parts.first))
            if family or given:
                raw.people.append(_Person(family or given, given if family else ""))
        date = _untex(str(values.get("date", "")))
        match = re.match(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", date)
        year_match = re.search(r"\d{4}", _untex(str(values.get("year", ""))))
        raw.year = year_match.group(0) if year_match else (match.group(1) if match else "")
        if match and match.group(1) == raw.year:
            raw.month, raw.day = match.group(2) or "", match.group(3) or ""
        if not raw.month and "month" in values:
            raw.month = _bibtex_month(str(values["month"]))
        raw.language = _untex(str(values.get("language") or values.get("langid") or ""))
        raw.url = _text(values.get("url", ""))
        if not raw.url:
            found = re.search(r"https?://[^\s{}]+", str(values.get("howpublished", "")))
            raw.url = found.group(0) if found else ""
        raw.doi = _text(values.get("doi", ""))
        raw.abstract = _untex(str(values.get("abstract", "")))
        raw.keywords = _split_list(_untex(str(values.get("keywords", ""))))
        for name, keys in (
            ("container", ("journal", "journaltitle", "series", "booktitle")),
            ("volume", ("volume",)),
            ("issue", ("number", "issue")),
            ("pages", ("pages",)),
            ("isbn", ("isbn",)),
            ("issn", ("issn",)),
            ("publisher_place", ("address", "location")),
            ("edition", ("edition",)),
        ):
            found = next((_untex(str(values[k])) for k in keys if values.get(k)), "")
            if found:
                raw.citation[name] = found
        raws.append(raw)
    if not blocks:
        problems.append(Problem.of(path, 1, "error", "import.no_bibtex", example="@techreport{smith2020,"))
    return raws, problems


# --------------------------------------------------------------------------------------------
# reading RIS

_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")


def _first(record: dict[str, Any], *keys: str) -> str:
    """The first value of the first of ``keys`` that the rispy record has."""
    for key in keys:
        values = _strings(record.get(key))
        if values:
            return values[0]
    return ""


def _read_ris(text: str, path: str) -> tuple[list[Raw], list[Problem]]:
    import rispy

    problems: list[Problem] = []
    chunks: list[tuple[int, list[str]]] = []
    current: list[str] | None = None
    start = 0
    for number, line in enumerate(text.split("\n"), 1):
        match = _RIS_TAG.match(line.rstrip())
        tag = match.group(1) if match else None
        if tag == "TY":
            if current is not None:
                problems.append(
                    Problem.of(path, start, "error", "import.ris_no_end_before", number=len(chunks), next_line=number)
                )
            current, start = [line], number
            chunks.append((start, current))
        elif tag == "ER":
            if current is not None:
                current.append(line)
            current = None
        elif current is not None:
            current.append(line)
    if current is not None:
        problems.append(Problem.of(path, start, "error", "import.ris_no_end", number=len(chunks)))
    if not chunks:
        problems.append(Problem.of(path, 1, "error", "import.no_ris"))
    raws: list[Raw] = []
    for number, (line, lines) in enumerate(chunks, 1):
        parsed = rispy.loads("\n".join(lines), delimiter_tags_mapping={}, enforce_list_tags=False)
        if not parsed:
            continue
        record = parsed[0]
        one = functools.partial(_first, record)
        raw = Raw(
            number,
            line,
            one("id") or one("title", "primary_title")[:40] or "untitled",
            source_type=one("type_of_reference").upper(),
        )
        raw.title = one("title", "primary_title")
        raw.genre = one("type_of_work")
        raw.publishers = _split_publishers(_strings(record.get("publisher")))
        known = {fold(p) for p in raw.publishers}
        names = (
            _strings(record.get("authors"))
            or _strings(record.get("first_authors"))
            or _strings(record.get("secondary_authors"))
        )
        for name in names:
            if "," not in name or fold(name) in known:
                raw.corporate.append(name)
            else:
                person = _person(name)
                raw.people.append(person)
        for key in ("date", "year", "publication_year"):
            match = re.match(r"^\s*(\d{4})(?:[/-](\d{0,2}))?(?:[/-](\d{0,2}))?", one(key))
            if match:
                raw.year, raw.month, raw.day = match.group(1), match.group(2) or "", match.group(3) or ""
                if raw.month:
                    break
        raw.language = one("language")
        urls = _strings(record.get("urls"))
        web = [u for u in urls if re.match(r"https?://", u, re.I)]
        raw.url = (web or urls or [""])[0]  # a web address first; another is checked (and left out)
        raw.doi = one("doi")
        raw.abstract = one("abstract", "notes_abstract")
        raw.keywords = [k for value in _strings(record.get("keywords")) for k in _split_list(value, ";")]
        container = one("secondary_title", "journal_name", "alternate_title3", "alternate_title1", "tertiary_title")
        first, last = one("start_page"), one("end_page")
        number = one("issn")
        for name, value in (
            ("container", container),
            ("volume", one("volume")),
            ("issue", one("number")),
            ("pages", f"{first}-{last}" if first and last else first or last),
            ("publisher_place", one("place_published")),
            ("edition", one("edition")),
            _standard_number(number) if number else ("isbn", ""),
        ):
            if value:
                raw.citation[name] = value
        raws.append(raw)
    return raws, problems


# --------------------------------------------------------------------------------------------
# reading CSL-JSON

_CSL_MARKUP = re.compile(r"</?(?:i|b|sup|sub|sc|span(?:\s[^>]*)?)>", re.I)


def _json_offsets(text: str) -> list[int]:
    """Where each item of the top-level array starts (to name its line)."""
    decoder = json.JSONDecoder()
    offsets: list[int] = []
    index = text.index("[") + 1
    while True:
        while index < len(text) and text[index] in " \t\r\n,":
            index += 1
        if index >= len(text) or text[index] == "]":
            return offsets
        offsets.append(index)
        _, index = decoder.raw_decode(text, index)


def _csl_date(value: Any) -> tuple[str, str, str]:
    if isinstance(value, dict):
        parts = value.get("date-parts")
        if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
            first = [str(p).strip() for p in parts[0][:3]] + ["", ""]
            if re.fullmatch(r"\d{4}", first[0]):
                return first[0], first[1] if first[1].isdigit() else "", first[2] if first[2].isdigit() else ""
        value = value.get("raw") or value.get("literal") or ""
    match = re.match(r"^\s*(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", str(value)) if value else None
    if match:
        return match.group(1), match.group(2) or "", match.group(3) or ""
    found = re.search(r"\b(\d{4})\b", str(value or ""))
    return (found.group(1), "", "") if found else ("", "", "")


def _read_csljson(text: str, path: str) -> tuple[list[Raw], list[Problem]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], [Problem.of(path, exc.lineno, "error", "import.invalid_json", reason=exc.msg, column=exc.colno)]
    except RecursionError:
        return [], [Problem.of(path, 1, "error", "import.json_too_deep")]
    if isinstance(data, dict) and "type" in data:
        data, offsets = [data], [text.index("{")]
    elif isinstance(data, list):
        offsets = _json_offsets(text)
    else:
        return [], [Problem.of(path, 1, "error", "import.not_csl_json")]
    if not data:
        return [], [Problem.of(path, 1, "error", "import.empty_list")]
    problems: list[Problem] = []
    raws: list[Raw] = []
    for number, (item, offset) in enumerate(zip(data, offsets, strict=True), 1):
        line = text.count("\n", 0, offset) + 1
        if not isinstance(item, dict):
            problems.append(Problem.of(path, line, "error", "import.not_object", number=number))
            continue
        title = _text(_CSL_MARKUP.sub("", str(item.get("title") or "")))
        raw = Raw(
            number, line, _text(item.get("id")) or title[:40] or "untitled", source_type=_text(item.get("type")).lower()
        )
        raw.title = title
        raw.genre = _text(item.get("genre"))
        raw.publishers = _split_publishers(_strings(item.get("publisher")))
        known = {fold(p) for p in raw.publishers}
        names = item.get("author") or item.get("editor") or []
        for name in names if isinstance(names, list) else []:
            if not isinstance(name, dict):
                continue
            family, given = _text(name.get("family")), _text(name.get("given"))
            particle = _text(name.get("non-dropping-particle") or name.get("dropping-particle"))
            literal = _text(name.get("literal"))
            if literal or (family and not given and fold(family) in known):
                raw.corporate.append(literal or family)
            elif family or given:
                family = f"{particle} {family}".strip() if particle else family
                raw.people.append(_Person(family or given, given if family else ""))
        raw.year, raw.month, raw.day = _csl_date(item.get("issued"))
        raw.language = _text(item.get("language"))
        raw.url = _text(item.get("URL"))
        raw.doi = _text(item.get("DOI"))
        raw.abstract = _text(_CSL_MARKUP.sub("", str(item.get("abstract") or "")))
        raw.keywords = [k for value in _strings(item.get("keyword")) for k in _split_list(value)]
        raw.custom = item.get("custom") if isinstance(item.get("custom"), dict) else {}
        for name, keys in (
            ("container", ("container-title", "collection-title")),
            ("volume", ("volume",)),
            ("issue", ("issue",)),
            ("pages", ("page",)),
            ("isbn", ("ISBN",)),
            ("issn", ("ISSN",)),
            ("publisher_place", ("publisher-place",)),
            ("edition", ("edition",)),
        ):
            found = next((_text(_CSL_MARKUP.sub("", _text(item[k]))) for k in keys if _text(item.get(k))), "")
            if found:
                raw.citation[name] = found
        raws.append(raw)
    return raws, problems


_READERS = {"bibtex": _read_bibtex, "ris": _read_ris, "csljson": _read_csljson}
FORMAT_NAMES = {"bibtex": "BibTeX", "ris": "RIS", "csljson": "CSL JSON"}

# --------------------------------------------------------------------------------------------
# reading: file, format, encoding


def format_from_name(path: Path) -> str | None:
    """The format a file name says: .bib, .ris, .json (None when it says nothing)."""
    name = path.name.lower()
    for fmt, suffixes in (
        ("bibtex", (".bib", ".bibtex", ".biblatex")),
        ("ris", (".ris",)),
        ("csljson", (".json", ".csljson", ".csl")),
    ):
        if name.endswith(suffixes):
            return fmt
    return None


def sniff(text: str) -> list[str]:
    """The formats the content looks like, most likely first."""
    found = []
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("[", "{")):
        found.append("csljson")
    if re.search(r"^TY  - ", text, re.M):
        found.append("ris")
    if re.search(r"^\s*@\s*[A-Za-z]+\s*[{(]", text, re.M):
        found.append("bibtex")
    return found


def _record_starts(text: str) -> list[int]:
    """Offsets where records start in any of the formats (to name the record of a bad byte)."""
    return [m.start() for m in re.finditer(r"(?m)^\s*@\s*[A-Za-z]+\s*[{(]|^TY  - |^\s*\{", text)]


def decode(data: bytes, path: str) -> str:
    """The file's text; ImportFailed (with line and record) when it is not UTF-8 text."""
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ImportFailed([Problem.of(path, line, "error", "import.nul_bytes")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8-sig", errors="replace")
        line = before.count("\n") + 1
        record = len(_record_starts(before))
        raise ImportFailed(
            [
                Problem.of(
                    path,
                    line,
                    "error",
                    "import.not_utf8_in_record" if record else "import.not_utf8",
                    byte=f"{data[exc.start]:02x}",
                    position=exc.start,
                    record=record,
                )
            ]
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_raw(
    path: Path, fmt: str | None = None, max_bytes: int = MAX_IMPORT_BYTES, display: str | None = None
) -> tuple[str, list[Raw]]:
    """Read a file into raw records: (format, records). ImportFailed lists every problem found."""
    shown = display or display_path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ImportFailed(
                [
                    Problem.of(
                        shown, 1, "error", "import.too_large", size=f"{size / 1e6:.1f}", limit=f"{max_bytes / 1e6:g}"
                    )
                ]
            )
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise ImportFailed([Problem.of(shown, 1, "error", "import.cannot_read", reason=exc.strerror)]) from None
    if len(data) > max_bytes:
        raise ImportFailed([Problem.of(shown, 1, "error", "import.grew_too_large", limit=f"{max_bytes / 1e6:g}")])
    text = decode(data, shown)
    named = fmt or format_from_name(path)
    looks = sniff(text)
    if named is None:
        if not looks:
            raise ImportFailed([Problem.of(shown, 1, "error", "import.unknown_format")])
        named = looks[0]
    elif looks and named not in looks:
        raise ImportFailed(
            [
                Problem.of(
                    shown,
                    1,
                    "error",
                    "import.other_format",
                    looks=FORMAT_NAMES[looks[0]],
                    named=FORMAT_NAMES[named],
                    file=path.name,
                    option=looks[0],
                )
            ]
        )
    raws, problems = _READERS[named](text, shown)
    if any(p.is_error for p in problems):
        raise ImportFailed(problems)
    return named, raws


# --------------------------------------------------------------------------------------------
# raw record -> kb fields


class _Lookups:
    """Names -> vocabulary ids, built once per import: keywords (scale, criteria, partners: ids,
    labels in any language, abbreviations), partner names, type labels."""

    def __init__(self, vocabularies: Vocabularies):
        self.vocabularies = vocabularies
        self.keywords: dict[str, tuple[str, str]] = {}
        for dimension in ("scale", "criteria", "partners"):
            for term in vocabularies.for_field(dimension):
                for text in (term.id, *term.labels.values(), *term.abbreviations()):
                    if text:
                        self.keywords.setdefault(_key(str(text)), (dimension, term.id))
        self.partners: dict[str, str] = {}
        for term in vocabularies.for_field("partners"):
            for text in (*term.labels.values(), *term.abbreviations()):
                if text:
                    self.partners.setdefault(_key(str(text)), term.id)
        self.types: dict[str, str] = {}
        for term in vocabularies.for_field("type"):
            for text in (term.id, *term.labels.values()):
                self.types.setdefault(_key(text), term.id)

    def keyword(self, keyword: str) -> tuple[str, str] | None:
        return self.keywords.get(_key(keyword))


def _key(text: str) -> str:
    return " ".join(fold(text).split())


def _entry_type(raw: Raw, fmt: str, lookups: _Lookups) -> str:
    """The kb type the record names (CSL custom, then its type label), else one from the format's type."""
    custom = raw.custom.get("type") if isinstance(raw.custom, dict) else None
    if isinstance(custom, str) and custom in lookups.vocabularies.for_field("type"):
        return custom
    if raw.genre and _key(raw.genre) in lookups.types:
        return lookups.types[_key(raw.genre)]
    return _IMPORT_TYPES[fmt].get(raw.source_type, DEFAULT_IMPORT_TYPE)


def _organisations(raw: Raw, lookups: _Lookups) -> list[str]:
    """Corporate authors then publishers, each once; a partner's name (any language) becomes its id."""
    result: list[str] = []
    for name in [*raw.corporate, *raw.publishers]:
        value = lookups.partners.get(_key(name), name)
        if value not in result:
            result.append(value)
    return result


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    sentence = cut.rfind(". ")
    if sentence > limit // 2:
        return cut[: sentence + 1]
    return cut[: cut.rfind(" ")].rstrip(",;:") + "…" if " " in cut else cut + "…"


def _checked(name: str, value: Any, raw: Raw, path: str, vocabularies: Vocabularies, warnings: list[Problem]) -> Any:
    """The value as kb's schema converts it (one item for list fields), or None and a warning."""
    option = SCHEMA[name]
    option = getattr(option, "item", option)  # authors, organisations: check one name
    try:
        return option.convert(value, None, Context(vocabularies, lambda problem: None))  # type: ignore[arg-type]
    except Invalid as invalid:
        warnings.append(
            Problem.of(
                path,
                raw.line,
                "warning",
                "import.left_out",
                record=raw.what(),
                problem=message(invalid.key, field=name, **invalid.params),
                fix=message(f"{invalid.key}.fix", field=name, **invalid.params),
            )
        )
        return None


def to_fields(
    raw: Raw, fmt: str, path: str, vocabularies: Vocabularies | None = None, lookups: _Lookups | None = None
) -> Record:
    """Map a raw record to kb fields; ImportFailed when it cannot make an entry (no title)."""
    vocabularies = _vocabularies(vocabularies)
    lookups = lookups or _Lookups(vocabularies)
    warnings: list[Problem] = []
    where = raw.what()
    if not raw.title:
        raise ImportFailed([Problem.of(path, raw.line, "error", "import.no_title", record=where)])
    fields: dict[str, Any] = {}
    title = _checked("title", raw.title, raw, path, vocabularies, [])
    if title is None:
        raise ImportFailed(
            [Problem.of(path, raw.line, "error", "import.title_too_long", record=where, length=len(raw.title))]
        )
    fields["title"] = title
    fields["type"] = _entry_type(raw, fmt, lookups)
    year = _checked("year", raw.year, raw, path, vocabularies, warnings) if raw.year else None
    if year is not None:
        fields["year"] = year
        if raw.month and int(raw.month):  # 00 stands for an unknown month in some exports
            date = f"{year:04d}-{int(raw.month):02d}" + (f"-{int(raw.day):02d}" if raw.day and int(raw.day) else "")
            date = _checked("date", date, raw, path, vocabularies, warnings)
            if date:
                fields["date"] = date
    people = []
    for person in raw.people:
        name = _checked("authors", person.kb(), raw, path, vocabularies, warnings)
        if name and name not in people:
            people.append(name)
    fields["authors"] = people
    organisations = [
        o for o in _organisations(raw, lookups) if _checked("organisations", o, raw, path, vocabularies, warnings)
    ]
    fields["organisations"] = organisations
    custom = raw.custom if fmt == "csljson" else {}
    tags: dict[str, list[str]] = defaultdict(list)
    for dimension in ("scale", "criteria", "basis", "partners", "territories"):
        values = custom.get(dimension) if isinstance(custom, dict) else None
        for value in values if isinstance(values, list) else []:
            value = str(value)
            if value in vocabularies.for_field(dimension) and value not in tags[dimension]:
                tags[dimension].append(value)
    for keyword in raw.keywords:
        found = lookups.keyword(keyword)
        if found and found[1] not in tags[found[0]]:
            tags[found[0]].append(found[1])
    for dimension in ("partners", "scale", "criteria", "basis", "territories"):
        fields[dimension] = tags[dimension]
    language = _language(raw.language) if raw.language else None
    if raw.language and language is None:
        warnings.append(Problem.of(path, raw.line, "warning", "import.language", record=where, language=raw.language))
    fields["language"] = language or "fr"
    for name, value in (("url", raw.url), ("doi", raw.doi)):
        if value:
            fields[name] = _checked(name, value, raw, path, vocabularies, warnings)
    for name, value in raw.citation.items():
        if name == "pages":  # '12--15' in BibTeX, '12–15' once decoded: kb writes '12-15'
            value = re.sub(r"\s*(?:-+|–|—)\s*", "-", value)
        fields[name] = _checked(name, value, raw, path, vocabularies, warnings)
    abstract = raw.abstract
    if abstract:
        summary = _shorten(abstract, SCHEMA["summary"].max_length)  # type: ignore[attr-defined]
        if summary != abstract:
            warnings.append(
                Problem.of(path, raw.line, "warning", "import.abstract_too_long", record=where, length=len(abstract))
            )
        fields["summary"] = _checked("summary", summary, raw, path, vocabularies, warnings)
    fields = {k: v for k, v in fields.items() if v not in (None, "", [], ())}
    return Record(raw.number, raw.line, raw.label, fields, _body(fields["language"], abstract), warnings)


def _body(language: str, abstract: str) -> str:
    """kb new's body template; the abstract, when there is one, fills the first section."""
    template = body_template(language)
    if not abstract:
        return template
    first, _, rest = template.partition("\n\n## ")
    heading = first.split("\n", 1)[0]
    return f"{heading}\n\n{abstract}\n\n## {rest}"


# what `kb check` is expected to report on an imported file: the to-dos, not mistakes
_TODO = re.compile(r"^(?:scale is missing|criteria is missing|year is missing|the body is empty)")


def read_records(
    path: Path,
    fmt: str | None = None,
    vocabularies: Vocabularies | None = None,
    max_bytes: int = MAX_IMPORT_BYTES,
    display: str | None = None,
) -> tuple[str, list[Record]]:
    """Read and convert every record of a file; ImportFailed lists every problem, nothing half-done."""
    vocabularies = _vocabularies(vocabularies)
    shown = display or display_path(path)
    fmt, raws = read_raw(path, fmt, max_bytes, shown)
    records: list[Record] = []
    problems: list[Problem] = []
    lookups = _Lookups(vocabularies)
    for raw in raws:
        try:
            record = to_fields(raw, fmt, shown, vocabularies, lookups)
        except ImportFailed as failed:
            problems.extend(failed.problems)
            continue
        text = render(dict(record.fields, added="2000-01-01"), record.body)
        checked = parse_bytes(text.encode("utf-8"), "imported-entry", shown, vocabularies)
        unexpected = [p for p in checked.problems if p.is_error and not _TODO.match(p.message)]
        if unexpected:
            problems.extend(
                Problem.of(
                    shown,
                    raw.line,
                    "error",
                    "import.record_problem",
                    record=record.what(),
                    problem=p.what,
                    fix=message(f"{p.what.key}.fix", **dict(p.what.params)),
                )
                for p in unexpected
                if p.what is not None
            )
            continue
        records.append(record)
    if problems:
        raise ImportFailed(sorted(problems, key=lambda p: (p.line, p.message)))
    return fmt, records


# --------------------------------------------------------------------------------------------
# duplicates and writing


def _norm_doi(value: str) -> str:
    return re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", value.strip(), flags=re.I).lower()


def _norm_url(value: str) -> str:
    return value.strip().lower().rstrip("/")


def _front_scalars(path: Path) -> dict[str, str]:
    """Top-level text values of a file's front matter, read leniently (files that 'kb check' still
    rejects, such as a fresh import without scale, count for duplicates too). Uses YAML events, so
    aliases are never expanded."""
    import yaml

    try:
        text = path.read_bytes()[:1_000_000].decode("utf-8-sig", errors="replace")
    except OSError:
        return {}
    parts = split_front_matter(text)
    if isinstance(parts, str):
        return {}
    values: dict[str, str] = {}
    depth, key = 0, None
    try:
        for event in yaml.parse(parts[0], Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth == 2:
                    key = None
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            elif isinstance(event, yaml.ScalarEvent) and depth == 1:
                if key is None:
                    key = event.value
                else:
                    values.setdefault(key, event.value)
                    key = None
            elif isinstance(event, yaml.AliasEvent) and depth == 1:
                key = None  # an alias as a value (or key): skipped, never expanded
    except yaml.YAMLError:
        pass
    return values


@dataclass
class _Known:
    """What a new record is compared with: existing entry files and the records before it."""

    name: str | Message  # an entry file, or an earlier record of the same import
    title: list[str]
    doi: str = ""
    url: str = ""
    raw_title: str = ""
    year: str = ""
    organisations: tuple[str, ...] = ()
    edition: str = ""

    def another_edition(self, year: str, edition: str) -> bool:
        """Two editions of one work, not the same document twice (as inventory.editions says)."""
        return bool(self.edition or edition) and (self.edition != edition or self.year != year)


class _Duplicates:
    def __init__(self) -> None:
        self.by_doi: dict[str, _Known] = {}
        self.by_url: dict[str, _Known] = {}
        self.by_word: dict[str, list[_Known]] = defaultdict(list)
        self.reworded = Reworded()

    def add(self, known: _Known) -> None:
        if known.raw_title:
            self.reworded.add(known, title_words(known.raw_title), known.year, known.organisations)
        if known.doi:
            self.by_doi.setdefault(known.doi, known)
        if known.url:
            self.by_url.setdefault(known.url, known)
        for word in set(known.title):
            self.by_word[word].append(known)

    def find(
        self,
        title: list[str],
        doi: str,
        url: str,
        raw_title: str = "",
        year: str = "",
        organisations: Sequence[str] = (),
        edition: str = "",
    ) -> tuple[str, _Known] | None:
        """(the catalogue key saying why, the entry or record it duplicates), or None."""
        if doi and doi in self.by_doi:
            return "importing.same_doi", self.by_doi[doi]
        if url and url in self.by_url:
            return "importing.same_url", self.by_url[url]
        # same_title allows at most two differing words: a match shares one of any three of ours
        words = sorted(set(title), key=lambda w: (len(self.by_word.get(w, ())), w))[:3]
        seen: set[int] = set()
        for word in words:
            for known in self.by_word.get(word, ()):
                if id(known) not in seen:
                    seen.add(id(known))
                    if same_title(title, known.title) and not known.another_edition(year, edition):
                        return "importing.same_title", known
        found = self.reworded.find(title_words(raw_title), year, organisations) if raw_title else None
        if isinstance(found, _Known) and not found.another_edition(year, edition):
            same = "year" if year and found.year == year else "organisation"
            return f"importing.reworded_{same}", found
        return None


def _existing(entries_dir: Path, vocabularies: Vocabularies) -> _Duplicates:
    duplicates = _Duplicates()
    if not entries_dir.is_dir():
        return duplicates
    inventory = load_inventory([entries_dir], vocabularies)
    valid = {Path(e.path).name: e for e in inventory.entries}
    for path in entry_files([entries_dir]):
        entry = valid.get(path.name)
        if entry is not None:
            title, doi, url, year = entry.title, entry.doi or "", entry.url or "", str(entry.year)
            organisations, edition = entry.organisations, entry.edition or ""
        else:
            scalars = _front_scalars(path)
            title, doi, url = scalars.get("title", ""), scalars.get("doi", ""), scalars.get("url", "")
            year, organisations, edition = scalars.get("year", ""), (), scalars.get("edition", "")
        duplicates.add(
            _Known(
                display_path(path),
                normalise_title(title).split(),
                _norm_doi(doi),
                _norm_url(url),
                title,
                year,
                tuple(organisations),
                edition,
            )
        )
    return duplicates


@dataclass
class Skipped:
    record: Record
    reason: Message  # why: the same DOI as ..., nearly the same title as ...

    def render(self, lang: str = "en") -> str:
        return message(
            "importing.skipped", record=self.record.what(), line=self.record.line, reason=self.reason
        ).render(lang)

    def __str__(self) -> str:
        return self.render("en")


@dataclass
class ImportReport:
    format: str
    written: list[Path] = field(default_factory=list)
    planned: list[tuple[str, Record]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def plan_import(
    records: Sequence[Record], entries_dir: Path, vocabularies: Vocabularies | None = None
) -> tuple[list[tuple[str, Record]], list[Skipped]]:
    """Choose an id for each new record; records that duplicate an entry or an earlier record are skipped."""
    vocabularies = _vocabularies(vocabularies)
    duplicates = _existing(entries_dir, vocabularies)
    taken = {p.stem for p in entries_dir.glob("*.md")} if entries_dir.is_dir() else set()
    planned: list[tuple[str, Record]] = []
    skipped: list[Skipped] = []
    for record in records:
        title = normalise_title(record.title).split()
        doi, url = _norm_doi(record.fields.get("doi", "")), _norm_url(record.fields.get("url", ""))
        year = str(record.fields.get("year", ""))
        organisations = tuple(record.fields.get("organisations", ()))
        edition = str(record.fields.get("edition", ""))
        found = duplicates.find(title, doi, url, record.title, year, organisations, edition)
        if found:
            skipped.append(Skipped(record, message(found[0], other=found[1].name)))
            continue
        entry_id = free_id(record.title, taken)
        taken.add(entry_id)
        planned.append((entry_id, record))
        duplicates.add(_Known(record.what(), title, doi, url, record.title, year, organisations, edition))
    return planned, skipped


def write_records(
    planned: Sequence[tuple[str, Record]], entries_dir: Path, source: str = "", today: str | None = None
) -> list[Path]:
    """Write every planned entry, or none: each file goes to a temporary file in ``entries_dir``
    and is then linked to its name (never over an existing file); on any failure the files this
    call wrote are removed."""
    today = today or dt.date.today().isoformat()
    entries_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    temporary: list[Path] = []
    try:
        for entry_id, record in planned:
            note = _comment(f"kb import: {source}, {record.describe()}") if source else ""
            text = render(dict(record.fields, added=today), note + record.body)
            fd, name = tempfile.mkstemp(prefix=f".{entry_id}.", suffix=".tmp", dir=entries_dir)
            temporary.append(Path(name))
            if hasattr(os, "fchmod"):
                os.fchmod(fd, _default_mode())
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            target = entries_dir / f"{entry_id}.md"
            _place(Path(name), target)
            written.append(target)
            with contextlib.suppress(FileNotFoundError):  # gone when it was renamed
                os.unlink(name)
            temporary.pop()
    except BaseException:
        for path in [*written, *temporary]:
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    return written


def _comment(text: str) -> str:
    """An HTML comment that no text can close early."""
    return "<!-- " + re.sub(r"-{2,}|>", "-", text) + " -->\n\n"


_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL, errno.EXDEV}


def _place(temporary: Path, target: Path) -> None:
    """Give the finished temporary file its name, refusing to replace an existing file."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise FileExistsError(
            f"{target} appeared while importing: nothing was imported, run 'kb import' again"
        ) from None
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        # a file system without hard links: reserve the name (never over a file), then replace it
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            raise FileExistsError(
                f"{target} appeared while importing: nothing was imported, run 'kb import' again"
            ) from None
        os.close(fd)
        os.replace(temporary, target)


def todo(path: Path, vocabularies: Vocabularies | None = None) -> list[Problem]:
    """What 'kb check' will say about a written file: the contributor's to-do."""
    from kb.entries.schema import parse_file

    return parse_file(path, _vocabularies(vocabularies), display_path(path)).problems


def write_text(path: Path, text: str) -> None:
    """Write a whole export file or nothing."""
    write_atomically(path, text)


def import_file(
    path: Path,
    entries_dir: Path,
    fmt: str | None = None,
    dry_run: bool = False,
    vocabularies: Vocabularies | None = None,
    max_bytes: int = MAX_IMPORT_BYTES,
    today: str | None = None,
) -> ImportReport:
    """Read ``path``, skip duplicates, write one entry per new record into ``entries_dir``.

    All records are read and converted before anything is written; ImportFailed (nothing
    written) when any record is unreadable. The new files have no ``scale`` and ``criteria``
    unless keywords named them: ``kb check`` lists that as the contributor's to-do.
    """
    vocabularies = _vocabularies(vocabularies)
    shown = display_path(path)
    fmt, records = read_records(path, fmt, vocabularies, max_bytes, shown)
    report = ImportReport(fmt, warnings=[w for r in records for w in r.warnings])
    report.planned, report.skipped = plan_import(records, entries_dir, vocabularies)
    if not dry_run:
        report.written = write_records(report.planned, entries_dir, path.name, today)
    return report
