"""The search index of the entries: written from the store, searched by ``kb search``.

The index is derived from the store: ``sync()`` compares its own stored digests with the
store's and rewrites only what differs, so it repairs itself after an interrupted run. After a
run it records the store's revision; the next run, if the index still matches that revision,
writes its own changes alone (``update()``) without comparing every digest. A ``kb-format`` file
names the schema, analysis and engine classes the index was written with; an index of another
format is rebuilt by ``kb index`` and never read (its pickled classes may have moved).

Searching keeps one searcher open (``kb.search.engine.view.View``) and evaluates the query
there: every match is counted and faceted (``kb.search.facets``), the best are scored with
Whoosh's BM25F and get a snippet (``kb.search.snippets``); a query that finds nothing gets a
"did you mean".
"""

from __future__ import annotations

import html
import re
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from whoosh import index, query, writing

from kb.faults import Missing
from kb.i18n import Message, message
from kb.entries import vocab
from kb.entries.vocab import Vocabularies, fold
from kb.files import write_atomically
from kb.search import facets
from kb.search.analysis import STOPWORDS, exact_key
from kb.search.documents import SEP, document, schema
from kb.search.engine.postings import CODEC
from kb.search.engine.view import View
from kb.search.engine.writer import Analysis, Gathered, Writer, gather
from kb.search.queries import (
    EXACT_TITLE_BOOST,
    OPERATORS,
    compile_query,
    parse,
    parser,
    plain_words,
    query_words,
    shorten,
)
from kb.search.snippets import highlight
from kb.store.filters import Filters

if TYPE_CHECKING:
    from kb.entries.schema import Entry
    from kb.entries.territories import Reach

# Of the index: bump when schema(), the analysis or a class pickled into the index (kb.search.analysis,
# kb.search.engine.postings) changes or moves; 'kb index' then rebuilds it. 7: the classes moved
# from kb.search.index to kb.search.analysis and kb.search.engine.postings.
FORMAT = "7"
MAX_SUGGESTED = 30  # longer words get no 'did you mean'
MAX_SUGGESTIONS = 5  # unknown words looked up for 'did you mean', per query


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
    translations: dict[str, list[str | None]] = field(default_factory=dict)  # language -> [title, summary]
    broader: bool = False  # found through a territory around the one asked for (kb.entries.territories)


@dataclass
class Results:
    query: str
    total: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]]
    notes: list[Message] = field(default_factory=list)  # what was changed in the query, to say in the reader's language
    suggestion: str | None = None
    broader_total: int = 0  # of ``total``, the entries about a territory around the one asked for

    def as_dict(self, lang: str = "en") -> dict[str, Any]:
        return {**asdict(self), "notes": [note.render(lang) for note in self.notes]}


PARALLEL_FROM = 1000  # entries from which their documents are made on two processes
GATHER_CHUNK = 1000  # entries per task: each task's postings are merged term by term in the writer


def _gather(shared: tuple[list[Entry], Vocabularies, Analysis], bounds: tuple[int, int]) -> Gathered:
    """The documents of ``entries[start:stop]``, analysed (a ``kb.workers`` job)."""
    entries, vocabularies, analysis = shared
    start, stop = bounds
    return gather(analysis, [document(e, vocabularies) for e in entries[start:stop]], start)


