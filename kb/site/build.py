"""The static inventory site: every page rendered from the store, written atomically and
incrementally, searchable in the browser with Pagefind.

How a build stays atomic and cheap:

- The live site (``site/``) is never written to file by file. The build writes into a second tree beside
  it (``.site.next/``), then swaps the two with one ``renameat2(RENAME_EXCHANGE)``: readers see
  the old site or the new one, never a half-written one; a failed build leaves ``site/`` as it was.
- Each page has a *key*, a hash of everything it shows. A manifest per tree remembers the key
  of every file it holds (with its size and mtime, to notice tampering), so a page whose key did
  not change in that tree is neither rendered nor written. Changing one entry's metadata
  rewrites its two pages (FR, NL), its neighbours' "related" lists and the listings it appears
  in; changing texts only rewrites the changed entries' pages. Only after many changes is
  every page keyed: after a few metadata edits, the pages that can show them are, found from
  the tree's outline (_metadata_plan); after text edits, the edited entries' own pages
  (_quick_plan; see Site.outline). After a title edit (what other pages show, not where they
  list it), or any edit when there is no tree beside the live one yet, the entry's own pages
  are put live first, each renamed over its old copy, and the rest follows with the swap
  (_own_pages_first).
- Pagefind writes each bundle into a folder of its own, moved into a tree in one rename: after
  a few changes the new pages go live first, and the new bundle follows (see build).
- Output is deterministic: no clock, stable orders, so two builds of the same entries are
  byte-identical.

The modules beside this one hold the parts: ``catalogue`` (the entries as the site arranges
them), ``pages`` (every file and its key), ``render`` (rendering in worker processes),
``output`` (trees, manifests, the swap) and ``pagefind`` (the search bundle).
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator, Protocol

from kb import faults, i18n, workers
from kb.config import Config
from kb.entries.schema import Entry
from kb.entries.vocab import Vocabularies
from kb.faults import pause
from kb.history import History
from kb.site.catalogue import ARRANGED, Catalogue, Row, arranged_key, fingerprint, lists, unpacked
from kb.site.output import (
    BuildError,
    Tree,
    adopt,
    discard,
    exchange,
    link_copy,
    link_or_copy,
    mount_point,
    staging_path,
)
from kb.site.pagefind import INDEXED_PAGES, SEARCH_MARK, Indexing, SearchNotUpdated, Shard, index_delta, shards
from kb.site.pages import Page, Scope, Site
from kb.site import limits, render
from kb.site.render import BodiesAhead, Progress, bodies_in_workers, render_pages

__all__ = ["BuildError", "BuildReport", "Progress", "SearchNotUpdated", "Source", "build"]


@dataclass
class BuildReport:
    output: Path
    entries: int = 0
    pages: int = 0
    written: list[str] = field(default_factory=list)
    removed: int = 0
    timings: dict[str, float] = field(default_factory=dict)
    live: float = 0.0  # seconds until the new pages were live (the search bundle may follow)...
    listed: float = 0.0  # ...and the pages listing them (later after a title edit: _own_pages_first)
    searchable: float = 0.0  # seconds until they were searchable (with a delta, before the whole bundle)
    plan: str = ""  # how the pages to write were found: "texts", "metadata" or "whole" (see _build)
    began: float = field(default=0.0, repr=False)  # time.perf_counter() when the build began

    def message(self) -> i18n.Message:
        """What the build did, for the command to say in its language."""
        return i18n.message(
            "report.built",
            output=self.output,
            entries=self.entries,
            pages=self.pages,
            written=len(self.written),
            removed=self.removed,
            timings=", ".join(f"{k} {v:.2f}s" for k, v in self.timings.items()),
            live=f"{self.live:.2f}",
            listed=f"{self.listed:.2f}",
            searchable=f"{self.searchable:.2f}",
        )

    def __str__(self) -> str:
        return self.message().render("en")


class Source(Protocol):
    """Where the site's entries come from: the store (through the project's copy of it)."""

    def digests(self) -> dict[str, str]:
        """Entry id -> content digest, for every entry."""

    def entries(self, ids: Iterable[str] | None = None) -> list[Entry]:
        """The entries with these ids, or all of them."""


@dataclass
class Plan:
    """What a build writes into its tree."""

    kind: str  # BuildReport.plan
    site: Site
    pages: list[Page]  # to write
    outline: dict[str, Row]  # the tree's outline once they are written
    produced: set[str] | None = None  # every file of the site, when the whole site was planned
    total: int = 0  # files in the site


def _whole_plan(
    source: Source,
    vocabularies: Vocabularies,
    tree: Tree,
    state_dir: Path,
    config: Config,
    history: History,
    ahead: BodiesAhead | None = None,
) -> Plan:
    """Every page of the site, keyed; those the tree does not hold under the same key are to write.

    When the tree holds nothing to keep (a first build, a new design), every body is needed:
    worker processes render them with Markdown while this one plans the site (from before the
    store was written, when ``ahead`` has them)."""
    entries = source.entries()
    early = ahead.bodies if ahead is not None and not tree.manifest else None
    pool = contextlib.nullcontext(early) if early is not None else bodies_in_workers([] if tree.manifest else entries)
    with pool as bodies:
        site = Site(
            Catalogue(entries, vocabularies, cache=state_dir / "derived.pickle", history=history, known=tree.outline),
            config,
            compiled=state_dir / "templates",
            known=tree.outline,
        )
        pages = list(site.pages())
        pages.extend(site.sitemaps([page.path for page in pages]))
        todo = [page for page in pages if not tree.current(page.path, page.key)]
        outline = site.outline()  # (before the bodies are awaited: 4 s at 100,000 entries beside the workers)
        for rendered in bodies:
            site.bodies.keep(rendered)
    return Plan("whole", site, todo, outline, {page.path for page in pages} | {SEARCH_MARK}, len(pages))


def _quick_plan(
    source: Source, vocabularies: Vocabularies, tree: Tree, state_dir: Path, config: Config, history: History
) -> Plan | None:
    """The changed entries' own pages, when no entry changed anything else since the tree was
    built: same entries, same metadata, same dates in the history, only texts edited (see
    Site.outline): a "texts" plan. When some also changed what other pages show of them (a
    title, a summary, an author) but nothing they are arranged by (catalogue.arranged: their
    related entries and the listings they are in stay), their own pages all the same: an
    "own" plan, whose outline keeps those entries' rows as the tree had them, so that the plan
    made next still finds them changed (see _own_pages_first). None otherwise."""
    digests = source.digests()
    if not tree.outline or digests.keys() != tree.outline.keys() or tree.history != history.key:
        return None
    changed = sorted(i for i, d in digests.items() if tree.outline[i][0] != d)
    related = {i: unpacked(tree.outline[i][2]) for i in changed}
    shown = source.entries(sorted({*changed, *(other for i in changed for other, _ in related[i])}))
    site = Site(Catalogue.around(shown, vocabularies, related, history), config, compiled=state_dir / "templates")
    outline, kind = dict(tree.outline), "texts"
    for entry in (e for e in shown if e.id in related):
        row = outline[entry.id]
        if site._export_key(entry) == row[1]:
            outline[entry.id] = (entry.digest, *row[1:])
        elif arranged_key(entry) == row[ARRANGED]:
            kind = "own"
        else:
            return None
    pages = [site.entry_page(site.catalogue.by_id[i], lang) for i in changed for lang in i18n.UI_LANGS]
    return Plan(
        kind,
        site,
        [page for page in pages if not tree.current(page.path, page.key)],
        outline,
        total=len(tree.manifest) - (SEARCH_MARK in tree.manifest),
    )


def _own_pages_first(plan: Plan, output: Path, progress: Progress | None, report: BuildReport) -> None:
    """Put a quick plan's pages into the live site at once, each renamed over its old copy
    (_put_live): the edited entries' own pages, which show what they will show once the build
    is done. What else the build writes follows in the other tree and its swap: after a title
    edit (an "own" plan, see _quick_plan), the pages listing the entry, the downloads and the
    search, 0.45 s later at 10,000 entries, the time the next plan takes to arrange every
    entry; after any edit with no tree beside the live one yet (a first edit after a full
    build), everything, 1 s later, the time linking a copy of the live site takes. The live
    tree's manifest still names the old copies (not written here: 50 ms), so a build writing
    into that tree again writes them again; killed in between, the next build finds the
    entries changed as this one did."""
    if not plan.pages:
        return
    started = time.perf_counter()
    _put_live(plan.pages, output, plan.site, progress)
    report.live = time.perf_counter() - report.began
    report.timings["own pages"] = time.perf_counter() - started
    pause("listings")


FEW_CHANGES = 100  # entries changed since the tree was built, above which the whole site is keyed


def _metadata_plan(
    source: Source, vocabularies: Vocabularies, tree: Tree, state_dir: Path, config: Config, history: History
) -> Plan | None:
    """After a few entries changed what other pages show (a title, a tag, a year; added or
    removed): the pages that can show them, keyed, and those whose key changed to write. They
    are the changed entries' own pages, the listings they were in (from the tree's outline)
    and are in, the pages of the entries whose related entries are or were among them, and
    the pages that are neither entry pages nor listings (home, feeds, figures, downloads,
    sitemap). Every other page is as the tree holds it: it shows no changed entry. None
    when the tree's outline cannot tell (another history, many changes)."""
    digests = source.digests()
    before = tree.outline
    if not before or tree.history != history.key:
        return None
    changed = {i for i, digest in digests.items() if i not in before or before[i][0] != digest}
    changed |= before.keys() - digests.keys()
    if len(changed) > FEW_CHANGES:
        return None
    catalogue = Catalogue(
        source.entries(), vocabularies, cache=state_dir / "derived.pickle", history=history, known=before
    )
    site = Site(catalogue, config, compiled=state_dir / "templates", known=before)
    outline = site.outline()
    linked = {
        i
        for i, (_, _, related, *_) in outline.items()
        if i not in before or related != before[i][2] or lists(related, changed)
    }
    listings = {unit for i in changed for row in (before.get(i), outline.get(i)) if row for unit in row[3].split("\n")}
    scope = Scope(frozenset(changed | linked), frozenset(listings - {""}))
    pages = list(site.pages(scope))
    kept = _left_as_they_are(tree.manifest, scope, outline, {unit for unit, *_ in site.listings(None)})
    pages.extend(site.sitemaps([*kept, *(page.path for page in pages)]))
    produced = {*kept, *(page.path for page in pages)}
    todo = [page for page in pages if not tree.current(page.path, page.key)]
    return Plan("metadata", site, todo, outline, produced | {SEARCH_MARK}, len(produced))


