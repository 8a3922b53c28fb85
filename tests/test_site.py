"""The site build: pages for every entry and facet value, determinism, incremental rewrites,
atomicity (a failed or killed build never touches the live site), sanitised bodies."""

from __future__ import annotations

import html

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from conftest import MINIMAL, REPO, TRANSLATED, killed_at, make_entry, write_translated
from kb import bibliography as biblio
from kb.cli import cli
from kb.entries import territories, vocab
from kb.project import Project, Refused


def tree_digest(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def clean_site(entries_dir: Path, root: Path, search: bool = True) -> dict[str, str]:
    """The digest of the site a fresh project in ``root`` builds from ``entries_dir``: what an
    incremental build must equal."""
    clean = Project(root=root, entries_dir=entries_dir)
    try:
        clean.build(search=search)
    finally:
        clean.close()
    return tree_digest(clean.site_dir)


def front(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag == "a" and dict(attrs).get("href"):
            self.links.append(dict(attrs)["href"])


def parse(path: Path) -> Links:
    parser = Links()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """One build of the starter inventory, shared by the read-only tests."""
    root = tmp_path_factory.mktemp("site")
    entries = root / "entries"
    entries.mkdir()
    for path in (REPO / "entries").glob("*.md"):
        if path.name != "README.md":
            (entries / path.name).write_bytes(path.read_bytes())
    project = Project(root=root)
    report = project.build()
    project.close()
    return root, report


def test_every_entry_has_a_page_in_both_languages(built):
    root, report = built
    site = root / "site"
    ids = [p.stem for p in (root / "entries").glob("*.md")]
    assert report.entries == len(ids) >= 30
    for entry_id in ids:
        for lang in ("fr", "nl"):
            page = site / lang / "entries" / entry_id / "index.html"
            text = page.read_text(encoding="utf-8")
            assert f'<html lang="{lang}">' in text
            assert front(root / "entries" / f"{entry_id}.md")["title"] in html.unescape(text)


def test_a_listing_page_for_every_value_of_every_dimension_with_counts(built):
    root, _ = built
    site = root / "site"
    counts: dict[tuple[str, str], int] = {}
    for path in (root / "entries").glob("*.md"):
        data = front(path)
        tags = {
            "type": [data["type"]],
            "scale": data["scale"],
            "criteria": data["criteria"],
            "partners": data.get("partners", []),
            "territories": [str(t) for t in data.get("territories", [])],
            "year": [str(data["year"])],
            "language": [data["language"]],
        }
        for dimension, values in tags.items():
            for value in values:
                counts[dimension, value] = counts.get((dimension, value), 0) + 1
    # A territory lists the entries about it (kb.entries.territories): for a bassin, also those
    # about its communes (tests/test_territories.py checks that rule against the CLI and the map).
    geo = territories.geography(vocab.load())
    for bassin in geo.bassins:
        counts["territories", bassin] = sum(
            1
            for path in (root / "entries").glob("*.md")
            if geo.reach(bassin).relation(str(t) for t in front(path).get("territories", [])) == "own"
        )
    for (dimension, value), n in counts.items():
        for lang in ("fr", "nl"):
            page = site / lang / dimension / value / "index.html"
            text = page.read_text(encoding="utf-8")
            assert f'<p class="total">{n} fiche' in text, (dimension, value)
            assert text.count('<li class="card">') == n
    index = (site / "fr" / "scale" / "index.html").read_text(encoding="utf-8")
    assert 'href="region/"' in index


def test_citations_made_once_are_those_of_each_entry(built):
    """Each entry's COinS and BibTeX are made with its French page and handed back by the page
    worker for its Dutch page and kb.bib (Site.citations): both pages and the whole-inventory
    downloads hold what kb.bibliography makes of the entry itself."""
    root, _ = built
    project = Project(root=root)
    entries = project.store.entries()
    project.close()
    site = root / "site"
    for fmt, name in (("bibtex", "kb.bib"), ("ris", "kb.ris"), ("csljson", "kb.json")):
        assert (site / "export" / name).read_text(encoding="utf-8") == biblio.export(entries, fmt), name
    for entry in entries:
        for lang in ("fr", "nl"):
            page = (site / lang / "entries" / entry.id / "index.html").read_text(encoding="utf-8")
            coins = re.search(r'<span class="Z3988" title="([^"]*)">', page).group(1)
            bibtex = re.search(r'<pre id="kb-bibtex">(.*?)</pre>', page, re.S).group(1)
            assert html.unescape(coins) == biblio.coins(entry), (entry.id, lang)
            assert html.unescape(bibtex) == biblio.bibtex([entry]), (entry.id, lang)


def test_entry_pages_link_to_their_facet_pages_and_related_entries(built):
    root, _ = built
    page = root / "site" / "fr" / "entries" / "monitoring-des-quartiers" / "index.html"
    links = parse(page).links
    for href in (
        "scale/quartier_monitoring/",
        "criteria/physical_boundary/",
        "type/tool/",
        "year/2006/",
        "territories/region/",
    ):
        assert f"../../../fr/{href}" in links
    related = [
        h
        for h in links
        if h.startswith("../../../fr/entries/") and "monitoring-des-quartiers" not in h and h != "../../../fr/entries/"
    ]
    assert related and all((page.parent / h / "index.html").resolve().is_file() for h in related)


def test_every_internal_link_resolves(built):
    root, _ = built
    site = root / "site"
    broken = []
    for page in site.rglob("*.html"):
        if page.name == "404.html":
            continue
        for href in parse(page).links:
            if re.match(r"^[a-z]+:", href) or href.startswith(("#", "/")):
                continue
            target = (page.parent / href.split("#")[0].split("?")[0]).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{page.relative_to(site)} -> {href}")
    assert not broken, broken[:10]


def test_only_french_entry_pages_are_indexed_for_search(built):
    root, _ = built
    site = root / "site"
    fr = (site / "fr" / "entries" / "bruzel-eerstelijnszone" / "index.html").read_text(encoding="utf-8")
    nl = (site / "nl" / "entries" / "bruzel-eerstelijnszone" / "index.html").read_text(encoding="utf-8")
    assert "data-pagefind-body" in fr and "data-pagefind-body" not in nl
    # nothing reads Pagefind's attributes on the pages it does not index
    assert "data-pagefind-" not in nl
    assert 'data-pagefind-filter="scale:eerstelijnszone"' in fr
    assert (site / "pagefind" / "pagefind.js").is_file()
    assert re.search(r'<section class="body"[^>]* lang="nl"', fr)  # the Dutch body is marked as Dutch


def test_two_builds_of_the_same_entries_are_byte_identical(built, tmp_path, monkeypatch):
    """The second build renders pages and rewrites the search bundle's chunks in forked workers,
    in runs as short as they can be, fresh page workers every two tasks of a few pages: how the
    work is split changes nothing."""
    from kb import workers
    from kb.site import pagefind, render

    monkeypatch.setattr(render, "PARALLEL_FROM", 1)
    monkeypatch.setattr(render, "RENEW", 2)
    monkeypatch.setattr(workers, "CHUNK", 8)
    monkeypatch.setattr(pagefind, "PARALLEL_RUNS", 1)
    monkeypatch.setattr(pagefind, "RUN", 1)  # a run is cut wherever _unprefixed allows
    monkeypatch.setattr(workers, "WORKERS", 2)
    root, _ = built
    other = Project(root=tmp_path, entries_dir=root / "entries")
    other.build(tmp_path / "again")
    other.close()
    first, second = tree_digest(root / "site"), tree_digest(tmp_path / "again")
    assert first == second


def test_builds_on_two_file_systems_are_byte_identical(built, tmp_path):
    """Pagefind reads the pages in directory-listing order, which differs between tmpfs and a
    disk file system: the bundle must not show it."""
    shm = Path("/dev/shm")
    if not (shm.is_dir() and os.access(shm, os.W_OK)) or shm.stat().st_dev == tmp_path.stat().st_dev:
        pytest.skip("needs a writable /dev/shm on another file system than the test's folder")
    root, _ = built
    with tempfile.TemporaryDirectory(dir=shm) as memory:
        other = Project(root=Path(memory), entries_dir=root / "entries")
        other.build()
        other.close()
        assert tree_digest(Path(memory) / "site") == tree_digest(root / "site")


def test_incremental_builds_equal_a_clean_build(sqlite_project, tmp_path):
    """Pages and the search bundle, both trees: what a site holds does not depend on its history."""
    sqlite_project.build()
    path = sqlite_project.entries_dir / "barometre-social-2023.md"
    path.write_text(
        path.read_text(encoding="utf-8") + "\nUne phrase sur l'accessibilité des quartiers.\n", encoding="utf-8"
    )
    (sqlite_project.entries_dir / "edrlr-espace-developpement-renforce-logement.md").unlink()
    for _ in range(2):  # the first rebuild starts from a copy of the live site, the second from the other tree
        report = sqlite_project.build()
        assert "search" in report.timings
        assert tree_digest(sqlite_project.site_dir) == clean_site(sqlite_project.entries_dir, tmp_path / f"clean-{_}")
        path.write_text(path.read_text(encoding="utf-8") + "\nEncore une phrase.\n", encoding="utf-8")


def test_an_edited_page_goes_live_before_the_search_bundle_is_remade(sqlite_project):
    """After a few edits, readers get the new pages at once, with the last bundle, which Pagefind's
    new bundle then replaces; a clean build gives the same site."""
    sqlite_project.build()
    site = sqlite_project.site_dir
    bundle = tree_digest(site / "pagefind")
    path = sqlite_project.entries_dir / "barometre-social-2023.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nUne phrase sur la santé mentale.\n", encoding="utf-8")
    seen = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "search":  # Pagefind starts: the pages are live, the bundle is the last one
            page = (site / "fr" / "entries" / "barometre-social-2023" / "index.html").read_text(encoding="utf-8")
            seen.append(("santé mentale" in page, tree_digest(site / "pagefind") == bundle))

    report = sqlite_project.build(progress=progress)
    assert seen == [(True, True)]
    assert report.written == [
        "fr/entries/barometre-social-2023/index.html",
        "nl/entries/barometre-social-2023/index.html",
    ]
    assert 0 < report.live < sum(report.timings.values())
    assert tree_digest(site / "pagefind") != bundle
    assert not site.with_name(".site.search").exists()
    assert tree_digest(site) == clean_site(sqlite_project.entries_dir, sqlite_project.root / "clean")


def test_when_search_fails_after_the_pages_went_live_the_last_bundle_stays(runner, sqlite_project):
    sqlite_project.build()
    site = sqlite_project.site_dir
    bundle = tree_digest(site / "pagefind")
    path = sqlite_project.entries_dir / "barometre-social-2023.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nUne phrase de plus.\n", encoding="utf-8")
    site.with_name(".site.search").write_text("in the way")  # Pagefind cannot write its bundle
    os.chdir(sqlite_project.root)
    result = runner.invoke(cli, ["build", "--quiet"])
    assert result.exit_code == 1
    assert "search index not updated" in result.output and "its search still uses the previous index" in result.output
    page = site / "fr" / "entries" / "barometre-social-2023" / "index.html"
    assert "Une phrase de plus." in page.read_text(encoding="utf-8")
    # The edit's delta made it searchable before Pagefind failed over its shard (kb.site.pagefind).
    now = tree_digest(site / "pagefind")
    assert {path: digest for path, digest in now.items() if not path.startswith(("delta-", "kb-search"))} == {
        path: digest for path, digest in bundle.items() if not path.startswith("kb-search")
    }
    assert '"delta":{' in (site / "pagefind" / "kb-search.json").read_text(encoding="utf-8")
    site.with_name(".site.search").unlink()
    assert "search" in sqlite_project.build().timings  # the next build indexes what the failed one did not
    assert tree_digest(site / "pagefind") != bundle


