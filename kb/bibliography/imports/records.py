"""What every reader gives and every later step takes: ``Raw`` (a record as a file says it),
``Record`` (the same as kb fields), ``ImportFailed``, and the text helpers the readers share.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from kb.bibliography.mapping import Person
from kb.entries.problems import Problem
from kb.entries.vocab import fold
from kb.i18n import Message, message


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
    people: list[Person] = field(default_factory=list)
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


def standard_number(value: str) -> tuple[str, str]:
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


def plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return " ".join(plain(v) for v in value)
    return " ".join(str(value).split())


def strings(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in strings(v)]
    text = plain(value)
    return [text] if text else []


def split_list(text: str, separators: str = ",;") -> list[str]:
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


def split_publishers(values: Iterable[str]) -> list[str]:
    return [name for value in values for name in split_list(value, ";")]


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


def language_code(value: str) -> str | None:
    words = re.split(r"[\s\-_,;/]+", fold(value).strip())
    return _LANGUAGE_WORDS.get(words[0]) if words and words[0] else None
