"""Faults of the machine: a full disk during kb index and kb build, a process of the build
killed for memory, an output folder that is a mount point. Each gives one clear line, never a
traceback, and loses nothing: the store, the search index and the live site stay as they were,
and no temporary folder is left behind."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO


def digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def kb(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "kb", *args], cwd=root, capture_output=True, text=True, timeout=600)


def fill(disk: Path, leave: int) -> Path:
    """Fill the file system of ``disk`` but ``leave`` bytes."""
    filler = disk / "filler"
    stat = os.statvfs(disk)
    with open(filler, "ab") as file:
        file.write(b"\0" * max(0, stat.f_bavail * stat.f_frsize - leave))
    return filler


def derived(root: Path) -> dict:
    """The store, the search index and the live site, byte for byte, and what the project's
    folder holds (a temporary folder left behind would show)."""
    return {name: digests(root / name) for name in (".kb/whoosh", "site")} | {
        "store": hashlib.sha256((root / ".kb" / "kb.sqlite").read_bytes()).hexdigest(),
        "folders": sorted(name for name in os.listdir(root) if name != "filler"),
        "state": sorted(p.name for p in (root / ".kb").iterdir() if not p.name.startswith("kb.sqlite")),
    }


def assert_one_line_nothing_lost(
    result: subprocess.CompletedProcess, root: Path, before: dict, writing_pages: bool = False
) -> None:
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1 and "no space left on the device (writing " in errors[0], result.stderr
    assert "free some space" in errors[0]
    after = derived(root)
    if writing_pages:  # the tree beside the live site is removed, to free the space it held
        before = {**before, "folders": [name for name in before["folders"] if name != ".site.next"]}
    assert after == before
    assert not (root / ".site.search").exists()


def test_a_full_disk_loses_nothing_and_says_what_ran_out(tmp_path, tmpfs):
    root = tmpfs(tmp_path / "disk", "48m")
    shutil.copytree(REPO / "entries", root / "entries", ignore=shutil.ignore_patterns("README.md"))
    assert kb(root, "build", "--quiet").returncode == 0
    assert kb(root, "build", "--quiet").returncode == 0  # the tree beside the live one exists too
    big = root / "entries" / "barometre-social-2023.md"
    words = " ".join(f"quartier{n} accessibilité{n * 7 % 1000}" for n in range(20_000))
    big.write_text(big.read_text(encoding="utf-8") + "\n" + words + "\n", encoding="utf-8")

    before = derived(root)
    filler = fill(root, leave=200_000)  # the store needs more than that for the longer entry
    for command in (["index"], ["build", "--quiet"]):
        assert_one_line_nothing_lost(kb(root, *command), root, before)

    filler.unlink()
    assert kb(root, "index").returncode == 0
    before = derived(root)
    filler = fill(root, leave=300_000)  # the store is up to date: the pages are what no longer fits
    assert_one_line_nothing_lost(kb(root, "build", "--quiet"), root, before, writing_pages=True)

    filler.unlink()
    assert kb(root, "build", "--quiet").returncode == 0
    assert "quartier19999" in (root / "site" / "fr" / "entries" / big.stem / "index.html").read_text(encoding="utf-8")


def kill_a_child(parent: int, word: bytes, within: float = 120.0) -> bool:
    """SIGKILL the first process ``parent`` starts whose command line holds ``word``, as the
    kernel does when memory runs out; whether one was found before ``parent`` ended."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and os.path.exists(f"/proc/{parent}"):
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
                command = Path(f"/proc/{pid}/cmdline").read_bytes()
            except OSError:
                continue
            if f"\nPPid:\t{parent}\n" in status and word in command:
                os.kill(int(pid), signal.SIGKILL)
                return True
        time.sleep(0.01)
    return False


def built_starter(root: Path) -> Path:
    """A project ``root`` over a copy of the starter inventory, built; its entries folder."""
    shutil.copytree(REPO / "entries", root / "entries", ignore=shutil.ignore_patterns("README.md"))
    assert kb(root, "build", "--quiet").returncode == 0
    return root / "entries"


def build_killing(root: Path, word: bytes) -> str:
    """A `kb build` of ``root`` whose first process holding ``word`` in its command line is
    killed (kill_a_child): it ends with status 1 and no traceback; its one error line."""
    build = subprocess.Popen(
        [sys.executable, "-m", "kb", "build", "--quiet"], cwd=root, stderr=subprocess.PIPE, text=True
    )
    killed = kill_a_child(build.pid, word)
    _, stderr = build.communicate(timeout=600)
    assert killed and build.returncode == 1 and "Traceback" not in stderr
    [error] = [line for line in stderr.splitlines() if line.startswith("Error: ")]
    return error


@pytest.mark.parametrize("process", [b"kb", b"--force-language"], ids=["a page worker", "Pagefind"])
def test_a_process_killed_for_memory_loses_nothing_and_says_so(tmp_path, process):
    """When memory runs out the kernel kills a process, a worker of the build (forked: its
    command line is kb's) or Pagefind: the build says so in one line, in place of "an error of
    its own" or "Pagefind failed", and the live site stays as it was."""
    root = tmp_path / "project"
    built_starter(root)
    before = digests(root / "site")
    # Another title: every page again (more than enough to render them in workers), and search.
    (root / "kb.yml").write_text("title:\n  fr: Autre\n  nl: Ander\n  en: Other\n", encoding="utf-8")
    error = build_killing(root, process)
    assert "ran out of memory" in error and "search_shard_size" in error, error
    assert digests(root / "site") == before


def test_pagefind_killed_for_memory_after_an_edit_leaves_the_edit_live_and_the_search(tmp_path):
    """After an edit the page goes live first, then Pagefind indexes it (kb.site.build
    _index_live): killed there, the build says that memory ran out and that search is behind,
    the edit stays live and the search keeps the bundle it had."""
    root = tmp_path / "project"
    path = built_starter(root) / "barometre-social-2023.md"
    layout = (root / "site" / "pagefind" / "kb-search.json").read_bytes()
    path.write_text(path.read_text(encoding="utf-8") + "\nUne phrase de plus.\n", encoding="utf-8")
    error = build_killing(root, b"--force-language")
    assert "search index not updated: the machine ran out of memory" in error, error
    page = root / "site" / "fr" / "entries" / path.stem / "index.html"
    assert "Une phrase de plus." in page.read_text(encoding="utf-8")
    assert (root / "site" / "pagefind" / "kb-search.json").read_bytes() == layout


def test_an_output_folder_that_is_a_mount_point_is_refused_with_a_hint(tmp_path, tmpfs, entries_dir):
    """A Docker volume or a CI cache mounted where the site goes: a mount point cannot be
    renamed, so the build refuses at once (it used to build, then fail with EBUSY)."""
    volume = tmpfs(tmp_path / "volume", "16m")
    (volume / "kept.txt").write_text("already there", encoding="utf-8")
    result = kb(tmp_path, "build", "--quiet", "-o", "volume")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"Error: site not built: {volume} is a mount point, which cannot be swapped with a new site -- build into a "
        f"folder inside it (kb build -o {volume / 'site'}) and publish that folder; the last good site in volume is "
        "unchanged"
    ]
    assert os.listdir(volume) == ["kept.txt"] and not (tmp_path / ".volume.next").exists()
    assert kb(tmp_path, "build", "--quiet", "-o", "volume/site").returncode == 0
    assert (volume / "site" / "fr" / "index.html").is_file()
