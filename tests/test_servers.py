"""The test helpers in tests/servers.py work for real: PostgreSQL, Chromium,
axe-core, the Nu Html Checker and the static HTTP server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from servers import (
    PostgresServer,
    axe_violations,
    format_violations,
    launch_chromium,
    serve_directory,
    start_postgres,
    vnu_errors,
)

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

GOOD_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kb test page</title>
</head>
<body>
<main>
<h1>Hello</h1>
<p>A small accessible page.</p>
<img src="dot.svg" alt="A black dot" width="10" height="10">
</main>
</body>
</html>
"""

IMG_WITHOUT_ALT = GOOD_PAGE.replace(' alt="A black dot"', "")

INVALID_PAGE = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>bad</title></head>
<body>
<p>unclosed <span><div>block in inline</div>
<foo-bar baz>
<table><tr><td>no tbody is fine but this</td></tr><p>not here</p></table>
<img src="x.png">
</body>
</html>
"""

DOT_SVG = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle cx="5" cy="5" r="5"/></svg>\n'


@pytest.fixture(scope="module")
def pg(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresServer]:
    server = start_postgres(tmp_path_factory.mktemp("pg"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    root = tmp_path_factory.mktemp("site")
    (root / "index.html").write_text(GOOD_PAGE, encoding="utf-8")
    (root / "no-alt.html").write_text(IMG_WITHOUT_ALT, encoding="utf-8")
    (root / "dot.svg").write_text(DOT_SVG, encoding="utf-8")
    url, stop = serve_directory(root)
    try:
        yield root, url
    finally:
        stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch_chromium(p)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context()
    try:
        yield context.new_page()
    finally:
        context.close()


def _select_one(url: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT 1")).scalar_one()
    finally:
        engine.dispose()


def test_postgres_select_one(pg: PostgresServer) -> None:
    assert pg.url.startswith("postgresql+psycopg://")
    assert _select_one(pg.url) == 1


def test_postgres_fresh_database_is_empty_and_separate(pg: PostgresServer) -> None:
    first = pg.fresh_database()
    second = pg.fresh_database()
    assert first != second
    engine = create_engine(first)
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x integer)"))
            conn.execute(text("INSERT INTO t VALUES (42)"))
        with engine.connect() as conn:
            assert conn.execute(text("SELECT x FROM t")).scalar_one() == 42
    finally:
        engine.dispose()
    engine = create_engine(second)
    try:
        with engine.connect() as conn:
            tables = conn.execute(
                text("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
            ).scalar_one()
        assert tables == 0
    finally:
        engine.dispose()
    pg.drop_database(first)
    pg.drop_database(second)


def test_serve_directory_serves_files(site: tuple[Path, str]) -> None:
    from urllib.request import urlopen

    _root, url = site
    with urlopen(url + "dot.svg") as response:
        assert response.status == 200
        assert b"<svg" in response.read()


def test_chromium_opens_page_and_screenshots(site: tuple[Path, str], page: Any) -> None:
    _root, url = site
    page.goto(url + "index.html")
    assert page.title() == "kb test page"
    assert page.locator("h1").inner_text() == "Hello"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "test_servers_index.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 0
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_axe_accessible_page_has_no_violations(site: tuple[Path, str], page: Any) -> None:
    _root, url = site
    page.goto(url + "index.html")
    violations = axe_violations(page)
    assert violations == [], format_violations(violations)


def test_axe_finds_image_without_alt(site: tuple[Path, str], page: Any) -> None:
    _root, url = site
    page.goto(url + "no-alt.html")
    violations = axe_violations(page)
    assert len(violations) >= 1
    assert "image-alt" in {v["id"] for v in violations}, format_violations(violations)


def test_vnu_valid_and_invalid_html(tmp_path: Path) -> None:
    good = tmp_path / "good.html"
    good.write_text(GOOD_PAGE, encoding="utf-8")
    bad = tmp_path / "bad.html"
    bad.write_text(INVALID_PAGE, encoding="utf-8")
    errors = vnu_errors([good, bad])  # one JVM for both
    assert not [e for e in errors if e.startswith(f"{good}:")], errors
    bad_errors = [e for e in errors if e.startswith(f"{bad}:")]
    assert len(bad_errors) >= 1, errors
    assert vnu_errors([]) == []
