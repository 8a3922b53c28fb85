"""Static, accessible charts for the site: HTML tables and inline SVG, built once at build time.

Every function returns a string of HTML meant to be embedded as is (``|safe`` in Jinja2):
every piece of text that comes from the entries or the vocabularies, and every URL, is
escaped here. No JavaScript, no stylesheet needed (colours are SVG presentation attributes),
no random ids: element ids derive from the ``id_prefix`` argument, so a page that shows two
charts passes two prefixes.

``lang`` is ``"fr"`` or ``"nl"`` (``"en"`` works too). Links come from the caller:

* ``link(dimension, value) -> str | None``, with ``dimension`` a front-matter field as in
  ``Entry.tags()`` (``"scale"``, ``"criteria"``, ``"partners"``, ``"type"``, ``"territories"``,
  ``"language"``) or ``"year"`` (value ``"2020"``); ``None`` (or no ``link``) means no link;
* ``cell_link(row_value, column_value) -> str | None`` for a cell of a cross table (scale and
  criterion for the matrix, partner and type for the partner table).

CSS hooks (all optional; the charts read correctly without CSS)
---------------------------------------------------------------
* every root element has class ``kb-chart`` and one of ``kb-matrix``, ``kb-tilemap``,
  ``kb-coverage``, ``kb-bassins``, ``kb-years``, ``kb-partners``; the two cross tables
  (``matrix_table``, ``partner_type_table``) also ``kb-cross``;
* cross-table cells (``matrix_table``, ``partner_type_table``): ``n0`` for an empty cell, then
  ``n1`` .. ``n4`` by rank of the count among the distinct non-zero counts of the table
  (``kb.stats.levels``); empty cells also have class ``empty`` and show ``0`` (no link);
  totals have class ``total``; the top-left header cell has class ``corner``;
* in the tile map, each tile is ``<a class="tile level-N">`` (N = 0..4, the same levels over
  the communes' local counts); the legend is in the ``<figcaption>``
  (``kb-legend-scale``, ``kb-legend-bassins``);
* in tables, a count of zero has class ``empty``.

Interactive SVG: the charts with links use ``role="group"`` (labelled by the SVG ``<title>``,
described by its ``<desc>``), not ``role="img"``: an ``img`` has presentational children, which
would hide the links from screen readers. Each link has an ``aria-label`` and a ``<title>``
(tooltip); the visible text inside it is ``aria-hidden``.

Why one module of some 690 lines: the charts share the escaping and link helpers, the colour
levels and their legend, and the accessibility pattern above, so that every chart reads and
behaves alike; each chart is one public function. Their texts are in the catalogue (kb/i18n,
keys ``chart.*``).
"""

from __future__ import annotations

import functools
import html
import re
from typing import Callable, Sequence

from kb import i18n
from kb.stats import Coverage, CrossTable, Matrix, YearCounts, levels
from kb.entries.vocab import Vocabularies

__all__ = [
    "Link",
    "CellLink",
    "FILLS",
    "TEXT_ON_FILL",
    "BASSIN_STYLES",
    "matrix_table",
    "tile_map",
    "coverage_table",
    "bassin_list",
    "bar_chart",
    "year_table",
    "partner_type_table",
    "short_commune",
    "bassin_code",
]

Link = Callable[[str, str], "str | None"]
CellLink = Callable[[str, str], "str | None"]

# Sequential fills, colour-blind safe (ColorBrewer YlGnBu, with a neutral grey for zero), and the
# label colour on each; contrast of label over fill (WCAG 2): 15.9, 13.1, 7.2, 6.5, 12.3 (>= 4.5).
FILLS = ("#f2f2f2", "#c7e9b4", "#41b6c4", "#225ea8", "#0c2c84")
TEXT_ON_FILL = ("#1a1a1a", "#1a1a1a", "#1a1a1a", "#ffffff", "#ffffff")
BAR_FILL = "#225ea8"  # 6.5:1 against white
ZERO_STROKE = "#767676"
TILE_CELL, TILE_SIZE = 104, 92  # tile-map grid step and tile side (SVG units)
BAR_STEP, BAR_WIDTH, BAR_HEIGHT = 22, 16, 120  # bar chart

