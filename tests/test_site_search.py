"""The search bundle in shards, and the delta that makes an edit searchable before its shard is
indexed again (kb.site.pagefind): what the build writes. tests/test_browser_search.py searches
such bundles in Chromium."""

from __future__ import annotations

import gzip
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import STARTER_COUNT, killed_at
from test_site import METADATA_EDITS, tree_digest

from kb.project import Project

SHARD_SIZE = 25  # the starter's entries in five shards
EDITED = "barometre-social-2023"
SENTENCE = "Une phrase sur la gargamellerie des quartiers."
BUILD = [sys.executable, "-m", "kb", "build", "--quiet"]


def sharded(root: Path) -> None:
    (root / "kb.yml").write_text(f"search_shard_size: {SHARD_SIZE}\n", encoding="utf-8")


def layout(site: Path) -> dict:
    return json.loads((site / "pagefind" / "kb-search.json").read_text(encoding="utf-8"))


def fragments(folder: Path) -> dict[str, tuple[str, str]]:
    """Fragment id -> (URL, text) of one Pagefind index (a shard or a delta)."""
    found = {}
    for path in (folder / "fragment").glob("*.pf_fragment"):
        data = gzip.decompress(path.read_bytes())
        fragment = json.loads(data[data.index(b"{") :])
        found[path.stem] = (fragment["url"], fragment["content"])
    return found


def inodes(folder: Path) -> dict[str, int]:
    """URL -> the inode of its fragment's file, in one Pagefind index."""
    return {
        url: (folder / "fragment" / f"{page}.pf_fragment").stat().st_ino for page, (url, _) in fragments(folder).items()
    }


def shard_of(site: Path, slug: str) -> str:
    [path] = [
        shard["path"]
        for shard in layout(site)["shards"]
        if any(url == f"/{slug}/" for url, _ in fragments(site / "pagefind" / shard["path"]).values())
    ]
    return path


def shard_files(site: Path, path: str) -> dict[str, str]:
    """A shard's own files (shard 0's without the layout file and the other shards' folders)."""
    folder = site / "pagefind" / path
    own = tree_digest(folder).items()
    return {name: digest for name, digest in own if not name.startswith(("shard/", "delta-", "kb-search.json"))}


def edit(entries: Path) -> None:
    path = entries / f"{EDITED}.md"
    path.write_text(path.read_text(encoding="utf-8") + f"\n{SENTENCE}\n", encoding="utf-8")


def built_afresh(entries: Path, root: Path, shards: bool = True) -> dict[str, str]:
    """The digest of the site a ``kb build`` process makes from ``entries`` in a new project
    ``root`` (in SHARD_SIZE shards, or one): what a site caught up must equal."""
    root.mkdir()
    if shards:
        sharded(root)
    subprocess.run(BUILD, cwd=root, env={**os.environ, "KB_ENTRIES": str(entries)}, check=True)
    return tree_digest(root / "site")


def paused_at_delta(root: Path) -> None:
    """Run `kb build` until it has installed its delta, and kill it there."""
    killed_at("delta", BUILD, root)


def test_each_entry_is_indexed_once_in_one_shard(sqlite_project):
    sharded(sqlite_project.root)
    sqlite_project.build()
    site = sqlite_project.site_dir
    shards = layout(site)["shards"]
    assert [shard["path"] for shard in shards] == ["", "shard/1/", "shard/2/", "shard/3/", "shard/4/"]
    assert "delta" not in layout(site)
    urls = [url for shard in shards for url, _ in fragments(site / "pagefind" / shard["path"]).values()]
    entries = sorted(p.stem for p in sqlite_project.entries_dir.glob("*.md"))
    assert len(entries) == STARTER_COUNT
    assert sorted(urls) == [f"/{slug}/" for slug in entries]  # every entry, once
    for shard in shards[1:]:  # the search page gets Pagefind's scripts from shard 0
        folder = site / "pagefind" / shard["path"]
        assert not list(folder.glob("*.js")) and len(list(folder.glob("*.pf_meta"))) == 1
    assert (site / "pagefind" / "pagefind.js").is_file()


