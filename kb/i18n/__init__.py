"""The catalogue of interface text: every label a reader sees outside the entries and every
message a contributor meets, in French, Dutch and English (``fr.py``, ``nl.py``, ``en.py``).

Vocabulary values carry their own labels (kb/vocabularies); this package holds the rest, so a
translation is one dictionary per language, and a test checks that every key exists in each
language with the same placeholders. The site's interface is French and Dutch (``UI_LANGS``);
the command line also speaks English (``CLI_LANGS``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from kb.i18n.en import EN
from kb.i18n.fr import FR
from kb.i18n.nl import NL

UI_LANGS = ("fr", "nl")
CLI_LANGS = ("fr", "nl", "en")
LANG_NAMES = {"fr": "Français", "nl": "Nederlands", "en": "English"}

# French typography wants no line break between a word and the punctuation that follows it
# after a space (: ; ? !) nor inside guillemets: a no-break space before a colon, a narrow one
# elsewhere. The catalogue is written with plain spaces, as typed on any keyboard and readable
# in an editor; they are replaced once, here, so that the site and the terminal say the same.
FRENCH_SPACES = {" :": "\u00a0:", " ;": "\u202f;", " ?": "\u202f?", " !": "\u202f!", "« ": "«\u202f", " »": "\u202f»"}


def _typeset(strings: Mapping[str, str]) -> dict[str, str]:
    """``strings`` with the no-break spaces of French typography (FRENCH_SPACES)."""
    spaced = dict(strings)
    for key, text in spaced.items():
        for plain, nbsp in FRENCH_SPACES.items():
            text = text.replace(plain, nbsp)
        spaced[key] = text
    return spaced


STRINGS: dict[str, dict[str, str]] = {"fr": _typeset(FR), "nl": NL, "en": EN}

# Facet names, singular for headings ("Échelle") and lowercase for phrases ("par échelle").
DIMENSION_NAMES: dict[str, dict[str, tuple[str, str]]] = {
    "fr": {
        "type": ("Type", "type"),
        "scale": ("Échelle", "échelle"),
        "criteria": ("Critères", "critère"),
        "basis": ("Base de délimitation", "base de délimitation"),
        "partners": ("Partenaires", "partenaire"),
        "territories": ("Territoires", "territoire"),
        "year": ("Année", "année"),
        "language": ("Langue", "langue"),
    },
    "nl": {
        "type": ("Type", "type"),
        "scale": ("Schaal", "schaal"),
        "criteria": ("Criteria", "criterium"),
        "basis": ("Afbakeningsbasis", "afbakeningsbasis"),
        "partners": ("Partners", "partner"),
        "territories": ("Gebieden", "gebied"),
        "year": ("Jaar", "jaar"),
        "language": ("Taal", "taal"),
    },
    "en": {
        "type": ("Type", "type"),
        "scale": ("Scale", "scale"),
        "criteria": ("Criteria", "criterion"),
        "basis": ("Basis of delimitation", "basis"),
        "partners": ("Partners", "partner"),
        "territories": ("Territories", "territory"),
        "year": ("Year", "year"),
        "language": ("Language", "language"),
    },
}

LANGUAGE_IN = {
    "fr": {"fr": "français", "nl": "néerlandais", "en": "anglais"},
    "nl": {"fr": "Frans", "nl": "Nederlands", "en": "Engels"},
    "en": {"fr": "French", "nl": "Dutch", "en": "English"},
}


def t(lang: str, key: str, **values: object) -> str:
    """The interface text ``key`` in ``lang``, with ``{placeholders}`` filled in."""
    text = STRINGS[lang][key]
    return text.format(**values) if values else text


def count(lang: str, n: int) -> str:
    return t(lang, "count_one") if n == 1 else t(lang, "count", n=f"{n:,}".replace(",", "\u202f"))


@dataclass(frozen=True)
class Message:
    """A catalogue key with its values, rendered in whichever language the reader asks for.

    A value may itself be a Message (``value.list``: "a list", "une liste", "een lijst")."""

    key: str
    params: tuple[tuple[str, object], ...] = ()

    def render(self, lang: str) -> str:
        values = {k: v.render(lang) if isinstance(v, (Message, Said)) else v for k, v in self.params}
        text = STRINGS[lang][self.key]
        return text.format(**values) if values else text


def message(key: str, **params: object) -> Message:
    return Message(key, tuple(sorted(params.items())))


def counted(key: str, n: int) -> Message:
    """The message ``key`` for ``n`` things (``{n}`` in it), or its ``_one`` form for one thing:
    "1 fichier vérifié", not "1 fichiers vérifiés"."""
    return message(f"{key}_one") if n == 1 else message(key, n=n)


def with_fix(lang: str, key: str, **params: object) -> str:
    """A problem as kb says it: the catalogue's message ``key`` and its ``.fix`` twin,
    "what is wrong -- how to fix it"."""
    return f"{message(key, **params).render(lang)} -- {message(f'{key}.fix', **params).render(lang)}"


class Said(Exception):
    """A failure kb explains to the person at the keyboard: the catalogue's message ``key`` and
    its ``.fix`` twin, with their values, said in that person's language by whoever catches it
    (the command line speaks ``--lang``). Its English text is the exception's own, for logs and
    the Python API. A Said may also be a value of a Message: "site not built: {reason}; ..."."""

    def __init__(self, key: str, **params: object):
        self.key, self.params = key, params
        super().__init__(self.render("en"))

    def render(self, lang: str) -> str:
        return with_fix(lang, self.key, **self.params)

    def __reduce__(self) -> tuple:
        # Pickled as what it holds, whatever a subclass's own arguments: an exception raised in a
        # worker process (kb.workers) comes back pickled, and Exception's default would call
        # __init__ with the English text alone.
        return _unpickled, (type(self), self.__dict__)


def _unpickled(kind: type[Said], state: dict) -> Said:
    said = kind.__new__(kind)
    said.__dict__.update(state)
    BaseException.__init__(said, said.render("en"))
    return said


def cli_languages(asked: str | None = None) -> tuple[str, ...]:
    """The languages a command speaks: ``--lang`` (``fr``, or ``fr,nl`` for both), else
    ``KB_LANG``, else the locale when it is French, Dutch or English, else English."""
    for source in (asked, os.environ.get("KB_LANG")):
        if source:
            langs = tuple(dict.fromkeys(part.strip().lower() for part in source.split(",") if part.strip()))
            if langs and all(lang in CLI_LANGS for lang in langs):
                return langs
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        code = os.environ.get(name, "")[:2].lower()
        if code in CLI_LANGS:
            return (code,)
        if os.environ.get(name):
            break
    return ("en",)
