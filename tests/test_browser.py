"""The built site in a real browser: Debian's Chromium driven by Playwright, over HTTP.

One build of the starter inventory and one browser for the whole module; each test opens its
own browser context (fresh storage, its own viewport, JavaScript on or off). Covers: search
from the home page without accents, filters, entries found from the other language's
interface, the language switch, browsing with JavaScript disabled, axe-core (0 violations),
the Nu Html Checker over every generated page (0 errors), phone layout (no horizontal
scrolling), print styles, keyboard access, and screenshots saved in tests/artifacts/.

Searches are awaited by state, never by sleeping: search.js sets ``#kb-status`` to the loading
text and ``aria-busy`` on ``#kb-results`` as soon as the form changes, and replaces both when the
results are on the page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import ARTIFACTS, STARTER, TRANSLATED, copy_starter, write_translated
from playwright.sync_api import expect
from servers import (
    axe_violations,
    format_violations,
    launch_chromium,
    serve_directory,
    vnu_errors,
)

from kb import i18n
from kb.project import Project

# Generous: a slow, shared 2-core machine; nothing here waits this long when things work.
TIMEOUT_MS = 60_000

# Starter entries the tests rely on (checked once by the ``site`` fixture).
FR_ENTRY = "etude-medecins-generalistes-bruxelles-2018"  # French; title has "médecins généralistes"
FR_QUERY = "medecins generalistes penuries"  # typed without the accents
NL_ENTRY = "bruzel-eerstelijnszone"  # Dutch
NL_QUERY = "eerstelijnszone"
FACET, VALUE = "scale", "bassin"
PHONE = "iPhone 13"


# --------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The starter inventory, copied and built once (SQLite store, Pagefind index)."""
    root = tmp_path_factory.mktemp("browser")
    entries = copy_starter(root / "entries")
    write_translated(entries)
    project = Project(
        root=root, entries_dir=entries, database_url=f"sqlite:///{root / 'kb.sqlite'}", index_dir=root / "whoosh"
    )
    try:
        project.build(root / "site")
    finally:
        project.close()
    output = root / "site"
    for entry in (FR_ENTRY, NL_ENTRY):
        for lang in i18n.UI_LANGS:
            assert (output / lang / "entries" / entry / "index.html").is_file(), (
                f"starter entry {entry} is gone: update tests/test_browser.py"
            )
    assert (output / "pagefind" / "pagefind.js").is_file()
    return output


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    url, stop = serve_directory(site)
    try:
        yield url
    finally:
        stop()


@pytest.fixture(scope="module")
def pw() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(pw: Any) -> Iterator[Any]:
    b = launch_chromium(pw)
    expect.set_options(timeout=TIMEOUT_MS)  # expect(...) waits 5 s by default
    try:
        yield b
    finally:
        expect.set_options(timeout=5_000)
        b.close()


class Contexts:
    """Opens browser contexts for one test and closes them after it."""

    def __init__(self, pw: Any, browser: Any) -> None:
        self.pw = pw
        self.browser = browser
        self.opened: list[Any] = []

    def new_page(self, device: str | None = None, **options: Any) -> Any:
        if device:
            descriptor = dict(self.pw.devices[device])
            descriptor.pop("default_browser_type", None)
            options = {**descriptor, **options}
        else:
            options = {"viewport": {"width": 1280, "height": 900}, **options}
        context = self.browser.new_context(**options)
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        self.opened.append(context)
        page = context.new_page()
        page.errors = []  # uncaught exceptions in the page's scripts
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        return page

    def close(self) -> None:
        for context in self.opened:
            context.close()


@pytest.fixture
def contexts(pw: Any, browser: Any) -> Iterator[Contexts]:
    c = Contexts(pw, browser)
    try:
        yield c
    finally:
        c.close()


@pytest.fixture
def page(contexts: Contexts) -> Any:
    """A desktop page (1280x900), JavaScript on."""
    return contexts.new_page()


# --------------------------------------------------------------------------------------------
# helpers


def number(text: str) -> int:
    """The number in "15 fiches" / "1 234 fiches" (thousands may be separated by spaces)."""
    digits = re.sub(r"\D", "", text)
    assert digits, f"no number in {text!r}"
    return int(digits)


def entry_id(href: str) -> str:
    match = re.search(r"/entries/([^/]+)/$", urlparse(href).path)
    assert match, f"not an entry link: {href}"
    return match.group(1)


