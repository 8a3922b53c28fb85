"""One entry described for its page: the citation meta tags Google Scholar and Zotero read,
a COinS span, schema.org JSON-LD, and the formatted reference a reader copies.

They live together because they answer one question (how does a page cite its document?) from
the same mapping as the exports, and the site calls them together for every entry page.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any, NamedTuple

from kb import i18n
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
    # (no citation_date beside it: Zotero's Embedded Metadata maps both to the item's date, and
    # Google Scholar's inclusion guidelines ask for one of the two)
    meta.append(("citation_publication_date", _date_text(entry, "/")))
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


COINS_SAFE = ":/,()'"  # left unencoded in COinS values (never & = + ; % # or a space)
# What form-encoding changes, run by run: all but ASCII letters and digits, _ . - ~ (urllib's
# always-safe characters), COINS_SAFE and the space (written + once the rest is encoded).
_ENCODED = re.compile(f"[^A-Za-z0-9_.~{re.escape(COINS_SAFE)} -]+")
_PERCENT: dict[str, str] = {}  # run -> its UTF-8 bytes percent-encoded: mostly an accented letter


def _percent(match: re.Match[str]) -> str:
    run = match[0]
    encoded = _PERCENT.get(run)
    if encoded is None:
        encoded = "".join(f"%{byte:02X}" for byte in run.encode())
        if len(_PERCENT) < 10_000:
            _PERCENT[run] = encoded
    return encoded


def form_encoded(pairs: list[tuple[str, str]]) -> str:
    """What ``urllib.parse.urlencode(pairs, quote_via=quote_plus, safe=COINS_SAFE)`` writes,
    made with a regular expression: urllib calls a Python function for every byte of a value
    with something to encode (a space, an accent), and a COinS holds the title and the
    summary, on each of the 200,000 entry pages of 100,000 entries (a whole COinS: 17 against
    30 us)."""
    return "&".join(f"{_ENCODED.sub(_percent, k)}={_ENCODED.sub(_percent, v)}".replace(" ", "+") for k, v in pairs)


def coins(entry: Entry, vocabularies: Vocabularies | None = None) -> str:
    """The ``title`` of a COinS span (``<span class="Z3988" title="...">``): an OpenURL ContextObject.

    The value is form-encoded (UTF-8, spaces as ``+``, ``: / , ( ) '`` left as they are, as
    OpenURL's KEV format allows: some 12 bytes less a page in the Pages artifact than ``%20``
    and every other character encoded, as the compression finds more of the page's words in
    it). Zotero's COinS translator, which Zotero prefers to the ``citation_*`` tags (priority
    300 against 400), decodes ``+`` as a space (zotero/utilities, openurl.js,
    ``parseContextObject``). The template HTML-escapes the value (``&`` -> ``&amp;``) like any
    attribute value. Reports use the book format with ``rft.genre=report``, articles the
    journal format, other types Dublin Core.
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
    return form_encoded(pairs)


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


class _Words(NamedTuple):
    """What a reference says in one language, as citeproc's locale files say it (catalogue
    keys ``cite.*`` in kb/i18n)."""

    and_: str
    et_al: str
    available: str  # "Available at"
    opening: str  # quotes around an article's title
    closing: str
    page: str  # the label of one page
    pages: str  # the label of a range of pages
    dash: str  # between the first and last page


_WORDS = {
    lang: _Words(*(i18n.t(lang, f"cite.{name.rstrip('_')}") for name in _Words._fields)) for lang in i18n.CLI_LANGS
}


def _short_name(name: str) -> str:
    """'Moriau, Jacques' -> 'Moriau, J.'; 'Boussart, K.' stays; a single name stays whole."""
    family, _, given = (part.strip() for part in name.partition(","))
    if not given:
        return family
    initials = "-".join(f"{part[0]}." for part in given.replace(".", " ").replace("-", " - ").split() if part != "-")
    return f"{family}, {initials}"


