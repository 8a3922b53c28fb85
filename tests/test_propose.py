"""The "propose an entry" page in real Chromium: a contributor fills it in French or Dutch, meets
a problem, fixes it, and the file it produces passes `kb check` and builds into the page the
preview showed. The page's checks and `kb check` give the same verdicts and the same messages
on a catalogue of good and bad entries.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import parse_qs, urlparse

import pytest
from conftest import ARTIFACTS, copy_starter
from playwright.sync_api import expect
from servers import axe_violations, format_violations, serve_directory
from test_browser import Contexts, browser, contexts, pw  # noqa: F401  (fixtures)

from kb.project import Project
from kb.site import propose

REPOSITORY = "https://github.com/example-org/kb"
CONTACT = "inventaire@example.org"


@pytest.fixture(scope="module")
def project_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("propose")
    copy_starter(root / "entries")
    (root / "kb.yml").write_text(f"repository: {REPOSITORY}\ncontact: {CONTACT}\n", encoding="utf-8")
    project = Project(root=root)
    try:
        project.build(search=False)
    finally:
        project.close()
    return root


@pytest.fixture(scope="module")
def base_url(project_root: Path) -> Iterator[str]:
    url, stop = serve_directory(project_root / "site")
    try:
        yield url
    finally:
        stop()


def open_form(contexts: Contexts, base_url: str, lang: str, **options: Any) -> Any:
    page = contexts.new_page(**options)
    page.goto(f"{base_url}{lang}/propose/")
    expect(page.locator("#kb-propose")).to_be_visible()
    return page


def fill(page: Any, values: dict[str, Any]) -> None:
    """Type a proposal into the form: text by field name, vocabulary values by their ids."""
    for name, value in values.items():
        if isinstance(value, list):
            for item in value:
                page.locator(f'input[name="{name}"][value="{item}"]').check()
        elif name in ("type", "language"):
            page.locator(f'select[name="{name}"]').select_option(value)
        else:
            page.locator(f'[name="{name}"]').fill(value)


def page_problems(page: Any) -> Counter:
    page.locator("#kb-propose button[type=submit]").click()
    expect(page.locator("#kb-status")).not_to_be_empty()
    items = page.locator("#kb-problems li")
    return Counter(
        (
            items.nth(i).get_attribute("data-severity"),
            items.nth(i).get_attribute("data-message"),
            items.nth(i).get_attribute("data-fix"),
        )
        for i in range(items.count())
    )


SEVERITY = {"fr": {"erreur": "error", "avertissement": "warning"}, "nl": {"fout": "error", "waarschuwing": "warning"}}


def kb_check_problems(text: str, lang: str, tmp_path: Path) -> Counter:
    path = tmp_path / "proposition.md"
    path.write_text(text, encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "kb", "check", path.name, "--lang", lang],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    found: Counter = Counter()
    for line in run.stdout.splitlines():
        match = re.match(rf"^{path.name}:\d+: (\S+): (.*?) -- (.*)$", line)
        assert match, line
        found[(SEVERITY[lang][match.group(1)], match.group(2), match.group(3))] += 1
    return found


GOOD = {
    "title": "Diagnostic social-santé du quartier Nord",
    "type": "study",
    "year": "2024",
    "scale": ["quartier_social_sante"],
    "criteria": ["needs_demography"],
    "territories": ["21015"],
    "url": "https://example.org/diagnostic.pdf",
    "summary": "Un diagnostic local.",
    "body": "## Contenu\n\nUn diagnostic **communautaire** du quartier.\n\n## Sources\n\n- https://example.org/\n",
}

CATALOGUE = [
    pytest.param({"language": "fr", **GOOD}, id="good"),
    pytest.param({"body": ""}, id="nothing-filled"),
    pytest.param(
        {**GOOD, "year": "20x1", "date": "2020-13", "url": "ftp://example.org/x", "doi": "11.1/x"}, id="bad-values"
    ),
    pytest.param({**GOOD, "year": "1900"}, id="year-out-of-range"),
    pytest.param({**GOOD, "year": "2020", "date": "2019-05"}, id="date-not-in-year"),
    pytest.param({**GOOD, "date": "2020-02-30"}, id="not-a-real-date"),
    pytest.param({**GOOD, "title": "T" * 600, "summary": "mot " * 300}, id="too-long"),
    pytest.param({**GOOD, "authors": "Dupont, Jean\nDupont,  Jean\nMartin, Claire"}, id="author-twice"),
    pytest.param({**GOOD, "title": "Titre\u0007 avec un caractère de contrôle"}, id="control-character"),
    pytest.param({**GOOD, "url": "javascript:alert(1)", "title": '<script>alert("x")</script>'}, id="hostile"),
    pytest.param({**GOOD, "body": "## Contenu\n\n<!-- rien -->\n"}, id="empty-body"),
    pytest.param({**GOOD, "body": "x" * 1_100_000}, id="one-megabyte"),
    pytest.param(
        {
            **GOOD,
            "translations.nl.title": "Sociaal-gezondheidsdiagnose van de Noordwijk",
            "translations.nl.summary": "Een lokale diagnose.",
            "translations.en.summary": "A local diagnosis.",
            "translations.fr.title": "T" * 501,
        },
        id="translations",
    ),
    pytest.param(
        {
            **GOOD,
            "isbn": "978-2-930346-49-5",
            "issn": "0776 861X",
            "container": "Bruxelles Santé",
            "url": 'https://example.org/a"b',
            "doi": "10.1234/ab\u0001",
        },
        id="citation-fields",
    ),
    pytest.param(
        {**GOOD, "isbn": "978-2-930346-49-6", "issn": "0776-8613", "basis": ["service_catchment"]}, id="good-citation"
    ),
]


@pytest.mark.parametrize("lang", ["fr", "nl"])
@pytest.mark.parametrize("values", CATALOGUE)
def test_the_page_and_kb_check_say_the_same(
    contexts: Contexts, base_url: str, tmp_path: Path, lang: str, values: dict[str, Any]
) -> None:
    page = open_form(contexts, base_url, lang)
    fill(page, values)
    shown = page_problems(page)
    text = page.locator("#kb-file").input_value()
    assert shown == kb_check_problems(text, lang, tmp_path)
    assert page.errors == []
    if values.get("title", "").startswith("<script>"):
        assert page.locator("#kb-preview-page script").count() == 0
        assert "<script>" in page.locator("#kb-preview-page .title").inner_text()


def test_a_dutch_speaker_proposes_an_entry(
    contexts: Contexts, base_url: str, project_root: Path, tmp_path: Path
) -> None:
    page = open_form(contexts, base_url, "nl")
    page.get_by_label("Titel van het document").fill("Zorgzame buurt Molenbeek: evaluatie")
    page.locator("select[name=type]").select_option(label="Studie")
    page.get_by_label(re.compile(r"^Jaar\b.*\byear$")).fill("2023")  # (not "Jaargang volume")
    page.get_by_role("checkbox", name="Zorgzone", exact=True).check()  # the scale, by its Dutch label
    page.locator("[data-filter=territories]").fill("sint-jans-molenbeek")
    expect(page.locator("label.choice:visible", has_text="Anderlecht")).to_have_count(0)
    page.get_by_role("checkbox", name="Sint-Jans-Molenbeek").check()
    page.locator("#kb-body").fill("## Inhoud\n\nEen evaluatie van een *zorgzame buurt*.\n")
    # Criteria forgotten: the page says so, next to the field, in Dutch.
    page.locator("#kb-propose button[type=submit]").click()
    error = page.locator("#kb-error-criteria")
    expect(error).to_be_visible()
    expect(error).to_contain_text("criteria ontbreekt")
    assert page.locator("#kb-field-criteria fieldset").get_attribute("aria-invalid") == "true"
    expect(page.locator("#kb-result")).to_be_hidden()
    # (the criterion: a basis of the same name is offered too)
    page.locator("#kb-field-criteria").get_by_role("checkbox", name=re.compile("^Bestaande netwerken")).check()
    page.locator("#kb-propose button[type=submit]").click()
    expect(page.locator("#kb-result")).to_be_visible()
    expect(page.locator("#kb-error-criteria")).to_be_hidden()
    text = page.locator("#kb-file").input_value()
    name = page.locator("#kb-file-name").inner_text().split(": ")[1]
    assert name == "zorgzame-buurt-molenbeek-evaluatie.md"
    # The forge's new-file page, with the file's name and text.
    forge = urlparse(page.locator("#kb-forge").get_attribute("href"))
    assert f"{forge.scheme}://{forge.netloc}{forge.path}" == f"{REPOSITORY}/new/main/entries"
    assert parse_qs(forge.query) == {"filename": [name], "value": [text]}
    mail = urlparse(page.locator("#kb-email").get_attribute("href"))
    assert mail.scheme == "mailto" and mail.path == CONTACT
    # The file passes kb check and builds into the page the preview showed.
    entries = tmp_path / "entries"
    shutil.copytree(project_root / "entries", entries)
    (entries / name).write_text(text, encoding="utf-8")
    check = subprocess.run([sys.executable, "-m", "kb", "check", str(entries / name)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    project = Project(root=tmp_path)
    try:
        project.build(search=False)
    finally:
        project.close()
    built = (tmp_path / "site" / "nl" / "entries" / name[:-3] / "index.html").read_text(encoding="utf-8")
    preview = page.locator("#kb-preview-page")
    assert preview.locator(".title").inner_text() in built
    assert "<em>zorgzame buurt</em>" in preview.inner_html() and "<em>zorgzame buurt</em>" in built
    assert "Sint-Jans-Molenbeek" in preview.inner_text()


def test_the_draft_survives_a_closed_tab_until_start_again(contexts: Contexts, base_url: str) -> None:
    page = open_form(contexts, base_url, "fr")
    page.locator("[name=title]").fill("Brouillon gardé")
    page.locator('input[name=scale][value="commune"]').check()
    page.wait_for_function("() => (localStorage.getItem('kb-propose-draft') || '').includes('Brouillon')")
    page.reload()
    expect(page.locator("[name=title]")).to_have_value("Brouillon gardé")
    expect(page.locator('input[name=scale][value="commune"]')).to_be_checked()
    page.locator("#kb-restart").click()
    expect(page.locator("[name=title]")).to_have_value("")
    page.reload()
    expect(page.locator("[name=title]")).to_have_value("")


def test_a_long_entry_opens_the_empty_forge_page_and_copies_the_file(contexts: Contexts, base_url: str) -> None:
    page = open_form(contexts, base_url, "fr", permissions=["clipboard-read", "clipboard-write"])
    fill(page, {**GOOD, "body": "## Contenu\n\n" + "Un long texte. " * 800})
    page.locator("#kb-propose button[type=submit]").click()
    expect(page.locator("#kb-result")).to_be_visible()
    href = page.locator("#kb-forge").get_attribute("href")
    assert "value=" not in href and "filename=" in href
    with page.context.expect_page():
        page.locator("#kb-forge").click()
    expect(page.locator("#kb-result-note")).to_contain_text("trop longue")
    assert page.evaluate("navigator.clipboard.readText()") == page.locator("#kb-file").input_value()


def test_without_javascript_the_page_gives_the_other_routes(
    contexts: Contexts, base_url: str, project_root: Path
) -> None:
    page = contexts.new_page(java_script_enabled=False)
    page.goto(f"{base_url}fr/propose/")
    expect(page.locator("#kb-propose")).to_be_hidden()
    routes = page.locator(".routes a")
    hrefs = [routes.nth(i).get_attribute("href") for i in range(routes.count())]
    assert f"{REPOSITORY}/issues/new?template=entry.yml" in hrefs
    assert f"mailto:{CONTACT}" in hrefs
    assert "entry-template.md" in hrefs
    template = (project_root / "site" / "fr" / "propose" / "entry-template.md").read_text(encoding="utf-8")
    assert template.startswith("---\ntitle:")


@pytest.mark.parametrize("lang", ["fr", "nl"])
def test_the_form_is_accessible_with_an_error_shown(contexts: Contexts, base_url: str, lang: str) -> None:
    page = open_form(contexts, base_url, lang)
    page.locator("[name=year]").fill("deux mille")
    page.locator("#kb-propose button[type=submit]").click()
    expect(page.locator("#kb-error-year")).to_be_visible()
    year = page.locator("[name=year]")
    assert year.get_attribute("aria-invalid") == "true"
    assert "kb-error-year" in year.get_attribute("aria-describedby")
    assert page.locator("#kb-status").get_attribute("role") == "status"
    for control in page.locator(
        "#kb-propose input:not([type=checkbox]), #kb-propose select, #kb-propose textarea"
    ).all():
        label = page.locator(f'label[for="{control.get_attribute("id")}"]')
        assert label.count() == 1 or control.get_attribute("type") == "search", control.get_attribute("name")
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)


def test_a_field_left_says_what_is_wrong_before_the_first_check(contexts: Contexts, base_url: str) -> None:
    page = open_form(contexts, base_url, "nl")
    page.locator("[name=url]").fill("www.example.org")
    page.locator("[name=doi]").focus()  # leaving the field
    expect(page.locator("#kb-error-url")).to_contain_text("is geen webadres")
    expect(page.locator("#kb-error-title")).to_be_hidden()  # not touched yet: no verdict on it
    assert page.locator("#kb-status").inner_text() == ""


def test_keyboard_alone(contexts: Contexts, base_url: str) -> None:
    page = open_form(contexts, base_url, "fr")
    page.locator("[name=title]").focus()
    page.keyboard.type("Au clavier")
    page.locator('input[name=scale][value="region"]').focus()
    page.keyboard.press("Space")
    expect(page.locator('input[name=scale][value="region"]')).to_be_checked()
    page.locator("#kb-propose button[type=submit]").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#kb-problems li").first).to_be_visible()


@pytest.mark.parametrize("lang", ["fr", "nl"])
@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots_and_no_sideways_scrolling(contexts: Contexts, base_url: str, lang: str, width: int) -> None:
    page = open_form(contexts, base_url, lang, viewport={"width": width, "height": 900})
    fill(page, {**GOOD, "year": "20x1"})
    page.locator("#kb-propose button[type=submit]").click()
    expect(page.locator("#kb-error-year")).to_be_visible()
    scroll, inner = page.evaluate("[document.scrollingElement.scrollWidth, window.innerWidth]")
    assert scroll <= inner
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"propose-{lang}-{width}.png"), full_page=True)


def test_the_form_has_every_field_of_the_schema(project_root: Path) -> None:
    page = (project_root / "site" / "fr" / "propose" / "index.html").read_text(encoding="utf-8")
    for name, _ in propose.fields():
        assert f'data-field="{name}"' in page, name


def test_the_page_weighs_little(project_root: Path) -> None:
    """Its own script, styles and data at most 60 KB gzip (the published ids are not counted)."""
    import gzip

    site = project_root / "site"
    html = (site / "fr" / "propose" / "index.html").read_bytes()
    total = sum(
        len(gzip.compress(p.read_bytes())) for p in (site / "assets" / "propose.js", site / "assets" / "style.css")
    )
    assert total + len(gzip.compress(html)) <= 60_000
