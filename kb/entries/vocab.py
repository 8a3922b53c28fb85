"""Controlled vocabularies: the values an entry may be tagged with, and their FR/NL/EN labels.

The vocabularies are YAML data files in ``kb/vocabularies/`` so that adding a value is a pull
request to a data file, reviewed like an entry, never a code change. Every other module asks
this one for labels and for "did you mean" suggestions, so the wording stays the same everywhere.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from kb import cache as cache_file
from kb.i18n import DIMENSION_NAMES, Said, message, t

LANGS = ("fr", "nl", "en")
VOCAB_DIR = Path(__file__).parent.parent / "vocabularies"

# Front matter field -> vocabulary file (without .yaml). The order is the order of the facets.
DIMENSIONS: dict[str, str] = {
    "type": "types",
    "scale": "scales",
    "criteria": "criteria",
    "basis": "bases",
    "partners": "partners",
    "territories": "territories",
    "language": "languages",
}


class VocabularyError(Said):
    """A vocabulary file is malformed: ``path:line: error: what is wrong -- how to fix it``,
    as kb check reports an entry (the path relative to the working folder when inside it), the
    catalogue's ``vocab.*`` message in the reader's language."""

    def __init__(self, path: Path, line: int | None, key: str, **params: object):
        shown = os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd().resolve()) else str(path)
        self.where = f"{shown}:{line}" if line else shown
        super().__init__(key, **params)

    def render(self, lang: str) -> str:
        return f"{self.where}: {message('severity.error').render(lang)}: {super().render(lang)}"


# The combining diacritical marks but U+034F, which has no combining class: Latin accents go
# with one regex, and a text left in ASCII needs no per-character look-up.
_DIACRITICS = re.compile("[\u0300-\u034e\u0350-\u036f]")


def fold(text: str) -> str:
    """Lowercase and strip accents, so that 'Région' and 'region' compare equal."""
    decomposed = _DIACRITICS.sub("", unicodedata.normalize("NFKD", text.casefold()))
    if decomposed.isascii():
        return decomposed
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@dataclass(frozen=True)
class Term:
    """One value of a vocabulary: its id, its labels, and any extra data (abbr, kind, tile...)."""

    id: str
    labels: Mapping[str, str]
    extra: Mapping[str, Any] = field(default_factory=dict)

    def label(self, lang: str = "fr") -> str:
        return self.labels.get(lang) or self.labels["fr"]

    def short(self, lang: str = "fr") -> str:
        """The abbreviation in ``lang`` where there is one (partners), else the label.

        ``abbr`` is one text for every language (``BruZEL``) or one per language
        (``{fr: COCOM, nl: GGC}``; a language it does not name takes the French one)."""
        abbr = self.extra.get("abbr")
        if isinstance(abbr, dict):
            abbr = abbr.get(lang) or abbr.get("fr")
        return abbr or self.label(lang)

    def abbreviations(self) -> tuple[str, ...]:
        """Every abbreviation of the term, in any language (to recognise a name as this term)."""
        abbr = self.extra.get("abbr")
        values = abbr.values() if isinstance(abbr, dict) else [abbr]
        return tuple(dict.fromkeys(str(v) for v in values if v))


@dataclass(frozen=True)
class Vocabulary:
    """An ordered set of terms, as written in its file."""

    name: str
    terms: Mapping[str, Term]

    def __contains__(self, term_id: object) -> bool:
        return term_id in self.terms

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms.values())

    def __len__(self) -> int:
        return len(self.terms)

    def __getitem__(self, term_id: str) -> Term:
        return self.terms[term_id]

    def label(self, term_id: str, lang: str = "fr") -> str:
        term = self.terms.get(term_id)
        return term.label(lang) if term else term_id

    def suggest(self, value: str) -> str | None:
        """The id a contributor most likely meant, matching ids and labels in any language."""
        wanted = fold(str(value)).replace("-", "_").strip()
        candidates: dict[str, str] = {}
        for term in self:
            candidates.setdefault(fold(term.id), term.id)
            for text in (*term.labels.values(), *term.abbreviations(), term.extra.get("nis", "")):
                if text:
                    candidates.setdefault(fold(text), term.id)
        if wanted in candidates:
            return candidates[wanted]
        close = difflib.get_close_matches(wanted, list(candidates), n=1, cutoff=0.6)
        return candidates[close[0]] if close else None


def _item_line(text: str, number: int) -> int:
    """The line where item ``number`` (from 1) of a vocabulary file starts."""
    import yaml

    node = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if not isinstance(node, yaml.SequenceNode) or len(node.value) < number:  # the caller read a list
        return 1
    item: yaml.Node = node.value[number - 1]
    return item.start_mark.line + 1


def _load_file(path: Path) -> Vocabulary:
    import yaml  # here: a process that reads the vocabularies from a cache (load_cached) never needs it

    try:
        data = path.read_bytes()
        text = data.decode("utf-8")
    except OSError as exc:
        raise VocabularyError(path, None, "vocab.unreadable", reason=exc.strerror) from exc
    except UnicodeDecodeError as exc:
        raise VocabularyError(path, data[: exc.start].count(b"\n") + 1, "vocab.not_utf8") from exc
    try:
        items = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None)  # YAML's own words, when it has some
        line = mark.line + 1 if mark else 1
        if problem:
            raise VocabularyError(path, line, "vocab.not_yaml", problem=problem) from exc
        raise VocabularyError(path, line, "vocab.not_yaml_at_all") from exc
    if not isinstance(items, list):
        raise VocabularyError(path, 1, "vocab.not_list")
    terms: dict[str, Term] = {}
    for number, item in enumerate(items, 1):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise VocabularyError(path, _item_line(text, number), "vocab.no_id", number=number)
        missing = [lang for lang in LANGS if not isinstance(item.get(lang), str) or not item[lang]]
        if missing:
            raise VocabularyError(
                path, _item_line(text, number), "vocab.no_label", id=item["id"], langs=", ".join(missing)
            )
        abbr = item.get("abbr")
        if (
            abbr is not None
            and not (isinstance(abbr, str) and abbr)
            and not (
                isinstance(abbr, dict)
                and abbr
                and all(k in LANGS and isinstance(v, str) and v for k, v in abbr.items())
            )
        ):
            raise VocabularyError(path, _item_line(text, number), "vocab.bad_abbr", id=item["id"])
        if item["id"] in terms:
            raise VocabularyError(path, _item_line(text, number), "vocab.twice", id=item["id"])
        extra = {k: v for k, v in item.items() if k != "id" and k not in LANGS}
        terms[item["id"]] = Term(item["id"], {lang: item[lang] for lang in LANGS}, extra)
    return Vocabulary(path.stem, terms)


@dataclass(frozen=True)
class Vocabularies:
    """All vocabularies, by file name; ``for_field('scale')`` gives the one a field uses."""

    by_name: Mapping[str, Vocabulary]

    def __getitem__(self, name: str) -> Vocabulary:
        return self.by_name[name]

    def for_field(self, field_name: str) -> Vocabulary:
        return self.by_name[DIMENSIONS[field_name]]

    def label(self, field_name: str, term_id: str, lang: str = "fr") -> str:
        return self.for_field(field_name).label(term_id, lang)

    def tags_text(self, tags: Mapping[str, Iterable[str]], lang: str) -> str:
        """Tags as one line in ``lang``, each field's name and its values' labels: "Échelle :
        Commune, Région ; Type : Étude" (kb search's hits, kb diff's summary)."""
        colon, semicolon = f"{t(lang, 'colon')} ", f"{t(lang, 'semicolon')} "
        return semicolon.join(
            f"{DIMENSION_NAMES[lang][name][0]}{colon}{', '.join(self.label(name, v, lang) for v in values)}"
            for name, values in tags.items()
        )


