"""Full-text search on the starter inventory, indexed from a real SQLite file and from a real
PostgreSQL store: French and Dutch analysis, ranking, facets counted independently from the
files, hostile queries, and the ``kb search`` command."""

from __future__ import annotations

import json
import re
import threading
import unicodedata

import click
import pytest
from conftest import STARTER_COUNT, TRANSLATED, write_translated
from filedata import direct_facets, entry_paths, front_matter, tags

from kb.cli import cli
from kb.store.filters import Filters
from kb.search.analysis import analyzer
from kb.search.documents import document
from kb.search.index import Results
from kb.search.queries import MAX_QUERY, clean_query


def folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@pytest.fixture
def searched(project):
    """The starter inventory, indexed (store, then search index)."""
    project.index()
    return project


def search(project, text: str = "", filters: Filters | None = None, limit: int = 1000) -> Results:
    return project.search_index.search(text, filters or Filters(), limit)


def ids(results: Results) -> list[str]:
    return [hit.id for hit in results.hits]


def files_containing(project, words: str) -> set[str]:
    """Entries whose file, accents and case aside, has ``words`` (a regex) as whole words; a word
    is a run of letters and digits, dots inside it included (quartiers.brussels is one word)."""
    pattern = re.compile(rf"(?<![\w.])(?<!\w\.)(?:{words})(?!\w)(?!\.\w)")
    return {p.stem for p in entry_paths(project.entries_dir) if pattern.search(folded(p.read_text(encoding="utf-8")))}


# -- analysis -------------------------------------------------------------------------------------


def tokens(lang: str, text: str) -> list[str]:
    return [t.text for t in analyzer(lang)(text)]


@pytest.mark.parametrize(
    "lang, typed, written",
    [
        ("fr", "accessibilite", "accessibilité"),
        ("fr", "Accessibilité", "accessibilités"),
        ("fr", "quartiers", "quartier"),
        ("fr", "evaluation", "évaluations"),
        ("fr", "l'évaluation", "l’évaluation"),
        ("fr", "premiere ligne", "première ligne"),
        ("fr", "sante mentale", "santé mentale"),
        ("fr", "aide a domicile", "aide à domicile"),
        ("nl", "zorgzame buurt", "zorgzame buurten"),
        ("nl", "wijk", "wijken"),
        ("nl", "Brussel", "Brusselse"),
        ("nl", "coordinatie", "coördinatie"),
        ("nl", "financiele", "financiële"),
        ("en", "neighbourhood", "neighbourhoods"),
    ],
)
def test_words_meet_their_inflected_and_accented_forms(lang, typed, written):
    assert tokens(lang, typed) == tokens(lang, written) != []


def test_typographic_apostrophes_split_like_plain_ones():
    for lang in ("fr", "nl", "en"):
        assert tokens(lang, "l’évaluation d’un quartier") == tokens(lang, "l'évaluation d'un quartier")
    assert tokens("fr", "l’évaluation") == tokens("fr", "évaluation")
    assert clean_query("l’évaluation")[0] == "l'évaluation"


def test_stop_words_of_every_language_are_dropped_everywhere():
    """A French query word such as 'et' must not be required in the Dutch fields."""
    for lang in ("fr", "nl", "en"):
        assert tokens(lang, "de la et het the van du") == []


# -- language cases on the index -----------------------------------------------------------------


