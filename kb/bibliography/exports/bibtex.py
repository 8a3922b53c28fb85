"""BibTeX out: one ``@techreport``/``@article``/``@misc`` record per entry, keyed by its id (biblatex-friendly)."""

from __future__ import annotations

import re
from typing import Callable, Iterable

from kb.bibliography.mapping import (
    MONTHS,
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
from kb.entries.vocab import Vocabularies


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


_TEX = str.maketrans(_BIBTEX_SPECIALS)
_SPECIAL = re.compile(f"[{re.escape(''.join(_BIBTEX_SPECIALS))}]")


def _tex(text: str) -> str:
    """Text for a braced BibTeX value: UTF-8 kept as is, TeX's special characters escaped.
    Most values have none: looking for them first takes a tenth of translating each character
    (about 300,000 values in a 10,000-entry build, its pages and kb.bib)."""
    if _SPECIAL.search(text):
        text = text.translate(_TEX)
    return _LIGATURE.sub("{}", text)


def _verbatim(text: str) -> str:
    """URLs and DOIs are verbatim fields: only braces and backslashes would break the file."""
    return text.replace("\\", "%5C").replace("{", "%7B").replace("}", "%7D")


def _bibtex_name(name: str) -> str:
    person = parse_person(name)

    def part(text: str) -> str:
        escaped = _tex(text)
        return f"{{{escaped}}}" if re.search(r"\band\b|,", text, re.I) else escaped

    return f"{part(person.family)}, {part(person.given)}" if person.given else part(person.family)


def record(entry: Entry, vocabularies: Vocabularies | None = None) -> str:
    """One entry as a BibTeX record; the citation key is the entry id."""
    vocabularies = loaded(vocabularies)
    k = kind(entry.type)
    organisations = organisation_names(entry, vocabularies)
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
        ("pages", entry.pages and page_range(entry.pages, "--")),
        ("edition", entry.edition),
        ("address", entry.publisher_place),
        ("isbn", entry.isbn),
        ("issn", entry.issn),
    ):
        if value:
            fields.append((name, f"{{{_tex(value) if name != 'pages' else value}}}"))
    fields.append(("type", f"{{{_tex(type_label(entry, vocabularies))}}}"))
    parts = date_parts(entry)
    fields.append(("year", f"{{{entry.year}}}"))
    if len(parts) > 1:
        fields.append(("month", MONTHS[parts[1] - 1]))
        fields.append(("date", f"{{{entry.date}}}"))
    fields.append(("language", f"{{{entry.language}}}"))
    if url := readable_url(entry):
        fields.append(("url", f"{{{_verbatim(url)}}}"))
    if entry.doi:
        fields.append(("doi", f"{{{_verbatim(entry.doi)}}}"))
    if entry.summary:
        fields.append(("abstract", f"{{{_tex(entry.summary)}}}"))
    keywords = keyword_labels(entry, vocabularies)
    if keywords:
        fields.append(("keywords", f"{{{_tex(', '.join(keywords))}}}"))
    body = "".join(f"  {name} = {value},\n" for name, value in fields)
    return f"@{k.bibtex}{{{entry.id},\n{body}}}\n"


def export(
    entries: Iterable[Entry], vocabularies: Vocabularies | None = None, made: Callable[[Entry], str] | None = None
) -> str:
    """The entries as a BibTeX file (UTF-8 text), sorted by id. ``made``: each entry's record
    where the caller has made it already (the site's, kb.site.pages.Site.citations)."""
    vocabularies = loaded(vocabularies)
    return "\n".join(made(e) if made else record(e, vocabularies) for e in by_id(entries))
