"""Readers' queries typed into the site's search page in Chromium, in the French and the Dutch
interface: each must bring the named entries into the first five results.

The list mixes Dutch and French names of communes and bassins, vocabulary labels in both
languages, accent-free and hyphen-free spellings, NIS codes and Dutch words for French entries.
Queries marked "failed" found nothing, or not the entry expected, on the site before each entry
page carried its tags' labels and its territories' names in both languages (kb.site.pages's
``search_terms``), as measured on the 44-entry starter inventory; the expected ids follow the
inventory of 103 entries.
"""

from __future__ import annotations

import pytest
from test_browser import (  # noqa: F401  (module fixtures: one build and one browser here)
    Contexts,
    base_url,
    browser,
    contexts,
    entry_id,
    pw,
    site,
    wait_for_query,
)

QUERIES = [
    # place names, French and Dutch, loosely typed
    ("molenbeek", ["bassin-centre-ouest-portrait"]),
    ("sint-jans-molenbeek", ["pcd-molenbeek-saint-jean-2004", "molenbeek-vision-ville-plurielle-2050"]),  # failed
    ("sint jans molenbeek", ["pcd-molenbeek-saint-jean-2004"]),
    ("saint gilles", ["bassin-sud-portrait"]),
    ("sint-gillis", ["bassin-sud-portrait"]),
    ("Elsene", ["bassin-sud-portrait"]),  # failed: nothing found
    ("Ukkel", ["bassin-sud-portrait"]),  # failed: nothing found
    ("Vorst", ["bassin-sud-portrait"]),
    ("Oudergem", ["bassin-sud-est-portrait"]),  # failed
    ("Sint-Lambrechts-Woluwe", ["bassin-sud-est-portrait"]),  # failed
    (
        "Schaarbeek",
        ["schaarbeek-2021-gemeentelijk-ontwikkelingsplan-lokale-agenda-21", "clss-brabant-colignon-schaerbeek"],
    ),  # failed: nothing found
    ("Sint-Joost-ten-Node", ["bassin-nord-est-portrait"]),  # failed
    ("anderlecht", ["bassin-centre-ouest-portrait"]),
    ("21013", ["zoom-sur-les-communes-2016"]),  # a NIS code; failed
    ("21004", ["plan-global-revitalisation-laeken-2012-2018"]),  # failed
    ("zorgzone noord", ["bassin-nord-portrait"]),
    ("zorgzone zuid", ["bassin-sud-portrait"]),
    ("zorgzone centrum-west", ["bassin-centre-ouest-portrait"]),
    # vocabulary labels, both languages, with and without accents
    ("gezondheidsindicatoren", ["tableau-de-bord-sante-bruxelles"]),
    ("indicateurs de sante", ["tableau-de-bord-sante-bruxelles"]),
    ("toegankelijkheid", ["accessibilite-accueil-petite-enfance-bsi"]),  # failed: nothing found
    ("accessibilite", ["note-vision-ifa-2020"]),
    ("sociaal-economische kwetsbaarheid", ["ieb-a-l-article-de-la-mort-2021"]),  # failed: nothing found
    ("defavorisation", ["belgian-index-multiple-deprivation-bimd"]),
    ("wijkmonitoring", ["monitoring-des-quartiers", "conception-monitoring-des-quartiers-2006"]),
    ("zone de premiere ligne", ["bruzel-eerstelijnszone"]),  # failed
    ("eerstelijnszone", ["bruzel-eerstelijnszone"]),
    ("bevolkingsdichtheid", ["zru-zone-revitalisation-urbaine"]),
    ("densite de population", ["zru-zone-revitalisation-urbaine"]),  # failed
    ("statistische sector", ["zru-zone-revitalisation-urbaine"]),  # failed: nothing found
    ("secteur statistique", ["monitoring-des-quartiers"]),
    ("observatorium voor gezondheid", ["tableau-de-bord-sante-bruxelles"]),  # failed
    ("gemeenschappelijke gemeenschapscommissie", ["organisatie-eerstelijnszorg-ordonnantie-2019"]),  # failed
    ("wonen en leefomgeving", ["cqd-heliport-anvers-carnet-des-priorites-2021"]),  # failed
    ("projectperimeter", ["contrats-de-renovation-urbaine"]),  # failed
    ("Huis voor Gezondheid", ["bruzel-eerstelijnszone"]),
    ("medecins generalistes", ["etude-medecins-generalistes-bruxelles-2018"]),
]


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_queries_typed_in_either_interface_find_their_entries(contexts: Contexts, base_url: str, lang: str) -> None:
    page = contexts.new_page()
    page.goto(f"{base_url}{lang}/search/")
    missed = []
    for query, expected in QUERIES:
        page.locator("#q").fill(query)
        wait_for_query(page, q=query)
        top = [
            entry_id(a) for a in page.eval_on_selector_all("#kb-results h3 a", "links => links.map(a => a.href)")[:5]
        ]
        if not set(expected) <= set(top):
            missed.append(f"{query!r}: wanted {expected} in {top}")
    assert len(QUERIES) >= 30
    assert missed == [], "\n".join(missed)