def wait_for_search(page: Any) -> str:
    """Wait until the search page shows the results of its current query; return the status."""
    page.wait_for_function(
        """(loading) => {
            const status = document.getElementById("kb-status");
            const list = document.getElementById("kb-results");
            return status && !status.closest("[hidden]") && status.textContent.trim() !== loading
                && !list.hasAttribute("aria-busy");
        }""",
        arg=i18n.t(page_lang(page), "loading"),
        timeout=TIMEOUT_MS,
    )
    status = page.locator("#kb-status").inner_text().strip()
    assert status != i18n.t(page_lang(page), "failed"), "the search did not load"
    assert not page.errors, page.errors
    return status


def open_search_page(page: Any, url: str) -> None:
    """Open the search page with nothing asked: it shows no results and downloads no search data."""
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(url)
    page.wait_for_load_state("networkidle")
    expect(page.locator("#kb-results-section")).to_be_hidden()
    assert not [url for url in fetched if "/pagefind/" in url], fetched
    assert not page.errors, page.errors


def wait_for_query(page: Any, **params: str) -> str:
    """After a change to the search form: wait until the URL holds ``params``, then the results."""
    page.wait_for_function(
        """(wanted) => {
            const params = new URLSearchParams(location.search);
            return Object.entries(wanted).every(([k, v]) => params.getAll(k).includes(v));
        }""",
        arg=params,
        timeout=TIMEOUT_MS,
    )
    return wait_for_search(page)


def page_lang(page: Any) -> str:
    return page.evaluate("document.documentElement.lang")


def result_links(page: Any) -> list[str]:
    """Every result's link (absolute URLs), after pressing "more" until all are shown."""
    total = number(page.locator("#kb-status").inner_text())
    cards = page.locator("#kb-results > li")
    more = page.locator("#kb-more")
    while (shown := cards.count()) < total:
        assert more.is_visible(), f"{shown} of {total} results shown and no button for more"
        more.click()
        page.wait_for_function(
            "(n) => document.querySelectorAll('#kb-results > li').length > n", arg=shown, timeout=TIMEOUT_MS
        )
    expect(more).to_be_hidden()
    hrefs = page.eval_on_selector_all("#kb-results h3 a", "links => links.map(a => a.href)")
    assert len(hrefs) == len(set(hrefs)), f"a result is shown twice: {hrefs}"
    return hrefs


def listing_links(page: Any) -> list[str]:
    return page.eval_on_selector_all("main .cards .card a", "links => links.map(a => a.href)")


def assert_no_axe_violations(page: Any, what: str) -> None:
    violations = axe_violations(page)
    assert violations == [], f"axe on {what} ({page.url}):\n{format_violations(violations)}"


def save_screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    return path


def no_horizontal_scroll(page: Any) -> None:
    scroll_width, inner_width = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"{page.url} scrolls sideways: {scroll_width}px > {inner_width}px"


# --------------------------------------------------------------------------------------------
# searching


def test_home_search_without_accents_finds_the_entry(page: Any, base_url: str) -> None:
    page.goto(base_url + "fr/")
    page.get_by_label(i18n.t("fr", "search_label")).fill(FR_QUERY)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/fr/search/\?q="))
    status = wait_for_search(page)
    assert number(status) >= 1
    assert page.locator("#q").input_value() == FR_QUERY  # the form shows what was asked
    first = page.locator("#kb-results h3 a").first
    assert entry_id(first.get_attribute("href")) == FR_ENTRY
    title = first.inner_text()
    assert "médecins généralistes" in title  # found although typed without accents
    first.click()
    page.wait_for_url(re.compile(rf"/fr/entries/{FR_ENTRY}/$"))
    expect(page.locator("h1")).to_have_text(title)


@pytest.mark.parametrize("lang", i18n.UI_LANGS)
@pytest.mark.parametrize("facet,value", [(FACET, VALUE), ("scale", "ilot")])  # many entries; one entry
def test_filter_only_search_equals_the_facet_listing(
    page: Any, base_url: str, lang: str, facet: str, value: str
) -> None:
    page.goto(base_url + f"{lang}/{facet}/{value}/")
    total = page.locator("main .total").inner_text().strip()
    listed = number(total)
    listed_ids = {entry_id(h) for h in listing_links(page)}
    assert listed == len(listed_ids) >= 1

    open_search_page(page, base_url + f"{lang}/search/")
    page.locator(f'input[name="{facet}"][value="{value}"]').check()  # filters are open on a desktop
    status = wait_for_query(page, **{facet: value})
    assert status == total, f"the search says {status!r}, the listing page says {total!r}"
    assert {entry_id(h) for h in result_links(page)} == listed_ids
    # The filter's own count agrees.
    assert number(page.locator(f'[data-filter="{facet}:{value}"]').inner_text()) == listed