def test_a_shard_is_indexed_once_its_pages_are_written_before_the_others_are(sqlite_project, tmp_path):
    """The build starts Pagefind before the French entry pages are written, shard by shard
    (kb.site.pagefind.Indexing): no shard is cut for Pagefind before each of its pages is said
    written, stopping does not wait for the others, and the shards are those a build makes."""
    from kb.site.pagefind import Indexing, shards

    sharded(sqlite_project.root)
    sqlite_project.build()
    site = sqlite_project.site_dir
    slugs = sorted(p.stem for p in sqlite_project.entries_dir.glob("*.md"))
    parts = shards({slug: slug for slug in slugs}, SHARD_SIZE, "design")

    def indexing(work: str) -> Indexing:
        return Indexing(site, tmp_path / work, None, tmp_path / "pagefind.log", 120.0, parts, unwritten=slugs)

    stopped = indexing("stopped")
    time.sleep(0.5)
    started = time.perf_counter()
    stopped.stop()  # waiting for pages that will not come
    assert stopped.process is None and time.perf_counter() - started < 5

    search = indexing("work")
    try:
        time.sleep(0.5)
        assert search.process is None and not search.pages.exists()
        for slug in parts[0].slugs:
            search.written(slug)
        for _ in range(600):
            if search.process is not None:
                break
            time.sleep(0.05)
        assert search.process is not None  # Pagefind over the first shard...
        time.sleep(0.5)
        assert sorted(os.listdir(search.pages)) == ["0"]  # ...and the second waits for its pages
        assert {slug: search.place(slug) for slug in slugs} == {
            slug: n for n, part in enumerate(parts) for slug in part.slugs
        }
        assert search.place(None) == search.place("no-such-entry") == len(parts)
        for slug in slugs:
            search.written(slug)
        search.finish()
        (tmp_path / "mine").mkdir()
        search.install(tmp_path / "mine")
    finally:
        search.stop()
    for shard in layout(site)["shards"]:
        assert shard_files(tmp_path / "mine", shard["path"]) == shard_files(site, shard["path"])


def test_the_last_shard_is_made_byte_stable_beside_the_pages_still_being_written(sqlite_project, tmp_path):
    """With pages written beside Pagefind (a build's first write), the last shard is made
    byte-stable as soon as Pagefind has indexed it; in a catch-up, with nothing beside it, it is
    left for finish, which has two processes for it. The bundle is the same either way."""
    from kb.site.pagefind import Indexing, shards

    sharded(sqlite_project.root)
    sqlite_project.build()
    site = sqlite_project.site_dir
    parts = shards({p.stem: p.stem for p in sqlite_project.entries_dir.glob("*.md")}, SHARD_SIZE, "design")
    for beside in (True, False):
        search = Indexing(site, tmp_path / str(beside), None, tmp_path / "pagefind.log", 120.0, parts, beside=beside)
        try:
            assert search.wait(lambda: False)  # every Pagefind run ended, finish not called
            last = {parts[-1].number} if beside else set()
            assert search.settled == {part.number for part in parts[:-1]} | last
            search.finish()
            (tmp_path / f"site-{beside}").mkdir()
            search.install(tmp_path / f"site-{beside}")
        finally:
            search.stop()
        for shard in layout(site)["shards"]:
            assert shard_files(tmp_path / f"site-{beside}", shard["path"]) == shard_files(site, shard["path"])


def test_page_ids_are_short_and_apart_in_each_shard(sqlite_project):
    """The meta index lists each page by an id of five hex digits (kb.site.pagefind._short_ids),
    a shard's number before them: the ids of all shards differ, and each names its fragment."""
    from kb.site.pagefind import read

    sharded(sqlite_project.root)
    sqlite_project.build()
    bundle = sqlite_project.site_dir / "pagefind"
    ids = []
    for number, shard in enumerate(layout(sqlite_project.site_dir)["shards"]):
        folder = bundle / shard["path"]
        [meta] = folder.glob("*.pf_meta")
        pages = [page for page, _ in read(meta)[1]]
        tag = f"{number}-" if number else ""
        assert all(re.fullmatch(rf"fr_{tag}[0-9a-f]{{5}}", page) for page in pages), pages
        assert sorted(fragments(folder)) == pages
        ids += pages
    assert len(ids) == len(set(ids)) == STARTER_COUNT


