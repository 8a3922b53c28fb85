"""One ``kb links`` run: the addresses the entries give (``url``, and each DOI through its
resolver), the cache under ``.kb/`` that spares a re-run what answered lately, the checks,
and an archived copy suggested for each dead address.

The cache is a convenience of this machine: the site never reads it. It keeps each address's
last result with the time it was checked; a re-run within ``max_age`` days asks again only
about the addresses that failed (dead, unchecked) or are new.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from kb.entries.schema import Entry
from kb.files import write_atomically
from kb.links import archive
from kb.links.check import Checker, Result, Settings

DOI_RESOLVER = "https://doi.org/"
CACHE_VERSION = 1
FRESH = ("alive", "moved")  # outcomes a recent check may stand for


@dataclass(frozen=True)
class Link:
    """An address as one entry gives it, with where it is written."""

    path: str
    line: int
    entry_id: str
    field: str  # "url" or "doi"
    value: str  # as written: the URL, or the DOI
    address: str  # what is asked: the URL, or the DOI at its resolver
    marked_dead: bool = False  # the entry says url_status: dead


@dataclass(frozen=True)
class Finding:
    link: Link
    result: Result
    cached: bool = False
    archive: str = ""  # for a dead address: a snapshot, or the archive's search page
    snapshot: bool = False  # whether ``archive`` is a snapshot


@dataclass
class Options:
    settings: Settings = field(default_factory=Settings)
    max_age: float = 7.0  # days a good result stands for
    archive: str = archive.AVAILABILITY
    resolver: str = DOI_RESOLVER


@dataclass
class Report:
    findings: list[Finding]

    def count(self, outcome: str) -> int:
        return sum(1 for f in self.findings if f.result.outcome == outcome)

    @property
    def cached(self) -> int:
        return sum(1 for f in self.findings if f.cached)


def links_of(entries: Iterable[Entry], resolver: str = DOI_RESOLVER) -> list[Link]:
    """Every address of the entries, in file and line order."""
    found = []
    for entry in entries:
        dead = entry.url_status == "dead"
        if entry.url:
            found.append(Link(entry.path, entry.lines.get("url", 1), entry.id, "url", entry.url, entry.url, dead))
        if entry.doi:
            address = resolver.rstrip("/") + "/" + entry.doi
            found.append(Link(entry.path, entry.lines.get("doi", 1), entry.id, "doi", entry.doi, address))
    return sorted(found, key=lambda link: (link.path, link.line))


def run(links: list[Link], cache_path: Path, options: Options, now: dt.datetime | None = None) -> Report:
    """Check the links (each address once), through the cache; returns every link's finding."""
    now = now or dt.datetime.now(dt.timezone.utc)
    cache = _read_cache(cache_path)
    kept: dict[str, Result] = {}
    for address in {link.address for link in links}:
        known = cache.get(address)
        if known and known.get("outcome") in FRESH and _age_days(known.get("checked", ""), now) < options.max_age:
            kept[address] = Result(
                known["outcome"],
                int(known.get("status", 0)),
                str(known.get("reason", "")),
                str(known.get("target", "")),
            )
    asked = sorted({link.address for link in links} - kept.keys())
    fresh = Checker(options.settings).check_all(asked)
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    for address, result in fresh.items():
        cache[address] = {**result.as_dict(), "checked": stamp}
    _write_cache(cache_path, cache)
    suggestions = {}
    for link in links:
        if (
            fresh.get(link.address, Result("")).outcome == "dead"
            and link.field == "url"
            and link.address not in suggestions
        ):
            suggestions[link.address] = archive.suggest(
                link.address, options.archive, options.settings.timeout, options.settings.user_agent
            )
    findings = []
    for link in links:
        result = kept.get(link.address) or fresh[link.address]
        suggested, is_snapshot = suggestions.get(link.address, ("", False))
        findings.append(Finding(link, result, link.address in kept, suggested, is_snapshot))
    return Report(findings)


def _age_days(stamp: str, now: dt.datetime) -> float:
    try:
        checked = dt.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    except ValueError:
        return float("inf")
    return (now - checked).total_seconds() / 86400


def _read_cache(path: Path) -> dict[str, dict]:
    """The cache's results by address; nothing when it is missing, unreadable or of another version."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or not isinstance(data.get("links"), dict):
        return {}
    return {k: v for k, v in data["links"].items() if isinstance(v, dict)}


def _write_cache(path: Path, links: dict[str, dict]) -> None:
    write_atomically(
        path, json.dumps({"version": CACHE_VERSION, "links": dict(sorted(links.items()))}, indent=1, ensure_ascii=False)
    )