_LISTING_PAGE = re.compile(r"(?P<lang>[a-z]+)/(?P<unit>.+?)(?:/page/[0-9]+)?/index\.html")


def _left_as_they_are(paths: Iterable[str], scope: Scope, outline: dict[str, Row], units: set[str]) -> list[str]:
    """The ``paths`` that are pages of entries (in ``outline``) or listings (``units``) that
    ``scope`` leaves as they are."""
    entries = {f"{lang}/entries/{i}/index.html" for lang in i18n.UI_LANGS for i in outline.keys() - scope.entries}
    listings = units - scope.listings
    return [
        path
        for path in paths
        if path in entries
        or (
            (match := _LISTING_PAGE.fullmatch(path)) is not None
            and match["lang"] in i18n.UI_LANGS
            and match["unit"] in listings
        )
    ]


def _entry_slug(path: str) -> str | None:
    """The entry a French entry page shows (fr/entries/SLUG/index.html), else None."""
    parts = path.split("/")
    return parts[2] if len(parts) == 4 and path.startswith(INDEXED_PAGES) and parts[3] == "index.html" else None


def _shards(tree: Tree, size: int, design: str, writing: Iterable[Page] = ()) -> list[Shard]:
    """The search shards of the tree's French entry pages, keyed by what those pages show,
    once the pages ``writing`` are written into it."""
    pages = {slug: row[0] for path, row in tree.manifest.items() if (slug := _entry_slug(path))}
    pages.update((slug, page.key) for page in writing if (slug := _entry_slug(page.path)))
    return shards(pages, size, design)


