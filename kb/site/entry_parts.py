"""Parts of an entry page written in Python rather than in entry.html: its citation meta tags, its
facts (the ``<dl class="facts">`` list of type, year, people, tags, publication and dates), its
"cite" section (reference, COinS, BibTeX, downloads) and its related entries.

Why not Jinja: a site has two pages per entry, and these parts are loops over a dozen values
with an escape for each, or a dozen calls, where Jinja's calls and loops cost more than the text
they make: an entry page took 0.97 ms of CPU with the template, 0.70 ms with these (all 20,000
pages of 10,000 entries, one run, load 9), 5 s of CPU less in a full build; the related entries,
six calls each in Jinja, were a tenth of what remained (0.39 -> 0.35 ms a page, then 0.31 with
escaped values as plain text, kb.site.markup.escaped). They make the bytes the template made
(escaped the same way: ``escaped`` writes what ``markupsafe.escape``, Jinja's autoescape,
writes); the byte-identical build tests and a comparison of the 20,000 pages of the benchmark
corpus checked it. The design key (``Site.design_of``) holds this module's source, as it holds
the templates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from markupsafe import Markup

from kb import i18n
from kb import bibliography as biblio
from kb.entries.schema import Entry
from kb.site.markup import escaped as escape

if TYPE_CHECKING:
    from kb.site.pages import Site

TAGGED = ("partners", "scale", "criteria", "basis", "territories")  # listed with links, in this order
PUBLICATION = ("edition", "publisher_place", "isbn", "issn")


def meta_tags(site: Site, entry: Entry) -> Markup:
    """The citation meta tags (Google Scholar, Zotero), one per line."""
    return Markup(
        "".join(
            f'<meta name="{escape(name)}" content="{escape(content)}">\n'
            for name, content in biblio.citation_meta(entry, site.vocabularies)
        )
    )


def facts(site: Site, entry: Entry, lang: str, root: str, indexed: bool) -> Markup:
    """The facts list of ``entry``'s page in ``lang`` (``root``: the way up to the site's root).

    Only an ``indexed`` page (the French one, which Pagefind reads) carries the search's filter,
    meta and ignore attributes: on the Dutch page nothing reads them (some 39 bytes a Dutch page
    in the Pages artifact)."""
    e, t, names = escape, i18n.t, i18n.DIMENSION_NAMES[lang]
    up = f"{e(root)}{e(lang)}"

    def search(name: str, value: str) -> str:
        """``data-pagefind-{name}="{value}"`` on an indexed page, nothing on the others."""
        return f' data-pagefind-{name}="{e(value)}"' if indexed else ""

    out = [
        f'<dl class="facts"{" data-pagefind-ignore" if indexed else ""}>\n',
        f"<dt>{e(names['type'][0])}</dt>\n",
        f'<dd{search("filter", f"type:{entry.type}")}><a class="tag" href="{up}/type/{e(entry.type)}/">'
        f"{e(site.label('type', entry.type, lang))}</a></dd>\n",
        f"<dt>{e(t(lang, 'year'))}</dt>\n",
        f"<dd{search('filter', f'year:{entry.year}')}{search('meta', f'year:{entry.year}')}>"
        f'<a href="{up}/year/{e(entry.year)}/">{e(entry.year)}</a>'
        f"{f' ({e(entry.date)})' if entry.date else ''}</dd>\n",
    ]
    if entry.authors:
        out.append(f"<dt>{e(t(lang, 'authors'))}</dt>\n<dd>{e('; '.join(map(str, entry.authors)))}</dd>\n")
    if entry.organisations:
        shown = []
        for name in entry.organisations:
            label, partner = site.organisation(name, lang)
            shown.append(f'<a href="{up}/partners/{e(partner)}/">{e(label)}</a>' if partner else str(e(label)))
        out.append(f"<dt>{e(t(lang, 'organisations'))}</dt>\n<dd>{'; '.join(shown)}</dd>\n")
    tags = entry.tags()
    for dimension in TAGGED:
        if tags[dimension]:
            out.append(f"<dt>{e(names[dimension][0])}</dt>\n<dd>\n")
            out.extend(
                f'<a class="tag" href="{up}/{dimension}/{e(value)}/"{search("filter", f"{dimension}:{value}")}>'
                f"{e(site.label(dimension, value, lang))}</a>\n"
                for value in tags[dimension]
            )
            out.append("</dd>\n")
    out.append(
        f"<dt>{e(names['language'][0])}</dt>\n"
        f'<dd{search("filter", f"language:{entry.language}")}><a href="{up}/language/{e(entry.language)}/">'
        f"{e(site.label('language', entry.language, lang))}</a></dd>\n"
    )
    out.extend(_publication(entry, lang))
    out.extend(_addresses(entry, lang))
    out.extend(_dates(site, entry, lang))
    out.append("</dl>")
    return Markup("".join(out))


def _publication(entry: Entry, lang: str) -> list[str]:
    """Where the entry was published: container, volume, issue, pages, edition, place, ISBN, ISSN."""
    e, t = escape, i18n.t
    out = []
    if entry.container:
        parts = [f"<cite>{e(entry.container)}</cite>"]
        for field, key in (("volume", "volume"), ("issue", "issue"), ("pages", "page_numbers")):
            if getattr(entry, field):
                parts.append(f", {e(t(lang, key))} {e(getattr(entry, field))}")
        out.append(f"<dt>{e(t(lang, 'published_in'))}</dt>\n<dd>{''.join(parts)}</dd>\n")
    elif entry.pages:
        out.append(f"<dt>{e(t(lang, 'page_numbers'))}</dt>\n<dd>{e(entry.pages)}</dd>\n")
    for name in PUBLICATION:
        if getattr(entry, name):
            label = t(lang, "place" if name == "publisher_place" else name)
            out.append(f"<dt>{e(label)}</dt>\n<dd>{e(getattr(entry, name))}</dd>\n")
    return out


def _addresses(entry: Entry, lang: str) -> list[str]:
    """Where to read it: its address (marked when dead), its archived copy, its DOI."""
    e, t = escape, i18n.t
    out = []
    if entry.url:
        url = e(entry.url)
        if entry.url_status == "dead":
            link = (
                f'<span class="dead">{e(t(lang, "url_dead"))}</span> '
                f'<del><a class="url" href="{url}" rel="noopener nofollow">{url}</a></del>'
            )
        else:
            link = f'<a class="url" href="{url}" rel="noopener">{url}</a>'
        out.append(f"<dt>{e(t(lang, 'read'))}</dt>\n<dd>{link}</dd>\n")
    if entry.archive:
        archive = e(entry.archive)
        out.append(
            f"<dt>{e(t(lang, 'archived_copy').capitalize())}</dt>\n"
            f'<dd><a class="url" href="{archive}" rel="noopener">{archive}</a></dd>\n'
        )
    if entry.doi:
        doi = e(entry.doi)
        out.append(f'<dt>{e(t(lang, "doi"))}</dt>\n<dd><a href="https://doi.org/{doi}" rel="noopener">{doi}</a></dd>\n')
    return out


def _dates(site: Site, entry: Entry, lang: str) -> list[str]:
    """When the entry was added and last changed (from the history), with a link to its history."""
    dates = site.catalogue.dates.get(entry.id)
    if not dates:
        return []
    e, t = escape, i18n.t
    changed = dates.changed and dates.changed[:10] != dates.added[:10]
    history = ""
    if site.config.repository and dates.changed:
        history = f' · <a href="{e(site.config.history_url(entry.id))}" rel="noopener">{e(t(lang, "history"))}</a>'
    added = e(dates.added[:10])
    out = [
        f'<dt>{e(t(lang, "added"))}</dt>\n<dd><time datetime="{added}">{added}</time>{"" if changed else history}</dd>\n'
    ]
    if changed:
        when = e(dates.changed[:10])
        out.append(f'<dt>{e(t(lang, "changed"))}</dt>\n<dd><time datetime="{when}">{when}</time>{history}</dd>\n')
    return out


def cite(site: Site, entry: Entry, lang: str, root: str) -> Markup:
    """The page's "cite" section: the reference, its COinS, the entry's BibTeX, the downloads."""
    e, t = escape, i18n.t
    colon = t(lang, "colon")
    up, own = e(root), e(entry.id)
    copy = e(t(lang, "copy"))
    coins, bibtex = site.citations(entry)
    return Markup(
        '<section class="cite" aria-labelledby="kb-cite">\n'
        f'<h2 id="kb-cite">{e(t(lang, "cite"))}</h2>\n'
        f'<span class="Z3988" title="{e(coins)}"></span>\n'
        f'<p class="reference" id="kb-reference">{e(biblio.reference(entry, lang, site.vocabularies))}</p>\n'
        f'<p><button type="button" class="copy" data-copy="kb-reference" hidden>{copy}</button></p>\n'
        "<details>\n<summary>BibTeX</summary>\n"
        f'<pre id="kb-bibtex">{e(bibtex)}</pre>\n'
        f'<p><button type="button" class="copy" data-copy="kb-bibtex" hidden>{copy} (BibTeX)</button></p>\n'
        "</details>\n"
        f"<p>{e(t(lang, 'download_all'))}{colon}\n"
        f'<a href="{up}export/kb.bib" download type="application/x-bibtex">BibTeX</a> ·\n'
        f'<a href="{up}export/kb.ris" download type="application/x-research-info-systems">RIS</a> ·\n'
        f'<a href="{up}export/kb.json" download type="application/json">CSL JSON</a></p>\n'
        f'<form class="add-compare" action="{up}{e(lang)}/compare/" method="get">\n'
        f'<input type="hidden" name="add" value="{own}">\n'
        f'<button type="submit">{e(t(lang, "compare_add"))}</button>\n'
        "</form>\n"
        "</section>"
    )


def related(site: Site, shown: list[tuple[Entry, tuple[tuple[str, str], ...]]], lang: str, root: str) -> Markup:
    """The page's "related entries" section: a link to each with its year and the tags they
    share (six calls an entry in Jinja: a tenth of an entry page's rendering)."""
    e, t = escape, i18n.t
    up = f"{e(root)}{e(lang)}"
    items = []
    for other, shared in shown:
        code = other.text_language(lang)
        other_lang = f' lang="{e(code)}"' if code != lang else ""
        why = e(t(lang, "related_why", tags=site.shared_labels(shared, lang)))
        items.append(
            f'<li><a href="{up}/entries/{e(other.id)}/"{other_lang}>{e(other.title_in(lang))}</a> '
            f'<span class="meta">({e(other.year)}) · {why}</span></li>\n'
        )
    return Markup(
        '<section class="related" aria-labelledby="kb-related">\n'
        f'<h2 id="kb-related">{e(t(lang, "related"))}</h2>\n<ul>\n{"".join(items)}</ul>\n</section>'
    )
