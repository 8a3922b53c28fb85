"""An inventory without entries, in Chromium: its pages load, and its search finds nothing
instead of failing (its bundle has no shards: kb.site.pagefind.shards), its filters
without empty groups."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from test_browser import base_url, browser, contexts, page, pw, wait_for_search
from test_site_search import BUILD

from kb import i18n

__all__ = ["base_url", "browser", "contexts", "page", "pw"]  # fixtures shared with test_browser.py


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project whose entries folder is empty, built (test_browser's base_url serves it)."""
    root = tmp_path_factory.mktemp("empty")
    (root / "entries").mkdir()
    subprocess.run(BUILD, cwd=root, check=True)
    return root / "site"


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_a_search_of_an_inventory_without_entries_finds_nothing(page: Any, base_url: str, lang: str) -> None:
    page.goto(base_url + f"{lang}/search/?q=quartier")  # (no filter to tick: no entry has a value)
    assert wait_for_search(page) == i18n.t(lang, "no_results")
    # No empty box among the filters: a dimension without values has no group.
    assert page.locator(".filter-groups > fieldset").count() == 1  # the territories (every one at 0)
    assert page.locator(".filter-groups > fieldset:not(:has(input))").count() == 0
    page.goto(base_url + f"{lang}/")
    assert page.locator("h1").count() == 1 and not page.errors
