"""Whether a record is already in the inventory, or earlier in the same file: the same DOI, the
same URL, nearly the same title, or the same title reworded (``kb.entries.inventory``'s rules).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from kb.entries.inventory import (
    Reworded,
    display_path,
    entry_files,
    load as load_inventory,
    normalise_title,
    same_title,
    title_words,
)
from kb.entries.schema import split_front_matter
from kb.entries.vocab import Vocabularies
from kb.i18n import Message


def norm_doi(value: str) -> str:
    """A DOI as compared: without its resolver or 'doi:' prefix, lower case."""
    return re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", value.strip(), flags=re.I).lower()


def norm_url(value: str) -> str:
    """A URL as compared: lower case, without a final slash."""
    return value.strip().lower().rstrip("/")


def _front_scalars(path: Path) -> dict[str, str]:
    """Top-level text values of a file's front matter, read leniently (files that 'kb check' still
    rejects, such as a fresh import without scale, count for duplicates too). Uses YAML events, so
    aliases are never expanded."""
    import yaml

    try:
        text = path.read_bytes()[:1_000_000].decode("utf-8-sig", errors="replace")
    except OSError:
        return {}
    parts = split_front_matter(text)
    if isinstance(parts, str):
        return {}
    values: dict[str, str] = {}
    depth, key = 0, None
    try:
        for event in yaml.parse(parts[0], Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth == 2:
                    key = None
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            elif isinstance(event, yaml.ScalarEvent) and depth == 1:
                if key is None:
                    key = event.value
                else:
                    values.setdefault(key, event.value)
                    key = None
            elif isinstance(event, yaml.AliasEvent) and depth == 1:
                key = None  # an alias as a value (or key): skipped, never expanded
    except yaml.YAMLError:
        pass
    return values


@dataclass
class Known:
    """What a new record is compared with: existing entry files and the records before it."""

    name: str | Message  # an entry file, or an earlier record of the same import
    title: list[str]
    doi: str = ""
    url: str = ""
    raw_title: str = ""
    year: str = ""
    organisations: tuple[str, ...] = ()
    edition: str = ""

    def another_edition(self, year: str, edition: str) -> bool:
        """Two editions of one work, not the same document twice (as inventory.editions says)."""
        return bool(self.edition or edition) and (self.edition != edition or self.year != year)


class Duplicates:
    """The entries and records a new record may duplicate, indexed by DOI, URL and title words."""

    def __init__(self) -> None:
        self.by_doi: dict[str, Known] = {}
        self.by_url: dict[str, Known] = {}
        self.by_word: dict[str, list[Known]] = defaultdict(list)
        self.reworded = Reworded()

    def add(self, known: Known) -> None:
        if known.raw_title:
            self.reworded.add(known, title_words(known.raw_title), known.year, known.organisations)
        if known.doi:
            self.by_doi.setdefault(known.doi, known)
        if known.url:
            self.by_url.setdefault(known.url, known)
        for word in set(known.title):
            self.by_word[word].append(known)

    def find(
        self,
        title: list[str],
        doi: str,
        url: str,
        raw_title: str = "",
        year: str = "",
        organisations: Sequence[str] = (),
        edition: str = "",
    ) -> tuple[str, Known] | None:
        """(the catalogue key saying why, the entry or record it duplicates), or None."""
        if doi and doi in self.by_doi:
            return "importing.same_doi", self.by_doi[doi]
        if url and url in self.by_url:
            return "importing.same_url", self.by_url[url]
        # same_title allows at most two differing words: a match shares one of any three of ours
        words = sorted(set(title), key=lambda w: (len(self.by_word.get(w, ())), w))[:3]
        seen: set[int] = set()
        for word in words:
            for known in self.by_word.get(word, ()):
                if id(known) not in seen:
                    seen.add(id(known))
                    if same_title(title, known.title) and not known.another_edition(year, edition):
                        return "importing.same_title", known
        found = self.reworded.find(title_words(raw_title), year, organisations) if raw_title else None
        if isinstance(found, Known) and not found.another_edition(year, edition):
            same = "year" if year and found.year == year else "organisation"
            return f"importing.reworded_{same}", found
        return None


def existing_entries(entries_dir: Path, vocabularies: Vocabularies) -> Duplicates:
    """Every entry file of ``entries_dir``, valid or not yet (a fresh import lacks scale)."""
    duplicates = Duplicates()
    if not entries_dir.is_dir():
        return duplicates
    inventory = load_inventory([entries_dir], vocabularies)
    valid = {Path(e.path).name: e for e in inventory.entries}
    for path in entry_files([entries_dir]):
        entry = valid.get(path.name)
        if entry is not None:
            title, doi, url, year = entry.title, entry.doi or "", entry.url or "", str(entry.year)
            organisations, edition = entry.organisations, entry.edition or ""
        else:
            scalars = _front_scalars(path)
            title, doi, url = scalars.get("title", ""), scalars.get("doi", ""), scalars.get("url", "")
            year, organisations, edition = scalars.get("year", ""), (), scalars.get("edition", "")
        duplicates.add(
            Known(
                display_path(path),
                normalise_title(title).split(),
                norm_doi(doi),
                norm_url(url),
                title,
                year,
                tuple(organisations),
                edition,
            )
        )
    return duplicates
