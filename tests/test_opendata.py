"""The inventory as open data (kb.site.opendata): the SQLite file the build publishes, opened by
Datasette itself, with a facet asked for by its label; the CSV and JSON beside it."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from conftest import STARTER
from datasette.app import Datasette

from kb.project import Project

INTERNAL = {"digest", "path", "mtime", "size", "lines"}


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("opendata")
    shutil.copytree(STARTER, root / "entries", ignore=shutil.ignore_patterns("README.md"))
    project = Project(
        root=root,
        entries_dir=root / "entries",
        database_url=f"sqlite:///{root / 'kb.sqlite'}",
        index_dir=root / "whoosh",
    )
    try:
        project.build(root / "site", search=False)
    finally:
        project.close()
    return root / "site" / "data"


def test_the_sqlite_file_has_labels_json_arrays_and_no_internal_columns(data: Path) -> None:
    db = sqlite3.connect(data / "kb.sqlite")
    columns = {row[1] for row in db.execute("PRAGMA table_info(entries)")}
    assert not columns & INTERNAL
    total = len(list((data.parent.parent / "entries").glob("*.md")))
    assert db.execute("SELECT count(*) FROM entries").fetchone()[0] == total
    scale, ids = db.execute("SELECT scale, scale_ids FROM entries WHERE id = 'bruzel-eerstelijnszone'").fetchone()
    assert "Zone de première ligne" in json.loads(scale) and "eerstelijnszone" in json.loads(ids)
    labels = db.execute(
        "SELECT label_fr, label_nl FROM vocabulary WHERE dimension = 'scale' AND id = 'bassin'"
    ).fetchone()
    assert labels == ("Bassin d'aide et de soins", "Zorgzone")
    found = db.execute(
        "SELECT id FROM entries_fts JOIN entries ON entries.rowid = entries_fts.rowid "
        "WHERE entries_fts MATCH 'medecins'"
    ).fetchall()
    assert ("etude-medecins-generalistes-bruxelles-2018",) in found


def test_datasette_opens_it_and_facets_by_label(data: Path) -> None:
    metadata = json.loads((data / "metadata.json").read_text())
    datasette = Datasette([str(data / "kb.sqlite")], metadata=metadata)

    async def get(path: str) -> dict:
        response = await datasette.client.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        return response.json()

    async def run() -> tuple[dict, dict, dict]:
        faceted = await get("/kb/entries.json?_facet_array=scale&_shape=objects")
        picked = await get("/kb/entries.json?scale__arraycontains=Zone+de+premi%C3%A8re+ligne&_shape=objects")
        searched = await get("/kb/entries.json?_search=eerstelijnszone&_shape=objects")
        return faceted, picked, searched

    faceted, picked, searched = asyncio.run(run())
    scales = {item["value"]: item["count"] for item in faceted["facet_results"]["scale"]["results"]}
    assert scales["Zone de première ligne"] >= 2
    assert {row["id"] for row in picked["rows"]} >= {"bruzel-eerstelijnszone"}
    assert len(picked["rows"]) == scales["Zone de première ligne"]
    assert "bruzel-eerstelijnszone" in {row["id"] for row in searched["rows"]}


def test_csv_and_json_hold_the_same_rows(data: Path) -> None:
    rows = list(csv.DictReader(io.StringIO((data / "kb.csv").read_text(encoding="utf-8"))))
    text = (data / "kb.json").read_text(encoding="utf-8")
    records = json.loads(text)
    assert [r["id"] for r in rows] == [r["id"] for r in records]
    # one entry a line, between the list's brackets (kb.files.json_rows)
    lines = text.splitlines()
    assert [json.loads(line.rstrip(",")) for line in lines[1:-1]] == records and lines[0] + lines[-1] == "[]"
    first = records[0]
    assert rows[0]["scale"] == " ; ".join(first["scale"]) and not set(first) & INTERNAL


def test_the_home_page_links_to_the_downloads(data: Path) -> None:
    home = (data.parent / "fr" / "index.html").read_text(encoding="utf-8")
    for name in ("kb.sqlite", "kb.csv", "kb.json", "metadata.json"):
        assert f'href="../data/{name}"' in home
