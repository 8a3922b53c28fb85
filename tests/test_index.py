"""``kb index``: incremental by content hash, --full, refusal of entries with errors, self-repair
of the search index, and a real SIGKILL of a real ``kb index`` process in the middle of its write.

Every test runs on a SQLite file and on a real PostgreSQL server (``project``/``database_url``).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from conftest import MINIMAL, REPO, make_entry, STARTER_COUNT
from filedata import direct_facets, entry_paths, file_digests
from sqlalchemy import create_engine, text

from kb.cli import cli
from kb.project import Refused
from kb.search.index import SearchIndex
from kb.store.database import Store
from kb.entries.vocab import load as load_vocabularies


def append(path: Path, text_: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text_)


def index_digests(project) -> dict[str, str]:
    return SearchIndex(project.index_dir, project.vocabularies).digests()


def found(project, words: str) -> list[str]:
    return [hit.id for hit in project.search_index.search(words, limit=1000).hits]


# -- incremental ---------------------------------------------------------------------------------------


def test_first_run_adds_everything_and_the_second_nothing(project):
    first = project.index()
    assert len(first.changes.added) == STARTER_COUNT and first.search_written == STARTER_COUNT
    assert not (first.changes.changed or first.changes.removed or first.changes.touched)
    assert project.store.digests() == file_digests(project.entries_dir) == index_digests(project)

    second = project.index()
    assert not second.changes
    assert (second.changes.unchanged, second.search_written, second.search_removed) == (STARTER_COUNT, 0, 0)
    assert (
        str(second)
        == f"store: 0 added, 0 changed, 0 removed, {STARTER_COUNT} unchanged; search index: 0 written, 0 removed"
    )


def test_only_added_changed_and_removed_files_are_rewritten(project):
    project.index()
    entries = project.entries_dir
    append(entries / "bassin-nord-portrait.md", "\nUne phrase avec le mot xylophonique.\n")
    (entries / "zorgzame-buurten-brussel.md").unlink()
    make_entry(entries, "nouvelle-etude-2025", MINIMAL.replace("Une étude", "Une nouvelle étude sur les tramways"))

    report = project.index()
    assert report.changes.added == ["nouvelle-etude-2025"]
    assert report.changes.changed == ["bassin-nord-portrait"]
    assert report.changes.removed == ["zorgzame-buurten-brussel"]
    assert report.changes.unchanged == STARTER_COUNT - 2
    assert (report.search_written, report.search_removed) == (2, 1)
    assert project.store.digests() == file_digests(entries) == index_digests(project)

    assert found(project, "xylophonique") == ["bassin-nord-portrait"]
    assert found(project, "tramways") == ["nouvelle-etude-2025"]
    assert "zorgzame-buurten-brussel" not in found(project, "zorgzame buurten")
    assert project.store.facet_counts() == direct_facets(entry_paths(entries))
    assert project.search_index.search("").facets == direct_facets(entry_paths(entries))


def test_a_same_size_edit_is_seen_and_a_touch_is_not_a_change(project):
    project.index()
    path = project.entries_dir / "cssi-centres-sociaux-sante-integres.md"
    data = path.read_bytes()
    at = data.rindex(b"e")
    path.write_bytes(data[:at] + b"a" + data[at + 1 :])  # same size, other content, new mtime
    report = project.index()
    assert report.changes.changed == ["cssi-centres-sociaux-sante-integres"] and report.search_written == 1

    others = [
        project.entries_dir / f"{name}.md" for name in ("barometre-social-2023", "zru-zone-revitalisation-urbaine")
    ]
    for other in others:  # (the store records both new times in one statement: Store._many)
        stat = other.stat()
        os.utime(other, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    touched = project.index()
    assert sorted(touched.changes.touched) == [other.stem for other in others]
    assert not (touched.changes.added or touched.changes.changed or touched.changes.removed)
    assert touched.search_written == 0
    for other in others:
        assert project.store.file_states()[other.stem].mtime_ns == other.stat().st_mtime_ns
    assert not project.index().changes  # the new mtime was recorded: nothing to read again


def test_full_rebuilds_store_and_search_index(project):
    project.index()
    report = project.index(full=True)
    assert len(report.changes.added) == STARTER_COUNT and report.search_written == STARTER_COUNT
    assert project.store.digests() == file_digests(project.entries_dir) == index_digests(project)
    assert project.search_index.search("").total == STARTER_COUNT


def test_a_deleted_or_stale_search_index_is_rebuilt(project):
    project.index()
    shutil.rmtree(project.index_dir)
    project.__dict__.pop("search_index", None)
    assert project.index().search_written == STARTER_COUNT
    assert index_digests(project) == file_digests(project.entries_dir)

    # An index left behind by an interrupted run: an older copy of it, put back.
    old = project.root / "old-index"
    shutil.copytree(project.index_dir, old)
    append(project.entries_dir / "bassin-sud-portrait.md", "\nAjout: le mot ornithorynque.\n")
    assert project.index().search_written == 1
    shutil.rmtree(project.index_dir)
    shutil.copytree(old, project.index_dir)
    project.__dict__.pop("search_index", None)
    report = project.index()
    assert not report.changes and report.search_written == 1
    assert found(project, "ornithorynque") == ["bassin-sud-portrait"]

    # An index written by another version of kb (another schema or analysis) is rebuilt whole.
    (project.index_dir / "kb-format").write_text("0\n")
    project.__dict__.pop("search_index", None)
    assert project.index().search_written == STARTER_COUNT


def test_the_index_records_the_store_revision_it_matches(project):
    """A run writes only its own changes when the index matched the store before it, and
    compares every digest when it did not (a store-only run, an interrupted one)."""
    project.index()
    revision = project.store.revision()
    assert revision and project.search_index.synced() == revision
    assert not project.index().changes and project.store.revision() == revision  # nothing applied

    append(project.entries_dir / "bassin-nord-portrait.md", "\nLe mot capybara.\n")
    report = project.index()
    assert report.search_written == 1 and project.store.revision() != revision
    assert project.search_index.synced() == project.store.revision()

    append(project.entries_dir / "bassin-sud-portrait.md", "\nLe mot okapi.\n")
    project.index(search=False)  # the store moves on without the index
    assert project.search_index.synced() != project.store.revision()
    report = project.index()
    assert not report.changes and report.search_written == 1
    assert found(project, "okapi") == ["bassin-sud-portrait"]
    assert index_digests(project) == file_digests(project.entries_dir)


# -- refusal -------------------------------------------------------------------------------------------


def test_entries_with_errors_are_refused_and_nothing_changes(project):
    project.index()
    before_store, before_index = project.store.digests(), index_digests(project)
    entries = project.entries_dir
    broken = entries / "monitoring-des-quartiers.md"
    broken.write_text(
        broken.read_text(encoding="utf-8").replace("type: ", "type: not_a_type\nyaer: 2020\n#", 1), encoding="utf-8"
    )
    make_entry(entries, "sans-titre", MINIMAL.replace('title: "Une étude"\n', ""))
    append(entries / "bassin-nord-portrait.md", "\nUne modification valide, hippocampe.\n")
    (entries / "zorgzame-buurten-brussel.md").unlink()

    with pytest.raises(Refused) as refused:
        project.index()
    messages = [str(p) for p in refused.value.problems]
    assert all(p.is_error for p in refused.value.problems)
    assert any("monitoring-des-quartiers.md" in m and "not_a_type" in m for m in messages), messages
    assert any("sans-titre.md" in m and "title is missing" in m for m in messages), messages
    assert project.store.digests() == before_store
    assert index_digests(project) == before_index

    # Fixed: everything waiting goes in at once.
    broken.write_text((REPO / "entries" / broken.name).read_text(encoding="utf-8"), encoding="utf-8")
    (entries / "sans-titre.md").unlink()
    report = project.index()
    assert report.changes.changed == ["bassin-nord-portrait"]
    assert report.changes.removed == ["zorgzame-buurten-brussel"]
    assert project.store.digests() == file_digests(entries) == index_digests(project)


def test_a_doi_already_used_by_another_entry_is_refused(project):
    make_entry(project.entries_dir, "premiere-etude", MINIMAL + "doi: 10.1234/abc.def\n")
    project.index()
    before = project.store.digests()
    make_entry(
        project.entries_dir,
        "seconde-etude",
        MINIMAL.replace("Une étude", "Une autre étude") + "doi: https://doi.org/10.1234/ABC.def\n",
    )
    with pytest.raises(Refused) as refused:
        project.index()
    assert any("seconde-etude.md" in str(p) and "same doi" in p.message for p in refused.value.problems)
    assert project.store.digests() == before

    # Moving the DOI from one entry to the other in one go is fine.
    first = project.entries_dir / "premiere-etude.md"
    first.write_text(first.read_text(encoding="utf-8").replace("doi: 10.1234/abc.def\n", ""), encoding="utf-8")
    report = project.index()
    assert report.changes.added == ["seconde-etude"] and report.changes.changed == ["premiere-etude"]


def test_a_missing_entries_folder_is_an_error(tmp_path, database_url):
    from kb.project import Project

    project = Project(root=tmp_path, entries_dir=tmp_path / "nope", database_url=database_url)
    try:
        with pytest.raises(FileNotFoundError):
            project.index()
    finally:
        project.close()


# -- kb index ------------------------------------------------------------------------------------------


def kb_index_args(project, *extra: str) -> list[str]:
    return [
        "index",
        "--entries",
        str(project.entries_dir),
        "--db",
        project.database_url,
        "--index-dir",
        str(project.index_dir),
        *extra,
    ]


def test_cli_index_reports_and_is_incremental(project, runner):
    result = runner.invoke(cli, kb_index_args(project))
    assert result.exit_code == 0, result.output
    assert (
        f"store: {STARTER_COUNT} added, 0 changed, 0 removed, 0 unchanged; search index: {STARTER_COUNT} written, "
        "0 removed"
    ) in result.output
    again = runner.invoke(cli, kb_index_args(project))
    assert (
        f"store: 0 added, 0 changed, 0 removed, {STARTER_COUNT} unchanged; search index: 0 written, 0 removed"
        in again.output
    )
    full = runner.invoke(cli, kb_index_args(project, "--full"))
    assert full.exit_code == 0 and f"{STARTER_COUNT} added" in full.output and f"{STARTER_COUNT} written" in full.output
    assert project.store.digests() == file_digests(project.entries_dir)


def test_cli_index_refuses_naming_each_error(project, runner):
    make_entry(project.entries_dir, "Mauvais_Nom", MINIMAL.replace("year: 2021", "year: deux mille"))
    result = runner.invoke(cli, kb_index_args(project))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert any("Mauvais_Nom.md:" in line and ": error: " in line and "not a valid id" in line for line in lines)
    assert any("Mauvais_Nom.md:" in line and "year must be a whole number" in line for line in lines)
    assert "not indexed: 2 errors in the entries" in result.output
    assert project.store.digests() == {}


def test_cli_index_without_entries_folder(tmp_path, runner, database_url):
    result = runner.invoke(
        cli,
        ["index", "--entries", str(tmp_path / "missing"), "--db", database_url, "--index-dir", str(tmp_path / "ix")],
    )
    assert result.exit_code == 1
    assert "no entries folder" in result.output and "Traceback" not in result.output


# -- a real kill of a real process ---------------------------------------------------------------------

KILL_ENTRIES = 3000


@pytest.fixture(scope="session")
def synthetic_corpus(tmp_path_factory) -> Path:
    """3,000 synthetic entries (scripts/gen_corpus.py), generated once for the session."""
    out = tmp_path_factory.mktemp("corpus") / "entries"
    subprocess.run(
        [sys.executable, str(REPO / "scripts" / "gen_corpus.py"), str(out), "-n", str(KILL_ENTRIES)],
        check=True,
        capture_output=True,
        timeout=900,
    )
    assert len(entry_paths(out)) == KILL_ENTRIES
    return out


class WriteWatch:
    """Tells, from outside, when a ``kb index`` process has begun writing to the store.

    SQLite: the write-ahead log (``-wal``) gets its first frames: uncommitted pages spill to it long
    before the commit of a transaction this size. PostgreSQL: the process's backend (found by its
    application_name) has a transaction id, which a transaction gets at its first write.
    """

    def __init__(self, database_url: str, app: str):
        self.url, self.app = database_url, app
        self.sqlite = database_url.startswith("sqlite")
        if self.sqlite:
            self.wal = Path(database_url.removeprefix("sqlite:///") + "-wal")
            self.before = self._wal_state()
        else:
            self.engine = create_engine(database_url)

    def _wal_state(self):
        try:
            stat = self.wal.stat()
        except FileNotFoundError:
            return None
        return stat.st_size, stat.st_mtime_ns

    def writing(self) -> bool:
        if self.sqlite:
            state = self._wal_state()
            return state is not None and state[0] > 0 and state != self.before
        with self.engine.connect() as conn:
            return bool(
                conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity WHERE application_name = :app AND backend_xid IS NOT NULL"
                    ),
                    {"app": self.app},
                )
            )

    def wait_backend_gone(self, timeout: float = 60) -> None:
        """PostgreSQL rolls back a killed client's transaction when it notices: wait for that."""
        if self.sqlite:
            return
        deadline = time.monotonic() + timeout
        while True:
            # A new transaction each time: within one, pg_stat_activity is a cached snapshot.
            with self.engine.connect() as conn:
                left = conn.scalar(
                    text("SELECT count(*) FROM pg_stat_activity WHERE application_name = :app"), {"app": self.app}
                )
            if not left:
                return
            assert time.monotonic() < deadline, "the killed process's PostgreSQL backend did not go away"
            time.sleep(0.05)

    def close(self) -> None:
        if not self.sqlite:
            self.engine.dispose()


