"""kb.stats, kb.charts and `kb stats`.

The figures are checked against counts made here, independently: the front matter of the
starter entries is read with yaml.safe_load (not kb.entry) and the vocabularies straight from
their YAML files. The coverage rules are checked on hand-made entries; the charts are parsed
(xml.etree, html.parser) and, once, checked in Chromium with axe-core and with the Nu Html
Checker.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import MINIMAL, STARTER, make_entry
from kb.site import charts
from kb.entries import inventory
from kb import stats
from kb.entries import vocab
from kb.cli import cli
from kb.entries.schema import Entry

VOCAB_DIR = Path(vocab.__file__).parent.parent / "vocabularies"
SVG = "{http://www.w3.org/2000/svg}"


# --------------------------------------------------------------------------- independent reading


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def read_fronts(directory: Path) -> dict[str, dict[str, Any]]:
    """Entry id -> front matter, read with yaml.safe_load; list fields as lists of text."""
    fronts = {}
    for path in sorted(directory.glob("*.md")):
        if path.name.lower() == "readme.md":
            continue
        text = path.read_text(encoding="utf-8")
        assert text.startswith("---\n"), path
        front = yaml.safe_load(text.split("---\n", 2)[1])
        for key in ("scale", "criteria", "partners", "territories"):
            front[key] = _as_list(front.get(key))
        front["year"] = int(front["year"])
        fronts[path.stem] = front
    return fronts


def read_vocab(name: str) -> list[dict[str, Any]]:
    return yaml.safe_load((VOCAB_DIR / f"{name}.yaml").read_text(encoding="utf-8"))


def ids(name: str, kind: str | None = None) -> list[str]:
    return [str(t["id"]) for t in read_vocab(name) if kind is None or t.get("kind") == kind]


@pytest.fixture(scope="module")
def fronts() -> dict[str, dict[str, Any]]:
    return read_fronts(STARTER)


@pytest.fixture(scope="module")
def vocabularies() -> vocab.Vocabularies:
    return vocab.load()


@pytest.fixture(scope="module")
def entries(vocabularies: vocab.Vocabularies) -> list[Entry]:
    result = inventory.load([STARTER], vocabularies)
    assert not result.errors, result.errors
    return result.entries


@pytest.fixture(scope="module")
def figures(entries: list[Entry], vocabularies: vocab.Vocabularies) -> stats.Summary:
    return stats.summary(entries, vocabularies)


def test_starter_inventory_is_read_whole(fronts: dict, entries: list[Entry]) -> None:
    assert sorted(e.id for e in entries) == sorted(fronts)
    assert len(fronts) >= 40


# --------------------------------------------------------------------------- figures vs hand counts


def test_matrix_counts_every_scale_and_criterion(fronts: dict, figures: stats.Summary) -> None:
    scales, criteria = ids("scales"), ids("criteria")
    grid = figures.matrix
    assert list(grid.scales) == scales
    assert list(grid.criteria) == criteria
    assert len(grid.counts) == len(scales) and all(len(row) == len(criteria) for row in grid.counts)
    for i, scale in enumerate(scales):
        for j, criterion in enumerate(criteria):
            expected = sum(1 for f in fronts.values() if scale in f["scale"] and criterion in f["criteria"])
            assert grid.counts[i][j] == expected, (scale, criterion)
        assert grid.row_totals[i] == sum(1 for f in fronts.values() if scale in f["scale"])
    for j, criterion in enumerate(criteria):
        assert grid.column_totals[j] == sum(1 for f in fronts.values() if criterion in f["criteria"])
    assert grid.total == len(fronts)


def test_matrix_keeps_the_empty_cells(fronts: dict, figures: stats.Summary) -> None:
    empty = {
        (s, c)
        for s in ids("scales")
        for c in ids("criteria")
        if not any(s in f["scale"] and c in f["criteria"] for f in fronts.values())
    }
    assert empty, "the starter inventory leaves some scale x criterion unstudied"
    assert set(figures.matrix.empty_cells) == empty
    as_dict = figures.matrix.as_dict()
    scale, criterion = sorted(empty)[0]
    assert as_dict["counts"][scale][criterion] == 0
    assert as_dict["empty_cells"] == len(empty)


def test_per_year_fills_the_gaps(fronts: dict, figures: stats.Summary) -> None:
    years = Counter(f["year"] for f in fronts.values())
    expected = [(y, years.get(y, 0)) for y in range(min(years), max(years) + 1)]
    assert figures.years.items() == expected
    assert 0 in figures.years.counts, "the starter inventory has years without entries"
    assert sum(figures.years.counts) == len(fronts)
    assert figures.years.as_dict() == {str(y): n for y, n in expected}


def test_per_year_of_nothing_is_empty() -> None:
    assert stats.per_year([]).items() == []
    assert stats.per_year([]).as_dict() == {}


def test_partners_by_type(fronts: dict, figures: stats.Summary) -> None:
    table = figures.partners
    assert list(table.rows) == ids("partners")
    assert list(table.columns) == ids("types")
    for partner in ids("partners"):
        for type_id in ids("types"):
            expected = sum(1 for f in fronts.values() if partner in f["partners"] and f["type"] == type_id)
            assert table.counts[table.rows.index(partner)][table.columns.index(type_id)] == expected, (partner, type_id)
        assert table.row_totals[table.rows.index(partner)] == sum(
            1 for f in fronts.values() if partner in f["partners"]
        )
    assert table.none == sum(1 for f in fronts.values() if not f["partners"])
    assert list(table.column_totals) == [sum(1 for f in fronts.values() if f["type"] == t) for t in ids("types")]
    top = table.top(3)
    assert [n for _, n in top] == sorted((n for _, n in top), reverse=True)
    assert top[0][1] == max(table.row_totals)


def test_summary_totals(fronts: dict, figures: stats.Summary) -> None:
    assert figures.total == len(fronts)
    assert dict(figures.by_language) == {
        lang: sum(1 for f in fronts.values() if f["language"] == lang) for lang in ids("languages")
    }
    assert [t for t, _ in figures.by_type] == ids("types")
    assert dict(figures.by_type) == {t: sum(1 for f in fronts.values() if f["type"] == t) for t in ids("types")}
    data = json.loads(json.dumps(figures.as_dict()))
    assert set(data) == {
        "total",
        "by_language",
        "by_type",
        "matrix",
        "basis_matrix",
        "coverage",
        "partners_by_type",
        "per_year",
    }


def expected_coverage(fronts: dict) -> dict[str, tuple[set, set, set]]:
    """Area id -> (local, regional, partial) entry ids, by the documented rules, from raw YAML."""
    territories = read_vocab("territories")
    region = {str(t["id"]) for t in territories if t.get("kind") == "region"}
    bassins = {
        t["id"]: ({str(c) for c in t.get("communes", [])}, {str(c) for c in t.get("partial", [])})
        for t in territories
        if t.get("kind") == "bassin"
    }
    result: dict[str, tuple[set, set, set]] = {}
    for area in ids("territories", "commune") + list(bassins):
        local, regional, partial = set(), set(), set()
        for entry_id, front in fronts.items():
            places = set(front["territories"])
            if area in bassins:
                whole, part = bassins[area]
                is_local = area in places or bool(places & whole)
                through = places & part  # a commune it shares
            else:
                is_local = area in places
                through = places & {b for b, (whole, part) in bassins.items() if area in whole | part}
            if is_local:
                local.add(entry_id)
            elif through:
                partial.add(entry_id)
            elif places & region:
                regional.add(entry_id)
        result[area] = (local, regional, partial)
    return result


def test_coverage_of_the_starter_inventory(fronts: dict, figures: stats.Summary) -> None:
    cover = figures.coverage
    assert [a.id for a in cover.communes] == ids("territories", "commune")
    assert len(cover.communes) == 19
    assert [a.id for a in cover.bassins] == ids("territories", "bassin")
    assert len(cover.bassins) == 5
    for area, (local, regional, partial) in expected_coverage(fronts).items():
        got = cover.commune(area) if area.isdigit() else cover.bassin(area)
        assert (set(got.local), set(got.regional), set(got.partial)) == (local, regional, partial), area
        assert got.local_count == len(local)
        assert got.with_regional == len(local) + len(regional)
        assert got.total_count == len(local | regional | partial)
    assert set(cover.regional) == {i for i, f in fronts.items() if "region" in f["territories"]}
    assert set(cover.unspecified) == {i for i, f in fronts.items() if not f["territories"]}
    data = cover.as_dict()
    assert data["regional"] == len(cover.regional)
    assert [c["id"] for c in data["communes"]] == ids("territories", "commune")


# --------------------------------------------------------------------------- coverage rules

RULE_ENTRIES = {
    "sur-bruxelles": '["21004"]',
    "sur-ixelles": '["21009"]',
    "sur-bassin-nord": "[bassin_nord]",
    "trois-bassins-de-bruxelles": "[bassin_nord, bassin_sud, bassin_centre_ouest]",
    "toute-la-region": "[region]",
    "region-et-jette": '[region, "21010"]',
    "region-et-bassin-nord": "[region, bassin_nord]",
    "sans-territoire": None,
}


@pytest.fixture
def rules(tmp_path: Path, vocabularies: vocab.Vocabularies) -> stats.Coverage:
    folder = tmp_path / "rules"
    folder.mkdir()
    for number, (name, territories) in enumerate(RULE_ENTRIES.items()):
        front = MINIMAL.replace('title: "Une étude"', f'title: "Étude numéro {number} {name}"')
        if territories:
            front += f"territories: {territories}\n"
        make_entry(folder, name, front)
    result = inventory.load([folder], vocabularies)
    assert not result.errors, result.errors
    assert len(result.entries) == len(RULE_ENTRIES)
    return stats.coverage(result.entries, vocabularies)


def test_a_commune_covers_itself_and_its_bassin(rules: stats.Coverage) -> None:
    ixelles = rules.commune("21009")
    assert "sur-ixelles" in ixelles.local
    assert "sur-ixelles" in rules.bassin("bassin_sud").local
    for other in ("bassin_nord", "bassin_nord_est", "bassin_sud_est", "bassin_centre_ouest"):
        assert "sur-ixelles" not in rules.bassin(other).local + rules.bassin(other).partial
    assert "sur-ixelles" not in rules.commune("21007").local  # Forest, same bassin


def test_a_bassin_is_broader_for_its_communes(rules: stats.Coverage) -> None:
    for nis in ("21003", "21008", "21010", "21011", "21004"):
        area = rules.commune(nis)
        assert "sur-bassin-nord" in area.partial and "sur-bassin-nord" not in area.local, nis
    assert "sur-bassin-nord" in rules.bassin("bassin_nord").local
    assert "sur-bassin-nord" not in rules.commune("21001").local + rules.commune("21001").partial


def test_a_shared_commune_counts_partly_for_its_bassins(rules: stats.Coverage) -> None:
    # Bruxelles-Ville is partly in Nord, Sud and Centre-Ouest.
    for bassin in ("bassin_nord", "bassin_sud", "bassin_centre_ouest"):
        area = rules.bassin(bassin)
        assert "sur-bruxelles" in area.partial and "sur-bruxelles" not in area.local, bassin
    assert "sur-bruxelles" not in rules.bassin("bassin_nord_est").partial
    assert rules.commune("21004").local == ("sur-bruxelles",)
    assert rules.commune("21004").partial == ("region-et-bassin-nord", "sur-bassin-nord", "trois-bassins-de-bruxelles")


def test_whole_region_entries_are_counted_apart(rules: stats.Coverage) -> None:
    assert rules.regional == ("region-et-bassin-nord", "region-et-jette", "toute-la-region")
    for area in (*rules.communes, *rules.bassins):
        assert "toute-la-region" in area.regional and "toute-la-region" not in area.local, area.id
    # Naming a place as well makes the entry local there, regional elsewhere.
    assert "region-et-jette" in rules.commune("21010").local
    assert "region-et-jette" in rules.bassin("bassin_nord").local
    assert "region-et-jette" in rules.commune("21009").regional
    # A bassin named besides the region: broader through the bassin, not the region.
    assert "region-et-bassin-nord" in rules.commune("21004").partial
    jette = rules.commune("21010")
    assert jette.local == ("region-et-jette",)
    assert jette.partial == ("region-et-bassin-nord", "sur-bassin-nord", "trois-bassins-de-bruxelles")
    assert jette.regional == ("toute-la-region",)
    assert jette.local_count == 1 and jette.regional_count == 1 and jette.with_regional == 2 and jette.total_count == 5


def test_entries_without_territories_are_unspecified(rules: stats.Coverage) -> None:
    assert rules.unspecified == ("sans-territoire",)
    for area in (*rules.communes, *rules.bassins):
        assert "sans-territoire" not in area.local + area.regional + area.partial


def test_each_entry_is_in_at_most_one_group_per_area(rules: stats.Coverage) -> None:
    for area in (*rules.communes, *rules.bassins):
        together = area.local + area.regional + area.partial
        assert len(together) == len(set(together)) == area.total_count


def test_levels_rank_the_distinct_counts() -> None:
    assert stats.levels([]) == {0: 0}
    assert stats.levels([0, 5]) == {0: 0, 5: 4}
    mapping = stats.levels([1, 2, 3, 4, 40, 0])
    assert mapping[0] == 0 and mapping[40] == 4
    assert [mapping[n] for n in (1, 2, 3, 4, 40)] == sorted(mapping[n] for n in (1, 2, 3, 4, 40))
    assert set(mapping.values()) == {0, 1, 2, 3, 4}


# --------------------------------------------------------------------------- charts


def link(dimension: str, value: str) -> str:
    return f"../{dimension}/{value}/"


def cell_link(row: str, column: str) -> str:
    return f"../matrix/{row}/{column}/"


def parse(fragment: str) -> ET.Element:
    """The fragment must be well-formed: every chart is also valid XML."""
    return ET.fromstring(f"<root>{fragment}</root>")


def local_name(element: ET.Element) -> str:
    return element.tag.rsplit("}", 1)[-1]


def text_of(element: ET.Element) -> str:
    return "".join(element.itertext()).strip()


def test_matrix_table_has_a_row_per_scale_and_a_column_per_criterion(
    figures: stats.Summary, vocabularies: vocab.Vocabularies
) -> None:
    grid = figures.matrix
    table = parse(charts.matrix_table(grid, vocabularies, "fr", cell_link, link=link)).find("table")
    assert table.find("caption") is not None and text_of(table.find("caption"))
    headers = table.findall("thead/tr/th")
    assert all(th.get("scope") == "col" for th in headers)
    assert [text_of(th) for th in headers[1:-1]] == [vocabularies.label("criteria", c, "fr") for c in grid.criteria]
    rows = table.findall("tbody/tr")
    assert len(rows) == len(grid.scales)
    empties = 0
    for scale, row, counts in zip(grid.scales, rows, grid.counts):
        th = row.find("th")
        assert th.get("scope") == "row" and text_of(th) == vocabularies.label("scale", scale, "fr")
        assert th.find("a").get("href") == link("scale", scale)
        cells = row.findall("td")
        assert len(cells) == len(grid.criteria) + 1
        for criterion, cell, count in zip(grid.criteria, cells, counts):
            assert text_of(cell) == str(count)
            classes = cell.get("class").split()
            if count:
                anchor = cell.find("a")
                assert anchor.get("href") == cell_link(scale, criterion)
                assert anchor.get("aria-label").startswith(f"{count} fiche")
                assert re.fullmatch(r"n[1-4]", classes[0])
            else:
                empties += 1
                assert classes == ["n0", "empty"] and cell.find("a") is None
        assert text_of(cells[-1]) == str(grid.row_totals[grid.scales.index(scale)])
    assert empties == len(grid.empty_cells)
    footer = [text_of(td) for td in table.findall("tfoot/tr/td")]
    assert footer == [str(n) for n in grid.column_totals] + [str(grid.total)]


def test_matrix_table_heat_classes_grow_with_the_count(
    figures: stats.Summary, vocabularies: vocab.Vocabularies
) -> None:
    table = parse(charts.matrix_table(figures.matrix, vocabularies, "nl", cell_link)).find("table")
    level_of: dict[int, set[int]] = {}
    for cell in table.findall("tbody/tr/td")[:]:
        if "total" in (cell.get("class") or ""):
            continue
        level_of.setdefault(int(text_of(cell)), set()).add(int(cell.get("class").split()[0][1:]))
    assert all(len(levels) == 1 for levels in level_of.values())
    ordered = [next(iter(level_of[n])) for n in sorted(level_of)]
    assert ordered == sorted(ordered) and ordered[0] == 0 and ordered[-1] == 4


def test_tile_map_has_a_linked_named_tile_per_commune(figures: stats.Summary, vocabularies: vocab.Vocabularies) -> None:
    cover = figures.coverage
    figure = parse(charts.tile_map(cover, vocabularies, "fr", link, id_prefix="carte")).find("figure")
    svg = figure.find(f"{SVG}svg")
    assert svg.get("role") == "group"
    title = svg.find(f"{SVG}title")
    desc = svg.find(f"{SVG}desc")
    assert svg.get("aria-labelledby") == title.get("id") == "carte-title"
    assert svg.get("aria-describedby") == desc.get("id") == "carte-desc"
    assert text_of(title) and text_of(desc)
    tiles = svg.findall(f"{SVG}a")
    assert len(tiles) == 19
    territories = {str(t["id"]): t for t in read_vocab("territories")}
    positions = set()
    for area, tile in zip(cover.communes, tiles):
        assert tile.get("href") == link("territories", area.id)
        name = tile.get("aria-label")
        visible = " ".join(text_of(t) for t in tile.iter(f"{SVG}text"))
        assert visible == f"{charts.short_commune(vocabularies, area.id, 'fr')} {area.local_count}"
        assert name.startswith(visible)  # label in name
        assert territories[area.id]["fr"] in name
        assert f"{area.total_count} avec les territoires plus larges" in name
        assert text_of(tile.find(f"{SVG}title")) == name
        rect = tile.find(f"{SVG}rect")
        col, row = territories[area.id]["tile"]
        pad = (charts.TILE_CELL - charts.TILE_SIZE) / 2
        assert (float(rect.get("x")), float(rect.get("y"))) == (
            col * charts.TILE_CELL + pad,
            row * charts.TILE_CELL + pad,
        )
        positions.add((col, row))
        level = int(tile.get("class").split("level-")[1])
        assert rect.get("fill") == charts.FILLS[level]
        assert (level == 0) == (area.local_count == 0)
    assert len(positions) == 19
    bruxelles = tiles[[a.id for a in cover.communes].index("21004")].get("aria-label")
    assert "Bassin Nord (en partie)" in bruxelles
    # Legend: the colour steps and the five bassins with their communes.
    legend = figure.find("figcaption")
    bassin_items = legend.find("ul[@class='kb-legend-bassins']").findall("li")
    assert [li.find("a").get("href") for li in bassin_items[:5]] == [link("territories", b.id) for b in cover.bassins]
    assert "Berchem-Sainte-Agathe" in text_of(bassin_items[0]) and "Bruxelles" in text_of(bassin_items[0])


def test_tile_colours_are_colour_blind_safe_and_readable() -> None:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    def contrast(a: str, b: str) -> float:
        high, low = sorted((luminance(a), luminance(b)), reverse=True)
        return (high + 0.05) / (low + 0.05)

    assert len(charts.FILLS) == len(charts.TEXT_ON_FILL) == 5
    for fill, text in zip(charts.FILLS, charts.TEXT_ON_FILL):
        assert contrast(fill, text) >= 4.5, fill
    lightness = [luminance(f) for f in charts.FILLS]
    assert lightness == sorted(lightness, reverse=True)  # sequential: darker means more
    assert contrast(charts.BAR_FILL, "#ffffff") >= 3


def test_coverage_table_and_bassin_list(figures: stats.Summary, vocabularies: vocab.Vocabularies) -> None:
    cover = figures.coverage
    table = parse(charts.coverage_table(cover, vocabularies, "nl", link)).find("table")
    rows = table.findall("tbody/tr")
    assert len(rows) == 19
    for area, row in zip(cover.communes, rows):
        th = row.find("th")
        assert th.get("scope") == "row" and th.find("a").get("href") == link("territories", area.id)
        assert text_of(th) == vocabularies.label("territories", area.id, "nl")
        nis, bassin, local, partial, total = (text_of(td) for td in row.findall("td"))
        assert nis == area.id
        assert (int(local), int(partial), int(total)) == (area.local_count, area.partial_count, area.total_count)
        assert vocabularies.label("territories", area.bassins[0], "nl") in bassin
    items = parse(charts.bassin_list(cover, vocabularies, "fr", link)).findall(".//li")
    assert len(items) == 5
    for area, item in zip(cover.bassins, items):
        assert item.find("a").get("href") == link("territories", area.id)
        assert f"{area.local_count} fiche" in text_of(item)
        assert {a.get("href") for a in item.findall("a")[1:]} == {
            link("territories", c) for c in area.communes + area.shared
        }


def test_bar_chart_links_every_year_with_entries(figures: stats.Summary) -> None:
    years = figures.years
    figure = parse(charts.bar_chart(years, "fr", link, id_prefix="annees")).find("figure")
    assert local_name(figure[0]) == "figcaption"
    svg = figure.find(f"{SVG}svg")
    assert svg.get("aria-labelledby") == "annees-title" and svg.find(f"{SVG}title").get("id") == "annees-title"
    bars = svg.findall(f"{SVG}a")
    with_entries = [(y, n) for y, n in years.items() if n]
    assert [b.get("href") for b in bars] == [link("year", str(y)) for y, _ in with_entries]
    for bar, (year, count) in zip(bars, with_entries):
        assert bar.get("aria-label") == f"{year} : {count} fiche{'s' if count > 1 else ''}"
    heights = {y: float(b.find(f"{SVG}rect").get("height")) for b, (y, _) in zip(bars, with_entries)}
    peak = max(with_entries, key=lambda item: item[1])[0]
    assert heights[peak] == max(heights.values())
    table = figure.find("details/table")
    rows = table.findall("tbody/tr")
    assert [(int(text_of(r.find("th"))), int(text_of(r.find("td")))) for r in rows] == years.items()
    assert all(r.find("td").get("class") == "empty" for r in rows if text_of(r.find("td")) == "0")
    assert "<details>" not in charts.bar_chart(years, "nl", link, table=False)
    assert parse(charts.year_table(years, "nl", link)).find("table/thead/tr/th").text == "Jaar"


def test_partner_type_table(figures: stats.Summary, vocabularies: vocab.Vocabularies) -> None:
    table_data = figures.partners
    table = parse(charts.partner_type_table(table_data, vocabularies, "fr", link, cell_link)).find("table")
    rows = table.findall("tbody/tr")
    shown = [p for p, total in zip(table_data.rows, table_data.row_totals) if total]
    assert len(rows) == len(shown) + 1  # + the entries without a partner
    for partner, row in zip(shown, rows):
        assert row.find("th/a").get("href") == link("partners", partner)
        cells = row.findall("td")
        assert text_of(cells[-1]) == str(table_data.row_totals[table_data.rows.index(partner)])
    assert text_of(rows[-1].find("th")) == "Sans partenaire"
    assert text_of(rows[-1].findall("td")[-1]) == str(table_data.none)
    full = parse(charts.partner_type_table(table_data, vocabularies, "nl", hide_empty=False)).find("table")
    assert len(full.findall("tbody/tr")) == len(table_data.rows) + 1


def test_charts_are_deterministic_and_ids_follow_the_prefix(
    figures: stats.Summary, vocabularies: vocab.Vocabularies
) -> None:
    def render(prefix: str) -> str:
        return "".join(
            (
                charts.matrix_table(figures.matrix, vocabularies, "fr", cell_link, id_prefix=f"{prefix}-m"),
                charts.tile_map(figures.coverage, vocabularies, "fr", link, id_prefix=f"{prefix}-t"),
                charts.coverage_table(figures.coverage, vocabularies, "fr", link, id_prefix=f"{prefix}-c"),
                charts.bassin_list(figures.coverage, vocabularies, "fr", link, id_prefix=f"{prefix}-b"),
                charts.bar_chart(figures.years, "fr", link, id_prefix=f"{prefix}-y"),
                charts.partner_type_table(figures.partners, vocabularies, "fr", link, id_prefix=f"{prefix}-p"),
            )
        )

    first = render("a")
    assert first == render("a")
    page = first + render("b")
    found = re.findall(r'\bid="([^"]+)"', page)
    assert len(found) == len(set(found))
    assert all(i.startswith(("a-", "b-")) for i in found)
    assert 'id="a-t-title"' in first
    hostile = charts.bar_chart(figures.years, "fr", link, id_prefix='x"evil"')
    assert 'id="x-evil-"' in hostile and '"evil"' not in hostile


def test_languages(figures: stats.Summary, vocabularies: vocab.Vocabularies) -> None:
    fr = charts.coverage_table(figures.coverage, vocabularies, "fr", link)
    nl = charts.coverage_table(figures.coverage, vocabularies, "nl", link)
    assert "fiches" in fr and "Schaarbeek" in nl and "Schaerbeek" not in nl
    assert "Fiches per gemeente" in nl and "items" not in nl  # the Dutch interface says "fiches" too
    assert charts.short_commune(vocabularies, "21013", "fr") == "St-Gilles"
    assert charts.short_commune(vocabularies, "21013", "nl") == "St-Gillis"
    assert charts.bassin_code(vocabularies, "bassin_sud_est", "nl") == "ZO"
    with pytest.raises(ValueError):
        charts.bar_chart(figures.years, "de", link)


# --------------------------------------------------------------------------- escaping

EVIL = "<script>alert('x')</script> & \"co\""


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)


@pytest.fixture
def evil_vocabularies(tmp_path: Path) -> vocab.Vocabularies:
    """The real vocabularies with hostile labels on a scale, a criterion, a partner, a type,
    a commune and a bassin."""
    folder = tmp_path / "vocab"
    shutil.copytree(VOCAB_DIR, folder)
    for name, term_id, extra in (
        ("scales", "region", {}),
        ("criteria", "population_size", {}),
        ("partners", "cbcs", {"abbr": EVIL}),
        ("types", "study", {}),
        ("territories", "21001", {}),
        ("territories", "bassin_nord", {}),
    ):
        items = yaml.safe_load((folder / f"{name}.yaml").read_text(encoding="utf-8"))
        for item in items:
            if str(item["id"]) == term_id:
                item.update({"fr": EVIL, "nl": EVIL, "en": EVIL}, **extra)
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(items, allow_unicode=True), encoding="utf-8")
    return vocab.load(folder)


def _entry(entry_id: str, **fields: Any) -> Entry:
    values = dict(
        title=EVIL,
        type="study",
        year=2020,
        language="fr",
        scale=("region",),
        criteria=("population_size",),
        body="x",
        digest="0",
        partners=("cbcs",),
        territories=("21001", "bassin_nord"),
    )
    values.update(fields)
    return Entry(id=entry_id, path=f"{entry_id}.md", **values)


def test_every_text_and_url_is_escaped(evil_vocabularies: vocab.Vocabularies) -> None:
    entries = [_entry("evil-one"), _entry("evil-two", year=2022, partners=(), territories=("region",))]
    figures = stats.summary(entries, evil_vocabularies)

    def evil_link(dimension: str, value: str) -> str:
        return f'"><script>alert(1)</script>/{dimension}/{value}?a=1&b=2'

    def evil_cell(row: str, column: str) -> str:
        return f'"><script>/{row}/{column}'

    outputs = [
        charts.matrix_table(figures.matrix, evil_vocabularies, "fr", evil_cell, link=evil_link),
        charts.tile_map(figures.coverage, evil_vocabularies, "fr", evil_link),
        charts.coverage_table(figures.coverage, evil_vocabularies, "nl", evil_link),
        charts.bassin_list(figures.coverage, evil_vocabularies, "fr", evil_link),
        charts.bar_chart(figures.years, "fr", evil_link),
        charts.partner_type_table(figures.partners, evil_vocabularies, "fr", evil_link, evil_cell),
    ]
    for output in outputs:
        assert "<script" not in output
        tags = _Tags()
        tags.feed(output)
        assert "script" not in tags.tags
        root = parse(output)  # still well-formed
        hrefs = [e.get("href") for e in root.iter() if e.get("href")]
        assert hrefs and all(h.startswith('"><script>') for h in hrefs)  # the URL survives, escaped
    texts = "".join("".join(parse(o).itertext()) for o in outputs)
    assert EVIL in texts  # shown as text, not markup
    tile = parse(outputs[1]).find(f"figure/{SVG}svg/{SVG}a")
    assert EVIL in tile.get("aria-label")


# --------------------------------------------------------------------------- in a browser


@pytest.mark.browser
def test_charts_pass_axe_and_the_html_checker(
    tmp_path: Path, figures: stats.Summary, vocabularies: vocab.Vocabularies
) -> None:
    from playwright.sync_api import sync_playwright

    from servers import axe_violations, format_violations, launch_chromium, vnu_errors

    parts = []
    for lang in ("fr", "nl"):
        parts += [
            charts.tile_map(figures.coverage, vocabularies, lang, link, id_prefix=f"map-{lang}"),
            charts.coverage_table(figures.coverage, vocabularies, lang, link, id_prefix=f"cov-{lang}"),
            charts.bassin_list(figures.coverage, vocabularies, lang, link, id_prefix=f"bas-{lang}"),
            charts.bar_chart(figures.years, lang, link, id_prefix=f"years-{lang}"),
            charts.matrix_table(figures.matrix, vocabularies, lang, cell_link, link=link, id_prefix=f"m-{lang}"),
            charts.partner_type_table(figures.partners, vocabularies, lang, link, cell_link, id_prefix=f"p-{lang}"),
        ]
    page_file = tmp_path / "charts.html"
    page_file.write_text(
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n<title>Charts</title>\n</head>\n'
        "<body>\n<main>\n<h1>Charts</h1>\n" + "\n".join(parts) + "\n</main>\n</body>\n</html>\n",
        encoding="utf-8",
    )
    assert vnu_errors([page_file]) == []
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            page.goto(page_file.as_uri())
            violations = axe_violations(page)
            assert not violations, format_violations(violations)
            assert page.locator("svg a").count() == 2 * 19 + 2 * sum(1 for n in figures.years.counts if n)
        finally:
            browser.close()


# --------------------------------------------------------------------------- kb stats


def test_kb_stats_prints_the_figures(
    runner: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entries_dir: Path, fronts: dict
) -> None:
    monkeypatch.chdir(tmp_path)  # no entries/ or .kb/ of the checkout
    result = runner.invoke(cli, ["stats", "--entries", str(entries_dir)])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith(f"{len(fronts)} entries")
    for scale in ids("scales"):
        assert re.search(rf"^{scale} ", out, re.M), scale
    for nis in ids("territories", "commune") + ids("territories", "bassin"):
        assert re.search(rf"^  {nis} ", out, re.M), nis
    years = Counter(f["year"] for f in fronts.values())
    for year in range(min(years), max(years) + 1):
        assert re.search(rf"^  {year} +{years.get(year, 0)}( #+)?$", out, re.M), year
    region_row = next(line for line in out.splitlines() if line.startswith("region "))
    assert region_row.endswith(str(sum(1 for f in fronts.values() if "region" in f["scale"])))


def test_kb_stats_json(
    runner: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    entries_dir: Path,
    fronts: dict,
    vocabularies: vocab.Vocabularies,
) -> None:
    monkeypatch.chdir(tmp_path)  # no entries/ or .kb/ of the checkout
    result = runner.invoke(cli, ["stats", "--json", "--entries", str(entries_dir)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["total"] == len(fronts)
    assert data["by_type"] == {t: sum(1 for f in fronts.values() if f["type"] == t) for t in ids("types")}
    assert data["matrix"]["counts"]["region"]["population_size"] == sum(
        1 for f in fronts.values() if "region" in f["scale"] and "population_size" in f["criteria"]
    )
    assert data["coverage"]["regional"] == sum(1 for f in fronts.values() if "region" in f["territories"])
    assert data["per_year"] == {str(y): n for y, n in stats.per_year(inventory.load([entries_dir]).entries).items()}
    expected = stats.summary(inventory.load([entries_dir], vocabularies).entries, vocabularies).as_dict()
    assert data == json.loads(json.dumps(expected))


def test_kb_stats_leaves_out_broken_files(
    runner: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entries_dir: Path, fronts: dict
) -> None:
    make_entry(entries_dir, "cassee", "title: Sans le reste")
    monkeypatch.chdir(tmp_path)  # no entries/ or .kb/ of the checkout
    result = runner.invoke(cli, ["stats", "--json", "--entries", str(entries_dir)])
    assert result.exit_code == 0
    assert "1 file with errors left out" in result.stderr
    assert json.loads(result.stdout)["total"] == len(fronts)


def test_kb_stats_without_entries_folder(runner: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no entries/ or .kb/ of the checkout
    result = runner.invoke(cli, ["stats", "--entries", "nowhere"])
    assert result.exit_code == 1
    assert "no entries folder" in result.output


# --------------------------------------------------------------------------- scale x basis

BASES = {
    "note-vision-ifa-2020": "[existing_networks]",
    "monitoring-des-quartiers": "[statistical_units]",
    "bassins-aide-et-soins-pssi": "[administrative_boundaries, existing_networks]",
}


def test_scale_by_basis(
    runner: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, entries_dir: Path, vocabularies: vocab.Vocabularies
) -> None:
    for path in entries_dir.glob("*.md"):  # the shipped bases out: only BASES below are counted
        path.write_text(
            re.sub(r"^basis:.*\n(?:  - .*\n)*", "", path.read_text(encoding="utf-8"), flags=re.M), encoding="utf-8"
        )
    for entry_id, bases in BASES.items():
        path = entries_dir / f"{entry_id}.md"
        path.write_text(
            path.read_text(encoding="utf-8").replace("\nlanguage:", f"\nbasis: {bases}\nlanguage:", 1), encoding="utf-8"
        )
    fronts = read_fronts(entries_dir)
    entries = inventory.load([entries_dir], vocabularies).entries
    grid = stats.summary(entries, vocabularies).basis_matrix
    assert grid.dimension == "basis" and list(grid.criteria) == ids("bases")
    assert grid.tagged == len(BASES) and grid.total == len(fronts)
    for scale in grid.scales:
        for basis in grid.criteria:
            expected = sum(1 for f in fronts.values() if scale in f["scale"] and basis in _as_list(f.get("basis")))
            assert grid.counts[grid.scales.index(scale)][grid.criteria.index(basis)] == expected, (scale, basis)
        assert grid.row_totals[grid.scales.index(scale)] == sum(
            1 for f in fronts.values() if scale in f["scale"] and f.get("basis")
        )
    assert dict(zip(grid.criteria, grid.column_totals))["existing_networks"] == 2
    # the table: basis columns, its own caption, the corner counts the entries with a basis
    table = parse(charts.matrix_table(grid, vocabularies, "nl", cell_link, link=link))
    caption = text_of(next(e for e in table.iter() if local_name(e) == "caption"))
    assert caption.startswith("Fiches per schaal (rijen) en per afbakeningsbasis (kolommen).")
    headers = [text_of(e) for e in table.iter() if local_name(e) == "th" and e.get("scope") == "col"]
    assert headers[0] == "Schaal \\ basis" and "Bestaande netwerken en samenwerkingsverbanden" in headers
    # kb stats: the second matrix, and how many entries give no basis
    monkeypatch.chdir(tmp_path)
    out = runner.invoke(cli, ["stats", "--entries", str(entries_dir)]).stdout
    assert "\nScale x bases: entries having both (rows: scales; columns: bases, numbered below; . = none)\n" in out
    assert f"  entries with no basis: {len(fronts) - len(BASES)}\n" in out
    data = json.loads(runner.invoke(cli, ["stats", "--json", "--entries", str(entries_dir)]).stdout)
    assert data["basis_matrix"]["basis"] == ids("bases") and data["basis_matrix"]["total"] == len(fronts)
