"""Pickle files of derived data under ``.kb/`` (vocabularies, the store's entries, related
entries, manifests): read back when they can be, written whole or not at all.

Everything here can be recomputed, so an unreadable file is not an error: ``read`` gives None
and the caller computes afresh.
"""

from __future__ import annotations

import pickle
from pathlib import Path

from kb.files import write_atomically


def read(path: Path) -> object:
    """What ``write`` stored in ``path``, or None when it is missing or unreadable."""
    try:
        with open(path, "rb") as file:
            return pickle.load(file)
    except Exception:  # noqa: BLE001 - missing, truncated, or from another version: recomputed
        return None


def write(path: Path, value: object) -> None:
    """Store ``value`` in ``path`` whole or not at all, so that a reader (or a killed build)
    never sees half a file."""
    write_atomically(path, pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
