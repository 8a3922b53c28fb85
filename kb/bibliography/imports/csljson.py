"""CSL-JSON in: an array of items (or one item) as Zotero and citeproc write them; each item
becomes a ``Raw``, kb's own ids are read back from ``custom``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from kb.bibliography.imports.records import Raw, plain, split_list, split_publishers, strings
from kb.bibliography.mapping import Person
from kb.entries.problems import Problem
from kb.entries.vocab import fold

TYPES: dict[str, str] = {  # the format's own type -> kb type, when a record names no kb type
    "report": "report",
    **dict.fromkeys(("article-journal", "article-magazine", "article-newspaper"), "article"),
    "dataset": "dataset",
    **dict.fromkeys(("legislation", "bill", "regulation", "treaty", "legal_case", "hearing"), "legal_text"),
    **dict.fromkeys(
        ("book", "chapter", "thesis", "manuscript", "paper-conference", "collection", "pamphlet", "periodical"),
        "study",
    ),
    "map": "atlas",
}

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


def read(text: str, path: str) -> tuple[list[Raw], list[Problem]]:
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
        title = plain(_CSL_MARKUP.sub("", str(item.get("title") or "")))
        raw = Raw(
            number, line, plain(item.get("id")) or title[:40] or "untitled", source_type=plain(item.get("type")).lower()
        )
        raw.title = title
        raw.genre = plain(item.get("genre"))
        raw.publishers = split_publishers(strings(item.get("publisher")))
        known = {fold(p) for p in raw.publishers}
        names = item.get("author") or item.get("editor") or []
        for name in names if isinstance(names, list) else []:
            if not isinstance(name, dict):
                continue
            family, given = plain(name.get("family")), plain(name.get("given"))
            particle = plain(name.get("non-dropping-particle") or name.get("dropping-particle"))
            literal = plain(name.get("literal"))
            if literal or (family and not given and fold(family) in known):
                raw.corporate.append(literal or family)
            elif family or given:
                family = f"{particle} {family}".strip() if particle else family
                raw.people.append(Person(family or given, given if family else ""))
        raw.year, raw.month, raw.day = _csl_date(item.get("issued"))
        raw.language = plain(item.get("language"))
        raw.url = plain(item.get("URL"))
        raw.doi = plain(item.get("DOI"))
        raw.abstract = plain(_CSL_MARKUP.sub("", str(item.get("abstract") or "")))
        raw.keywords = [k for value in strings(item.get("keyword")) for k in split_list(value)]
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
            found = next((plain(_CSL_MARKUP.sub("", plain(item[k]))) for k in keys if plain(item.get(k))), "")
            if found:
                raw.citation[name] = found
        raws.append(raw)
    return raws, problems