def test_french_and_dutch_cases_on_the_starter_inventory(searched):
    with_accents = files_containing(searched, r"accessibilit\w*")
    assert with_accents, "the starter inventory mentions accessibilité"
    found = ids(search(searched, "accessibilite"))
    assert set(found) >= with_accents
    assert found == ids(search(searched, "accessibilité")) == ids(search(searched, "ACCESSIBILITÉ"))

    singular_only = files_containing(searched, "quartier") - files_containing(searched, "quartiers")
    assert singular_only
    assert set(ids(search(searched, "quartiers"))) >= singular_only | files_containing(searched, "quartiers")

    assert ids(search(searched, "zorgzame buurt"))[0] == "zorgzame-buurten-brussel"
    assert "zorgzame-buurten-brussel" in ids(search(searched, "zorgzame buurten"))

    typographic = search(searched, "l’évaluation")
    assert typographic.total > 0
    assert ids(typographic) == ids(search(searched, "l'évaluation")) == ids(search(searched, "évaluation"))

    # Phrases, with accents folded and stop words skipped inside the quotes.
    phrase = ids(search(searched, '"premiere ligne"'))
    assert phrase and set(phrase) <= files_containing(searched, r"premiere\s+lignes?")

    # A query in French with its small words still finds French entries.
    assert "bassin-nord-est-portrait" in ids(search(searched, "d'aide et de soins Nord-Est"))


def test_vocabulary_labels_are_searchable_in_every_language(searched):
    """'Gemeente' (the Dutch label of 'commune') finds French entries tagged commune."""
    tagged = {p.stem for p in entry_paths(searched.entries_dir) if "commune" in tags(front_matter(p))["scale"]}
    french = {p.stem for p in entry_paths(searched.entries_dir) if front_matter(p)["language"] == "fr"}
    assert tagged & french
    assert set(ids(search(searched, "gemeente"))) >= tagged


# -- ranking -----------------------------------------------------------------------------------------


def test_an_exact_title_ranks_its_entry_first(searched):
    paths = entry_paths(searched.entries_dir)
    assert len(paths) == STARTER_COUNT
    titles = {path.stem: front_matter(path)["title"] for path in paths}
    misses = []
    for path in paths:
        title = titles[path.stem]
        sharing = {other for other, same in titles.items() if same == title}  # editions of one work
        found = ids(search(searched, title, limit=3))
        if not found or found[0] not in sharing or path.stem not in found[: len(sharing)]:
            misses.append((path.stem, title, found))
    assert misses == []


def test_hits_carry_title_year_tags_and_a_highlighted_snippet(searched):
    results = search(searched, "accessibilité", limit=5)
    assert 0 < len(results.hits) <= 5 < results.total or len(results.hits) == results.total
    files = {p.stem: front_matter(p) for p in entry_paths(searched.entries_dir)}
    for hit in results.hits:
        front = files[hit.id]
        assert (hit.title, hit.year, hit.type, hit.language) == (
            front["title"],
            front["year"],
            front["type"],
            front["language"],
        )
        assert {k: set(v) for k, v in hit.tags.items()} == {k: v for k, v in tags(front).items() if k != "year"}
        assert hit.score is not None and hit.score > 0
    assert any("<mark>" in hit.snippet for hit in results.hits)
    scores = [hit.score for hit in results.hits]
    assert scores == sorted(scores, reverse=True)


def test_limit_cuts_the_hits_not_the_total(searched):
    everything = search(searched, "bruxelles")
    assert everything.total > 3
    three = search(searched, "bruxelles", limit=3)
    assert (three.total, ids(three)) == (everything.total, ids(everything)[:3])
    assert search(searched, "bruxelles", limit=0).hits == []


