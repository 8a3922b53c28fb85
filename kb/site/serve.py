"""``kb serve``: a local preview of the site that rebuilds when an entry or a vocabulary changes.

The server answers from the live output folder; a rebuild writes beside it and swaps it in,
so a request never sees a half-built site, and an entry with errors leaves the last good site
in place while the errors are printed. Changes are found by polling file stats once a second:
no extra dependency, and it works the same on every file system.
"""

from __future__ import annotations

import functools
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable

from kb.faults import Missing
from kb.entries.vocab import VOCAB_DIR


class _Handler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:  # quiet: the terminal shows rebuilds
        pass


def snapshot(folders: list[Path]) -> dict[str, tuple[int, int]]:
    """(mtime, size) of every Markdown and YAML file: what a rebuild depends on."""
    state = {}
    for folder in folders:
        for path in folder.glob("*"):
            if path.suffix in (".md", ".yaml") and path.is_file():
                stat = path.stat()
                state[str(path)] = (stat.st_mtime_ns, stat.st_size)
    return state


def serve(
    site_dir: Path,
    entries_dir: Path,
    rebuild: Callable[[], None],
    host: str = "127.0.0.1",
    port: int = 8000,
    interval: float = 1.0,
    ready: Callable[[str], None] | None = None,
    stop: threading.Event | None = None,
) -> None:
    """Build, serve ``site_dir``, and call ``rebuild()`` again whenever the entries or vocabularies change.

    The files are looked at before the first build, so an edit made during it is not missed.
    """
    watched = [entries_dir, VOCAB_DIR]
    seen = snapshot(watched)
    rebuild()
    if not site_dir.is_dir():
        raise Missing("fault.no_site")
    handler = functools.partial(_Handler, directory=str(site_dir))
    server = ThreadingHTTPServer((host, port), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    stop = stop or threading.Event()
    if ready:
        ready(f"http://{host}:{server.server_address[1]}/")
    try:
        while not stop.wait(interval):
            now = snapshot(watched)
            if now != seen:
                seen = now
                rebuild()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