def test_unchanged_build_does_not_index_again(sqlite_project):
    sqlite_project.build()
    sqlite_project.build()  # the other tree
    report = sqlite_project.build()
    assert "search" not in report.timings


def test_unchanged_build_writes_nothing(sqlite_project):
    sqlite_project.build()
    report = sqlite_project.build()
    assert report.written == []
    assert report.pages > 300


def test_editing_a_body_rewrites_only_that_entrys_pages(sqlite_project):
    sqlite_project.build()
    path = sqlite_project.entries_dir / "barometre-social-2023.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nUne phrase de plus.\n", encoding="utf-8")
    report = sqlite_project.build()
    # The downloads hold the metadata, not the body: they stay as they are.
    assert sorted(report.written) == sorted(
        ["fr/entries/barometre-social-2023/index.html", "nl/entries/barometre-social-2023/index.html"]
    )
    page = sqlite_project.site_dir / "fr" / "entries" / "barometre-social-2023" / "index.html"
    assert "Une phrase de plus." in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("builds", [1, 2])
def test_a_first_edit_after_a_full_build_goes_live_before_the_site_is_copied(sqlite_project, tmp_path, builds):
    """With no tree beside the live one yet (after one full build), a body edit's pages are
    renamed into the live site first, before the copy of it that the rest of the build writes
    into (1 s at 10,000 entries); with both trees made, they go live in one swap."""
    for _ in range(builds):
        sqlite_project.build(search=False)
    path = sqlite_project.entries_dir / "barometre-social-2023.md"
    path.write_text(path.read_text(encoding="utf-8") + "\nUne phrase de plus.\n", encoding="utf-8")
    report = sqlite_project.build(search=False)
    assert ("own pages" in report.timings) == (builds == 1)
    assert (report.live < report.listed) == (builds == 1)
    assert tree_digest(sqlite_project.site_dir) == clean_site(
        sqlite_project.entries_dir, tmp_path / "clean", search=False
    )