def test_scores_are_those_of_whooshs_own_matchers(searched):
    """kb evaluates common queries a posting block at a time; the matches and their scores must
    be exactly those of Whoosh's BM25F matchers, on an index of several segments with deletions."""
    from whoosh import collectors, query
    from whoosh import index as whoosh_index

    entries = {e.id: e for e in searched.store.entries()}
    ix = whoosh_index.open_dir(str(searched.index_dir))
    for batch in (["bassin-nord-portrait", "cssi-centres-sociaux-sante-integres"], ["zorgzame-buurten-brussel"]):
        writer = ix.writer()
        for entry_id in batch:  # rewritten in a new segment: the old documents become deletions
            writer.delete_by_term("id", entry_id)
            writer.add_document(**document(entries[entry_id], searched.vocabularies))
        writer.commit(merge=False)
    index = searched.search_index
    view = index._live()
    assert len(view.segments) == 3 and view.segments[0][2].has_deletions()

    for text in (
        "accessibilité",
        "quartiers",
        "santé mentale",
        '"premiere ligne"',
        '"aide et de soins"',
        "accessib*",
        "zorgzame buurt",
        "bassin NOT nord",
        "bassin OR zorg",
        "bassin AND NOT (nord OR sud)",
        "Portrait du bassin d'aide et de soins Sud",
        "NOT bassin",
        "bruxelles",
        "social-santé",
        '"bassin d\'aide et de soins"',
        '"santé santé"',
        '"premiere ligne" OR "zorgzame buurten"',
        'sante NOT "premiere ligne"',
    ):
        parsed, _, _ = index.parse(text)
        for final in (
            parsed,
            query.And([parsed, query.Term("scale", "region")]),
            query.And([parsed, query.NumericRange("year", 2015, 2024)]),
            query.AndMaybe(parsed, query.Term("title_exact", "portrait du bassin d aide et de soins sud", boost=50.0)),
        ):
            mine = view.scores(final)
            collector = collectors.UnlimitedCollector()
            view.searcher.search_with_collector(final, collector)
            theirs = {hit.docnum: hit.score for hit in collector.results()}
            assert mine.keys() == theirs.keys(), (text, final)
            assert all(mine[d] == pytest.approx(theirs[d], rel=1e-9) for d in mine), (text, final)
    assert ids(search(searched, "zorgzame buurt"))[0] == "zorgzame-buurten-brussel"


# -- facets and filters ------------------------------------------------------------------------------

FILTER_CASES = [
    (Filters(), lambda i, t: True),
    (Filters(scale=("region",)), lambda i, t: "region" in t["scale"]),
    (Filters(language=("nl",)), lambda i, t: t["language"] == {"nl"}),
    (
        Filters(scale=("bassin",), criteria=("accessibility_proximity",)),
        lambda i, t: "bassin" in t["scale"] and "accessibility_proximity" in t["criteria"],
    ),
    (Filters(type=("tool",), year_from=2015), lambda i, t: "tool" in t["type"] and int(*t["year"]) >= 2015),
    (Filters(year_from=2015, year_to=2022), lambda i, t: 2015 <= int(*t["year"]) <= 2022),
    (Filters(year_to=2010), lambda i, t: int(*t["year"]) <= 2010),
    (
        Filters(partners=("brusano",), territories=("region",)),
        lambda i, t: "brusano" in t["partners"] and "region" in t["territories"],
    ),
    (Filters(territories=("no_such_place",)), lambda i, t: False),
]


def test_facets_of_a_listing_equal_a_direct_count_over_the_files(searched):
    paths = entry_paths(searched.entries_dir)
    for filters, keep in FILTER_CASES:
        expected = direct_facets(paths, keep)
        results = search(searched, "", filters)
        assert results.facets == expected, filters
        assert searched.store.facet_counts(filters) == expected, filters
        assert results.total == len(results.hits) == sum(expected["language"].values()), filters


def test_facets_of_a_query_count_the_matched_entries(searched):
    paths = entry_paths(searched.entries_dir)
    for text in ("santé", "bassin", "zorg", '"premiere ligne"', "quartier*"):
        for filters, keep in FILTER_CASES[:4]:
            results = search(searched, text, filters)
            matched = set(ids(results))
            assert results.total == len(matched)
            assert results.facets == direct_facets(paths, lambda i, t, m=matched: i in m), (text, filters)
            # The filters keep exactly the matching entries that carry the asked values.
            unfiltered = set(ids(search(searched, text)))
            assert matched == {p.stem for p in paths if p.stem in unfiltered and keep(p.stem, tags(front_matter(p)))}


def test_facet_values_are_ordered_by_count(searched):
    for name, counts in search(searched, "").facets.items():
        assert list(counts.values()) == sorted(counts.values(), reverse=True), name


