"""Work on several processes: the one way kb spreads CPU-bound work (parsing entries, analysing
the search documents, rendering bodies and pages) over forked worker processes.

Why processes, and only two: parsing YAML and rendering Markdown and Jinja are pure Python,
so threads would take turns on the GIL; the machines kb is built on have two cores, and a full
index or build of 10,000 entries is mostly this work.

Why fork: the workers need large, live state (the files' bytes and the vocabularies, or the
``Site`` with its catalogue, templates and caches), some of which cannot be pickled. A forked
worker inherits all of it as it is in the parent when the pool starts, shared copy-on-write
pages, and starts in milliseconds; a spawned one would import kb again and need it all
pickled. Only ``(start, stop)`` bounds travel to the workers, and only results come back.
``gc.freeze()`` before forking keeps the workers' collector off the inherited objects, whose
pages would otherwise be copied when it touches their reference counts. Where fork does not
exist (Windows, or a system that forbids it), or when the work is too small to pay for forking
(a few hundred items: the thresholds are the callers'), it runs in this process instead, with
the same results.

What the workers inherit is the ``shared`` object given to ``spread``, kept in this module while
the pool runs (a worker finds it there by its place in the list, since the job itself travels
by name): so ``job`` must be a module-level function taking ``(shared, (start, stop))``.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import errno
import gc
import itertools
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

S = TypeVar("S")
R = TypeVar("R")

WORKERS = min(2, os.cpu_count() or 1)  # processes; set it to 1 to keep all the work here (profiling)
CHUNK = 250  # items per task: large enough that a task's overhead does not show, small enough to share

ORPHAN_POLL = 0.2  # seconds between a worker's looks at whether kb's process is still there
_SHARED: list[tuple[Any]] = []  # what running pools' workers read: set before they fork, never pickled


def chunks(count: int, size: int = CHUNK) -> list[tuple[int, int]]:
    """``range(count)`` as ``(start, stop)`` bounds of ``size`` items, in order."""
    return [(start, min(start + size, count)) for start in range(0, count, size)]


def _call(job: Callable[[Any, tuple[int, int]], R], place: int, bounds: tuple[int, int]) -> R:
    return job(_SHARED[place][0], bounds)  # its pool's, where it was when this worker was forked


# A worker's cycle collector thresholds (Python's: 700, 10, 10). Rendering pages allocates
# millions of short-lived containers and next to no cyclic garbage: at the defaults the page
# workers of a 10,000-entry build spent about 1 s each in some 4,000 collections, 0.3 s at these.
WORKER_GC_THRESHOLDS = (50_000, 20, 100)


def _start(nice: int, parent: int) -> None:
    """In each worker, first: lower its priority by ``nice``, collect cyclic garbage, less
    often (WORKER_GC_THRESHOLDS), and end it when ``parent`` ends. A killed kb process cannot
    stop its workers, which would otherwise wait for work forever, holding what they
    inherited: memory, and the project's lock (``kb.lock``), which the next kb run would then
    wait for."""
    if nice:
        os.nice(nice)
    gc.set_threshold(*WORKER_GC_THRESHOLDS)
    gc.enable()  # forked from a block with it off (collector_off), the worker would inherit that
    threading.Thread(target=_end_with, args=(parent,), daemon=True).start()


def _end_with(parent: int) -> None:
    while os.getppid() == parent:  # an orphan is adopted by another process
        time.sleep(ORPHAN_POLL)
    os._exit(1)


@contextlib.contextmanager
def collector_off(freeze: bool = False) -> Iterator[None]:
    """Python's cycle collector off in this process for the block. Reading and planning a site
    allocate millions of lasting objects (entries, store rows, pages, keys) and next to no
    cyclic garbage: the collector scanning them again and again took about 2 s of the plan at
    10,000 entries, and 0.5 s more while the entries were parsed and stored.

    With ``freeze``, what exists when the block succeeds is frozen (gc.freeze), so that the
    collector, back on, does not scan it either: its first passes over the plan's objects took
    0.2 s before a rebuild's pages went live. Whoever freezes calls ``thaw`` when done with
    them (the build, whatever its outcome).

    From a thread other than the main one it does nothing: the collector is the whole
    process's, and the main thread's work keeps it. So work that relies on it beside the main
    thread goes to a process of its own (``aside``), not to a thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if freeze and enabled:
            gc.freeze()
    finally:
        if enabled:
            gc.enable()