def _restored(project: Project, root: Path) -> Project:
    """A project in ``root`` as the site workflow starts one (.github/workflows/site.yml): a
    fresh checkout of the entries (new files, new times) with ``project``'s trees and state
    restored from a cache, as actions/cache packs and unpacks them (GNU tar, POSIX format)."""
    shutil.copytree(project.entries_dir, root / "entries", copy_function=shutil.copyfile)
    folders = [name for name in (".kb", "site", ".site.next") if (project.root / name).is_dir()]
    packed = subprocess.run(["tar", "--posix", "-cf", "-", *folders], cwd=project.root, capture_output=True, check=True)
    subprocess.run(["tar", "-xf", "-"], cwd=root, input=packed.stdout, check=True)
    return Project(root=root, entries_dir=root / "entries")


@pytest.mark.parametrize("trees", [1, 2])
def test_trees_restored_from_a_cache_keep_their_manifests(sqlite_project, tmp_path, trees):
    """A tree restored from the workflow's cache is a new folder (a new inode, which its
    manifest was named after): it takes the manifest that describes its files, so the build
    writes nothing, nor indexes again (kb.site.output.adopt)."""
    for _ in range(trees):
        sqlite_project.build()
    restored = _restored(sqlite_project, tmp_path / "ci")
    try:
        report = restored.build()
    finally:
        restored.close()
    assert report.written == [] and "search" not in report.timings


def test_an_edit_after_a_restore_rewrites_only_its_pages_and_equals_a_clean_build(sqlite_project, tmp_path):
    sqlite_project.build(search=False)
    sqlite_project.build(search=False)
    restored = _restored(sqlite_project, tmp_path / "ci")
    try:
        _edit(restored.entries_dir / "barometre-social-2023.md", "\n## ", "\nUne phrase de plus.\n\n## ")
        report = restored.build(search=False)
    finally:
        restored.close()
    assert sorted(report.written) == [
        "fr/entries/barometre-social-2023/index.html",
        "nl/entries/barometre-social-2023/index.html",
    ]
    assert tree_digest(restored.site_dir) == clean_site(restored.entries_dir, tmp_path / "clean", search=False)


def test_restored_trees_given_each_others_numbers_take_their_own_manifests(sqlite_project, tmp_path):
    """A runner unpacking the cache may give a restored tree the inode number the other tree
    had when its manifest was saved: here each manifest is named after the other restored
    tree's inode alone (as manifests were named before they held the machine's boot, which a
    runner never shares). Each tree takes the manifest of what it holds: the tree one build
    behind, taking the live tree's, would be swapped live without the edit."""
    sqlite_project.build(search=False)
    _edit(sqlite_project.entries_dir / "barometre-social-2023.md", "\n## ", "\nUne phrase de plus.\n\n## ")
    sqlite_project.build(search=False)
    restored = _restored(sqlite_project, tmp_path / "ci")
    state = restored.root / ".kb" / "site"
    trees = [restored.site_dir, restored.root / ".site.next"]
    saved = {tree: sqlite_project.root / tree.name for tree in trees}
    for tree, other in zip(trees, reversed(trees)):
        (saved_manifest,) = state.glob(f"manifest-*-{saved[tree].stat().st_ino}.pickle")
        saved_manifest.rename(state / f"x-{other.stat().st_ino}")
    for file in state.glob("x-*"):
        file.rename(state / f"manifest-{file.name[2:]}.pickle")
    try:
        report = restored.build(search=False)
    finally:
        restored.close()
    assert report.written
    assert tree_digest(restored.site_dir) == clean_site(restored.entries_dir, tmp_path / "clean", search=False)


