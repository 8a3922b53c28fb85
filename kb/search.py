"""Full-text search with Whoosh: per-language analysis, filters, facet counts, hostile queries.

Everything Whoosh-specific lives here. Each entry's text goes into the fields of its own
language (``title_fr``, ``body_nl``...), each analysed by that language's chain: tokenize,
lowercase, fold accents, drop stop words, stem. Folding happens *before* stemming, so that a
query typed without accents (``accessibilite``) meets the same stem as the text (``accessibilité``).
A query is parsed against every language's fields, so a Dutch reader finds French entries.

The index is derived from the store: ``sync()`` compares its own stored digests with the
store's and rewrites only what differs, so it repairs itself after an interrupted run.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path

from whoosh import columns, fields, index, qparser, query, sorting, writing
from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.highlight import ContextFragmenter, Formatter, get_text
from whoosh.lang import stopwords_for_language
from whoosh.support.charset import accent_map

from .entry import Entry
from .filters import TAG_FIELDS, Filters
from .vocab import LANGS, Vocabularies, fold

MAX_QUERY = 500
TOKENS = r"\w+(?:[.]\w+)*"
SEP = "\x1f"
OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE", "TO"}


def analyzer(lang: str):
    """tokenize -> lowercase -> fold accents -> stop words -> stem, for one language."""
    stops = {fold(w) for w in stopwords_for_language(lang)}
    return (RegexTokenizer(TOKENS) | LowercaseFilter() | CharsetFilter(accent_map)
            | StopFilter(stoplist=stops, minsize=2) | StemFilter(lang=lang, cachesize=100_000))


def _folding():
    return RegexTokenizer(TOKENS) | LowercaseFilter() | CharsetFilter(accent_map)


def schema() -> fields.Schema:
    per_language = {}
    for lang in LANGS:
        chain = analyzer(lang)
        per_language[f"title_{lang}"] = fields.TEXT(analyzer=chain, field_boost=4.0)
        per_language[f"summary_{lang}"] = fields.TEXT(analyzer=chain, field_boost=1.5)
        per_language[f"body_{lang}"] = fields.TEXT(analyzer=chain)
        per_language[f"labels_{lang}"] = fields.TEXT(analyzer=chain, field_boost=0.5, phrase=False)
    tags = {name: fields.KEYWORD(commas=True, lowercase=False) for name in TAG_FIELDS}
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        names=fields.TEXT(analyzer=_folding(), phrase=False),
        words=fields.TEXT(analyzer=_folding(), phrase=False),
        year=fields.NUMERIC(int, bits=16, sortable=True),
        sort_title=fields.COLUMN(columns.VarBytesColumn()),
        key=fields.COLUMN(columns.VarBytesColumn()),
        facets=fields.COLUMN(columns.VarBytesColumn()),
        data=fields.STORED,
        **per_language,
        **tags,
    )


@dataclass
class Hit:
    id: str
    title: str
    year: int
    type: str
    language: str
    tags: dict[str, list[str]]
    summary: str | None
    snippet: str
    score: float | None


@dataclass
class Results:
    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    notes: list[str] = field(default_factory=list)
    suggestion: str | None = None

    def as_dict(self) -> dict:
        return asdict(self)


class _Mark(Formatter):
    """Wraps matched words in <mark>, escaping the rest: safe to put in a page or JSON."""

    between = " … "

    def format_token(self, text, token, replace=False):
        return f"<mark>{html.escape(get_text(text, token, replace))}</mark>"

    def format_fragment(self, fragment, replace=False):
        out, index_ = [], fragment.startchar
        for token in fragment.matches:
            if token.startchar > index_:
                out.append(html.escape(fragment.text[index_ : token.startchar]))
            out.append(self.format_token(fragment.text, token, replace))
            index_ = token.endchar
        out.append(html.escape(fragment.text[index_ : fragment.endchar]))
        return "".join(out)


def plain_text(markdown_text: str) -> str:
    """Markdown reduced to words for snippets: no link targets, markup or HTML tags."""
    text = re.sub(r"<!--.*?-->|<[^>]+>", " ", markdown_text, flags=re.S)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[#*_`>|]+", " ", text)
    return " ".join(text.split())


def clean_query(text: str) -> tuple[str, list[str]]:
    """Make any user input safe to parse; say what was changed."""
    notes = []
    text = "".join(" " if unicodedata.category(c)[0] == "C" else c for c in text)
    text = text.replace("’", "'").replace("‘", "'")
    if len(text) > MAX_QUERY:
        text = text[:MAX_QUERY].rsplit(" ", 1)[0]
        notes.append(f"the query was cut to its first {MAX_QUERY} characters")
    stripped = re.sub(r"(?<![\w])[*?]+", " ", text)
    if stripped != text and stripped.strip():
        notes.append("wildcards are only allowed at the end of a word (accessib*)")
    text = " ".join(stripped.split())
    if text.count('"') % 2:
        text = text.replace('"', " ")
        notes.append("an unclosed quote was ignored")
    return text.strip(), notes


class SearchIndex:
    """The Whoosh index in ``directory``, created on first use."""

    def __init__(self, directory: Path, vocabularies: Vocabularies):
        self.directory = directory
        self.vocabularies = vocabularies
        self._index = None

    def exists(self) -> bool:
        return index.exists_in(str(self.directory))

    def _open(self, create: bool = False):
        if self._index is None:
            if self.exists():
                self._index = index.open_dir(str(self.directory))
            elif create:
                self.directory.mkdir(parents=True, exist_ok=True)
                self._index = index.create_in(str(self.directory), schema())
            else:
                raise FileNotFoundError(f"no search index in {self.directory}: run 'kb index' first")
        return self._index

    # -- writing -----------------------------------------------------------------------------

    def digests(self) -> dict[str, str]:
        if not self.exists():
            return {}
        with self._open().reader() as reader:
            if not reader.doc_count():  # an empty index has no columns to read
                return {}
            keys = reader.column_reader("key")
            pairs = (keys[n].decode().split(SEP) for n in reader.all_doc_ids())
            return {entry_id: digest for entry_id, digest in pairs}

    def sync(self, target: dict[str, str], fetch, full: bool = False) -> tuple[list[str], list[str]]:
        """Make the index hold the entries whose digests are ``target``; ``fetch(ids)`` gives them.

        Returns (written ids, removed ids).
        """
        ix = self._open(create=True)
        current = {} if full else self.digests()
        removed = sorted(current.keys() - target.keys())
        stale = sorted(i for i, d in target.items() if current.get(i) != d)
        if not removed and not stale and not full:
            return [], []
        writer = ix.writer(limitmb=256)
        try:
            if not full:
                for entry_id in removed + [i for i in stale if i in current]:
                    writer.delete_by_term("id", entry_id)
            for entry in fetch(stale):
                writer.add_document(**self._document(entry))
            writer.commit(mergetype=writing.CLEAR if full else writing.MERGE_SMALL)
        except BaseException:
            writer.cancel()
            raise
        self._index = None
        return stale, removed

    def _document(self, entry: Entry) -> dict:
        lang = entry.language
        words = " ".join(filter(None, (entry.title, entry.summary, plain_text(entry.body))))
        labels = {
            other: " ".join(self.vocabularies.label(dim, v, other) for dim, values in entry.tags().items()
                            if dim != "language" for v in values)
            for other in LANGS
        }
        tags = {name: list(values) for name, values in entry.tags().items()}
        doc = {
            "id": entry.id,
            f"title_{lang}": entry.title,
            f"summary_{lang}": entry.summary or "",
            f"body_{lang}": plain_text(entry.body),
            "names": " ".join((*entry.authors, *entry.organisations)),
            "words": words,
            "year": entry.year,
            "sort_title": fold(entry.title).encode(),
            "key": f"{entry.id}{SEP}{entry.digest}".encode(),
            "facets": SEP.join(f"{d}={v}" for d, vs in tags.items() for v in vs).encode() + f"{SEP}year={entry.year}".encode(),
            "data": {"title": entry.title, "year": entry.year, "type": entry.type, "language": lang,
                     "tags": tags, "summary": entry.summary, "text": plain_text(entry.body)},
        }
        doc.update({f"labels_{other}": text for other, text in labels.items()})
        doc.update({name: ",".join(values) for name, values in tags.items() if values})
        return doc

    # -- reading -----------------------------------------------------------------------------

    def _parser(self) -> qparser.QueryParser:
        names = [f"{kind}_{lang}" for kind in ("title", "summary", "body", "labels") for lang in LANGS] + ["names"]
        parser = qparser.MultifieldParser(names, schema=self._open().schema, group=qparser.AndGroup)
        parser.remove_plugin_class(qparser.FieldsPlugin)
        parser.remove_plugin_class(qparser.BoostPlugin)
        return parser

    def parse(self, text: str) -> tuple[query.Query, str, list[str]]:
        """The Whoosh query for any user text; falls back to plain words when the syntax is odd."""
        cleaned, notes = clean_query(text)
        if not cleaned or cleaned == "*":
            return query.Every(), "", notes
        words = re.findall(r"\w+\*?", cleaned)
        if not any(w.upper() not in OPERATORS for w in words):
            notes.append("the query has no words to search for: listing all entries")
            return query.Every(), "", notes
        parsed = self._parser().parse(cleaned)
        if parsed is query.NullQuery:  # odd syntax such as '(((' or '^': search the words alone
            plain = " ".join(w for w in words if w.upper() not in OPERATORS)
            notes.append(f"the query syntax was simplified to: {plain}")
            parsed, cleaned = self._parser().parse(plain), plain
        return parsed, cleaned, notes

    def search(self, text: str = "", filters: Filters = Filters(), limit: int = 20) -> Results:
        parsed, cleaned, notes = self.parse(text)
        conditions = [parsed] + [query.Term(name, value) for name, value in filters.tags()]
        if filters.year_from is not None or filters.year_to is not None:
            conditions.append(query.NumericRange("year", filters.year_from, filters.year_to))
        final = query.And(conditions) if len(conditions) > 1 else parsed
        listing = isinstance(parsed, query.Every)
        with self._open().searcher() as searcher:
            matched = list(searcher.docs_for_query(final))
            facets = self._facets(searcher, matched)
            if listing:
                order = sorting.MultiFacet([sorting.FieldFacet("year", reverse=True), sorting.FieldFacet("sort_title")])
                results = searcher.search(final, limit=max(limit, 1), sortedby=order)
            else:
                results = searcher.search(final, limit=max(limit, 1), terms=True)
                results.fragmenter = ContextFragmenter(maxchars=160, surround=60)
                results.formatter = _Mark()
            hits = [self._hit(h, listing) for h in results][:limit]
            suggestion = None if matched or listing else self._suggest(searcher, cleaned)
        return Results(cleaned or "*", len(matched), hits, facets, notes, suggestion)

    def _facets(self, searcher, docnums: list[int]) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {name: {} for name in (*TAG_FIELDS, "year")}
        if not docnums:
            return counts
        column = searcher.reader().column_reader("facets")
        for docnum in docnums:
            for pair in column[docnum].decode().split(SEP):
                name, _, value = pair.partition("=")
                bucket = counts[name]
                bucket[value] = bucket.get(value, 0) + 1
        return {name: dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))) for name, c in counts.items()}

    def _hit(self, hit, listing: bool) -> Hit:
        data = hit["data"]
        snippet = ""
        if not listing:
            lang = data["language"]
            snippet = hit.highlights(f"body_{lang}", text=data["text"], top=2) or \
                hit.highlights(f"summary_{lang}", text=data["summary"] or "", top=1)
        if not snippet:
            snippet = html.escape(_shorten(data["summary"] or data["text"], 200))
        return Hit(hit["id"], data["title"], data["year"], data["type"], data["language"], data["tags"],
                   data["summary"], snippet, None if listing else round(hit.score, 3))

    def _suggest(self, searcher, cleaned: str) -> str | None:
        """'Did you mean': each word the index does not know replaced by its closest known word."""
        reader, changed, words = searcher.reader(), False, []
        for word in re.findall(r"\w+", cleaned):
            folded = fold(word)
            if len(folded) > 2 and folded.upper() != word and reader.doc_frequency("words", folded) == 0:
                close = searcher.suggest("words", folded, limit=1, maxdist=2)
                if close:
                    words.append(close[0])
                    changed = True
                    continue
            words.append(word)
        return " ".join(words) if changed else None


def _shorten(text: str, length: int) -> str:
    return text if len(text) <= length else text[:length].rsplit(" ", 1)[0] + " …"
