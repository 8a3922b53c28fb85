"""The SQL store, on a real SQLite file and a real PostgreSQL server (the ``project`` fixture
runs each test on both): what it holds equals what the files say, counted independently."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
import sqlalchemy
from conftest import MINIMAL, make_entry, STARTER_COUNT
from filedata import direct_facets, entry_paths, file_digests, front_matter, tags
from sqlalchemy import text

from kb.store.filters import Filters
from kb.entries.inventory import Changes, FileState
from kb.store.database import Store

# Filters and the same selection written against the files' own YAML.
FILTER_CASES = [
    (Filters(), lambda i, t: True),
    (Filters(scale=("region",)), lambda i, t: "region" in t["scale"]),
    (
        Filters(scale=("bassin", "quartier_social_sante")),
        lambda i, t: {"bassin", "quartier_social_sante"} <= t["scale"],
    ),
    (Filters(language=("nl",)), lambda i, t: t["language"] == {"nl"}),
    (Filters(type=("tool",), year_from=2015), lambda i, t: "tool" in t["type"] and int(*t["year"]) >= 2015),
    (Filters(year_from=2015, year_to=2022), lambda i, t: 2015 <= int(*t["year"]) <= 2022),
    (
        Filters(partners=("brusano",), territories=("region",)),
        lambda i, t: "brusano" in t["partners"] and "region" in t["territories"],
    ),
    (Filters(criteria=("no_such_value",)), lambda i, t: False),
]


@pytest.fixture
def indexed(project):
    """The starter inventory indexed by ``kb index`` (store and search index)."""
    project.index()
    return project


@pytest.fixture
def stored(project):
    """The starter inventory written to the store alone (no search index: quicker)."""
    entries = project.check().entries
    project.store.apply(Changes(added=[e.id for e in entries]), entries, {})
    return project


def test_store_holds_every_file_with_its_digest(indexed):
    assert indexed.store.digests() == file_digests(indexed.entries_dir)
    assert len(indexed.store.entries()) == len(entry_paths(indexed.entries_dir)) == STARTER_COUNT


def test_entries_come_back_as_the_files_parse(stored):
    expected = sorted(stored.check().entries, key=lambda e: e.id)
    stored = stored.store.entries()
    assert [e.id for e in stored] == [e.id for e in expected]
    for got, want in zip(stored, expected):
        assert dataclasses.asdict(got) | {"lines": {}} == dataclasses.asdict(want) | {"lines": {}}, want.id


def test_file_states_record_stat_and_digest(indexed):
    states = indexed.store.file_states()
    digests = file_digests(indexed.entries_dir)
    for path in entry_paths(indexed.entries_dir):
        stat = path.stat()
        assert states[path.stem] == FileState(stat.st_mtime_ns, stat.st_size, digests[path.stem])


def test_facet_counts_equal_a_direct_count_over_the_files(stored):
    for filters, keep in FILTER_CASES:
        expected = direct_facets(entry_paths(stored.entries_dir), keep)
        assert stored.store.facet_counts(filters) == expected, filters


def test_filtered_entries_are_the_matching_files(stored):
    for filters, keep in FILTER_CASES:
        expected = [p.stem for p in entry_paths(stored.entries_dir) if keep(p.stem, tags(front_matter(p)))]
        assert [e.id for e in stored.store.entries(filters)] == expected, filters


def test_entries_by_ids_ignores_unknown_ids_and_crosses_chunks(stored):
    real = sorted(file_digests(stored.entries_dir))
    wanted = [f"missing-{n:04d}" for n in range(1200)] + real[::3]
    assert [e.id for e in stored.store.entries(ids=wanted)] == real[::3]
    assert stored.store.entries(ids=[]) == []


def test_apply_is_all_or_nothing(stored):
    """A failing write (here a duplicate key, after a delete in the same call) changes nothing."""
    store = stored.store
    before = store.digests()
    entries = {e.id: e for e in stored.check().entries}
    victim, duplicate = sorted(entries)[:2]
    changes = Changes(removed=[victim])
    with pytest.raises(sqlalchemy.exc.IntegrityError):
        store.apply(changes, [entries[duplicate]], {})
    assert store.digests() == before
    assert store.facet_counts() == direct_facets(entry_paths(stored.entries_dir))


def test_full_apply_replaces_everything(stored):
    entries = sorted(stored.check().entries, key=lambda e: e.id)
    kept = entries[:5]
    stored.store.apply(Changes(added=[e.id for e in kept]), kept, {}, full=True)
    assert sorted(stored.store.digests()) == [e.id for e in kept]
    assert len(stored.store.entries()) == 5
    # Tags and people of the dropped entries went with them.
    assert sum(stored.store.facet_counts()["language"].values()) == 5


def test_removal_takes_tags_and_people_along(stored):
    store = stored.store
    entries = {e.id: e for e in stored.check().entries}
    gone = "zorgzame-buurten-brussel"
    store.apply(Changes(removed=[gone]), [], {})
    assert gone not in store.digests()
    with store.engine.connect() as conn:
        for table in ("entry_tags", "entry_people"):
            left = conn.scalar(text(f"SELECT count(*) FROM {table} WHERE entry_id = :i"), {"i": gone})
            assert left == 0, table
    expected = direct_facets(entry_paths(stored.entries_dir), lambda i, t: i != gone)
    assert store.facet_counts() == expected
    assert entries[gone].partners  # the removed entry did carry tags


def test_a_store_of_another_schema_version_is_rebuilt(stored, database_url):
    with stored.store.engine.begin() as conn:
        conn.execute(text("UPDATE kb_meta SET value = '0' WHERE key = 'schema'"))
    stored.close()
    store = Store(database_url)
    try:
        assert store.entries() == []
        assert store.digests() == {}
    finally:
        store.close()


def test_reopening_a_store_keeps_its_content(stored, database_url):
    before = stored.store.digests()
    stored.close()
    store = Store(database_url)
    try:
        assert store.digests() == before
    finally:
        store.close()


def test_parsing_on_two_processes_gives_the_same_store(tmp_path, entries_dir, monkeypatch):
    from kb import project as project_module
    from kb.project import Project, Refused

    serial = Project(root=tmp_path / "serial", entries_dir=entries_dir)
    serial.index(search=False)
    monkeypatch.setattr(project_module, "PARALLEL_PARSE_FROM", 1)
    parallel = Project(root=tmp_path / "parallel", entries_dir=entries_dir)
    parallel.index(search=False)
    try:
        assert parallel.store.entries() == serial.store.entries()
        assert parallel.store.versions() == serial.store.versions()
        # Errors found by the forked parsers are reported as in one process: file and line.
        broken = make_entry(entries_dir, "cassee", MINIMAL.replace("scale: [region]", "scale: [galaxie]"))
        fresh = Project(root=tmp_path / "fresh", entries_dir=entries_dir)
        with pytest.raises(Refused) as refused:
            fresh.index(search=False)
        assert [(Path(p.path).name, p.line) for p in refused.value.problems] == [(broken.name, 5)]
        fresh.close()
    finally:
        serial.close()
        parallel.close()
