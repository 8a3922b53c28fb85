"""One meaning of territory (kb.entries.territories), the same in `kb search --territory`, the
map's counts, the listing pages and the site's search in Chromium, for every commune and bassin;
`--territory` takes ids, NIS codes and loosely typed French or Dutch names."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect
from test_browser import (  # noqa: F401  (module fixtures: one build and one browser here)
    Contexts,
    base_url,
    browser,
    contexts,
    pw,
    site,
    wait_for_search,
)

from kb import stats
from kb.cli import cli
from kb.entries import inventory, territories, vocab
from kb.entries.territories import UnknownTerritory
from kb.project import Project
from kb.site.pages import PAGE_SIZE

GEO = territories.geography(vocab.load())
AREAS = [*GEO.communes, *GEO.bassins]


@pytest.mark.parametrize(
    "typed,expected",
    [
        ("21012", "21012"),
        ("molenbeek", "21012"),
        ("sint-jans-molenbeek", "21012"),
        ("Molenbeek-Saint-Jean", "21012"),
        ("Saint Gilles", "21013"),
        ("sint gillis", "21013"),
        ("SAINT-GILLES", "21013"),
        ("st gilles", "21013"),
        ("Bruxelles", "21004"),
        ("brussel", "21004"),
        ("ukkel", "21016"),
        ("Schaarbeek", "21015"),
        ("bassin_nord", "bassin_nord"),
        ("Bassin Nord", "bassin_nord"),
        ("zorgzone noord-oost", "bassin_nord_est"),
        ("region", "region"),
        ("04000", "region"),
        ("woluwe saint pierre", "21019"),
        ("Sint-Pieters-Woluwe", "21019"),
    ],
)
def test_a_territory_is_found_by_id_nis_code_or_loose_name(typed: str, expected: str) -> None:
    assert GEO.resolve(typed) == expected


@pytest.mark.parametrize("typed", ["woluwe", "atlantis", "", "nord"])
def test_an_unknown_or_ambiguous_territory_is_refused_with_a_way_out(typed: str) -> None:
    with pytest.raises(UnknownTerritory) as refused:
        GEO.resolve(typed)
    assert "--" in str(refused.value)


def test_a_commune_has_its_bassins_and_the_region_as_broader() -> None:
    jette = GEO.reach("21010")
    assert jette.own == {"21010"} and jette.broader == {"bassin_nord", "region"}
    city = GEO.reach("21004")  # shared between three bassins
    assert city.broader == {"bassin_nord", "bassin_sud", "bassin_centre_ouest", "region"}
    nord = GEO.reach("bassin_nord")
    assert nord.own == {"bassin_nord", "21003", "21008", "21010", "21011"}
    assert nord.broader == {"21004", "region"}
    assert GEO.reach("region").broader == frozenset()
    assert jette.relation(["region", "21010"]) == "own" and jette.relation(["bassin_nord"]) == "broader"
    assert jette.relation(["21009"]) is None


@dataclass(frozen=True)
class Placed:
    territories: tuple[str, ...]


def test_the_entries_of_every_territory_are_split_in_one_pass_as_its_reach_says() -> None:
    """split_each (the listings and the map's figures, one pass over the entries) gives each
    territory the entries its Reach calls own, then broader, in the entries' order."""
    ids = [t.id for t in vocab.load().for_field("territories")]
    pairs = [(a, b) for a in ids for b in ids if a < b]
    entries = [Placed(()), Placed(("unknown",)), *(Placed((t,)) for t in ids), *(Placed(p) for p in pairs)]
    split = GEO.split_each(ids, entries)
    for territory in ids:
        reach = GEO.reach(territory)
        own = [e for e in entries if reach.relation(e.territories) == "own"]
        broader = [e for e in entries if reach.relation(e.territories) == "broader"]
        assert split[territory] == (own, broader), territory
    assert all(split[area][0] and split[area][1] for area in AREAS)


@pytest.fixture(scope="module")
def index_dir(site: Path) -> Path:
    """The search index of the entries the site was built from (test_browser's ``site``)."""
    root = site.parent
    project = Project(
        root=root,
        entries_dir=root / "entries",
        database_url=f"sqlite:///{root / 'kb.sqlite'}",
        index_dir=root / "whoosh",
    )
    try:
        project.index()
    finally:
        project.close()
    return root / "whoosh"


def cli_ids(runner: Any, index_dir: Path, *args: str) -> tuple[list[str], list[str]]:
    """(own, broader) entry ids that `kb search --json` prints, in its order."""
    result = runner.invoke(cli, ["search", "--index-dir", str(index_dir), "--json", "--limit", "1000", *args])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)["hits"]
    own = [h["id"] for h in hits if not h["broader"]]
    assert [h["broader"] for h in hits] == sorted(h["broader"] for h in hits), "broader entries come after"
    return own, [h["id"] for h in hits if h["broader"]]