def test_a_restored_tree_whose_files_changed_is_rewritten_whole(sqlite_project, tmp_path):
    """A manifest is adopted only by a tree holding every file it names as it was saved: here
    one page of the live tree was written again (a new time), so neither manifest describes it;
    every page is then written, and the site is what a clean build makes."""
    sqlite_project.build(search=False)
    restored_root = tmp_path / "ci"
    page = sqlite_project.site_dir / "fr" / "index.html"
    page.write_bytes(page.read_bytes())
    restored = _restored(sqlite_project, restored_root)
    try:
        report = restored.build(search=False)
    finally:
        restored.close()
    assert len(report.written) == report.pages
    assert tree_digest(restored.site_dir) == clean_site(restored.entries_dir, tmp_path / "clean", search=False)


def test_pruning_a_tree_leaves_its_search_bundle_whole(tmp_path):
    """The search bundle is replaced whole (kb.site.pagefind): a manifest naming one of its
    files that the build no longer produces (the search mark of an older kb) drops the name
    and keeps the file, which the tree's search still reads."""
    from kb.site.output import Tree

    tree = Tree(tmp_path / "site", tmp_path / "state", "design")
    for path in ("fr/old/index.html", "pagefind/pagefind-entry.json"):
        (tree.path / path).parent.mkdir(parents=True, exist_ok=True)
        (tree.path / path).write_text("{}", encoding="utf-8")
        tree.record(path, "key")
    assert tree.prune(set()) == 1
    assert not (tree.path / "fr").exists() and (tree.path / "pagefind" / "pagefind-entry.json").is_file()
    assert tree.manifest == {}


def test_editing_a_summary_rewrites_the_downloads(sqlite_project):
    sqlite_project.build()
    path = sqlite_project.entries_dir / "barometre-social-2023.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("summary: >-\n  ", "summary: >-\n  Nouveau résumé. ", 1), encoding="utf-8")
    report = sqlite_project.build()
    downloads = ["export/kb.bib", "export/kb.json", "export/kb.ris"]
    assert set(downloads) <= set(report.written)
    assert "Nouveau résumé." in (sqlite_project.site_dir / "export" / "kb.bib").read_text(encoding="utf-8")


def test_editing_a_title_rewrites_the_pages_that_show_it(sqlite_project):
    sqlite_project.build()
    path = sqlite_project.entries_dir / "barometre-social-2023.md"
    text = path.read_text(encoding="utf-8")
    old_title = front(path)["title"]
    path.write_text(text.replace(old_title, "Baromètre social 2023 (édition revue)", 1), encoding="utf-8")
    report = sqlite_project.build()
    written = set(report.written)
    assert "fr/entries/barometre-social-2023/index.html" in written
    assert "fr/type/report/index.html" in written or "fr/type/dataset/index.html" in written
    assert "fr/year/2024/index.html" in written
    assert len(written) < report.pages / 3
    unrelated = "fr/entries/bruzel-eerstelijnszone/index.html"
    mentions = "barometre-social-2023" in (sqlite_project.site_dir / unrelated).read_text(encoding="utf-8")
    assert (unrelated in written) == mentions


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


# Edits that change what other pages show: each one rebuilds from the listings and related
# entries the tree's outline names (kb.site.build._metadata_plan).
METADATA_EDITS = {
    "title": lambda d: _edit(d / "barometre-social-2023.md", 'title: "Baromètre', 'title: "Zéro baromètre'),
    "tag added": lambda d: _edit(
        d / "barometre-social-2023.md", "territories: [region]", 'territories: [region, "21004", bassin_nord]'
    ),
    "tag removed": lambda d: _edit(
        d / "bruzel-eerstelijnszone.md", "scale: [eerstelijnszone, region]", "scale: [eerstelijnszone]"
    ),
    "year": lambda d: _edit(d / "edrlr-espace-developpement-renforce-logement.md", "year: 2002", "year: 2025"),
    "entry removed": lambda d: (d / "edrlr-espace-developpement-renforce-logement.md").unlink(),
    "entry added": lambda d: make_entry(d, "aaa-nouvelle-etude", MINIMAL + 'territories: ["21004"]\n'),
    "two at once": lambda d: (
        _edit(d / "bruzel-eerstelijnszone.md", 'title: "BruZEL', 'title: "Aa BruZEL'),
        (d / "barometre-social-2023.md").unlink(),
    ),
}


@pytest.mark.parametrize("edit", METADATA_EDITS)
def test_a_metadata_edit_rebuilds_what_shows_it_and_equals_a_clean_build(sqlite_project, tmp_path, monkeypatch, edit):
    """Both trees (one build behind each other), with listings of five entries a page, so that
    an edit moves entries across pages and the map's areas get listings of their own."""
    from kb.site import pages

    monkeypatch.setattr(pages, "PAGE_SIZE", 5)
    sqlite_project.build(search=False)
    sqlite_project.build(search=False)  # both trees made: the next builds start from one of them
    site = sqlite_project.site_dir
    before = tree_digest(site)
    METADATA_EDITS[edit](sqlite_project.entries_dir)
    expected = clean_site(sqlite_project.entries_dir, tmp_path / "clean", search=False)
    for tree in ("the other tree", "the tree one build behind"):
        report = sqlite_project.build(search=False)
        assert report.plan == "metadata", tree
        assert tree_digest(site) == expected, tree
        # A title edit's own pages go live first (kb.site.build._own_pages_first); an edit that
        # changes what entries are related or listed goes live with the pages listing it.
        assert ("own pages" in report.timings) == (edit == "title"), tree
        assert (report.live < report.listed) == (edit == "title"), tree
    changed = {path for path, digest in expected.items() if before.get(path) != digest}
    assert changed <= set(report.written)
    assert len(report.written) < report.pages / 3


