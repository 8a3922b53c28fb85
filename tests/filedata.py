"""What the entry files say, read directly with hashlib and yaml.safe_load, independently of kb.

The store and search tests compare kb's answers (digests, facet counts) with these, so that a
bug shared by kb.entry and kb.store cannot hide itself.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path

import yaml

DIMENSIONS = ("type", "scale", "criteria", "basis", "partners", "territories", "language")


def entry_paths(directory: Path) -> list[Path]:
    return sorted(p for p in directory.glob("*.md") if p.name.lower() != "readme.md")


def file_digests(directory: Path) -> dict[str, str]:
    """Entry id (file stem) -> SHA-256 of the file's bytes."""
    return {p.stem: hashlib.sha256(p.read_bytes()).hexdigest() for p in entry_paths(directory)}


def front_matter(path: Path) -> dict:
    """The YAML between the first two '---' lines, read with yaml.safe_load."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0].rstrip() == "---", path
    end = next(i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "..."))
    return yaml.safe_load("\n".join(lines[1:end])) or {}


def _values(raw) -> list[str]:
    if raw is None:
        return []
    items = raw if isinstance(raw, list) else [raw]
    return [str(item).strip() for item in items if str(item).strip()]


def tags(front: dict) -> dict[str, set[str]]:
    """Every dimension's set of values, plus the year (as text)."""
    result = {name: set(_values(front.get(name))) for name in DIMENSIONS}
    result["year"] = {str(front["year"])}
    return result


def direct_facets(
    paths: Iterable[Path], keep: Callable[[str, dict[str, set[str]]], bool] = lambda i, t: True
) -> dict[str, dict[str, int]]:
    """For each dimension (and year), how many of the kept files carry each value."""
    counts: dict[str, Counter] = {name: Counter() for name in (*DIMENSIONS, "year")}
    for path in paths:
        values = tags(front_matter(path))
        if not keep(path.stem, values):
            continue
        for name, found in values.items():
            counts[name].update(found)
    return {name: dict(c) for name, c in counts.items()}
