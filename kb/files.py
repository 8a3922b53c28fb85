"""Writing files whole or not at all: the one atomic write every part of kb uses (derived data
under .kb/, exports, the search index's marks, generated files)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def _default_mode() -> int:
    """0o644 less the umask: what ``open()`` would give a new file (mkstemp gives 0o600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o644 & ~umask


def write_atomically(path: Path | str, data: bytes | str) -> None:
    """Write ``data`` to ``path`` through a temporary file in the same folder, renamed over it:
    a reader, a killed process or a full disk never leaves half a file (text is UTF-8 with
    ``\\n`` line ends)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if hasattr(os, "fchmod"):
            os.fchmod(fd, _default_mode())
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.replace(name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(name)
        raise
