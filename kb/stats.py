"""Figures about the inventory: which scale, which criteria, which partners, where, when.

Pure functions over a list of ``Entry`` and the ``Vocabularies``: no files, no SQL, no
randomness. Every figure is a small frozen dataclass with ``as_dict()`` (for ``kb stats --json``
and the site). Rows and columns follow the vocabulary order; a value that is not in its
vocabulary (only possible for hand-made ``Entry`` objects, since ``kb check`` refuses them)
comes after the vocabulary values, sorted. Empty cells are kept: they show what nobody has
studied.

Coverage rules (``coverage()``)
-------------------------------
What an entry is to a commune or a bassin is decided once, in ``kb.entries.territories``: it is
*own* (about the area itself) or *broader* (about a territory around it or overlapping it). Here
the broader ones are split by where they come from:

``local`` -- own: a commune's entries that list it; a bassin's that list it or one of the
    communes wholly inside it.
``partial`` -- broader, through a bassin: for a commune, the entries that list one of its
    bassins (an entry on Bassin Nord may concern Laeken, not the Pentagone); for a bassin, those
    that list a commune it shares (an entry on Bruxelles-Ville may concern only its south).
``regional`` -- broader, and only through the whole region (``region``): it covers every commune
    and bassin but says nothing specific about them.

``local_count`` is the number of own entries (the figure the tile map colours), and
``total_count`` the number of entries covering the area at all (own and broader): the same
figures as ``kb search --territory`` and the site's search. An entry with no known territory at
all is ``unspecified``. ``Coverage.regional`` lists every entry that lists ``region``, whatever
else it lists.

Why one module of some 500 lines: every figure the site and ``kb stats`` show is computed here,
from the same entries with the same ordering rule (``_order``) and the same levels, so a count
on a chart, in the text report and in ``--json`` cannot disagree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

from kb import i18n
from kb.entries import territories
from kb.entries.schema import Entry
from kb.entries.vocab import Vocabularies

__all__ = [
    "Matrix",
    "AreaCoverage",
    "Coverage",
    "CrossTable",
    "YearCounts",
    "Summary",
    "matrix",
    "coverage",
    "partners_by_type",
    "per_year",
    "summary",
    "levels",
    "communes",
    "bassins",
    "regions",
    "text_report",
]


def _order(known: Iterable[str], seen: Iterable[str]) -> tuple[str, ...]:
    """Vocabulary ids in their order, then any other id seen, sorted."""
    known = tuple(known)
    extra = sorted(set(seen) - set(known))
    return known + tuple(extra)


def levels(values: Iterable[int], steps: int = 4) -> dict[int, int]:
    """Map each count to an intensity level: 0 for 0, then 1..``steps`` by rank.

    The distinct non-zero counts are sorted and cut into ``steps`` groups of equal size
    (quantiles of the distinct values, so one very large count does not flatten the rest);
    the largest count always gets ``steps``. Deterministic; used by the heat-map classes and
    the tile-map fills.
    """
    distinct = sorted({v for v in values if v > 0})
    result = {0: 0}
    k = len(distinct)
    for i, value in enumerate(distinct):
        result[value] = steps - ((k - 1 - i) * steps) // k
    return result


# --------------------------------------------------------------------------- scale x criteria


@dataclass(frozen=True)
class Matrix:
    """Entries by scale (rows) and criterion (columns), or by scale and basis when ``dimension``
    is ``"basis"`` (the columns are then bases, still in ``criteria``: one shape, two questions).

    ``counts[i][j]`` is the number of entries that have both ``scales[i]`` and ``criteria[j]``.
    ``row_totals[i]`` is the number of entries with ``scales[i]`` (an entry with two criteria
    is counted once, so it is not the sum of the row); ``column_totals`` likewise; ``total``
    is the number of entries.
    """

    scales: tuple[str, ...]
    criteria: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    row_totals: tuple[int, ...]
    column_totals: tuple[int, ...]
    total: int
    dimension: str = "criteria"
    tagged: int = 0  # entries with a column value: every entry has criteria, not every one a basis

    @property
    def empty_cells(self) -> tuple[tuple[str, str], ...]:
        """(scale, criterion) pairs no entry has: what nobody has studied."""
        return tuple(
            (s, c) for i, s in enumerate(self.scales) for j, c in enumerate(self.criteria) if not self.counts[i][j]
        )

    @property
    def max(self) -> int:
        return max((n for row in self.counts for n in row), default=0)

    def as_dict(self) -> dict[str, Any]:
        return {
            "scales": list(self.scales),
            self.dimension: list(self.criteria),
            "counts": {s: dict(zip(self.criteria, row)) for s, row in zip(self.scales, self.counts)},
            "row_totals": dict(zip(self.scales, self.row_totals)),
            "column_totals": dict(zip(self.criteria, self.column_totals)),
            "total": self.total,
            "empty_cells": len(self.empty_cells),
        }


def matrix(entries: Sequence[Entry], vocabularies: Vocabularies, dimension: str = "criteria") -> Matrix:
    """One row per scale, one column per criterion (or basis: ``dimension="basis"``), each cell
    the entries having both."""
    scales = _order((t.id for t in vocabularies.for_field("scale")), (s for e in entries for s in e.scale))
    criteria = _order(
        (t.id for t in vocabularies.for_field(dimension)), (c for e in entries for c in e.tags()[dimension])
    )
    cells: Counter[tuple[str, str]] = Counter()
    rows: Counter[str] = Counter()
    columns: Counter[str] = Counter()
    for entry in entries:
        scale_set, criteria_set = set(entry.scale), set(entry.tags()[dimension])
        if not criteria_set:  # (an entry without a basis is left out of the scale x basis table)
            continue
        rows.update(scale_set)
        columns.update(criteria_set)
        cells.update((s, c) for s in scale_set for c in criteria_set)
    return Matrix(
        scales=scales,
        criteria=criteria,
        counts=tuple(tuple(cells[(s, c)] for c in criteria) for s in scales),
        row_totals=tuple(rows[s] for s in scales),
        column_totals=tuple(columns[c] for c in criteria),
        total=len(entries),
        dimension=dimension,
        tagged=sum(1 for e in entries if e.tags()[dimension]),
    )


# --------------------------------------------------------------------------- coverage


def regions(vocabularies: Vocabularies) -> tuple[str, ...]:
    """Territory ids that stand for the whole region."""
    return tuple(t.id for t in vocabularies["territories"] if t.extra.get("kind") == "region")


def communes(vocabularies: Vocabularies) -> tuple[str, ...]:
    """The communes' NIS codes, in vocabulary order."""
    return tuple(t.id for t in vocabularies["territories"] if t.extra.get("kind") == "commune")


