#!/usr/bin/env python3
"""What kb's own search engine buys over Whoosh used through its public API only.

    python scripts/bench_engine.py                                # 1,000 and 10,000 entries, tmpfs
    python scripts/bench_engine.py --sizes 1000 --no-processes
    python scripts/bench_engine.py --corpus /dev/shm/corpus-10000  # a corpus made by gen_corpus.py

On a shared machine wrap a run over 1,000 entries in ``flock LOCKFILE ...``: one heavy benchmark
at a time. A developer tool: it prints figures and never asserts.

For each size, the same entries (``scripts/gen_corpus.py``) go into a SQLite store, then into
two indexes, one after the other:

- **kb**: ``kb.search`` as ``kb index`` and ``kb search`` use it (its own posting blocks,
  evaluation, MaxScore, facet masks and snippet windows; ``kb/search/engine/``);
- **public**: the same documents, the same analysis (per-language chains, section weights), the
  same query parsing and filters, written and searched through Whoosh's public API alone: the
  default codec, TEXT fields with positions (phrases), ``Searcher.search`` with ``filter=``,
  ``groupedby=`` facets counted over every match (``FieldFacet(allow_overlap=True)``,
  ``maptype=Count``), ``sortedby=`` newest first for the empty query, and snippets from
  ``Hit.highlights`` with the same fragmenter.

It prints each index's full build time, and the query latency (best of 3 per query, facets and
10 hits with snippets) over ``bench_search.py``'s queries, without and with its filters: median,
p95, max; and how many queries found the same number of entries in both (all but quoted
phrases, which kb looks for in the title, summary and body, the public index in its one text
field, which holds the vocabulary labels too).
At the largest size it also times processes, as issue #18 counts them: ``kb index`` from
scratch, ``kb index`` after one entry is edited, and one ``kb search`` (medians). ``others`` is
how many cores other processes used meanwhile: read figures with ``others`` above ~0.3 as inflated.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from bench_search import (  # noqa: E402 - the benchmarks share their queries and timers
    FILTERS,
    PROCESS_QUERY,
    QUERIES,
    Bench,
    Run,
    fmt,
    generate,
    kb_env,
    median_run,
    percentile,
    say,
    timed,
    timed_process,
)
from whoosh import fields, index, qparser, query, sorting, writing  # noqa: E402
from whoosh.highlight import ContextFragmenter, HtmlFormatter  # noqa: E402

from kb.entries.vocab import LANGS  # noqa: E402
from kb.search.analysis import Sections, exact_key, folding  # noqa: E402
from kb.search.documents import document  # noqa: E402
from kb.search.queries import EXACT_TITLE_BOOST, clean_query  # noqa: E402
from kb.store.filters import TAG_FIELDS, Filters  # noqa: E402

# -- Whoosh through its public API --------------------------------------------------------------------


def public_schema() -> fields.Schema:
    """kb's fields and analysis with Whoosh's own formats and codec: one TEXT field per language,
    with positions (so that phrases are answered by the field itself)."""
    return fields.Schema(
        id=fields.ID(stored=True, unique=True),
        names=fields.TEXT(analyzer=folding()),
        year=fields.NUMERIC(int, bits=16, sortable=True, stored=True),
        sort_title=fields.ID(sortable=True),
        title_exact=fields.ID(),
        data=fields.STORED,
        **{f"text_{lang}": fields.TEXT(analyzer=Sections(lang)) for lang in LANGS},
        **{name: fields.KEYWORD(commas=True, lowercase=False) for name in TAG_FIELDS},
    )


class PublicIndex:
    """Whoosh's public API only: ``create_in``, ``writer``, ``searcher().search``, ``highlights``."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.index: Any = None
        self.searcher: Any = None
        self.parser: Any = None

    def build(self, entries: list[Any], vocabularies: Any) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        self.index = index.create_in(str(self.directory), public_schema())
        writer = self.index.writer(limitmb=256)
        for entry in entries:
            doc = document(entry, vocabularies)
            writer.add_document(
                id=doc["id"],
                names=doc["names"],
                year=doc["year"],
                sort_title=doc["sort_title"].decode(),
                title_exact=doc["title_exact"],
                data=doc["data"],
                **{f"text_{lang}": doc[f"text_{lang}"] for lang in LANGS},
                **{name: doc[name] for name in TAG_FIELDS if name in doc},
            )
        writer.commit(mergetype=writing.CLEAR)
        self.searcher = self.index.searcher()
        parser = qparser.MultifieldParser(
            [f"text_{lang}" for lang in LANGS] + ["names"], schema=self.index.schema, group=qparser.AndGroup
        )
        for plugin in (qparser.FieldsPlugin, qparser.BoostPlugin, qparser.RangePlugin, qparser.SingleQuotePlugin):
            parser.remove_plugin_class(plugin)
        self.parser = parser

    def search(self, text: str, filters: Filters, limit: int = 10) -> tuple[int, list[str], dict[str, Any]]:
        """(matches, the best ``limit`` ids, facet counts), snippets made for the hits shown."""
        cleaned, _ = clean_query(text)
        parsed = query.Every() if not cleaned or cleaned == "*" else self.parser.parse(cleaned)
        if parsed is query.NullQuery:
            parsed = query.Every()
        conditions = [query.Term(name, value) for name, value in filters.tags()]
        if filters.year_from is not None or filters.year_to is not None:
            conditions.append(query.NumericRange("year", filters.year_from, filters.year_to))
        listing = isinstance(parsed, query.Every)
        if not listing:
            parsed = query.AndMaybe(parsed, query.Term("title_exact", exact_key(cleaned), boost=EXACT_TITLE_BOOST))
        facets = {name: sorting.FieldFacet(name, allow_overlap=True) for name in TAG_FIELDS}
        facets["year"] = sorting.FieldFacet("year")
        results = self.searcher.search(
            parsed,
            filter=query.And(conditions) if conditions else None,
            limit=limit,
            groupedby=facets,
            maptype=sorting.Count,
            sortedby=[sorting.FieldFacet("year", reverse=True), sorting.FieldFacet("sort_title")] if listing else None,
            terms=not listing,
        )
        results.fragmenter = ContextFragmenter(maxchars=160, surround=60)
        results.formatter = HtmlFormatter(tagname="mark")
        ids = []
        for hit in results:
            data = hit["data"]
            if not listing:
                field = f"text_{data['language']}"
                hit.highlights(field, text=data["text"], top=2) or hit.highlights(
                    field, text=data["summary"] or "", top=1
                )
            ids.append(hit["id"])
        counts = {name: results.groups(name) for name in facets}
        return len(results), ids, counts


