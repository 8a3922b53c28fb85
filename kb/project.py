"""A kb project: where the entries, the store, the search index and the site live, and the
operations that carry data one way between them.

``entries/*.md`` -> ``Store`` (SQL) -> ``SearchIndex`` (Whoosh) -> site. The store and the index
are derived: each step compares what it holds with its source and rewrites only the
difference, so both can be deleted and rebuilt at any time.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import os
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Iterator

from kb import config as config_module
from kb import faults, i18n, lock, workers
from kb.config import Config
from kb.entries import vocab
from kb.entries.schema import Parsed, digest, parse_bytes
from kb.entries.inventory import Changes, FileState, Inventory, display_path, refusal
from kb.entries.schema import Entry
from kb.entries.problems import Problem

if TYPE_CHECKING:  # imported lazily: SQLAlchemy and Whoosh cost ~0.5 s to import
    from kb.search.index import SearchIndex
    from kb.site.build import BuildReport, Progress
    from kb.store.database import Store


PARALLEL_PARSE_FROM = 500  # files to parse before it pays to fork a second process


def _parse_range(
    shared: tuple[list[tuple[bytes, str, str]], vocab.Vocabularies], bounds: tuple[int, int]
) -> list[Parsed]:
    files, vocabularies = shared
    return [parse_bytes(data, entry_id, path, vocabularies) for data, entry_id, path in files[slice(*bounds)]]


def _parse_all(files: list[tuple[bytes, str, str]], vocabularies: vocab.Vocabularies) -> list[Parsed]:
    """Parse (data, id, display path) triples, in order; on two processes when there are many
    (YAML and validation are CPU-bound: a full index of 10,000 entries is mostly parsing)."""
    with workers.spread(_parse_range, (files, vocabularies), len(files), PARALLEL_PARSE_FROM) as parsed:
        return [result for chunk in parsed for result in chunk]


def _scan(directory: Path) -> tuple[dict[str, tuple[str, os.stat_result]], list[Problem]]:
    """Entry id -> (path, stat) of the entry files (``*.md`` but README.md), by name: what
    ``inventory.entry_files`` lists, read with one directory scan (10,000 Path objects and
    their sorting were a third of a one-entry index run); and the problems of the files that
    must not be read (FIFOs, links leading outside the folder: see inventory.refusal)."""
    found, refused = [], []
    with os.scandir(directory) as scan:
        for item in scan:
            if item.name.endswith(".md") and item.name.lower() != "readme.md":
                problem = None if item.is_file(follow_symlinks=False) else refusal(item.path, str(directory))
                if problem:
                    refused.append(problem)
                elif item.is_file():
                    found.append((item.name, item.path, item.stat()))
    found.sort()
    return {name[:-3]: (path, stat) for name, path, stat in found}, refused


def _on_stderr(said: i18n.Said | i18n.Message) -> None:
    """A warning on standard error, a line in each language kb.i18n.cli_languages chooses."""
    for lang in i18n.cli_languages():
        print(said.render(lang), file=sys.stderr)


class BadVariable(i18n.Said):
    """A ``KB_*`` environment variable kb cannot use (the catalogue's ``env.*`` message says
    which and how to set it), raised before anything is read or written."""


PAGEFIND_TIMEOUT = 600.0  # seconds Pagefind may run without KB_PAGEFIND_TIMEOUT


def seconds_from(variable: str, default: float) -> float:
    """The environment ``variable`` as a number of seconds, ``default`` when unset or empty;
    BadVariable when it is not a finite number of seconds, zero or more."""
    value = os.environ.get(variable, "").strip()
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and seconds >= 0):
        raise BadVariable("env.seconds", name=variable, value=value, default=f"{default:g}")
    return seconds


class Refused(Exception):
    """The entries have errors: nothing derived from them was changed."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} errors")
        self.problems = problems


@dataclass
class IndexReport:
    changes: Changes
    search_written: int = 0
    search_removed: int = 0

    def message(self) -> i18n.Message:
        """What the index run did, for the command to say in its language."""
        return i18n.message(
            "report.indexed", changes=self.changes.message(), written=self.search_written, removed=self.search_removed
        )

    def __str__(self) -> str:
        return self.message().render("en")