def test_an_empty_query_lists_by_filters_newest_first(searched):
    results = search(searched, "", Filters(scale=("region",)))
    years = [hit.year for hit in results.hits]
    assert years == sorted(years, reverse=True)
    assert all("region" in hit.tags["scale"] for hit in results.hits)
    assert all(hit.score is None for hit in results.hits)
    assert results.query == "*"
    everything = search(searched, "")
    assert everything.total == STARTER_COUNT and everything.notes == []


def test_did_you_mean_when_nothing_matches(searched):
    results = search(searched, "zorgzame buurtn")
    assert results.total == 0 and results.hits == []
    assert results.suggestion == "zorgzame buurten"
    assert search(searched, results.suggestion).total > 0
    typo = search(searched, "acessibilité")
    assert typo.total == 0 and typo.suggestion and search(searched, typo.suggestion).total > 0
    assert search(searched, "accessibilité").suggestion is None
    assert search(searched, "qwxzjkv").suggestion is None  # nothing close: no suggestion


# -- hostile and odd queries -------------------------------------------------------------------------

HOSTILE = [
    "*",
    "**",
    "?",
    "*:*",
    "title:(",
    "title:",
    ":",
    '"unclosed',
    '"',
    '""',
    "'",
    "''",
    "AND OR",
    "AND",
    "OR",
    "NOT",
    "NOT NOT",
    "quartier AND",
    "OR quartier",
    "AND AND AND",
    "(((",
    ")))",
    "((quartier",
    "quartier)",
    "^",
    "quartier^",
    "quartier^3",
    "~",
    "quartier~",
    "quartier~2",
    "[a TO z]",
    "{a TO}",
    "[",
    "}",
    "\\",
    "/",
    "-",
    "+quartier -bruxelles",
    "a*",
    "q*",
    "*ier",
    "?uartier",
    "qu?rtier",
    "*a*b*c*",
    "l'",
    "l'aide'",
    "\x00",
    "quartier\x00bruxelles",
    "\x1b[31mquartier\x1b[0m",
    "\t\n\r",
    "\u200b\u202eétude\u202c",
    "\ud800",
    "🙂 santé",
    "ß",
    "İstanbul",
    "ﬁnancement",
    "é" * 2000,
    "quartier " * 5000,
    "x" * 100_000,
    "accessibilité " * 8_000,
    " ".join(f"{chr(97 + n % 26)}*" for n in range(2_000)),
    "de la du et les des",
    '"de la"',
    "NOT de",
    "quartier AND NOT quartier",
    '"premiere ligne" OR "zorgzame buurt"',
    "<script>alert(1)</script>",
    "'; DROP TABLE entries; --",
    "%s %d {0}",
    "..",
    "...",
    "a.b.c",
    "12345",
    "2021",
]


def run_bounded(function, *args, seconds: float = 60.0):
    """Call ``function``; fail (instead of hanging the suite) when it takes longer than ``seconds``."""
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["value"] = function(*args)
        except BaseException as exc:  # noqa: BLE001 - reported below
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"{args!r:.80} did not finish in {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def test_hostile_queries_never_crash_nor_hang(searched):
    index = searched.search_index
    for text in HOSTILE:
        results = run_bounded(index.search, text, Filters(), 10)
        assert isinstance(results, Results), text
        assert 0 <= results.total <= STARTER_COUNT and len(results.hits) <= 10, text
        assert len(results.query) <= MAX_QUERY, text
        json.dumps(results.as_dict())  # always serialisable
        filtered = run_bounded(index.search, text, Filters(scale=("region",), year_from=2000), 5)
        assert filtered.total <= results.total or results.query != filtered.query, text