def test_term_and_filter_every_result_carries_the_filter(contexts: Contexts, base_url: str) -> None:
    page = contexts.new_page()
    page.goto(base_url + "fr/search/?q=sante")
    unfiltered = number(wait_for_search(page))
    page.locator(f'input[name="{FACET}"][value="{VALUE}"]').check()
    filtered = number(wait_for_query(page, q="sante", **{FACET: VALUE}))
    assert 0 < filtered < unfiltered
    links = result_links(page)
    assert len(links) == filtered
    # Open each result: its entry page lists the value.
    reader = page.context.new_page()
    for href in links:
        reader.goto(href)
        tags = reader.locator(f'dl.facts a[href$="/fr/{FACET}/{VALUE}/"]')
        assert tags.count() == 1, f"{href} does not carry {FACET}={VALUE}"
    # Unchecking brings every result back.
    page.locator(f'input[name="{FACET}"][value="{VALUE}"]').uncheck()
    page.wait_for_function(f"!location.search.includes('{FACET}=')")
    assert number(wait_for_search(page)) == unfiltered


def test_other_filter_counts_load_when_the_reader_turns_to_the_filters(page: Any, base_url: str) -> None:
    page.goto(base_url + "fr/search/?q=sante")
    total = number(wait_for_search(page))
    counts = page.locator('[data-filter^="language:"]')
    # Not asked for yet: blank rather than the inventory's totals, which would mislead.
    assert set(counts.all_inner_texts()) == {""}
    page.locator("details.filters legend").first.hover()
    page.wait_for_function(
        "[...document.querySelectorAll('[data-filter^=\"language:\"]')].every((span) => span.textContent !== '')",
        timeout=TIMEOUT_MS,
    )
    assert sum(int(n) for n in counts.all_inner_texts()) == total  # each entry has one language


def test_dutch_entry_found_from_the_french_interface(page: Any, base_url: str) -> None:
    open_search_page(page, base_url + "fr/search/")
    page.locator("#q").fill(NL_QUERY)
    page.keyboard.press("Enter")
    wait_for_query(page, q=NL_QUERY)
    link = page.locator(f'#kb-results h3 a[href$="/fr/entries/{NL_ENTRY}/"]')
    expect(link).to_have_count(1)
    # The French interface shows our French translation, the Dutch original marked as Dutch.
    assert link.get_attribute("lang") is None
    link.click()
    page.wait_for_url(re.compile(rf"/fr/entries/{NL_ENTRY}/$"))
    assert page_lang(page) == "fr"
    assert page.locator("main .original cite").first.get_attribute("lang") == "nl"


def test_french_entry_found_from_the_dutch_interface(page: Any, base_url: str) -> None:
    page.goto(base_url + "nl/search/?q=" + FR_QUERY.replace(" ", "+"))
    status = wait_for_search(page)
    assert status == i18n.count("nl", number(status))  # Dutch status text
    links = page.locator("#kb-results h3 a")
    href = links.first.get_attribute("href")
    assert urlparse(href).path == f"/nl/entries/{FR_ENTRY}/", href
    assert links.first.get_attribute("lang") is None  # our Dutch translation of its title
    for other in page.eval_on_selector_all("#kb-results h3 a", "links => links.map(a => a.pathname)"):
        assert other.startswith("/nl/entries/"), other
    links.first.click()
    page.wait_for_url(re.compile(rf"/nl/entries/{FR_ENTRY}/$"))
    assert page_lang(page) == "nl"
    original = page.locator("main .original cite").first
    assert original.get_attribute("lang") == "fr" and "médecins" in original.inner_text()