@dataclass
class StoredEntries:
    """The store's entries as the site reads them (a ``kb.site.Source``)."""

    store: "Store"
    cache: Path  # a copy of every entry, kept between builds
    written: dict = field(default_factory=dict)  # id -> the Entry just written into the store, if any
    read: dict = field(default_factory=dict)  # id -> the Entry a build of this process read (kept by Project)

    @cached_property
    def versions(self) -> dict[str, tuple[str, str]]:
        """Entry id -> (digest, path), read once: a build asks for it three times (the size
        limits, the plan, the entries' copy) while holding the lock, so the store cannot change
        between them."""
        return self.store.versions()

    def digests(self) -> dict[str, str]:
        return {i: d for i, (d, _) in self.versions.items()}

    def entries(self, ids: Iterable[str] | None = None) -> list:
        """All entries in id order through the copy: rebuilding 10,000 entries from SQL takes a
        few times longer than reading it, and after one edit only that entry comes from SQL.
        An entry's copy, the entry the same run wrote into the store, or the entry a build of
        the same process read (``read``: ``kb serve`` rebuilds after each edit, and reading
        the copy was a tenth of its rebuild after a title edit) serves while its digest and
        path are the store's; a copy is read whole only when a field other than those the site
        arranges entries by is read (kb.entries.lazy). A few entries (``ids``) come from SQL
        directly."""
        if ids is not None:
            ids = sorted(ids)
            return self.store.entries(ids=ids) if ids else []
        versions = self.versions
        entries = {i: e for i, e in self.read.items() if versions.get(i) == (e.digest, e.path)}
        entries.update((i, e) for i, e in self.written.items() if versions.get(i) == (e.digest, e.path))
        if not self.read or len(entries) < len(versions):  # a process's first build also keeps the copy current
            self._through_copy(entries)
        self.read.clear()
        self.read.update(entries)
        return [entries[i] for i in sorted(versions)]

    def _through_copy(self, entries: dict) -> None:
        """Add to ``entries`` the others from the copy, else from SQL; write the copy again
        when it lacked some."""
        from kb import cache as cache_file
        from kb.entries import lazy

        versions = self.versions
        # The copy names the Entry fields it was written with, and those kept apart: copies made
        # before a field was added would otherwise come back with that field's default (an
        # upgrade then shows no basis).
        shape = (tuple(f.name for f in dataclasses.fields(Entry)), lazy.ARRANGED)
        stored = cache_file.read(self.cache)
        copies = stored[1] if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == shape else {}
        records = {i: r for i, r in copies.items() if i not in self.written and versions.get(i) == lazy.version(r)}
        entries.update((i, lazy.kept(r)) for i, r in records.items() if i not in entries)
        missing = [i for i in versions if i not in entries]
        if missing:
            entries.update((e.id, e) for e in self.store.entries(ids=missing))
        if missing or len(entries) != len(copies):
            records.update((i, lazy.keep(e)) for i, e in entries.items() if i not in records)
            cache_file.write(self.cache, (shape, records))