def test_odd_queries_are_answered_sensibly_and_say_what_was_changed(searched):
    index = searched.search_index
    everything = index.search("", limit=100)

    star = index.search("*", limit=100)
    assert (star.total, ids(star), star.notes) == (STARTER_COUNT, ids(everything), [])

    for text in ("AND OR", "(((", "NOT", "de la du et"):
        listed = index.search(text, limit=100)
        assert listed.total == STARTER_COUNT and listed.notes, text

    unclosed = index.search('"accessibilité', limit=100)
    assert any(note.key == "search.unclosed_quote" for note in unclosed.notes)
    assert ids(unclosed) == ids(index.search("accessibilité", limit=100))

    long = index.search("accessibilité " * 8_000, limit=100)
    assert any(note.render("en").endswith(f" {MAX_QUERY} characters") for note in long.notes)
    assert ids(long) == ids(index.search("accessibilité", limit=100))

    control = index.search("\x00\x1baccessibilité\x07\x7f\u200b", limit=100)
    assert ids(control) == ids(index.search("accessibilité", limit=100))

    inner = index.search("*ssibilit", limit=100)
    assert any(note.key == "search.inner_wildcard" for note in inner.notes)

    prefix = index.search("accessib*", limit=100)
    assert set(ids(prefix)) >= set(ids(index.search("accessibilité", limit=100)))


# -- kb search ---------------------------------------------------------------------------------------


def kb_search(runner, project, *args: str):
    return runner.invoke(cli, ["search", "--index-dir", str(project.index_dir), *args])


def test_cli_search_prints_ranked_hits_and_facets(searched, runner):
    result = kb_search(runner, searched, "projectoproep", "zorgzame")
    assert result.exit_code == 0, result.output
    assert "2 entries match 'projectoproep zorgzame'" in result.output  # KB_LANG=en in the tests
    first = result.output.split("\n1. ", 1)[1]
    assert first.startswith("Projectoproep Zorgzame buurten in Brussel (2021) [zorgzame-buurten-brussel]")
    assert "Scale: Neighbourhood (no official grid);" in first  # labels, not ids
    assert "facets:" in result.output and "Language: Dutch 2" in result.output


@pytest.mark.parametrize(
    "lang,one,many,scale",
    [
        (
            "fr",
            "2 fiches correspondent à «\u202fprojectoproep zorgzame\u202f»",
            "fiches correspondent à «\u202fbassin\u202f»",
            "Échelle\u00a0: ",
        ),
        ("nl", "2 fiches komen overeen met 'projectoproep zorgzame'", "fiches komen overeen met 'bassin'", "Schaal: "),
        ("en", "2 entries match 'projectoproep zorgzame'", "entries match 'bassin'", "Scale: "),
    ],
)
def test_cli_search_speaks_the_readers_language(searched, runner, lang, one, many, scale):
    result = kb_search(runner, searched, "projectoproep", "zorgzame", "--lang", lang)
    assert result.exit_code == 0, result.output
    assert one in result.output and scale in result.output
    assert "quartier\n" not in result.output and "21001" not in result.output
    assert many in kb_search(runner, searched, "bassin", "--lang", lang).output


def test_cli_search_json_gives_ids_and_labels(searched, runner):
    data = json.loads(kb_search(runner, searched, "projectoproep", "zorgzame", "--json", "--lang", "nl").output)
    hit = data["hits"][0]
    assert hit["tags"]["territories"] == ["21001", "21012", "21013"]
    assert hit["labels"]["territories"] == ["Anderlecht", "Sint-Jans-Molenbeek", "Sint-Gillis"]
    assert data["facet_labels"]["language"] == {"nl": "Nederlands"}


def test_cli_search_json(searched, runner):
    result = kb_search(runner, searched, "accessibilité", "--json", "--limit", "3")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) == {
        "query",
        "total",
        "hits",
        "facets",
        "notes",
        "suggestion",
        "broader_total",
        "lang",
        "facet_labels",
    }
    assert data["total"] == search(searched, "accessibilité").total and len(data["hits"]) == 3
    assert {"id", "title", "year", "tags", "snippet", "score"} <= set(data["hits"][0])
    assert data["facets"] == search(searched, "accessibilité").facets


