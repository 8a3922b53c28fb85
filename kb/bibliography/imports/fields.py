"""Raw records -> kb front-matter fields: the kb type, names to partner ids, keywords to scale,
criteria and partners, each value checked by kb's schema (a bad one left out with a warning),
then the whole entry checked as ``kb check`` would.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path
from typing import Any

from kb.bibliography.formats import FORMATS
from kb.bibliography.imports.files import MAX_IMPORT_BYTES, read_raw
from kb.bibliography.imports.records import ImportFailed, Raw, Record, language_code
from kb.bibliography.mapping import loaded
from kb.entries.inventory import display_path
from kb.entries.new import body_template, render
from kb.entries.problems import Problem
from kb.entries.schema import SCHEMA, Context, Invalid, parse_bytes
from kb.entries.vocab import Vocabularies, fold
from kb.i18n import message

DEFAULT_IMPORT_TYPE = "report"


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
    return FORMATS[fmt].types.get(raw.source_type, DEFAULT_IMPORT_TYPE)


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
    vocabularies = loaded(vocabularies)
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
    language = language_code(raw.language) if raw.language else None
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
    vocabularies = loaded(vocabularies)
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
