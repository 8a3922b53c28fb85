"""Words on most pages in word index chunks of their own (kb.site.pagefind._isolated), searched
in Chromium by Pagefind's own script: the same results as from Pagefind's chunks.

The starter inventory is built once; its bundle is copied and made canonical again with a bound
that the largest words of the starter are over (at 10,000 entries the bound is ALONE), so that
the copy cuts chunks where the real bound cuts them at that size.
"""

from __future__ import annotations

import json
import shutil
from itertools import takewhile
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_starter
from test_browser import base_url, browser, contexts, page, pw

from kb.project import Project
from kb.site import pagefind

__all__ = ["base_url", "browser", "contexts", "page", "pw"]  # fixtures shared with test_browser.py

BIGGEST = 20  # the starter's largest words, which the copy's bound puts in chunks of their own
CUT = "pagefind-cut"  # the copy of the bundle, beside it in the site


def chunks(bundle: Path) -> list[list[list]]:
    """The words ([word, postings, spellings]) of each word index chunk, in the meta index's order."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    [info] = entry["languages"].values()
    rows = pagefind.read(bundle / f"pagefind.{info['hash']}.pf_meta")[2]
    return [pagefind.read(bundle / "index" / f"{name}.pf_index")[0] for _, _, name in rows]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter inventory built once, with its bundle copied to CUT and cut there."""
    root = tmp_path_factory.mktemp("chunks")
    project = Project(root=root, entries_dir=copy_starter(root / "entries"))
    try:
        project.build(root / "site")
    finally:
        project.close()
    bundle, cut = root / "site" / "pagefind", root / "site" / CUT
    shutil.copytree(bundle, cut)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pagefind, "ALONE", bound(bundle))
        pagefind.canonical(cut)
    return root / "site"


def numbers(word: list) -> int:
    """The numbers (pages, locations) of a word's postings and its other spellings'."""
    postings = [*word[1], *(posting for variant in word[2] for posting in variant[1])]
    return sum(1 + len(locations) + len(meta) for _, locations, meta in postings)


def bound(bundle: Path) -> int:
    """The copy's ALONE: the numbers of the largest word but BIGGEST."""
    return sorted(numbers(word) for words in chunks(bundle) for word in words)[-BIGGEST - 1]


def boundaries(chunked: list[list[list]]) -> set[tuple[str, str]]:
    """The last word of each chunk and the first of the next."""
    return {(before[-1][0], after[0][0]) for before, after in zip(chunked, chunked[1:])}


def separable(before: str, after: str, holding: dict[str, set[str]]) -> bool:
    """Whether Pagefind never looks ``before`` and ``after`` up in one chunk: no word of their
    chunk of Pagefind's starts both and they share at most SHARED letters (the words of another
    chunk of Pagefind's were never found with them)."""
    shared = len(list(takewhile(lambda pair: pair[0] == pair[1], zip(before, after))))
    return shared <= pagefind.SHARED and not any(after[:n] in holding[after] for n in range(1, shared + 1))


def test_the_largest_words_are_cut_from_the_others_and_nothing_else_changes(site: Path) -> None:
    """The copy holds the same words with the same postings, in more chunks; each new cut is
    between two separable words, and each of the largest words is cut from a separable neighbour."""
    whole, cut = chunks(site / "pagefind"), chunks(site / CUT)
    assert [word for words in cut for word in words] == [word for words in whole for word in words]
    assert len(cut) > len(whole)
    holding = {word[0]: {other[0] for other in words} for words in whole for word in words}
    new = boundaries(cut) - boundaries(whole)
    assert new and all(separable(before, after, holding) for before, after in new)
    limit = bound(site / "pagefind")
    for words in cut:
        names = [word[0] for word in words]
        for place, word in enumerate(words):
            if numbers(word) > limit:
                assert place == 0 or not separable(names[place - 1], names[place], holding)
                assert place == len(names) - 1 or not separable(names[place], names[place + 1], holding)


# Searches the same words in both bundles, each with a Pagefind of its own (a first query: a
# Pagefind keeps the chunks it loaded), and returns those whose results (pages, scores, order)
# differ, or that find nothing.
COMPARE = """async ([whole, cut, queries]) => {
  const differ = [];
  for (const [n, query] of queries.entries()) {
    const found = [];
    for (const bundle of [whole, cut]) {
      const pagefind = await import(`${bundle}pagefind.js?query=${n}`);
      await pagefind.options({ basePath: bundle, noWorker: true });
      const { results } = await pagefind.search(query);
      found.push(results.map((r) => `${r.id} ${r.score.toFixed(6)}`).join());
      await pagefind.destroy();
    }
    if (found[0] !== found[1] || !found[0]) differ.push(query);
  }
  return differ;
}"""


def test_a_search_finds_the_same_pages_in_the_same_order_from_either_bundle(
    page: Any, base_url: str, site: Path
) -> None:
    """Every word beside a new cut finds the same pages with the same scores from the cut bundle.
    Pagefind stems a query (it may lose a letter or two) and also finds the words that share all
    but the stem's last letter: a word of more than SHARED + 3 letters keeps a stem that no cut
    separates from those words (a shorter query may find fewer)."""
    new = boundaries(chunks(site / CUT)) - boundaries(chunks(site / "pagefind"))
    words = sorted({word for pair in new for word in pair})
    queries = [word for word in words if len(word) > pagefind.SHARED + 3]
    differ = []
    for start in range(0, len(queries), 20):  # a fresh page now and then: each Pagefind holds its WebAssembly memory
        page.goto(base_url + "fr/search/")
        differ += page.evaluate(COMPARE, ["/pagefind/", f"/{CUT}/", queries[start : start + 20]])
    assert not differ