# Bassin outlines: Okabe-Ito colours (colour-blind safe) and a dash pattern each, so that the
# bassins are told apart without colour too; the tile also shows the bassin's code.
BASSIN_STYLES = (
    ("#d55e00", ""),
    ("#cc79a7", "10 4"),
    ("#009e73", "3 3"),
    ("#e69f00", "14 4 3 4"),
    ("#000000", "6 6"),
)
SHARED_STYLE = ("#595959", "1 4")

BASSIN_CODES = {
    "bassin_nord": {"fr": "N", "nl": "N", "en": "N"},
    "bassin_nord_est": {"fr": "NE", "nl": "NO", "en": "NE"},
    "bassin_sud_est": {"fr": "SE", "nl": "ZO", "en": "SE"},
    "bassin_sud": {"fr": "S", "nl": "Z", "en": "S"},
    "bassin_centre_ouest": {"fr": "CO", "nl": "CW", "en": "CW"},
}

# Short names that fit on a tile; the full name is in the tooltip and the accessible name.
SHORT_NAMES = {
    "21003": {"fr": "Berchem", "nl": "Berchem", "en": "Berchem"},
    "21012": {"fr": "Molenbeek", "nl": "Molenbeek", "en": "Molenbeek"},
    "21013": {"fr": "St-Gilles", "nl": "St-Gillis", "en": "St-Gilles"},
    "21014": {"fr": "St-Josse", "nl": "St-Joost", "en": "St-Josse"},
    "21017": {"fr": "W.-Boitsfort", "nl": "W.-Bosvoorde", "en": "W.-Boitsfort"},
    "21018": {"fr": "Woluwe-St-L.", "nl": "St-L.-Woluwe", "en": "Woluwe-St-L."},
    "21019": {"fr": "Woluwe-St-P.", "nl": "St-P.-Woluwe", "en": "Woluwe-St-P."},
}


# --------------------------------------------------------------------------- helpers


def _e(value: object) -> str:
    """Escape text for HTML/SVG content and double-quoted attributes."""
    return html.escape(str(value), quote=True)


def _ui(lang: str) -> dict:
    """The charts' texts in ``lang``, from the catalogue (kb/i18n, keys ``chart.*``)."""
    if lang not in i18n.STRINGS:
        raise ValueError(f"lang must be one of {', '.join(i18n.STRINGS)}, not {lang!r}")
    return _texts(lang)


@functools.cache
def _texts(lang: str) -> dict:
    texts = {k.removeprefix("chart."): v for k, v in i18n.STRINGS[lang].items() if k.startswith("chart.")}
    texts["entry"] = (texts.pop("entry_one"), texts.pop("entry_many"))
    return texts


def _noun(count: int, lang: str) -> str:
    one, many = _ui(lang)["entry"]
    singular = count in (0, 1) if lang == "fr" else count == 1  # French: "0 fiche"
    return one if singular else many


def _n(count: int, lang: str) -> str:
    return f"{count} {_noun(count, lang)}"


def _prefix(id_prefix: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9_-]", "-", id_prefix) or "kb"
    return cleaned if cleaned[0].isalpha() else f"kb-{cleaned}"


def _href(link: Link | CellLink | None, a: str, b: str) -> str | None:
    if link is None:
        return None
    url = link(a, b)
    return url or None


def _a(url: str | None, content: str, label: str | None = None, cls: str | None = None) -> str:
    """An HTML link (or the bare content when there is no URL)."""
    if not url:
        return content
    attrs = f' href="{_e(url)}"'
    if cls:
        attrs += f' class="{cls}"'
    if label:
        attrs += f' aria-label="{_e(label)}"'
    return f"<a{attrs}>{content}</a>"


def _label(vocabularies: Vocabularies, field_name: str, term_id: str, lang: str) -> str:
    return vocabularies.label(field_name, term_id, lang)


def _partner_short(vocabularies: Vocabularies, partner_id: str, lang: str) -> str:
    vocabulary = vocabularies.for_field("partners")
    return vocabulary[partner_id].short(lang) if partner_id in vocabulary else partner_id


