"""Rendering pages and entry bodies, in forked worker processes when there are many.

Markdown and Jinja are CPU-bound: with two cores, two workers halve the time. The workers are
forked by ``kb.workers``, so they inherit the pages and the site as they are (never pickled);
only bounds go out, and manifest rows, rendered bodies and citations come back. The output does
not depend on how the work is split.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Callable, Iterable, Iterator

from kb import workers
from kb.entries.schema import Entry
from kb.site.markup import Renderer
from kb.site.output import put
from kb.site.pages import Page, Site, render_body

PARALLEL_FROM = 400  # pages (or bodies) to render before it pays to fork workers
RENEW = 80  # tasks (20,000 pages) a pair of page workers renders before fresh ones are forked (workers.spread)
YIELD = 10  # how much lower workers that leave the cores to another process first run (os.nice)

Progress = Callable[[str, int, int], None]


def _write_pages(
    shared: tuple[list[Page], Site, str], bounds: tuple[int, int]
) -> tuple[list[tuple[str, list]], dict[str, str], dict[str, tuple[str, str]]]:
    """Render and write the pages ``bounds`` of ``todo`` into ``tree``; return their manifest
    rows, and the entry bodies and citations made on the way."""
    todo, site, tree = shared
    rows, folders = [], set()
    for page in todo[slice(*bounds)]:
        stat = put(os.path.join(tree, page.path), page.render(), folders)
        rows.append((page.path, [page.key, stat.st_size, stat.st_mtime_ns]))
    return rows, site.bodies.fresh(), site.citations.fresh()


def render_pages(
    todo: list[Page],
    tree: Path,
    site: Site,
    progress: Progress | None,
    done: int = 0,
    total: int = 0,
    yielding: bool = False,
    in_order: bool = False,
) -> Iterator[tuple[str, list]]:
    """Write the pages, in forked worker processes when there are many (Markdown and Jinja
    are CPU-bound); the output does not depend on how the work is split. The bodies and
    citations the workers make come back to ``site``, for the pages rendered later. ``yielding`` workers
    run at a lower priority, leaving the cores to Pagefind first: it is the longest task left,
    and the pages fill the time it leaves (at 10,000 entries: 50.7 s against 57.6 s).

    A few heavy pages (the whole-inventory downloads, rewritten after one entry's metadata
    changed: most of such a rebuild) are shared out one per task: the two workers write them
    side by side.

    The pages are written in the order of their paths (a listing's pages together), or
    ``in_order`` given (the French entry pages shard by shard, for Pagefind: see
    kb.site.pagefind.Indexing); their rows come back in that order."""
    ordered = todo if in_order else sorted(todo, key=lambda page: page.path)
    total = total or len(todo)
    nice = YIELD if yielding else 0
    few = len(ordered) < PARALLEL_FROM
    heavy = sum(page.weight for page in ordered) >= PARALLEL_FROM
    with workers.spread(
        _write_pages,
        (ordered, site, str(tree)),
        len(ordered),
        0 if heavy else PARALLEL_FROM,
        nice,
        size=1 if few else workers.CHUNK,
        renew=0 if few else RENEW,
    ) as results:
        for rows, bodies, citations in results:
            site.bodies.keep(bodies)
            site.citations.keep(citations)
            done += len(rows)
            if progress:
                progress("pages", done, total)
            yield from rows


def _render_bodies(entries: list[Entry], bounds: tuple[int, int]) -> dict[str, str]:
    renderer = Renderer()
    return {e.id: render_body(renderer, e) for e in entries[slice(*bounds)]}


class BodiesAhead:
    """Every entry's body rendered in worker processes from the moment a build has parsed all
    the entries (kb.project: a store written afresh, as on a first build or in CI), ahead of
    the whole plan that would start them (see bodies_in_workers). The main process then writes
    the store, copies the entries and plans the site with the second core busy instead of
    idle. The plan takes the bodies, or the build stops the workers when it needs none."""

    def __init__(self) -> None:
        self._pool = contextlib.ExitStack()
        self.bodies: Iterable[dict[str, str]] | None = None

    def start(self, entries: list[Entry]) -> None:
        self.bodies = self._pool.enter_context(bodies_in_workers(entries))

    def close(self) -> None:
        """Stop the workers (at once if their bodies were taken, else after their current task)."""
        self._pool.close()


@contextlib.contextmanager
def bodies_in_workers(entries: list[Entry]) -> Iterator[Iterable[dict[str, str]]]:
    """Render the entries' bodies in worker processes while the caller goes on (the whole
    site's plan, on a first build); iterate what it yields to collect them. Nothing is
    rendered for few entries: the pages render their bodies as they go.

    The workers yield to the caller: the plan is the longer chain (at 100,000 entries the
    main process planned alone for 10-15 s after the workers were done, one core idle),
    and the workers, at a lower priority, still take what it leaves of the cores, then
    both once it waits for them."""
    with workers.spread(_render_bodies, entries, len(entries), PARALLEL_FROM, YIELD, only_forked=True) as bodies:
        yield bodies
