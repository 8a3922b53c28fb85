"""The inventory: every entry file of a folder, parsed, plus the checks that span files.

A single file can be valid on its own and still be a duplicate of another one (same id in two
folders, same DOI or URL, near-identical title); those checks live here because they need the
whole set. ``kb check``, ``kb index`` and ``kb build`` all start from ``load()``.
"""

from __future__ import annotations

import difflib
import os
import re
import stat
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from kb.entries import vocab
from kb.entries.schema import Entry, Parsed, parse_file
from kb.entries.problems import Problem
from kb.i18n import message

TITLE_SIMILARITY = 0.8


@dataclass(frozen=True)
class FileState:
    """A file as last read: stat() says whether it may have changed, the digest whether it did."""

    mtime_ns: int
    size: int
    digest: str


@dataclass
class Changes:
    """How the files differ from what a derived copy (store, index) holds, by entry id."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    touched: list[str] = field(default_factory=list)  # stat changed, content did not
    unchanged: int = 0

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.touched)

    def __str__(self) -> str:
        return (f"{len(self.added)} added, {len(self.changed)} changed, "
                f"{len(self.removed)} removed, {self.unchanged} unchanged")


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


KINDS = {stat.S_IFIFO: "fifo", stat.S_IFSOCK: "socket", stat.S_IFDIR: "folder", stat.S_IFCHR: "device",
         stat.S_IFBLK: "device"}


def refusal(path: str, folder: str) -> Problem | None:
    """Why the file ``path`` of ``folder`` is not read at all, or None: it is not a regular
    file (reading a FIFO waits forever, a device never ends), or a symbolic link that leads
    outside ``folder`` (which would publish whatever it points to)."""
    shown = display_path(Path(path))
    try:
        mode = os.lstat(path).st_mode
        if stat.S_ISLNK(mode):
            target, inside = os.path.realpath(path), os.path.realpath(folder)
            if os.path.commonpath([target, inside]) != inside:
                return Problem.of(shown, 1, "error", "check.symlink_outside", target=target,
                                  folder=display_path(Path(folder)))
            mode = os.stat(path).st_mode
    except OSError:
        return None  # gone, or a link to nothing: reading it says so
    if stat.S_ISREG(mode):
        return None
    kind = message(f"file_kind.{KINDS.get(stat.S_IFMT(mode), 'other')}")
    return Problem.of(shown, 1, "error", "check.not_a_file", kind=kind)


def entry_files(paths: Iterable[Path], refused: list[Problem] | None = None) -> list[Path]:
    """The ``.md`` files named or found in the given folders, except README.md, sorted. Those
    that must not be read (see refusal) are left out, and their problems added to ``refused``."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in path.glob("*.md") if p.name.lower() != "readme.md")
        else:
            found.append(path)
    readable = []
    for path in sorted(set(found), key=lambda p: (p.name, str(p))):
        problem = refusal(str(path), str(path.parent))
        if problem is None:
            readable.append(path)
        elif refused is not None:
            refused.append(problem)
    return readable


def display_path(path: Path) -> str:
    """The path as the contributor typed it: relative to the working folder when inside it."""
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


def load(paths: Iterable[Path], vocabularies: vocab.Vocabularies | None = None) -> Inventory:
    """Parse every entry file and run the cross-file checks. Never raises for bad content."""
    vocabularies = vocabularies or vocab.load()
    refused: list[Problem] = []
    files = entry_files(paths, refused)
    parsed = [parse_file(p, vocabularies, display_path(p)) for p in files]
    inventory = Inventory(files=len(files) + len(refused), problems=refused)
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
            problems.append(Problem.of(other, 1, "error", "check.same_id", id=Path(other).stem, other=paths[0]))
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
                problems.append(Problem.of(entry.path, entry.lines.get(key, 1), severity, "check.same_document",
                                           name=key, other=first[norm].path))
            else:
                first[norm] = entry
    problems.extend(_similar_titles(entries))
    return problems


def same_title(a: list[str], b: list[str]) -> bool:
    """Same words (order, case, accents and punctuation aside), or the same but for typos.

    An added word ("Bassin Nord" / "Bassin Nord-Est") or another number (2022 / 2023) makes
    a different document, not a duplicate.
    """
    only_a = sorted(set(a) - set(b))
    only_b = sorted(set(b) - set(a))
    if len(only_a) != len(only_b) or len(only_a) > 2 or len(set(a)) < 2:
        return False
    for word in only_a:
        if word.isdigit() or not any(
            not other.isdigit() and difflib.SequenceMatcher(None, word, other).ratio() >= TITLE_SIMILARITY
            for other in only_b
        ):
            return False
    return True


def _similar_titles(entries: list[Entry]) -> list[Problem]:
    """Compare only titles that share one of their three rarest words, so large inventories stay fast.

    Three, because ``same_title`` allows two differing words: the rarest word two such titles
    share is then among the three rarest of each.
    """
    words = {e.id: normalise_title(e.title).split() for e in entries}
    frequency: dict[str, int] = defaultdict(int)
    for tokens in words.values():
        for token in set(tokens):
            frequency[token] += 1
    buckets: dict[str, list[Entry]] = defaultdict(list)
    problems: list[Problem] = []
    for entry in entries:
        tokens = words[entry.id]
        keys = sorted(set(tokens), key=lambda t: (frequency[t], t))[:3]
        candidates = {other.id: other for key in keys for other in buckets[key]}
        for other in candidates.values():
            if same_title(tokens, words[other.id]):
                problems.append(Problem.of(entry.path, entry.lines.get("title", 1), "warning", "check.similar_title",
                                           other=other.path))
                break
        for key in keys:
            buckets[key].append(entry)
    return problems