def test_a_dutch_translation_is_found_and_shown_from_the_dutch_interface(page: Any, base_url: str) -> None:
    page.goto(base_url + "nl/search/?q=%22kaart+van+de+wijkgezondheidscentra%22")
    wait_for_search(page)
    link = page.locator("#kb-results h3 a").first
    assert urlparse(link.get_attribute("href")).path == f"/nl/entries/{TRANSLATED}/"
    assert link.inner_text() == "Kaart van de wijkgezondheidscentra" and link.get_attribute("lang") is None
    original = page.locator("#kb-results .original").first
    assert original.inner_text() == "Vertaling Oorspronkelijke titel: Cartographie des maisons médicales"
    assert original.locator("cite").get_attribute("lang") == "fr"
    # the French interface finds it by its French words, under its French title
    page.goto(base_url + "fr/search/?q=cartographie+maisons")
    wait_for_search(page)
    link = page.locator("#kb-results h3 a").first
    assert link.inner_text() == "Cartographie des maisons médicales"
    assert page.locator("#kb-results .original").count() == 0
    # and a filter on the basis
    page.goto(base_url + "nl/search/?basis=service_catchment")
    wait_for_search(page)
    assert TRANSLATED in [entry_id(href) for href in result_links(page)]


@pytest.mark.parametrize("lang", i18n.UI_LANGS)
def test_an_excerpt_from_another_language_says_so(page: Any, base_url: str, lang: str) -> None:
    """Words found in an entry's title or summary in another language are shown under "In other
    languages", not under the last heading of the body above them (Pagefind's anchor)."""
    page.goto(base_url + f"{lang}/search/?q=kaart+wijkgezondheidscentra")
    wait_for_search(page)
    card = page.locator("#kb-results > li").first
    assert urlparse(card.locator("h3 a").get_attribute("href")).path == f"/{lang}/entries/{TRANSLATED}/"
    section = card.locator(".section").first
    assert section.inner_text() == i18n.t(lang, "other_languages")
    assert card.locator("mark").count() >= 2


def test_interface_words_are_not_indexed(page: Any, base_url: str) -> None:
    # "Description" heads every entry's text but is the interface's word, not the entry's: only
    # entries whose own text has the word (or its stem, as "descriptif") are found.
    expected = {
        p.stem
        for p in STARTER.glob("*.md")
        if p.name != "README.md" and "descripti" in p.read_text(encoding="utf-8").lower()
    }
    page.goto(base_url + "fr/search/?q=description")
    status = wait_for_search(page)
    found = {entry_id(h) for h in result_links(page)} if status != i18n.t("fr", "no_results") else set()
    assert found == expected


def test_fast_typing_shows_only_the_last_query(page: Any, base_url: str) -> None:
    open_search_page(page, base_url + "fr/search/")
    # Keys about as slow as the search's debounce: searches start and overlap while typing.
    page.locator("#q").press_sequentially(NL_QUERY[:6], delay=230)
    page.locator("#q").press_sequentially(NL_QUERY[6:])
    wait_for_query(page, q=NL_QUERY)
    links = result_links(page)
    assert entry_id(links[0]) == NL_ENTRY
    assert len(links) == number(page.locator("#kb-status").inner_text())


def test_a_slow_older_search_never_overwrites_a_newer_one(page: Any, base_url: str) -> None:
    # Hold the first search's result fragments on the network until a second search is shown.
    held: list[Any] = []
    holding = True

    def fragments(route: Any) -> None:
        if holding:
            held.append(route)
        else:
            route.continue_()

    page.route("**/pagefind/fragment/**", fragments)
    with page.expect_request(lambda request: "/pagefind/fragment/" in request.url):
        page.goto(base_url + "fr/search/?q=" + FR_QUERY.replace(" ", "+"))
    page.wait_for_function("document.getElementById('kb-results').hasAttribute('aria-busy')")
    assert held, "the first search should be waiting for its fragments"
    holding = False
    page.locator("#q").fill(NL_QUERY)
    page.keyboard.press("Enter")
    status = wait_for_query(page, q=NL_QUERY)
    for route in held:  # the first search can finish now, late
        route.continue_()
    page.wait_for_load_state("networkidle")
    links = page.eval_on_selector_all("#kb-results h3 a", "links => links.map(a => a.href)")
    assert len(links) == number(status), links
    assert entry_id(links[0]) == NL_ENTRY
    assert FR_ENTRY not in {entry_id(h) for h in links}
    assert page.locator("#kb-status").inner_text() == status
    assert page.locator("#kb-results").get_attribute("aria-busy") is None


