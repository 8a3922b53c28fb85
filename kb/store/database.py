"""The SQL store: entries, their people and their tag links, through SQLAlchemy.

The store is derived data: ``apply()`` writes the changes found in the files in one transaction, so
a killed ``kb index`` leaves the previous consistent state, and the next run repairs it from
the content hashes. SQLite (a file under ``.kb/``) by default; any SQLAlchemy URL works, and
PostgreSQL is tested for real.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from operator import itemgetter
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    create_engine,
    delete,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.sql import Select
from sqlalchemy.sql.expression import UpdateBase

from kb.entries.schema import CITATION_FIELDS, Entry
from kb.store.filters import TAG_FIELDS, Filters
from kb.entries.inventory import Changes, FileState

SCHEMA_VERSION = "3"  # 2: translations, basis, citation fields; 3: archive, url_status

# The tables, in SQLAlchemy Core: its ORM (declarative classes) took a fifth of the 0.25 s
# SQLAlchemy takes to import, which every `kb build` pays before its first page.
METADATA = MetaData()

Meta = Table(
    "kb_meta",
    METADATA,
    Column("key", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)

EntryRow = Table(
    "entries",
    METADATA,
    Column("id", String(80), primary_key=True),
    Column("path", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("type", String(40), nullable=False),
    Column("year", Integer, nullable=False, index=True),
    Column("date", String(10)),
    Column("language", String(5), nullable=False),
    Column("url", Text),
    Column("doi", Text),
    Column("summary", Text),
    Column("container", Text),
    Column("volume", String(40)),
    Column("issue", String(40)),
    Column("pages", String(40)),
    Column("isbn", String(40)),
    Column("issn", String(40)),
    Column("publisher_place", Text),
    Column("edition", Text),
    Column("added", String(10)),
    Column("archive", Text),
    Column("url_status", String(20)),
    Column("body", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("mtime_ns", BigInteger, nullable=False, default=0),
    Column("size", BigInteger, nullable=False, default=0),
)


def _of_entries(name: str, *rest: Column[Any] | Index) -> Table:
    """A table of rows each belonging to an entry: keyed by its id first, deleted with it."""
    entry_id = Column("entry_id", String(80), ForeignKey("entries.id", ondelete="CASCADE"), primary_key=True)
    return Table(name, METADATA, entry_id, *rest)


# Authors (``role='author'``) and publishing organisations (``role='organisation'``), in order.
Person = _of_entries(
    "entry_people",
    Column("role", String(12), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("name", Text, nullable=False),
)

# Our translation of an entry's title and summary into one language.
Translation = _of_entries(
    "entry_translations",
    Column("language", String(5), primary_key=True),
    Column("title", Text, nullable=False),
    Column("summary", Text),
)

# One link from an entry to a vocabulary value: (entry, dimension, value).
Tag = _of_entries(
    "entry_tags",
    Column("dimension", String(20), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("value", String(80), nullable=False),
    Index("ix_entry_tags_dimension_value", "dimension", "value", "entry_id"),
)


class Store:
    """The inventory as SQL rows; construct with a SQLAlchemy URL."""

    def __init__(self, url: str):
        parsed = make_url(url)
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        self.url = url
        self.engine: Engine = create_engine(url)
        if parsed.get_backend_name() == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self._prepare()

    def close(self) -> None:
        self.engine.dispose()

    def _prepare(self) -> None:
        """Create the tables; a store written by another schema version is rebuilt from scratch."""
        with self.engine.begin() as conn:
            METADATA.create_all(conn)
            version = conn.scalar(select(Meta.c.value).where(Meta.c.key == "schema"))
            if version == SCHEMA_VERSION:
                return
        METADATA.drop_all(self.engine)
        with self.engine.begin() as conn:
            METADATA.create_all(conn)
            conn.execute(insert(Meta), [{"key": "schema", "value": SCHEMA_VERSION}])

    def digests(self) -> dict[str, str]:
        with self.engine.connect() as conn:
            return {i: d for i, d in conn.execute(select(EntryRow.c.id, EntryRow.c.digest))}

    def versions(self) -> dict[str, tuple[str, str]]:
        """Entry id -> (digest, path): enough to tell whether a copy of an entry is current."""
        return {i: (d, p) for i, d, p in self._rows("SELECT id, digest, path FROM entries")}

    def dois(self, wanted: Iterable[str] | None = None) -> dict[str, str]:
        """Entry id -> DOI, for the entries that have one (with ``wanted``: one of those, any case)."""
        query = select(EntryRow.c.id, EntryRow.c.doi).where(EntryRow.c.doi.is_not(None))
        values = None if wanted is None else sorted({doi.lower() for doi in wanted})
        with self.engine.connect() as conn:
            if values is None or not all(v.isascii() for v in values):  # SQLite's lower() is ASCII-only
                found = {i: d for i, d in conn.execute(query) if d is not None}
                return found if values is None else {i: d for i, d in found.items() if d.lower() in set(values)}
            return {
                i: d
                for start in range(0, len(values), 500)
                for i, d in conn.execute(query.where(func.lower(EntryRow.c.doi).in_(values[start : start + 500])))
                if d is not None
            }

    def revision(self) -> str | None:
        """A token that every ``apply()`` changes: a derived copy that recorded it is up to date."""
        with self.engine.connect() as conn:
            return conn.scalar(select(Meta.c.value).where(Meta.c.key == "revision"))

    def file_states(self) -> dict[str, FileState]:
        """What each stored entry's file looked like when it was read: skips re-reading it."""
        return {i: FileState(m, s, d) for i, m, s, d in self._rows("SELECT id, mtime_ns, size, digest FROM entries")}

    def _rows(self, query: str) -> list[tuple[Any, ...]]:
        """The rows of a plain ``query`` through the driver's cursor: one SQLAlchemy row per
        entry costs more than the query itself (a build reads every entry's file state and
        version before its first page)."""
        with self.engine.connect() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None, "an open connection has its driver's connection"
            cursor = driver.cursor()
            try:
                cursor.execute(query)
                rows: list[tuple[Any, ...]] = cursor.fetchall()
                return rows
            finally:
                cursor.close()

    def apply(
        self, changes: Changes, upserts: Iterable[Entry], states: dict[str, FileState], full: bool = False
    ) -> None:
        """Write ``changes`` in one transaction: all of it lands, or none of it."""
        with self.engine.begin() as conn:
            if full:
                for table in (Tag, Person, Translation, EntryRow):
                    conn.execute(delete(table))
            stale = changes.removed + changes.changed
            for start in range(0, len(stale), 500):
                chunk = stale[start : start + 500]
                for table in (Tag, Person, Translation):
                    conn.execute(delete(table).where(table.c.entry_id.in_(chunk)))
                conn.execute(delete(EntryRow).where(EntryRow.c.id.in_(chunk)))
            self._insert(conn, list(upserts), states)
            touch = (
                update(EntryRow)
                .where(EntryRow.c.id == bindparam("entry"))
                .values(mtime_ns=bindparam("mtime"), size=bindparam("bytes"))
            )
            Store._many(
                conn,
                touch,
                [{"entry": i, "mtime": states[i].mtime_ns, "bytes": states[i].size} for i in changes.touched],
            )
            conn.execute(delete(Meta).where(Meta.c.key == "revision"))
            conn.execute(insert(Meta), [{"key": "revision", "value": uuid.uuid4().hex}])

    @staticmethod
    def _insert(conn: Connection, entries: list[Entry], states: dict[str, FileState]) -> None:
        if not entries:
            return
        rows: list[dict[str, Any]] = []
        people: list[dict[str, Any]] = []
        tags: list[dict[str, Any]] = []
        translations: list[dict[str, Any]] = []
        for e in entries:
            rows.append(
                {
                    "id": e.id,
                    "path": e.path,
                    "title": e.title,
                    "type": e.type,
                    "year": e.year,
                    "date": e.date,
                    "language": e.language,
                    "url": e.url,
                    "doi": e.doi,
                    "summary": e.summary,
                    "added": e.added,
                    "archive": e.archive,
                    "url_status": e.url_status,
                    "body": e.body,
                    "digest": e.digest,
                    **{name: getattr(e, name) for name in CITATION_FIELDS},
                    "mtime_ns": states[e.id].mtime_ns if e.id in states else 0,
                    "size": states[e.id].size if e.id in states else 0,
                }
            )
            for role, names in (("author", e.authors), ("organisation", e.organisations)):
                people.extend({"entry_id": e.id, "role": role, "position": i, "name": n} for i, n in enumerate(names))
            translations.extend(
                {"entry_id": e.id, "language": lang, "title": title, "summary": summary}
                for lang, title, summary in e.translations
            )
            for dimension, values in e.tags().items():
                tags.extend(
                    {"entry_id": e.id, "dimension": dimension, "position": i, "value": v} for i, v in enumerate(values)
                )
        for table, table_rows in ((EntryRow, rows), (Person, people), (Tag, tags), (Translation, translations)):
            Store._many(conn, insert(table), table_rows)

    @staticmethod
    def _many(conn: Connection, statement: UpdateBase, rows: list[dict[str, Any]]) -> None:
        """Run ``statement`` for each of ``rows`` (its parameters by name: an insert's are its
        table's columns) in one executemany of the driver, in the dialect's own SQL. SQLAlchemy
        making each row's parameters took 0.4 s of the 1.4 s the store took to write 10,000
        entries, about as long as SQLite did; one update statement a row, 8 s for the new
        times of 100,000 files (a checkout, a restored cache)."""
        if not rows:
            return
        compiled = statement.compile(dialect=conn.dialect)
        names = compiled.positiontup  # (a positional driver: each row's values in the statement's order)
        if names and len(names) > 1:
            conn.exec_driver_sql(str(compiled), list(map(itemgetter(*names), rows)))
        else:
            conn.exec_driver_sql(str(compiled), [(row[names[0]],) for row in rows] if names else rows)

    def _filtered_ids(self, filters: Filters) -> Select[Any]:
        """A SELECT of the ids of entries passing ``filters`` (one EXISTS-style IN per value)."""
        query = select(EntryRow.c.id)
        for dimension, value in filters.tags():
            query = query.where(
                EntryRow.c.id.in_(select(Tag.c.entry_id).where(Tag.c.dimension == dimension, Tag.c.value == value))
            )
        places = select(Tag.c.entry_id).where(Tag.c.dimension == "territories")
        if filters.places_any:
            query = query.where(EntryRow.c.id.in_(places.where(Tag.c.value.in_(filters.places_any))))
        if filters.places_none:
            query = query.where(EntryRow.c.id.not_in(places.where(Tag.c.value.in_(filters.places_none))))
        if filters.year_from is not None:
            query = query.where(EntryRow.c.year >= filters.year_from)
        if filters.year_to is not None:
            query = query.where(EntryRow.c.year <= filters.year_to)
        return query

    def facet_counts(self, filters: Filters = Filters()) -> dict[str, dict[str, int]]:
        """For every dimension (and year), how many of the filtered entries carry each value,
        counted in SQL. kb itself counts facets in the search index: this is kept for
        scripts/bench_search.py, which times it against the index's counts, and for the store
        tests that check the store against the files (tests/test_store.py, tests/test_index.py)."""
        tags = select(Tag.c.dimension, Tag.c.value, func.count()).group_by(Tag.c.dimension, Tag.c.value)
        years = select(EntryRow.c.year, func.count()).group_by(EntryRow.c.year)
        if filters:  # (with none, no IN: one look-up per entry made it 6 times slower)
            ids = self._filtered_ids(filters)
            tags, years = tags.where(Tag.c.entry_id.in_(ids)), years.where(EntryRow.c.id.in_(ids))
        counts: dict[str, dict[str, int]] = {d: {} for d in (*TAG_FIELDS, "year")}
        with self.engine.connect() as conn:
            for dimension, value, number in conn.execute(tags):
                counts[dimension][value] = number
            for year, number in conn.execute(years):
                counts["year"][str(year)] = number
        return counts

    def entries(self, filters: Filters = Filters(), ids: Iterable[str] | None = None) -> list[Entry]:
        """The filtered entries (or those with the given ids), rebuilt as ``Entry`` objects, in id order."""
        if ids is not None:
            wanted = sorted(ids)
            return [
                e
                for start in range(0, len(wanted), 500)
                for e in self._entries(select(EntryRow.c.id).where(EntryRow.c.id.in_(wanted[start : start + 500])))
            ]
        return self._entries(self._filtered_ids(filters))

    def _entries(self, ids: Select[Any]) -> list[Entry]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(EntryRow).where(EntryRow.c.id.in_(ids)).order_by(EntryRow.c.id)).mappings().all()
            tags: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
            for entry_id, dimension, value in conn.execute(
                select(Tag.c.entry_id, Tag.c.dimension, Tag.c.value)
                .where(Tag.c.entry_id.in_(ids))
                .order_by(Tag.c.entry_id, Tag.c.dimension, Tag.c.position)
            ):
                tags[entry_id][dimension].append(value)
            people: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
            for entry_id, role, name in conn.execute(
                select(Person.c.entry_id, Person.c.role, Person.c.name)
                .where(Person.c.entry_id.in_(ids))
                .order_by(Person.c.entry_id, Person.c.role, Person.c.position)
            ):
                people[entry_id][role].append(name)
            translated: dict[str, list[tuple[str, str, str | None]]] = defaultdict(list)
            for entry_id, lang, title, summary in conn.execute(
                select(Translation.c.entry_id, Translation.c.language, Translation.c.title, Translation.c.summary)
                .where(Translation.c.entry_id.in_(ids))
                .order_by(Translation.c.entry_id, Translation.c.language)
            ):
                translated[entry_id].append((lang, title, summary))
        result = []
        for row in rows:
            t, p = tags[row["id"]], people[row["id"]]
            result.append(
                Entry(
                    id=row["id"],
                    path=row["path"],
                    title=row["title"],
                    type=row["type"],
                    year=row["year"],
                    language=row["language"],
                    scale=tuple(t["scale"]),
                    criteria=tuple(t["criteria"]),
                    basis=tuple(t["basis"]),
                    translations=tuple(translated[row["id"]]),
                    **{name: row[name] for name in CITATION_FIELDS},
                    body=row["body"],
                    digest=row["digest"],
                    date=row["date"],
                    authors=tuple(p["author"]),
                    organisations=tuple(p["organisation"]),
                    partners=tuple(t["partners"]),
                    territories=tuple(t["territories"]),
                    url=row["url"],
                    doi=row["doi"],
                    summary=row["summary"],
                    added=row["added"],
                    archive=row["archive"],
                    url_status=row["url_status"],
                )
            )
        return result


def _sqlite_pragmas(dbapi_connection: DBAPIConnection, _connection_record: ConnectionPoolEntry) -> None:
    """WAL keeps readers going while ``kb index`` writes; foreign keys make CASCADE real."""
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
