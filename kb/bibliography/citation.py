"""One entry described for its page: the citation meta tags Google Scholar and Zotero read,
a COinS span, schema.org JSON-LD, and the formatted reference a reader copies.

They live together because they answer one question (how does a page cite its document?) from
the same mapping as the exports, and the site calls them together for every entry page.
"""

from __future__ import annotations

import urllib.parse
from typing import Any

from kb.bibliography.mapping import (
    SEPARATOR,
    date_parts,
    keyword_labels,
    kind,
    loaded,
    organisation_names,
    page_range,
    parse_person,
    readable_url,
    split_pages,
    type_label,
)
from kb.entries.schema import Entry
from kb.entries.vocab import Vocabularies


def _date_text(entry: Entry, separator: str) -> str:
    """'2020-09' or '2020/09/05': the entry's date as far as it is known."""
    return separator.join(f"{p:02d}" if i else str(p) for i, p in enumerate(date_parts(entry)))


def citation_meta(entry: Entry, vocabularies: Vocabularies | None = None) -> list[tuple[str, str]]:
    """Google Scholar / Highwire Press ``<meta name="citation_..." content="...">`` pairs, in order.

    Reports name their institution (``citation_technical_report_institution``), other types
    their publisher; an entry without personal authors names its organisations as authors.
    A URL ending in ``.pdf`` is the ``citation_pdf_url``, another the landing page
    (``citation_abstract_html_url``). The template HTML-escapes the values.
    """
    vocabularies = loaded(vocabularies)
    organisations = organisation_names(entry, vocabularies)
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
        first, last = split_pages(entry.pages)
        meta.append(("citation_firstpage", first))
        if last:
            meta.append(("citation_lastpage", last))
    if entry.isbn:
        meta.append(("citation_isbn", entry.isbn))
    if entry.issn:
        meta.append(("citation_issn", entry.issn))
    if entry.doi:
        meta.append(("citation_doi", entry.doi))
    keywords = keyword_labels(entry, vocabularies)
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
    vocabularies = loaded(vocabularies)
    k = kind(entry.type)
    organisations = organisation_names(entry, vocabularies)
    people = [parse_person(a) for a in entry.authors]
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
            ("rft.pages", entry.pages and page_range(entry.pages, "-")),
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
    vocabularies = loaded(vocabularies)
    organisations = organisation_names(entry, vocabularies)
    data: dict[str, Any] = {"@context": "https://schema.org", "@type": kind(entry.type).schema, "name": entry.title}
    if entry.authors:
        data["author"] = [
            {
                "@type": "Person",
                "name": f"{p.given} {p.family}".strip(),
                "familyName": p.family,
                **({"givenName": p.given} if p.given else {}),
            }
            for p in map(parse_person, entry.authors)
        ]
    elif organisations:
        data["author"] = [{"@type": "Organization", "name": o} for o in organisations]
    data["datePublished"] = entry.date or str(entry.year)
    if organisations:
        publishers = [{"@type": "Organization", "name": o} for o in organisations]
        data["publisher"] = publishers[0] if len(publishers) == 1 else publishers
    data["genre"] = type_label(entry, vocabularies)
    keywords = keyword_labels(entry, vocabularies)
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
    vocabularies = loaded(vocabularies)
    if lang not in _WORDS:
        raise ValueError(f"unknown language '{lang}': use one of {', '.join(_WORDS)}")
    and_, et_al, available, opening, closing = _WORDS[lang]
    people = [_short_name(name) for name in entry.authors]
    organisations = organisation_names(entry, vocabularies)
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
        parts = [f"{creators} ({entry.year}) {entry.title}.{edition} {type_label(entry, vocabularies)}."]
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
    parts += [p for p in (number, entry.pages and page_range(entry.pages, "–"), edition and entry.edition) if p]
    return ", ".join(parts)