def thaw() -> None:
    """What collector_off froze back under the collector (as spread does after its workers)."""
    gc.unfreeze()


@contextlib.contextmanager
def spread(
    job: Callable[[S, tuple[int, int]], R],
    shared: S,
    count: int,
    parallel_from: int,
    nice: int = 0,
    only_forked: bool = False,
    size: int = CHUNK,
    renew: int = 0,
) -> Iterator[Iterable[R]]:
    """The results of ``job(shared, (start, stop))`` over ``range(count)`` in chunks of ``size``
    items, in order.

    With at least ``parallel_from`` items, ``WORKERS`` forked processes compute them, starting at
    once: the caller may do other work before it reads them (``nice`` lowers the workers'
    priority, leaving the cores to another process first). Otherwise they are computed here,
    each chunk when it is read, or, with ``only_forked``, not at all (an empty iterable: for a
    head start the caller can do without). Leaving the block stops the workers and drops the
    results not read yet.

    With ``renew``, the workers compute that many chunks, then end, and fresh ones are forked
    for the next as many (once the caller has read the results before them). A worker's
    memory grows as it works: the inherited pages it touches become its own copies (reading
    an object writes its reference count), and Python keeps the memory it has freed. A page
    worker of a 100,000-entry build came to hold about 1 GB of its own this way, beside the
    main process and Pagefind."""
    if WORKERS < 2 or count < parallel_from or "fork" not in multiprocessing.get_all_start_methods():
        yield () if only_forked else (job(shared, bounds) for bounds in chunks(count, size))
        return
    slot = (shared,)  # its own identity, whatever ``shared`` is
    _SHARED.append(slot)
    gc.freeze()
    bounds = chunks(count, size)
    step = renew or len(bounds) or 1
    groups = [bounds[start : start + step] for start in range(0, len(bounds), step)] or [[]]
    pools: list[concurrent.futures.ProcessPoolExecutor] = []

    def computed(group: list[tuple[int, int]]) -> Iterator[R]:
        if pools:
            pools[-1].shutdown()  # every result read: its workers end, with what they hold
        pools.append(
            concurrent.futures.ProcessPoolExecutor(
                WORKERS,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_start,
                initargs=(nice, os.getpid()),
            )
        )
        place = next(n for n, other in enumerate(_SHARED) if other is slot)
        return pools[-1].map(_call, [job] * len(group), [place] * len(group), group)

    try:
        first = computed(groups[0])  # started now; the next groups when the caller gets to them
        yield itertools.chain(first, itertools.chain.from_iterable(computed(group) for group in groups[1:]))
    except concurrent.futures.process.BrokenProcessPool as error:
        raise killed() from error
    finally:
        for pool in pools:
            pool.shutdown(cancel_futures=True)
        gc.unfreeze()
        _SHARED[:] = [other for other in _SHARED if other is not slot]


def killed() -> OSError:
    """What a worker killed while it worked means: the system ran out of memory (the kernel's
    OOM killer is what stops a worker of a large build; kb.faults says so in one line)."""
    return OSError(errno.ENOMEM, os.strerror(errno.ENOMEM))


@contextlib.contextmanager
def aside() -> Iterator[concurrent.futures.ProcessPoolExecutor]:
    """One worker process, for CPU-bound work that a thread of this process would otherwise do
    beside the main thread (kb.site.pagefind makes each search shard byte-stable while the
    pages are written). In a thread, collector_off does nothing (the collector is the whole
    process's): at 100,000 entries, settling seven shards in a thread took 110 s of CPU, 46 s
    of it in the collector scanning their postings, against 6.5-8.3 s a shard in a process of
    its own. The worker is spawned, not forked: forking from a thread copies a process whose
    other threads may hold locks. Its tasks go by name and their arguments are pickled, so they
    must be small; its exceptions come back as they were raised. It ends with kb's process, as
    the forked workers do (_start). Leaving the block waits for the task running, not for those
    queued."""
    pool = concurrent.futures.ProcessPoolExecutor(
        1, mp_context=multiprocessing.get_context("spawn"), initializer=_start, initargs=(0, os.getpid())
    )
    try:
        yield pool
    finally:
        pool.shutdown(cancel_futures=True)