def test_more_results_button_keeps_keyboard_focus(page: Any, base_url: str) -> None:
    page.goto(base_url + "fr/search/?language=fr")  # filters alone: every French entry
    total = number(wait_for_search(page))
    assert total > 10, "the starter inventory should need the 'more' button"
    cards = page.locator("#kb-results > li")
    expect(cards).to_have_count(10)
    more = page.locator("#kb-more")
    expect(more).to_have_text(i18n.t("fr", "more"))
    more.focus()
    page.keyboard.press("Enter")
    expect(cards).to_have_count(min(total, 20))
    # Focus goes to the first new result (not lost when the button hides itself).
    focused = page.evaluate("document.activeElement.href")
    assert focused == page.locator("#kb-results > li").nth(10).locator("a").evaluate("a => a.href")


def test_search_failure_is_shown(contexts: Contexts, base_url: str) -> None:
    page = contexts.new_page()
    page.route("**/pagefind/pagefind.js", lambda route: route.abort())
    page.goto(base_url + "fr/search/?q=sante")
    status = page.locator("#kb-status")
    expect(status).to_have_text(i18n.t("fr", "failed"))
    expect(status).to_be_visible()


# --------------------------------------------------------------------------------------------
# navigation


def test_open_an_entry_from_the_home_page(page: Any, base_url: str) -> None:
    page.goto(base_url + "fr/")
    card = page.locator("main .cards .card h3 a").first
    title = card.inner_text()
    card.click()
    page.wait_for_url(re.compile(r"/fr/entries/[^/]+/$"))
    expect(page.locator("h1")).to_have_text(title)
    expect(page).to_have_title(re.compile(re.escape(title)))
    assert page.locator("dl.facts a.tag").count() >= 1


@pytest.mark.parametrize(
    "path",
    [
        "fr/",
        f"fr/entries/{NL_ENTRY}/",
        f"fr/{FACET}/",
        f"fr/{FACET}/{VALUE}/",
        "fr/entries/",
        "fr/search/",
        f"nl/entries/{FR_ENTRY}/",
    ],
)
def test_language_switch_lands_on_the_same_page(page: Any, base_url: str, path: str) -> None:
    lang = path[:2]
    other = "nl" if lang == "fr" else "fr"
    page.goto(base_url + path)
    assert page_lang(page) == lang
    h1 = page.locator("h1").inner_text()
    cited = page.locator("main .original cite")
    published = cited.first.inner_text() if cited.count() else h1  # the title as published
    switch = page.locator("a.switch")
    expect(switch).to_have_text(i18n.t(lang, "switch"))
    assert switch.get_attribute("lang") == other  # "Nederlands" is Dutch text
    switch.click()
    expected = "/" + other + path[2:]
    page.wait_for_url(lambda url: urlparse(url).path == expected)
    assert page_lang(page) == other
    if "/entries/" in path and path != "fr/entries/":
        # the same entry: its title as published shows on both pages (as the h1, or as the original)
        expect(page.locator("main")).to_contain_text(published)
    # ... and back.
    page.locator("a.switch").click()
    page.wait_for_url(lambda url: urlparse(url).path == "/" + path)
    assert page_lang(page) == lang


def test_language_switch_keeps_the_search(page: Any, base_url: str) -> None:
    open_search_page(page, base_url + "fr/search/")
    page.locator("#q").fill("sante")
    page.locator(f'input[name="{FACET}"][value="{VALUE}"]').check()
    status = wait_for_query(page, q="sante", **{FACET: VALUE})
    expect(page.locator("a.switch")).to_have_attribute("href", re.compile(rf"/nl/search/\?q=sante&{FACET}={VALUE}$"))
    page.locator("a.switch").click()
    page.wait_for_url(re.compile(r"/nl/search/\?"))
    assert page_lang(page) == "nl"
    assert parse_qs(urlparse(page.url).query) == {"q": ["sante"], FACET: [VALUE]}
    assert number(wait_for_search(page)) == number(status)
    assert page.locator("#q").input_value() == "sante"
    assert page.locator(f'input[name="{FACET}"][value="{VALUE}"]').is_checked()
    # A search opened from its URL keeps it too, back to French.
    expect(page.locator("a.switch")).to_have_attribute("href", re.compile(rf"/fr/search/\?q=sante&{FACET}={VALUE}$"))
    page.locator("a.switch").click()
    page.wait_for_url(re.compile(r"/fr/search/\?"))
    assert parse_qs(urlparse(page.url).query) == {"q": ["sante"], FACET: [VALUE]}
    assert number(wait_for_search(page)) == number(status)


