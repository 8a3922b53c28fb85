"""Shared fixtures: a fresh copy of the starter inventory, a fresh store on SQLite and on a real
PostgreSQL server, and a CliRunner.

Tests that take ``database_url`` (or ``project``) run twice: once on a SQLite file, once on
PostgreSQL started by the tests themselves (tests/servers.py).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from kb.project import Project

REPO = Path(__file__).resolve().parent.parent
STARTER = REPO / "entries"
STARTER_COUNT = sum(1 for p in STARTER.glob("*.md") if p.name != "README.md")  # the shipped entries
ARTIFACTS = REPO / "tests" / "artifacts"


BROWSER_FIXTURES = {"pw", "browser", "contexts", "page"}  # tests/test_browser.py, tests/test_servers.py
SERVER_FIXTURES = {"postgres", "pg"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that need Chromium (``browser``) or a PostgreSQL server (``server``),
    wherever they live, from the fixtures they use: a test on ``database_url`` (or
    ``project``) runs on PostgreSQL in its 'postgresql' case."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        params = getattr(getattr(item, "callspec", None), "params", {})
        if names & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if names & SERVER_FIXTURES or params.get("database_url") == "postgresql":
            item.add_marker(pytest.mark.server)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never read the developer's KB_* settings, and read kb's messages in English unless
    they ask for another language."""
    for name in ("KB_ENTRIES", "KB_DATABASE_URL", "KB_INDEX_DIR", "KB_BASE_URL", "KB_REPOSITORY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("KB_LANG", "en")


def copy_starter(target: Path) -> Path:
    """``target`` made a writable copy of the starter inventory (entries/*.md, without the README)."""
    target.mkdir(parents=True, exist_ok=True)
    for path in STARTER.glob("*.md"):
        if path.name != "README.md":
            shutil.copy2(path, target / path.name)
    return target


def synthetic_project(root: Path, count: int) -> Project:
    """A project over ``count`` synthetic entries (scripts/gen_corpus.py) under ``root``, with
    its SQLite store and search index there; nothing indexed yet."""
    entries = root / "entries"
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_corpus.py"), str(entries), "-n", str(count)],
        check=True,
        capture_output=True,
    )
    return Project(
        root=root, entries_dir=entries, database_url=f"sqlite:///{root / 'kb.sqlite'}", index_dir=root / "whoosh"
    )


def killed_at(phase: str, command: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    """Run ``command`` (a kb build) until it pauses at ``phase`` (kb.faults.pause), then kill it
    with everything it started (workers, Pagefind)."""
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env={**(env or os.environ), "KB_TEST_PAUSE": phase},
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert f"paused at {phase}" in process.stderr.readline()
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        process.stderr.close()


@pytest.fixture
def entries_dir(tmp_path: Path) -> Path:
    """A writable copy of the starter inventory (entries/*.md, without the README)."""
    return copy_starter(tmp_path / "entries")


@pytest.fixture(scope="session")
def postgres(tmp_path_factory: pytest.TempPathFactory):
    """One real PostgreSQL server for the whole session, on loopback."""
    from servers import start_postgres

    server = start_postgres(tmp_path_factory.mktemp("postgres"))
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty store: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store' / 'kb.sqlite'}"
    return request.getfixturevalue("postgres").fresh_database()


@pytest.fixture
def project(tmp_path: Path, entries_dir: Path, database_url: str):
    project = Project(root=tmp_path, entries_dir=entries_dir, database_url=database_url)
    yield project
    project.close()


@pytest.fixture
def sqlite_project(tmp_path: Path, entries_dir: Path):
    """A project on the embedded default (SQLite under .kb/), for tests about one back end only."""
    project = Project(root=tmp_path, entries_dir=entries_dir)
    yield project
    project.close()


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def make_entry(directory: Path, name: str, front: str, body: str = "Un texte.\n") -> Path:
    """Write a hand-made entry file; ``front`` is the YAML between the --- lines."""
    path = directory / f"{name}.md"
    path.write_text(f"---\n{front.strip()}\n---\n{body}", encoding="utf-8")
    return path


MINIMAL = """\
title: "Une étude"
type: study
year: 2021
scale: [region]
criteria: [population_size]
language: fr
"""

TRANSLATED = "cartographie-maisons-medicales"  # the id of write_translated()'s entry
TRANSLATED_FRONT = """\
title: "Cartographie des maisons médicales"
type: study
year: 2022
scale: [commune]
criteria: [existing_offer]
basis: [service_catchment]
territories: ["21004"]
language: fr
summary: "Une carte des maisons médicales et de leurs zones."
translations:
  nl:
    title: "Kaart van de wijkgezondheidscentra"
    summary: "Een kaart van de wijkgezondheidscentra en hun werkingsgebieden."
"""


def write_translated(directory: Path, **fields: str) -> Path:
    """Write the entry the translation tests share (search, site, browser): French, with the
    inventory's Dutch translation of its title and summary, and a basis; ``fields`` adds
    front-matter fields (strings, quoted), such as the site test's citation fields."""
    extra = "".join(f"{name}: {json.dumps(value, ensure_ascii=False)}\n" for name, value in fields.items())
    return make_entry(directory, TRANSLATED, TRANSLATED_FRONT + extra, "## Contenu\n\nUne étude.\n")


@pytest.fixture
def tmpfs(tmp_path: Path):
    """Mount a small tmpfs: ``tmpfs(folder, size)`` (size as mount takes it, e.g. '24m'); each
    is unmounted at the end. Skips where the machine does not let the tests mount (not root,
    or a container without CAP_SYS_ADMIN)."""
    import subprocess

    mounted: list[Path] = []

    def mount(folder: Path, size: str) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], capture_output=True, text=True
        )
        if result.returncode != 0:
            pytest.skip(
                f"this machine does not let the tests mount a tmpfs (needs root and CAP_SYS_ADMIN): "
                f"{result.stderr.strip()}"
            )
        mounted.append(folder)
        return folder

    yield mount
    for folder in reversed(mounted):
        subprocess.run(["umount", "-l", str(folder)], check=False)
