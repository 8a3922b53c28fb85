"""CSL-JSON out (CSL 1.0.2): what citeproc, pandoc and Zotero read; kb's own ids travel in ``custom``."""

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
    page_range,
    parse_person,
    readable_url,
    type_label,
)
from kb.entries.schema import Entry
from kb.files import json_rows
from kb.entries.vocab import Vocabularies


def item(entry: Entry, vocabularies: Vocabularies | None = None) -> dict[str, Any]:
    """One entry as a CSL-JSON item (CSL 1.0.2)."""
    vocabularies = loaded(vocabularies)
    organisations = organisation_names(entry, vocabularies)
    data: dict[str, Any] = {"id": entry.id, "type": kind(entry.type).csl, "title": entry.title}
    if entry.authors:
        data["author"] = [
            {"family": p.family, "given": p.given} if p.given else {"family": p.family}
            for p in map(parse_person, entry.authors)
        ]
    elif organisations:
        data["author"] = [{"literal": o} for o in organisations]
    data["issued"] = {"date-parts": [date_parts(entry)]}
    if organisations:
        data["publisher"] = SEPARATOR.join(organisations)  # a single string in CSL: no list possible
    if entry.container:
        data["collection-title" if kind(entry.type).csl == "report" else "container-title"] = entry.container
    data.update(
        {
            name: value
            for name, value in (
                ("volume", entry.volume),
                ("issue", entry.issue),
                ("page", entry.pages and page_range(entry.pages, "-")),
                ("edition", entry.edition),
                ("publisher-place", entry.publisher_place),
                ("ISBN", entry.isbn),
                ("ISSN", entry.issn),
            )
            if value
        }
    )
    data["genre"] = type_label(entry, vocabularies)
    data["language"] = entry.language
    if url := readable_url(entry):
        data["URL"] = url
    if entry.doi:
        data["DOI"] = entry.doi
    if entry.summary:
        data["abstract"] = entry.summary
    keywords = keyword_labels(entry, vocabularies)
    if keywords:
        data["keyword"] = ", ".join(keywords)
    custom: dict[str, Any] = {"type": entry.type}
    for dimension in ("scale", "criteria", "basis", "partners", "territories"):
        if getattr(entry, dimension):
            custom[dimension] = list(getattr(entry, dimension))
    data["custom"] = custom
    return data


def items(entries: Iterable[Entry], vocabularies: Vocabularies | None = None) -> list[dict[str, Any]]:
    """The entries as CSL-JSON items, sorted by id."""
    vocabularies = loaded(vocabularies)
    return [item(e, vocabularies) for e in by_id(entries)]


def dumps(items: list[dict[str, Any]]) -> str:
    """CSL-JSON text: one item a line (kb.files.json_rows)."""
    return json_rows(items)


def export(entries: Iterable[Entry], vocabularies: Vocabularies | None = None) -> str:
    """The entries as a CSL-JSON file, sorted by id."""
    return dumps(items(entries, vocabularies))
