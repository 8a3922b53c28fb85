"""Rendering pages and entry bodies, in forked worker processes when there are many.

Markdown and Jinja are CPU-bound: with two cores, two workers halve the time. The workers are
forked, so they inherit the pages and the site as they are (never pickled); only file names,
manifest rows and rendered bodies cross back. The output does not depend on how work is split.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import gc
import multiprocessing
import os
from pathlib import Path
from typing import Callable, Iterable, Iterator

from kb.entries.schema import Entry
from kb.site.markup import Renderer
from kb.site.output import put
from kb.site.pages import Page, Site, render_body

WORKERS = min(2, os.cpu_count() or 1)
PARALLEL_FROM = 400  # pages to render before it pays to fork workers

Progress = Callable[[str, int, int], None]

_TODO: list[Page] = []  # the pages a forked worker renders (inherited, never pickled)
_SITE: list[Site] = []  # ...and the site they belong to


def _write_pages(indices: list[int], tree: str) -> tuple[list[tuple[str, list]], dict[str, str]]:
    """Render and write the given pages of _TODO into ``tree``; return their manifest rows
    and the entry bodies rendered on the way."""
    rows, folders = [], set()
    for index in indices:
        page = _TODO[index]
        stat = put(os.path.join(tree, page.path), page.render(), folders)
        rows.append((page.path, [page.key, stat.st_size, stat.st_mtime_ns]))
    return rows, _SITE[0].fresh_bodies()


def render_pages(
    todo: list[Page],
    tree: Path,
    site: Site,
    progress: Progress | None,
    done: int = 0,
    total: int = 0,
    yielding: bool = False,
) -> Iterator[tuple[str, list]]:
    """Write the pages, in forked worker processes when there are many (Markdown and Jinja
    are CPU-bound); the output does not depend on how the work is split. The bodies the
    workers render come back to ``site``, for the pages rendered later. ``yielding`` workers
    run at a lower priority, leaving the cores to Pagefind first: it is the longest task left,
    and the pages fill the time it leaves (at 10,000 entries: 50.7 s against 57.6 s)."""
    _TODO[:], _SITE[:] = sorted(todo, key=lambda page: page.path), [site]
    chunks = [list(range(start, min(start + 250, len(_TODO)))) for start in range(0, len(_TODO), 250)]
    total = total or len(todo)
    pool = None
    try:
        if _forking(len(todo)):
            gc.freeze()  # the workers' collector leaves alone what they inherit (and its memory unshared)
            pool = concurrent.futures.ProcessPoolExecutor(
                WORKERS,
                mp_context=multiprocessing.get_context("fork"),
                initializer=os.nice if yielding else None,
                initargs=(10,) if yielding else (),
            )
            results = pool.map(_write_pages, chunks, [str(tree)] * len(chunks))
        else:
            results = (_write_pages(chunk, str(tree)) for chunk in chunks)
        for rows, bodies in results:
            site.keep_bodies(bodies)
            done += len(rows)
            if progress:
                progress("pages", done, total)
            yield from rows
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
            gc.unfreeze()
        _TODO.clear()
        _SITE.clear()


_ENTRIES: list[Entry] = []  # the entries whose bodies forked workers render (inherited, never pickled)


def _render_bodies(bounds: tuple[int, int]) -> dict[str, str]:
    renderer = Renderer()
    return {e.id: render_body(renderer, e) for e in _ENTRIES[slice(*bounds)]}


def _forking(count: int) -> bool:
    return WORKERS > 1 and count >= PARALLEL_FROM and "fork" in multiprocessing.get_all_start_methods()


@contextlib.contextmanager
def bodies_in_workers(entries: list[Entry]) -> Iterator[Iterable[dict[str, str]]]:
    """Render the entries' bodies in worker processes while the caller goes on (the whole
    site's plan, on a first build); iterate what it yields to collect them. Nothing is
    rendered for few entries: the pages render their bodies as they go."""
    if not _forking(len(entries)):
        yield ()
        return
    _ENTRIES[:] = entries
    pool = concurrent.futures.ProcessPoolExecutor(WORKERS, mp_context=multiprocessing.get_context("fork"))
    try:
        yield pool.map(_render_bodies, [(start, start + 250) for start in range(0, len(entries), 250)])
    finally:
        pool.shutdown(cancel_futures=True)
        _ENTRIES.clear()