class SearchIndex:
    """The Whoosh index in ``directory``, created on first use."""

    def __init__(self, directory: Path, vocabularies: Vocabularies | None = None):
        self.directory = directory
        self._vocabularies = vocabularies  # for writing (labels); searching needs none
        self._index = None
        self._view: View | None = None  # kept open between searches: opening reads every segment

    @property
    def vocabularies(self) -> Vocabularies:
        if self._vocabularies is None:
            self._vocabularies = vocab.load()
        return self._vocabularies

    def _live(self) -> View:
        """The open searcher (and its caches), reopened when the index has changed on disk."""
        view = self._view
        if view is None or view.searcher.is_closed or not view.searcher.up_to_date():
            if view is not None:
                view.searcher.close()
            searcher = self._open().searcher()
            weakref.finalize(searcher, searcher.reader().close)
            self._view = view = View(searcher)
        return view

    def close(self) -> None:
        if self._view is not None:
            self._view.searcher.close()
            self._view = None

    def exists(self) -> bool:
        """An index this version of kb can read is there (``current``): one of another format is
        never opened, since the classes pickled into it may have moved (``kb index`` rebuilds it)."""
        return self.current()

    @property
    def _format_file(self) -> Path:
        return self.directory / "kb-format"

    def current(self) -> bool:
        """The index exists and was written with this version's schema, analysis and classes: the
        format file is read first, so that an older index's pickles are never loaded."""
        try:
            return self._format_file.read_text().strip() == FORMAT and index.exists_in(str(self.directory))
        except OSError:
            return False

    def _open(self, create: bool = False) -> Any:
        """The index; with ``create``, a new empty one when it is missing or of another format."""
        if self._index is None:
            if create and not self.current():
                self.directory.mkdir(parents=True, exist_ok=True)
                self._index = index.create_in(str(self.directory), schema())
                self._format_file.write_text(FORMAT + "\n")
            elif self.current():
                self._index = index.open_dir(str(self.directory))
            else:
                raise Missing("fault.no_index", folder=self.directory)
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

    def synced(self) -> str | None:
        """The store revision this index was last brought up to date with (see ``update``)."""
        try:
            return (self.directory / "kb-synced").read_text().strip() or None if self.current() else None
        except OSError:
            return None

    def _record(self, revision: str | None) -> None:
        """Write down, after the commit, which store revision the index now matches."""
        path = self.directory / "kb-synced"
        if revision is None:
            path.unlink(missing_ok=True)
            return
        write_atomically(path, revision + "\n")

    def sync(
        self,
        target: dict[str, str],
        fetch: Callable[[list[str]], Sequence[Entry]],
        full: bool = False,
        revision: str | None = None,
    ) -> tuple[list[str], list[str]]:
        """Make the index hold the entries whose digests are ``target``; ``fetch(ids)`` gives them.

        Compares every digest, so it repairs whatever an interrupted run left. ``revision``: the
        store revision ``target`` comes from, recorded for ``update``. Returns (written ids, removed ids).
        """
        if not self.current():  # missing, or written by another version: rebuild
            full, self._index = True, None
        ix = self._open(create=True)
        self._record(None)  # until the commit below is done
        current = {} if full else self.digests()
        removed = sorted(current.keys() - target.keys())
        stale = sorted(i for i, d in target.items() if current.get(i) != d)
        if removed or stale or full:
            self._write(ix, fetch(stale), [] if full else removed + [i for i in stale if i in current], full)
        self._record(revision)
        return stale, removed

    def update(self, entries: list[Entry], removed: list[str], revision: str | None) -> tuple[list[str], list[str]]:
        """Apply one run's changes to an index that matched the store before them: write
        ``entries``, delete ``removed``, and record the store's new ``revision``.

        Only valid when ``synced()`` equals the store revision before those changes (else use
        ``sync``, which compares everything). Returns (written ids, removed ids).
        """
        written = sorted(e.id for e in entries)
        if entries or removed:
            self._record(None)
            self._write(self._open(), entries, sorted(set(removed) | set(written)), False)
        self._record(revision)
        return written, sorted(removed)

    def _write(self, ix: Any, entries: Sequence[Entry], delete: list[str], full: bool) -> None:
        """Delete ``delete``, add ``entries``: their documents are made and analysed on two
        processes (``kb.workers``) a chunk at a time, and added by chunks (``engine.writer``)."""
        from kb import workers  # here: ``kb search`` never writes, and multiprocessing takes a while to import

        shared = (list(entries), self.vocabularies, Analysis(ix.schema))
        with workers.spread(_gather, shared, len(entries), PARALLEL_FROM, size=GATHER_CHUNK) as chunks:
            # Opened once the workers are forked: they never hold the index's lock or files.
            # Separate files, not one compound segment file: Whoosh copies a compound file into
            # memory each time it opens it, which every search and every index run does.
            writer = Writer(ix, compound=False, codec=CODEC)
            try:
                for entry_id in delete:
                    writer.delete_by_term("id", entry_id)
                for gathered in chunks:
                    writer.add_gathered(gathered)
                writer.commit(mergetype=writing.CLEAR if full else writing.MERGE_SMALL)
            except BaseException:
                writer.cancel()
                raise
        self._index = None

    # -- reading -----------------------------------------------------------------------------

    def parse(self, text: str) -> tuple[query.Query, str, list[Message]]:
        """The Whoosh query for any user text (see ``kb.search.queries.parse``)."""
        view = self._live()
        if view.parser is None:  # made once per opened index
            view.parser = parser(view.schema)
        return parse(text, view.parser, view.searcher.reader())

    def search(self, text: str = "", filters: Filters = Filters(), limit: int = 20) -> Results:
        parsed, cleaned, notes = self.parse(text)
        try:
            return self._run(parsed, cleaned, notes, filters, limit)
        except query.QueryError:  # a construct the fields cannot answer: search the words alone
            plain = " ".join(plain_words(cleaned))
            notes.append(message("search.simplified", words=shorten(plain, 60)))
            view = self._live()
            parsed = compile_query(plain, view.parser or parser(view.schema), view.searcher.reader())
            return self._run(query.Every() if parsed is query.NullQuery else parsed, plain, notes, filters, limit)

    def search_near(self, text: str, filters: Filters, reach: Reach, limit: int = 20, broader: bool = True) -> Results:
        """Entries about the territory ``reach`` stands for first, then (``broader``) those about a
        territory around it, marked: the rule of kb.entries.territories."""
        own = self.search(text, replace(filters, places_any=tuple(sorted(reach.own))), limit)
        if not broader or not reach.broader:
            return own
        around = self.search(
            text,
            replace(filters, places_any=tuple(sorted(reach.broader)), places_none=tuple(sorted(reach.own))),
            max(limit - len(own.hits), 0),
        )
        for hit in around.hits:
            hit.broader = True
        facets = {
            name: dict(
                sorted(
                    (Counter(own.facets[name]) + Counter(around.facets[name])).items(), key=lambda kv: (-kv[1], kv[0])
                )
            )
            for name in own.facets
        }
        total = own.total + around.total
        return Results(
            own.query,
            total,
            own.hits + around.hits,
            facets,
            own.notes,
            own.suggestion if not total else None,
            around.total,
        )

    def _run(self, parsed: query.Query, cleaned: str, notes: list[Message], filters: Filters, limit: int) -> Results:
        conditions = [parsed] + [query.Term(name, value) for name, value in filters.tags()]
        if filters.places_any:
            conditions.append(query.Or([query.Term("territories", v) for v in filters.places_any]))
        if filters.places_none:
            conditions.append(query.Not(query.Or([query.Term("territories", v) for v in filters.places_none])))
        if filters.year_from is not None or filters.year_to is not None:
            conditions.append(query.NumericRange("year", filters.year_from, filters.year_to))
        final = query.And(conditions) if len(conditions) > 1 else parsed
        listing = isinstance(parsed, query.Every)
        if not listing and cleaned:
            final = query.AndMaybe(final, query.Term("title_exact", exact_key(cleaned), boost=EXACT_TITLE_BOOST))
        view = self._live()
        searcher = view.searcher
        limit = max(limit, 0)
        if listing:  # nothing to score: the matches, newest first
            matched = view.matches(final)
            top: list[tuple[float | None, int]] = [(None, d) for d in view.newest(matched, limit)]
        else:  # every match is scored and counted; the best ``limit`` are kept
            matched, best = view.ranked(final, limit)
            top = list[tuple[float | None, int]](best)
        counts = facets.table(view.facets.counts(matched) if matched else Counter())
        words = query_words(final, searcher) if not listing and top else None
        hits = [self._hit(view, searcher.stored_fields(d), score, words) for score, d in top]
        suggestion = None if matched or listing else self._suggest(searcher, cleaned)
        return Results(cleaned or "*", len(matched), hits, counts, notes, suggestion)

    def _hit(self, view: View, stored: dict[str, Any], score: float | None, words: dict[str, set[str]] | None) -> Hit:
        """A hit for display; ``words``: the query's words per field, to highlight (None: a listing)."""
        data = stored["data"]
        snippet = ""
        if words is not None:
            lang = data["language"]
            found = words.get(f"text_{lang}")
            chain_ = view.schema[f"text_{lang}"].analyzer.chain
            snippet = highlight(data["text"], found, lang, chain_, 2) or highlight(
                data["summary"] or "", found, lang, chain_, 1
            )
        if not snippet:
            snippet = html.escape(shorten(data["summary"] or data["text"], 200))
        return Hit(
            stored["id"],
            data["title"],
            data["year"],
            data["type"],
            data["language"],
            data["tags"],
            data["summary"],
            snippet,
            None if score is None else round(score, 3),
            data.get("translations", {}),
        )

    def _suggest(self, searcher: Any, cleaned: str) -> str | None:
        """'Did you mean': each word the index does not know replaced by its closest known word."""
        reader, changed, words, tries = searcher.reader(), False, [], 0
        for word in re.findall(r"\w+", cleaned):
            folded = fold(word)
            if (
                2 < len(folded) <= MAX_SUGGESTED
                and word not in OPERATORS
                and folded not in STOPWORDS
                and tries < MAX_SUGGESTIONS
                and reader.doc_frequency("words", folded) == 0
            ):
                tries += 1  # each look-up walks the word list: a few per query
                # Closest first, and only among words that begin like this one: Whoosh measures
                # the distance to every word sharing the prefix, in Python; with no prefix that is
                # the whole word list (~0.3 s per word at 10,000 entries), with one letter ~10 ms.
                # The price: a typo in the first letter gets no suggestion.
                close = next(
                    (
                        found
                        for maxdist, prefix in ((1, 1), (2, 2))
                        if (found := searcher.suggest("words", folded, limit=1, maxdist=maxdist, prefix=prefix))
                    ),
                    None,
                )
                if close:
                    words.append(close[0])
                    changed = True
                    continue
            words.append(word)
        return " ".join(words) if changed else None
