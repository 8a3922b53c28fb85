"""kb's search engine and the Whoosh it was checked with (kb/search/engine/README.md).

These tests fail, saying what changed and what to do, when whoosh-reloaded's version changes or
any private API the engine relies on is gone or takes other parameters; when the engine would
silently fall back to a slow path; or when an index of an older format would be read instead of
rebuilt."""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import tarfile
from pathlib import Path
from typing import Any

import pytest
from conftest import STARTER_COUNT

from kb.cli import cli

CHECKED_VERSION = "2.7.5"
DATA = Path(__file__).parent / "data"
HOW = (
    "kb/search/engine/ relies on it: read kb/search/engine/README.md, check the engine against the new "
    "Whoosh, then update tests/test_search_engine.py"
)

# Each private API of the README that is called, with the parameters it was checked with.
SIGNATURES = {
    "whoosh.codec.whoosh3:W3Codec.__init__": ["self", "blocklimit", "compression", "inlinelimit"],
    "whoosh.codec.whoosh3:W3Codec.field_writer": ["self", "storage", "segment"],
    "whoosh.codec.whoosh3:W3Codec.postings_writer": ["self", "dbfile", "byteids"],
    "whoosh.codec.whoosh3:W3Codec.postings_reader": ["self", "dbfile", "terminfo", "format_", "term", "scorer"],
    "whoosh.codec.whoosh3:W3FieldWriter.__init__": ["self", "codec", "storage", "segment"],
    "whoosh.codec.whoosh3:W3FieldWriter.add_postings": ["self", "schema", "lengths", "items"],
    "whoosh.codec.whoosh3:W3PostingsWriter.__init__": [
        "self",
        "postfile",
        "blocklimit",
        "byteids",
        "compression",
        "inlinelimit",
    ],
    "whoosh.codec.whoosh3:W3PostingsWriter._mini_ids": ["self"],
    "whoosh.codec.whoosh3:W3PostingsWriter._mini_weights": ["self"],
    "whoosh.codec.whoosh3:W3PostingsWriter._mini_values": ["self"],
    "whoosh.codec.whoosh3:W3PostingsWriter._write_block": ["self", "last"],
    "whoosh.codec.whoosh3:W3PostingsWriter._new_block": ["self"],
    "whoosh.codec.whoosh3:W3PerDocWriter.start_doc": ["self", "docnum"],
    "whoosh.codec.whoosh3:W3PerDocWriter.add_field": ["self", "fieldname", "fieldobj", "value", "length"],
    "whoosh.codec.whoosh3:W3PerDocWriter.add_column_value": ["self", "fieldname", "column", "value"],
    "whoosh.codec.whoosh3:W3PerDocWriter.finish_doc": ["self"],
    "whoosh.codec.whoosh3:W3FieldWriter.start_field": ["self", "fieldname", "fieldobj"],
    "whoosh.codec.whoosh3:W3FieldWriter.start_term": ["self", "btext"],
    "whoosh.codec.whoosh3:W3FieldWriter.finish_term": ["self"],
    "whoosh.codec.whoosh3:W3FieldWriter.finish_field": ["self"],
    "whoosh.writing:SegmentWriter.__init__": [
        "self",
        "ix",
        "poolclass",
        "timeout",
        "delay",
        "_lk",
        "limitmb",
        "docbase",
        "codec",
        "compound",
        "kwargs",
    ],
    "whoosh.writing:SegmentWriter._check_state": ["self"],
    "whoosh.writing:SegmentWriter.add_postings_to_pool": ["self", "reader", "startdoc", "docmap"],
    "whoosh.writing:SegmentWriter._flush_segment": ["self"],
    "whoosh.codec.whoosh3:W3LeafMatcher.__init__": [
        "self",
        "postfile",
        "startoffset",
        "length",
        "format_",
        "term",
        "byteids",
        "scorer",
    ],
    "whoosh.codec.whoosh3:W3LeafMatcher._read_data": ["self"],
    "whoosh.codec.whoosh3:W3LeafMatcher._read_ids": ["self"],
    "whoosh.codec.whoosh3:W3LeafMatcher._read_weights": ["self"],
    "whoosh.codec.whoosh3:W3LeafMatcher._read_values": ["self"],
    "whoosh.codec.whoosh3:W3LeafMatcher._next_block": ["self"],
    "whoosh.codec.whoosh3:W3PerDocReader._cached_reader": ["self", "fieldname", "column"],
    "whoosh.codec.whoosh3:_lenfield": ["fieldname"],
    "whoosh.formats:Positions.word_values": ["self", "value", "analyzer", "kwargs"],
    "whoosh.formats:Positions.encode": ["self", "poslist"],
    "whoosh.formats:Positions.decode_positions": ["self", "valuestring"],
    "whoosh.formats:Positions.decode_frequency": ["self", "valuestring"],
    "whoosh.formats:tokens": ["value", "analyzer", "kwargs"],
    "whoosh.matching:FilterMatcher.__init__": ["self", "child", "ids", "exclude", "boost"],
    "whoosh.searching:Searcher.leaf_searchers": ["self"],
    "whoosh.searching:Searcher.context": ["self", "kwargs"],
    "whoosh.searching:Searcher.avg_field_length": ["self", "fieldname", "default"],
    "whoosh.searching:Searcher.idf": ["self", "fieldname", "text"],
    "whoosh.highlight:mkfrag": ["text", "tokens", "startchar", "endchar", "charsbefore", "charsafter"],
    "whoosh.highlight:top_fragments": ["fragments", "count", "scorer", "order", "minscore"],
    "whoosh.util.numeric:byte_to_length": ["key"],
    "whoosh.util.numeric:length_to_byte": ["length"],
}


