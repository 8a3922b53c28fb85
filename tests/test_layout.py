"""Every kind of page at a desktop width (1280 px) and a phone width (390 px), in French and
Dutch, in real Chromium: checks of the layout that fail when a page breaks on a real screen.

For each page: the page never scrolls sideways, no legend swatch is larger than 32 px, no chart
table's caption is cut by the box it scrolls in, no two pieces of text are drawn over each
other; on the matrix page and the overview page (partners x types), every column of the cross
table is visible without scrolling at 1280 px, and at 390 px its row and column headers stay in
sight when its box is scrolled; the years' bar chart keeps its labels readable on a phone, its
newest years in sight. A full-page screenshot of each is saved in tests/artifacts/
(layout-*.png): look at them after a change to a template or the stylesheet.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import ARTIFACTS
from playwright.sync_api import expect
from test_browser import (  # noqa: F401  (module fixtures: one build and one browser here)
    FR_ENTRY,
    NL_ENTRY,
    Contexts,
    base_url,
    browser,
    contexts,
    pw,
    site,
    wait_for_search,
)

WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}

PAGES = [
    ("home", "{lang}/"),
    ("entry-fr", f"{{lang}}/entries/{FR_ENTRY}/"),
    ("entry-nl", f"{{lang}}/entries/{NL_ENTRY}/"),
    ("listing", "{lang}/scale/bassin/"),
    ("all", "{lang}/entries/"),
    ("facet", "{lang}/criteria/"),
    ("search", "{lang}/search/?q=bassin"),
    ("search-filters", "{lang}/search/?scale=bassin"),
    ("matrix", "{lang}/matrix/"),
    ("map", "{lang}/map/"),
    ("area", "{lang}/map/21012/"),
    ("territory", "{lang}/territories/21004/"),
    ("overview", "{lang}/overview/"),
    ("compare", f"{{lang}}/compare/?ids={FR_ENTRY},{NL_ENTRY},barometre-social-2023"),
    ("propose", "{lang}/propose/"),
]

# Every visible piece of text as its line boxes; pairs of boxes from two different text nodes
# that cross by more than 2 px both ways are drawn over each other.
OVERLAPS = """() => {
  const boxes = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(), n = 0; node; node = walker.nextNode(), n++) {
    if (!node.textContent.trim()) continue;
    if (!node.parentElement.checkVisibility({visibilityProperty: true, opacityProperty: true})) continue;
    const box = node.parentElement.getBoundingClientRect();
    if (box.width <= 1 || box.height <= 1) continue; // visually hidden, for screen readers
    const range = document.createRange();
    range.selectNodeContents(node);
    const clips = [];  // what scrolling boxes around the text let be seen of it
    for (let e = node.parentElement; e; e = e.parentElement) {
      if (getComputedStyle(e).overflow !== "visible") clips.push(e.getBoundingClientRect());
    }
    for (const line of range.getClientRects()) {
      const r = {left: line.left, right: line.right, top: line.top, bottom: line.bottom};
      for (const c of clips) {
        r.left = Math.max(r.left, c.left); r.right = Math.min(r.right, c.right);
        r.top = Math.max(r.top, c.top); r.bottom = Math.min(r.bottom, c.bottom);
      }
      if (r.right - r.left > 2 && r.bottom - r.top > 2) boxes.push({n, r, text: node.textContent.trim().slice(0, 40)});
    }
  }
  const found = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i], b = boxes[j];
      if (a.n === b.n) continue;
      const x = Math.min(a.r.right, b.r.right) - Math.max(a.r.left, b.r.left);
      const y = Math.min(a.r.bottom, b.r.bottom) - Math.max(a.r.top, b.r.top);
      if (x > 2 && y > 2) found.push(`${JSON.stringify(a.text)} over ${JSON.stringify(b.text)}`);
    }
  }
  return found.slice(0, 10);
}"""

SWATCHES = """() => [...document.querySelectorAll('.kb-swatch, figcaption svg, legend svg')]
  .map((e) => e.getBoundingClientRect()).filter((r) => r.width > 32 || r.height > 32)
  .map((r) => `${Math.round(r.width)} x ${Math.round(r.height)}`)"""


# The captions of chart tables cut by the box they scroll in (their text hidden until scrolled to)
CUT_CAPTIONS = """() => [...document.querySelectorAll('table.kb-chart > caption')].filter((c) => {
  const box = c.closest('.scroll');
  if (!box || !c.checkVisibility()) return false;
  const r = c.getBoundingClientRect(), b = box.getBoundingClientRect();
  return r.left < b.left - 1 || r.right > b.right + 1;
}).map((c) => c.textContent.slice(0, 40))"""


def open_page(contexts: Contexts, base_url: str, path: str, width: str) -> Any:
    w, h = WIDTHS[width]
    page = contexts.new_page(viewport={"width": w, "height": h}, is_mobile=width == "phone", has_touch=width == "phone")
    page.goto(base_url + path)
    if "/search/" in path:
        wait_for_search(page)
    if "/compare/" in path:
        expect(page.locator("#kb-compare-items > li")).to_have_count(3)
    page.wait_for_load_state("load")
    return page


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("lang", ["fr", "nl"])
@pytest.mark.parametrize("name,path", PAGES, ids=[name for name, _ in PAGES])
def test_page_layout(contexts: Contexts, base_url: str, name: str, path: str, lang: str, width: str) -> None:
    page = open_page(contexts, base_url, path.format(lang=lang), width)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"layout-{name}-{lang}-{width}.png"), full_page=True)
    scroll_width, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner, f"{page.url} scrolls sideways: {scroll_width} px > {inner} px"
    assert page.evaluate(SWATCHES) == [], f"legend swatches larger than 32 px on {page.url}"
    assert page.evaluate(CUT_CAPTIONS) == [], f"table captions cut by their box on {page.url}"
    assert page.evaluate(OVERLAPS) == [], f"text drawn over text on {page.url}"
    assert not page.errors, page.errors


# The pages with a cross table (kb.site.charts: the matrix; partners x types)
CROSS_TABLES = ["matrix", "overview"]


@pytest.mark.parametrize("lang", ["fr", "nl"])
@pytest.mark.parametrize("name", CROSS_TABLES)
def test_cross_table_shows_every_column_on_a_desktop(contexts: Contexts, base_url: str, lang: str, name: str) -> None:
    page = open_page(contexts, base_url, f"{lang}/{name}/", "desktop")
    box = page.locator(".cross-box")
    scroll, client = box.evaluate("(e) => [e.scrollWidth, e.clientWidth]")
    assert scroll <= client, f"the table scrolls sideways at 1280 px: {scroll} > {client}"
    right = box.evaluate("(e) => e.getBoundingClientRect().right")
    for header in page.locator(".kb-cross thead th").all():
        assert header.evaluate("(e) => e.getBoundingClientRect().right") <= right + 1, header.inner_text()
    caption = page.locator(".kb-cross caption")
    assert caption.evaluate("(e) => e.getBoundingClientRect().right") <= 1280


@pytest.mark.parametrize("lang", ["fr", "nl"])
@pytest.mark.parametrize("name", CROSS_TABLES)
def test_cross_table_headers_stay_in_sight_when_it_scrolls_on_a_phone(
    contexts: Contexts, base_url: str, lang: str, name: str
) -> None:
    page = open_page(contexts, base_url, f"{lang}/{name}/", "phone")
    box = page.locator(".cross-box")
    scroll, client = box.evaluate("(e) => [e.scrollWidth, e.clientWidth]")
    assert scroll > client, "the table no longer scrolls on a phone: check this test still means something"
    caption = page.locator(".kb-cross caption")
    assert caption.evaluate("(e) => e.getBoundingClientRect().right") <= 390
    box.evaluate("(e) => { e.scrollLeft = e.scrollWidth; e.scrollTop = e.scrollHeight; }")
    left, top = box.evaluate("(e) => { const r = e.getBoundingClientRect(); return [r.left, r.top]; }")
    rows = page.locator(".kb-cross tbody th[scope=row]")
    last_row = rows.nth(rows.count() - 1)
    assert abs(last_row.evaluate("(e) => e.getBoundingClientRect().left") - left) <= 2, (
        "the row headers scrolled out of sight"
    )
    assert last_row.evaluate("(e) => e.getBoundingClientRect().right") > left + 40
    last_column = page.locator(".kb-cross thead th").last
    header_top = last_column.evaluate("(e) => e.getBoundingClientRect().top")
    bottom = box.evaluate("(e) => e.getBoundingClientRect().bottom")
    assert top - 2 <= header_top < bottom - 40, "the column headers scrolled out of sight"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"layout-{name}-scrolled-{lang}-phone.png"))


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_years_chart_reads_on_a_phone_from_its_newest_year(contexts: Contexts, base_url: str, lang: str) -> None:
    """On a phone the years' bars scroll sideways rather than shrink: each year's label at least
    8 px high (4 px when the chart fitted 390 px), the newest year in sight as the page opens."""
    page = open_page(contexts, base_url, f"{lang}/overview/", "phone")
    figure = page.locator("figure.kb-years")
    labels = figure.locator("svg text")
    heights = labels.evaluate_all("(all) => all.map((e) => e.getBoundingClientRect().height)")
    assert heights and min(heights) >= 8, heights
    left, right = figure.evaluate("(e) => { const r = e.getBoundingClientRect(); return [r.left, r.right]; }")
    newest = labels.last.evaluate("(e) => { const r = e.getBoundingClientRect(); return [r.left, r.right]; }")
    assert left <= newest[0] and newest[1] <= right, (newest, left, right)
