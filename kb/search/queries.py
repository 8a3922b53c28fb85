"""What a reader types, made into a Whoosh query: cleaned, parsed, rewritten; never an error.

Readers type words, not Whoosh syntax: control characters, unclosed quotes, wildcards in odd
places and long queries are cleaned first (``clean_query``, each change said in a note); the
query is parsed against the fields of every language (a Dutch reader finds French entries),
phrases are checked in the fields with positions, prefixes spelt out as the indexed words they
fit; odd syntax falls back to the plain words.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from whoosh import qparser, query

from kb.entries.vocab import LANGS
from kb.i18n import Message, message

MAX_QUERY = 500
MIN_PREFIX = 3  # letters before a wildcard
MAX_WILDCARDS = 3  # words with a wildcard in one query
EXACT_TITLE_BOOST = 50.0
OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


def parser(schema: Any) -> qparser.QueryParser:
    """The parser of readers' queries for an index of ``schema`` (made once per opened index)."""
    names = [f"text_{lang}" for lang in LANGS] + ["names"]
    made = qparser.MultifieldParser(names, schema=schema, group=qparser.AndGroup)
    # Readers type words, not Whoosh syntax: no field:, ^boost, [ranges] or 'single quotes'
    # (which French apostrophes would open: l'aide et l'accueil).
    for plugin in (qparser.FieldsPlugin, qparser.BoostPlugin, qparser.RangePlugin, qparser.SingleQuotePlugin):
        made.remove_plugin_class(plugin)
    return made


def compile_query(text: str, parsing: qparser.QueryParser, reader: Any) -> query.Query:
    """Parse, then make phrases read positions where there are some, drop what cannot match
    (stop words, phrases on fields without positions) and spell out prefixes (accessib*) as
    the indexed words they fit."""
    schema = parsing.schema

    def rewrite(q: query.Query) -> query.Query:
        if isinstance(q, query.Phrase):
            # A phrase in text_fr: the documents having its words there, scored as those words,
            # kept when the words follow one another in phrase_fr (the same text, with positions).
            lang = q.fieldname[len("text_") :] if q.fieldname.startswith("text_") else None
            if lang not in LANGS or f"phrase_{lang}" not in schema:
                return query.NullQuery
            words = query.And([query.Term(q.fieldname, word) for word in q.words], boost=q.boost)
            return query.Require(words, query.Phrase(f"phrase_{lang}", q.words, slop=q.slop))
        if isinstance(q, (query.Prefix, query.Wildcard)):
            # Scored like the words themselves (BM25, summed), as Whoosh does on a large index;
            # as plain terms they are evaluated with the rest, a posting block at a time.
            words = [query.Term(fieldname, word) for fieldname, word in q.expanded_terms(reader) if word]
            if not words:
                return query.NullQuery
            return words[0].with_boost(q.boost) if len(words) == 1 else query.Or(words, boost=q.boost)
        return q if q.is_leaf() else q.apply(rewrite)

    try:
        return rewrite(parsing.parse(text)).normalize()
    except Exception:  # noqa: BLE001 - any parser failure falls back to plain words
        return query.NullQuery


def parse(text: str, parsing: qparser.QueryParser, reader: Any) -> tuple[query.Query, str, list[Message]]:
    """The Whoosh query for any user text, the text searched, and notes on what was changed;
    falls back to plain words when the syntax is odd."""
    cleaned, notes = clean_query(text)
    if not cleaned or cleaned == "*":
        return query.Every(), "", notes
    words = plain_words(cleaned, r"\w+\*?")
    if not words:
        notes.append(message("search.no_words"))
        return query.Every(), "", notes
    parsed = compile_query(cleaned, parsing, reader)
    if parsed is query.NullQuery:  # odd syntax such as '(((' or '^': search the words alone
        plain = " ".join(words)
        parsed = compile_query(plain, parsing, reader)
        if parsed is query.NullQuery:
            notes.append(message("search.common_words", words=shorten(plain, 60)))
            return query.Every(), "", notes
        if plain != cleaned:
            notes.append(message("search.simplified", words=shorten(plain, 60)))
        cleaned = plain
    return parsed, cleaned, notes


def plain_words(text: str, pattern: str = r"\w+") -> list[str]:
    """The words of ``text`` (``pattern``), Whoosh's operators left out."""
    return [w for w in re.findall(pattern, text) if w.upper() not in OPERATORS]


def clean_query(text: str) -> tuple[str, list[Message]]:
    """Make any user input safe to parse; say what was changed."""
    notes: list[Message] = []
    if not text.isprintable():  # (most queries are: no look-up per character)
        text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    text = text.replace("’", "'").replace("‘", "'")
    if len(text) > MAX_QUERY:
        text = text[:MAX_QUERY].rsplit(" ", 1)[0]
        notes.append(message("search.cut", max=MAX_QUERY))
    text = re.sub(r"(?<=\w)\?+(?=[\s\W]|$)", " ", text)  # 'Brussel?' ends a question: not a wildcard
    stripped = re.sub(r"(?<![\w])[*?]+", " ", text)
    if stripped != text and stripped.strip():
        notes.append(message("search.inner_wildcard"))
    text = limit_wildcards(" ".join(stripped.split()), notes)
    if text.count('"') % 2:
        text = text.replace('"', " ")
        notes.append(message("search.unclosed_quote"))
    return text.strip(), notes


def limit_wildcards(text: str, notes: list[Message]) -> str:
    """A wildcard expands to every indexed word it fits: keep it to a few, each after 3 letters."""
    short: list[str] = []
    extra: list[str] = []
    kept = 0

    def limit(match: re.Match[str]) -> str:
        nonlocal kept
        word = match.group(0)
        plain = re.sub(r"[*?]", "", word)
        if len(re.split(r"[*?]", word, maxsplit=1)[0]) < MIN_PREFIX:
            short.append(word)
            return plain
        kept += 1
        if kept > MAX_WILDCARDS:
            extra.append(word)
            return plain
        return word

    text = re.sub(r"\w[\w*?]*[*?][\w*?]*", limit, text)
    if short:
        notes.append(message("search.short_wildcard", min=MIN_PREFIX, words=", ".join(short[:5])))
    if extra:
        notes.append(message("search.many_wildcards", max=MAX_WILDCARDS, words=", ".join(extra[:5])))
    return " ".join(text.split())


def query_words(q: query.Query, searcher: Any) -> dict[str, set[str]]:
    """The words of a query per field, to highlight: looked up once for every snippet."""
    words: dict[str, set[str]] = {}
    schema, reader = searcher.schema, searcher.reader()
    for leaf in q.leaves():  # (Query.existing_terms loses every field but the first)
        for fieldname, text in leaf.expanded_terms(reader, phrases=True):
            if fieldname in schema:
                word = text if isinstance(text, str) else schema[fieldname].from_bytes(text)
                words.setdefault(fieldname, set()).add(word)
    return words


def shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[:length].rsplit(" ", 1)[0] + " …"