def bassins(vocabularies: Vocabularies) -> dict[str, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Bassin id -> (communes wholly inside it, communes partly inside it), vocabulary order."""
    return {
        t.id: (tuple(str(c) for c in t.extra.get("communes", ())), tuple(str(c) for c in t.extra.get("partial", ())))
        for t in vocabularies["territories"]
        if t.extra.get("kind") == "bassin"
    }


@dataclass(frozen=True)
class AreaCoverage:
    """The entries covering one commune or bassin (see the module docstring for the rules).

    ``bassins`` (for a commune) are the bassins it is wholly in, then those it shares
    (``shared``); for a bassin, ``communes`` are its whole communes and ``shared`` its partial
    ones. Entry ids are sorted.
    """

    id: str
    kind: str
    local: tuple[str, ...]
    regional: tuple[str, ...]
    partial: tuple[str, ...]
    bassins: tuple[str, ...] = ()
    communes: tuple[str, ...] = ()
    shared: tuple[str, ...] = ()

    @property
    def local_count(self) -> int:
        return len(self.local)

    @property
    def regional_count(self) -> int:
        return len(self.regional)

    @property
    def partial_count(self) -> int:
        return len(self.partial)

    @property
    def total_count(self) -> int:
        return len(self.local) + len(self.regional) + len(self.partial)

    @property
    def with_regional(self) -> int:
        """Local entries plus the whole-region ones (partial ones left out)."""
        return len(self.local) + len(self.regional)

    def as_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = {"id": self.id, "kind": self.kind}
        if self.kind == "commune":
            result["bassins"] = list(self.bassins)
        else:
            result["communes"] = list(self.communes)
        result["shared"] = list(self.shared)
        result.update(
            local=self.local_count,
            regional=self.regional_count,
            partial=self.partial_count,
            with_regional=self.with_regional,
            total=self.total_count,
            entries=list(self.local),
            partial_entries=list(self.partial),
        )
        return result


@dataclass(frozen=True)
class Coverage:
    """Where: per commune, per bassin, the whole region, and the entries that do not say."""

    communes: tuple[AreaCoverage, ...]
    bassins: tuple[AreaCoverage, ...]
    regional: tuple[str, ...]
    unspecified: tuple[str, ...]

    def commune(self, nis: str) -> AreaCoverage:
        return next(a for a in self.communes if a.id == nis)

    def bassin(self, bassin_id: str) -> AreaCoverage:
        return next(a for a in self.bassins if a.id == bassin_id)

    def as_dict(self) -> dict[str, Any]:
        return {
            "communes": [a.as_dict() for a in self.communes],
            "bassins": [a.as_dict() for a in self.bassins],
            "regional": len(self.regional),
            "regional_entries": list(self.regional),
            "unspecified": len(self.unspecified),
            "unspecified_entries": list(self.unspecified),
        }


def coverage(entries: Sequence[Entry], vocabularies: Vocabularies) -> Coverage:
    """For each commune and bassin, the entries covering it (rules in the module docstring)."""
    geo = territories.geography(vocabularies)
    region_ids = set(geo.regions)
    ordered = sorted(entries, key=lambda e: e.id)

    areas = geo.split_each([*geo.communes, *geo.bassins], ordered)

    def split(area: str) -> tuple[tuple[str, ...], ...]:
        own, broader = areas[area]
        around = geo.reach(area).broader - region_ids  # once per area, not twice per entry
        whole = [around.isdisjoint(e.territories) for e in broader]
        regional = tuple(e.id for e, regionwide in zip(broader, whole) if regionwide)
        partial = tuple(e.id for e, regionwide in zip(broader, whole) if not regionwide)
        return tuple(e.id for e in own), regional, partial

    commune_rows = []
    for nis in geo.communes:
        shared_by = tuple(b for b, (_, part) in geo.bassins.items() if nis in part)
        commune_rows.append(AreaCoverage(nis, "commune", *split(nis), bassins=geo.bassins_of(nis), shared=shared_by))
    bassin_rows = [
        AreaCoverage(bassin_id, "bassin", *split(bassin_id), communes=whole, shared=part)
        for bassin_id, (whole, part) in geo.bassins.items()
    ]
    known = region_ids | set(geo.communes) | set(geo.bassins)
    return Coverage(
        communes=tuple(commune_rows),
        bassins=tuple(bassin_rows),
        regional=tuple(e.id for e in ordered if set(e.territories) & region_ids),
        unspecified=tuple(e.id for e in ordered if not set(e.territories) & known),
    )


# --------------------------------------------------------------------------- partners x type


@dataclass(frozen=True)
class CrossTable:
    """Counts of entries by one dimension (rows) and another (columns).

    For partners x type: ``rows`` are partner ids (vocabulary order, all of them; filter with
    ``row_totals`` to hide the empty ones), ``columns`` type ids; ``none`` is the number of
    entries that name no partner, ``none_by_column`` the same per type.
    """

    row_dimension: str
    column_dimension: str
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]
    row_totals: tuple[int, ...]
    column_totals: tuple[int, ...]
    none: int = 0
    none_by_column: tuple[int, ...] = ()

    def top(self, limit: int | None = None) -> list[tuple[str, int]]:
        """Non-empty rows, largest total first (ties in vocabulary order)."""
        ranked = sorted(((r, t) for r, t in zip(self.rows, self.row_totals) if t), key=lambda item: -item[1])
        return ranked[:limit] if limit is not None else ranked

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.row_dimension,
            "columns": self.column_dimension,
            "counts": {
                r: {c: n for c, n in zip(self.columns, row) if n}
                for r, row, total in zip(self.rows, self.counts, self.row_totals)
                if total
            },
            "row_totals": {r: t for r, t in zip(self.rows, self.row_totals) if t},
            "column_totals": dict(zip(self.columns, self.column_totals)),
            "none": self.none,
            "none_by_column": dict(zip(self.columns, self.none_by_column)),
        }


def partners_by_type(entries: Sequence[Entry], vocabularies: Vocabularies) -> CrossTable:
    """Who produced what: for each partner (``partners`` field) and type, the entries with both.

    Only the ``partners`` field counts (it is the one the site filters on); free-text
    ``organisations`` are left out.
    """
    types = _order((t.id for t in vocabularies.for_field("type")), (e.type for e in entries))
    partners = _order((t.id for t in vocabularies.for_field("partners")), (p for e in entries for p in e.partners))
    cells: Counter[tuple[str, str]] = Counter()
    by_type: Counter[str] = Counter()
    none: Counter[str] = Counter()
    for entry in entries:
        by_type[entry.type] += 1
        if not entry.partners:
            none[entry.type] += 1
        cells.update((p, entry.type) for p in set(entry.partners))
    counts = tuple(tuple(cells[(p, t)] for t in types) for p in partners)
    return CrossTable(
        row_dimension="partners",
        column_dimension="type",
        rows=partners,
        columns=types,
        counts=counts,
        row_totals=tuple(sum(row) for row in counts),  # an entry has one type: no double count
        column_totals=tuple(by_type[t] for t in types),
        none=sum(none.values()),
        none_by_column=tuple(none[t] for t in types),
    )


# --------------------------------------------------------------------------- years


@dataclass(frozen=True)
class YearCounts:
    """Entries per year, every year from the first to the last (0 for the gaps)."""

    years: tuple[int, ...]
    counts: tuple[int, ...]

    def items(self) -> list[tuple[int, int]]:
        return list(zip(self.years, self.counts))

    @property
    def max(self) -> int:
        return max(self.counts, default=0)

    def as_dict(self) -> dict[str, int]:
        return {str(y): n for y, n in zip(self.years, self.counts)}


def per_year(entries: Sequence[Entry]) -> YearCounts:
    """Entries per year, sorted, with the years in between that have none."""
    counts = Counter(e.year for e in entries)
    if not counts:
        return YearCounts((), ())
    years = tuple(range(min(counts), max(counts) + 1))
    return YearCounts(years, tuple(counts[y] for y in years))


# --------------------------------------------------------------------------- summary


@dataclass(frozen=True)
class Summary:
    """Every figure at once: totals by language and type (vocabulary order, zeros kept), the
    scale x criteria matrix, the coverage, partners x type and entries per year."""

    total: int
    by_language: tuple[tuple[str, int], ...]
    by_type: tuple[tuple[str, int], ...]
    matrix: Matrix
    coverage: Coverage
    partners: CrossTable
    years: YearCounts
    basis_matrix: Matrix

    def as_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "by_language": dict(self.by_language),
            "by_type": dict(self.by_type),
            "matrix": self.matrix.as_dict(),
            "basis_matrix": self.basis_matrix.as_dict(),
            "coverage": self.coverage.as_dict(),
            "partners_by_type": self.partners.as_dict(),
            "per_year": self.years.as_dict(),
        }


def summary(entries: Sequence[Entry], vocabularies: Vocabularies) -> Summary:
    """Every figure at once, plus the totals by language and type (all values, zeros kept)."""
    languages = Counter(e.language for e in entries)
    types = Counter(e.type for e in entries)
    language_ids = _order((t.id for t in vocabularies.for_field("language")), languages)
    type_ids = _order((t.id for t in vocabularies.for_field("type")), types)
    return Summary(
        total=len(entries),
        by_language=tuple((lang, languages[lang]) for lang in language_ids),
        by_type=tuple((t, types[t]) for t in type_ids),
        matrix=matrix(entries, vocabularies),
        coverage=coverage(entries, vocabularies),
        partners=partners_by_type(entries, vocabularies),
        years=per_year(entries),
        basis_matrix=matrix(entries, vocabularies, "basis"),
    )


# --------------------------------------------------------------------------- plain text


def _matrix_text(grid: Matrix, name: str, lang: str) -> list[str]:
    """A matrix for a terminal: ids, columns numbered and listed below."""
    entries = i18n.t(lang, "stats.entries")
    lines = ["", i18n.t(lang, "stats.matrix", name=name)]
    width = max((len(s) for s in (*grid.scales, entries)), default=7)
    cell = max(3, len(str(grid.max)) + 1, len(str(len(grid.criteria))) + 1)
    every = i18n.t(lang, "stats.all")
    lines.append(" " * width + "".join(f"{j:>{cell}}" for j in range(1, len(grid.criteria) + 1)) + f" | {every:>4}")
    for scale, row, total in zip(grid.scales, grid.counts, grid.row_totals):
        lines.append(f"{scale:<{width}}" + "".join(f"{(n or '.'):>{cell}}" for n in row) + f" | {total:>4}")
    lines.append(f"{entries:<{width}}" + "".join(f"{n:>{cell}}" for n in grid.column_totals) + f" | {grid.total:>4}")
    cells = len(grid.scales) * len(grid.criteria)
    lines.append(i18n.t(lang, "stats.empty_cells", empty=len(grid.empty_cells), cells=cells, name=name.capitalize()))
    lines.extend(f"  {j:>2} {value}" for j, value in enumerate(grid.criteria, 1))
    return lines


def text_report(
    figures: Summary, vocabularies: Vocabularies, lang: str = "en", top: int = 12, bar_width: int = 40
) -> str:
    """The figures as plain text for a terminal (``kb stats``), its words in ``lang``: ids
    rather than labels, but for the territories' names (French or Dutch: the names the region
    uses; French in an English report)."""
    lines: list[str] = []
    add = lines.append

    def t(key: str, **values: object) -> str:
        return i18n.t(lang, key, **values)

    add(t("stats.totals", total=figures.total, languages=", ".join(f"{k} {n}" for k, n in figures.by_language)))
    add(t("stats.types", types=", ".join(f"{k} {n}" for k, n in figures.by_type)))

    for grid, name in ((figures.matrix, "criteria"), (figures.basis_matrix, "bases")):
        lines.extend(_matrix_text(grid, name, lang))
    add("  " + t("stats.no_basis", n=figures.total - figures.basis_matrix.tagged))

    cover = figures.coverage
    territories = vocabularies["territories"]
    names = lang if lang in i18n.UI_LANGS else "fr"
    add("")
    add(t("stats.where", regional=len(cover.regional)))
    own, partly, regional = t("stats.own"), t("stats.partly"), t("stats.with_region")
    name_width = max((len(territories.label(a.id, names)) for a in (*cover.communes, *cover.bassins)), default=10)
    id_width = max((len(a.id) for a in (*cover.communes, *cover.bassins)), default=5)
    for group in (cover.communes, cover.bassins):
        for area in group:
            name = territories.label(area.id, names)
            add(
                f"  {area.id:<{id_width}} {name:<{name_width}}  {own} {area.local_count:>3}"
                f"  {partly} {area.partial_count:>3}  {regional} {area.with_regional:>3}"
            )
        add("")
    add("  " + t("stats.whole_region", regional=len(cover.regional), unspecified=len(cover.unspecified)))

    table = figures.partners
    add("")
    add(t("stats.who", top=top, none=table.none))
    ranked = table.top(top)
    pad = max((len(p) for p, _ in ranked), default=8)
    for partner, total in ranked:
        row = table.counts[table.rows.index(partner)]
        detail = ", ".join(f"{kind} {n}" for kind, n in zip(table.columns, row) if n)
        add(f"  {partner:<{pad}} {total:>3}  {detail}")
    if len(table.top()) > top:
        add("  " + t("stats.more_partners", n=len(table.top()) - top))

    years = figures.years
    add("")
    add(t("stats.when"))
    per_mark = max(1, -(-years.max // bar_width))
    for year, count in years.items():
        add(f"  {year}  {count:>3} {'#' * -(-count // per_mark)}".rstrip())
    if per_mark > 1:
        add("  " + t("stats.per_mark", n=per_mark))
    return "\n".join(lines)