def test_browse_facets_with_javascript_disabled(contexts: Contexts, base_url: str) -> None:
    page = contexts.new_page(java_script_enabled=False)
    page.goto(base_url + "fr/")
    page.locator(f'section.facet h3 a[href="{FACET}/"]').click()
    page.wait_for_url(re.compile(rf"/fr/{FACET}/$"))
    page.locator(f'ul.values a[href="{VALUE}/"]').click()
    page.wait_for_url(re.compile(rf"/fr/{FACET}/{VALUE}/$"))
    total = number(page.locator("main .total").inner_text())
    links = listing_links(page)
    assert len(links) == total > 1
    for href in links:  # every card leads to an entry page
        response = page.request.get(href)
        assert response.ok, href
        assert '<article class="entry"' in response.text(), href
    first = page.locator("main .cards .card a").first
    title = first.inner_text()
    first.click()
    page.wait_for_url(re.compile(r"/fr/entries/[^/]+/$"))
    expect(page.locator("h1")).to_have_text(title)
    expect(page.locator(f'dl.facts a[href$="/fr/{FACET}/{VALUE}/"]')).to_have_count(1)


def test_search_page_without_javascript_points_to_the_facets(contexts: Contexts, base_url: str) -> None:
    page = contexts.new_page(java_script_enabled=False)
    page.goto(base_url + "nl/search/")
    # (Playwright's text selectors skip <noscript>: locate it by CSS.)
    expect(page.locator("main noscript p")).to_have_text(i18n.t("nl", "search_noscript"))
    expect(page.locator("main noscript p")).to_be_visible()
    expect(page.locator("#kb-results-section")).to_be_hidden()
    page.locator(f'main ul.values a[href="../{FACET}/"]').click()
    page.wait_for_url(re.compile(rf"/nl/{FACET}/$"))


def test_keyboard_skip_link(page: Any, base_url: str) -> None:
    page.goto(base_url + f"fr/entries/{FR_ENTRY}/")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, f"focused skip link is off screen: {box}"
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null"), (
        "after the skip link, Tab should move into the main content"
    )


def test_search_page_tab_order_follows_the_layout(page: Any, base_url: str) -> None:
    page.goto(base_url + "fr/search/?q=sante")
    wait_for_search(page)
    filters = page.locator("details.filters").bounding_box()
    results = page.locator("#kb-results-section").bounding_box()
    assert filters and results
    # The filters come before the results in the page (and in Tab order): so they are shown
    # before them, to their left on a wide screen (not to their right, reached first by Tab).
    assert page.evaluate("""() => Boolean(document.querySelector("details.filters")
        .compareDocumentPosition(document.getElementById("kb-results-section"))
        & Node.DOCUMENT_POSITION_FOLLOWING)""")
    assert filters["x"] + filters["width"] <= results["x"], (filters, results)
    # Tab from the search box: the filters, then the results.
    page.locator("#q").focus()
    order = []
    for _ in range(200):
        page.keyboard.press("Tab")
        where = page.evaluate("""() => { const e = document.activeElement;
            return e.closest("details.filters") ? "filters" : e.closest("#kb-results") ? "results" : "other"; }""")
        if not order or order[-1] != where:
            order.append(where)
        if where == "results":
            break
    assert [w for w in order if w != "other"][:2] == ["filters", "results"], order


def test_print_hides_the_navigation(page: Any, base_url: str) -> None:
    page.goto(base_url + f"fr/entries/{FR_ENTRY}/")
    nav = page.locator("header nav")
    expect(nav).to_be_visible()
    page.emulate_media(media="print")
    expect(nav).to_be_hidden()
    expect(page.locator("a.switch")).to_be_hidden()
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("dl.facts")).to_be_visible()


# --------------------------------------------------------------------------------------------
# phone