@pytest.mark.parametrize("copy", ["one edit behind", "unreadable", "of another shape"])
def test_the_entries_kept_between_builds_never_change_the_site(sqlite_project, tmp_path, copy):
    """The site's copy of the store's entries (.kb/site/entries.pickle, read lazily:
    kb.entries.lazy) holding the edited entry as it was, unreadable, or written by a kb whose
    entries had other fields: a rebuild after a title edit still equals a clean build, and
    leaves a copy the next rebuild reads."""
    import pickle

    sqlite_project.build(search=False)
    sqlite_project.build(search=False)  # both trees made: the next build starts from one of them
    cache = sqlite_project.root / ".kb" / "site" / "entries.pickle"
    METADATA_EDITS["title"](sqlite_project.entries_dir)
    sqlite_project.index(search=False)  # the store has the edit; the copy does not
    if copy == "unreadable":
        cache.write_bytes(b"not a pickle")
    elif copy == "of another shape":  # whole entries by id, as kb wrote them before kb.entries.lazy
        shape, records = pickle.loads(cache.read_bytes())
        entries = {i: pickle.loads(whole) for i, (_, whole) in records.items()}
        cache.write_bytes(pickle.dumps((shape[0], entries)))
    expected = clean_site(sqlite_project.entries_dir, tmp_path / "clean", search=False)
    rebuilt = Project(root=sqlite_project.root, entries_dir=sqlite_project.entries_dir)  # nothing indexed by it
    try:
        assert rebuilt.build(search=False).plan == "metadata"
        assert tree_digest(sqlite_project.site_dir) == expected
        shape, records = pickle.loads(cache.read_bytes())
        assert "Zéro baromètre" in pickle.loads(records["barometre-social-2023"][1]).title
    finally:
        rebuilt.close()


def test_a_process_building_again_reads_what_another_run_stored(sqlite_project, tmp_path):
    """A project keeps the entries its last build read (``kb serve`` builds again after each
    edit: StoredEntries.read); an entry another run has stored since (``kb index`` in another
    process) is read again, not shown as it was."""
    sqlite_project.build(search=False)
    sqlite_project.build(search=False)  # both trees made, and the entries read
    METADATA_EDITS["title"](sqlite_project.entries_dir)
    other = Project(root=sqlite_project.root, entries_dir=sqlite_project.entries_dir)
    try:
        other.index(search=False)
    finally:
        other.close()
    expected = clean_site(sqlite_project.entries_dir, tmp_path / "clean", search=False)
    assert sqlite_project.build(search=False).plan == "metadata"
    assert tree_digest(sqlite_project.site_dir) == expected


DOWNLOADS = ("export/kb.bib", "export/kb.ris", "export/kb.json", "data/kb.sqlite", "data/kb.csv", "data/kb.json")


def test_after_a_title_edit_the_pages_go_live_before_the_downloads(sqlite_project):
    sqlite_project.build(search=False)
    site = sqlite_project.site_dir
    before = tree_digest(site)
    METADATA_EDITS["title"](sqlite_project.entries_dir)
    seen = []

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "downloads" and not done:
            page = (site / "fr" / "entries" / "barometre-social-2023" / "index.html").read_text(encoding="utf-8")
            now = tree_digest(site)
            seen.append(("Zéro baromètre" in page, all(now[path] == before[path] for path in DOWNLOADS)))

    report = sqlite_project.build(search=False, progress=progress)
    assert seen == [(True, True)]
    assert set(DOWNLOADS) <= set(report.written) and "downloads" in report.timings
    assert "Zéro baromètre" in (site / "export" / "kb.bib").read_text(encoding="utf-8")
    assert not site.with_name(".site.put").exists()


def killed_after_a_title_edit(phase: str, root: Path, entries_dir: Path, *options: str) -> tuple[dict, dict, dict]:
    """A project in ``root`` built, a title edited, the build killed at ``phase``: the site's
    digests before the edit, as a clean build of the edit makes it (elsewhere), and now."""
    command = [sys.executable, "-m", "kb", "build", "--quiet", *options]
    subprocess.run(command, cwd=root, check=True)
    old = tree_digest(root / "site")
    METADATA_EDITS["title"](entries_dir)
    reference = root / "reference"
    reference.mkdir()
    subprocess.run(command, cwd=reference, env={**os.environ, "KB_ENTRIES": str(entries_dir)}, check=True)
    killed_at(phase, command, root)
    return old, tree_digest(reference / "site"), tree_digest(root / "site")


def test_a_build_killed_before_the_downloads_follow_leaves_them_whole(tmp_path, entries_dir):
    """Killed once the pages are live: the downloads are the previous ones, each file whole;
    the next build brings them up to date."""
    old, new, now = killed_after_a_title_edit("downloads", tmp_path, entries_dir, "--no-search")
    assert {path: now[path] for path in DOWNLOADS} == {path: old[path] for path in DOWNLOADS}
    assert {path: d for path, d in now.items() if path not in DOWNLOADS} == {
        path: d for path, d in new.items() if path not in DOWNLOADS
    }
    subprocess.run([sys.executable, "-m", "kb", "build", "--quiet", "--no-search"], cwd=tmp_path, check=True)
    assert tree_digest(tmp_path / "site") == new


def test_a_build_killed_once_a_title_edits_own_pages_are_live_leaves_the_rest_as_it_was(tmp_path, entries_dir):
    """The edited entry's two pages go live first, each file whole: killed then, the site is
    the previous one but for them, its search included; the next build completes it."""
    old, new, now = killed_after_a_title_edit("listings", tmp_path, entries_dir)
    own = {f"{lang}/entries/barometre-social-2023/index.html" for lang in ("fr", "nl")}
    assert {path: now[path] for path in own} == {path: new[path] for path in own} != {path: old[path] for path in own}
    assert {path: d for path, d in now.items() if path not in own} == {
        path: d for path, d in old.items() if path not in own
    }
    assert not (tmp_path / ".site.put").exists()
    subprocess.run([sys.executable, "-m", "kb", "build", "--quiet"], cwd=tmp_path, check=True)
    assert tree_digest(tmp_path / "site") == new


