"""The inventory: every entry file of a folder, parsed, plus the checks that span files.

A single file can be valid on its own and still be a duplicate of another one (same id in two
folders, same DOI or URL, near-identical title); those checks live here because they need the
whole set. ``kb check``, ``kb index`` and ``kb build`` all start from ``load()``.
"""

from __future__ import annotations

import difflib
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from . import vocab
from .entry import Entry, Parsed, parse_file
from .problems import Problem

TITLE_SIMILARITY = 0.92


@dataclass
class Inventory:
    entries: list[Entry] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: int = 0

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if not p.is_error]


def entry_files(paths: Iterable[Path]) -> list[Path]:
    """The ``.md`` files named or found in the given folders, except README.md, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in path.glob("*.md") if p.name.lower() != "readme.md")
        else:
            found.append(path)
    return sorted(set(found), key=lambda p: (p.name, str(p)))


def display_path(path: Path) -> str:
    """The path as the contributor typed it: relative to the working folder when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def load(paths: Iterable[Path], vocabularies: vocab.Vocabularies | None = None) -> Inventory:
    """Parse every entry file and run the cross-file checks. Never raises for bad content."""
    vocabularies = vocabularies or vocab.load()
    files = entry_files(paths)
    parsed = [parse_file(p, vocabularies, display_path(p)) for p in files]
    inventory = Inventory(files=len(files))
    for result in parsed:
        inventory.problems.extend(result.problems)
    duplicates = _duplicate_ids(parsed)
    inventory.problems.extend(duplicates)
    bad = {p.path for p in duplicates}
    inventory.entries = [r.entry for r in parsed if r.entry is not None and r.path not in bad]
    inventory.problems.extend(_likely_duplicates(inventory.entries))
    inventory.problems.sort()
    return inventory


def _duplicate_ids(parsed: list[Parsed]) -> list[Problem]:
    by_id: dict[str, list[str]] = defaultdict(list)
    for result in parsed:
        by_id[Path(result.path).stem.lower()].append(result.path)
    problems = []
    for paths in by_id.values():
        for other in paths[1:]:
            problems.append(Problem(other, 1, "error", f"the id '{Path(other).stem}' is already used by {paths[0]}",
                                    "rename one of the files: each entry needs its own id"))
    return problems


def normalise_title(title: str) -> str:
    return " ".join(re.findall(r"[a-z0-9]+", vocab.fold(title)))


def _likely_duplicates(entries: list[Entry]) -> list[Problem]:
    """Same DOI (error), same URL or near-identical title (warnings): likely the same document twice."""
    problems: list[Problem] = []
    for key, severity in (("doi", "error"), ("url", "warning")):
        first: dict[str, Entry] = {}
        for entry in entries:
            value = getattr(entry, key)
            if not value:
                continue
            norm = value.lower().rstrip("/")
            if norm in first:
                problems.append(Problem(entry.path, entry.lines.get(key, 1), severity,
                                        f"same {key} as {first[norm].path}: this looks like the same document twice",
                                        "merge the two entries, or point each to its own document"))
            else:
                first[norm] = entry
    # Near-identical titles: compare only titles that share their first two words, so the
    # check stays linear in practice on a large inventory.
    buckets: dict[str, list[tuple[str, Entry]]] = defaultdict(list)
    for entry in entries:
        norm = normalise_title(entry.title)
        buckets[" ".join(norm.split()[:2])].append((norm, entry))
    for bucket in buckets.values():
        for i, (norm, entry) in enumerate(bucket):
            for other_norm, other in bucket[:i]:
                matcher = difflib.SequenceMatcher(None, other_norm, norm)
                if matcher.real_quick_ratio() >= TITLE_SIMILARITY and matcher.ratio() >= TITLE_SIMILARITY:
                    problems.append(Problem(entry.path, entry.lines.get("title", 1), "warning",
                                            f"the title is nearly the same as in {other.path}",
                                            "check they are different documents; if so, make the titles say how"))
                    break
    return problems