@dataclass
class Project:
    """Paths and settings; defaults follow the checkout layout and the KB_* environment variables."""

    root: Path = field(default_factory=Path.cwd)
    entries_dir: Path | None = None
    database_url: str | None = None
    index_dir: Path | None = None
    site_dir: Path | None = None
    pagefind_timeout: float | None = None  # seconds Pagefind may run [default: $KB_PAGEFIND_TIMEOUT, else 600]
    _written: dict = field(default_factory=dict, init=False, repr=False)  # by index(): id -> Entry
    _read: dict = field(default_factory=dict, init=False, repr=False)  # by build(): id -> Entry (StoredEntries)
    _held: int = field(default=0, init=False, repr=False)  # exclusive() blocks the lock is held for

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.entries_dir = Path(self.entries_dir or os.environ.get("KB_ENTRIES") or self.root / "entries")
        self.database_url = (
            self.database_url
            or os.environ.get("KB_DATABASE_URL")
            or f"sqlite:///{(self.root / '.kb' / 'kb.sqlite').resolve()}"
        )
        self.index_dir = Path(self.index_dir or os.environ.get("KB_INDEX_DIR") or self.root / ".kb" / "whoosh")
        self.site_dir = Path(self.site_dir or self.root / "site")
        if self.pagefind_timeout is None:
            self.pagefind_timeout = seconds_from("KB_PAGEFIND_TIMEOUT", PAGEFIND_TIMEOUT)

    @cached_property
    def config(self) -> Config:
        """The project's kb.yml (defaults without one); raises ConfigError on a bad file."""
        return config_module.load(self.root)

    @cached_property
    def vocabularies(self) -> vocab.Vocabularies:
        return vocab.load()

    @cached_property
    def store(self) -> "Store":
        from kb.store.database import Store

        return Store(self.database_url)

    @cached_property
    def search_index(self) -> "SearchIndex":
        from kb.search.index import SearchIndex

        return SearchIndex(self.index_dir, self.vocabularies)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()

    @contextlib.contextmanager
    def exclusive(
        self,
        holder: str = "kb (Python API)",
        wait: float = lock.WAIT,
        waiting: Callable[[i18n.Message], None] | None = None,
    ) -> Iterator[None]:
        """Hold the project's lock (``.kb/lock``) while the block runs: one run at a time
        writes the store, the search index and the site (see kb.lock). index() and build()
        take it themselves; a command takes it first to name itself and say how long to wait."""
        if self._held:  # within another exclusive() block: the lock is held already
            self._held += 1
            try:
                yield
            finally:
                self._held -= 1
            return
        with lock.hold(self.root / ".kb" / "lock", holder, wait, waiting):
            self._held = 1
            try:
                yield
            finally:
                self._held = 0

    @contextlib.contextmanager
    def _space(self, where: Path) -> Iterator[None]:
        """A full disk (or quota, or file size limit) met while writing becomes OutOfSpace,
        one line saying what ran out, whichever layer met it (SQLite, Whoosh, a page)."""
        from kb.site.build import BuildError

        try:
            yield
        except (faults.OutOfSpace, BuildError):
            raise  # said already, or the pages went live and only search is behind (SearchNotUpdated)
        except Exception as error:
            ran_out = faults.out_of_space(error, str(where), self.database_url.removeprefix("sqlite:///"))
            if ran_out is None:
                raise
            raise ran_out from error

    def check(self, paths: list[Path] | None = None) -> Inventory:
        from kb.entries import inventory

        return inventory.load(paths or [self.entries_dir], self.vocabularies)

    def index(self, full: bool = False, search: bool = True) -> IndexReport:
        """Bring the store, then (unless ``search`` is false) the search index, up to date with the files.

        Only files whose size or modification time changed are read, and only those whose
        content hash changed are parsed and rewritten. Refuses (``Refused``) when a changed
        file has errors, leaving the store and the index as they were.
        """
        with self.exclusive(), self._space(self.root / ".kb"):
            return self._index(full, search)

    def _index(self, full: bool, search: bool, read_all: Callable[[list[Entry]], None] | None = None) -> IndexReport:
        """See index. ``read_all`` is given every entry once all are parsed and checked, before
        the store is written, when this run reads all the files (a store written afresh)."""
        if not self.entries_dir.is_dir():
            raise faults.Missing("fault.no_entries", folder=self.entries_dir)
        known = {} if full else self.store.file_states()
        files, refused = _scan(self.entries_dir)
        if refused:
            raise Refused(sorted(refused))
        changes, states, to_parse = Changes(), {}, []
        for entry_id, (path, stat) in files.items():
            old = known.get(entry_id)
            if old and (old.mtime_ns, old.size) == (stat.st_mtime_ns, stat.st_size):
                changes.unchanged += 1
                continue
            data = Path(path).read_bytes()
            states[entry_id] = FileState(stat.st_mtime_ns, stat.st_size, digest(data))
            if old and old.digest == states[entry_id].digest:
                changes.touched.append(entry_id)
                changes.unchanged += 1
                continue
            (changes.changed if old else changes.added).append(entry_id)
            to_parse.append((data, entry_id, display_path(Path(path))))
        parsed = _parse_all(to_parse, self.vocabularies)
        changes.removed = sorted(known.keys() - files.keys())
        problems = [p for result in parsed for p in result.problems if p.is_error]
        entries = [r.entry for r in parsed if r.entry is not None]
        problems += self._doi_clashes(entries, set(changes.changed))
        if problems:
            raise Refused(sorted(problems))
        if read_all is not None and (full or not known):
            read_all(entries)
        before = self.store.revision()
        after = before
        if changes or full:
            self.store.apply(changes, entries, states, full=full)
            after = self.store.revision()
        self._written.update((e.id, e) for e in entries)
        if not search:
            return IndexReport(changes)
        index = self.search_index
        if not full and before is not None and index.synced() == before:
            # The index matched the store before this run: write this run's changes alone.
            written, removed = index.update(entries, changes.removed, after)
        else:  # compare every digest: repairs what an interrupted run or another store left
            digests = self.store.digests()
            written, removed = index.sync(digests, lambda ids: self._stored(ids, digests), full, after)
        return IndexReport(changes, len(written), len(removed))

    def _stored(self, ids: list[str], digests: dict[str, str]) -> list[Entry]:
        """The store's entries ``ids``, in id order: an entry this process wrote into the store
        while its digest is the store's, as it was written (reading 10,000 entries back from SQL
        takes about a second, before the search index's workers can start), the others from SQL."""
        kept = {i: e for i in ids if (e := self._written.get(i)) is not None and e.digest == digests.get(i)}
        rest = self.store.entries(ids=[i for i in ids if i not in kept]) if len(kept) < len(ids) else []
        return sorted([*kept.values(), *rest], key=lambda e: e.id)

    def build(
        self,
        output: Path | None = None,
        progress: "Progress | None" = None,
        search: bool = True,
        base_url: str | None = None,
        repository: str | None = None,
        say: Callable[[i18n.Said | i18n.Message], None] | None = None,
        outdated: Callable[[], bool] | None = None,
    ) -> "BuildReport":
        """Bring the store up to date, then build the site from it into ``output`` (default ``site/``).

        The site is rendered from the store alone; the Whoosh index (for ``kb search``) is
        ``kb index``'s job and is not needed here. What the build warns about before it starts
        (a site too large for its host, a shallow clone's dates) goes to ``say``, for the
        command to say in its language; by default to standard error, in the languages
        kb.i18n.cli_languages chooses. ``outdated``: whether the entries changed since the
        build began, asked while Pagefind catches up with pages already live, which it then
        stops (``kb serve``, see kb.site.build._index_live).
        """
        from kb import history
        from kb.site import build as site
        from kb.site import limits, render

        with (
            self.exclusive(),
            self._space(Path(output or self.site_dir)),
            contextlib.closing(render.BodiesAhead()) as ahead,
        ):
            with self._space(self.root / ".kb"), workers.collector_off():  # as index() says what ran out
                self._index(False, False, read_all=ahead.start)  # a first build: bodies rendered from here on
            state = self.root / ".kb" / "site"
            source = StoredEntries(self.store, state / "entries.pickle", self._written, self._read)
            for warning in limits.warnings(
                len(source.versions), self.config.upload_limit, self.config.search_shard_size
            ):
                (say or _on_stderr)(warning)
            with workers.collector_off():  # 10,000 dates that last (see collector_off)
                dates = history.load(self.entries_dir, self.root / ".kb")
            history.note_once(dates, say or _on_stderr)
            config = self.config.overriding(
                base_url=base_url if base_url is not None else os.environ.get("KB_BASE_URL"),
                repository=repository if repository is not None else os.environ.get("KB_REPOSITORY"),
            )
            return site.build(
                source,
                self.vocabularies,
                Path(output or self.site_dir),
                state,
                progress=progress,
                search=search,
                config=config,
                search_limit=self.pagefind_timeout,
                history=dates,
                ahead=ahead,
                outdated=outdated,
            )

    def _doi_clashes(self, entries: list, replaced: set[str]) -> list[Problem]:
        """Same DOI as another entry: the one cross-file error a partial index must still catch."""
        with_doi = [e for e in entries if e.doi]
        if not with_doi:
            return []
        taken = {doi.lower(): i for i, doi in self.store.dois(e.doi for e in with_doi).items() if i not in replaced}
        problems = []
        for entry in with_doi:
            other = taken.setdefault(entry.doi.lower(), entry.id)
            if other != entry.id:
                problems.append(
                    Problem.of(entry.path, entry.lines.get("doi", 1), "error", "check.same_doi_entry", other=other)
                )
        return problems