def _search_key(site: Site, outline: dict[str, Row], history: str) -> str:
    """What the French entry pages show: the design, every entry's text and metadata, and dates."""
    return fingerprint(
        site.design, history, sorted((i, digest, metadata) for i, (digest, metadata, *_) in outline.items())
    )


def _staging_tree(
    output: Path,
    back: Path,
    state_dir: Path,
    design: str,
    first: Callable[[Tree], None],
    fits: Callable[[bool], None],
    adopted: dict[Path, object],
) -> tuple[Tree, bool]:
    """The tree to write into, beside the live one, and whether it may hold files its manifest
    does not know (then the build looks at everything it holds). When there is none yet, the
    live tree, if its manifest names its files, is given to ``first`` before it is copied
    (linking 30,000 files takes 1 s at 10,000 entries). Before anything is written, ``fits``
    is told whether the build is incremental (from a tree whose manifest names its files):
    it raises when the machine lacks the memory (kb.site.limits). ``adopted``: the manifests
    output.adopt read (Tree)."""
    if back.is_dir():
        staging = Tree(back, state_dir, design, adopted)
        # Its manifest was lost or is from another design, or a build failed while writing into it.
        sweep = not staging.manifest or staging.interrupted()
        fits(not sweep)
        return staging, sweep
    if not output.is_dir():
        fits(False)
        back.mkdir(parents=True)
        return Tree(back, state_dir, design), False
    live = Tree(output, state_dir, design, adopted)
    known = bool(live.manifest) and not live.interrupted()
    fits(known)
    if known:
        first(live)
    # The first incremental build starts from the live site: its files, linked (see _put).
    shutil.copytree(output, back, symlinks=True, copy_function=link_or_copy)
    staging = Tree(back, state_dir, design)
    staging.manifest, staging.outline, staging.history = dict(live.manifest), dict(live.outline), live.history
    if not known:
        return staging, True
    # The live site's manifest names its files: one it does not name (put there by hand) goes
    # now, and the build plans as after any other (every page keyed instead: 2 s at 10,000 entries).
    staging.prune(set(live.manifest), sweep=True)
    return staging, False