def test_the_cli_and_the_map_agree_for_every_commune_and_bassin(runner: Any, index_dir: Path) -> None:
    entries = inventory.load([index_dir.parent / "entries"], vocab.load()).entries
    cover = stats.coverage(entries, vocab.load())
    for area in AREAS:
        got = cover.commune(area) if area in GEO.communes else cover.bassin(area)
        own, broader = cli_ids(runner, index_dir, "--territory", area)
        assert set(own) == set(got.local), area
        assert set(broader) == set(got.partial) | set(got.regional), area
        assert cli_ids(runner, index_dir, "--territory", area, "--own-only") == (own, []), area


def test_territory_names_typed_loosely_on_the_command_line(runner: Any, index_dir: Path) -> None:
    assert cli_ids(runner, index_dir, "--territory", "molenbeek") == cli_ids(runner, index_dir, "--territory", "21012")
    assert cli_ids(runner, index_dir, "--territory", "Saint Gilles") == cli_ids(
        runner, index_dir, "--territory", "21013"
    )
    refused = runner.invoke(cli, ["search", "--index-dir", str(index_dir), "--territory", "woluwe"])
    assert refused.exit_code == 2 and "21018" in refused.output and "Traceback" not in refused.output


def test_the_site_search_listings_and_map_agree_with_the_cli(
    contexts: Contexts, base_url: str, site: Path, runner: Any, index_dir: Path
) -> None:
    page = contexts.new_page()
    for area in AREAS:
        own, broader = cli_ids(runner, index_dir, "--territory", area)
        page.goto(f"{base_url}fr/search/?territory={area}")
        wait_for_search(page)
        while page.locator("#kb-more").is_visible():
            shown = page.locator("#kb-results > li").count()
            page.locator("#kb-more").click()
            page.wait_for_function("(n) => document.querySelectorAll('#kb-results > li').length > n", arg=shown)
        cards = page.locator("#kb-results > li")
        found = [
            (
                re.search(r"/entries/([^/]+)/", c.locator("h3 a").get_attribute("href")).group(1),
                c.locator(".badge").count() > 0,
            )
            for c in cards.all()
        ]
        assert {i for i, b in found if not b} == set(own), area
        assert {i for i, b in found if b} == set(broader), area
        assert [b for _, b in found] == sorted(b for _, b in found), f"{area}: broader entries come after"
        listing = site / "fr" / "territories" / area / "index.html"
        listed = set(re.findall(r'href="[^"]*/entries/([^/"]+)/"', listing.read_text())) if own else set()
        assert listed <= set(own) and len(listed) == min(len(own), PAGE_SIZE), area
        tile = (site / "fr" / "map" / area / "index.html").read_text()
        assert f"({len(own)})" in tile, area
    page.goto(f"{base_url}nl/search/?territory=21012&own=1")
    wait_for_search(page)
    expect(page.locator("#kb-results .badge")).to_have_count(0)
