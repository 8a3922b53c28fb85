"""Search on 1,300 synthetic entries (scripts/gen_corpus.py): enough for a common word's postings
to span several blocks of 1,024, for a phrase's words to have thousands of positions, and for
facets to be counted with masks. kb's own evaluation (scores added word by word, the best kept,
phrases found by intersecting position keys, snippets cut in one loop) must give exactly what
Whoosh's matchers and a direct count over the files give, on an index of two segments with
deletions."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import synthetic_project
from filedata import direct_facets, entry_paths, front_matter

from kb.store.filters import Filters

ENTRIES = 1300
REWRITTEN = 60  # entries written again in a second segment, their first documents deleted

QUERIES = [
    "santé",
    "quartier",
    "bassin d'aide et de soins",
    "inégalités sociales de santé",
    "contrat local social-santé",
    '"première ligne"',
    '"bassin d\'aide et de soins"',
    '"santé mentale" OR "première ligne"',
    "accessib*",
    "zorg NOT buurt",
    "Brussel",
    "Bruxelles",
    "social-santé",
    "primary care",
    '"soins" soins',
]
FILTERS = [Filters(), Filters(scale=("commune",)), Filters(language=("nl",)), Filters(year_from=2010, year_to=2018)]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory):
    """The synthetic entries indexed (SQLite store), then some of them written again."""
    project = synthetic_project(tmp_path_factory.mktemp("synthetic"), ENTRIES)
    project.index()
    index = project.search_index
    rewritten = [entry for entry in project.store.entries() if entry.id.endswith(("3", "7"))][:REWRITTEN]
    index.update(rewritten, [], None)
    yield project
    project.close()


def whoosh_scores(view, q) -> dict[int, float]:
    from whoosh import collectors

    collector = collectors.UnlimitedCollector()
    view.searcher.search_with_collector(q, collector)
    return {hit.docnum: hit.score for hit in collector.results()}


def test_the_index_has_blocks_segments_and_deletions_that_matter(synthetic):
    view = synthetic.search_index._live()
    assert len(view.segments) == 2 and view.segments[0][2].has_deletions()
    reader = view.segments[0][2]
    assert reader.doc_frequency("text_fr", "sant") > 1024  # several posting blocks


@pytest.mark.parametrize("filters", FILTERS, ids=["none", "scale", "language", "years"])
def test_matches_scores_and_the_best_are_whooshs(synthetic, filters):
    """The matches and scores of Whoosh's own matchers; the best 10 are the first 10 of all the
    matches sorted by score (ties to the lower number), as an exhaustive evaluation ranks them."""
    from whoosh import query

    from kb.search.analysis import exact_key
    from kb.search.queries import EXACT_TITLE_BOOST

    index = synthetic.search_index
    view = index._live()
    for text in QUERIES:
        parsed, cleaned, _ = index.parse(text)
        conditions = [parsed] + [query.Term(name, value) for name, value in filters.tags()]
        if filters.year_from is not None:
            conditions.append(query.NumericRange("year", filters.year_from, filters.year_to))
        final = query.AndMaybe(
            query.And(conditions) if len(conditions) > 1 else parsed,
            query.Term("title_exact", exact_key(cleaned), boost=EXACT_TITLE_BOOST),
        )
        mine, theirs = view.scores(final), whoosh_scores(view, final)
        assert mine.keys() == theirs.keys(), text
        assert all(mine[d] == pytest.approx(theirs[d], rel=1e-9) for d in mine), text
        matched, best = view.ranked(final, 10)
        assert sorted(matched) == sorted(mine), text
        exhaustive = sorted(mine, key=lambda d: (-mine[d], d))[:10]
        assert [d for _, d in best] == exhaustive and [s for s, _ in best] == [mine[d] for d in exhaustive], text
        if text in ("santé", "quartier", "Brussel") and not filters.tags():
            assert len(matched) > 1024, text


def test_the_best_found_without_scoring_every_match_are_those_of_scoring_all(synthetic):
    """Where the words' bounds allow it (a word in every entry's labels, a name few entries
    have), the best are looked for among some of the matches only: they and their scores must
    be exactly those of scoring every match, whatever the number of hits asked for."""
    from whoosh import query

    from kb.search.analysis import exact_key
    from kb.search.engine.evaluation import Evaluation
    from kb.search.queries import EXACT_TITLE_BOOST

    index = synthetic.search_index
    view = index._live()
    pruned = 0
    for text in (
        "Brussel",
        "Bruxelles",
        "santé",
        "quartier",
        "accessib*",
        "santé quartier",
        "santé Brussel",
        "santé social",
        "Bruxelles social",
        "Brussel social",
        "Brussel région",
    ):
        parsed, cleaned, _ = index.parse(text)
        final = query.AndMaybe(parsed, query.Term("title_exact", exact_key(cleaned), boost=EXACT_TITLE_BOOST))
        for number, (sub, _, reader) in enumerate(view.segments):
            evaluation = Evaluation(view, number, sub, reader)
            docs = evaluation.docs(final)
            scores = evaluation.scores(final)  # every match scored
            for limit in (1, 2, 3, 5, 10, 20, 40, 100):
                candidates = evaluation.candidates(final, limit)
                assert candidates <= docs, text
                pruned += len(candidates) < len(docs)
                exhaustive = sorted(docs, key=lambda d: (-scores[d], d))[:limit]
                assert evaluation.best(final, limit) == [(scores[d], d) for d in exhaustive], (text, limit)
    assert pruned >= 30


def test_no_document_scores_a_word_above_its_bound(synthetic):
    """Leaving matches unscored is exact only if no document scores a word above the bound
    made from Whoosh's term statistics (the word's highest weight in its shortest field): checked
    for every word of some queries, in every field and segment, with the scoring code itself.
    The bounds are near the highest scores too, or leaving matches out would seldom happen."""
    from whoosh import query

    from kb.search.engine.evaluation import Evaluation

    index = synthetic.search_index
    view = index._live()
    checked, near = 0, 0
    for text in ("santé quartier", "Brussel social", "Bruxelles région", "zorg wijk", "primary care", "accessib*"):
        for number, (sub, _, reader) in enumerate(view.segments):
            evaluation = Evaluation(view, number, sub, reader)
            for leaf in index.parse(text)[0].leaves():
                bound = evaluation._bound(leaf, 1.0) if type(leaf) is query.Term else None
                if bound is None:
                    continue
                docs = evaluation.docs(leaf)
                total = [0.0] * reader.doc_count_all()
                evaluation._term(leaf, total, docs, False, 1.0)
                highest = max(total[d] for d in docs)
                assert highest <= bound, (text, leaf)
                checked += 1
                near += highest >= 0.75 * bound
    assert checked >= 30 and near >= 0.75 * checked


def test_facets_are_a_direct_count_over_the_matched_files(synthetic):
    paths = entry_paths(synthetic.entries_dir)
    index = synthetic.search_index
    for text in QUERIES[:6]:
        results = index.search(text, limit=ENTRIES)
        assert results.total == len(results.hits) > 0, text
        matched = {hit.id for hit in results.hits}
        assert results.facets == {
            name: dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
            for name, counts in direct_facets(paths, lambda i, t: i in matched).items()
        }, text
    view = index._live()
    everything = view.matches(index.parse("")[0])
    assert view.facets.counts(everything, masks=True) == view.facets.counts(everything, masks=False)


def test_a_phrase_is_found_where_its_words_follow_one_another_in_the_files(synthetic):
    """'"première ligne"' against the files themselves: the phrase's entries are those whose
    title, summary or body has the two words one after the other, as the entry's language
    analyses them (any inflection, accents aside; stop words between them are skipped)."""
    from kb.search.analysis import analyzer, plain_text

    def stems(text: str, lang: str) -> list[str]:
        return [t.text for t in analyzer(lang)(text)]

    def has_phrase(path: Path) -> bool:
        front = front_matter(path)
        lang = front["language"]
        phrase = tuple(stems("première ligne", lang))
        body = path.read_text(encoding="utf-8").split("\n---", 1)[1]
        for part in (front["title"], front.get("summary") or "", plain_text(body)):
            words = stems(part, lang)
            if phrase in zip(words, words[1:]):
                return True
        return False

    found = {hit.id for hit in synthetic.search_index.search('"première ligne"', limit=ENTRIES).hits}
    expected = {path.stem for path in entry_paths(synthetic.entries_dir) if has_phrase(path)}
    assert found == expected and len(found) > 100
