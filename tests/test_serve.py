"""kb serve, for real: a process that serves the site on loopback, rebuilds on edits, and keeps
serving the last good site when an entry breaks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from conftest import MINIMAL, make_entry


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode("utf-8")


def wait_for(predicate, seconds: float = 90) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.5)
    return False


def test_serve_rebuilds_on_edit_and_survives_a_broken_entry(tmp_path: Path, entries_dir: Path):
    env = {**os.environ, "KB_ENTRIES": str(entries_dir)}
    process = subprocess.Popen(
        [sys.executable, "-m", "kb", "serve", "--port", "0"], cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stderr.readline, "")), daemon=True)
    reader.start()
    try:
        assert wait_for(lambda: any("serving http://127.0.0.1:" in line for line in lines)), lines
        base = re.search(r"(http://127\.0\.0\.1:\d+/)", "".join(lines)).group(1)
        assert '<html lang="fr">' in fetch(base + "fr/")
        page = base + "fr/entries/barometre-social-2023/"
        assert "Baromètre social 2023" in fetch(page)

        path = entries_dir / "barometre-social-2023.md"
        path.write_text(
            path.read_text(encoding="utf-8").replace("Baromètre social 2023", "Baromètre social 2023 (revu)", 1),
            encoding="utf-8",
        )
        assert wait_for(lambda: "Baromètre social 2023 (revu)" in fetch(page)), lines

        make_entry(entries_dir, "cassee", MINIMAL.replace("scale: [region]", "scale: [galaxie]"))
        assert wait_for(lambda: any("not rebuilt" in line for line in lines)), lines
        assert any("cassee.md:5: error: scale 'galaxie'" in line for line in lines)
        assert "Baromètre social 2023 (revu)" in fetch(page)  # the last good site is still served
        assert process.poll() is None
    finally:
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=10)
        process.stderr.close()


def test_a_look_at_the_files_leaves_out_a_folder_that_is_gone(tmp_path: Path, entries_dir: Path):
    """The entries folder removed or renamed while kb serve runs: the look finds no files (the
    rebuild it starts then says the folder is missing), rather than ending kb serve."""
    from kb.site.serve import snapshot

    seen = snapshot([entries_dir, tmp_path / "gone"])
    assert seen and all(path.endswith(".md") for path in seen)
    assert snapshot([tmp_path / "gone"]) == {}