def build(
    source: Source,
    vocabularies: Vocabularies,
    output: Path,
    state_dir: Path,
    progress: Progress | None = None,
    search: bool = True,
    config: Config | None = None,
    search_limit: float = 600.0,
    history: History | None = None,
    ahead: BodiesAhead | None = None,
    outdated: Callable[[], bool] | None = None,
) -> BuildReport:
    """Build the site from ``source``'s entries into ``output`` (see _build). An output folder
    that is a mount point is refused (a mount point cannot be renamed, so never swapped). When
    the disk fills up, the build's own folders (the tree beside the live one, Pagefind's
    bundle) are removed, so that the space they held is free again: the live site and the
    last good bundle stay. ``ahead``: the bodies, when the caller started rendering them
    (BodiesAhead). ``outdated``: asked while Pagefind re-indexes pages already live, whether
    the entries changed since (see _index_live)."""
    output = output.resolve()
    if mount_point(output):
        raise BuildError("build.mount_point", output=output, inside=output / "site")
    try:
        return _build(
            source,
            vocabularies,
            output,
            state_dir,
            progress,
            search,
            config or Config(),
            search_limit,
            history or History({}),
            ahead,
            outdated,
        )
    except OSError as error:
        if error.errno in faults.RAN_OUT:
            discard(staging_path(output), state_dir)
            shutil.rmtree(output.with_name(f".{output.name}.put"), ignore_errors=True)
            shutil.rmtree(output.with_name(f".{output.name}.search"), ignore_errors=True)
        raise
    finally:
        workers.thaw()  # the plan's objects, frozen once planned (_build): collected as any others again