def test_a_page_id_is_the_shortest_start_no_other_page_has(tmp_path):
    from kb.site.pagefind import _short_ids

    names = ["fr_1234567", "fr_abcde12", "fr_abcde34", "fr_abcdf00", "fr_abcdf01"]
    for name in names:
        (tmp_path / f"{name}.pf_fragment").write_text(name)
    pages = _short_ids(tmp_path, [[name, 300] for name in names], "fr", "2-")
    assert pages == [
        ["fr_2-12345", 300],
        ["fr_2-abcde1", 300],
        ["fr_2-abcde3", 300],
        ["fr_2-abcdf00", 300],
        ["fr_2-abcdf01", 300],
    ]
    assert {path.read_text(): path.stem for path in tmp_path.iterdir()} == dict(zip(names, (p for p, _ in pages)))
    assert _short_ids(tmp_path, [["fr_not-hex", 1]], "fr", "") == [["fr_not-hex", 1]]


def test_an_edit_indexes_its_own_shard_again_and_equals_a_clean_build(sqlite_project, tmp_path):
    sharded(sqlite_project.root)
    sqlite_project.build()
    site = sqlite_project.site_dir
    before = {shard["path"]: shard_files(site, shard["path"]) for shard in layout(site)["shards"]}
    own = shard_of(site, EDITED)
    files = inodes(site / "pagefind" / own)
    edit(sqlite_project.entries_dir)
    report = sqlite_project.build()
    assert 0 < report.live <= report.searchable
    after = {shard["path"]: shard_files(site, shard["path"]) for shard in layout(site)["shards"]}
    assert [path for path in before if before[path] != after[path]] == [own]
    # Pagefind was seeded with the shard's fragments, named as it names them: it wrote the
    # edited page's alone (the others are the same files, linked).
    now = inodes(site / "pagefind" / own)
    assert [url for url in now if now[url] != files.get(url)] == [f"/{EDITED}/"]
    assert "delta" not in layout(site) and not list((site / "pagefind").glob("delta-*"))
    assert any(SENTENCE in text for _, text in fragments(site / "pagefind" / own).values())
    clean = tmp_path / "clean"
    clean.mkdir()
    sharded(clean)
    other = Project(root=clean, entries_dir=sqlite_project.entries_dir)
    other.build()
    other.close()
    assert tree_digest(site) == tree_digest(other.site_dir)


def test_an_edit_is_searchable_from_a_delta_until_its_shard_catches_up(tmp_path, entries_dir):
    """Killed once its delta is in: the live bundle holds the shards as they were, plus the
    edited page alone, listed with the result it supersedes; the next build catches up."""
    sharded(tmp_path)
    subprocess.run(BUILD, cwd=tmp_path, check=True)
    site = tmp_path / "site"
    own = shard_of(site, EDITED)
    [old] = [page for page, (url, _) in fragments(site / "pagefind" / own).items() if url == f"/{EDITED}/"]
    shards = {shard["path"]: shard_files(site, shard["path"]) for shard in layout(site)["shards"]}
    edit(entries_dir)

    paused_at_delta(tmp_path)
    assert SENTENCE in (site / "fr" / "entries" / EDITED / "index.html").read_text(encoding="utf-8")
    delta = layout(site)["delta"]
    assert delta["pages"] == [EDITED] and delta["stale"] == [old] and delta["weight"] > 1
    [(page, (url, text))] = fragments(site / "pagefind" / delta["path"]).items()
    assert url == f"/{EDITED}/" and SENTENCE in text
    assert page.startswith("fr_d-")  # never a shard's id, which the search page drops
    assert {path: shard_files(site, path) for path in shards} == shards  # the shards as they were

    subprocess.run(BUILD, cwd=tmp_path, check=True)
    assert "delta" not in layout(site) and not list((site / "pagefind").glob("delta-*"))
    assert tree_digest(site) == built_afresh(entries_dir, tmp_path / "reference")


