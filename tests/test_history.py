"""Provenance from git: when each entry was added and last changed, on a repository made in the
test (an entry added, changed and renamed), on a shallow clone, and outside any checkout."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from conftest import MINIMAL, make_entry
from kb import history
from kb.project import Project


def git(root: Path, *args: str, date: str = "2024-01-01T10:00:00+01:00") -> str:
    env = {**os.environ, "GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    run = subprocess.run(
        ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    return run.stdout


@pytest.fixture
def repository(tmp_path: Path) -> Path:
    """entries/ with a history: `etude` added in January, changed in March, renamed to `etude-2`
    in May; `plan` added in February; `brouillon` never committed; an added then removed file."""
    root = tmp_path / "repo"
    entries = root / "entries"
    entries.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    make_entry(entries, "etude", MINIMAL + "added: 2020-05-05\n")
    make_entry(entries, "gone", MINIMAL.replace("Une étude", "Autre"), "Un tout autre texte.\n" * 40)
    (root / "README.md").write_text("kb\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "add", date="2024-01-10T09:00:00+01:00")
    make_entry(entries, "plan", MINIMAL.replace("Une étude", "Un plan"))
    (entries / "gone.md").unlink()
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "plan", date="2024-02-20T12:00:00+01:00")
    make_entry(entries, "etude", MINIMAL + "added: 2020-05-05\nsummary: Plus précis.\n")
    git(root, "commit", "-q", "-am", "change", date="2024-03-15T08:30:00+01:00")
    git(root, "mv", "entries/etude.md", "entries/etude-2.md")
    git(root, "commit", "-q", "-m", "rename", date="2024-05-02T17:00:00+02:00")
    make_entry(entries, "brouillon", MINIMAL + "added: 2024-06-01\n")
    return root


def test_dates_follow_additions_changes_and_renames(repository, tmp_path):
    found = history.load(repository / "entries", tmp_path / "state")
    assert found.note == ""
    assert found.dates == {
        "etude-2": history.Dates("2024-01-10T09:00:00+01:00", "2024-05-02T17:00:00+02:00"),
        "plan": history.Dates("2024-02-20T12:00:00+01:00", "2024-02-20T12:00:00+01:00"),
    }


def test_the_history_is_read_again_only_when_head_moves(repository, tmp_path):
    state = tmp_path / "state"
    first = history.load(repository / "entries", state)
    kept = (state / "history.pickle").read_bytes()
    assert history.load(repository / "entries", state) == first
    assert (state / "history.pickle").read_bytes() == kept
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "-m", "draft", date="2024-07-01T10:00:00+02:00")
    assert history.load(repository / "entries", state).dates["brouillon"].added == "2024-07-01T10:00:00+02:00"


def test_entry_pages_feed_and_news_page_show_the_real_dates(repository):
    project = Project(root=repository)
    try:
        project.build(search=False, repository="https://github.com/example/kb")
    finally:
        project.close()
    site = repository / "site"
    page = (site / "fr" / "entries" / "etude-2" / "index.html").read_text()
    assert '<time datetime="2024-01-10">2024-01-10</time>' in page  # not the file's added: 2020-05-05
    assert '<time datetime="2024-05-02">2024-05-02</time>' in page
    assert 'href="https://github.com/example/kb/commits/main/entries/etude-2.md"' in page
    draft = (site / "nl" / "entries" / "brouillon" / "index.html").read_text()
    assert '<time datetime="2024-06-01">2024-06-01</time>' in draft  # not committed: its added field
    assert "commits/main/entries/brouillon.md" not in draft  # no history to link to yet
    feed = (site / "feed.xml").read_text()
    assert "<published>2024-01-10T09:00:00+01:00</published>" in feed
    assert "<updated>2024-05-02T17:00:00+02:00</updated>" in feed
    assert "<updated>2024-06-01T00:00:00Z</updated>" in feed  # the feed's own: its newest entry
    news = (site / "fr" / "news" / "index.html").read_text()
    months = [part.split("</time>")[0].split(">")[-1] for part in news.split('<h2 id="m')[1:]]
    assert months == ["juin 2024", "mai 2024", "février 2024", "janvier 2024"]
    may = news.split('<h2 id="m2024-05"')[1].split("<h2")[0]
    assert "Modifiées" in may and "/etude-2/" in may
    assert "Toutes les nouveautés" in (site / "fr" / "index.html").read_text()
    assert "Mei 2024".lower() in (site / "nl" / "news" / "index.html").read_text()


def test_a_commit_that_changes_dates_rebuilds_the_pages_that_show_them(repository):
    project = Project(root=repository)
    try:
        project.build(search=False)
        git(repository, "add", "-A")
        git(repository, "commit", "-q", "-m", "draft", date="2024-07-01T10:00:00+02:00")
        report = project.build(search=False)
    finally:
        project.close()
    assert "fr/entries/brouillon/index.html" in report.written
    assert "fr/news/index.html" in report.written and "feed.xml" in report.written
    page = (repository / "site" / "fr" / "entries" / "brouillon" / "index.html").read_text()
    assert '<time datetime="2024-07-01">' in page


def test_a_shallow_clone_says_so_once_and_uses_the_added_field(repository, tmp_path, capfd):
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "-m", "draft", date="2024-07-01T10:00:00+02:00")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--depth", "1", f"file://{repository}", str(clone)], check=True)
    found = history.load(clone / "entries", tmp_path / "state")
    assert (found.note, found.dates) == ("shallow", {})
    project = Project(root=clone)
    try:
        project.build(search=False)
        project.build(search=False)
    finally:
        project.close()
    assert capfd.readouterr().err.count("shallow clone") == 1
    page = (clone / "site" / "fr" / "entries" / "etude-2" / "index.html").read_text()
    assert '<time datetime="2020-05-05">' in page and "2024-07-01" not in page  # never the clone's date
    assert (clone / "site" / "fr" / "entries" / "plan" / "index.html").read_text().count("<time") == 0


def test_outside_a_checkout_the_added_field_stands_in(tmp_path):
    entries = tmp_path / "entries"
    entries.mkdir()
    make_entry(entries, "etude", MINIMAL + "added: 2020-05-05\n")
    assert history.load(entries, tmp_path / ".kb") == history.History({}, note="no_git")


def test_new_commits_alone_are_read_after_head_moves_forward(repository, tmp_path):
    state = tmp_path / "state"
    history.load(repository / "entries", state)
    git(repository, "mv", "entries/plan.md", "entries/plan-2.md")
    git(repository, "commit", "-q", "-m", "rename", date="2024-08-01T10:00:00+02:00")
    again = history.load(repository / "entries", state)
    (state / "history.pickle").unlink()
    assert again == history.load(repository / "entries", state)  # the same as a whole pass
    assert again.dates["plan-2"] == history.Dates("2024-02-20T12:00:00+01:00", "2024-08-01T10:00:00+02:00")


def test_a_rewritten_history_is_read_whole_again(repository, tmp_path):
    state = tmp_path / "state"
    history.load(repository / "entries", state)
    git(repository, "reset", "-q", "--hard", "HEAD~1")  # the rename undone (as after a force push)
    git(repository, "commit", "-q", "--allow-empty", "-m", "other", date="2024-09-01T10:00:00+02:00")
    found = history.load(repository / "entries", state)
    assert "etude" in found.dates and "etude-2" not in found.dates


def test_a_text_edit_in_a_checkout_rewrites_only_that_entry_pages(repository, tmp_path):
    project = Project(root=repository)
    try:
        project.build(search=False)
        kept = (repository / ".kb" / "history.pickle").stat().st_mtime_ns
        path = repository / "entries" / "plan.md"
        path.write_text(path.read_text() + "\nUne phrase de plus.\n")
        report = project.build(search=False)
    finally:
        project.close()
    assert sorted(report.written) == ["fr/entries/plan/index.html", "nl/entries/plan/index.html"]
    assert (repository / ".kb" / "history.pickle").stat().st_mtime_ns == kept  # no git log: HEAD did not move