def short_commune(vocabularies: Vocabularies, nis: str, lang: str = "fr") -> str:
    """A commune's name short enough for a tile ("St-Gilles", "Woluwe-St-L.").

    A `short: {fr: ..., nl: ...}` key on the commune in territories.yaml wins over the built-in list.
    """
    territories = vocabularies["territories"]
    term = territories.terms.get(nis)
    short = term.extra.get("short") if term else None
    if isinstance(short, dict) and short.get(lang):
        return str(short[lang])
    if nis in SHORT_NAMES:
        return SHORT_NAMES[nis].get(lang) or SHORT_NAMES[nis]["fr"]
    return territories.label(nis, lang)


def bassin_code(vocabularies: Vocabularies, bassin_id: str, lang: str = "fr") -> str:
    """A bassin's short code on the tiles: N, NE/NO, SE/ZO, S/Z, CO/CW."""
    if bassin_id in BASSIN_CODES:
        return BASSIN_CODES[bassin_id].get(lang) or BASSIN_CODES[bassin_id]["fr"]
    words = re.findall(r"[A-Za-zÀ-ÿ]+", vocabularies["territories"].label(bassin_id, lang))
    return "".join(w[0].upper() for w in words[1:]) or bassin_id[:2].upper()


def _fit(text: str, font_size: float) -> str:
    """Squeeze a tile label that would overflow (bold sans-serif: about 0.62 em a character)."""
    room = TILE_SIZE - 8
    return f' textLength="{room}" lengthAdjust="spacingAndGlyphs"' if len(text) * font_size * 0.62 > room else ""


def _bassin_style(index: int) -> tuple[str, str]:
    return BASSIN_STYLES[index % len(BASSIN_STYLES)]


def _dash(dasharray: str) -> str:
    return f' stroke-dasharray="{dasharray}"' if dasharray else ""


def _swatch(fill: str, stroke: str = "none", width: float = 1, dasharray: str = "") -> str:
    """A small inline SVG square for a legend (decorative)."""
    return (
        f'<svg class="kb-swatch" width="18" height="14" viewBox="0 0 18 14" aria-hidden="true" focusable="false">'
        f'<rect x="1.5" y="1.5" width="15" height="11" fill="{fill}" stroke="{stroke}" stroke-width="{width}"'
        f"{_dash(dasharray)}/></svg>"
    )


def _ranges(counts: Sequence[int], mapping: dict[int, int], steps: int = 4) -> list[tuple[int, str]]:
    """For the legend: (level, "a–b") for level 0 and each level some count falls in."""
    result = [(0, "0")]
    for level in range(1, steps + 1):
        values = sorted({c for c in counts if c and mapping[c] == level})
        if values:
            result.append((level, str(values[0]) if values[0] == values[-1] else f"{values[0]}–{values[-1]}"))
    return result


def _cross_table(
    table_id: str,
    classes: str,
    caption: str,
    corner: str,
    columns: list[tuple[str, str | None, str]],
    rows: list[tuple[str, str | None, list[int], list[str | None], int, str]],
    footer: tuple[str, list[int], int] | None,
    lang: str,
    cell_label: Callable[[int, str, str], str],
) -> str:
    """A cross table: columns are (label html, url, plain label); rows are (label html, url,
    counts, cell urls, total, plain label); cells coloured by level."""
    ui = _ui(lang)
    mapping = levels([n for row in rows for n in row[2]])
    out = [
        f'<table class="kb-chart kb-cross {classes}" id="{table_id}">',
        f"<caption>{_e(caption)}</caption>",
        f'<thead><tr><th scope="col" class="corner"><span>{_e(corner)}</span></th>',
    ]
    for label_html, url, _plain in columns:
        out.append(f'<th scope="col"><span>{_a(url, label_html)}</span></th>')
    out.append(f'<th scope="col" class="total"><span>{_e(ui["total"])}</span></th></tr></thead>\n<tbody>')
    for label_html, url, counts, urls, total, plain in rows:
        out.append(f'<tr><th scope="row">{_a(url, label_html)}</th>')
        for (_, _, column_plain), count, cell_url in zip(columns, counts, urls):
            if count:
                out.append(
                    f'<td class="n{mapping[count]}">'
                    f"{_a(cell_url, str(count), cell_label(count, plain, column_plain))}</td>"
                )
            else:
                out.append('<td class="n0 empty">0</td>')
        out.append(f'<td class="total">{total}</td></tr>\n')
    out.append("</tbody>")
    if footer is not None:
        label, totals, grand = footer
        out.append(f'<tfoot><tr><th scope="row" class="total">{_e(label)}</th>')
        out.extend(f'<td class="total">{n}</td>' for n in totals)
        out.append(f'<td class="total">{grand}</td></tr></tfoot>')
    out.append("</table>")
    return "".join(out)