@pytest.mark.parametrize(
    "path",
    [
        "fr/",
        "nl/",
        f"fr/entries/{FR_ENTRY}/",
        f"nl/entries/{NL_ENTRY}/",
        f"nl/entries/{TRANSLATED}/",
        "nl/matrix/basis/",
        "fr/search/?q=sante",
        "nl/search/?q=sante",
        f"fr/search/?{FACET}={VALUE}",
    ],
)
def test_phone_has_no_horizontal_scrolling(contexts: Contexts, base_url: str, path: str) -> None:
    page = contexts.new_page(PHONE)
    page.goto(base_url + path)
    if "search/" in path:
        wait_for_search(page)
        assert page.locator("#kb-results > li").count() > 0
        if FACET in path:  # filters set: the filter panel is open, even on a phone
            expect(page.locator("details.filters")).to_have_attribute("open", "")
    no_horizontal_scroll(page)


# --------------------------------------------------------------------------------------------
# axe-core


AXE_PAGES = [
    ("home", "{lang}/"),
    ("entry in French", f"{{lang}}/entries/{FR_ENTRY}/"),
    ("entry in Dutch", f"{{lang}}/entries/{NL_ENTRY}/"),
    ("listing", f"{{lang}}/{FACET}/{VALUE}/"),
    ("all entries", "{lang}/entries/"),
    ("facet index", f"{{lang}}/{FACET}/"),
    ("search", "{lang}/search/?q=sante"),
    ("search, filters only", f"{{lang}}/search/?{FACET}={VALUE}"),
    ("matrix", "{lang}/matrix/"),
    ("scale x basis", "{lang}/matrix/basis/"),
    ("translated entry", f"{{lang}}/entries/{TRANSLATED}/"),
    ("basis listing", "{lang}/basis/service_catchment/"),
    ("map", "{lang}/map/"),
    ("area", "{lang}/map/21004/"),
    ("overview", "{lang}/overview/"),
    ("what's new", "{lang}/news/"),
    ("compare", f"{{lang}}/compare/?ids={NL_ENTRY},{FR_ENTRY}"),
]


@pytest.mark.parametrize("lang", i18n.UI_LANGS)
@pytest.mark.parametrize("what,path", AXE_PAGES, ids=[what for what, _ in AXE_PAGES])
def test_axe_reports_no_violations(page: Any, base_url: str, what: str, path: str, lang: str) -> None:
    page.goto(base_url + path.format(lang=lang))
    if "/search/" in path:
        status = wait_for_search(page)
        assert number(status) > 0
        expect(page.locator("details.filters")).to_have_attribute("open", "")
    if "/compare/" in path:
        expect(page.locator("#kb-compare-items > li")).to_have_count(2)
    assert_no_axe_violations(page, f"{what} ({lang})")


@pytest.mark.parametrize("path", ["index.html", "404.html"])
def test_axe_reports_no_violations_bilingual_pages(page: Any, base_url: str, path: str) -> None:
    page.goto(base_url + path)
    assert_no_axe_violations(page, path)


def test_axe_reports_no_violations_on_a_phone(contexts: Contexts, base_url: str) -> None:
    page = contexts.new_page(PHONE)
    for path in ["fr/", f"nl/entries/{FR_ENTRY}/", "fr/search/?q=sante"]:
        page.goto(base_url + path)
        if "/search/" in path:
            wait_for_search(page)
        assert_no_axe_violations(page, f"{path} on a phone")


# --------------------------------------------------------------------------------------------
# Nu Html Checker