# -- the run ---------------------------------------------------------------------------------------------


def latencies(search: Any, filtered: bool, repeat: int) -> tuple[list[float], list[float], list[int]]:
    """Each query's best wall time and best cpu time (this process's) of ``repeat`` runs, and
    how many entries it found."""
    walls, cpus, totals = [], [], []
    for number, text in enumerate(QUERIES):
        filters = FILTERS[number % len(FILTERS)] if filtered else Filters()
        wall, cpu = [], []
        for _ in range(repeat):
            started = time.process_time()
            found, run = timed(lambda t=text, f=filters: search(t, f))
            wall.append(run.wall)
            cpu.append(time.process_time() - started)
        walls.append(min(wall))
        cpus.append(min(cpu))
        totals.append(found)
    return walls, cpus, totals


def summary(values: list[float]) -> str:
    return f"median {fmt(statistics.median(values))}, p95 {fmt(percentile(values, 0.95))}, max {fmt(max(values))}"


def run_size(bench: Bench, figures: dict[str, Any], public_repeat: int) -> None:
    project = bench.project()
    project.index(full=True, search=False)
    label = f"[{bench.size}]"
    _, figures["kb_index"] = timed(project.index)  # the search part alone: store -> kb's index
    entries = project.store.entries()
    public = PublicIndex(bench.base / "public")
    _, figures["public_index"] = timed(lambda: public.build(entries, project.vocabularies))
    say(f"  {label} index from the store: kb {figures['kb_index']}; public {figures['public_index']}")
    ours = project.search_index

    def kb_search(text: str, filters: Filters) -> int:
        return ours.search(text, filters, limit=10).total

    def public_search(text: str, filters: Filters) -> int:
        return public.search(text, filters, limit=10)[0]

    for text in QUERIES:  # warm: stemmer caches, column readers
        kb_search(text, Filters())
    public_search(QUERIES[0], Filters())  # (opens its searcher)
    found: dict[str, list[int]] = {}
    for name, search, repeat in (("kb", kb_search, 3), ("public", public_search, public_repeat)):
        for filtered in (False, True):
            key = f"{name}_{'filtered' if filtered else 'plain'}"
            figures[key], figures[f"{key}_cpu"], found[key] = latencies(search, filtered, repeat)
            say(
                f"  {label} {name} query + facets{' + filters' if filtered else ''} (best of {repeat}): "
                f"{summary(figures[key])}; cpu p95 {fmt(percentile(figures[f'{key}_cpu'], 0.95))}"
            )
    differ = [
        f"{text!r} {mine}/{theirs}"
        for kind in ("plain", "filtered")
        for text, mine, theirs in zip(QUERIES, found[f"kb_{kind}"], found[f"public_{kind}"])
        if mine != theirs
    ]
    say(
        f"  {label} queries finding as many entries in both: {2 * len(QUERIES) - len(differ)} of {2 * len(QUERIES)}"
        + (f" (kb/public: {', '.join(differ)})" if differ else "")
    )
    project.close()


