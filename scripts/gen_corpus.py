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
output always passes the vocabulary checks. The words, names and preferred tags
are data, in ``scripts/data/gen_corpus/*.json`` (one file per language, plus
names, tags and stop words; each file's ``about`` says what its lists hold); this
module holds the grammar that puts them together. The script deliberately does
not import the ``kb`` package: it only needs the Python standard library and PyYAML.

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
stable across Python versions. Changing the word lists (their order too: the rank
gives the weight) or the vocabulary files of course changes the output.

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
import json
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
from typing import Any, Generic, TypeVar

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


# --------------------------------------------------------------------------
# Word lists: scripts/data/gen_corpus/*.json
# --------------------------------------------------------------------------

DATA_DIR = Path(__file__).resolve().parent / "data" / "gen_corpus"


def _data(name: str) -> dict[str, Any]:
    """The lists of ``data/gen_corpus/<name>.json`` (its ``about`` says what they hold); an item
    that is itself a list (a noun with its gender and number) becomes a tuple, to be unpacked,
    compared and hashed."""
    path = DATA_DIR / f"{name}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SystemExit(f"gen_corpus: cannot read the word lists {path}: {exc}") from exc
    return {
        key: [tuple(item) if isinstance(item, list) else item for item in value] if isinstance(value, list) else value
        for key, value in data.items()
        if key != "about"
    }


NAMES = _data("names")
TAGS = _data("tags")  # vocabulary ids, the most frequent first


# --------------------------------------------------------------------------
# Made-up names: a unique one per entry (titles) and a long tail (bodies)
# --------------------------------------------------------------------------

# Syllable = consonant onset + one vowel letter: a name splits back into syllables
# unambiguously, so distinct codes give distinct names.
ONSETS: list[str] = NAMES["onsets"]
VOWELS = "aeiou"
SYLLABLES = [o + v for o in ONSETS for v in VOWELS]  # 110
UNIQUE_SPACE = len(SYLLABLES) ** 3  # 1,331,000 unique names
UNIQUE_MULT = 7_654_321  # coprime to UNIQUE_SPACE: a bijection
assert math.gcd(UNIQUE_MULT, UNIQUE_SPACE) == 1
ENDINGS_FR: list[str] = NAMES["endings_fr"]
ENDINGS_NL: list[str] = NAMES["endings_nl"]
PLACE_HEADS: list[str] = NAMES["place_heads"]
PLACE_MIDS: list[str] = NAMES["place_mids"]


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
    """Builds titles, sentences, lists and links in one language, from its word lists
    (``data/gen_corpus/<code>.json``)."""

    code = ""
    generic_subject = ""
    at_place = "in {}"  # "à Kasorival", "in Kasorival"

    def __init__(self) -> None:
        words = _data(self.code)
        self.connectors: list[str] = words["connectors"]
        self.pps: Zipf[str] = Zipf(words["pps"], 1.0, 1.5)
        self.headings_first: list[str] = words["headings_first"]
        self.headings_middle: list[str] = words["headings_middle"]
        self.headings_last: list[str] = words["headings_last"]
        self.list_intros: list[str] = words["list_intros"]
        self.link_sentences: list[str] = words["link_sentences"]
        self.link_texts: list[str] = words["link_texts"]
        self.doc_subject: dict[str, str] = words["doc_subject"]
        self.nouns: Zipf[Any] = Zipf(words["nouns"], 1.0, 2.5)  # a tuple: form first
        self.adjectives: Zipf[Any] = Zipf(words["adjectives"], 1.0, 2.0)
        self.verbs: Zipf[tuple[str, str]] = Zipf(words["verbs"], 1.0, 2.0)  # (singular, plural)
        self.subjects: Zipf[tuple[str, str]] = Zipf(words["subjects"])  # (phrase, number)
        self.people: list[str] = words["people"]
        self.facts: list[str] = words["facts"]
        self.units: list[str] = words["units"]
        self.title_verbs: list[str] = words["title_verbs"]
        self.words = words

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
    code = "fr"
    generic_subject = "ce document"
    at_place = "à {}"
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
            f"En {between(rng, 2001, 2024)}, {pct}\u00a0% des {uniform(rng, self.people)} "
            f"{self.de_name(uniform(rng, c.commune_names))} {uniform(rng, self.facts)}."
        )

    def territory_sentence(self, c: Ctx) -> str:
        rng = c.rng
        if rng.random() < 0.5:
            units = f"{between(rng, 3, 145)} {uniform(rng, self.units)}"
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
                f"{uniform(rng, self.title_verbs)} {self.np(c)[0]} {self.pp(c)} : "
                f"enseignements {self.de_name(u)} et {self.de_name(p)}"
            )
        if k == 4:
            return f"{u} et {p} : {self.np(c)[0]} {self.pp(c)}"
        return f"Vers {self.np_indef(c)} ? {type_label} {self.de_name(u)} et {self.de_name(p)}"


class Dutch(Language):
    code = "nl"
    generic_subject = "dit document"

    def __init__(self) -> None:
        super().__init__()
        self.compound_prefixes: Zipf[str] = Zipf(self.words["compound_prefixes"])
        self.compound_heads: Zipf[tuple[str, str]] = Zipf(self.words["compound_heads"])  # (head, article)

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
            f"{uniform(rng, self.people)} "
            f"in {uniform(rng, c.commune_names)} {uniform(rng, self.facts)}."
        )

    def territory_sentence(self, c: Ctx) -> str:
        rng = c.rng
        if rng.random() < 0.5:
            units = f"{between(rng, 3, 145)} {uniform(rng, self.units)}"
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
        return f"{cap(self.np(c)[0])} {uniform(rng, self.title_verbs)} in {u} en {p}"


class English(Language):
    code = "en"
    generic_subject = "this document"

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
            f"{uniform(rng, self.people)} "
            f"in {uniform(rng, c.commune_names)} {uniform(rng, self.facts)}."
        )

    def territory_sentence(self, c: Ctx) -> str:
        rng = c.rng
        if rng.random() < 0.5:
            units = f"{between(rng, 3, 145)} {uniform(rng, self.units)}"
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
            return f"{uniform(rng, self.title_verbs)} {self.np(c)[0]} in {u} and {p}"
        if k == 2:
            return f"{u} and {p}: {self.np(c)[0]} and {self.np(c)[0]}"
        return f"Towards {self.np_indef(c)}? Lessons from {u} and {p}"


LANGUAGES: dict[str, Language] = {lang.code: lang for lang in (French(), Dutch(), English())}


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

STOPWORDS = frozenset(_data("stopwords")["stopwords"])


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
        self.types = Zipf(preferred(TAGS["types"], v["types"]), 1.1)
        self.scales = Zipf(preferred(TAGS["scales"], v["scales"]), 1.2)
        self.criteria = Zipf(preferred(TAGS["criteria"], v["criteria"]), 1.0)
        self.partners = Zipf(preferred(TAGS["partners"], v["partners"]), 1.1)
        by_kind: dict[str, list[str]] = {"region": [], "commune": [], "bassin": []}
        for t in v["territories"]:
            by_kind.setdefault(vocab.territory_kind[t], []).append(t)
        self.regions = by_kind["region"]
        communes, bassins = by_kind["commune"], by_kind["bassin"]
        self.communes = Zipf(preferred(TAGS["communes"], communes), 0.9) if communes else None
        self.bassins = Zipf(bassins, 0.6) if bassins else None
        # Organisations "as written": some free names, and partners' full names.
        names = list(NAMES["organisation_names"])
        for p in v["partners"]:
            for lang in ("fr", "nl"):
                if (label := vocab.label("partners", p, lang)) not in names:
                    names.append(label)
        self.organisation_names = Zipf(names, 1.0)
        self.families = Zipf(NAMES["family_names"], 0.9)
        self.givens = Zipf(NAMES["given_names"], 0.9)
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
