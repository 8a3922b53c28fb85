"""A bundle in shards with a delta, searched in Chromium (kb.site.pagefind, search.js).

The starter inventory is built in five search shards, then one entry is edited and a build is
killed once the edit's delta is in: the state readers meet in the seconds between an edit
going live and its shard being indexed again. Every entry is found across the shards, the
edited one from both interfaces by its new words, and once only (the bundle's older result for
it is dropped); once the build catches up, the same searches give the same results.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import copy_starter
from test_browser import (
    base_url,
    browser,
    contexts,
    entry_id,
    listing_links,
    number,
    page,
    pw,
    result_links,
    wait_for_search,
)
from test_site_search import BUILD, EDITED, edit, layout, paused_at_delta, sharded

from kb import i18n

__all__ = ["base_url", "browser", "contexts", "page", "pw"]  # fixtures shared with test_browser.py

NEW_WORD = "gargamellerie"  # in the sentence the edit adds (test_site_search.SENTENCE)
OLD_QUERY = "baromètre social"  # in the edited entry before and after the edit


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter inventory in five shards, with an edited entry in the bundle's delta (its
    project is the site's parent folder; test_browser's base_url serves it)."""
    root = tmp_path_factory.mktemp("shards")
    entries = copy_starter(root / "entries")
    sharded(root)
    subprocess.run(BUILD, cwd=root, check=True)
    edit(entries)
    paused_at_delta(root)
    assert len(layout(root / "site")["shards"]) == 5 and layout(root / "site")["delta"]["pages"] == [EDITED]
    return root / "site"


def search(page: Any, base_url: str, lang: str, query: str) -> list[str]:
    page.goto(base_url + f"{lang}/search/?q={query}")
    status = wait_for_search(page)
    found = [entry_id(href) for href in result_links(page)] if number(status) else []
    assert not page.errors, page.errors
    return found


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_every_entry_is_listed_across_the_shards(page: Any, base_url: str, lang: str) -> None:
    page.goto(base_url + f"{lang}/scale/bassin/")
    listed = sorted(entry_id(href) for href in listing_links(page))
    page.goto(base_url + f"{lang}/search/?scale=bassin")
    assert number(wait_for_search(page)) == len(listed)
    assert sorted(entry_id(href) for href in result_links(page)) == listed


def test_an_edit_is_found_once_from_the_delta_then_from_its_shard(page: Any, base_url: str, site: Path) -> None:
    before = {lang: search(page, base_url, lang, OLD_QUERY) for lang in i18n.UI_LANGS}
    for lang in i18n.UI_LANGS:
        assert search(page, base_url, lang, NEW_WORD)[0] == EDITED  # from the delta
        assert before[lang].count(EDITED) == 1  # its older result, in its shard, is dropped
    subprocess.run(BUILD, cwd=site.parent, check=True)  # the shard catches up
    assert "delta" not in layout(site)
    for lang in i18n.UI_LANGS:
        assert search(page, base_url, lang, NEW_WORD)[0] == EDITED
        assert sorted(search(page, base_url, lang, OLD_QUERY)) == sorted(before[lang])