@functools.lru_cache(maxsize=4)
def load(directory: Path = VOCAB_DIR) -> Vocabularies:
    """Load every vocabulary file; cached, since they are read by every command."""
    return _read(directory)


def _read(directory: Path) -> Vocabularies:
    names = sorted(set(DIMENSIONS.values()))
    missing = [n for n in names if not (directory / f"{n}.yaml").is_file()]
    if missing:
        raise VocabularyError(directory, None, "vocab.missing_files", names=", ".join(missing))
    return Vocabularies({n: _load_file(directory / f"{n}.yaml") for n in names})


CACHE_VERSION = 2  # of load_cached's file: bump when these classes change


def load_cached(cache: Path, directory: Path = VOCAB_DIR) -> Vocabularies:
    """``load(directory)``, read from the pickle ``cache`` while the vocabulary files are those
    it was written from (same names, sizes and modification times), else loaded and written
    there (when its folder exists and can be written). For a short process that only shows
    labels (kb search): unpickling takes a millisecond, importing PyYAML and parsing the files
    some thirty."""
    names = sorted(set(DIMENSIONS.values()))
    try:
        stats = [(directory / f"{n}.yaml").stat() for n in names]
    except OSError:
        return load(directory)  # which says what is missing
    key = (CACHE_VERSION, str(directory), [(n, s.st_size, s.st_mtime_ns) for n, s in zip(names, stats)])
    found = cache_file.read(cache)
    if isinstance(found, tuple) and len(found) == 2 and found[0] == key and isinstance(found[1], Vocabularies):
        return found[1]
    vocabularies = _read(directory)  # not load(): the files may have changed since it read them
    if cache.parent.is_dir():
        try:
            cache_file.write(cache, (key, vocabularies))
        except OSError:
            pass
    return vocabularies