def test_every_generated_page_is_valid_html(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 300  # every page of the starter build, both languages
    errors = vnu_errors(pages)  # one JVM for all of them
    shown = "\n".join(e.replace(str(site.resolve()), "site") for e in errors[:40])
    assert errors == [], f"{len(errors)} vnu errors:\n{shown}"


# --------------------------------------------------------------------------------------------
# screenshots


@pytest.mark.parametrize("device", [None, PHONE], ids=["desktop", "phone"])
def test_screenshots(contexts: Contexts, base_url: str, device: str | None) -> None:
    page = contexts.new_page(device)
    suffix = "desktop" if device is None else "phone"
    shots = []
    for name, path in [("home", "fr/"), ("entry", f"fr/entries/{FR_ENTRY}/")]:
        page.goto(base_url + path)
        page.wait_for_load_state("load")
        shots.append(save_screenshot(page, f"browser-{name}-{suffix}"))
    for shot in shots:
        assert shot.stat().st_size > 5_000, f"{shot} looks empty"


def test_compare_entries_from_their_pages_and_share_the_link(contexts: Contexts, base_url: str) -> None:
    """Add two entries with their 'Comparer' buttons; the comparison URL works elsewhere; emptied,
    the page offers no link to share or empty it."""
    page = contexts.new_page()
    for entry in ("barometre-social-2023", "bruzel-eerstelijnszone"):
        page.goto(f"{base_url}fr/entries/{entry}/")
        page.get_by_role("button", name="Comparer").click()
        expect(page.locator("#kb-compare-items h2 a").first).to_be_visible(timeout=60_000)
    headers = page.locator("#kb-compare-items h2 a")
    expect(headers).to_have_count(2)
    assert "ids=barometre-social-2023,bruzel-eerstelijnszone" in page.url
    first = page.locator("#kb-compare-items > li").first
    expect(first.locator("dt").first).to_have_text("Année")
    expect(first.locator("dd").first).to_have_text("8 mars 2024")  # date: 2024-03-08, in the reader's words
    scale = page.locator("#kb-compare-items > li").nth(1).locator("div", has=page.locator("dt", has_text="Échelle"))
    expect(scale.locator("dd")).to_contain_text("Zone de première ligne")
    shared = page.url
    other = contexts.new_page()  # a reader who follows the shared link: no stored list
    other.goto(shared.replace("/fr/", "/nl/"))
    expect(other.locator("#kb-compare-items h2 a")).to_have_count(2, timeout=60_000)
    expect(other.locator("#kb-compare-items > li").first.locator("dd").first).to_have_text("8 maart 2024")
    nl_scale = other.locator("#kb-compare-items > li").nth(1).locator("div", has=other.locator("dt", has_text="Schaal"))
    expect(nl_scale.locator("dd")).to_contain_text("Eerstelijnszone")
    assert_no_axe_violations(other, "compare page from a shared link")
    other.get_by_role("link", name="Verwijderen : BruZEL").click()
    expect(other.locator("#kb-compare-items h2 a")).to_have_count(1)
    assert other.url.endswith("?ids=barometre-social-2023")
    other.get_by_role("link", name=i18n.t("nl", "compare_clear")).click()
    expect(other.locator("#kb-compare-status")).to_have_text(i18n.t("nl", "compare_empty"))
    for link in ("compare_share", "compare_clear"):  # nothing to share or empty
        expect(other.get_by_role("link", name=i18n.t("nl", link))).to_be_hidden()


def test_compare_from_result_cards_up_to_five(contexts: Contexts, base_url: str) -> None:
    """Result cards' 'Compare' buttons fill the list (five at most, the sixth is refused with a
    note), a second press takes an entry out, and the bar leads to the comparison."""
    page = contexts.new_page()
    page.goto(base_url + "fr/search/?q=bassin")
    wait_for_search(page)
    buttons = page.locator("#kb-results button.compare-toggle")
    for i in range(6):
        buttons.nth(i).click()
    expect(page.locator("#kb-results button.compare-toggle[aria-pressed=true]")).to_have_count(5)
    expect(buttons.nth(5)).to_have_attribute("aria-pressed", "false")
    expect(page.locator("#kb-compare-bar .note")).to_have_text(i18n.t("fr", "compare_full"))
    buttons.nth(0).click()
    expect(buttons.nth(0)).to_have_attribute("aria-pressed", "false")
    chosen = [buttons.nth(i).get_attribute("data-id") for i in range(1, 5)]
    bar = page.locator("#kb-compare-bar a")
    expect(bar).to_have_text(i18n.t("fr", "compare_go", n=4))
    bar.click()
    expect(page.locator("#kb-compare-items > li")).to_have_count(4)
    assert page.url.endswith("?ids=" + ",".join(chosen))


def test_cite_block_copies_the_reference(contexts: Contexts, base_url: str) -> None:
    page = contexts.new_page()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{base_url}fr/entries/moriau-plan-social-sante-integre-2023/")
    reference = page.locator("#kb-reference")
    expect(reference).to_contain_text("Moriau, J. (2023)")
    page.locator("button.copy[data-copy=kb-reference]").click()
    assert page.evaluate("navigator.clipboard.readText()") == reference.inner_text().strip()
    plain = contexts.new_page(java_script_enabled=False)
    plain.goto(f"{base_url}fr/entries/moriau-plan-social-sante-integre-2023/")
    expect(plain.locator("#kb-reference")).to_be_visible()
    expect(plain.locator("button.copy").first).to_be_hidden()