def run_kb_index(project, env: dict, timeout: float = 1800) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kb", *kb_index_args(project)],
        env=env,
        cwd=project.root,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def store_digests(database_url: str) -> dict[str, str]:
    """Open the store the way kb does (a fresh Store), read it, close it."""
    store = Store(database_url)
    try:
        digests = store.digests()
        assert [e.id for e in store.entries()] == sorted(digests)
        assert sum(store.facet_counts()["language"].values()) == len(digests)
        return digests
    finally:
        store.close()


def write_version(entries: Path, originals: dict[str, bytes], version: int) -> dict[str, str]:
    """Every file: its original text plus a line with this version's marker word."""
    for name, data in originals.items():
        (entries / name).write_bytes(data + f"\nMarqueur de version kbmark{version:02d}.\n".encode())
    return file_digests(entries)


def test_a_killed_kb_index_leaves_a_consistent_store_and_the_next_run_repairs(project, synthetic_corpus, database_url):
    entries = project.entries_dir
    shutil.rmtree(entries)
    shutil.copytree(synthetic_corpus, entries)
    originals = {p.name: p.read_bytes() for p in entry_paths(entries)}
    project.close()  # no connection of ours stays open while kb index runs
    env = {k: v for k, v in os.environ.items() if not k.startswith("KB_")}

    versions = {0: write_version(entries, originals, 0)}
    started = time.monotonic()
    first = run_kb_index(project, env)
    full_time = time.monotonic() - started
    assert first.returncode == 0, first.stderr
    assert store_digests(database_url) == versions[0]

    held = 0  # the version the store holds
    outcomes = []
    # (what to wait for, extra delay after it): kill at the first write, a little into it, later
    # (around the commit, depending on the machine), and while the search index is being written.
    plan = [
        ("store", 0.0),
        ("store", 0.02),
        ("store", 0.1),
        ("store", 0.4),
        ("store", 1.5),
        ("search", 0.0),
        ("store", 0.0),
        ("store", 0.005),
        ("store", 0.05),
    ]
    for attempt, (moment, delay) in enumerate(plan, start=1):
        versions[attempt] = write_version(entries, originals, attempt)
        app = f"kbkill-{uuid.uuid4().hex[:12]}"
        watch = WriteWatch(database_url, app)
        index_files = set(os.listdir(project.index_dir))
        log = project.root / f"kb-index-{attempt}.log"
        with log.open("wb") as output:
            process = subprocess.Popen(
                [sys.executable, "-m", "kb", *kb_index_args(project)],
                env=dict(env, PGAPPNAME=app),
                cwd=project.root,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        saw_write = False
        deadline = time.monotonic() + max(600.0, 20 * full_time)
        try:
            while process.poll() is None and time.monotonic() < deadline:
                if moment == "store" and watch.writing():
                    saw_write = True
                    break
                if moment == "search" and set(os.listdir(project.index_dir)) - index_files:
                    saw_write = True
                    break
                time.sleep(0.002)
            if delay:
                time.sleep(delay)
            killed = process.poll() is None
            if killed:
                os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
            watch.wait_backend_gone()
            watch.close()
        assert killed or process.returncode == 0, log.read_text()

        state = store_digests(database_url)  # opening the store after the kill raises nothing
        old, new = versions[held], versions[attempt]
        if state == old:
            outcome = "before commit"
        elif state == new:
            outcome, held = "after commit", attempt
        else:
            mixed = sum(state.get(k) == d for k, d in old.items()), sum(state.get(k) == d for k, d in new.items())
            pytest.fail(
                f"attempt {attempt}: the store mixes versions: {mixed[0]} entries old, {mixed[1]} new, "
                f"{len(state)} in all"
            )
        outcomes.append((moment, delay, saw_write, killed, outcome))
        # The search index opens and answers, whatever it holds.
        SearchIndex(project.index_dir, load_vocabularies()).search("kbmark", limit=1)

        landed_mid_write = any(m == "store" and w and k and o == "before commit" for m, _, w, k, o in outcomes)
        if landed_mid_write and attempt >= 6:  # else retry: slow or fast machines shift every moment
            break

    print(
        f"full index of {KILL_ENTRIES} entries: {full_time:.1f} s; kills (moment, delay, saw the write, "
        f"killed, store after): {outcomes}"
    )
    assert any(m == "store" and w and k and o == "before commit" for m, _, w, k, o in outcomes), (
        f"no kill landed while the store was being written: {outcomes}"
    )

    last = max(versions)
    repaired = run_kb_index(project, env)
    assert repaired.returncode == 0, repaired.stderr
    assert store_digests(database_url) == file_digests(entries) == versions[last]
    index = SearchIndex(project.index_dir, load_vocabularies())
    assert index.digests() == versions[last]
    assert index.search(f"kbmark{last:02d}", limit=1).total == KILL_ENTRIES
    assert index.search(f"kbmark{last - 1:02d}", limit=1).total == 0

    settled = run_kb_index(project, env)
    assert settled.returncode == 0, settled.stderr
    assert (
        f"store: 0 added, 0 changed, 0 removed, {KILL_ENTRIES} unchanged; search index: 0 written, 0 removed"
    ) in settled.stdout