def _build(
    source: Source,
    vocabularies: Vocabularies,
    output: Path,
    state_dir: Path,
    progress: Progress | None,
    search: bool,
    config: Config,
    search_limit: float,
    history: History,
    ahead: BodiesAhead | None,
    outdated: Callable[[], bool] | None,
) -> BuildReport:
    """Build the site from ``source``'s entries into ``output``, atomically; returns what was done.

    After a few changes (an incremental build) with search on, the rebuilt pages go live as soon
    as they are written, with the live search bundle; Pagefind then indexes them and its new
    bundle replaces the previous one in one rename (see _index_live). Otherwise Pagefind runs
    while the pages after the French entry pages are written, and everything goes live at once.
    Pagefind is stopped after ``search_limit`` seconds."""
    report = BuildReport(output=output)
    began = started = report.began = time.perf_counter()
    back = staging_path(output)
    adopted = adopt([output, back], state_dir)  # trees restored from a cache, or copied
    with workers.collector_off(freeze=True):  # thawed when build returns
        early: Plan | None = None

        def put_first(live: Tree) -> None:  # (no tree beside the live one yet: see _own_pages_first)
            nonlocal early
            early = _quick_plan(source, vocabularies, live, state_dir, config, history)
            if early is not None:
                _own_pages_first(early, output, progress, report)

        def fits(incremental: bool) -> None:
            limits.require_memory(len(source.digests()), config.memory_limit, config.search_shard_size, incremental)

        staging, sweep = _staging_tree(
            output, back, state_dir, Site.design_of(vocabularies, config), put_first, fits, adopted
        )
        adopted.clear()  # (the other tree's manifest, if not used: 200 MB at 100,000 entries)
        # (the staging tree then copies the live one, its manifest and outline: the same plan)
        plan = early or (None if sweep else _quick_plan(source, vocabularies, staging, state_dir, config, history))
        if plan is not None and plan.kind == "own":  # (a title edited, say)
            if plan is not early and output.is_dir():
                _own_pages_first(plan, output, progress, report)
            plan = None
        plan = (
            plan or (None if sweep else _metadata_plan(source, vocabularies, staging, state_dir, config, history))
        ) or _whole_plan(source, vocabularies, staging, state_dir, config, history, ahead)
        if ahead is not None:
            ahead.close()
    report.entries, report.pages, report.plan = len(plan.outline), plan.total, plan.kind
    report.timings["prepare"] = time.perf_counter() - started

    started = time.perf_counter()
    search_key = _search_key(plan.site, plan.outline, history.key)
    index = search and not staging.current(SEARCH_MARK, search_key)
    live_bundle = output / "pagefind"
    # A few pages into a live site go live first; Pagefind and the downloads follow (_follow).
    few = output.is_dir() and len(plan.pages) < render.PARALLEL_FROM
    pages_first = index and few and (output / SEARCH_MARK).is_file()
    work = output.with_name(f".{output.name}.search")
    # The French entry pages first (with the listing under fr/entries/): then Pagefind indexes
    # them while the other pages are written, with the bodies rendered for the French pages.
    first = [page for page in plan.pages if page.path.startswith(INDEXED_PAGES)]
    # After a metadata edit the whole-inventory downloads take longer than the pages showing
    # it: when a live site has those pages, they go live first and the downloads follow.
    later = [page for page in plan.pages if page.weight > 1] if few else []
    held = {page.path for page in later}
    rest = [page for page in plan.pages if not page.path.startswith(INDEXED_PAGES) and page.path not in held]
    indexing = None
    staging.start_writing()
    edited = [slug for page in first if (slug := _entry_slug(page.path))]
    gone = []
    try:
        if plan.produced is not None:  # removed pages go first: Pagefind must not index an entry page that is gone
            gone = [slug for path in staging.manifest if path not in plan.produced and (slug := _entry_slug(path))]
            report.removed = staging.prune(plan.produced, sweep=sweep)
        if index and not pages_first:  # started now, each shard indexed once its pages are written
            indexing = Indexing(
                back,
                work,
                seed=live_bundle if live_bundle.is_dir() else back / "pagefind",
                log=state_dir / "pagefind.log",
                limit=search_limit,
                parts=_shards(staging, config.search_shard_size, plan.site.design, first),
                unwritten=edited,
                beside=True,
            )
            first.sort(key=lambda page: (indexing.place(_entry_slug(page.path)), page.path))
        beside = indexing is not None  # (Pagefind indexes them shard by shard as they are written)
        for path, row in render_pages(
            first, back, plan.site, progress, total=len(plan.pages), yielding=beside, in_order=beside
        ):
            staging.manifest[path] = row
            report.written.append(path)
            if indexing and (slug := _entry_slug(path)):
                indexing.written(slug)
        pause("pages")
        for path, row in render_pages(
            rest, back, plan.site, progress, done=len(first), total=len(plan.pages), yielding=beside
        ):
            staging.manifest[path] = row
            report.written.append(path)
        staging.outline, staging.history = plan.outline, history.key
        report.timings["pages"] = time.perf_counter() - started
        if indexing:
            started = time.perf_counter()
            if progress:
                progress("search", 0, 1)
            indexing.finish()
            indexing.install(back)
            report.timings["search"] = time.perf_counter() - started
            staging.record(SEARCH_MARK, search_key)
        elif pages_first:
            link_copy(live_bundle, back / "pagefind")
            staging.manifest.pop(SEARCH_MARK, None)
    finally:
        if indexing:
            indexing.stop()
    pause("swap")
    if output.exists():
        exchange(output, back)
    else:
        output.parent.mkdir(parents=True, exist_ok=True)
        os.rename(back, output)
    report.listed = time.perf_counter() - began
    report.live = report.live or report.listed
    staging.moved(output)
    # Saved once live (50 ms at 10,000 entries): killed before, the tree is still marked as
    # being written (start_writing), so the build that next writes into it looks at every file.
    staging.save()
    follow = functools.partial(_follow, staging, later, plan.site, progress, report) if later else None
    if pages_first:
        parts = _shards(staging, config.search_shard_size, plan.site.design)
        report.timings["search"] = _index_live(
            staging, work, search_key, parts, (edited, gone), progress, search_limit, report, follow, outdated
        )
    else:
        report.searchable = report.listed
        if follow:
            follow()
    return report


