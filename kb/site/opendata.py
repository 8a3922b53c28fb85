"""The inventory as open data for analysts: a SQLite file ready for Datasette, CSV and JSON.

Readers of the site browse entries one at a time; analysts want the whole table. The build
writes ``data/kb.sqlite`` (with ``data/metadata.json`` for ``datasette data/kb.sqlite -m
data/metadata.json``), ``data/kb.csv`` and ``data/kb.json``. Every tag is a French label (the
ids beside it, as JSON arrays), the ``vocabulary`` table gives every id's French, Dutch and
English label, and ``entries_fts`` searches titles and summaries. Only what the entry files say
is published: none of the store's own columns (digests, file times, paths).
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import tempfile
from typing import Any, Iterable

from kb.entries.schema import Entry
from kb.entries.vocab import LANGS, Vocabularies
from kb.files import json_rows

TAGS = ("type", "scale", "criteria", "basis", "partners", "territories", "language")
TEXT = ("id", "title", "year", "date", "summary", "authors", "organisations", "url", "doi", "added")
# The SQLite file's lists as JSON arrays: one encoder for all (json.dumps with an option makes
# one a call: 3.4 against 1.9 us, for twelve lists an entry, 1.7 s at 100,000 entries).
_ARRAY = json.JSONEncoder(ensure_ascii=False)


def rows(entries: Iterable[Entry], vocabularies: Vocabularies) -> list[dict[str, Any]]:
    """One flat record per entry, in id order: text fields, then each tag as French labels and
    as ids (``scale`` and ``scale_ids``)."""
    records = []
    for entry in sorted(entries, key=lambda e: e.id):
        record: dict[str, Any] = {name: getattr(entry, name) for name in TEXT}
        record["authors"], record["organisations"] = list(entry.authors), list(entry.organisations)
        for dimension, values in entry.tags().items():
            if dimension not in TAGS:
                continue
            labels = [vocabularies.label(dimension, v, "fr") for v in values]
            single = dimension in ("type", "language")
            record[dimension] = labels[0] if single else labels
            record[f"{dimension}_ids" if not single else f"{dimension}_id"] = values[0] if single else list(values)
        records.append(record)
    return records


def _columns(records: list[dict[str, Any]]) -> list[str]:
    return list(records[0]) if records else list(TEXT)


def json_text(records: list[dict[str, Any]]) -> str:
    return json_rows(records)


def csv_text(records: list[dict[str, Any]]) -> str:
    """One row per entry; several values in one cell are joined with " ; "."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    columns = _columns(records)
    writer.writerow(columns)
    for record in records:
        writer.writerow(
            [" ; ".join(v) if isinstance(v, list) else ("" if v is None else v) for v in (record[c] for c in columns)]
        )
    return out.getvalue()


def sqlite_bytes(records: list[dict[str, Any]], vocabularies: Vocabularies) -> bytes:
    """The SQLite file: ``entries`` (lists as JSON arrays), ``entries_fts`` (FTS5 over titles and
    summaries, as Datasette finds it), ``vocabulary`` (every id's labels). Same input, same bytes."""
    columns = _columns(records)
    handle, path = tempfile.mkstemp(suffix=".sqlite")
    os.close(handle)
    try:
        db = sqlite3.connect(path)
        with db:
            db.execute("PRAGMA journal_mode=DELETE")
            kinds = {c: "INTEGER" if c == "year" else "TEXT" for c in columns}
            db.execute(f"CREATE TABLE entries ({', '.join(f'[{c}] {kinds[c]}' for c in columns)}, PRIMARY KEY (id))")
            db.executemany(
                f"INSERT INTO entries VALUES ({', '.join('?' for _ in columns)})",
                [[_ARRAY.encode(v) if isinstance(v, list) else v for v in (r[c] for c in columns)] for r in records],
            )
            db.execute(
                "CREATE VIRTUAL TABLE entries_fts USING fts5(title, summary, content=entries, "
                "content_rowid=rowid, tokenize='unicode61 remove_diacritics 2')"
            )
            db.execute("INSERT INTO entries_fts (rowid, title, summary) SELECT rowid, title, summary FROM entries")
            db.execute(
                f"CREATE TABLE vocabulary (dimension TEXT, id TEXT, {', '.join(f'label_{lang} TEXT' for lang in LANGS)}, "
                "PRIMARY KEY (dimension, id))"
            )
            db.executemany(
                f"INSERT INTO vocabulary VALUES (?, ?, {', '.join('?' for _ in LANGS)})",
                [(d, t.id, *(t.label(lang) for lang in LANGS)) for d in TAGS for t in vocabularies.for_field(d)],
            )
        db.execute("VACUUM")
        db.close()
        with open(path, "rb") as file:
            return file.read()
    finally:
        os.unlink(path)


def metadata(title: str, description: str) -> str:
    """Datasette's metadata.json: titles, descriptions and the facets analysts start from."""
    data = {
        "title": title,
        "description": description,
        "databases": {
            "kb": {
                "tables": {
                    "entries": {
                        "description": "One row per entry of the inventory. Tags are French labels; the *_ids "
                        "columns hold the vocabulary ids (JSON arrays), explained in the vocabulary table.",
                        "facets": [
                            "type",
                            "language",
                            "year",
                            {"array": "scale"},
                            {"array": "criteria"},
                            {"array": "territories"},
                            {"array": "partners"},
                        ],
                        "sortable_columns": ["year", "title"],
                    },
                    "vocabulary": {
                        "description": "Every vocabulary id with its French, Dutch and English label.",
                        "facets": ["dimension"],
                    },
                }
            }
        },
    }
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