def processes(bench: Bench, figures: dict[str, Any]) -> None:
    """``kb index`` from scratch, after one edit, and one ``kb search``, as issue #18 counts them."""
    for leftover in ("kb.sqlite", "whoosh"):
        path = bench.base / leftover
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
    figures["process_full"] = timed_process(bench.cli(*bench.index_args()), bench.base, kb_env())
    say(f"  [{bench.size}] kb index from scratch (process): {figures['process_full']}")
    runs = []
    for number in range(3):
        bench.edit(number)
        runs.append(timed_process(bench.cli(*bench.index_args()), bench.base, kb_env()))
    figures["process_one"] = median_run(runs)
    say(f"  [{bench.size}] kb index, one entry edited (process, median of 3): {figures['process_one']}")
    command = bench.cli("search", "--index-dir", str(bench.base / "whoosh"), *PROCESS_QUERY)
    timed_process(command, bench.base, kb_env())
    figures["process_search"] = median_run([timed_process(command, bench.base, kb_env()) for _ in range(5)])
    say(f"  [{bench.size}] one kb search (process, median of 5): {figures['process_search']}")
    for key, modules in (("floor", "kb.cli, kb.search.index"),):  # what kb search imports
        floor = [sys.executable, "-c", f"import {modules}"]
        timed_process(floor, bench.base, kb_env())
        figures[key] = median_run([timed_process(floor, bench.base, kb_env()) for _ in range(5)])
        say(f"  [{bench.size}] python -c 'import {modules}' (median of 5): {figures[key]}")


def table(results: dict[int, dict[str, Any]]) -> None:
    heads = "".join(f"{size:>22,}" for size in results)
    say("\n" + "entries".ljust(44) + heads)
    rows = [
        ("index from the store, kb (cpu)", lambda f: f"{fmt(f['kb_index'].wall)} ({fmt(f['kb_index'].cpu)})"),
        (
            "index from the store, public (cpu)",
            lambda f: f"{fmt(f['public_index'].wall)} ({fmt(f['public_index'].cpu)})",
        ),
    ]
    for name in ("kb", "public"):
        for kind in ("plain", "filtered"):
            rows.append(
                (
                    f"query + facets{' + filters' if kind == 'filtered' else ''} p95, {name} (cpu)",
                    lambda f, k=f"{name}_{kind}": (
                        f"{fmt(percentile(f[k], 0.95))} ({fmt(percentile(f[k + '_cpu'], 0.95))})"
                    ),
                )
            )
    rows.append(
        (
            "p95 public / kb, no filters (cpu)",
            lambda f: (
                f"{percentile(f['public_plain'], 0.95) / percentile(f['kb_plain'], 0.95):.1f}x "
                f"({percentile(f['public_plain_cpu'], 0.95) / percentile(f['kb_plain_cpu'], 0.95):.1f}x)"
            ),
        )
    )
    rows.append(("index cpu public / kb", lambda f: f"{f['public_index'].cpu / f['kb_index'].cpu:.2f}x"))
    for key, name in (
        ("process_full", "kb index from scratch (process)"),
        ("process_one", "kb index, one entry edited (process)"),
        ("process_search", "one kb search (process)"),
        ("floor", "  its imports"),
    ):
        rows.append((f"{name} (cpu)", lambda f, k=key: f"{fmt(f[k].wall)} ({fmt(f[k].cpu)})" if k in f else "-"))
    for name, cell in rows:
        say(name.ljust(44) + "".join(cell(f).rjust(22) for f in results.values()))
    others = {
        size: max((v.others for v in f.values() if isinstance(v, Run)), default=0.0) for size, f in results.items()
    }
    say("others (cores used by other processes)".ljust(44) + "".join(f"{o:.2f}".rjust(22) for o in others.values()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000", help="corpus sizes, comma-separated (default: 1000,10000)")
    parser.add_argument("--corpus", type=Path, help="a folder of entries to copy (its size is then the only size)")
    parser.add_argument("--no-processes", action="store_true", help="skip the kb index / kb search process timings")
    parser.add_argument("--keep", action="store_true", help="keep the working folders")
    parser.add_argument(
        "--public-repeat", type=int, default=3, help="runs of each query on the public index, best kept (default: 3)"
    )
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    if args.corpus:
        sizes = [sum(1 for p in args.corpus.glob("*.md") if p.name.lower() != "readme.md")]
    say(f"kb engine vs Whoosh's public API: sizes {sizes}; load {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    results: dict[int, dict[str, Any]] = {}
    folders = []
    try:
        for size in sizes:
            base = Path(tempfile.mkdtemp(prefix=f"kb-bench-engine-{size}-", dir="/dev/shm"))
            folders.append(base)
            bench = Bench(size, "shm", base)
            say(f"\n{size} entries ({base})")
            generate(bench.entries, size, args.corpus)
            results[size] = {}
            run_size(bench, results[size], args.public_repeat)
            if not args.no_processes and size == max(sizes):
                processes(bench, results[size])
        table(results)
    finally:
        if not args.keep:
            for folder in folders:
                shutil.rmtree(folder, ignore_errors=True)
    say(f"\nload at the end {' '.join(f'{v:.2f}' for v in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