def test_many_edits_key_the_whole_site(sqlite_project):
    from kb.site import build

    sqlite_project.build(search=False)
    sqlite_project.build(search=False)
    for path in sorted(sqlite_project.entries_dir.glob("*.md"))[: build.FEW_CHANGES + 1]:
        path.write_text(re.sub(r'^(title: "?)', r"\1Z", path.read_text(encoding="utf-8"), count=1, flags=re.M))
    assert sqlite_project.build(search=False).plan == "whole"


def test_removed_entry_pages_disappear(sqlite_project):
    sqlite_project.build()
    (sqlite_project.entries_dir / "edrlr-espace-developpement-renforce-logement.md").unlink()
    report = sqlite_project.build()
    assert report.removed >= 2
    assert not (sqlite_project.site_dir / "fr" / "entries" / "edrlr-espace-developpement-renforce-logement").exists()


def test_removed_entry_pages_disappear_from_both_trees(sqlite_project):
    # The build alternates between two trees: the removal must reach the one built next too.
    gone = "edrlr-espace-developpement-renforce-logement"
    sqlite_project.build()
    sqlite_project.build()
    (sqlite_project.entries_dir / f"{gone}.md").unlink()
    sqlite_project.build()
    sqlite_project.build()
    assert not (sqlite_project.site_dir / "fr" / "entries" / gone).exists()
    assert not (sqlite_project.site_dir / "export" / "entries" / f"{gone}.json").exists()


def test_a_build_never_changes_the_files_of_the_site_it_replaces(sqlite_project):
    """The first incremental build starts from hard links to the live site's files: writing
    through one would change the live site before the swap, which keeps its files..."""
    sqlite_project.build()
    before = tree_digest(sqlite_project.site_dir)
    path = sqlite_project.entries_dir / "barometre-social-2023.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(front(path)["title"], "Baromètre social (revu)", 1) + "\nPlus.\n", encoding="utf-8")
    sqlite_project.build()
    replaced = tree_digest(sqlite_project.site_dir.with_name(".site.next"))
    # but for the edited entry's own pages, each renamed over its copy before the rest went live
    # (kb.site.build._own_pages_first): they show what the new site shows
    own = {f"{lang}/entries/barometre-social-2023/index.html" for lang in ("fr", "nl")}
    assert {path: d for path, d in replaced.items() if path not in own} == {
        path: d for path, d in before.items() if path not in own
    }
    now = tree_digest(sqlite_project.site_dir)
    assert {path: replaced[path] for path in own} == {path: now[path] for path in own}


@pytest.mark.parametrize("edit", ["body", "title"])
def test_files_the_build_did_not_write_are_swept(sqlite_project, tmp_path, edit):
    """The first build after a full one starts from a copy of the live site, which holds a file
    put there by hand: it goes, and the build plans only what the edit changed (as after any
    other build), into a site equal to a clean build's."""
    sqlite_project.build(search=False)
    stray = sqlite_project.site_dir / "fr" / "stray" / "old.html"
    stray.parent.mkdir()
    stray.write_text("<p>left by hand</p>", encoding="utf-8")
    path = sqlite_project.entries_dir / "barometre-social-2023.md"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text + "\nPlus.\n" if edit == "body" else text.replace('title: "', 'title: "Le ', 1), encoding="utf-8"
    )
    report = sqlite_project.build(search=False)
    assert not stray.exists() and not stray.parent.exists()
    assert report.plan == ("texts" if edit == "body" else "metadata")
    assert tree_digest(sqlite_project.site_dir) == clean_site(
        sqlite_project.entries_dir, tmp_path / "clean", search=False
    )


def test_entries_with_errors_leave_the_live_site_untouched(sqlite_project):
    sqlite_project.build()
    before = tree_digest(sqlite_project.site_dir)
    make_entry(sqlite_project.entries_dir, "cassee", "title: [oops")
    with pytest.raises(Refused):
        sqlite_project.build()
    assert tree_digest(sqlite_project.site_dir) == before


def test_cli_build_failure_says_the_last_site_is_unchanged(runner, sqlite_project):
    sqlite_project.build()
    before = tree_digest(sqlite_project.site_dir)
    make_entry(sqlite_project.entries_dir, "inconnue", MINIMAL.replace("scale: [region]", "scale: [galaxie]"))
    os.chdir(sqlite_project.root)
    result = runner.invoke(cli, ["build", "--quiet"])
    assert result.exit_code == 1
    assert "entries/inconnue.md:5: error: scale 'galaxie' is not in the scales vocabulary" in result.output
    assert "the last good site in" in result.output and "is unchanged" in result.output
    assert tree_digest(sqlite_project.site_dir) == before


def test_a_failing_build_step_leaves_the_live_site_untouched(sqlite_project):
    sqlite_project.build()
    before = tree_digest(sqlite_project.site_dir)
    back = sqlite_project.site_dir.with_name(".site.next")
    if back.exists():
        shutil.rmtree(back)
    back.write_text("in the way")  # the build cannot create its working tree
    with pytest.raises(OSError):
        sqlite_project.build()
    assert tree_digest(sqlite_project.site_dir) == before


def _shards(bundle: dict[str, str]) -> dict[str, str]:
    """A bundle's files but its delta and the layout file that lists it (kb.site.pagefind)."""
    return {path: digest for path, digest in bundle.items() if not path.startswith(("pagefind/delta-", "pagefind/kb-"))}


