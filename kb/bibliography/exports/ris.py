"""RIS out, written by rispy: the format EndNote, Zotero and most reference managers read."""

from __future__ import annotations

from typing import Any, Iterable

from kb.bibliography.mapping import (
    SEPARATOR,
    by_id,
    date_parts,
    keyword_labels,
    kind,
    loaded,
    organisation_names,
    parse_person,
    readable_url,
    split_pages,
    type_label,
)
from kb.entries.schema import Entry
from kb.entries.vocab import Vocabularies


def _ris_writer_class():
    import rispy

    class Writer(rispy.RisWriter):
        """rispy's RIS writer without its "1." numbering lines, one UR line per URL."""

        DEFAULT_DELIMITER_MAPPING: dict = {}

        def set_header(self, count: int) -> str:
            return ""

    return Writer


def record(entry: Entry, vocabularies: Vocabularies | None = None) -> dict[str, Any]:
    """One entry as a rispy reference (tag names as rispy spells them, in writing order)."""
    vocabularies = loaded(vocabularies)
    organisations = organisation_names(entry, vocabularies)
    record: dict[str, Any] = {"type_of_reference": kind(entry.type).ris, "id": entry.id, "title": entry.title}
    if entry.authors:
        record["authors"] = [parse_person(a).kb() for a in entry.authors]
    elif organisations:
        record["authors"] = list(organisations)
    record["year"] = str(entry.year)
    parts = date_parts(entry) + [None, None]
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
        first, last = split_pages(entry.pages)
        record["start_page"] = first
        if last:
            record["end_page"] = last
    if entry.isbn or entry.issn:
        record["issn"] = entry.issn if kind(entry.type).ris == "JOUR" and entry.issn else entry.isbn or entry.issn  # SN
    if entry.publisher_place:
        record["place_published"] = entry.publisher_place  # CY
    if entry.edition:
        record["edition"] = entry.edition  # ET
    record["type_of_work"] = type_label(entry, vocabularies)
    record["language"] = entry.language
    if url := readable_url(entry):
        record["urls"] = [url]
    if entry.doi:
        record["doi"] = entry.doi
    if entry.summary:
        record["abstract"] = entry.summary
    keywords = keyword_labels(entry, vocabularies)
    if keywords:
        record["keywords"] = keywords
    return record


def export(entries: Iterable[Entry], vocabularies: Vocabularies | None = None) -> str:
    """The entries as a RIS file (UTF-8 text), sorted by id; written by rispy."""
    vocabularies = loaded(vocabularies)
    records = [record(e, vocabularies) for e in by_id(entries)]
    if not records:
        return ""
    return _ris_writer_class()(delimiter_tags_mapping={}).formats(records)
