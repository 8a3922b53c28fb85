"""RIS in: kb cuts the file into TY ... ER records itself (so that a missing ER is an error with its
line), rispy reads each record, and each becomes a ``Raw``.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from kb.bibliography.imports.records import Raw, split_list, split_publishers, standard_number, strings
from kb.bibliography.mapping import parse_person
from kb.entries.problems import Problem
from kb.entries.vocab import fold

TYPES: dict[str, str] = {  # the format's own type -> kb type, when a record names no kb type
    **dict.fromkeys(("RPRT", "GOVDOC"), "report"),
    **dict.fromkeys(("JOUR", "JFULL", "MGZN", "NEWS", "EJOUR", "ABST", "INPR"), "article"),
    **dict.fromkeys(("DATA", "DBASE", "AGGR"), "dataset"),
    **dict.fromkeys(("STAT", "BILL", "LEGAL", "CASE"), "legal_text"),
    **dict.fromkeys(("BOOK", "EBOOK", "EDBOOK", "CHAP", "ECHAP", "THES", "CONF", "CPAPER", "MANSCPT", "UNPB"), "study"),
    "MAP": "atlas",
}

_RIS_TAG = re.compile(r"^([A-Z][A-Z0-9])  -(?: (.*))?$")


def _first(record: dict[str, Any], *keys: str) -> str:
    """The first value of the first of ``keys`` that the rispy record has."""
    for key in keys:
        values = strings(record.get(key))
        if values:
            return values[0]
    return ""


def read(text: str, path: str) -> tuple[list[Raw], list[Problem]]:
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
        raw.publishers = split_publishers(strings(record.get("publisher")))
        known = {fold(p) for p in raw.publishers}
        names = (
            strings(record.get("authors"))
            or strings(record.get("first_authors"))
            or strings(record.get("secondary_authors"))
        )
        for name in names:
            if "," not in name or fold(name) in known:
                raw.corporate.append(name)
            else:
                person = parse_person(name)
                raw.people.append(person)
        for key in ("date", "year", "publication_year"):
            match = re.match(r"^\s*(\d{4})(?:[/-](\d{0,2}))?(?:[/-](\d{0,2}))?", one(key))
            if match:
                raw.year, raw.month, raw.day = match.group(1), match.group(2) or "", match.group(3) or ""
                if raw.month:
                    break
        raw.language = one("language")
        urls = strings(record.get("urls"))
        web = [u for u in urls if re.match(r"https?://", u, re.I)]
        raw.url = (web or urls or [""])[0]  # a web address first; another is checked (and left out)
        raw.doi = one("doi")
        raw.abstract = one("abstract", "notes_abstract")
        raw.keywords = [k for value in strings(record.get("keywords")) for k in split_list(value, ";")]
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
            standard_number(number) if number else ("isbn", ""),
        ):
            if value:
                raw.citation[name] = value
        raws.append(raw)
    return raws, problems