def _pages_and_bundle(site: Path) -> tuple[dict[str, str], dict[str, str]]:
    files = tree_digest(site)
    pages = {path: digest for path, digest in files.items() if not path.startswith("pagefind/")}
    return pages, {path: digest for path, digest in files.items() if path.startswith("pagefind/")}


@pytest.mark.parametrize(
    "change, phase, expected",
    [
        # No tree beside the live one yet: the edited pages are renamed into it first, before it
        # is copied (kb.site.build._own_pages_first); then Pagefind re-indexes them.
        ("body", "pages", "new pages, previous search"),
        ("body", "swap", "new pages, previous search"),
        ("body, both trees", "pages", "old"),  # a few pages: they go live first, then Pagefind re-indexes them
        ("body, both trees", "swap", "old"),
        ("body", "delta", "new pages, previous search with a delta"),  # the edit searchable (kb.site.pagefind)
        ("body", "search", "new pages, previous search with a delta"),
        ("design", "pages", "old"),  # every page: Pagefind runs while they are written, before the swap
        ("design", "search", "old"),
        ("design", "swap", "old"),
    ],
)
def test_a_killed_build_leaves_a_whole_site(tmp_path, entries_dir, change, phase, expected):
    """Kill a real `kb build` (and its Pagefind and workers) at a known point: the live site is
    wholly the old one, or the new pages with the previous search bundle, never pages or a
    bundle of two builds; the next build completes the site, search included."""
    command = [sys.executable, "-m", "kb", "build", "--quiet"]
    for _ in range(2 if change == "body, both trees" else 1):
        subprocess.run(command, cwd=tmp_path, check=True)
    old = _pages_and_bundle(tmp_path / "site")
    edited = entries_dir / "barometre-social-2023.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nUne phrase de plus.\n", encoding="utf-8")
    if change == "design":
        command += ["--base-url", "https://example.org/kb/"]
    reference = tmp_path / "reference"
    reference.mkdir()
    subprocess.run(command, cwd=reference, env={**os.environ, "KB_ENTRIES": str(entries_dir)}, check=True)
    new = _pages_and_bundle(reference / "site")

    killed_at(phase, command, tmp_path)
    pages, bundle = _pages_and_bundle(tmp_path / "site")
    states = {(True, True): "old", (False, False): "new", (False, True): "new pages, previous search"}
    state = states.get((pages == old[0], bundle == old[1]))
    if bundle not in (old[1], new[1]) and _shards(bundle) == _shards(old[1]) and pages == new[0]:
        delta = json.loads((tmp_path / "site" / "pagefind" / "kb-search.json").read_text(encoding="utf-8"))["delta"]
        assert delta["pages"] == ["barometre-social-2023"]
        state = "new pages, previous search with a delta"
    assert pages in (old[0], new[0])  # never files of two builds
    assert _shards(bundle) in (_shards(old[1]), _shards(new[1]))
    assert state == expected

    subprocess.run(command, cwd=tmp_path, check=True)
    assert _pages_and_bundle(tmp_path / "site") == new
    assert not (tmp_path / ".site.search").exists()


HOSTILE = """\
## Titre sûr

<script>alert(1)</script>
<img src="x" onerror="alert(2)">
<a href="javascript:alert(3)">lien</a> [data](data:text/html;base64,PHNjcmlwdD4=)
<iframe src="https://example.org"></iframe><style>body{display:none}</style>
<div onclick="alert(4)" style="color:red">texte</div>
[ok](https://example.org/page) et [relatif](../autre/)
"""


def test_hostile_html_in_a_body_is_removed(sqlite_project):
    make_entry(sqlite_project.entries_dir, "hostile", MINIMAL, HOSTILE)
    sqlite_project.build(search=False)
    html = (sqlite_project.site_dir / "fr" / "entries" / "hostile" / "index.html").read_text(encoding="utf-8")
    body = html.split('<section class="body"', 1)[1].split("</section>", 1)[0]
    for bad in ("<script", "onerror", "javascript:", "data:text", "<iframe", "<style", "onclick", "style="):
        assert bad not in body, bad
    assert '<h3 id="titre-sur">Titre sûr</h3>' in body  # body headings sit under the page's h2
    assert 'href="https://example.org/page"' in body and 'href="../autre/"' in body


def test_gitignore_covers_every_folder_kb_leaves(tmp_path, entries_dir):
    """A checkout after kb index, kb build (twice: the tree beside the live site) and builds
    into another folder shows no derived file as untracked but that folder, the user's choice."""
    shutil.copy(REPO / ".gitignore", tmp_path / ".gitignore")
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    public = ["build", "--quiet", "-o", "public"]
    for command in (["index"], ["build", "--quiet"], ["build", "--quiet"], public, public):
        subprocess.run([sys.executable, "-m", "kb", *command], cwd=tmp_path, check=True, capture_output=True)
    assert {p.name for p in tmp_path.iterdir()} >= {".kb", "site", ".site.next", "public", ".public.next"}
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.splitlines()
    assert sorted({line[3:].split("/")[0] for line in status}) == [".gitignore", "entries", "public"]


# -- translations and basis on the site ---------------------------------------------------------

CITATION = {"container": "Bruxelles Santé", "volume": "96", "pages": "12-15"}  # shown on the entry's page