def test_an_edit_saved_while_search_catches_up_stops_it(tmp_path, entries_dir):
    """kb serve: the entries changed again while Pagefind indexes pages already live
    (Project.build's ``outdated``): Pagefind is stopped, the bundle is left as the delta made
    it, with the edit found there, and the next build catches up as a clean build would."""
    sharded(tmp_path)
    project = Project(root=tmp_path, entries_dir=entries_dir)
    try:
        project.build()
        site = project.site_dir
        shards = {shard["path"]: shard_files(site, shard["path"]) for shard in layout(site)["shards"]}
        edit(entries_dir)
        asked = []
        project.build(outdated=lambda: asked.append(True) or True)
        assert asked
        assert SENTENCE in (site / "fr" / "entries" / EDITED / "index.html").read_text(encoding="utf-8")
        delta = layout(site)["delta"]
        assert delta["pages"] == [EDITED]
        assert any(SENTENCE in text for _, text in fragments(site / "pagefind" / delta["path"]).values())
        assert {path: shard_files(site, path) for path in shards} == shards  # not caught up
        assert "search" in project.build().timings  # nothing changed since: it catches up
    finally:
        project.close()
    assert "delta" not in layout(site)
    assert tree_digest(site) == built_afresh(entries_dir, tmp_path / "reference")


def test_a_title_saved_again_after_its_delta_leaves_the_downloads_to_the_next_build(tmp_path, entries_dir):
    """The entries changed again once the delta is in: the whole-inventory downloads, which
    would follow the pages, are left as they are (the next build, which starts at once, writes
    them), and that build leaves the site as a clean build."""
    project = Project(root=tmp_path, entries_dir=entries_dir)
    try:
        project.build()
        site = project.site_dir
        bib = (site / "export" / "kb.bib").read_bytes()
        METADATA_EDITS["title"](entries_dir)
        report = project.build(outdated=lambda: True)
        assert "Zéro baromètre" in (site / "fr" / "entries" / EDITED / "index.html").read_text(encoding="utf-8")
        assert (site / "export" / "kb.bib").read_bytes() == bib and "downloads" not in report.timings
        report = project.build()
        assert "Zéro baromètre" in (site / "export" / "kb.bib").read_text(encoding="utf-8")
        assert "downloads" in report.timings and "search" in report.timings
    finally:
        project.close()
    assert tree_digest(site) == built_afresh(entries_dir, tmp_path / "reference", shards=False)


def test_a_second_edit_before_the_catch_up_keeps_the_first_in_the_delta(tmp_path, entries_dir):
    sharded(tmp_path)
    subprocess.run(BUILD, cwd=tmp_path, check=True)
    edit(entries_dir)
    paused_at_delta(tmp_path)
    other = entries_dir / "contrats-locaux-social-sante.md"
    other.write_text(other.read_text(encoding="utf-8") + "\nUne autre phrase.\n", encoding="utf-8")
    paused_at_delta(tmp_path)
    delta = layout(tmp_path / "site")["delta"]
    assert delta["pages"] == sorted([EDITED, "contrats-locaux-social-sante"]) and len(delta["stale"]) == 2
    assert delta["number"] == 2
    assert {url for url, _ in fragments(tmp_path / "site" / "pagefind" / delta["path"]).values()} == {
        f"/{slug}/" for slug in delta["pages"]
    }


