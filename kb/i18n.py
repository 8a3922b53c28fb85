"""The site's interface text in French and Dutch (every label a reader sees outside the entries).

Vocabulary values carry their own labels (kb/vocabularies); this module holds the rest, so a
translation is one dictionary, and a test checks that both languages have every key.
"""

from __future__ import annotations

UI_LANGS = ("fr", "nl")
LANG_NAMES = {"fr": "Français", "nl": "Nederlands", "en": "English"}

STRINGS: dict[str, dict[str, str]] = {
    "fr": {
        "site": "Territories · inventaire",
        "site_long": "Inventaire des études et projets sur la territorialisation de l'aide et du soin à Bruxelles",
        "skip": "Aller au contenu",
        "nav": "Navigation principale",
        "home": "Accueil",
        "all": "Toutes les fiches",
        "search": "Rechercher",
        "browse": "Parcourir",
        "matrix": "Échelles × critères",
        "map": "Territoires couverts",
        "overview": "Partenaires et années",
        "compare": "Comparer",
        "switch": "Nederlands",
        "intro": "Le groupe de travail « Territories » (CBCS, CDCS-CMDC, Brusano, perspective.brussels, "
                 "Huis voor Gezondheid, au sein de Care in the City) recense les études et projets qui "
                 "découpent Bruxelles en territoires pour organiser l'aide et le soin.",
        "questions": "Les questions de l'inventaire",
        "q1": "Qu'est-ce qu'une zone d'intervention ?",
        "q2": "Quelle est son échelle ?",
        "q3": "Sur quelle base détermine-t-on un territoire ?",
        "q4": "Selon quels critères ?",
        "count": "{n} fiches",
        "count_one": "1 fiche",
        "latest": "Derniers ajouts",
        "browse_by": "Parcourir par {dim}",
        "entries_with": "Fiches « {value} »",
        "values": "{n} valeurs",
        "page_of": "Page {n} sur {m}",
        "pages": "Pages",
        "previous": "Page précédente",
        "next": "Page suivante",
        "authors": "Auteurs",
        "organisations": "Organisations",
        "date": "Date",
        "year": "Année",
        "read": "Lire le document",
        "doi": "DOI",
        "summary": "Résumé",
        "related": "Fiches liées",
        "related_why": "Partage : {tags}",
        "added": "Ajoutée le",
        "details": "Description",
        "source": "Fichier source",
        "search_label": "Rechercher dans l'inventaire",
        "search_button": "Rechercher",
        "search_hint": "Les accents sont facultatifs. Sans mot, les filtres seuls listent les fiches.",
        "search_noscript": "La recherche plein texte demande JavaScript. Sans JavaScript, parcourez les fiches par échelle, critère, partenaire, type, année ou territoire :",
        "filters": "Filtres",
        "results": "Résultats",
        "no_results": "Aucune fiche ne correspond.",
        "clear": "Effacer les filtres",
        "loading": "Chargement…",
        "not_found": "Page introuvable",
        "not_found_text": "Cette page n'existe pas ou plus.",
        "footer": "Inventaire ouvert : chaque fiche est un fichier Markdown, ajouté par pull request.",
        "tags_heading": "Classement",
        "dimension_index": "Toutes les valeurs",
        "language_of_entry": "Fiche rédigée en {lang}",
        "more": "Afficher plus de résultats",
        "failed": "La recherche n'a pas pu se charger ; parcourez les fiches par échelle ou critère.",
    },
    "nl": {
        "site": "Territories · inventaris",
        "site_long": "Inventaris van studies en projecten over de territorialisering van welzijn en zorg in Brussel",
        "skip": "Naar de inhoud",
        "nav": "Hoofdnavigatie",
        "home": "Home",
        "all": "Alle fiches",
        "search": "Zoeken",
        "browse": "Bladeren",
        "matrix": "Schalen × criteria",
        "map": "Gedekte gebieden",
        "overview": "Partners en jaren",
        "compare": "Vergelijken",
        "switch": "Français",
        "intro": "De werkgroep 'Territories' (CBCS, CDCS-CMDC, Brusano, perspective.brussels, "
                 "Huis voor Gezondheid, binnen Care in the City) brengt de studies en projecten in kaart "
                 "die Brussel in gebieden opdelen om welzijn en zorg te organiseren.",
        "questions": "De vragen van de inventaris",
        "q1": "Wat is een interventiezone?",
        "q2": "Op welke schaal?",
        "q3": "Op welke basis bakent men een gebied af?",
        "q4": "Volgens welke criteria?",
        "count": "{n} fiches",
        "count_one": "1 fiche",
        "latest": "Laatst toegevoegd",
        "browse_by": "Bladeren per {dim}",
        "entries_with": "Fiches '{value}'",
        "values": "{n} waarden",
        "page_of": "Pagina {n} van {m}",
        "pages": "Pagina's",
        "previous": "Vorige pagina",
        "next": "Volgende pagina",
        "authors": "Auteurs",
        "organisations": "Organisaties",
        "date": "Datum",
        "year": "Jaar",
        "read": "Document lezen",
        "doi": "DOI",
        "summary": "Samenvatting",
        "related": "Verwante fiches",
        "related_why": "Gemeenschappelijk: {tags}",
        "added": "Toegevoegd op",
        "details": "Beschrijving",
        "source": "Bronbestand",
        "search_label": "Zoeken in de inventaris",
        "search_button": "Zoeken",
        "search_hint": "Accenten zijn niet nodig. Zonder zoekterm tonen de filters alleen de fiches.",
        "search_noscript": "Zoeken in de volledige tekst vraagt JavaScript. Zonder JavaScript kunt u de fiches doorbladeren per schaal, criterium, partner, type, jaar of gebied:",
        "filters": "Filters",
        "results": "Resultaten",
        "no_results": "Geen enkele fiche komt overeen.",
        "clear": "Filters wissen",
        "loading": "Laden…",
        "not_found": "Pagina niet gevonden",
        "not_found_text": "Deze pagina bestaat niet (meer).",
        "footer": "Open inventaris: elke fiche is een Markdown-bestand, toegevoegd via een pull request.",
        "tags_heading": "Indeling",
        "dimension_index": "Alle waarden",
        "language_of_entry": "Fiche geschreven in het {lang}",
        "more": "Meer resultaten tonen",
        "failed": "Het zoeken kon niet geladen worden; blader door de fiches per schaal of criterium.",
    },
}