# --------------------------------------------------------------------------- scale x criteria


def matrix_table(
    matrix: Matrix,
    vocabularies: Vocabularies,
    lang: str = "fr",
    cell_link: CellLink | None = None,
    *,
    link: Link | None = None,
    id_prefix: str = "matrix",
) -> str:
    """The scale x criteria matrix as an HTML ``<table>``: one row per scale, one column per criterion
    (per basis for a ``matrix.dimension == "basis"`` matrix, with its own caption).

    Non-zero cells link to ``cell_link(scale, criterion)``; empty cells show ``0`` with classes
    ``n0 empty``, the others ``n1``..``n4`` (heat map, by rank). Row and column headers link to
    ``link("scale", id)`` / ``link("criteria", id)`` when ``link`` is given. The last column and
    the footer row give the number of entries with the scale / criterion; the corner the total.
    """
    ui = _ui(lang)
    columns = []
    dimension = matrix.dimension
    for criterion in matrix.criteria:
        plain = _label(vocabularies, dimension, criterion, lang)
        columns.append((_e(plain), _href(link, dimension, criterion), plain))
    rows = []
    for scale, counts, total in zip(matrix.scales, matrix.counts, matrix.row_totals):
        plain = _label(vocabularies, "scale", scale, lang)
        urls = [_href(cell_link, scale, c) if n else None for c, n in zip(matrix.criteria, counts)]
        rows.append((_e(plain), _href(link, "scale", scale), list(counts), urls, total, plain))

    def cell_label(count: int, row: str, column: str) -> str:
        return ui["cell"].format(count=_n(count, lang), row=row, column=column)

    # The corner counts the entries the table shows: all of them, or those with a basis.
    if dimension == "basis":
        caption, corner, shown = ui["basis_caption"], ui["basis_corner"], matrix.tagged
    else:
        caption, corner, shown = ui["matrix_caption"], ui["matrix_corner"], matrix.total
    return _cross_table(
        _prefix(id_prefix),
        "kb-matrix",
        caption,
        corner,
        columns,
        rows,
        (ui["total"], list(matrix.column_totals), shown),
        lang,
        cell_label,
    )


# --------------------------------------------------------------------------- where