def test_a_removed_entry_is_no_longer_found_from_the_delta(tmp_path, entries_dir):
    sharded(tmp_path)
    subprocess.run(BUILD, cwd=tmp_path, check=True)
    site = tmp_path / "site"
    [old] = [
        page
        for shard in layout(site)["shards"]
        for page, (url, _) in fragments(site / "pagefind" / shard["path"]).items()
        if url == f"/{EDITED}/"
    ]
    (entries_dir / f"{EDITED}.md").unlink()
    paused_at_delta(tmp_path)
    assert not (site / "fr" / "entries" / EDITED).exists()
    delta = layout(site)["delta"]
    # Its neighbours' pages, which listed it among related entries, are in the delta.
    assert EDITED not in delta["pages"] and old in delta["stale"]
    assert len(delta["stale"]) == len(delta["pages"]) + 1
    assert {url for url, _ in fragments(site / "pagefind" / delta["path"]).values()} == {
        f"/{slug}/" for slug in delta["pages"]
    }


def test_an_inventory_without_entries_has_a_bundle_of_its_layout_alone(tmp_path):
    """Pagefind refuses to index nothing: an inventory without entries (a new one) is built
    with a search bundle that is its layout alone, read by the search page as no results
    (tests/test_browser_empty.py), and a build with nothing changed writes nothing."""
    project = Project(root=tmp_path, entries_dir=tmp_path / "entries")
    project.entries_dir.mkdir()
    try:
        first = project.build()
        again = project.build()
    finally:
        project.close()
    site = tmp_path / "site"
    assert first.entries == 0 and first.written
    assert layout(site) == {"shards": []} and os.listdir(site / "pagefind") == ["kb-search.json"]
    assert again.written == [] and again.removed == 0


def test_every_entry_removed_empties_the_search_and_the_next_one_fills_it(tmp_path, entries_dir):
    """Removing every entry of a built inventory leaves a bundle without shards, nothing found;
    a new entry then makes the bundle a clean build of it makes."""
    sharded(tmp_path)
    subprocess.run(BUILD, cwd=tmp_path, check=True)
    site = tmp_path / "site"
    kept = entries_dir / f"{EDITED}.md"
    text = kept.read_text(encoding="utf-8")
    for path in entries_dir.glob("*.md"):
        path.unlink()
    subprocess.run(BUILD, cwd=tmp_path, check=True)
    assert layout(site) == {"shards": []}
    assert not (site / "fr" / "entries" / EDITED).exists()

    kept.write_text(text, encoding="utf-8")
    subprocess.run(BUILD, cwd=tmp_path, check=True)
    assert [url for url, _ in fragments(site / "pagefind").values()] == [f"/{EDITED}/"]
    one = tmp_path / "one"
    one.mkdir()
    (one / kept.name).write_text(text, encoding="utf-8")
    assert tree_digest(site) == built_afresh(one, tmp_path / "afresh")


def test_a_title_edit_is_searchable_before_the_downloads_follow(tmp_path, entries_dir):
    """After a metadata edit the whole-inventory downloads follow the pages (kb.site.build
    _follow) while Pagefind indexes the shard: killed while they are written, the live bundle
    already holds the edit's delta, and the downloads are still the previous ones."""
    subprocess.run(BUILD, cwd=tmp_path, check=True)
    site = tmp_path / "site"
    bib = (site / "export" / "kb.bib").read_bytes()
    METADATA_EDITS["title"](entries_dir)

    killed_at("downloads", BUILD, tmp_path)
    delta = layout(site)["delta"]
    assert EDITED in delta["pages"]
    assert any("Zéro baromètre" in text for _, text in fragments(site / "pagefind" / delta["path"]).values())
    assert (site / "export" / "kb.bib").read_bytes() == bib


def test_no_index_chunk_ends_on_a_word_that_starts_the_next(sqlite_project):
    """Pagefind loads a chunk ending on a word for every word it starts that no chunk holds
    (kb.site.pagefind._unprefixed): Pagefind's own chunks of the starter end so ("compar",
    then "compare..."). Each word is still in one chunk, in order, within its chunk's bounds."""
    from kb.site.pagefind import read

    sqlite_project.build()
    bundle = sqlite_project.site_dir / "pagefind"
    [meta_path] = bundle.glob("*.pf_meta")
    rows = read(meta_path)[2]
    assert len(rows) > 1
    chunks = [[word[0] for word in read(bundle / "index" / f"{name}.pf_index")[0]] for _, _, name in rows]
    for (low, high, _), words in zip(rows, chunks):
        assert words and low <= words[0] and words[0].startswith(low) and words[-1] == high
    for before, after in zip(chunks, chunks[1:]):
        assert not after[0].startswith(before[-1])
    every = [word for words in chunks for word in words]
    assert every == sorted(set(every))