# Facet names, singular for headings ("Échelle") and lowercase for phrases ("par échelle").
DIMENSION_NAMES: dict[str, dict[str, tuple[str, str]]] = {
    "fr": {
        "type": ("Type", "type"),
        "scale": ("Échelle", "échelle"),
        "criteria": ("Critères", "critère"),
        "partners": ("Partenaires", "partenaire"),
        "territories": ("Territoires", "territoire"),
        "year": ("Année", "année"),
        "language": ("Langue", "langue"),
    },
    "nl": {
        "type": ("Type", "type"),
        "scale": ("Schaal", "schaal"),
        "criteria": ("Criteria", "criterium"),
        "partners": ("Partners", "partner"),
        "territories": ("Gebieden", "gebied"),
        "year": ("Jaar", "jaar"),
        "language": ("Taal", "taal"),
    },
}

LANGUAGE_IN = {"fr": {"fr": "français", "nl": "néerlandais", "en": "anglais"},
               "nl": {"fr": "Frans", "nl": "Nederlands", "en": "Engels"}}


def t(lang: str, key: str, **values: object) -> str:
    """The interface text ``key`` in ``lang``, with ``{placeholders}`` filled in."""
    text = STRINGS[lang][key]
    return text.format(**values) if values else text


def count(lang: str, n: int) -> str:
    return t(lang, "count_one") if n == 1 else t(lang, "count", n=f"{n:,}".replace(",", "\u202f"))