def _joined(delimiter: str, *parts: str) -> str:
    """The parts that say something, joined: a CSL group, which leaves out what is empty."""
    return delimiter.join(part for part in parts if part)


def _creators(names: list[str], words: _Words) -> str:
    """'A', 'A and B', 'A, B and C', or 'A et al.' from four names on."""
    if len(names) > 3:
        return f"{names[0]} {words.et_al}"
    if len(names) > 1:
        return f"{', '.join(names[:-1])} {words.and_} {names[-1]}"
    return names[0] if names else ""


_SPACES = re.compile(r"[ \t\r\n\f\v]+")


def reference(entry: Entry, lang: str = "fr", vocabularies: Vocabularies | None = None) -> str:
    """The entry as a one-line plain-text reference in ``lang`` (fr, nl, en), Harvard style
    (Cite Them Right): ``Moriau, J. (2023) « Title », Santé conjuguée, (104). Disponible sur: URL.``

    The layout of the style's CSL file (harvard-cite-them-right, as citeproc-py ships it) for
    the CSL item kb exports (``exports.csljson``): reports and legal texts are cited by title (and
    edition), other items with the title in quotes, followed by where they appear (an article
    with neither volume nor pages is not called a "[Preprint]", as the style would: kb's articles
    without them are magazine and news articles, not preprints); reports then name their genre; articles
    name no publisher, and with no person named the organisations are the authors and are not
    repeated as publisher. Then an article's volume(issue), the pages of an article or report,
    and the DOI or URL. A report's series is its CSL collection title, which the style does not
    print; a dataset or document has no volume or pages in it. Editions are printed as written
    (the style writes a bare number as an ordinal, "3rd edn"). With no author at all the title
    takes the author's place (an article's journal, when it has one) and is not repeated.

    This is formatted here rather than by citeproc-py, which takes about 5 ms an entry: too slow
    for every page of a large inventory. The tests render the same entries with citeproc-py.
    """
    vocabularies = loaded(vocabularies)
    if lang not in _WORDS:
        raise ValueError(f"unknown language '{lang}': use one of {', '.join(_WORDS)}")
    words = _WORDS[lang]
    csl = kind(entry.type).csl
    people = [_short_name(name) for name in entry.authors]
    organisations = organisation_names(entry, vocabularies)
    edition = entry.edition or ""
    if csl in ("report", "legislation"):
        title = _joined(". ", entry.title, edition)
    else:
        title = f"{words.opening}{entry.title}{words.closing}"
    container = ""
    if entry.container and csl != "report":
        container = _joined(". ", entry.container, edition)
    creators = _creators(people or organisations, words)
    if not creators and csl == "article-journal" and entry.container:
        creators, container = entry.container, ""
    elif not creators:
        creators, title = title, ""
    head = _joined(" ", creators, f"({entry.year})", _joined(", ", title, container))
    publisher = _joined(": ", entry.publisher_place or "", SEPARATOR.join(organisations) if people else "")
    if csl == "report":
        publisher = _joined(". ", type_label(entry, vocabularies), publisher)
    elif csl == "article-journal":
        publisher = ""
    text = _joined(". ", head, publisher)
    locator = ""
    if csl == "article-journal":
        locator = (entry.volume or "") + (f"({entry.issue})" if entry.issue else "")
    pages = ""
    if entry.pages and csl in ("report", "article-journal"):
        label = words.pages if split_pages(entry.pages)[1] else words.page
        pages = f"{label} {page_range(entry.pages, words.dash)}"
    if tail := _joined(", ", locator, pages):
        text += f", {tail}"
    if entry.doi:
        text += f". {words.available}: https://doi.org/{entry.doi}"
    elif url := readable_url(entry):
        text += f". {words.available}: {url}"
    # One space between words (titles may hold line breaks), the no-break ones of French kept.
    return _SPACES.sub(" ", f"{text}.").strip(" ")
