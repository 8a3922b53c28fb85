"""kb's segment writer (kb/search/engine/writer.py) against Whoosh's own ``add_document``.

The index ``kb index`` writes, from scratch on two processes and then run after run (entries
rewritten and removed, small segments merged), is byte for byte the index Whoosh's own writer
makes of the same documents through the same steps: the same terms, postings, weights,
positions, lengths, columns and stored fields, so searches cannot tell them apart. And kb's
word-by-word analysis gives each field what Whoosh's chains give on the texts where the two could
part: stop words first and last, empty parts, only stop words, accents, dotted numbers, one-letter
words, repeated words across the title, summary and body.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import synthetic_project
from whoosh import index as whoosh_index
from whoosh import writing

from kb import workers
from kb.project import Project
from kb.search import index as index_module
from kb.search.analysis import SECTION
from kb.search.documents import document, schema
from kb.search.engine.postings import CODEC
from kb.search.engine.writer import Analysis, Column, gather
from kb.search.index import SearchIndex

ENTRIES = 240


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory):
    """Synthetic entries (scripts/gen_corpus.py) in a SQLite store, not yet in a search index."""
    project = synthetic_project(tmp_path_factory.mktemp("writer"), ENTRIES)
    project.index(search=False)
    yield project
    project.close()


def whooshs_write(directory: Path, entries: list[Any], delete: list[str], full: bool, vocabularies: Any) -> None:
    """The same run through Whoosh's own writer: one ``add_document`` per entry."""
    if full or not whoosh_index.exists_in(str(directory)):
        directory.mkdir(parents=True, exist_ok=True)
        ix = whoosh_index.create_in(str(directory), schema())
    else:
        ix = whoosh_index.open_dir(str(directory))
    writer = ix.writer(compound=False, codec=CODEC)
    for entry_id in delete:
        writer.delete_by_term("id", entry_id)
    for entry in entries:
        writer.add_document(**document(entry, vocabularies))
    writer.commit(mergetype=writing.CLEAR if full else writing.MERGE_SMALL)


def segments(directory: Path) -> list[tuple[Any, ...]]:
    """Each segment: its documents left (deletions), and every file's bytes by its name after the
    segment's random name; in a stable order."""
    ix = whoosh_index.open_dir(str(directory))
    with ix.reader() as reader:
        leaves = [(r.doc_count_all(), tuple(r.all_doc_ids())) for r, _ in reader.leaf_readers()]
    files: dict[str, dict[str, bytes]] = {}
    for path in directory.iterdir():
        if path.name.startswith("MAIN_") and "." in path.name:
            segment, _, kind = path.name.partition(".")
            files.setdefault(segment, {})[kind] = path.read_bytes()
    contents = sorted(tuple(sorted(kinds.items())) for kinds in files.values())
    return [sorted(leaves), contents]


def test_kb_index_writes_whooshs_index_byte_for_byte_run_after_run(stored, tmp_path, monkeypatch):
    monkeypatch.setattr(index_module, "PARALLEL_FROM", 1)
    monkeypatch.setattr(index_module, "GATHER_CHUNK", 37)  # several chunks per process, one short
    monkeypatch.setattr(workers, "WORKERS", 2)
    vocabularies = stored.vocabularies
    entries = stored.store.entries()
    mine, theirs = SearchIndex(tmp_path / "kb", vocabularies), tmp_path / "whoosh"

    mine.sync({e.id: e.digest for e in entries}, lambda ids: entries, full=True)
    whooshs_write(theirs, entries, [], True, vocabularies)
    assert segments(mine.directory) == segments(theirs)

    # Runs after it: entries rewritten and removed, one segment per run, small ones merged.
    runs = [(entries[3:50:4], entries[100:103]), (entries[5:9], []), ([], entries[9:11]), (entries[60:200:3], [])]
    for number, (rewritten, removed) in enumerate(runs):
        gone = [e.id for e in removed]
        mine.update(rewritten, gone, f"run {number}")
        whooshs_write(theirs, rewritten, sorted(set(gone) | {e.id for e in rewritten}), False, vocabularies)
        assert segments(mine.directory) == segments(theirs), f"run {number}"
    assert len(segments(theirs)[0]) > 1  # several segments, some merged, with deletions


TEXTS = [
    "",
    "de la et",  # only stop words
    "Le quartier et les quartiers de Bruxelles.",
    "l'accessibilité des soins à domicile, accessibilite",
    "3.14 v1.2.3 a b c 2024 x",  # dotted numbers, one-letter words
    "Santé mentale: santé, SANTÉ, sante.",
    SECTION.join(["Le titre", "", "le corps du texte, le titre encore", "les étiquettes"]),
    SECTION.join(["", "", "", ""]),  # every part empty
    SECTION.join(["et de la", "résumé", "et", "Nord-Est Sud-Est"]),  # a part of stop words only
    SECTION.join(["Een buurtgerichte zorg", "armoede en welzijn", "de zorg in de buurt", "extra", "beyond"]),
]


@pytest.mark.parametrize("text", TEXTS)
def test_each_field_is_analysed_as_whooshs_chains_analyse_it(text):
    """Every indexed field of the schema, fed ``text``: kb's postings, by term, are Whoosh's
    ``field.index`` ones (frequency in the length, weight, value)."""
    fields = schema()
    analysis = Analysis(fields)
    for name, field in fields.items():
        if not field.indexed:
            continue
        value = text if name != "year" else 2020
        whooshs = {term: (weight, value_ or b"") for term, _, weight, value_ in field.index(value)}
        length = sum(freq for _, freq, _, _ in field.index(value)) if field.scorable else 0
        column = Column()
        assert analysis.index(name, value, 7, column) == length, name
        assert set(column.docs) <= {7}, name
        assert len(column.terms) == len(set(column.terms)), name  # one posting per term
        assert dict(zip(column.terms, zip(column.weights, column.values))) == whooshs, name


def test_a_chunk_gathered_keeps_what_each_document_stores(stored):
    """Stored fields, lengths and columns per document, in field name order, as add_document
    hands them to the per-document writer."""
    vocabularies = stored.vocabularies
    entries = stored.store.entries()[:3]
    fields = schema()
    gathered = gather(Analysis(fields), [document(e, vocabularies) for e in entries], 10)
    assert gathered.first == 10 and len(gathered.documents) == 3
    for entry, kept in zip(entries, gathered.documents):
        names = [name for name, *_ in kept]
        assert names == sorted(names)
        by_name = {name: (value, length, column) for name, value, length, column in kept}
        assert by_name["id"][0] == entry.id
        assert by_name["data"][0]["title"] == entry.title
        assert by_name[f"text_{entry.language}"][1] > 0  # a scorable field's length
        assert by_name["year"][2] is not None


def test_kb_index_from_the_entries_it_just_stored_writes_what_the_store_holds(stored, tmp_path):
    """A first ``kb index`` hands the search index the entries it has just parsed and stored (not
    read back from SQL): the index is the one written from the store's entries."""
    project = Project(
        root=tmp_path,
        entries_dir=stored.entries_dir,
        database_url=f"sqlite:///{tmp_path / 'kb.sqlite'}",
        index_dir=tmp_path / "kb",
    )
    try:
        project.index()
        assert project._written  # the path under test: entries kept from this run
        from_store = SearchIndex(tmp_path / "from-store", project.vocabularies)
        entries = project.store.entries()
        from_store.sync({e.id: e.digest for e in entries}, lambda ids: entries, full=True)
    finally:
        project.close()
    assert segments(tmp_path / "kb") == segments(tmp_path / "from-store")
