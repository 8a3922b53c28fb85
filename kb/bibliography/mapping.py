"""How kb's entries map onto bibliographic records, the same in every format and direction.

The exports (``kb.bibliography.exports``), the citation metadata (``kb.bibliography.citation``) and
the imports (``kb.bibliography.imports``) all follow these choices; the helpers below are the ones
they share.

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
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from kb.entries import vocab as vocab_module
from kb.entries.schema import Entry
from kb.entries.vocab import Vocabularies

LABEL_LANG = "fr"  # organisation and keyword labels are written in French, read in any language
SEPARATOR = "; "  # between organisations in one publisher field
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")  # BibTeX's

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


# --------------------------------------------------------------------------------------------
# shared helpers


def loaded(vocabularies: Vocabularies | None) -> Vocabularies:
    """The vocabularies a caller passed (the site and the CLI load them once), else kb's own."""
    return vocabularies or vocab_module.load()


@dataclass(frozen=True)
class Person:
    """A person's name split as every format wants it: family name, then given names or initials."""

    family: str
    given: str = ""

    def kb(self) -> str:
        return f"{self.family}, {self.given}" if self.given else self.family


def parse_person(name: str) -> Person:
    """``Family, Given`` as kb writes people (split at the first comma)."""
    family, _, given = name.partition(",")
    return Person(family.strip(), given.strip())


def organisation_names(entry: Entry, vocabularies: Vocabularies) -> list[str]:
    """Publishing organisations as names: partner ids become their name in the entry's
    language (a Dutch document cites the Dutch name of its publisher)."""
    partners = vocabularies.for_field("partners")
    return [partners[o].label(entry.language) if o in partners else o for o in entry.organisations]


def split_pages(text: str) -> tuple[str, str]:
    """('12', '15') from '12-15' (or '12–15', '12--15'); (pages, '') when it is not a range."""
    match = re.fullmatch(r"\s*(\w+)\s*(?:-+|–|—)\s*(\w+)\s*", text)
    return (match.group(1), match.group(2)) if match else (text, "")


def page_range(text: str, dash: str) -> str:
    """'12' + dash + '15': each format has its own dash (BibTeX '--', CSL '-', a reference '–')."""
    first, last = split_pages(text)
    return f"{first}{dash}{last}" if last else first


def keyword_labels(entry: Entry, vocabularies: Vocabularies) -> list[str]:
    """Scale, criteria and partners labels, in that order, each once."""
    words: list[str] = []
    for dimension in ("scale", "criteria", "partners"):
        for value in getattr(entry, dimension):
            label = vocabularies.label(dimension, value, LABEL_LANG)
            if label not in words:
                words.append(label)
    return words


def date_parts(entry: Entry) -> list[int]:
    """[year], [year, month] or [year, month, day]."""
    if entry.date:
        return [int(p) for p in entry.date.split("-")]
    return [entry.year]


def type_label(entry: Entry, vocabularies: Vocabularies) -> str:
    """The kb type's label, the report type of every format: an import gives back the kb type."""
    return vocabularies.label("type", entry.type, LABEL_LANG)


def by_id(entries: Iterable[Entry]) -> list[Entry]:
    """Exports list entries sorted by id, so that the same entries always give the same file."""
    return sorted(entries, key=lambda e: e.id)


def readable_url(entry: Entry) -> str | None:
    """Where the document can be read: its archived copy once its url is marked dead
    (``url_status: dead``), so citations and downloads never send readers to a dead link."""
    if entry.url_status == "dead" and entry.archive:
        return entry.archive
    return entry.url