def test_page_ids_read_a_fragment_again_when_its_id_names_another_file(sqlite_project, tmp_path):
    """A short id may be taken by another page in a later bundle: the ids' cache
    (kb.site.pagefind.page_ids) knows a fragment by its file, not by its id alone."""
    from kb.site.pagefind import page_ids

    sqlite_project.build()
    bundle, cache = sqlite_project.site_dir / "pagefind", tmp_path / "ids.pickle"
    found = page_ids(bundle, [EDITED], cache)
    [mine] = found[f"/{EDITED}/"]
    other, (url, _) = next((page, value) for page, value in fragments(bundle).items() if page != mine)
    taken, new = bundle / "fragment" / f"{mine}.pf_fragment", tmp_path / "new.pf_fragment"
    new.write_bytes((bundle / "fragment" / f"{other}.pf_fragment").read_bytes())
    os.replace(new, taken)  # a new file, as Pagefind writes it beside the other tree's
    found = page_ids(bundle, [EDITED], cache)
    assert f"/{EDITED}/" not in found and mine in found[url]


def test_pagefind_indexes_the_part_of_each_page_it_reads_and_finds_the_same(sqlite_project, tmp_path):
    """Pagefind reads each French entry page cut to the element it indexes, its facts list to
    the filters and meta (kb.site.pagefind._indexed_part), as the pages are written: the
    bundle's pages are what it makes of the whole pages."""
    from kb.site.pagefind import _command, _indexed_part

    sqlite_project.build()
    site = sqlite_project.site_dir
    written = [path.read_bytes() for path in (site / "fr" / "entries").glob("*/index.html")]
    cut = [_indexed_part(page) for page in written]
    assert len(cut) == STARTER_COUNT and all(b'class="facts"' in page for page in written)
    assert not any(b'class="facts"' in page for page in cut)
    assert all(b'<dl data-pagefind-ignore><dd data-pagefind-filter="type:' in page for page in cut)
    subprocess.run(_command(site / "fr" / "entries", tmp_path / "whole"), check=True, capture_output=True)

    def pages(folder: Path) -> list[bytes]:
        return sorted(gzip.decompress(path.read_bytes()) for path in (folder / "fragment").iterdir())

    built = pages(site / "pagefind")
    assert len(built) == STARTER_COUNT
    assert built == pages(tmp_path / "whole")


def test_a_page_is_cut_to_the_element_pagefind_indexes():
    from kb.site.pagefind import _indexed_part

    page = (
        b'<html lang="fr"><head><script type="application/ld+json">{}</script></head><body><nav>Menu</nav>'
        b'<main><article class="entry" data-pagefind-body><h1 data-pagefind-meta="title">Titre</h1>'
        b"<p>Texte</p></article><section>Citer</section></main></body></html>"
    )
    cut = _indexed_part(page)
    assert (
        b'<article class="entry" data-pagefind-body><h1 data-pagefind-meta="title">Titre</h1><p>Texte</p></article>'
        in cut
    )
    assert not any(part in cut for part in (b"ld+json", b"Menu", b"Citer"))
    whole = b"<html><body><p>Sans partie indexee</p></body></html>"
    assert _indexed_part(whole) == whole