def test_cli_search_filters_and_years(searched, runner):
    paths = entry_paths(searched.entries_dir)
    result = kb_search(
        runner, searched, "--scale", "region", "--language", "fr", "--year", "2015..2022", "--json", "--limit", "100"
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    expected = {
        p.stem
        for p in paths
        if (t := tags(front_matter(p)))["language"] == {"fr"}
        and "region" in t["scale"]
        and 2015 <= int(*t["year"]) <= 2022
    }
    assert {hit["id"] for hit in data["hits"]} == expected and data["total"] == len(expected)

    comma = kb_search(runner, searched, "--scale", "bassin,quartier_social_sante", "--json", "--limit", "100")
    repeated = kb_search(
        runner, searched, "--scale", "bassin", "--scale", "quartier_social_sante", "--json", "--limit", "100"
    )
    assert json.loads(comma.output) == json.loads(repeated.output)

    for years, keep in (
        ("2020", lambda y: y == 2020),
        ("2016..", lambda y: y >= 2016),
        ("..2006", lambda y: y <= 2006),
    ):
        data = json.loads(kb_search(runner, searched, "--year", years, "--json", "--limit", "100").output)
        assert data["total"] == sum(keep(int(*tags(front_matter(p))["year"])) for p in paths), years
        assert all(keep(hit["year"]) for hit in data["hits"]), years


@pytest.mark.parametrize(
    "args, message",
    [
        (["--year", "2022..2015"], "runs backwards"),
        (["--year", "recent"], "not a year range"),
        (["--year", "20155"], "not a year range"),
        (["--scale", "regoin"], "did you mean 'region'"),
        (["--limit", "-1"], "--limit"),
    ],
)
def test_cli_search_rejects_bad_options_with_exit_2(searched, runner, args, message):
    result = kb_search(runner, searched, "santé", *args)
    assert result.exit_code == 2
    assert message in result.output


def test_cli_search_without_an_index_says_to_run_kb_index(tmp_path, runner):
    result = runner.invoke(cli, ["search", "--index-dir", str(tmp_path / "nothing"), "santé"])
    assert result.exit_code == 1
    assert "no search index" in result.output and "kb index" in result.output
    assert "Traceback" not in result.output


def test_cli_search_hostile_queries(searched, runner):
    for text in ("title:(", '"unclosed', "AND OR", "*", "x" * 100_000, "\x1b[2J", "(((", "-"):
        result = kb_search(runner, searched, "--", text)
        assert result.exit_code == 0, (text, result.output)
        assert re.search(r"entr(y|ies) match", result.output), result.output
    note = kb_search(runner, searched, "--", '"unclosed')
    assert "note: an unclosed quote was ignored" in note.output


# -- how the index is laid out and read (the speed of issue #3), checked for what it must not change ---


def test_a_languages_text_is_weighted_by_part_and_a_phrase_stays_inside_one_part():
    from kb.search.analysis import SECTION, SECTION_BOOSTS, SECTION_GAP, Sections

    text = SECTION.join(["Quartiers durables", "Un résumé", "Le texte du quartier", "Région"])
    analysed = [(t.text, t.pos, t.boost) for t in Sections("fr")(text, positions=True, boosts=True, mode="index")]
    assert [(word, boost) for word, _, boost in analysed] == [
        ("quarti", SECTION_BOOSTS[0]),
        ("durabl", SECTION_BOOSTS[0]),
        ("resum", SECTION_BOOSTS[1]),
        ("text", SECTION_BOOSTS[2]),
        ("quarti", SECTION_BOOSTS[2]),
        ("region", SECTION_BOOSTS[3]),
    ]
    positions = [pos for _, pos, _ in analysed]
    assert positions[1] == positions[0] + 1 and positions[2] >= positions[1] + SECTION_GAP
    # A query (no SECTION) is analysed as the language's chain does.
    assert [t.text for t in Sections("nl")("zorgzame buurten", mode="query")] == tokens("nl", "zorgzame buurten")


def test_a_phrase_does_not_run_from_the_title_into_the_summary(searched):
    """Title, summary and body share one field per language; their positions are kept apart."""
    checked = 0
    for path in entry_paths(searched.entries_dir):
        front = front_matter(path)
        title_words, summary_words = re.findall(r"\w+", front["title"]), re.findall(r"\w+", front.get("summary") or "")
        if not title_words or not summary_words:
            continue
        last, first = title_words[-1], summary_words[0]
        if len(tokens(front["language"], f"{last} {first}")) != 2:
            continue  # a stop word: the phrase would be one word
        if files_containing(searched, rf"{re.escape(folded(last))}(?:\W+\w+){{0,4}}\W+{re.escape(folded(first))}"):
            continue  # the two words follow one another somewhere (maybe with stop words between)
        assert path.stem in ids(search(searched, f"{last} {first}"))  # both words are there...
        assert path.stem not in ids(search(searched, f'"{last} {first}"'))  # ...but not one after the other
        checked += 1
    assert checked >= 5


def test_facets_counted_with_masks_equal_facets_counted_entry_by_entry(searched):
    """Facet counts are taken document by document (few matches, or an index's first count) or
    with one mask per value; both ways must agree, and with a count over the files."""
    from whoosh import query

    index = searched.search_index
    view = index._live()
    paths = entry_paths(searched.entries_dir)
    everything = view.matches(query.Every())
    assert len(everything) == len(paths)
    for text in ("santé", "bassin", "zorg", '"premiere ligne"', "quartier*"):
        parsed, _, _ = index.parse(text)
        docnums = sorted(view.scores(parsed))
        assert docnums, text
        assert view.facets.counts(docnums, masks=True) == view.facets.counts(docnums, masks=False), text
    counted = view.facets.counts(everything, masks=True)
    expected = direct_facets(paths, lambda i, t: True)
    assert {pair.decode(): n for pair, n in counted.items()} == {
        f"{name}={value}": n for name, values in expected.items() for value, n in values.items()
    }


def test_snippets_are_those_of_whooshs_highlighter(searched):
    """kb cuts snippets with its own one-loop copy of Whoosh's fragmenter: for every entry and
    several queries, it must give what Whoosh's own token pipeline (the analyser's tokens marked
    by set_matched_filter, merged, fragmented, scored and formatted) gives on the same window."""
    from whoosh.highlight import set_matched_filter, top_fragments

    from kb.search.queries import query_words
    from kb.search.snippets import HIGHLIGHTER, highlight, window

    index = searched.search_index
    view = index._live()
    marked = 0
    for text in (
        "accessibilité",
        "santé mentale",
        "quartier*",
        "bassin d'aide et de soins",
        "zorgzame buurt",
        '"premiere ligne"',
        "bruxelles",
        "région",
    ):
        words = query_words(index.parse(text)[0], view.searcher)
        for docnum in range(view.searcher.doc_count_all()):
            data = view.searcher.stored_fields(docnum)["data"]
            lang = data["language"]
            found, chain = words.get(f"text_{lang}"), view.schema[f"text_{lang}"].analyzer.chain
            for part, top in ((data["text"], 2), (data["summary"] or "", 1)):
                shown = window(part, found, lang, chain) if part and found else ""
                expected = ""
                if shown:
                    tokens = set_matched_filter(chain(shown, chars=True, mode="index", removestops=False), found)
                    fragments = HIGHLIGHTER.fragmenter.fragment_tokens(shown, HIGHLIGHTER._merge_matched_tokens(tokens))
                    expected = HIGHLIGHTER.formatter.format(
                        top_fragments(fragments, top, HIGHLIGHTER.scorer, HIGHLIGHTER.order, minscore=1)
                    )
                assert highlight(part, found, lang, chain, top) == expected, (text, data["title"])
                marked += "<mark>" in expected
    assert marked > 100


def test_kb_search_imports_no_entry_parsing_yaml_or_network_modules(searched):
    """One ``kb search`` process is mostly imports: it must not pull in what it does not use
    (the store, entry parsing, PyYAML once the vocabulary cache exists)."""
    import subprocess
    import sys

    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from kb.cli import cli\n"
        f"result = CliRunner().invoke(cli, ['search', '--index-dir', {str(searched.index_dir)!r}, 'quartier'])\n"
        "assert result.exit_code == 0 and 'entries match' in result.output, result.output\n"
        "print(sorted(m for m in ('kb.project', 'kb.entries.schema', 'kb.store.database', 'sqlalchemy', 'yaml')\n"
        "             if m in sys.modules))\n"
    )
    runs = [
        subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False) for _ in range(2)
    ]
    assert all(run.returncode == 0 for run in runs), [run.stderr[-2000:] for run in runs]
    assert runs[0].stdout.strip() == "['yaml']"  # the first run reads the vocabulary files and caches them
    assert runs[1].stdout.strip() == "[]"
    assert (searched.index_dir / "kb-vocab.pickle").is_file()


