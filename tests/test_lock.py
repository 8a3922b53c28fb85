"""One kb at a time: kb index, kb build and kb serve's rebuilds hold the project's lock; a
second run waits for the first, names it, gives up after --wait seconds, and takes over a lock
whose holder was killed."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

BOUND = 600  # seconds: a run that has not ended by then is stuck (two Pagefinds once hung for 12+ minutes)


def kb(*args: str) -> list[str]:
    return [sys.executable, "-m", "kb", *args]


def test_two_builds_and_two_indexes_started_together_both_end_well(tmp_path, entries_dir):
    for command in (kb("build", "--quiet"), kb("index")):
        runs = [
            subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        for run in runs:
            out, err = run.communicate(timeout=BOUND)
            assert run.returncode == 0, err
            assert "Traceback" not in err
    assert (tmp_path / "site" / "fr" / "entries" / "barometre-social-2023" / "index.html").is_file()
    assert "pagefind-entry.json" in os.listdir(tmp_path / "site" / "pagefind")


def test_a_second_run_names_the_first_gives_up_and_takes_over_a_killed_ones_lock(tmp_path, entries_dir):
    subprocess.run(kb("build", "--quiet"), cwd=tmp_path, check=True)
    edited = entries_dir / "barometre-social-2023.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nUne phrase de plus.\n", encoding="utf-8")
    first = subprocess.Popen(
        kb("build", "--quiet"),
        cwd=tmp_path,
        env={**os.environ, "KB_TEST_PAUSE": "swap"},
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert "paused at swap" in first.stderr.readline()  # holds the lock
        holder = rf"kb build, pid {first.pid}, started \d\d:\d\d:\d\d"
        waiting = subprocess.run(kb("build", "--quiet", "--wait", "1"), cwd=tmp_path, capture_output=True, text=True)
        assert waiting.returncode == 1
        assert re.search(rf"^waiting for {holder}", waiting.stderr, re.M)
        assert re.search(
            rf"^Error: site not built: gave up after 1 s: {holder} still holds .*--wait", waiting.stderr, re.M
        )
        index = subprocess.run(kb("index", "--wait", "0"), cwd=tmp_path, capture_output=True, text=True)
        assert index.returncode == 1
        assert re.search(rf"^Error: not indexed: gave up after 0 s: {holder}", index.stderr, re.M)
        for run in (waiting, index):
            assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) <= 2
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        first.stderr.close()
    # The killed build's lock is the kernel's to release: the next run takes it at once.
    again = subprocess.run(kb("build", "--quiet", "--wait", "0"), cwd=tmp_path, capture_output=True, text=True)
    assert again.returncode == 0, again.stderr
    page = tmp_path / "site" / "fr" / "entries" / "barometre-social-2023" / "index.html"
    assert "Une phrase de plus." in page.read_text(encoding="utf-8")


def test_pagefind_over_its_time_limit_is_one_line_with_its_log(tmp_path, entries_dir):
    """Pagefind has hung (two of them on one bundle): past KB_PAGEFIND_TIMEOUT seconds it is
    stopped, and the user gets one line and the path of its log."""
    subprocess.run(kb("build", "--quiet"), cwd=tmp_path, check=True)
    edited = entries_dir / "barometre-social-2023.md"
    edited.write_text(edited.read_text(encoding="utf-8") + "\nUne phrase de plus.\n", encoding="utf-8")
    result = subprocess.run(
        kb("build", "--quiet"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "KB_PAGEFIND_TIMEOUT": "0"},
    )
    assert result.returncode == 1
    log = tmp_path / ".kb" / "site" / "pagefind.log"
    assert result.stderr.strip().splitlines() == [
        f"Error: search index not updated: Pagefind did not finish within 0 s (KB_PAGEFIND_TIMEOUT); its log: {log} "
        "-- on a busy or slow machine give it longer, e.g. KB_PAGEFIND_TIMEOUT=900, then run 'kb build' again; "
        f"the pages in {tmp_path / 'site'} are up to date and its search still uses the previous index"
    ]
    assert log.is_file()
    assert not Path(tmp_path / ".site.search").exists()
    subprocess.run(kb("build", "--quiet"), cwd=tmp_path, check=True)  # the next build completes search


@pytest.mark.parametrize(
    "lang,expected",
    [
        (
            "en",
            "Error: KB_PAGEFIND_TIMEOUT is 'soon', not a number of seconds -- set it to a number of seconds, "
            "e.g. KB_PAGEFIND_TIMEOUT=900, or unset it for the default (600 s)",
        ),
        ("fr", "Erreur\u00a0: KB_PAGEFIND_TIMEOUT vaut «\u202fsoon\u202f», qui n'est pas un nombre de secondes -- "),
        ("nl", "Fout: KB_PAGEFIND_TIMEOUT is 'soon', geen aantal seconden -- "),
    ],
)
def test_a_bad_pagefind_time_limit_is_one_line_and_nothing_is_touched(tmp_path, entries_dir, lang, expected):
    result = subprocess.run(
        kb("build", "--quiet"),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "KB_PAGEFIND_TIMEOUT": "soon", "KB_LANG": lang},
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stderr.startswith(expected), result.stderr
    assert not (tmp_path / ".kb").exists() and not (tmp_path / "site").exists()


def test_a_pagefind_time_limit_is_a_finite_number_of_seconds(tmp_path, entries_dir):
    for value in ("-5", "inf", "nan"):
        run = subprocess.run(
            kb("index"), cwd=tmp_path, capture_output=True, text=True, env={**os.environ, "KB_PAGEFIND_TIMEOUT": value}
        )
        assert run.returncode == 1 and f"KB_PAGEFIND_TIMEOUT is '{value}'" in run.stderr, run.stderr
        assert "Traceback" not in run.stderr