def test_the_facts_list_is_cut_to_the_filters_and_meta_pagefind_reads_of_it():
    """The facts list, which Pagefind ignores but for its filter and meta attributes, reaches it
    as those attributes alone, in their order, each tag's together; a filter whose value is the
    element's text keeps the list whole. (That the bundle is the same: the test above.)"""
    from kb.site.pagefind import _indexed_part

    def page(facts: bytes) -> bytes:
        return b"<html><body><article data-pagefind-body><h1>Titre</h1>%s<p>Texte</p></article></body></html>" % facts

    facts = (
        b'<dl class="facts" data-pagefind-ignore>\n<dt>Type</dt>\n<dd data-pagefind-filter="type:plan">'
        b'<a class="tag" href="../../../fr/type/plan/">Plan</a></dd>\n<dt>Ann\xc3\xa9e</dt>\n'
        b'<dd data-pagefind-filter="year:2003" data-pagefind-meta="year:2003"><a href="y/">2003</a></dd>\n'
        b'<dt>Auteurs</dt>\n<dd>Peeters, Marie</dd>\n<dd>\n<a class="tag" href="s/" data-pagefind-filter="scale:ilot">'
        b"\xc3\x8elot</a>\n</dd>\n</dl>"
    )
    cut = _indexed_part(page(facts))
    assert (
        b'<h1>Titre</h1><dl data-pagefind-ignore><dd data-pagefind-filter="type:plan"></dd>'
        b'<dd data-pagefind-filter="year:2003" data-pagefind-meta="year:2003"></dd>'
        b'<dd data-pagefind-filter="scale:ilot"></dd></dl><p>Texte</p>'
    ) in cut
    from_text = facts.replace(b'data-pagefind-filter="type:plan"', b'data-pagefind-filter="type"')
    assert from_text in _indexed_part(page(from_text))


def noting_pagefind(tmp_path: Path, monkeypatch, variable: str) -> Path:
    """A ``pagefind`` package ahead of the real one that notes the ``variable`` each run was
    given into the file it returns, then runs the real program."""
    shadow = tmp_path / "shadow" / "pagefind"
    shadow.mkdir(parents=True)
    noted = tmp_path / f"{variable}.txt"
    (shadow / "__init__.py").write_text("")
    (shadow / "__main__.py").write_text(
        "import os, sys\n"
        "import pagefind_bin\n"
        f"with open({str(noted)!r}, 'a') as file:\n"
        f"    file.write(os.environ.get({variable!r}, '(unset)') + '\\n')\n"
        "program = str(pagefind_bin.get_executable())\n"
        "os.execv(program, [program, *sys.argv[1:]])\n"
    )
    monkeypatch.setenv("PYTHONPATH", str(shadow.parent))
    return noted


def test_pagefind_runs_with_an_allocator_arena_a_core_unless_told_otherwise(sqlite_project, tmp_path, monkeypatch):
    """Each Pagefind run gets ``_RJEM_MALLOC_CONF`` (its jemalloc's settings): one arena a core
    (kb.site.pagefind.ALLOCATOR), or as the user set it; the build completes."""
    noted = noting_pagefind(tmp_path, monkeypatch, "_RJEM_MALLOC_CONF")
    sqlite_project.build()
    assert noted.read_text().splitlines() == [f"narenas:{os.cpu_count()}"]  # narenas:2 on two cores
    assert len(fragments(sqlite_project.site_dir / "pagefind")) > 0

    monkeypatch.setenv("_RJEM_MALLOC_CONF", "narenas:1")
    noted.unlink()
    edit(sqlite_project.entries_dir)
    sqlite_project.build()
    assert noted.read_text().splitlines() == ["narenas:1", "narenas:1"]  # the delta, then the whole index


def test_a_damaged_search_data_file_is_a_value_error(tmp_path):
    """A word index chunk cut short: read says ValueError, what the build turns into its message
    (Indexing), whatever the CBOR library raises."""
    import gzip

    from kb.site.pagefind import PAGEFIND_SIGNATURE, read

    chunk = tmp_path / "fr_0000000.pf_index"
    chunk.write_bytes(gzip.compress(PAGEFIND_SIGNATURE + b"\x82\x01"))  # a list of two, one given
    with pytest.raises(ValueError, match=r"fr_0000000\.pf_index"):
        read(chunk)