def test_the_vocabulary_cache_follows_the_files(tmp_path):
    import shutil

    from kb.entries import vocab

    copy = tmp_path / "vocabularies"
    shutil.copytree(vocab.VOCAB_DIR, copy)
    cache = tmp_path / "kb-vocab.pickle"
    first = vocab.load_cached(cache, copy)
    assert cache.is_file() and first.by_name == vocab.load().by_name
    assert vocab.load_cached(cache, copy).by_name == first.by_name  # from the cache

    scales = copy / "scales.yaml"
    scales.write_text(
        scales.read_text(encoding="utf-8").replace("fr: Région\n", "fr: Région bruxelloise\n", 1), encoding="utf-8"
    )
    assert vocab.load_cached(cache, copy)["scales"]["region"].label("fr") == "Région bruxelloise"
    assert vocab.load_cached(cache, copy)["scales"]["region"].label("fr") == "Région bruxelloise"

    cache.write_bytes(b"not a pickle")
    assert vocab.load_cached(cache, copy)["scales"]["region"].label("fr") == "Région bruxelloise"
    assert vocab.load_cached(tmp_path / "no-such-folder" / "cache", copy).by_name.keys() == first.by_name.keys()


# -- translations and basis -------------------------------------------------------------------------


def test_a_translated_title_is_searched_in_its_language(sqlite_project):
    write_translated(sqlite_project.entries_dir)
    sqlite_project.index()
    for words in (
        "wijkgezondheidscentra",
        "werkingsgebied",
        '"kaart van de wijkgezondheidscentra"',
        "cartographie maisons médicales",
    ):
        results = search(sqlite_project, words)
        assert ids(results)[:1] == [TRANSLATED], words
    hit = search(sqlite_project, "wijkgezondheidscentra").hits[0]
    assert hit.title == "Cartographie des maisons médicales"  # the document's own title
    assert hit.translations == {
        "nl": ["Kaart van de wijkgezondheidscentra", "Een kaart van de wijkgezondheidscentra en hun werkingsgebieden."]
    }


