#!/usr/bin/env python3
"""Benchmark ``kb build`` on synthetic corpora: full and incremental builds, output size, the
bytes a browser downloads for a first search, and MkDocs on the same corpus as a peer.

    python scripts/bench_build.py                       # 1,000 and 10,000 entries, tmpfs and disk
    python scripts/bench_build.py --sizes 1000 --where shm --runs 5
    python scripts/bench_build.py --sizes 10000 --where shm --skip build,incremental,size,browser,mkdocs --profile

A developer tool: it prints figures and never asserts. For each size (``--sizes``) and place
(``--where``: ``shm`` = tmpfs under /dev/shm, ``disk`` = the VM disk under /var/tmp) it measures:

0. **history**: the project is made a git repository with a history (entries added in batches
   of 500 month after month, 200 commits changing 5 entries each, 50 renames; then packed, as
   a clone is; untimed), then
   ``kb.history.load`` is timed: the one ``git log`` pass a build makes after HEAD moved, and
   the cached read a rebuild after an edit makes. The later steps then build in that repository.
1. **full build**: ``python -m kb build --quiet`` in a fresh project (no store, no site), the
   median of N runs (``--runs``; default 3 below 5,000 entries, else 1). *wall* is elapsed
   time; *cpu* is user+sys of the process and everything it waited for (fork workers,
   Pagefind), from ``os.wait4``; *rss* is the peak resident size of the largest of them. Then
   the **parts**, from one in-process build through ``kb.project.Project``: ``index`` (files ->
   SQLite store), ``load`` (``Project.build`` minus the site: re-checking the files and loading
   the entries from the store), then ``BuildReport.timings``: ``prepare``, ``pages``, ``search``
   (Pagefind). A process costs *wall - in-process total* more: interpreter start and imports.
2. **incremental rebuild** after editing one entry (a fresh edit before every run): its body
   and its title, each by a ``kb build --quiet`` process and in-process (with the files
   written, ``BuildReport.written``); ``pages only`` is ``kb build --no-search``: the pages
   without Pagefind's re-index, which is always whole. *live* is when readers get the new
   pages: the time from the start until the site folder was swapped (a thread watches its
   inode); after a few changes ``kb build`` swaps the pages in before Pagefind re-indexes them,
   so *wall* (the whole process) is when search has caught up. ``first`` is the first rebuild after a full build, which
   also copies the live site into the staging tree; later rebuilds reuse the staging tree.
   The staging tree is one build behind, so a rebuild also rewrites what the previous one
   changed: ``no edit`` (nothing changed since the title edit) shows that, ``no edit again``
   is the fixed cost of a build with nothing to write. ``kb serve``: the edit seen by a running
   ``kb serve``, timed from the file's save (its look at the files included); ``title again``:
   a title saved once more as soon as the previous one is live, while Pagefind catches up.
2b. **deploys**: ``kb build --quiet`` as the site workflow runs it, in a copy of the project
   made as a runner makes it (its files copied anew, with new times, as a checkout writes them;
   the last build's trees and .kb/ packed and unpacked by ``tar --posix``, as actions/cache
   does): with nothing changed, then with a body edited (*live* and *searchable* as above).
3. **output size**: bytes and files of the site, per top folder, and of the ``pagefind/`` bundle.
4. **first query bytes**: the site served by ``http.server`` on 127.0.0.1, Debian's Chromium
   driven by Playwright (``tests/servers.py``). *type*: open ``/fr/search/``, wait until it is
   idle, type the query, wait until ``#kb-status`` shows a count and the network is quiet; the
   bytes of the page load and of the query are reported apart; *type nl*: the same from
   ``/nl/search/`` (the Dutch interface loads the Dutch index). *type+filter*: the same with the
   filter ticked before typing (ticking turns the reader to the filters, so the page also
   loads every dimension's counts). *link*: open
   ``/fr/search/?q=...&filter`` in a fresh browser (a shared link), load and query together;
   *browse*: the same with the filter alone (no words).
   ``raw`` is the response bodies as served (http.server does not compress); ``gzip`` is each
   file gzipped on its own (level 6, kept raw when gzip does not shrink it, as for Pagefind's
   already-gzipped files), which is what a compressing static host sends; ``wire`` is
   raw plus the response headers as Chromium counted them. Measured once per size (the bytes do not depend on
   where the site was built).
5. **MkDocs** (default theme, search on, ``nav: [index.md]``; ``docs/`` = the corpus' files)
   built with ``python -m mkdocs build -q`` the same way as kb, and the ratio kb/MkDocs. MkDocs
   is installed into this Python with pip if missing. Skipped when its estimated time is above
   ``--mkdocs-limit`` seconds.

Other sessions may be running on this 2-core machine. Before each measurement the script
prints ``os.getloadavg()``, waits up to ``--settle`` seconds for the 1-minute load to fall to
``--load-max``, and re-runs the measurement (``--retries`` times, while the total time stays
under ``--budget``) when it started above ``--load-max``; it keeps the attempt during which
other processes used the least CPU. ``others`` is that figure: CPU seconds used by everything
except the measured processes, per second of wall time (from /proc/stat), i.e. how many of the
2 cores something else was using. Read figures with ``others`` above ~0.3 as inflated. Our own
previous measurement keeps the load average up for a minute: ``others`` is the better guide.

The disk on this VM is slow and erratic with many small files: compare ``shm`` (the CPU cost)
with ``disk``, and read ratios against MkDocs timed in the same run rather than absolute times.

``--profile`` runs cProfile (``WORKERS = 1``) over one in-process full build of the largest size,
then over one rebuild after a body edit and one after a title edit, and prints a summary per component (Jinja, Markdown,
nh3, biblio, writes...), the cumulative time of key functions and the top functions. It counts
CPU time of the build process (``time.process_time``), so other processes do not inflate it;
Pagefind, a child process, appears as ``search`` in the build's timings. The ``.pstats`` files
stay beside the working folders.

The corpus comes from ``scripts/gen_corpus.py`` (seeded; the first 1,000 files of 10,000 are the
1,000 corpus), generated once into ``--corpus`` and reused. Working folders are deleted at the end
unless ``--keep``. ``--json FILE`` saves every figure.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlencode, urlparse

from benchlib import (
    Figure,
    Policy,
    Run,
    Summary,
    count,
    ensure_corpus,
    fill,
    kb_env,
    kbytes,
    mb,
    ratio_table,
    run_inprocess,
    run_process,
    say,
    tree_size,
)

ROOT = Path(__file__).resolve().parent.parent  # this checkout: tests/servers.py
KB_ROOT = ROOT  # the checkout whose kb package is measured (--kb)
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

PLACES = {"shm": Path("/dev/shm/kb-bench-build"), "disk": Path("/var/tmp/kb-bench-build")}
STEPS = ("history", "build", "parts", "incremental", "deploy", "size", "browser", "mkdocs")
TARGETS = (
    "Targets at 10,000 entries, 2 cores: full build <= 60 s, incremental rebuild <= 3 s, "
    "first query <= 250 KB gzip from the first keystroke, in either interface."
)
TARGET_FULL_S, TARGET_INCREMENTAL_S, TARGET_QUERY_BYTES = 60.0, 3.0, 250_000
# The typed first queries measured (see first_query), and their labels in the summary.
QUERY_RUNS = {"type": "first query, FR", "type nl": "first query, NL", "type+filter": "first query + filter, FR"}


# -- when readers get the pages ----------------------------------------------------------------


class LiveWatch:
    """Notes when readers get a build's pages: when the edited entry's French ``page`` in the
    folder ``site`` is another file (a title edit's own pages are renamed into the live site
    first: kb.site.build._own_pages_first), when ``site`` is swapped for another (its inode
    changes: every page showing the edit), then when its search bundle's layout file is
    replaced (a new bundle, or a delta of the edited pages: kb.site.pagefind): the moment
    they find them."""

    def __init__(self, site: Path, page: str):
        self.site = str(site)
        self.page = os.path.join(self.site, page)
        self.inode = self._inode(self.site)
        self.page_inode = self._inode(self.page)
        self.layout = os.path.join(self.site, "pagefind", "kb-search.json")
        self.layout_inode = self._inode(self.layout)
        self.started = time.perf_counter()
        self.at: float | None = None
        self.listed: float | None = None
        self.searchable: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()

    @staticmethod
    def _inode(path: str) -> int | None:
        try:
            return os.stat(path).st_ino
        except FileNotFoundError:
            return None

    def _poll(self) -> None:
        while not self._stop.wait(0.002):
            if self.listed is None and self._inode(self.site) not in (None, self.inode):
                self.listed = time.perf_counter() - self.started
            if self.at is None and (self.listed is not None or self._inode(self.page) != self.page_inode):
                self.at = time.perf_counter() - self.started
            if self.listed is not None and self._inode(self.layout) not in (None, self.layout_inode):
                self.searchable = time.perf_counter() - self.started
                return

    def stop(self) -> float | None:
        self._stop.set()
        self._thread.join()
        return self.at

    def since(self) -> float:
        return time.perf_counter() - self.started


def process_cpu(pid: int) -> float:
    """CPU seconds (user+sys) of a running process and of the children it has waited for."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(v) for v in fields[11:15]) / os.sysconf("SC_CLK_TCK")