def resolve(path: str) -> Any:
    module, _, name = path.partition(":")
    found: Any = importlib.import_module(module)
    for part in name.split("."):
        found = getattr(found, part)
    return found


def test_whoosh_is_the_version_the_engine_was_checked_with():
    installed = importlib.metadata.version("whoosh-reloaded")
    assert installed == CHECKED_VERSION, (
        f"whoosh-reloaded is {installed}; kb's search engine was checked against {CHECKED_VERSION}: {HOW}"
    )


@pytest.mark.parametrize("path", sorted(SIGNATURES))
def test_each_private_api_takes_the_parameters_it_was_checked_with(path):
    try:
        found = resolve(path)
    except (ImportError, AttributeError):
        pytest.fail(f"{path} is gone from Whoosh {importlib.metadata.version('whoosh-reloaded')}: {HOW}")
    parameters = list(inspect.signature(found).parameters)
    assert parameters == SIGNATURES[path], f"{path} now takes {parameters}, not {SIGNATURES[path]}: {HOW}"


def test_the_engine_reads_whooshs_blocks_and_columns_directly(sqlite_project):
    """Each private attribute the engine reads is there on a real index, and the fast paths give
    what Whoosh's public API gives (a renamed attribute would otherwise fall back silently)."""
    from whoosh import scoring
    from whoosh.codec.whoosh3 import LENGTHS_COLUMN, _lenfield
    from whoosh.matching import FilterMatcher
    from whoosh.util.numeric import length_to_byte

    from kb.search.engine.postings import (
        Codec,
        LeafMatcher,
        column_values,
        field_length_bytes,
        read_phrase_keys,
        read_postings,
        unfiltered,
    )

    def missing(thing: Any, names: tuple[str, ...]) -> list[str]:
        return [name for name in names if not hasattr(thing, name)]

    sqlite_project.index()
    view = sqlite_project.search_index._live()
    assert isinstance(view.weighting, scoring.BM25F), f"Whoosh's default weighting changed: {HOW}"
    assert not missing(view.weighting, ("K1", "B", "_field_B")), (
        f"BM25F lacks {missing(view.weighting, ('K1', 'B', '_field_B'))}: {HOW}"
    )
    codec = Codec()
    assert not missing(codec, ("_blocklimit", "_compression", "_inlinelimit")), HOW
    _, _, reader = view.segments[0]
    assert not missing(reader, ("deleted_docs_set", "has_deletions", "_perdoc")), HOW

    for field, phrases in (("text_fr", False), ("phrase_fr", True)):
        (_, word), *_ = reader.most_frequent_terms(field, 1)  # in many entries: a block, not inlined
        matcher = reader.postings(field, word)
        leaf = unfiltered(matcher)
        assert isinstance(leaf, LeafMatcher), f"the postings of {field} are read by {type(leaf)}: {HOW}"
        names = ("_data", "_i", "_byteids", "_blocklength", "format")
        assert not missing(leaf, names), f"Whoosh's leaf matcher lacks {missing(leaf, names)}: {HOW}"
        public = reader.postings(field, word)  # walked one posting at a time
        ids: list[int] = []
        keys: list[int] = []
        while public.is_active():
            ids.append(public.id())
            if phrases:
                keys.extend((public.id() << 32) + p for p in public.value_as("positions"))
            public.next()
        if phrases:
            assert read_phrase_keys(reader.postings(field, word)).tolist() == keys
        else:
            assert read_postings(reader.postings(field, word))[0] == ids
            assert not missing(leaf, ("_ids", "_weights")), HOW

    column = reader._perdoc._cached_reader(_lenfield("text_fr"), LENGTHS_COLUMN)
    assert not missing(column, ("_dbfile", "_basepos", "_count")), f"the lengths column lacks those: {HOW}"
    expected = bytes(
        length_to_byte(reader.doc_field_length(d, "text_fr", 0) or 0) for d in range(reader.doc_count_all())
    )
    assert field_length_bytes(reader, "text_fr") == expected
    facets = reader.column_reader("facets", translate=False)
    assert not missing(facets, ("_lengths", "_offsets", "_dbfile", "_basepos")), f"the bytes column lacks those: {HOW}"
    assert column_values(reader, "facets") == list(facets)
    assert not missing(FilterMatcher(matcher, frozenset(), exclude=True), ("child", "_exclude")), HOW


def test_an_index_of_the_previous_format_is_rebuilt_never_read(runner, sqlite_project):
    """A real index written by kb before the engine's classes moved (format 6, two entries):
    ``kb search`` says to run ``kb index`` (no traceback), and ``kb index`` rebuilds it whole."""
    from kb.search.index import FORMAT

    sqlite_project.index_dir.mkdir(parents=True)
    with tarfile.open(DATA / "search-index-format-6.tar.gz") as archive:
        archive.extractall(sqlite_project.index_dir)
    assert (sqlite_project.index_dir / "kb-format").read_text().strip() == "6" != FORMAT
    result = runner.invoke(cli, ["search", "--index-dir", str(sqlite_project.index_dir), "quartiers"])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    assert "kb index" in result.output
    report = sqlite_project.index()
    assert report.search_written == STARTER_COUNT
    assert (sqlite_project.index_dir / "kb-format").read_text().strip() == FORMAT
    assert sqlite_project.search_index.search("", limit=0).total == STARTER_COUNT