def test_basis_is_a_facet_and_a_filter(sqlite_project, runner):
    write_translated(sqlite_project.entries_dir)
    sqlite_project.index()
    everything = search(sqlite_project)
    expected = direct_facets(entry_paths(sqlite_project.entries_dir))["basis"]
    assert everything.facets["basis"] == dict(sorted(expected.items(), key=lambda kv: (-kv[1], kv[0])))
    assert everything.facets["basis"]["service_catchment"] >= 1
    filtered = search(sqlite_project, filters=Filters(basis=("service_catchment",)))
    assert TRANSLATED in ids(filtered)
    assert all("service_catchment" in hit.tags["basis"] for hit in filtered.hits)
    text = kb_search(runner, sqlite_project, "wijkgezondheidscentra")
    assert (
        "Cartographie des maisons médicales (2022) [cartographie-maisons-medicales]\n"
        "   nl (translation): Kaart van de wijkgezondheidscentra\n" in click.unstyle(text.output)
    )
    result = kb_search(runner, sqlite_project, "--basis", "service_catchment", "--json")
    assert result.exit_code == 0, result.output
    assert TRANSLATED in {hit["id"] for hit in json.loads(result.output)["hits"]}
    wrong = kb_search(runner, sqlite_project, "--basis", "service_catchmen")
    assert wrong.exit_code == 2 and "did you mean 'service_catchment'" in wrong.output