def until(done: Callable[[], bool], process: subprocess.Popen, lines: list[str], seconds: float = 600) -> None:
    """Wait for ``done()`` while ``process`` runs (``lines``: what it said, to show if it ends)."""
    deadline = time.monotonic() + seconds
    while not done():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"kb serve ended or hung:\n{''.join(lines)[-3000:]}")
        time.sleep(0.01)


# -- corpus and project folders ----------------------------------------------------------------


class Workdir:
    """A kb project for one size in one place: entries/, .kb/ (store, manifests), site/."""

    def __init__(self, base: Path, corpus: list[Path]):
        self.base = base
        self.entries = base / "entries"
        self.site = base / "site"
        self.corpus = corpus
        self.edits = 0
        self.edited = self.entries / corpus[len(corpus) // 2].name
        self.page = f"fr/entries/{self.edited.stem}/index.html"

    def create(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)
        fill(self.entries, self.corpus)

    def clean(self) -> None:
        """Remove everything a build made (untimed), and flush the disk."""
        for name in (".kb", "site", ".site.next", ".site.swap"):
            shutil.rmtree(self.base / name, ignore_errors=True)
        os.sync()

    def command(self, *run: str) -> list[str]:
        """The kb command ``run`` (default ``build --quiet``) on this project."""
        return [
            sys.executable,
            "-m",
            "kb",
            *(run or ("build", "--quiet")),
            "--entries",
            str(self.entries),
            "--db",
            f"sqlite:///{self.base / '.kb' / 'kb.sqlite'}",
            "--output",
            str(self.site),
        ]

    def project(self):
        from kb.project import Project

        return Project(
            root=self.base,
            entries_dir=self.entries,
            site_dir=self.site,
            database_url=f"sqlite:///{self.base / '.kb' / 'kb.sqlite'}",
        )

    def edit(self, what: str) -> None:
        """Edit the middle entry: add a sentence to its body, or a word to its title."""
        self.edits += 1
        text = self.edited.read_text(encoding="utf-8")
        if what == "body":
            text = text.rstrip("\n") + f"\n\nParagraphe ajouté pour la mesure {self.edits}.\n"
        else:
            text = re.sub(
                r'^(title: "?)(.*?)("?)$',
                lambda m: f"{m[1]}{m[2]} (révision {self.edits}){m[3]}",
                text,
                count=1,
                flags=re.MULTILINE,
            )
        self.edited.write_text(text, encoding="utf-8")


# -- 1. full build ------------------------------------------------------------------------------


def full_builds(work: Workdir, runs: int, policy: Policy) -> Summary:
    def attempt() -> Run:
        work.clean()
        return run_process(work.command(), work.base, kb_env(KB_ROOT))

    return Summary.of([policy.measure(f"full build {i + 1}/{runs}", attempt) for i in range(runs)])


def build_parts(work: Workdir, policy: Policy) -> dict[str, float]:
    """One in-process full build: index, load, then BuildReport.timings."""

    def attempt() -> Run:
        work.clean()
        project = work.project()
        try:
            _, index = run_inprocess(lambda: project.index(search=False))
            report, build = run_inprocess(lambda: project.build(work.site))
        finally:
            project.close()
        parts = {"index": index.wall, "load": build.wall - sum(report.timings.values()), **report.timings}
        total = Run(
            index.wall + build.wall,
            index.cpu + build.cpu,
            others=(index.others * index.wall + build.others * build.wall) / (index.wall + build.wall),
        )
        total.extra = {"parts": parts, "pages": report.pages, "written": len(report.written)}
        return total

    run = policy.measure("in-process full build", attempt)
    parts = {**run.extra["parts"], "total": run.wall, "cpu": run.cpu, "others": run.others}
    say(
        "    parts: "
        + ", ".join(f"{k} {v:.2f}s" for k, v in run.extra["parts"].items())
        + f"; {run.extra['pages']} pages, {run.extra['written']} written"
    )
    return parts


# -- 2. incremental rebuilds ---------------------------------------------------------------------


def say_live(extra: dict[str, Any]) -> None:
    """When a rebuild's pages went live, every page showing the edit, and search (LiveWatch)."""
    live = extra.get("live")
    if live is None:
        return
    searchable, listed = extra.get("searchable"), extra.get("listed")
    say(
        f"      pages live after {live:.2f}s"
        + (f", every page showing the edit after {listed:.2f}s" if listed and listed > live + 0.005 else "")
        + (f", searchable after {searchable:.2f}s" if searchable else "")
    )


def incremental(work: Workdir, policy: Policy) -> dict[str, dict[str, Any]]:
    """Rebuilds after one edit, on top of the site the in-process full build left."""
    results: dict[str, dict[str, Any]] = {}

    def by_process(what: str, first: bool = False, search: bool = True) -> Callable[[], Run]:
        def attempt() -> Run:
            if first:  # back to the state right after a full build: no staging tree yet
                shutil.rmtree(work.base / ".site.next", ignore_errors=True)
                os.sync()
            if what != "none":
                work.edit(what)
            live = LiveWatch(work.site, work.page)
            run = run_process(work.command() + ([] if search else ["--no-search"]), work.base, kb_env(KB_ROOT))
            run.extra["live"] = live.stop()
            run.extra["listed"] = live.listed
            run.extra["searchable"] = live.searchable if search else None
            return run

        return attempt

    def in_process(what: str) -> Callable[[], Run]:
        def attempt() -> Run:
            if what != "none":
                work.edit(what)
            project = work.project()
            try:
                live = LiveWatch(work.site, work.page)
                report, run = run_inprocess(lambda: project.build(work.site))
            finally:
                project.close()
            run.extra.update(
                live=live.stop(),
                listed=report.listed,
                searchable=report.searchable,
                written=len(report.written),
                timings=dict(report.timings),
                plan=report.plan,
            )
            return run

        return attempt

    def by_serve(what: str, again: bool = False) -> Callable[[], Run]:
        """An edit seen by a running ``kb serve``: *live* and *searchable* from the moment the
        file was written (its look at the files, then its rebuild in a warm process). ``again``:
        the edit is saved once more as soon as every page showing the first one is live, while
        Pagefind catches up with it; the second one is timed."""

        def attempt() -> Run:
            command = work.command("serve", "--port", "0", "--lang", "en")
            serving = subprocess.Popen(command, cwd=work.base, env=kb_env(KB_ROOT), stderr=subprocess.PIPE, text=True)
            lines: list[str] = []
            reader = threading.Thread(target=lambda: lines.extend(iter(serving.stderr.readline, "")), daemon=True)
            reader.start()
            try:
                until(lambda: any("serving http" in line for line in lines), serving, lines)
                said = len(lines)  # (its first build, before serving, said "rebuilt" already)
                if again:
                    first = LiveWatch(work.site, work.page)
                    work.edit(what)
                    until(lambda: first.listed is not None, serving, lines)
                    first.stop()
                cpu = process_cpu(serving.pid)
                live = LiveWatch(work.site, work.page)
                work.edit(what)
                rebuilds = 2 if again else 1
                until(lambda: sum(line.startswith("rebuilt:") for line in lines[said:]) >= rebuilds, serving, lines)
                run = Run(live.since(), process_cpu(serving.pid) - cpu)
                run.extra.update(live=live.stop(), listed=live.listed, searchable=live.searchable)
            finally:
                serving.terminate()
                serving.wait()
            return run

        return attempt

    plan = [
        ("body, first, process", by_process("body", first=True)),
        ("body, process", by_process("body")),
        ("body, in-process", in_process("body")),
        ("body, pages only, process", by_process("body", search=False)),
        ("title, process", by_process("title")),
        ("title, in-process", in_process("title")),
        ("no edit, in-process", in_process("none")),  # the staging tree still lacks the title edit
        ("no edit again, in-process", in_process("none")),
        ("body, kb serve", by_serve("body")),
        ("title, kb serve", by_serve("title")),
        ("title again, kb serve", by_serve("title", again=True)),
    ]
    for label, attempt in plan:
        run = policy.measure(f"rebuild, {label}", attempt)
        results[label] = asdict(run)
        say_live(run.extra)
        if "written" in run.extra:
            say(
                f"      {run.extra['written']} files written ({run.extra['plan']} plan); "
                + ", ".join(f"{k} {v:.2f}s" for k, v in run.extra["timings"].items())
            )
    return results


# -- 2b. deploys: the state restored from the site workflow's cache -------------------------------

KEPT = (".kb", "site", ".site.next")  # what the site workflow keeps in its cache (.github/workflows/site.yml)


def restore(source: Workdir, copy: Workdir) -> None:
    """``copy`` made as the site workflow starts a deploy: the project's files (entries, git
    history) copied anew, with new times, as a checkout writes them, then ``source``'s trees
    and .kb/ packed and unpacked by GNU tar in the POSIX format, as actions/cache does (untimed)."""
    shutil.rmtree(copy.base, ignore_errors=True)
    top = str(source.base)
    shutil.copytree(
        source.base, copy.base, ignore=lambda folder, _: KEPT if folder == top else (), copy_function=shutil.copyfile
    )
    kept = [name for name in KEPT if (source.base / name).exists()]
    packing = subprocess.Popen(["tar", "--posix", "-cf", "-", *kept], cwd=source.base, stdout=subprocess.PIPE)
    subprocess.run(["tar", "-xf", "-"], cwd=copy.base, stdin=packing.stdout, check=True)
    if packing.wait():
        raise RuntimeError("tar could not pack the state")
    os.sync()


def deploys(work: Workdir, policy: Policy) -> dict[str, dict[str, Any]]:
    """``kb build --quiet`` processes in a project restored from the last build's state (see
    restore): with nothing changed, then with the middle entry's body edited. One build first
    (untimed) makes the tree beside the live one, as every deploy after the first finds it;
    two where no site was built (a process, whose memory goes with it: at 100,000 entries the
    in-process build's, kept, left too little beside the two projects on tmpfs)."""
    copy = Workdir(work.base.with_name(f"{work.base.name}-deploy"), work.corpus)
    results: dict[str, dict[str, Any]] = {}
    for _ in range(1 if work.site.is_dir() else 2):
        run_process(work.command(), work.base, kb_env(KB_ROOT))

    def attempt(what: str) -> Callable[[], Run]:
        def measured() -> Run:
            restore(work, copy)
            if not (copy.base / "kb.yml").exists():  # (tmpfs holds both projects: memory a runner's disk does not take)
                (copy.base / "kb.yml").write_text("memory_limit: 100000\n", encoding="utf-8")
            if what != "none":
                copy.edit(what)
            live = LiveWatch(copy.site, copy.page)
            run = run_process(copy.command(), copy.base, kb_env(KB_ROOT))
            run.extra.update(live=live.stop(), listed=live.listed, searchable=live.searchable)
            return run

        return measured

    try:
        for label, what in (("nothing changed", "none"), ("body", "body")):
            run = policy.measure(f"deploy, {label}", attempt(what))
            results[label] = asdict(run)
            say_live(run.extra)
    finally:
        shutil.rmtree(copy.base, ignore_errors=True)
    return results


# -- 0. provenance from git ----------------------------------------------------------------------


def make_history(work: Workdir) -> dict[str, int]:
    """Make the project a git repository whose entries have a history: added in batches of 500
    over the months, then 200 commits changing 5 entries each, and 50 renames (untimed)."""
    names = sorted(p.name for p in work.entries.glob("*.md"))
    counts = {"commits": 0}

    def git(*args: str, month: int = 0) -> None:
        date = f"{2020 + month // 12}-{month % 12 + 1:02d}-15T12:00:00+01:00"
        env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
        subprocess.run(
            ["git", "-C", str(work.base), "-c", "user.name=bench", "-c", "user.email=bench@example.org", *args],
            check=True,
            capture_output=True,
            env=env,
        )

    git("init", "-q", "-b", "main")
    for number, start in enumerate(range(0, len(names), 500)):
        git("add", *(f"entries/{n}" for n in names[start : start + 500]))
        git("commit", "-q", "-m", f"batch {number}", month=number)
        counts["commits"] += 1
    month = len(names) // 500 + 1
    for number in range(200):
        for name in names[number * 5 % len(names) :][:5]:
            with open(work.entries / name, "a", encoding="utf-8") as file:
                file.write(f"\nRévision {number}.\n")
        git("commit", "-q", "-am", f"change {number}", month=month + number // 20)
        counts["commits"] += 1
    for number, name in enumerate(names[-50:]):
        new = f"moved-{number:03d}-{name[4:10]}"  # a new id: the file is renamed and its id line follows
        git("mv", f"entries/{name}", f"entries/{new}.md")
        path = work.entries / f"{new}.md"
        path.write_text(
            re.sub(r"(?m)^id: .*$", f"id: {new}", path.read_text(encoding="utf-8"), count=1), encoding="utf-8"
        )
        git("commit", "-q", "-am", f"rename {number}", month=month + 10)
        counts["commits"] += 1
    git("repack", "-adq")  # packed, as a clone is (loose objects cost about ten times more to read)
    return counts


def history_pass(work: Workdir, policy: Policy) -> dict[str, Any]:
    """The git log pass of a build (``kb.history.load``): uncached (after a commit), and from
    its cache under .kb/ (what a rebuild after an edit pays: one ``git rev-parse``)."""
    from kb import history

    made = make_history(work)
    say(f"    history made: {made['commits']} commits")
    state = work.base / ".kb"
    results: dict[str, Any] = {}

    def attempt(cached: bool) -> Callable[[], Run]:
        def run() -> Run:
            if not cached:
                (state / "history.pickle").unlink(missing_ok=True)
            found, timed = run_inprocess(lambda: history.load(work.entries, state))
            timed.extra["dated"] = len(found.dates)
            return timed

        return run

    for label, cached in (("git log pass", False), ("from the cache", True)):
        run = policy.measure(f"history, {label}", attempt(cached))
        results[label] = asdict(run)
    return results


# -- 3. output size -----------------------------------------------------------------------------


def form_weight(site: Path) -> dict[str, int]:
    """Bytes (gzip, per file) of the proposal form: its page, script and styles (goal: 60 KB);
    the published ids it loads only when a proposal is ready are not counted."""
    files = [site / "fr" / "propose" / "index.html", site / "assets" / "propose.js", site / "assets" / "style.css"]
    sizes = {str(f.relative_to(site)): len(gzip.compress(f.read_bytes(), 6)) for f in files}
    sizes["total"] = sum(sizes.values())
    return sizes


def print_size(label: str, size: dict[str, Any]) -> None:
    say(f"    {label}: {mb(size['bytes'])}, {size['files']:,} files")
    for top, (nbytes, files) in sorted(size["parts"].items(), key=lambda kv: -kv[1][0]):
        say(f"      {top:<14} {mb(nbytes):>10} {files:>8,} files")


# -- 4. first query bytes -----------------------------------------------------------------------


@dataclass
class Transfer:
    """Bytes of a group of responses: as served, gzipped per file, and as Chromium counted them."""

    requests: int = 0
    raw: int = 0
    gzip: int = 0
    wire: int = 0
    kinds: dict[str, list[int]] = field(default_factory=dict)  # kind -> [requests, raw bytes]

    def add(self, kind: str, raw: int, gz: int, wire: int) -> None:
        self.requests += 1
        self.raw += raw
        self.gzip += gz
        self.wire += wire
        slot = self.kinds.setdefault(kind, [0, 0])
        slot[0] += 1
        slot[1] += raw

    def __str__(self) -> str:
        kinds = ", ".join(f"{k} {n}x {kbytes(b)}" for k, (n, b) in sorted(self.kinds.items(), key=lambda kv: -kv[1][1]))
        return (
            f"{self.requests} requests, raw {kbytes(self.raw)}, gzip {kbytes(self.gzip)}, "
            f"wire {kbytes(self.wire)}  [{kinds}]"
        )


def _file_for(site: Path, url: str) -> Path:
    path = unquote(urlparse(url).path).lstrip("/")
    target = site / path
    return target / "index.html" if path == "" or path.endswith("/") or target.is_dir() else target


def _kind(path: Path) -> str:
    name = path.name
    if name.startswith("wasm."):
        return "wasm"
    return path.suffix.lstrip(".") or name


def _tally(site: Path, requests: list[Any]) -> Transfer:
    transfer = Transfer()
    for request in requests:
        file = _file_for(site, request.url)
        data = file.read_bytes() if file.is_file() else b""
        headers = request.sizes()["responseHeadersSize"]  # (its body size is 0 for the worker script)
        transfer.add(_kind(file), len(data), min(len(data), len(gzip.compress(data, 6))), len(data) + headers)
    return transfer


class Recorder:
    """Finished requests of a page, and a wait for the network to fall quiet."""

    def __init__(self, page: Any):
        self.finished: list[Any] = []
        self.pending = 0
        self.last = time.monotonic()
        page.on("request", self._started)
        page.on("requestfinished", self._done)
        page.on("requestfailed", self._failed)

    def _started(self, _request: Any) -> None:
        self.pending += 1
        self.last = time.monotonic()

    def _done(self, request: Any) -> None:
        self.finished.append(request)
        self._failed(request)

    def _failed(self, _request: Any) -> None:
        self.pending -= 1
        self.last = time.monotonic()

    def quiet(self, page: Any, for_s: float = 0.7, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            page.wait_for_timeout(100)
            if self.pending <= 0 and time.monotonic() - self.last >= for_s:
                return


# The search has finished: results shown, status no longer "loading" (a count, or "no results").
SHOWS_COUNT = """() => {
  const status = document.getElementById('kb-status');
  const loading = JSON.parse(document.getElementById('kb-labels').textContent).ui.loading;
  return !document.getElementById('kb-results-section').hidden && status.textContent !== loading
    && !document.getElementById('kb-results').hasAttribute('aria-busy');
}"""


def _typed(
    browser: Any, site: Path, url: str, query: str, filters: list[tuple[str, str]], lang: str = "fr"
) -> dict[str, Any]:
    """Open the search page of the ``lang`` interface (nothing asked: it downloads no search
    data), tick ``filters``, type ``query``; the bytes of the page load and of the query, apart."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    recorder = Recorder(page)
    page.goto(url + f"{lang}/search/", wait_until="load")
    recorder.quiet(page)
    loaded = len(recorder.finished)
    for name, value in filters:
        page.check(f'input[name="{name}"][value="{value}"]')
    page.locator("#q").press_sequentially(query, delay=40)
    page.wait_for_timeout(400)  # the page waits 200 ms after the last key before searching
    page.wait_for_function(SHOWS_COUNT, timeout=60_000)
    recorder.quiet(page)
    result = {
        "load": _tally(site, recorder.finished[:loaded]),
        "query": _tally(site, recorder.finished[loaded:]),
        "total": _tally(site, recorder.finished),
        "status": page.inner_text("#kb-status"),
    }
    context.close()
    return result


def first_query(site: Path, query: str, filters: list[tuple[str, str]]) -> dict[str, Any]:
    """Bytes downloaded to open the search page, then to run a first query (see the docstring)."""
    from playwright.sync_api import sync_playwright
    from servers import launch_chromium, serve_directory

    url, stop = serve_directory(site)
    result: dict[str, Any] = {"query": query, "filters": filters}
    try:
        with sync_playwright() as playwright:
            browser = launch_chromium(playwright)
            try:
                # "type": the search page, then words typed into it (French, then Dutch interface: each
                # loads its own language's index); "type+filter": a filter ticked first.
                result["type"] = _typed(browser, site, url, query, [])
                result["type nl"] = _typed(browser, site, url, query, [], lang="nl")
                result["type+filter"] = _typed(browser, site, url, query, filters)
                # "link": a fresh browser context opening a link with the query in it; "browse": the
                # filters alone, no words.
                for name, params in (("link", [("q", query), *filters]), ("browse", filters)):
                    context = browser.new_context(viewport={"width": 1280, "height": 900})
                    page = context.new_page()
                    recorder = Recorder(page)
                    page.goto(url + "fr/search/?" + urlencode(params), wait_until="load")
                    page.wait_for_function(SHOWS_COUNT, timeout=60_000)
                    recorder.quiet(page)
                    result[name] = {"total": _tally(site, recorder.finished), "status": page.inner_text("#kb-status")}
                    context.close()
            finally:
                browser.close()
    finally:
        stop()
    for name in QUERY_RUNS:
        typed = result[name]
        say(f"    {name}: page load {typed['load']}")
        say(f"    {' ' * len(name)}  query     {typed['query']}")
        say(f"    {' ' * len(name)}  total     {typed['total']}")
    for name in ("link", "browse"):
        say(f"    {name}: {result[name]['total']}  status '{result[name]['status']}'")
    return result


# -- 5. MkDocs ----------------------------------------------------------------------------------


def ensure_mkdocs() -> str:
    try:
        import mkdocs
    except ImportError:
        say("installing mkdocs into this Python (pip install mkdocs) ...")
        result = subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "mkdocs"], check=False, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RuntimeError(f"pip install mkdocs failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
        import mkdocs
    return getattr(mkdocs, "__version__", "?")


def mkdocs_builds(work: Workdir, runs: int, policy: Policy) -> tuple[Summary, dict[str, Any]]:
    folder = work.base / "mkdocs"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "docs").mkdir(parents=True)
    for file in work.corpus:
        shutil.copyfile(file, folder / "docs" / file.name)
    (folder / "docs" / "index.md").write_text("# Inventaire\n\nBenchmark corpus.\n", encoding="utf-8")
    # Without nav:, every page lists every page: quadratic output (see shared/perf-anchors.md).
    (folder / "mkdocs.yml").write_text("site_name: kb bench\nnav:\n  - index.md\n", encoding="utf-8")

    def attempt() -> Run:
        shutil.rmtree(folder / "site", ignore_errors=True)
        os.sync()
        return run_process(
            [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(folder / "mkdocs.yml")], folder, kb_env(KB_ROOT)
        )

    summary = Summary.of([policy.measure(f"mkdocs build {i + 1}/{runs}", attempt) for i in range(runs)])
    return summary, tree_size(folder / "site")


def kb_vs_mkdocs(r: dict[str, Any]) -> list[str]:
    """kb's full build and output against MkDocs' on the same corpus, with the ratios."""
    mkdocs, figures = r["mkdocs"], []
    if "full" in r:
        full = r["full"]
        figures += [
            Figure("build, wall (median)", full["wall"], mkdocs["wall"]),
            Figure("build, cpu (median)", full["cpu"], mkdocs["cpu"]),
            Figure("peak RSS, largest process", full["rss_mb"] * 1e6, mkdocs["rss_mb"] * 1e6, mb),
        ]
    if "size" in r:
        figures += [
            Figure("output, bytes", r["size"]["bytes"], r["mkdocs_size"]["bytes"], mb),
            Figure("output, files", r["size"]["files"], r["mkdocs_size"]["files"], count),
        ]
    return ratio_table("kb", "MkDocs", figures) if figures else []


# -- profile ------------------------------------------------------------------------------------

COMPONENTS = [  # (component, substrings of "file:function" in pstats), first match wins
    ("templates (compiled Jinja code)", ["kb/site/templates/"]),
    ("jinja2 runtime", ["jinja2/", "markupsafe"]),
    ("markdown", ["markdown/", "xml/etree", "ElementTree"]),
    ("nh3", ["nh3"]),
    ("biblio exports", ["kb/bibliography/"]),
    ("charts", ["kb/site/charts.py"]),
    ("stats", ["kb/stats.py"]),
    ("yaml", ["yaml/"]),
    ("sqlalchemy/sqlite", ["sqlalchemy/", "sqlite3", "_sqlite"]),
    ("subprocess wait (Pagefind)", ["subprocess.py", "posix.waitpid", "select", "_posixsubprocess", "poll"]),
    ("pagefind canonical (gzip, cbor)", ["gzip.py", "zlib", "cborx"]),
    ("hashing / json (page keys)", ["hashlib", "_hashlib", "sha1", "json/", "_json", "c_make_encoder"]),
    (
        "file system (write, mkdir, stat, walk)",
        [
            "pathlib.py",
            "posix.",
            "io.",
            "_io.",
            "method 'write'",
            "method 'read'",
            "built-in method io.open",
            "shutil.py",
            "os.py",
            "genericpath.py",
            "posixpath.py",
        ],
    ),
    ("kb.site", ["kb/site/"]),
    (
        "kb.entries / project / store",
        ["kb/entries/schema.py", "kb/entries/inventory.py", "kb/project.py", "kb/store/database.py"],
    ),
    ("kb.i18n / vocab", ["kb/i18n/", "kb/entries/vocab.py"]),
    (
        "regex",
        [
            "re/",
            "sre_",
            "method 'sub'",
            "method 'match'",
            "method 'search'",
            "method 'findall'",
            "method 'finditer'",
            "method 'split' of 're",
        ],
    ),
    ("unicodedata / str", ["unicodedata", "of 'str' objects"]),
]
KEY_FUNCTIONS = [  # (label, file suffix, function name): their cumulative time
    ("Project.index (files -> store)", "kb/project.py", "index"),
    ("Store.entries (load)", "kb/store/database.py", "entries"),
    ("Catalogue.__init__", "kb/site/catalogue.py", "__init__"),
    ("Site.__init__", "kb/site/pages.py", "__init__"),
    ("Catalogue._related", "kb/site/catalogue.py", "_related"),
    ("stats.summary", "kb/stats.py", "summary"),
    ("Site.pages (page list, keys)", "kb/site/pages.py", "pages"),
    ("Site._page", "kb/site/pages.py", "_page"),
    ("Site.card", "kb/site/pages.py", "card"),
    ("Entry.tags", "kb/entries/schema.py", "tags"),
    ("vocab.fold", "kb/entries/vocab.py", "fold"),
    ("fingerprint (page keys)", "kb/site/catalogue.py", "fingerprint"),
    ("Tree.current (manifest check)", "kb/site/output.py", "current"),
    ("_write_pages (render + write)", "kb/site/render.py", "_write_pages"),
    ("Template.render", "jinja2/environment.py", "render"),
    ("Site._body (Markdown + nh3)", "kb/site/pages.py", "_body"),
    ("Markdown.convert", "markdown/core.py", "convert"),
    ("markup.sanitize (nh3)", "kb/site/markup.py", "sanitize"),
    ("bibtex export", "kb/bibliography/exports/bibtex.py", "export"),
    ("RIS export", "kb/bibliography/exports/ris.py", "export"),
    ("CSL-JSON export", "kb/bibliography/exports/csljson.py", "export"),
    ("csljson.dumps", "kb/bibliography/exports/csljson.py", "dumps"),
    ("Path.write_bytes", "pathlib.py", "write_bytes"),
    ("Path.mkdir", "pathlib.py", "mkdir"),
    ("Tree.prune", "kb/site/output.py", "prune"),
    ("Tree.save (manifest)", "kb/site/output.py", "save"),
    ("Indexing.finish (Pagefind)", "kb/site/pagefind.py", "finish"),
    ("pagefind.prune", "kb/site/pagefind.py", "prune"),
    ("pagefind.canonical", "kb/site/pagefind.py", "canonical"),
]


def profile_build(work: Workdir, top: int, folder: Path) -> dict[str, Any]:
    """cProfile, with WORKERS = 1, one in-process full build (index + site), then one rebuild
    after a body edit (the staging tree made by a first, unprofiled rebuild), then one after a
    title edit (the other tree first brought up to date, unprofiled)."""
    from kb import workers

    saved, workers.WORKERS = workers.WORKERS, 1
    results = {}
    try:
        work.clean()
        say("  full build (index + site):")
        results["full"] = _profiled(work, folder / f"profile-{len(work.corpus)}-full.pstats", top)
        _profiled(work, None, 0)  # makes the staging tree: later rebuilds are the steady state
        work.edit("body")
        say("  rebuild after a body edit:")
        results["rebuild"] = _profiled(work, folder / f"profile-{len(work.corpus)}-rebuild.pstats", top // 2)
        _profiled(work, None, 0)  # the other tree catches up the body edit
        work.edit("title")
        say("  rebuild after a title edit:")
        results["title"] = _profiled(work, folder / f"profile-{len(work.corpus)}-title.pstats", top // 2)
    finally:
        workers.WORKERS = saved
    return results


def _profiled(work: Workdir, out: Path | None, top: int) -> dict[str, Any]:
    """One ``Project.build`` under cProfile; prints components, key functions and the top functions."""
    import cProfile
    import pstats

    project = work.project()
    # CPU time of this process (user + sys): steady on a shared machine; Pagefind, a child
    # process, shows in report.timings["search"] instead.
    profiler = cProfile.Profile(time.process_time)
    started = time.perf_counter()
    try:
        profiler.enable()
        report = project.build(work.site)
        profiler.disable()
    finally:
        project.close()
    wall = time.perf_counter() - started
    if out is None:
        return {}
    profiler.dump_stats(str(out))
    stats = pstats.Stats(str(out))
    total = max(stats.total_tt, 1e-9)
    say(
        f"    {wall:.1f}s wall under cProfile ({total:.1f}s CPU in this process), "
        f"{len(report.written):,} files written; "
        + ", ".join(f"{k} {v:.1f}s" for k, v in report.timings.items())
        + f"; stats in {out}"
    )
    say("    by component (sum of tottime):")
    components: dict[str, float] = {}
    for (file, _line, name), (_cc, _nc, tt, _ct, _callers) in stats.stats.items():
        where = f"{file}:{name}"
        label = next((c for c, keys in COMPONENTS if any(k in where for k in keys)), "other")
        components[label] = components.get(label, 0.0) + tt
    for label, seconds in sorted(components.items(), key=lambda kv: -kv[1]):
        say(f"      {label:<42} {seconds:7.2f}s {100 * seconds / total:5.1f}%")
    say("    key functions (cumulative; nested ones overlap):")
    key_times: dict[str, float] = {}
    for label, suffix, name in KEY_FUNCTIONS:
        rows = [
            (nc, ct)
            for (file, _l, n), (_cc, nc, _tt, ct, _c) in stats.stats.items()
            if n == name and file.endswith(suffix)
        ]
        seconds, calls = sum(ct for _, ct in rows), sum(nc for nc, _ in rows)
        key_times[label] = seconds
        if calls:
            say(f"      {label:<42} {seconds:7.2f}s {100 * seconds / total:5.1f}%  {calls:>9,} calls")
    for order in ("tottime", "cumulative"):
        say(f"    top {top} by {order}:")
        rows = sorted(stats.stats.items(), key=lambda kv: -kv[1][2 if order == "tottime" else 3])[:top]
        for (file, line, name), (_cc, nc, tt, ct, _c) in rows:
            short = file.replace(str(KB_ROOT) + "/", "").split("site-packages/")[-1]
            say(f"      {tt:7.2f} {ct:7.2f} {nc:>9,}  {short}:{line}({name})")
    return {
        "wall": wall,
        "timings": dict(report.timings),
        "written": len(report.written),
        "components": components,
        "key_functions": key_times,
    }


# -- report -------------------------------------------------------------------------------------


def live_cells(extra: dict[str, Any], searchable: bool = True) -> str:
    """A rebuild's or a deploy's times until live, every page showing the edit (when later) and
    searchable (LiveWatch), for the summary table."""
    cells = f"live {extra['live']:.2f}s, " if extra.get("live") is not None else ""
    if extra.get("listed") and extra.get("live") is not None and extra["listed"] > extra["live"] + 0.005:
        cells += f"listed {extra['listed']:.2f}s, "
    if searchable and extra.get("searchable") is not None:
        cells += f"searchable {extra['searchable']:.2f}s, "
    return cells


def final_table(results: dict[str, Any]) -> None:
    say()
    say("=" * 100)
    say("Summary (wall seconds; cpu = user+sys; 'others' = cores used by other processes; see the docstring)")
    say("=" * 100)
    header = f"{'entries':>7} {'where':<5} {'measure':<44} {'figure':<44}"
    say(header)
    say("-" * len(header))
    for key, r in results["runs"].items():
        size, where = key.split("/")
        rows: list[tuple[str, str]] = []
        for label, h in r.get("history", {}).items():
            rows.append(
                (
                    f"history, {label}",
                    f"{h['wall']:.3f}s wall, {h['cpu']:.3f}s cpu ({h['extra']['dated']:,} entries dated)",
                )
            )
        if "full" in r:
            f = r["full"]
            rows.append(
                ("full build (kb build process)", (f"{f['wall']:.2f}s wall, {f['cpu']:.2f}s cpu, {f['rss_mb']:.0f} MB"))
            )
        if "parts" in r:
            p = r["parts"]
            rows.append(
                (
                    "  parts, in-process",
                    ", ".join(f"{k} {p[k]:.1f}" for k in ("index", "load", "prepare", "pages", "search") if k in p),
                )
            )
        if "mkdocs" in r:
            m = r["mkdocs"]
            rows.append(("MkDocs build (process)", f"{m['wall']:.2f}s wall, {m['cpu']:.2f}s cpu"))
            if "full" in r:
                rows.append(
                    (
                        "  ratio kb / MkDocs",
                        (f"wall {r['full']['wall'] / m['wall']:.2f}x, cpu {r['full']['cpu'] / m['cpu']:.2f}x"),
                    )
                )
        elif "mkdocs_skipped" in r:
            rows.append(("MkDocs build", r["mkdocs_skipped"]))
        for label, inc in r.get("incremental", {}).items():
            extra = inc.get("extra", {})
            written = f", {extra['written']} written" if "written" in extra else ""
            search = extra.get("timings", {}).get("search")
            search = f" (search {search:.1f})" if search is not None else ""
            live = live_cells(extra, searchable="no edit" not in label)
            rows.append((f"rebuild, {label}", f"{live}{inc['wall']:.2f}s wall{search}, {inc['cpu']:.2f}s cpu{written}"))
        for label, run in r.get("deploy", {}).items():
            live = live_cells(run.get("extra", {}))
            rows.append((f"deploy, {label}", f"{live}{run['wall']:.2f}s wall, {run['cpu']:.2f}s cpu"))
        if "size" in r:
            s = r["size"]
            pf = s["parts"].get("pagefind/", [0, 0])
            rows.append(("output", f"{mb(s['bytes'])}, {s['files']:,} files"))
            rows.append(("  pagefind/", f"{mb(pf[0])}, {pf[1]:,} files"))
        if "query" in r:
            for name, label in QUERY_RUNS.items():
                if name not in r["query"]:
                    continue
                q = r["query"][name]
                rows.append((f"{label}, page load (raw / gzip)", f"{kbytes(q['load'].raw)} / {kbytes(q['load'].gzip)}"))
                rows.append((f"{label}, query (raw / gzip)", f"{kbytes(q['query'].raw)} / {kbytes(q['query'].gzip)}"))
                rows.append((f"{label}, total (raw / gzip)", f"{kbytes(q['total'].raw)} / {kbytes(q['total'].gzip)}"))
            link, browse = r["query"]["link"]["total"], r["query"]["browse"]["total"]
            rows.append(("shared link, total (raw / gzip)", f"{kbytes(link.raw)} / {kbytes(link.gzip)}"))
            rows.append(("filters-only link, total (raw / gzip)", f"{kbytes(browse.raw)} / {kbytes(browse.gzip)}"))
        for measure, figure in rows:
            say(f"{size:>7} {where:<5} {measure:<44} {figure}")
        say()
    say(TARGETS)
    biggest = max((int(k.split("/")[0]) for k in results["runs"]), default=0)
    say(f"{'target':<40} {'where':<5} {'measured at ' + format(biggest, ','):<34} {'within':<6}")
    for key, r in results["runs"].items():
        size, where = key.split("/")
        if int(size) != biggest:
            continue
        if "full" in r:
            wall = r["full"]["wall"]
            within = "yes" if wall <= TARGET_FULL_S else "no"
            say(f"{'full build <= 60 s':<40} {where:<5} {f'{wall:.1f} s':<34} {within}")
        for label in (
            "body, process",
            "title, process",
            "body, kb serve",
            "title, kb serve",
            "title again, kb serve",
            "body, pages only, process",
        ):
            if label in r.get("incremental", {}):
                inc = r["incremental"][label]
                live = inc["extra"].get("live") or inc["wall"]
                figure = f"pages live {live:.1f} s, process {inc['wall']:.1f} s"
                say(
                    f"{'incremental rebuild <= 3 s (' + label.rsplit(',', 1)[0] + ')':<40} {where:<5} "
                    f"{figure:<34} {'yes' if live <= TARGET_INCREMENTAL_S else 'no'}"
                )
        for name, label in QUERY_RUNS.items():
            if name not in r.get("query", {}):
                continue
            q = r["query"][name]["query"]
            within = "yes" if q.gzip <= TARGET_QUERY_BYTES else "no"
            figure = f"{kbytes(q.raw)} raw, {kbytes(q.gzip)} gzip"
            say(f"{label + ' <= 250 KB gzip':<40} {where:<5} {figure:<34} {within}")


def to_json(value: Any) -> Any:
    if isinstance(value, (Transfer, Summary, Run)):
        return asdict(value)
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


# -- main ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1000,10000", help="entry counts, comma-separated (default: 1000,10000)")
    parser.add_argument("--where", default="shm,disk", help="shm (tmpfs), disk, or both (default: shm,disk)")
    parser.add_argument(
        "--runs", type=int, default=None, help="full builds per size (default: 3 below 5,000 entries, else 1)"
    )
    parser.add_argument(
        "--corpus",
        type=Path,
        default=None,
        help="generated corpus folder, reused (default: /dev/shm/kb-bench-build/corpus-<max size>)",
    )
    parser.add_argument(
        "--kb",
        type=Path,
        default=None,
        help="measure the kb package of this folder, e.g. a snapshot made with "
        "`git archive HEAD | tar -x -C DIR` while others edit kb/ (default: this checkout)",
    )
    parser.add_argument("--shm-dir", type=Path, default=PLACES["shm"], help="working folder on tmpfs")
    parser.add_argument("--disk-dir", type=Path, default=PLACES["disk"], help="working folder on disk")
    parser.add_argument("--skip", default="", help=f"steps to skip, comma-separated: {','.join(STEPS)}")
    parser.add_argument("--query", default="accessibilite", help="the first query (default: accessibilite)")
    parser.add_argument(
        "--filter",
        action="append",
        default=None,
        metavar="NAME=VALUE",
        help="a filter ticked with the query (default: scale=bassin; repeatable)",
    )
    parser.add_argument(
        "--mkdocs-limit", type=float, default=180, help="skip MkDocs when its estimated build time is above this (s)"
    )
    parser.add_argument("--load-max", type=float, default=1.5, help="1-minute load above which to re-run")
    parser.add_argument("--settle", type=float, default=15, help="seconds to wait for the load to fall first")
    parser.add_argument("--retries", type=int, default=1, help="re-runs of a measurement taken under load")
    parser.add_argument("--budget", type=float, default=3600, help="no re-runs after this many seconds")
    parser.add_argument(
        "--profile", action="store_true", help="also cProfile one in-process build of the largest size (WORKERS = 1)"
    )
    parser.add_argument("--top", type=int, default=30, help="functions listed by --profile")
    parser.add_argument("--json", type=Path, default=None, help="write every figure to this file")
    parser.add_argument("--keep", action="store_true", help="keep the working folders (sites, stores)")
    args = parser.parse_args(argv)
    args.sizes = sorted(int(s) for s in args.sizes.split(",") if s)
    args.where = [w for w in args.where.split(",") if w]
    args.skip = {s for s in args.skip.split(",") if s}
    for value, known in ((args.where, PLACES), (args.skip, STEPS)):
        unknown = set(value) - set(known)
        if unknown:
            parser.error(f"unknown: {', '.join(sorted(unknown))} (known: {', '.join(known)})")
    args.filter = [tuple(f.split("=", 1)) for f in (args.filter or ["scale=bassin"])]
    return args


def describe_kb(root: Path) -> str:
    """Where kb comes from: the folder, and its commit and uncommitted files when it is a checkout."""
    try:
        head = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "kb"], capture_output=True, text=True, check=True
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        return str(root / "kb")
    return f"{root / 'kb'} (git {head}, {len(dirty)} uncommitted files under kb/)"


def main(argv: list[str] | None = None) -> int:
    global KB_ROOT
    args = parse_args(argv)
    if args.kb:
        KB_ROOT = args.kb.resolve()
        sys.path.insert(0, str(KB_ROOT))
    policy = Policy(args.load_max, args.settle, args.retries, args.budget)
    places = {"shm": args.shm_dir, "disk": args.disk_dir}
    corpus_dir = args.corpus or args.shm_dir / f"corpus-{max(args.sizes)}"
    corpus = ensure_corpus(corpus_dir, max(args.sizes))
    import kb as kb_package

    if Path(kb_package.__file__).parent != KB_ROOT / "kb":
        raise SystemExit(f"kb was imported from {kb_package.__file__}, not from {KB_ROOT}")
    say(f"kb from {describe_kb(KB_ROOT)}; Python {sys.version.split()[0]}; {os.cpu_count()} CPUs; corpus {corpus_dir}")
    mkdocs_version = None if "mkdocs" in args.skip else ensure_mkdocs()
    if mkdocs_version:
        say(f"MkDocs {mkdocs_version}")
    results: dict[str, Any] = {"args": {k: str(v) for k, v in vars(args).items()}, "runs": {}}
    workdirs: list[Workdir] = []
    try:
        for size in args.sizes:
            runs = args.runs or (3 if size < 5000 else 1)
            for number, where in enumerate(args.where):
                work = Workdir(places[where] / f"n{size}", corpus[:size])
                workdirs.append(work)
                r: dict[str, Any] = results["runs"].setdefault(f"{size}/{where}", {})
                say(f"\n== {size:,} entries on {where} ({work.base}) ==")
                work.create()
                if "history" not in args.skip:
                    say("  0. provenance: the entries' dates from git")
                    r["history"] = history_pass(work, policy)
                if "build" not in args.skip:
                    say("  1. full build, kb build --quiet process")
                    r["full"] = asdict(full_builds(work, runs, policy))
                    say(f"    => {Summary(**r['full'])}")
                if (
                    "parts" not in args.skip
                    or "incremental" not in args.skip
                    or "size" not in args.skip
                    or "browser" not in args.skip
                ):
                    say("  1b. parts, one in-process build")
                    r["parts"] = build_parts(work, policy)
                if "incremental" not in args.skip:
                    say(f"  2. incremental rebuilds (edited: {work.edited.name})")
                    r["incremental"] = incremental(work, policy)
                if "deploy" not in args.skip:
                    say("  2b. deploys: the last build's state restored as the site workflow's cache does")
                    r["deploy"] = deploys(work, policy)
                if "size" not in args.skip:
                    say("  3. output size")
                    r["size"] = tree_size(work.site)
                    print_size("site", r["size"])
                    r["form"] = form_weight(work.site)
                    say(f"    proposal form: {kbytes(r['form']['total'])} gzip (page, script, styles; goal 60 KB)")
                if "browser" not in args.skip and number == 0:
                    say(f"  4. first query bytes: '{args.query}' with " + ", ".join(f"{k}={v}" for k, v in args.filter))
                    r["query"] = first_query(work.site, args.query, args.filter)
                if mkdocs_version:
                    say("  5. MkDocs, same corpus")
                    small = results["runs"].get(f"{args.sizes[0]}/{where}", {}).get("mkdocs")
                    estimate = small["wall"] * size / args.sizes[0] * 1.2 if small and size > args.sizes[0] else 0
                    if estimate > args.mkdocs_limit:
                        r["mkdocs_skipped"] = f"skipped (estimated {estimate:.0f}s > {args.mkdocs_limit:.0f}s)"
                        say(f"    {r['mkdocs_skipped']}")
                    else:
                        summary, size_info = mkdocs_builds(work, runs, policy)
                        r["mkdocs"], r["mkdocs_size"] = asdict(summary), size_info
                        say(f"    => {summary}; output {mb(size_info['bytes'])}, {size_info['files']:,} files")
                        for line in kb_vs_mkdocs(r):
                            say("    " + line)
        if args.profile:
            size, where = max(args.sizes), args.where[0]
            work = Workdir(places[where] / f"n{size}", corpus[:size])
            if work not in workdirs:
                workdirs.append(work)
            if not work.entries.is_dir() or len(list(work.entries.glob("*.md"))) != size:
                work.create()
            say(f"\n== profile: {size:,} entries on {where}, in-process, WORKERS = 1 ==")
            results["profile"] = profile_build(work, args.top, work.base.parent)
        final_table(results)
    finally:
        if args.json:
            args.json.write_text(json.dumps(to_json(results), indent=1, default=str))
            say(f"\nfigures written to {args.json}")
        if not args.keep:
            for work in workdirs:
                shutil.rmtree(work.base, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