def tile_map(
    coverage: Coverage,
    vocabularies: Vocabularies,
    lang: str = "fr",
    link: Link | None = None,
    *,
    id_prefix: str = "tilemap",
) -> str:
    """A tile map of the 19 communes: a ``<figure>`` holding an inline ``<svg>`` and its legend.

    One square per commune at its ``tile: [col, row]`` (5 x 6 grid), filled by its *local*
    count (``FILLS``, levels 0..4 by rank, see ``kb.stats.levels``), labelled with a short name,
    the count and the bassin code; the outline's colour and dash pattern give the bassin (a
    dotted grey one for a commune shared between bassins). Each tile is an
    ``<a href=link("territories", nis)>`` with an ``aria-label`` giving the full name and the
    local, partial and with-regional counts. The ``<figcaption>`` holds the colour legend and
    the list of bassins with their communes.
    """
    ui = _ui(lang)
    prefix = _prefix(id_prefix)
    territories = vocabularies["territories"]
    bassin_ids = [b.id for b in coverage.bassins]
    bassin_index = {b: i for i, b in enumerate(bassin_ids)}
    mapping = levels([a.local_count for a in coverage.communes])
    positions = {}
    for area in coverage.communes:
        term = territories.terms.get(area.id)
        tile = term.extra.get("tile") if term else None
        if isinstance(tile, (list, tuple)) and len(tile) == 2:
            positions[area.id] = (int(tile[0]), int(tile[1]))
    columns = max((c for c, _ in positions.values()), default=4) + 1
    rows = max((r for _, r in positions.values()), default=5) + 1
    # Communes without a tile position go on an extra row below the map.
    spare = [a.id for a in coverage.communes if a.id not in positions]
    for i, nis in enumerate(spare):
        positions[nis] = (i % columns, rows + i // columns)
    rows += (len(spare) + columns - 1) // columns
    width, height = columns * TILE_CELL, rows * TILE_CELL

    ranked = sorted(coverage.communes, key=lambda a: -a.local_count)
    most = [a for a in ranked if a.local_count and a.local_count == ranked[0].local_count] if ranked else []
    zero = [a for a in coverage.communes if not a.local_count]
    desc = ui["map_desc"].format(
        regional=_n(len(coverage.regional), lang),
        most=", ".join(f"{territories.label(a.id, lang)} ({a.local_count})" for a in most) or ui["none"],
        none=", ".join(territories.label(a.id, lang) for a in zero) or ui["none"],
    )
    out = [
        f'<figure class="kb-chart kb-tilemap" id="{prefix}">',
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="group" '
        f'aria-labelledby="{prefix}-title" aria-describedby="{prefix}-desc" font-family="sans-serif">',
        f'<title id="{prefix}-title">{_e(ui["map_title"])}</title>',
        f'<desc id="{prefix}-desc">{_e(desc)}</desc>\n',
    ]
    pad = (TILE_CELL - TILE_SIZE) / 2
    for area in coverage.communes:
        col, row = positions[area.id]
        x, y = col * TILE_CELL + pad, row * TILE_CELL + pad
        level = mapping[area.local_count]
        whole = [b for b in area.bassins if b not in area.shared]
        if whole:
            stroke, dasharray = _bassin_style(bassin_index.get(whole[0], 0))
            code = bassin_code(vocabularies, whole[0], lang)
        elif area.shared:
            stroke, dasharray = SHARED_STYLE
            code = "/".join(bassin_code(vocabularies, b, lang) for b in area.shared)
        else:
            stroke, dasharray, code = ZERO_STROKE, "", ""
        name = territories.label(area.id, lang)
        short = short_commune(vocabularies, area.id, lang)
        where = [name] if name != short else []
        where += [territories.label(b, lang) + (f" ({ui['partly']})" if b in area.shared else "") for b in area.bassins]
        label = ui["tile"].format(
            short=short,
            count=area.local_count,
            noun=_noun(area.local_count, lang),
            where=", ".join(where) or name,
            total=area.total_count,
        )
        if area.partial_count:
            label += ui["tile_partial"].format(partial=area.partial_count)
        url = _href(link, "territories", area.id)
        text_colour = TEXT_ON_FILL[level]
        cx = x + TILE_SIZE / 2
        tile = [
            f"<title>{_e(label)}</title>",
            f'<rect x="{x:g}" y="{y:g}" width="{TILE_SIZE}" height="{TILE_SIZE}" rx="4" fill="{FILLS[level]}" '
            f'stroke="{stroke}" stroke-width="4"{_dash(dasharray)}/>',
            f'<g aria-hidden="true" fill="{text_colour}" text-anchor="middle">',
            f'<text x="{cx:g}" y="{y + 24:g}" font-size="12" font-weight="bold"{_fit(short, 12)}>'
            f"{_e(short)}</text>\n",  # the space keeps "Name 4" two words for assistive tech
            f'<text x="{cx:g}" y="{y + 56:g}" font-size="24" font-weight="bold">{area.local_count}</text></g>',
        ]
        classes = f"tile level-{level}"
        if url:
            out.append(f'<a href="{_e(url)}" class="{classes}" aria-label="{_e(label)}">{"".join(tile)}</a>')
        else:
            out.append(f'<g class="{classes}" role="img" aria-label="{_e(label)}">{"".join(tile)}</g>')
        # The bassin code sits outside the link, so that the link's visible text (name, count)
        # is part of its accessible name (WCAG 2.5.3); clicks go through it to the tile.
        out.append(
            f'<text x="{cx:g}" y="{y + 78:g}" font-size="11" text-anchor="middle" fill="{text_colour}" '
            f'aria-hidden="true" pointer-events="none" class="bassin-code">{_e(code)}</text>\n'
        )
    out.append("</svg>")

    out.append("<figcaption>")
    out.append(f'<p class="kb-legend-title">{_e(ui["legend_scale"])}</p><ul class="kb-legend-scale">')
    for level, text in _ranges([a.local_count for a in coverage.communes], mapping):
        out.append(f"<li>{_swatch(FILLS[level], ZERO_STROKE)} {_e(text)}</li>")
    out.append("</ul>")
    out.append(
        f'<p class="kb-legend-note">'
        f"{_e(ui['regional_note'].format(regional=_n(len(coverage.regional), lang), unspecified=_n(len(coverage.unspecified), lang)))}</p>"
    )
    out.append(f'<p class="kb-legend-title">{_e(ui["legend_bassins"])}</p><ul class="kb-legend-bassins">')
    for i, area in enumerate(coverage.bassins):
        stroke, dasharray = _bassin_style(i)
        members = ", ".join(territories.label(c, lang) for c in area.communes)
        if area.shared:
            members += f"{i18n.t(lang, 'semicolon')} {ui['partly']}{i18n.t(lang, 'colon')} "
            members += ", ".join(territories.label(c, lang) for c in area.shared)
        name = _a(_href(link, "territories", area.id), _e(territories.label(area.id, lang)))
        out.append(
            f"<li>{_swatch('none', stroke, 3, dasharray)} {name} "
            f"({_e(bassin_code(vocabularies, area.id, lang))}){i18n.t(lang, 'colon')} {_e(members)}</li>"
        )
    if any(a.shared for a in coverage.communes):
        stroke, dasharray = SHARED_STYLE
        out.append(f"<li>{_swatch('none', stroke, 3, dasharray)} {_e(ui['shared'])}</li>")
    out.append("</ul></figcaption></figure>")
    return "".join(out)


def coverage_table(
    coverage: Coverage,
    vocabularies: Vocabularies,
    lang: str = "fr",
    link: Link | None = None,
    *,
    id_prefix: str = "coverage",
) -> str:
    """The table alternative to the tile map: commune, NIS, bassin(s), own (local) entries,
    entries partly about it, and with the whole-region entries; names and counts link to
    ``link("territories", nis)``."""
    ui = _ui(lang)
    territories = vocabularies["territories"]
    caption = f"{ui['coverage_caption']}. " + ui["regional_note"].format(
        regional=_n(len(coverage.regional), lang), unspecified=_n(len(coverage.unspecified), lang)
    )
    out = [
        f'<table class="kb-chart kb-coverage" id="{_prefix(id_prefix)}"><caption>{_e(caption)}</caption>',
        "<thead><tr>",
    ]
    for key in ("commune", "nis", "bassin", "local", "partial", "with_regional"):
        out.append(f'<th scope="col">{_e(ui[key])}</th>')
    out.append("</tr></thead>\n<tbody>")
    for area in coverage.communes:
        url = _href(link, "territories", area.id)
        names = [territories.label(b, lang) + (f" ({ui['partly']})" if b in area.shared else "") for b in area.bassins]
        out.append(
            f'<tr><th scope="row">{_a(url, _e(territories.label(area.id, lang)))}</th>'
            f"<td>{_e(area.id)}</td><td>{_e(', '.join(names))}</td>"
        )
        for count in (area.local_count, area.partial_count, area.total_count):
            out.append(f"<td>{_a(url, str(count))}</td>" if count else '<td class="empty">0</td>')
        out.append("</tr>\n")
    out.append("</tbody></table>")
    return "".join(out)


def bassin_list(
    coverage: Coverage,
    vocabularies: Vocabularies,
    lang: str = "fr",
    link: Link | None = None,
    *,
    id_prefix: str = "bassins",
) -> str:
    """The bassins as an HTML list: name (linked), counts (own, partly, with regional), communes."""
    ui = _ui(lang)
    territories = vocabularies["territories"]
    out = [
        f'<section class="kb-chart kb-bassins" id="{_prefix(id_prefix)}" aria-labelledby="{_prefix(id_prefix)}-h">',
        f'<p id="{_prefix(id_prefix)}-h" class="kb-legend-title">{_e(ui["bassins_caption"])}</p><ul>',
    ]
    colon = f"{i18n.t(lang, 'colon')} "
    for area in coverage.bassins:
        url = _href(link, "territories", area.id)
        counts = ui["bassin_item"].format(
            local=_n(area.local_count, lang), partial=area.partial_count, with_regional=area.total_count
        )
        members = ", ".join(_a(_href(link, "territories", c), _e(territories.label(c, lang))) for c in area.communes)
        if area.shared:
            members += (
                f" ({_e(ui['partly'])}{colon}"
                + ", ".join(_a(_href(link, "territories", c), _e(territories.label(c, lang))) for c in area.shared)
                + ")"
            )
        out.append(
            f"<li>{_a(url, _e(territories.label(area.id, lang)))}{colon}{_e(counts)}. "
            f"{_e(ui['communes'].capitalize())}{colon}{members}</li>"
        )
    out.append("</ul></section>")
    return "".join(out)


# --------------------------------------------------------------------------- when


def bar_chart(
    per_year: YearCounts, lang: str = "fr", link: Link | None = None, *, id_prefix: str = "years", table: bool = True
) -> str:
    """Entries per year as a vertical SVG bar chart in a ``<figure>``, with its data table in a
    ``<details>`` (``table=False`` leaves it out; ``year_table`` gives it alone).

    Each non-zero bar (and its count) is an ``<a href=link("year", "2020")>`` with an
    ``aria-label`` such as "2020 : 4 fiches". Years in the range with no entry get no bar.
    """
    ui = _ui(lang)
    prefix = _prefix(id_prefix)
    items = per_year.items()
    top, bottom, side = 18, 22, 8
    width = 2 * side + max(len(items), 1) * BAR_STEP
    height = top + BAR_HEIGHT + bottom
    peak = per_year.max or 1
    best = [y for y, n in items if n and n == per_year.max]
    desc = ui["years_desc"].format(
        first=items[0][0] if items else "-",
        last=items[-1][0] if items else "-",
        most=", ".join(f"{y} ({_n(per_year.max, lang)})" for y in best) or ui["none"],
    )
    out = [
        f'<figure class="kb-chart kb-years" id="{prefix}"><figcaption>{_e(ui["years_title"])}</figcaption>',
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="group" '
        f'aria-labelledby="{prefix}-title" aria-describedby="{prefix}-desc" font-family="sans-serif">',
        f'<title id="{prefix}-title">{_e(ui["years_title"])}</title>',
        f'<desc id="{prefix}-desc">{_e(desc)}</desc>\n',
        f'<line x1="{side}" y1="{top + BAR_HEIGHT}" x2="{width - side}" y2="{top + BAR_HEIGHT}" '
        f'stroke="{ZERO_STROKE}" stroke-width="1" aria-hidden="true"/>\n',
    ]
    labelled = _year_labels([y for y, _ in items])
    for i, (year, count) in enumerate(items):
        x = side + i * BAR_STEP + (BAR_STEP - BAR_WIDTH) / 2
        cx = x + BAR_WIDTH / 2
        if count:
            h = max(2.0, round(count / peak * BAR_HEIGHT, 1))
            label = f"{year}{' : ' if lang == 'fr' else ': '}{_n(count, lang)}"
            bar = (
                f"<title>{_e(label)}</title>"
                f'<rect x="{x:g}" y="{top + BAR_HEIGHT - h:g}" width="{BAR_WIDTH}" height="{h:g}" fill="{BAR_FILL}"/>'
                f'<text x="{cx:g}" y="{top + BAR_HEIGHT - h - 4:g}" font-size="11" text-anchor="middle" '
                f'fill="#1a1a1a" aria-hidden="true">{count}</text>'
            )
            url = _href(link, "year", str(year))
            if url:
                out.append(f'<a href="{_e(url)}" class="bar" aria-label="{_e(label)}">{bar}</a>\n')
            else:
                out.append(f'<g class="bar" role="img" aria-label="{_e(label)}">{bar}</g>\n')
        if year in labelled:
            out.append(
                f'<text x="{cx:g}" y="{top + BAR_HEIGHT + 16}" font-size="11" text-anchor="middle" '
                f'fill="#1a1a1a" aria-hidden="true">{year}</text>\n'
            )
    out.append("</svg>")
    if table:
        out.append(
            f"<details><summary>{_e(ui['data'])}</summary>"
            f"{year_table(per_year, lang, link, id_prefix=f'{prefix}-table')}</details>"
        )
    out.append("</figure>")
    return "".join(out)


def _year_labels(years: list[int]) -> set[int]:
    """Years to print under the axis: all when few, else multiples of 5 and the two ends."""
    if len(years) <= 12:
        return set(years)
    shown = {y for y in years if y % 5 == 0}
    for end in (years[0], years[-1]):
        if all(abs(end - y) > 2 for y in shown):
            shown.add(end)
    return shown


def year_table(
    per_year: YearCounts, lang: str = "fr", link: Link | None = None, *, id_prefix: str = "years-table"
) -> str:
    """Entries per year as an HTML table (every year of the range; 0 marked ``empty``)."""
    ui = _ui(lang)
    out = [
        f'<table class="kb-chart kb-years-table" id="{_prefix(id_prefix)}"><caption>{_e(ui["years_title"])}</caption>',
        f'<thead><tr><th scope="col">{_e(ui["year"])}</th><th scope="col">{_e(ui["entry"][1].capitalize())}</th>'
        f"</tr></thead>\n<tbody>",
    ]
    for year, count in per_year.items():
        cell = f"<td>{_a(_href(link, 'year', str(year)), str(count))}</td>" if count else '<td class="empty">0</td>'
        out.append(f'<tr><th scope="row">{year}</th>{cell}</tr>\n')
    out.append("</tbody></table>")
    return "".join(out)


# --------------------------------------------------------------------------- who


def partner_type_table(
    table: CrossTable,
    vocabularies: Vocabularies,
    lang: str = "fr",
    link: Link | None = None,
    cell_link: CellLink | None = None,
    *,
    id_prefix: str = "partners",
    hide_empty: bool = True,
) -> str:
    """Partners (rows) x types (columns) as an HTML table, heat classes as ``matrix_table``.

    Partners show their short name (``abbr``), with the full name in an ``<abbr title>`` when
    different; they link to ``link("partners", id)``, types to ``link("type", id)``, cells to
    ``cell_link(partner, type)``. ``hide_empty`` (default) leaves out the partners no entry names
    and the types no entry has. A last row counts the entries that name no partner.
    """
    ui = _ui(lang)
    keep_columns = [j for j, t in enumerate(table.column_totals) if t or not hide_empty]
    columns = []
    for j in keep_columns:
        type_id = table.columns[j]
        plain = _label(vocabularies, "type", type_id, lang)
        columns.append((_e(plain), _href(link, "type", type_id), plain))
    rows = []
    for partner, counts, total in zip(table.rows, table.counts, table.row_totals):
        if hide_empty and not total:
            continue
        short = _partner_short(vocabularies, partner, lang)
        full = _label(vocabularies, "partners", partner, lang)
        label_html = _e(short) if short == full else f'<abbr title="{_e(full)}">{_e(short)}</abbr>'
        kept = [counts[j] for j in keep_columns]
        urls = [_href(cell_link, partner, table.columns[j]) if counts[j] else None for j in keep_columns]
        rows.append((label_html, _href(link, "partners", partner), kept, urls, total, full))
    if table.none or not hide_empty:
        kept = [table.none_by_column[j] for j in keep_columns] if table.none_by_column else [0] * len(keep_columns)
        rows.append((_e(ui["no_partner"]), None, kept, [None] * len(kept), table.none, ui["no_partner"]))

    def cell_label(count: int, row: str, column: str) -> str:
        return ui["cell"].format(count=_n(count, lang), row=row, column=column)

    return _cross_table(
        _prefix(id_prefix),
        "kb-partners",
        ui["partners_caption"],
        ui["partner"],
        columns,
        rows,
        (ui["total"], [table.column_totals[j] for j in keep_columns], sum(table.column_totals)),
        lang,
        cell_label,
    )