def test_pages_show_the_readers_language_and_the_original(sqlite_project):
    write_translated(sqlite_project.entries_dir, **CITATION)
    sqlite_project.build(search=False)
    site = sqlite_project.site_dir
    nl = (site / "nl" / "entries" / TRANSLATED / "index.html").read_text(encoding="utf-8")
    assert "<h1>Kaart van de wijkgezondheidscentra</h1>" in nl
    assert (
        '<p class="original"><span><span class="mark">Vertaling</span> titel en samenvatting '
        'vertaald door de inventaris. Oorspronkelijke titel:</span> <cite lang="fr">Cartographie des maisons '
        "médicales</cite></p>"
    ) in nl
    assert '<p class="lead">Een kaart van de wijkgezondheidscentra en hun werkingsgebieden.</p>' in nl
    assert "<title>Kaart van de wijkgezondheidscentra" in nl
    fr = (site / "fr" / "entries" / TRANSLATED / "index.html").read_text(encoding="utf-8")
    assert '<h1 data-pagefind-meta="title">Cartographie des maisons médicales</h1>' in fr
    assert 'class="original"' not in fr
    # the French page, which Pagefind indexes, carries the Dutch title and summary
    languages = fr.split('<section class="languages"', 1)[1].split("</section>", 1)[0]
    assert '<div lang="nl">' in languages and "<cite>Kaart van de wijkgezondheidscentra</cite>" in languages
    assert (
        "<p>Een kaart van de wijkgezondheidscentra en hun werkingsgebieden.</p>" in languages
        and "Traduction" in languages
    )
    # what search.js cannot fall back to: the Dutch title and its language (the French title is
    # the h1's, the original is the French title, the French title's language the entry's)
    meta = fr.split("<div hidden data-pagefind-ignore>", 1)[1].split("</div>", 1)[0]
    assert re.findall(r'<span data-pagefind-meta="([^"]+)">([^<]*)</span>', meta) == [
        ("title_nl", "Kaart van de wijkgezondheidscentra"),
        ("lang_nl", "nl"),
    ]
    # the basis and the citation fields
    assert 'href="../../../fr/basis/service_catchment/" data-pagefind-filter="basis:service_catchment"' in fr
    assert "<dt>Base de délimitation</dt>" in fr and "<cite>Bruxelles Santé</cite>, vol. 96, p. 12-15" in fr
    # a card in a Dutch listing: the Dutch title, marked, with the original beside it
    listing = (site / "nl" / "basis" / "service_catchment" / "index.html").read_text(encoding="utf-8")
    assert (
        '>Kaart van de wijkgezondheidscentra</a></h2>\n<p class="original"><span class="mark">Vertaling</span> '
        'Oorspronkelijke titel: <cite lang="fr">Cartographie des maisons médicales</cite></p>' in listing
    )
    assert "<h1>Fiches 'Verzorgingsgebied of populatieverantwoordelijkheid'</h1>" in listing  # ' unescaped
    # an entry without a translation keeps its own title, marked with its language
    make_entry(sqlite_project.entries_dir, "sans-traduction", MINIMAL)
    sqlite_project.build(search=False)
    other = (site / "nl" / "entries" / "sans-traduction" / "index.html").read_text(encoding="utf-8")
    assert '<h1 lang="fr">' in other and 'class="original"' not in other
    # nothing to tell search.js that it does not fall back to: no metadata besides the title
    other = (site / "fr" / "entries" / "sans-traduction" / "index.html").read_text(encoding="utf-8")
    assert "data-pagefind-meta" in other and "<div hidden data-pagefind-ignore>" not in other


def test_french_pages_keep_punctuation_with_its_word(sqlite_project):
    """French typography (kb.i18n.FRENCH_SPACES) reaches the pages and their scripts: at 390 px
    the compare page broke its line between "bouton «" and "Comparer »"."""
    sqlite_project.build(search=False)
    site = sqlite_project.site_dir
    compare = (site / "fr" / "compare" / "index.html").read_text(encoding="utf-8")
    assert "bouton «\u202fComparer\u202f»" in compare and "« " not in compare and " »" not in compare
    search = (site / "fr" / "search" / "index.html").read_text(encoding="utf-8")
    assert '"colon": "\u00a0:"' in search  # search.js's "Titre original : ..." on a card
    assert '"colon": ":"' in (site / "nl" / "search" / "index.html").read_text(encoding="utf-8")


def test_basis_is_browsed_filtered_and_crossed_with_scales(sqlite_project):
    write_translated(sqlite_project.entries_dir)
    sqlite_project.build(search=False)
    site = sqlite_project.site_dir
    for lang in ("fr", "nl"):
        assert (site / lang / "basis" / "index.html").is_file()
        home = (site / lang / "index.html").read_text(encoding="utf-8")
        assert 'href="basis/service_catchment/"' in home and '<li><a href="basis/">' in home
        search = (site / lang / "search" / "index.html").read_text(encoding="utf-8")
        assert '<input type="checkbox" name="basis" value="service_catchment">' in search
        matrix = (site / lang / "matrix" / "basis" / "index.html").read_text(encoding="utf-8")
        assert 'href="commune/service_catchment/"' in matrix
        cell = site / lang / "matrix" / "basis" / "commune" / "service_catchment" / "index.html"
        assert TRANSLATED in cell.read_text(encoding="utf-8")
        assert 'href="basis/"' in (site / lang / "matrix" / "index.html").read_text(encoding="utf-8")


def test_one_thing_is_counted_in_the_singular(tmp_path):
    """One entry about the whole Region, one value of a dimension: "1 fiche couvre", "1 valeur",
    not "1 fiches couvrent", "1 valeurs" (kb.i18n's _one forms)."""
    entries = tmp_path / "entries"
    entries.mkdir()
    make_entry(entries, "seule", MINIMAL + "territories: [region]\n")
    project = Project(root=tmp_path, entries_dir=entries)
    try:
        project.build(search=False)
    finally:
        project.close()
    site = tmp_path / "site"
    assert "1 fiche couvre toute la Région" in (site / "fr" / "map" / "index.html").read_text(encoding="utf-8")
    assert "1 fiche gaat over het hele Gewest" in (site / "nl" / "map" / "index.html").read_text(encoding="utf-8")
    assert '<p class="total">1 valeur</p>' in (site / "fr" / "scale" / "index.html").read_text(encoding="utf-8")
    assert '<p class="total">1 waarde</p>' in (site / "nl" / "scale" / "index.html").read_text(encoding="utf-8")
