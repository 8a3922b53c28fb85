#!/usr/bin/env python3
"""Generate a synthetic corpus of kb entries, for benchmarks and tests.

    python scripts/gen_corpus.py OUT_DIR -n 10000 [--seed 42]

writes N files ``OUT_DIR/syn-NNNNNN-<slug>.md`` in the format described in
``entries/README.md``: YAML front matter (title, type, year, date, authors,
organisations, partners, scale, criteria, territories, language, url, doi,
summary, added) and a 250-400 word Markdown body with ``##`` headings,
paragraphs, one bullet list and one link. The text is fake but shaped like the
real inventory: 70 % French, 25 % Dutch, 5 % English, domain words drawn with a
Zipf-like law (a few very frequent words, a long tail of rare ones), made-up
place names so that the vocabulary keeps growing with N, and skewed tag
choices so that facet counts look like a real catalogue.

Every vocabulary value (type, scale, criteria, partners, territories,
language) is read from ``kb/vocabularies/*.yaml`` next to this script, so the
output always passes the vocabulary checks. The script deliberately does not
import the ``kb`` package: it only needs the Python standard library and PyYAML.

Determinism and the prefix property
-----------------------------------
Entry ``i`` (1-based) is produced only from its own ``random.Random`` instance,
seeded with a hash of ``(seed, i)``; nothing is shared between entries except
read-only word lists and vocabularies. Entry ``i`` therefore does not depend on
N nor on the other entries, so:

* the same seed and N give byte-identical files, on any machine;
* the first 1,000 files of a 10,000 run are byte-identical to a 1,000 run
  (file ``syn-000001-...`` to ``syn-001000-...``).

Only ``Random.random()`` is called (never ``choice``/``randint``/``shuffle``,
whose algorithms have changed between Python versions), so the output is also
stable across Python versions. Changing the word lists or the vocabulary files
of course changes the output.

Each title contains a made-up place name that is unique to its entry number
(a bijective code of ``i``, unique for N up to 1,331,000) and a second, random
one, so a near-duplicate title check does not flag synthetic entries against
each other. The ``added`` date is derived from ``i`` (never from today's date).

The front matter starts with ``id: <file name>`` (an optional field that
``kb check`` compares with the file name); ``--no-id`` leaves it out. ``-j``
spreads the work over several processes without changing a byte of the output.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import itertools
import math
import multiprocessing
import os
import random
import re
import sys
import time
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Generic, TypeVar

import yaml

SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

VOCAB_DIR = Path(__file__).resolve().parent.parent / "kb" / "vocabularies"

T = TypeVar("T")

ID_PREFIX = "syn"
ID_MAX_LEN = 80
YEAR_MIN, YEAR_MAX = 1995, 2026
LANGUAGE_WEIGHTS = {"fr": 0.70, "nl": 0.25, "en": 0.05}
BODY_WORDS_MIN, BODY_WORDS_MAX = 250, 400
MAX_SENTENCE_WORDS = 24
WRAP_WIDTH = 92
ADDED_FIRST = date(2024, 1, 1)
ADDED_SPAN_DAYS = 1035  # 2024-01-01 .. 2026-10-31


# --------------------------------------------------------------------------
# Random helpers: only Random.random() is used, for cross-version stability.
# --------------------------------------------------------------------------


def entry_rng(seed: int, i: int) -> random.Random:
    """The private random generator of entry ``i``: depends on (seed, i) only."""
    digest = hashlib.blake2b(f"kb-gen-corpus:{seed}:{i}".encode(), digest_size=8).digest()
    return random.Random(int.from_bytes(digest, "big"))


def below(rng: random.Random, n: int) -> int:
    """An int in [0, n)."""
    return int(rng.random() * n)


def between(rng: random.Random, lo: int, hi: int) -> int:
    """An int in [lo, hi], both included."""
    return lo + int(rng.random() * (hi - lo + 1))


def uniform(rng: random.Random, items: Sequence[T]) -> T:
    return items[int(rng.random() * len(items))]


class Zipf(Generic[T]):
    """Draw items with weight 1 / (rank + q) ** s (Zipf-Mandelbrot law): the first
    items are frequent, the last ones rare; q > 1 flattens the head a little."""

    def __init__(self, items: Sequence[T], s: float = 1.0, q: float = 1.0) -> None:
        if not items:
            raise ValueError("Zipf needs at least one item")
        self.items: list[T] = list(items)
        self.cum: list[float] = []
        total = 0.0
        for rank in range(len(self.items)):
            total += 1.0 / (rank + q) ** s
            self.cum.append(total)
        self.total = total

    def pick(self, rng: random.Random) -> T:
        return self.items[bisect_right(self.cum, rng.random() * self.total)]

    def distinct(self, rng: random.Random, k: int) -> list[T]:
        """k distinct items (fewer if the list is shorter), in drawing order."""
        k = min(k, len(self.items))
        out: list[T] = []
        while len(out) < k:
            item = self.pick(rng)
            if item not in out:
                out.append(item)
        return out


def weighted(rng: random.Random, pairs: Sequence[tuple[T, float]]) -> T:
    x = rng.random() * sum(w for _, w in pairs)
    for item, w in pairs:
        x -= w
        if x < 0:
            return item
    return pairs[-1][0]


# --------------------------------------------------------------------------
# Vocabularies
# --------------------------------------------------------------------------


@dataclass
class Vocab:
    """The controlled vocabularies, as read from kb/vocabularies/*.yaml."""

    ids: dict[str, list[str]]
    labels: dict[str, dict[str, dict[str, str]]]  # kind -> id -> lang -> label
    territory_kind: dict[str, str] = field(default_factory=dict)

    def label(self, kind: str, value: str, lang: str) -> str:
        lab = self.labels[kind].get(value, {})
        return lab.get(lang) or lab.get("en") or value


VOCAB_KINDS = ("types", "scales", "criteria", "partners", "territories", "languages")


def load_vocab(folder: Path = VOCAB_DIR) -> Vocab:
    ids: dict[str, list[str]] = {}
    labels: dict[str, dict[str, dict[str, str]]] = {}
    kinds: dict[str, str] = {}
    for kind in VOCAB_KINDS:
        path = folder / f"{kind}.yaml"
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader)
        except OSError as exc:
            raise SystemExit(f"gen_corpus: cannot read vocabulary {path}: {exc}") from exc
        if not isinstance(data, list) or not data:
            raise SystemExit(f"gen_corpus: {path} is not a non-empty list of values")
        ids[kind] = []
        labels[kind] = {}
        for item in data:
            value = str(item["id"])
            ids[kind].append(value)
            labels[kind][value] = {lang: str(item[lang]) for lang in ("fr", "nl", "en") if item.get(lang)}
            if kind == "territories":
                kinds[value] = str(item.get("kind") or _guess_territory_kind(value))
    missing = [lang for lang in LANGUAGE_WEIGHTS if lang not in ids["languages"]]
    if missing:
        raise SystemExit(f"gen_corpus: languages.yaml lacks {', '.join(missing)}")
    return Vocab(ids, labels, kinds)


def _guess_territory_kind(value: str) -> str:
    if value == "region":
        return "region"
    return "commune" if value.isdigit() else "bassin"


def preferred(order: Sequence[str], available: Sequence[str]) -> list[str]:
    """Known-common values first (those still in the vocabulary), then the rest in
    file order: the rank gives the Zipf weight, so facet counts are skewed."""
    head = [v for v in order if v in available]
    return head + [v for v in available if v not in head]


TYPE_ORDER = [
    "study",
    "report",
    "project",
    "article",
    "plan",
    "programme",
    "tool",
    "dataset",
    "vision_note",
    "atlas",
    "participatory_process",
    "legal_text",
]
SCALE_ORDER = [
    "region",
    "commune",
    "quartier_social_sante",
    "bassin",
    "quartier_monitoring",
    "secteur_statistique",
    "eerstelijnszone",
    "cpas_area",
    "perimetre_projet",
    "catchment_distance",
    "ilot",
]
CRITERIA_ORDER = [
    "accessibility_proximity",
    "existing_offer",
    "socio_economic_deprivation",
    "needs_demography",
    "administrative_boundary",
    "health_indicators",
    "participation",
    "existing_networks",
    "population_size",
    "data_availability",
    "population_density",
    "mobility_flows",
    "living_space_polarity",
    "institutional_competence",
    "housing_environment",
    "historical_identity",
    "physical_boundary",
    "population_responsibility",
    "urban_project",
    "linguistic_community",
    "comparable_area",
]
PARTNER_ORDER = [
    "observatoire",
    "brusano",
    "cbcs",
    "vivalis",
    "cocom",
    "perspective_brussels",
    "ibsa",
    "universities",
    "fdss",
    "fmm",
    "cpas",
    "cocof",
    "vgc",
    "ifa",
    "bruzel",
    "huis_voor_gezondheid",
    "brussels_government",
    "famgb",
    "kenniscentrum_wwz",
    "frb_kbs",
    "bot",
    "question_sante",
    "medecins_du_monde",
]
COMMUNE_ORDER = [
    "21004",
    "21012",
    "21015",
    "21001",
    "21013",
    "21014",
    "21009",
    "21007",
    "21011",
    "21006",
    "21010",
    "21016",
    "21005",
    "21003",
    "21008",
    "21018",
    "21002",
    "21019",
    "21017",
]

ORGANISATION_NAMES = [
    "Université libre de Bruxelles",
    "Vrije Universiteit Brussel",
    "UCLouvain",
    "KU Leuven – LUCAS",
    "Université Saint-Louis – Bruxelles",
    "Sciensano",
    "Erasmushogeschool Brussel",
    "Haute École Léonard de Vinci",
    "Odisee",
    "CPAS d’Anderlecht",
    "OCMW Brussel",
    "Commune de Schaerbeek",
    "Gemeente Sint-Jans-Molenbeek",
    "Ville de Bruxelles",
    "Maison médicale du Nord",
    "Wijkgezondheidscentrum De Brug",
    "Coordination sociale d'Ixelles",
    "Lokaal Dienstencentrum Forum",
    "Samenlevingsopbouw Brussel",
    "Infirmiers de rue",
    "Solidaris",
    "Mutualité chrétienne",
    "Centre d'appui SSM",
    "Smes-B",
    "Plate-forme de concertation pour la santé mentale",
    "Agence bruxelloise pour l'accompagnement de l'entreprise",
]


def _items(text: str) -> list[str]:
    """The ';'-separated items of a word list (line breaks are just layout)."""
    return [item.strip() for item in text.replace("\n", " ").split(";") if item.strip()]


def _words3(text: str) -> list[tuple[str, str, str]]:
    """Items "form a b" (the form may contain spaces) as (form, a, b)."""
    out = []
    for item in _items(text):
        form, a, b = item.rsplit(" ", 2)
        out.append((form, a, b))
    return out


def _words2(text: str) -> list[tuple[str, str]]:
    """Items "a|b" as (a, b)."""
    out = []
    for item in _items(text):
        a, b = item.split("|")
        out.append((a, b))
    return out


# --------------------------------------------------------------------------
# Word lists: French
# --------------------------------------------------------------------------

# "form gender number", roughly from frequent to rare.
FR_NOUNS: list[tuple[str, str, str]] = _words3("""
santé f s; quartier m s; quartiers m p; services m p; offre f s; accessibilité f s;
territoire m s; première ligne f s; réseau m s; aide f s; soins m p; population f s;
habitants m p; commune f s; bassin m s; communes f p; acteurs m p; besoins m p;
défavorisation f s; inégalités f p; réseaux m p; service m s; précarité f s; proximité f s;
évaluation f s; coordination f s; territoires m p; bassins m p; pauvreté f s;
concertation f s; action sociale f s; maisons médicales f p; usagers m p; CPAS m s;
publics m p; ménages m p; personnes âgées f p; familles f p; maison médicale f s;
médecins généralistes m p; travailleurs sociaux m p; associations f p; politiques f p;
diagnostic m s; indicateurs m p; données f p; cartographie f s; découpage m s;
délimitation f s; périmètre m s; échelle f s; zone f s; logement m s; mobilité f s;
isolement m s; non-recours m s; accès m s; droits m p; prévention f s; santé mentale f s;
aide à domicile f s; soins à domicile m p; hôpitaux m p; dispositifs m p; projet m s;
programme m s; plan m s; contrat de quartier m s; gouvernance f s; participation f s;
co-construction f s; décloisonnement m s; intégration f s; continuité des soins f s;
trajectoires f p; vulnérabilité f s; vieillissement m s; densité f s; frontières f p;
identité f s; équipements m p; lieux m p; permanences f p; antennes f p; guichet m s;
ressources f p; financement m s; agrément m s; compétences f p; observatoire m s;
monitoring m s; enquête f s; entretiens m p; méthodologie f s; analyse f s; résultats m p;
recommandations f p; enjeux m p; leviers m p; freins m p; barrières f p; chômage m s;
revenus m p; espérance de vie f s; mortalité f s; maladies chroniques f p; sans-abrisme m s;
primo-arrivants m p; interprétariat m s; médiation f s; travail social m s;
travail en réseau m s; ambulatoire m s; aidants proches m p; infirmiers m p; jeunes m p;
enfants m p; secteurs statistiques m p; îlot m s; cadre de vie m s; déplacements m p;
flux m p; recours m s; promotion de la santé f s; structures f p; pouvoirs publics m p;
institutions f p; politique f s; diagnostics m p; carte f s; zones f p; logements m p;
hôpital m s; dispositif m s; projets m p; contrats de quartier m p;
revitalisation urbaine f s; rénovation urbaine f s; parcours m p; superficie f s;
limites f p; polarités f p; centralités f p; équipement m s; lieu m s; antenne f s;
subsides m p; morbidité f s; migrants m p; sans-papiers m p; usager m s;
médecin généraliste m s; diagnostic partagé m s; maillage m s; bassin de vie m s;
espace public m s; pharmacies f p; crèches f p; épiceries sociales f p;
centres de service social m p; plans d'action m p
""")

# "masc-sg|fem-sg|masc-pl|fem-pl", or one form when regular (-e, -s, -es added).
FR_ADJECTIVES_SPEC = """
social|sociale|sociaux|sociales; local|locale|locaux|locales;
territorial|territoriale|territoriaux|territoriales;
bruxellois|bruxelloise|bruxellois|bruxelloises; ambulatoire; accessible;
régional|régionale|régionaux|régionales; communal|communale|communaux|communales; sanitaire;
médico-social|médico-sociale|médico-sociaux|médico-sociales; défavorisé; précaire;
vulnérable; intégré; existant; spécifique; pertinent; durable;
participatif|participative|participatifs|participatives;
collectif|collective|collectifs|collectives; public|publique|publics|publiques;
associatif|associative|associatifs|associatives;
structurel|structurelle|structurels|structurelles; majeur; important; fragile; isolé;
urbain; dense; statistique; administratif|administrative|administratifs|administratives;
géographique; démographique; socio-économique; numérique; coordonné;
intersectoriel|intersectorielle|intersectoriels|intersectorielles; multidisciplinaire;
communautaire; populationnel|populationnelle|populationnels|populationnelles;
global|globale|globaux|globales; central|centrale|centraux|centrales; prioritaire; cohérent;
inégal|inégale|inégaux|inégales; hétérogène; préventif|préventive|préventifs|préventives;
mixte; opérationnel|opérationnelle|opérationnels|opérationnelles;
bas seuil|bas seuil|bas seuil|bas seuil; généraliste; francophone; néerlandophone;
bicommunautaire
"""


def _fr_adjective(spec: str) -> tuple[str, str, str, str]:
    if "|" in spec:
        ms, fs, mp, fp = spec.split("|")
        return ms, fs, mp, fp
    if spec.endswith("e"):
        return spec, spec, spec + "s", spec + "s"
    return spec, spec + "e", spec + "s", spec + "es"


FR_ADJECTIVES = [_fr_adjective(spec) for spec in _items(FR_ADJECTIVES_SPEC)]

# "3rd-person-singular|plural".
FR_VERBS: list[tuple[str, str]] = _words2("""
analyse|analysent; propose|proposent; identifie|identifient; décrit|décrivent;
met en évidence|mettent en évidence; renforce|renforcent; mobilise|mobilisent;
cartographie|cartographient; questionne|questionnent; articule|articulent;
structure|structurent; favorise|favorisent; compare|comparent; évalue|évaluent;
soutient|soutiennent; interroge|interrogent; documente|documentent; examine|examinent;
objective|objectivent; améliore|améliorent; organise|organisent; coordonne|coordonnent;
souligne|soulignent; illustre|illustrent; réduit|réduisent; rassemble|rassemblent;
redéfinit|redéfinissent; délimite|délimitent; mesure|mesurent; explore|explorent;
recense|recensent; fragilise|fragilisent; conditionne|conditionnent; reflète|reflètent;
éclaire|éclairent
""")

FR_CONNECTORS = [
    "Par ailleurs",
    "En outre",
    "Toutefois",
    "Ainsi",
    "De plus",
    "Enfin",
    "Dans ce contexte",
    "Concrètement",
    "Dès lors",
    "En parallèle",
    "À l'inverse",
    "Plus largement",
    "En pratique",
    "Néanmoins",
    "Dans un premier temps",
    "À terme",
]

FR_PPS = [
    "à l'échelle du quartier",
    "en Région bruxelloise",
    "à {commune}",
    "dans les quartiers du croissant pauvre",
    "à l'échelle régionale",
    "au sein des bassins d'aide et de soins",
    "depuis {year}",
    "dans le quartier {place}",
    "entre {year} et {year2}",
    "dans le {bassin}",
    "pour les publics les plus précaires",
    "dans une logique de proximité",
    "le long du canal",
    "selon une approche populationnelle",
    "à partir des données de l'Observatoire",
    "sur l'ensemble du territoire régional",
    "au niveau des secteurs statistiques",
    "dans une perspective intersectorielle",
    "avec les acteurs de terrain",
    "autour de {place}",
    "en lien avec le Plan social-santé intégré",
    "à la frontière {de_commune} et {de_commune2}",
    "à proximité des gares",
    "dans les communes de la seconde couronne",
    "pour les personnes sans chez-soi",
]

FR_SUBJECTS: list[tuple[str, str]] = [
    ("l'étude", "s"),
    ("le rapport", "s"),
    ("cette recherche", "s"),
    ("les auteurs", "p"),
    ("le projet", "s"),
    ("la note", "s"),
    ("l'analyse", "s"),
    ("le diagnostic", "s"),
    ("la cartographie", "s"),
    ("les partenaires", "p"),
    ("l'enquête", "s"),
    ("les coordinations sociales", "p"),
    ("le dispositif", "s"),
]

FR_PEOPLE = [
    "ménages",
    "habitants",
    "personnes âgées",
    "familles monoparentales",
    "jeunes adultes",
    "bénéficiaires du revenu d'intégration",
    "enfants",
]
FR_FACTS = [
    "vivaient sous le seuil de risque de pauvreté",
    "n'avaient pas de médecin généraliste attitré",
    "résidaient à plus de 500 mètres d'une maison médicale",
    "déclaraient renoncer à des soins pour raisons financières",
    "bénéficiaient d'une intervention majorée",
]
FR_UNITS = ["quartiers", "bassins", "zones", "secteurs", "territoires", "îlots", "antennes"]

FR_HEADINGS_FIRST = ["Contexte", "Contenu", "Objectifs", "Objet de l'étude"]
FR_HEADINGS_MIDDLE = [
    "Méthode",
    "Méthodologie",
    "Données et méthode",
    "Résultats",
    "Principaux constats",
    "Délimitation du territoire",
    "Découpage territorial",
    "Acteurs impliqués",
    "Mise en œuvre",
]
FR_HEADINGS_LAST = ["Recommandations", "Enjeux", "Limites", "Perspectives", "Pour aller plus loin"]
FR_LIST_INTROS = [
    "Les principaux éléments retenus sont les suivants :",
    "Le document distingue notamment :",
    "Trois axes structurent la démarche :",
    "Les constats portent sur :",
]
FR_LINK_SENTENCES = [
    "Le document complet est disponible sur [{t}]({u}).",
    "Voir aussi [{t}]({u}) pour les annexes.",
    "Les cartes peuvent être consultées sur [{t}]({u}).",
]
FR_LINK_TEXTS = [
    "le site de l'éditeur",
    "la page du projet",
    "le rapport en ligne",
    "la fiche de l'Observatoire",
    "la plateforme régionale",
]
FR_TITLE_VERBS = [
    "Territorialiser",
    "Cartographier",
    "Repenser",
    "Organiser",
    "Évaluer",
    "Renforcer",
    "Mesurer",
    "Comprendre",
    "Objectiver",
    "Décloisonner",
]
FR_DOC_SUBJECT = {
    "study": "cette étude",
    "report": "ce rapport",
    "plan": "ce plan",
    "programme": "ce programme",
    "legal_text": "ce texte",
    "project": "ce projet",
    "tool": "cet outil",
    "dataset": "ce jeu de données",
    "atlas": "cet atlas",
    "participatory_process": "ce processus participatif",
    "vision_note": "cette note",
    "article": "cet article",
}


# --------------------------------------------------------------------------
# Word lists: Dutch
# --------------------------------------------------------------------------

# (form, article, number); plurals always take "de".
NL_NOUNS: list[tuple[str, str, str]] = _words3("""
zorg de s; buurt de s; gezondheid de s; welzijn het s; buurten de p; eerstelijnszorg de s;
wijk de s; toegankelijkheid de s; aanbod het s; hulpverlening de s; wijken de p;
gemeente de s; zorgzone de s; netwerk het s; samenwerking de s;
wijkgezondheidscentrum het s; huisartsen de p; bewoners de p; zorgzame buurten de p;
diensten de p; voorzieningen de p; gemeenten de p; kwetsbaarheid de s; armoede de s;
eerste lijn de s; thuiszorg de s; mantelzorgers de p; ouderen de p; zorgaanbod het s;
nabijheid de s; netwerken de p; beleid het s; OCMW het s; eerstelijnszone de s;
gezinnen de p; huishoudens de p; ongelijkheid de s; zorgvraag de s; noden de p;
wijkgezondheidscentra de p; dienstverlening de s; kansarmoede de s;
gezondheidsongelijkheid de s; bereikbaarheid de s; mantelzorg de s; zorgzones de p;
inwoners de p; jongeren de p; kinderen de p; ongelijkheden de p; behoeften de p;
gezondheidsbeleid het s; welzijnsbeleid het s; sociale kaart de s; afbakening de s;
indeling de s; gebiedsindeling de s; schaal de s; schaalniveau het s; grenzen de p;
grondgebied het s; statistische sectoren de p; bouwblok het s; huisvesting de s;
leefomgeving de s; mobiliteit de s; verplaatsingen de p; isolement het s;
onderbescherming de s; rechten de p; preventie de s; gezondheidspromotie de s;
geestelijke gezondheid de s; thuisverpleging de s; ziekenhuizen de p; organisaties de p;
verenigingen de p; actoren de p; overheden de p; project het s; programma het s; plan het s;
wijkcontract het s; stadsvernieuwing de s; participatie de s; co-creatie de s;
integratie de s; zorgcontinuïteit de s; zorgtrajecten de p; vergrijzing de s;
bevolkingsdichtheid de s; oppervlakte de s; identiteit de s; locaties de p;
ontmoetingsplaatsen de p; permanenties de p; loket het s; middelen de p; financiering de s;
subsidies de p; erkenning de s; bevoegdheden de p; observatorium het s; monitoring de s;
enquête de s; interviews de p; focusgroepen de p; methodologie de s; analyse de s;
resultaten de p; aanbevelingen de p; uitdagingen de p; hefbomen de p; drempels de p;
werkloosheid de s; inkomens de p; levensverwachting de s; sterfte de s;
chronische ziekten de p; dakloosheid de s; nieuwkomers de p; bemiddeling de s;
sociaal werk het s; buurtwerk het s; zorgzame buurt de s; wijkwerking de s;
huisartsenpraktijken de p; apotheken de p; woonzorgzones de p; territorium het s;
partners de p; projecten de p; wijkcontracten de p; ziekenhuis het s; huisarts de s
""")

# Dutch compounds: prefix + head (head gives the article): a realistic long tail.
NL_COMPOUND_PREFIXES = [
    "wijk",
    "buurt",
    "zorg",
    "welzijns",
    "gezondheids",
    "eerstelijns",
    "thuis",
    "mantel",
    "huisartsen",
    "armoede",
    "ouderen",
    "jeugd",
    "stads",
    "gewest",
    "sector",
    "woon",
]
NL_COMPOUND_HEADS = [
    ("werking", "de"),
    ("netwerk", "het"),
    ("aanbod", "het"),
    ("centrum", "het"),
    ("beleid", "het"),
    ("project", "het"),
    ("plan", "het"),
    ("zone", "de"),
    ("kaart", "de"),
    ("overleg", "het"),
    ("team", "het"),
    ("traject", "het"),
    ("analyse", "de"),
    ("monitor", "de"),
    ("coördinatie", "de"),
]

# "base|inflected" (the inflected form follows de/het).
NL_ADJECTIVES: list[tuple[str, str]] = _words2("""
sociaal|sociale; lokaal|lokale; Brussels|Brusselse; toegankelijk|toegankelijke;
kwetsbaar|kwetsbare; geïntegreerd|geïntegreerde; ambulant|ambulante; stedelijk|stedelijke;
gemeentelijk|gemeentelijke; regionaal|regionale; territoriaal|territoriale;
bestaand|bestaande; specifiek|specifieke; relevant|relevante; duurzaam|duurzame;
participatief|participatieve; collectief|collectieve; publiek|publieke;
structureel|structurele; belangrijk|belangrijke; geïsoleerd|geïsoleerde;
dichtbevolkt|dichtbevolkte; statistisch|statistische; administratief|administratieve;
geografisch|geografische; demografisch|demografische; sociaaleconomisch|sociaaleconomische;
digitaal|digitale; gecoördineerd|gecoördineerde; intersectoraal|intersectorale;
multidisciplinair|multidisciplinaire; laagdrempelig|laagdrempelige;
wijkgericht|wijkgerichte; buurtgericht|buurtgerichte; preventief|preventieve;
centraal|centrale; ongelijk|ongelijke; heterogeen|heterogene; gemengd|gemengde;
operationeel|operationele; nieuw|nieuwe; huidig|huidige; integraal|integrale;
zorgzaam|zorgzame; Nederlandstalig|Nederlandstalige; Franstalig|Franstalige;
tweetalig|tweetalige
""")

NL_VERBS: list[tuple[str, str]] = _words2("""
analyseert|analyseren; beschrijft|beschrijven; onderzoekt|onderzoeken; versterkt|versterken;
evalueert|evalueren; vergelijkt|vergelijken; ondersteunt|ondersteunen; verbetert|verbeteren;
organiseert|organiseren; bundelt|bundelen; verkent|verkennen; bevordert|bevorderen;
identificeert|identificeren; coördineert|coördineren; belicht|belichten; meet|meten;
bestudeert|bestuderen; documenteert|documenteren; verduidelijkt|verduidelijken;
benadrukt|benadrukken; illustreert|illustreren; structureert|structureren;
beïnvloedt|beïnvloeden; weerspiegelt|weerspiegelen; bemoeilijkt|bemoeilijken;
faciliteert|faciliteren; herdefinieert|herdefiniëren
""")

NL_CONNECTORS = [
    "Daarnaast",
    "Bovendien",
    "Toch",
    "Zo",
    "Tot slot",
    "In die context",
    "Concreet",
    "Verder",
    "Anderzijds",
    "Tegelijk",
    "In de praktijk",
    "Op termijn",
    "Ten slotte",
    "Vervolgens",
]

NL_PPS = [
    "op wijkniveau",
    "in het Brussels Hoofdstedelijk Gewest",
    "in {commune}",
    "binnen de eerstelijnszone",
    "op gewestelijk niveau",
    "in de kanaalzone",
    "sinds {year}",
    "in de wijk {place}",
    "tussen {year} en {year2}",
    "in de {bassin}",
    "langs het kanaal",
    "voor de meest kwetsbare groepen",
    "vanuit een populatiegerichte aanpak",
    "op basis van de gegevens van het Observatorium",
    "over het hele gewest",
    "op het niveau van de statistische sectoren",
    "met de actoren op het terrein",
    "rond {place}",
    "in het kader van het Geïntegreerd Welzijns- en Gezondheidsplan",
    "op de grens van {commune} en {commune2}",
    "in de tweede kroon",
    "voor mensen zonder thuis",
]

NL_SUBJECTS: list[tuple[str, str]] = [
    ("de studie", "s"),
    ("het rapport", "s"),
    ("dit onderzoek", "s"),
    ("de auteurs", "p"),
    ("het project", "s"),
    ("de nota", "s"),
    ("de analyse", "s"),
    ("de partners", "p"),
    ("de kaart", "s"),
    ("de bevraging", "s"),
    ("het netwerk", "s"),
]

NL_PEOPLE = ["huishoudens", "bewoners", "ouderen", "eenoudergezinnen", "jongvolwassenen", "leefloners", "kinderen"]
NL_FACTS = [
    "onder de armoederisicogrens",
    "zonder vaste huisarts",
    "op meer dan 500 meter van een wijkgezondheidscentrum",
    "met uitgestelde zorg om financiële redenen",
    "met een verhoogde tegemoetkoming",
]
NL_UNITS = ["wijken", "zorgzones", "zones", "sectoren", "gebieden", "bouwblokken", "antennes"]

NL_HEADINGS_FIRST = ["Context", "Inhoud", "Doelstellingen", "Onderwerp"]
NL_HEADINGS_MIDDLE = [
    "Methode",
    "Gegevens en methode",
    "Resultaten",
    "Belangrijkste bevindingen",
    "Afbakening van het gebied",
    "Territoriale indeling",
    "Betrokken actoren",
    "Uitvoering",
]
NL_HEADINGS_LAST = ["Aanbevelingen", "Uitdagingen", "Beperkingen", "Perspectieven", "Meer weten"]
NL_LIST_INTROS = [
    "De belangrijkste elementen zijn:",
    "Het document onderscheidt onder meer:",
    "Drie assen structureren de aanpak:",
    "De vaststellingen gaan over:",
]
NL_LINK_SENTENCES = [
    "Het volledige document staat op [{t}]({u}).",
    "Zie ook [{t}]({u}) voor de bijlagen.",
    "De kaarten zijn te raadplegen via [{t}]({u}).",
]
NL_LINK_TEXTS = [
    "de website van de uitgever",
    "de projectpagina",
    "het rapport online",
    "de fiche van het Observatorium",
    "het gewestelijke platform",
]
NL_TITLE_VERBS = [
    "in kaart brengen",
    "versterken",
    "herdenken",
    "organiseren",
    "evalueren",
    "meten",
    "begrijpen",
    "territorialiseren",
]
NL_DOC_SUBJECT = {
    "study": "deze studie",
    "report": "dit rapport",
    "plan": "dit plan",
    "programme": "dit programma",
    "legal_text": "deze tekst",
    "project": "dit project",
    "tool": "dit instrument",
    "dataset": "deze dataset",
    "atlas": "deze atlas",
    "participatory_process": "dit participatietraject",
    "vision_note": "deze visienota",
    "article": "dit artikel",
}


# --------------------------------------------------------------------------
# Word lists: English (5 % of entries, a smaller lexicon)
# --------------------------------------------------------------------------

# "form|number".
EN_NOUNS: list[tuple[str, str]] = _words2("""
health|s; neighbourhood|s; services|p; neighbourhoods|p; primary care|s; accessibility|s;
provision|s; territory|s; network|s; social care|s; population|s; residents|p;
municipality|s; care basin|s; stakeholders|p; needs|p; deprivation|s; inequalities|p;
poverty|s; proximity|s; evaluation|s; coordination|s; community health centres|p;
general practitioners|p; home care|s; informal carers|p; households|p; older people|p;
families|p; data|p; indicators|p; mapping|s; boundaries|p; scale|s; areas|p;
statistical sectors|p; housing|s; mobility|s; non-take-up|s; prevention|s; mental health|s;
hospitals|p; organisations|p; policy|s; policies|p; programme|s; project|s; governance|s;
participation|s; integration|s; continuity of care|s; ageing|s; density|s; identity|s;
facilities|p; funding|s; competences|p; observatory|s; survey|s; interviews|p;
methodology|s; analysis|s; findings|p; recommendations|p; challenges|p; barriers|p;
unemployment|s; income|s; life expectancy|s; mortality|s; chronic diseases|p;
homelessness|s; newcomers|p; outreach|s; social work|s; networks|p; municipalities|p;
care basins|p
""")

EN_ADJECTIVES = [
    "social",
    "local",
    "territorial",
    "accessible",
    "regional",
    "municipal",
    "integrated",
    "existing",
    "specific",
    "relevant",
    "sustainable",
    "participatory",
    "public",
    "structural",
    "vulnerable",
    "deprived",
    "dense",
    "statistical",
    "administrative",
    "geographic",
    "demographic",
    "socio-economic",
    "digital",
    "coordinated",
    "cross-sector",
    "multidisciplinary",
    "community-based",
    "population-based",
    "central",
    "unequal",
    "preventive",
    "operational",
    "low-threshold",
    "bilingual",
]

EN_VERBS: list[tuple[str, str]] = [
    (v + "s" if not v.endswith(("s", "sh", "ch")) else v + "es", v)
    for v in (
        "analyse",
        "describe",
        "examine",
        "map",
        "strengthen",
        "evaluate",
        "compare",
        "support",
        "improve",
        "organise",
        "highlight",
        "measure",
        "document",
        "explore",
        "illustrate",
        "question",
        "reshape",
        "coordinate",
        "assess",
        "reflect",
    )
]

EN_CONNECTORS = [
    "Moreover",
    "However",
    "Thus",
    "In addition",
    "Finally",
    "In this context",
    "In practice",
    "Conversely",
    "Overall",
    "At the same time",
]
EN_PPS = [
    "at neighbourhood level",
    "across the Brussels-Capital Region",
    "in {commune}",
    "in the {place} neighbourhood",
    "since {year}",
    "between {year} and {year2}",
    "in the {bassin}",
    "along the canal",
    "for the most vulnerable groups",
    "through a population-based approach",
    "using data from the Observatory",
    "at the level of statistical sectors",
    "with front-line workers",
    "around {place}",
    "on the border of {commune} and {commune2}",
]
EN_SUBJECTS: list[tuple[str, str]] = [
    ("the study", "s"),
    ("the report", "s"),
    ("this research", "s"),
    ("the authors", "p"),
    ("the project", "s"),
    ("the paper", "s"),
    ("the analysis", "s"),
    ("the partners", "p"),
]
EN_PEOPLE = ["households", "residents", "older people", "single-parent families", "young adults", "children"]
EN_FACTS = [
    "lived below the poverty line",
    "had no regular general practitioner",
    "lived more than 500 metres from a community health centre",
    "postponed care for financial reasons",
]
EN_UNITS = ["neighbourhoods", "care basins", "zones", "sectors", "areas", "blocks"]
EN_HEADINGS_FIRST = ["Context", "Content", "Objectives", "Purpose"]
EN_HEADINGS_MIDDLE = [
    "Method",
    "Data and method",
    "Results",
    "Key findings",
    "How the territory is drawn",
    "Territorial division",
    "Stakeholders",
    "Implementation",
]
EN_HEADINGS_LAST = ["Recommendations", "Challenges", "Limitations", "Outlook", "Further reading"]
EN_LIST_INTROS = [
    "The main points are:",
    "The document distinguishes in particular:",
    "Three strands shape the approach:",
    "The findings concern:",
]
EN_LINK_SENTENCES = [
    "The full document is available on [{t}]({u}).",
    "See also [{t}]({u}) for the appendices.",
    "The maps can be browsed on [{t}]({u}).",
]
EN_LINK_TEXTS = [
    "the publisher's website",
    "the project page",
    "the online report",
    "the Observatory's page",
    "the regional platform",
]
EN_TITLE_VERBS = [
    "Mapping",
    "Rethinking",
    "Organising",
    "Evaluating",
    "Strengthening",
    "Measuring",
    "Understanding",
    "Territorialising",
]
EN_DOC_SUBJECT = {
    "study": "this study",
    "report": "this report",
    "plan": "this plan",
    "programme": "this programme",
    "legal_text": "this text",
    "project": "this project",
    "tool": "this tool",
    "dataset": "this dataset",
    "atlas": "this atlas",
    "participatory_process": "this participatory process",
    "vision_note": "this vision paper",
    "article": "this article",
}


# --------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------

FAMILY_NAMES = [
    "Peeters",
    "Janssens",
    "Dubois",
    "Maes",
    "Lambert",
    "Jacobs",
    "Mertens",
    "Willems",
    "Dupont",
    "Claes",
    "Martin",
    "Goossens",
    "Wouters",
    "De Smet",
    "Dumont",
    "Leclercq",
    "Vermeulen",
    "El Amrani",
    "Renard",
    "Hermans",
    "Lejeune",
    "Van Damme",
    "Benali",
    "Mahieu",
    "Declercq",
    "Vandenbroucke",
    "Van den Broeck",
    "Moreau",
    "Lefèvre",
    "De Backer",
    "Verhaegen",
    "Yilmaz",
    "Diallo",
    "Mukendi",
    "Noël",
    "Gérard",
    "Delvaux",
    "Deprez",
    "Collard",
    "Thiry",
    "Vanderstraeten",
    "Van Hecke",
    "D'Hondt",
    "Bouzid",
    "Kaya",
    "Nowak",
    "Rossi",
    "García",
    "Ndiaye",
    "Ouédraogo",
    "Çelik",
    "Lemaître",
    "Vandermeulen",
    "De Coninck",
    "Stevens",
    "Hubert",
    "Michiels",
    "Cornelis",
    "Aerts",
    "Smeets",
    "Bastin",
    "Charlier",
    "Piron",
    "Warnier",
    "Dewulf",
    "Ben Salah",
    "Kabamba",
    "Popescu",
    "Kowalska",
    "Haddad",
    "Schmitz",
    "Verbeke",
    "Tahiri",
    "Lemmens",
    "Dethier",
]
GIVEN_NAMES = [
    "Marie",
    "Sophie",
    "Julie",
    "Jan",
    "Pieter",
    "Thomas",
    "Anne",
    "Els",
    "Nicolas",
    "Sarah",
    "Hélène",
    "Koen",
    "Céline",
    "Katrien",
    "Mohamed",
    "Fatima",
    "Frédéric",
    "Lieve",
    "Bart",
    "Nadia",
    "François",
    "Inge",
    "Jérôme",
    "Samira",
    "Wim",
    "Leen",
    "Youssef",
    "Joëlle",
    "Benoît",
    "An",
    "Karim",
    "Grégoire",
    "Zoé",
    "Mehmet",
    "Ayşe",
    "Elif",
    "Lotte",
    "Tom",
    "Amélie",
    "Hanne",
    "Ruben",
    "Aïcha",
    "Noémie",
    "Stijn",
    "Chloé",
    "Lucas",
    "Emma",
    "Ilias",
]


# --------------------------------------------------------------------------
# Made-up names: a unique one per entry (titles) and a long tail (bodies)
# --------------------------------------------------------------------------

# Syllable = consonant onset + one vowel letter: a name splits back into syllables
# unambiguously, so distinct codes give distinct names.
ONSETS = [
    "b",
    "br",
    "d",
    "dr",
    "f",
    "g",
    "gr",
    "k",
    "kl",
    "l",
    "m",
    "n",
    "p",
    "pl",
    "r",
    "s",
    "st",
    "t",
    "tr",
    "v",
    "w",
    "z",
]
VOWELS = "aeiou"
SYLLABLES = [o + v for o in ONSETS for v in VOWELS]  # 110
UNIQUE_SPACE = len(SYLLABLES) ** 3  # 1,331,000 unique names
UNIQUE_MULT = 7_654_321  # coprime to UNIQUE_SPACE: a bijection
assert math.gcd(UNIQUE_MULT, UNIQUE_SPACE) == 1
ENDINGS_FR = ["val", "mont", "court", "ville", "sart", "ries", "fontaine", "bois", "champ"]
ENDINGS_NL = ["beek", "rode", "heide", "dries", "kerke", "veld", "hem", "zele", "broek", "gem", "loo", "dal"]
PLACE_HEADS = [
    "Ker",
    "Mal",
    "Ros",
    "Vel",
    "Hoog",
    "Bren",
    "Dil",
    "Gro",
    "Lin",
    "Mor",
    "Nes",
    "Ost",
    "Pal",
    "Quen",
    "Rix",
    "Sal",
    "Tor",
    "Wes",
    "Zan",
    "Ham",
    "Lau",
    "Bos",
    "Cor",
    "Ever",
    "Jet",
]
PLACE_MIDS = ["", "e", "en", "er", "i", "o", "ol", "an", "au", "ing", "el", "es"]


def unique_name(i: int, seed: int, rng: random.Random) -> str:
    """A capitalised place-like word that only entry ``i`` gets (i < 1,331,000).

    ``i -> code`` is a bijection (an affine map modulo UNIQUE_SPACE, whose offset
    depends on the seed), and distinct codes spell distinct stems."""
    code = (i * UNIQUE_MULT + seed * 1_000_003 + 12_345) % UNIQUE_SPACE
    n = len(SYLLABLES)
    stem = SYLLABLES[code % n] + SYLLABLES[code // n % n] + SYLLABLES[code // (n * n) % n]
    ending = uniform(rng, ENDINGS_NL if rng.random() < 0.5 else ENDINGS_FR)
    return (stem + ending).capitalize()


def place_name(rng: random.Random) -> str:
    """A random place-like word from about 8,000 combinations: a long tail of rare words."""
    endings = ENDINGS_NL if rng.random() < 0.5 else ENDINGS_FR
    return uniform(rng, PLACE_HEADS) + uniform(rng, PLACE_MIDS) + uniform(rng, endings)


# --------------------------------------------------------------------------
# Text generation, one class per language
# --------------------------------------------------------------------------


def percent(rng: random.Random) -> str:
    """A percentage as written in French and Dutch: "23" or "23,4"."""
    whole = between(rng, 4, 61)
    return f"{whole},{below(rng, 10)}" if rng.random() < 0.4 else str(whole)


def cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def lower_first(label: str) -> str:
    """Lowercase a vocabulary label's first letter unless it looks like an acronym."""
    if len(label) > 1 and label[1].isupper():
        return label
    return label[:1].lower() + label[1:]


@dataclass
class Ctx:
    """What the text of one entry may mention."""

    rng: random.Random
    unique: str
    commune_names: list[str]
    bassin_names: list[str]
    criteria_labels: list[str]
    scale_labels: list[str]


class Language:
    """Builds titles, sentences, lists and links in one language."""

    connectors: list[str]
    pps: Zipf[str]
    headings_first: list[str]
    headings_middle: list[str]
    headings_last: list[str]
    list_intros: list[str]
    link_sentences: list[str]
    link_texts: list[str]
    doc_subject: dict[str, str]
    verbs: Zipf[tuple[str, str]]  # (singular, plural)
    subjects: Zipf[tuple[str, str]]  # (phrase, number)
    generic_subject = ""
    at_place = "in {}"  # "à Kasorival", "in Kasorival"

    def np(self, c: Ctx) -> tuple[str, str]:
        """A definite noun phrase and its number ('s' or 'p')."""
        raise NotImplementedError

    def np_indef(self, c: Ctx) -> str:
        """An indefinite noun phrase with an adjective ("une première ligne intégrée")."""
        raise NotImplementedError

    def fact_sentence(self, c: Ctx) -> str:
        """A sentence with a year, a percentage and a commune."""
        raise NotImplementedError

    def territory_sentence(self, c: Ctx) -> str:
        """How the territory is drawn, naming one of the entry's criteria or scales."""
        raise NotImplementedError

    def title(self, c: Ctx, type_label: str) -> str:
        """A title holding the entry's unique name and a random place name."""
        raise NotImplementedError

    # -- shared machinery ---------------------------------------------------

    def verb(self, c: Ctx, number: str) -> str:
        sg, pl = self.verbs.pick(c.rng)
        return sg if number == "s" else pl

    def subject(self, c: Ctx) -> tuple[str, str]:
        """The document or its authors, with their number: ("l'étude", "s")."""
        return self.subjects.pick(c.rng)

    def pp(self, c: Ctx) -> str:
        rng = c.rng
        template = self.pps.pick(rng)
        if "{" not in template:
            return template
        year = between(rng, 1995, 2024)
        commune, commune2 = uniform(rng, c.commune_names), uniform(rng, c.commune_names)
        return template.format(
            commune=commune,
            commune2=commune2,
            de_commune=self.de_name(commune),
            de_commune2=self.de_name(commune2),
            year=year,
            year2=year + between(rng, 2, 12),
            place=place_name(rng),
            bassin=self.bassin_form(uniform(rng, c.bassin_names)),
        )

    def de_name(self, name: str) -> str:
        return name

    def bassin_form(self, label: str) -> str:
        """How a bassin's label reads after an article ("dans le bassin Nord")."""
        return lower_first(label)

    def clause(self, c: Ctx, subject: tuple[str, str] | None = None, where: str = "") -> str:
        """Subject, verb, object, then `where` or (often) a random adverbial phrase;
        no final full stop."""
        rng = c.rng
        subj, number = subject or (self.subject(c) if rng.random() < 0.45 else self.np(c))
        obj, _ = self.np(c)
        parts = [subj, self.verb(c, number), obj]
        if where:
            parts.append(where)
        elif rng.random() < 0.7:
            parts.append(self.pp(c))
        return " ".join(parts)

    def plain_sentence(self, c: Ctx) -> str:
        rng = c.rng
        if rng.random() < 0.3:
            return f"{uniform(rng, self.connectors)}, {self.clause(c)}."
        return cap(self.clause(c)) + "."

    def sentence(self, c: Ctx) -> str:
        rng = c.rng
        while True:
            x = rng.random()
            if x < 0.08:
                text = self.fact_sentence(c)
            elif x < 0.14:
                text = self.territory_sentence(c)
            else:
                text = self.plain_sentence(c)
            if len(text.split()) <= MAX_SENTENCE_WORDS:
                return text

    def list_item(self, c: Ctx) -> str:
        phrase, _ = self.np(c)
        if c.rng.random() < 0.5:
            phrase += " " + self.pp(c)
        return phrase

    def summary(self, c: Ctx, type_id: str) -> str:
        rng = c.rng
        subject = (self.doc_subject.get(type_id, self.generic_subject), "s")
        where = self.at_place.format(c.unique) if rng.random() < 0.5 else ""
        return cap(self.clause(c, subject, where)) + "."


class French(Language):
    connectors = FR_CONNECTORS
    pps = Zipf(FR_PPS, 1.0, 1.5)
    headings_first = FR_HEADINGS_FIRST
    headings_middle = FR_HEADINGS_MIDDLE
    headings_last = FR_HEADINGS_LAST
    list_intros = FR_LIST_INTROS
    link_sentences = FR_LINK_SENTENCES
    link_texts = FR_LINK_TEXTS
    doc_subject = FR_DOC_SUBJECT
    generic_subject = "ce document"
    at_place = "à {}"
    nouns = Zipf(FR_NOUNS, 1.0, 2.5)
    adjectives = Zipf(FR_ADJECTIVES, 1.0, 2.0)
    verbs = Zipf(FR_VERBS, 1.0, 2.0)
    subjects = Zipf(FR_SUBJECTS)
    VOWEL_START = tuple("aeiouyhàâéèêëîïôûüœ")  # l'offre, l'hôpital
    NAME_VOWEL_START = tuple("AEIOUYÉÈÊÎÔ")  # d'Anderlecht, but de Hoogbeek

    def elides(self, word: str) -> bool:
        return word.startswith(self.VOWEL_START)

    def article(self, noun: tuple[str, str, str], kind: str = "def") -> str:
        form, gender, number = noun
        if kind == "def":
            if number == "p":
                return "les " + form
            if self.elides(form):
                return "l'" + form
            return ("le " if gender == "m" else "la ") + form
        if kind == "de":
            if number == "p":
                return "des " + form
            if self.elides(form):
                return "de l'" + form
            return ("du " if gender == "m" else "de la ") + form
        # indefinite
        if number == "p":
            return "des " + form
        return ("un " if gender == "m" else "une ") + form

    def adjective(self, c: Ctx, noun: tuple[str, str, str]) -> str:
        """An adjective agreeing with the noun, and not already part of it."""
        index = {("m", "s"): 0, ("f", "s"): 1, ("m", "p"): 2, ("f", "p"): 3}[noun[1:]]
        while True:
            adj = self.adjectives.pick(c.rng)[index]
            if adj not in noun[0]:
                return adj

    def pick_noun(self, c: Ctx) -> tuple[str, str, str]:
        return self.nouns.pick(c.rng)

    def np(self, c: Ctx) -> tuple[str, str]:
        rng = c.rng
        noun = self.pick_noun(c)
        text = self.article(noun)
        if rng.random() < 0.55:
            text += " " + self.adjective(c, noun)
        if rng.random() < 0.35:
            other = self.pick_noun(c)
            if other[0] != noun[0]:
                text += " " + self.article(other, "de")
                if rng.random() < 0.3:
                    text += " " + self.adjective(c, other)
        return text, noun[2]

    def np_indef(self, c: Ctx) -> str:
        noun = self.pick_noun(c)
        return self.article(noun, "indef") + " " + self.adjective(c, noun)

    def de_name(self, name: str) -> str:
        """ "de" before a place name: "d'Anderlecht", "de Hoogbeek" (no elision before h)."""
        return ("d'" if name.startswith(self.NAME_VOWEL_START) else "de ") + name

    def fact_sentence(self, c: Ctx) -> str:
        rng = c.rng
        pct = percent(rng)
        return (
            f"En {between(rng, 2001, 2024)}, {pct}\u00a0% des {uniform(rng, FR_PEOPLE)} "
            f"{self.de_name(uniform(rng, c.commune_names))} {uniform(rng, FR_FACTS)}."
        )

    def territory_sentence(self, c: Ctx) -> str:
        rng = c.rng
        if rng.random() < 0.5:
            units = f"{between(rng, 3, 145)} {uniform(rng, FR_UNITS)}"
            criterion = lower_first(uniform(rng, c.criteria_labels))
            return f"Le territoire est découpé en {units} sur la base du critère «\u00a0{criterion}\u00a0»."
        return f"L'échelle retenue : {lower_first(uniform(rng, c.scale_labels))}."

    def title(self, c: Ctx, type_label: str) -> str:
        rng = c.rng
        u, p = c.unique, place_name(rng)
        k = below(rng, 6)
        if k == 0:
            where = f"{self.de_name(u)} et {self.de_name(p)}"
            return f"{cap(self.np(c)[0])} {self.pp(c)} : le cas {where}"
        if k == 1:
            return f"{type_label} sur {self.np(c)[0]} et {self.np(c)[0]} à {u} et à {p}"
        if k == 2:
            return f"{cap(self.np(c)[0])} et {self.np(c)[0]} dans les quartiers {u} et {p}"
        if k == 3:
            return (
                f"{uniform(rng, FR_TITLE_VERBS)} {self.np(c)[0]} {self.pp(c)} : "
                f"enseignements {self.de_name(u)} et {self.de_name(p)}"
            )
        if k == 4:
            return f"{u} et {p} : {self.np(c)[0]} {self.pp(c)}"
        return f"Vers {self.np_indef(c)} ? {type_label} {self.de_name(u)} et {self.de_name(p)}"


class Dutch(Language):
    connectors = NL_CONNECTORS
    pps = Zipf(NL_PPS, 1.0, 1.5)
    headings_first = NL_HEADINGS_FIRST
    headings_middle = NL_HEADINGS_MIDDLE
    headings_last = NL_HEADINGS_LAST
    list_intros = NL_LIST_INTROS
    link_sentences = NL_LINK_SENTENCES
    link_texts = NL_LINK_TEXTS
    doc_subject = NL_DOC_SUBJECT
    generic_subject = "dit document"
    nouns = Zipf(NL_NOUNS, 1.0, 2.5)
    adjectives = Zipf(NL_ADJECTIVES, 1.0, 2.0)
    verbs = Zipf(NL_VERBS, 1.0, 2.0)
    subjects = Zipf(NL_SUBJECTS)
    compound_prefixes = Zipf(NL_COMPOUND_PREFIXES)
    compound_heads = Zipf(NL_COMPOUND_HEADS)

    def pick_noun(self, c: Ctx) -> tuple[str, str, str]:
        """A listed noun, or now and then a compound (wijk + netwerk: "het wijknetwerk")."""
        rng = c.rng
        if rng.random() < 0.12:
            head, article = self.compound_heads.pick(rng)
            return self.compound_prefixes.pick(rng) + head, article, "s"
        return self.nouns.pick(rng)

    def np(self, c: Ctx) -> tuple[str, str]:
        rng = c.rng
        form, article, number = self.pick_noun(c)
        words = [article]
        if rng.random() < 0.5:
            adj = self.adjectives.pick(rng)[1]
            if adj not in form:
                words.append(adj)
        words.append(form)
        if rng.random() < 0.3:
            o_form, o_article, _ = self.pick_noun(c)
            if o_form != form:
                words += ["van", o_article, o_form]
        return " ".join(words), number

    def np_indef(self, c: Ctx) -> str:
        form, article, number = self.pick_noun(c)
        base, inflected = self.adjectives.pick(c.rng)
        if number == "p":
            return f"{inflected} {form}"
        return f"een {base if article == 'het' else inflected} {form}"

    def plain_sentence(self, c: Ctx) -> str:
        rng = c.rng
        if rng.random() >= 0.3:
            return cap(self.clause(c)) + "."
        # Dutch inversion after an adverbial: "Daarnaast analyseert de studie ..."
        subj, number = self.subject(c) if rng.random() < 0.5 else self.np(c)
        obj, _ = self.np(c)
        text = f"{uniform(rng, self.connectors)} {self.verb(c, number)} {subj} {obj}"
        if rng.random() < 0.6:
            text += " " + self.pp(c)
        return text + "."

    def fact_sentence(self, c: Ctx) -> str:
        rng = c.rng
        pct = percent(rng)
        return (
            f"In {between(rng, 2001, 2024)} leefde {pct}\u00a0% van de "
            f"{uniform(rng, NL_PEOPLE)} "
            f"in {uniform(rng, c.commune_names)} {uniform(rng, NL_FACTS)}."
        )

    def territory_sentence(self, c: Ctx) -> str:
        rng = c.rng
        if rng.random() < 0.5:
            units = f"{between(rng, 3, 145)} {uniform(rng, NL_UNITS)}"
            criterion = lower_first(uniform(rng, c.criteria_labels))
            return f"Het gebied wordt ingedeeld in {units} op basis van het criterium ‘{criterion}’."
        return f"Het gekozen schaalniveau: {lower_first(uniform(rng, c.scale_labels))}."

    def title(self, c: Ctx, type_label: str) -> str:
        rng = c.rng
        u, p = c.unique, place_name(rng)
        k = below(rng, 5)
        if k == 0:
            return f"{cap(self.np(c)[0])} {self.pp(c)}: het voorbeeld van {u} en {p}"
        if k == 1:
            return f"{type_label} over {self.np(c)[0]} en {self.np(c)[0]} in {u} en {p}"
        if k == 2:
            return f"{u} en {p}: {self.np(c)[0]} en {self.np(c)[0]}"
        if k == 3:
            return f"Naar {self.np_indef(c)}? Lessen uit {u} en {p}"
        return f"{cap(self.np(c)[0])} {uniform(rng, NL_TITLE_VERBS)} in {u} en {p}"


class English(Language):
    connectors = EN_CONNECTORS
    pps = Zipf(EN_PPS, 1.0, 1.5)
    headings_first = EN_HEADINGS_FIRST
    headings_middle = EN_HEADINGS_MIDDLE
    headings_last = EN_HEADINGS_LAST
    list_intros = EN_LIST_INTROS
    link_sentences = EN_LINK_SENTENCES
    link_texts = EN_LINK_TEXTS
    doc_subject = EN_DOC_SUBJECT
    generic_subject = "this document"
    nouns = Zipf(EN_NOUNS, 1.0, 2.5)
    adjectives = Zipf(EN_ADJECTIVES, 1.0, 2.0)
    verbs = Zipf(EN_VERBS, 1.0, 2.0)
    subjects = Zipf(EN_SUBJECTS)

    def np(self, c: Ctx) -> tuple[str, str]:
        rng = c.rng
        form, number = self.nouns.pick(rng)
        words = ["the"]
        if rng.random() < 0.5:
            words.append(self.adjectives.pick(rng))
        words.append(form)
        if rng.random() < 0.3:
            other = self.nouns.pick(rng)[0]
            if other != form:
                words += ["of the", other]
        return " ".join(words), number

    def np_indef(self, c: Ctx) -> str:
        form, number = self.nouns.pick(c.rng)
        adj = self.adjectives.pick(c.rng)
        if number == "p":
            return f"{adj} {form}"
        return f"{'an' if adj[0] in 'aeiou' else 'a'} {adj} {form}"

    def bassin_form(self, label: str) -> str:
        return label  # "in the North care basin"

    def fact_sentence(self, c: Ctx) -> str:
        rng = c.rng
        return (
            f"In {between(rng, 2001, 2024)}, {between(rng, 4, 61)}% of "
            f"{uniform(rng, EN_PEOPLE)} "
            f"in {uniform(rng, c.commune_names)} {uniform(rng, EN_FACTS)}."
        )

    def territory_sentence(self, c: Ctx) -> str:
        rng = c.rng
        if rng.random() < 0.5:
            units = f"{between(rng, 3, 145)} {uniform(rng, EN_UNITS)}"
            return (
                f"The territory is divided into {units} on the basis of {lower_first(uniform(rng, c.criteria_labels))}."
            )
        return f"The chosen scale: {lower_first(uniform(rng, c.scale_labels))}."

    def title(self, c: Ctx, type_label: str) -> str:
        rng = c.rng
        u, p = c.unique, place_name(rng)
        k = below(rng, 4)
        if k == 0:
            return f"{cap(self.np(c)[0])} {self.pp(c)}: the case of {u} and {p}"
        if k == 1:
            return f"{uniform(rng, EN_TITLE_VERBS)} {self.np(c)[0]} in {u} and {p}"
        if k == 2:
            return f"{u} and {p}: {self.np(c)[0]} and {self.np(c)[0]}"
        return f"Towards {self.np_indef(c)}? Lessons from {u} and {p}"


LANGUAGES: dict[str, Language] = {"fr": French(), "nl": Dutch(), "en": English()}


# --------------------------------------------------------------------------
# Markdown body
# --------------------------------------------------------------------------


@functools.cache
def _wrap_pattern(width: int) -> re.Pattern[str]:
    # The longest run of at most `width` characters (or one longer word, such as a
    # URL) ending before a space that may become a line break: not one followed by
    # something Markdown could read as a list item, heading, quote or table row.
    return re.compile(rf"(.{{1,{width}}}|\S+)(?: (?![-+*#>|\d])|$)")


def wrap(text: str, width: int = WRAP_WIDTH) -> str:
    """Greedy word wrap (a regular expression: much faster than textwrap)."""
    pattern = _wrap_pattern(width)
    wrapped = "\n".join(pattern.findall(text))
    if len(wrapped) != len(text):  # findall skipped something it could not match
        wrapped = pattern.sub("\\1\n", text).rstrip("\n")
    return wrapped


def body(c: Ctx, lang: Language, link_url: str) -> str:
    """3-4 sections, 250-400 words (whitespace-separated, markup included)."""
    rng = c.rng
    n_sections = 3 if rng.random() < 0.5 else 4
    middle: list[str] = []
    while len(middle) < n_sections - 2:
        h = uniform(rng, lang.headings_middle)
        if h not in middle:
            middle.append(h)
    headings = [uniform(rng, lang.headings_first), *middle, uniform(rng, lang.headings_last)]

    list_section = between(rng, 0, n_sections - 1)
    items = [lang.list_item(c) for _ in range(between(rng, 3, 5))]
    bullet = [lang.list_intros[below(rng, len(lang.list_intros))], *("- " + it for it in items)]
    link = uniform(rng, lang.link_sentences).format(t=uniform(rng, lang.link_texts), u=link_url)

    fixed = sum(len(h.split()) + 1 for h in headings)
    fixed += sum(len(x.split()) for x in bullet) + len(link.split())
    # Stop once the target is reached: a sentence has at most MAX_SENTENCE_WORDS
    # words, so the total stays within [BODY_WORDS_MIN, BODY_WORDS_MAX].
    target = between(rng, BODY_WORDS_MIN + 10, BODY_WORDS_MAX - MAX_SENTENCE_WORDS)
    first = cap(lang.clause(c, where=lang.at_place.format(c.unique))) + "."
    sentences = [first]
    count = fixed + len(first.split())
    while count < target:
        sentence = lang.sentence(c)
        sentences.append(sentence)
        count += len(sentence.split())

    # Cut the sentences into paragraphs, at least one per section.
    assert len(sentences) >= n_sections + 5, "body too short to cut into paragraphs"
    n_par = n_sections + between(rng, 1, 5)
    positions = list(range(1, len(sentences)))
    for k in range(n_par - 1):  # partial Fisher-Yates: n_par - 1 distinct cut points
        j = k + below(rng, len(positions) - k)
        positions[k], positions[j] = positions[j], positions[k]
    bounds = [0, *sorted(positions[: n_par - 1]), len(sentences)]
    paragraphs = [" ".join(sentences[a:b]) for a, b in itertools.pairwise(bounds)]
    link_par = below(rng, len(paragraphs))
    paragraphs[link_par] += " " + link

    # Spread the paragraphs over the sections (each gets at least one).
    per_section = [1] * n_sections
    for _ in range(len(paragraphs) - n_sections):
        per_section[below(rng, n_sections)] += 1
    out: list[str] = []
    p = 0
    for s, heading in enumerate(headings):
        out.append(f"## {heading}")
        for k in range(per_section[s]):
            out.append(wrap(paragraphs[p]))
            p += 1
            if s == list_section and k == 0:
                out.append(bullet[0])
                out.append("\n".join(bullet[1:]))
    return "\n\n".join(out) + "\n"


# --------------------------------------------------------------------------
# One entry
# --------------------------------------------------------------------------

STOPWORDS = {
    "le",
    "la",
    "les",
    "l",
    "de",
    "des",
    "du",
    "d",
    "et",
    "en",
    "a",
    "au",
    "aux",
    "un",
    "une",
    "sur",
    "dans",
    "pour",
    "par",
    "het",
    "van",
    "een",
    "in",
    "op",
    "over",
    "uit",
    "naar",
    "the",
    "of",
    "and",
    "on",
    "for",
    "to",
    "an",
    "vers",
    "cas",
    "se",
}


def slugify(text: str) -> list[str]:
    """The title's words, ascii, lowercase, without the most common small words."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return [w for w in re.findall(r"[a-z0-9]+", ascii_text) if w not in STOPWORDS]


def make_id(i: int, title: str) -> str:
    base = f"{ID_PREFIX}-{i:06d}"
    out = base
    for word in slugify(title):
        if len(out) + 1 + len(word) > ID_MAX_LEN:
            break
        out += "-" + word
    return out


def yaml_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def flow(values: Sequence[str]) -> str:
    return "[" + ", ".join(values) + "]"


class Pickers:
    """Skewed samplers over the vocabulary ids, built once per run."""

    def __init__(self, vocab: Vocab) -> None:
        v = vocab.ids
        self.types = Zipf(preferred(TYPE_ORDER, v["types"]), 1.1)
        self.scales = Zipf(preferred(SCALE_ORDER, v["scales"]), 1.2)
        self.criteria = Zipf(preferred(CRITERIA_ORDER, v["criteria"]), 1.0)
        self.partners = Zipf(preferred(PARTNER_ORDER, v["partners"]), 1.1)
        by_kind: dict[str, list[str]] = {"region": [], "commune": [], "bassin": []}
        for t in v["territories"]:
            by_kind.setdefault(vocab.territory_kind[t], []).append(t)
        self.regions = by_kind["region"]
        communes, bassins = by_kind["commune"], by_kind["bassin"]
        self.communes = Zipf(preferred(COMMUNE_ORDER, communes), 0.9) if communes else None
        self.bassins = Zipf(bassins, 0.6) if bassins else None
        # Organisations "as written": some free names, and partners' full names.
        names = list(ORGANISATION_NAMES)
        for p in v["partners"]:
            for lang in ("fr", "nl"):
                if (label := vocab.label("partners", p, lang)) not in names:
                    names.append(label)
        self.organisation_names = Zipf(names, 1.0)
        self.families = Zipf(FAMILY_NAMES, 0.9)
        self.givens = Zipf(GIVEN_NAMES, 0.9)
        self.languages = list(LANGUAGE_WEIGHTS.items())
        # Commune and bassin names used in the text, per language.
        self.commune_names = {
            lang: [vocab.label("territories", t, lang) for t in communes] or ["Bruxelles"] for lang in LANGUAGE_WEIGHTS
        }
        self.bassin_names = {
            lang: [vocab.label("territories", t, lang) for t in bassins] or ["Bassin"] for lang in LANGUAGE_WEIGHTS
        }


def territories_for(rng: random.Random, pk: Pickers) -> list[str]:
    x = rng.random()
    out: list[str] = []
    if x < 0.20:
        return out
    if x < 0.55 or not (pk.communes or pk.bassins):
        return pk.regions[:1]
    if x < 0.85 and pk.communes:
        return pk.communes.distinct(rng, weighted(rng, [(1, 5), (2, 3), (3, 1.5), (4, 1)]))
    if pk.bassins:
        out = pk.bassins.distinct(rng, 1 if rng.random() < 0.7 else 2)
        if rng.random() < 0.3 and pk.regions:
            out.insert(0, pk.regions[0])
    return out or pk.regions[:1]


def quote_territory(value: str) -> str:
    return yaml_quote(value) if value.isdigit() else value


def make_entry(i: int, seed: int, vocab: Vocab, pk: Pickers, with_id: bool = True) -> tuple[str, str]:
    """Entry ``i`` as (id, file text). Depends only on (seed, i) and the word lists."""
    rng = entry_rng(seed, i)
    lang_code: str = weighted(rng, pk.languages)
    lang = LANGUAGES[lang_code]
    typographic = rng.random() < 0.3  # write ’ instead of ' in this entry's text

    type_id = pk.types.pick(rng)
    # Recent years are more frequent, as in the real inventory.
    year = YEAR_MAX - int((YEAR_MAX - YEAR_MIN + 1) * rng.random() ** 1.8)
    date_value: str | None = None
    pub_start = date(year, 1, 1)
    x = rng.random()
    if x < 0.40:
        month = between(rng, 1, 9 if year == YEAR_MAX else 12)
        pub_start = date(year, month, 1)
        date_value = f"{year}-{month:02d}"
        if x < 0.06:
            day = between(rng, 1, 28)
            pub_start = date(year, month, day)
            date_value += f"-{day:02d}"

    authors: list[str] = []
    n_authors = weighted(rng, [(0, 2), (1, 4), (2, 3), (3, 2), (4, 1)])
    while len(authors) < n_authors:
        author = f"{pk.families.pick(rng)}, {pk.givens.pick(rng)}"
        if author not in authors:
            authors.append(author)
    partners = pk.partners.distinct(rng, weighted(rng, [(1, 5), (2, 3), (3, 2)]))
    organisations: list[str] = []
    for k in range(1 if rng.random() < 0.7 else 2):
        if rng.random() < 0.75:
            org = partners[k] if k < len(partners) and rng.random() < 0.8 else pk.partners.pick(rng)
        else:
            org = yaml_quote(pk.organisation_names.pick(rng))
        if org not in organisations:
            organisations.append(org)
    scales = pk.scales.distinct(rng, weighted(rng, [(1, 5), (2, 3), (3, 1.5)]))
    criteria = pk.criteria.distinct(rng, weighted(rng, [(1, 3), (2, 4), (3, 2.5), (4, 1.5)]))
    territories = territories_for(rng, pk)

    ctx = Ctx(
        rng=rng,
        unique=unique_name(i, seed, rng),
        commune_names=pk.commune_names[lang_code],
        bassin_names=pk.bassin_names[lang_code],
        criteria_labels=[vocab.label("criteria", v, lang_code) for v in criteria],
        scale_labels=[vocab.label("scales", v, lang_code) for v in scales],
    )
    title = lang.title(ctx, vocab.label("types", type_id, lang_code))
    summary = lang.summary(ctx, type_id)
    entry_id = make_id(i, title)
    section = uniform(rng, ["publications", "docs", "etudes", "rapporten", "library", "media"])
    url = f"https://example.org/{lang_code}/{section}/{entry_id}"
    if rng.random() < 0.35:
        url += ".pdf"
    doi = f"10.5555/kb-syn.{i:06d}" if rng.random() < 0.08 else None
    text = body(ctx, lang, f"https://example.org/{lang_code}/annexes/{entry_id}")
    if typographic:
        title, summary, text = (s.replace("'", "’") for s in (title, summary, text))

    # Added to the inventory between 2024-01-01 and 2026-10-31, never before publication
    # (2026 publications have a month up to September, so that still holds).
    added = ADDED_FIRST + timedelta(days=(i * 7919 + 13) % ADDED_SPAN_DAYS)
    if added < pub_start:
        added = pub_start + timedelta(days=i % 30)

    fm: list[str] = ["---"]
    if with_id:
        fm.append(f"id: {entry_id}")
    fm += [f"title: {yaml_quote(title)}", f"type: {type_id}", f"year: {year}"]
    if date_value:
        fm.append(f"date: {date_value}")
    if authors:
        fm.append("authors:")
        fm += [f"  - {a}" for a in authors]
    fm += [
        f"organisations: {flow(organisations)}",
        f"partners: {flow(partners)}",
        f"scale: {flow(scales)}",
        f"criteria: {flow(criteria)}",
    ]
    if territories:
        fm.append(f"territories: {flow([quote_territory(t) for t in territories])}")
    fm += [f"language: {lang_code}", f"url: {url}"]
    if doi:
        fm.append(f"doi: {doi}")
    if len(summary) > 80:
        fm.append("summary: >-")
        fm += ["  " + line for line in wrap(summary, 88).split("\n")]
    else:
        fm.append(f"summary: {yaml_quote(summary)}")
    fm += [f"added: {added.isoformat()}", "---", ""]
    return entry_id, "\n".join(fm) + "\n" + text


# --------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------


def default_jobs() -> int:
    count = getattr(os, "process_cpu_count", os.cpu_count)()
    return max(1, min(count or 1, 8))


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Write N synthetic but realistic kb entries (OUT_DIR/<id>.md) "
        "for benchmarks and tests. Deterministic: entry i depends only on "
        "(seed, i), so a smaller run is a prefix of a larger one."
    )
    parser.add_argument(
        "out_dir",
        metavar="OUT_DIR",
        type=Path,
        help="folder to write into (created if missing; existing files "
        "with the same names are overwritten, others are left alone)",
    )
    parser.add_argument("-n", "--count", type=int, default=1000, help="number of entries (default: 1000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default: 42)")
    parser.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=default_jobs(),
        help="worker processes (default: the CPUs, at most 8); the output does not depend on it",
    )
    parser.add_argument(
        "--no-id",
        dest="with_id",
        action="store_false",
        help="do not write an `id:` line in the front matter (the file name still carries the id)",
    )
    args = parser.parse_args(argv)
    if not 0 <= args.count < UNIQUE_SPACE:
        parser.error(f"-n must be between 0 and {UNIQUE_SPACE - 1}")
    if args.jobs < 1:
        parser.error("-j must be at least 1")
    return args


@dataclass
class Job:
    """What every worker needs to write entries."""

    out_dir: Path
    seed: int
    with_id: bool
    vocab: Vocab
    pickers: Pickers


_JOB: Job | None = None


def _init_worker(out_dir: Path, seed: int, with_id: bool) -> None:
    global _JOB
    vocab = load_vocab()
    _JOB = Job(out_dir, seed, with_id, vocab, Pickers(vocab))


def write_entries(bounds: tuple[int, int]) -> int:
    """Write entries lo..hi-1; return the number of bytes written."""
    assert _JOB is not None, "_init_worker() was not called"
    job = _JOB
    total = 0
    for i in range(*bounds):
        entry_id, text = make_entry(i, job.seed, job.vocab, job.pickers, job.with_id)
        data = text.encode("utf-8")
        (job.out_dir / f"{entry_id}.md").write_bytes(data)
        total += len(data)
    return total


CHUNK = 500  # entries per task when writing in parallel


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    out_dir: Path = args.out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    first, stop = 1, args.count + 1
    jobs = min(args.jobs, -(-args.count // CHUNK))
    if jobs <= 1:
        _init_worker(out_dir, args.seed, args.with_id)
        total_bytes = write_entries((first, stop))
    else:
        # Entries are independent, so which process writes which file does not
        # change a byte of the output.
        chunks = [(lo, min(lo + CHUNK, stop)) for lo in range(first, stop, CHUNK)]
        with multiprocessing.Pool(jobs, _init_worker, (out_dir, args.seed, args.with_id)) as pool:
            total_bytes = sum(pool.imap_unordered(write_entries, chunks))
    elapsed = time.perf_counter() - started
    print(
        f"gen_corpus: wrote {args.count} entries, {total_bytes:,} bytes "
        f"({total_bytes / 1e6:.1f} MB) to {out_dir} in {elapsed:.2f}s "
        f"(seed {args.seed}, {max(jobs, 1)} process{'es' if jobs > 1 else ''})",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