def _put_live(
    pages: list[Page], live: Path, site: Site, progress: Progress | None, paused: str = ""
) -> list[tuple[str, list]]:
    """Write ``pages`` beside the live site, then rename each over its old copy in ``live``,
    so that a reader gets either file whole (the live site shares the old one with the other
    tree through a hard link, and keeps it). Returns their manifest rows. ``paused``: the test
    phase (kb.faults.pause) between the writing and the renames."""
    side = live.with_name(f".{live.name}.put")
    shutil.rmtree(side, ignore_errors=True)
    rows = list(render_pages(pages, side, site, progress))
    pause(paused)
    for path, _ in rows:
        target = live / path
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(side / path, target)
    shutil.rmtree(side, ignore_errors=True)
    return rows


def _follow(live: Tree, later: list[Page], site: Site, progress: Progress | None, report: BuildReport) -> None:
    """Bring the live site's whole-inventory downloads up to date after its pages: each is
    written beside the site, then renamed over its old copy, so that a reader gets either file
    whole (the live site shares the old one with the other tree through a hard link, and keeps
    it). Killed on the way, the live tree's manifest still names the old copies: the next build
    sees the new ones as changed files and writes them again."""
    started = time.perf_counter()
    if progress:
        progress("downloads", 0, len(later))
    for path, row in _put_live(later, live.path, site, None, paused="downloads"):
        live.manifest[path] = row
        report.written.append(path)
    live.save()
    if progress:
        progress("downloads", len(later), len(later))
    report.timings["downloads"] = time.perf_counter() - started


@contextlib.contextmanager
def _search_failure(site: Path) -> Iterator[None]:
    """Pagefind's failures, and the disk's or the memory's while it runs, as SearchNotUpdated:
    the live ``site`` keeps searching with the bundle it has."""
    try:
        yield
    except BuildError as error:
        raise SearchNotUpdated(error) from error
    except OSError as error:
        raise SearchNotUpdated(faults.out_of_space(error, str(site), "") or faults.refused_by_system(error)) from error


def _index_live(
    live: Tree,
    work: Path,
    search_key: str,
    parts: list[Shard],
    changed: tuple[list[str], list[str]],
    progress: Progress | None,
    limit: float,
    report: BuildReport,
    meanwhile: Callable[[], None] | None = None,
    outdated: Callable[[], bool] | None = None,
) -> float:
    """Make the live site's edited entries searchable at once (a delta: their ``changed``
    French pages, edited and gone, see index_delta), then index their shards again and swap
    the caught-up bundle in; returns the time taken. ``meanwhile`` (the downloads, _follow)
    runs while Pagefind indexes the shards: after the delta, so that it does not hold up
    search. Should Pagefind fail, the site keeps searching with the bundle it has
    (SearchNotUpdated).

    Should ``outdated()`` become true while Pagefind indexes the shards (``kb serve``: an
    entry was saved again), Pagefind is stopped and the bundle left as the delta made it: the
    next build, which the caller starts at once, makes its own delta and catches up, instead
    of going live only after a catch-up that is out of date already (15 s at 10,000 entries).
    The search mark is then not recorded, so a build finds the search behind. Already true
    after the delta, ``meanwhile`` is skipped too (2.5 s of downloads at 10,000 entries): the
    live tree's manifest names the downloads it holds, so the next build writes them."""
    started = time.perf_counter()
    if progress:
        progress("search", 0, 1)
    indexing = None
    log, cache = live.state_dir / "pagefind.log", live.state_dir / "search-pages.pickle"
    try:
        try:
            with _search_failure(live.path):
                if index_delta(live.path, *changed, log=log, limit=limit, cache=cache):
                    report.searchable = report.listed + time.perf_counter() - started
                pause("delta")
                indexing = Indexing(live.path, work, seed=live.path / "pagefind", log=log, limit=limit, parts=parts)
        finally:
            if meanwhile and not (outdated is not None and outdated()):
                meanwhile()
        with _search_failure(live.path):
            if outdated is not None and not indexing.wait(outdated):
                return time.perf_counter() - started  # behind: the next build catches up
            indexing.finish()
            indexing.install(live.path)
    finally:
        if indexing:
            indexing.stop()
    live.record(SEARCH_MARK, search_key)
    live.save()
    if not report.searchable:
        report.searchable = report.listed + time.perf_counter() - started
    return time.perf_counter() - started
