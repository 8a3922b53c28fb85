"""Filters over the inventory: what ``kb search``, ``kb export`` and the site's listings share.

A filter keeps the entries that carry *every* value asked for (``--scale region --scale
commune`` means both), which is what readers expect when they narrow a list facet by facet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields
from typing import Iterator

from kb.i18n import Said

TAG_FIELDS = ("type", "scale", "criteria", "basis", "partners", "territories", "language")


@dataclass(frozen=True)
class Filters:
    type: tuple[str, ...] = ()
    scale: tuple[str, ...] = ()
    criteria: tuple[str, ...] = ()
    basis: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()
    territories: tuple[str, ...] = ()
    language: tuple[str, ...] = ()
    year_from: int | None = None
    year_to: int | None = None
    # What asking for a territory means (kb.entries.territories): entries that list at least one
    # of ``places_any`` and none of ``places_none``.
    places_any: tuple[str, ...] = ()
    places_none: tuple[str, ...] = ()

    def tags(self) -> Iterator[tuple[str, str]]:
        """Each (dimension, value) asked for."""
        for name in TAG_FIELDS:
            for value in getattr(self, name):
                yield name, value

    def __bool__(self) -> bool:
        return any(getattr(self, f.name) not in ((), None) for f in fields(self))


class BadYears(Said, ValueError):
    """A --year value that is no year range (what is wrong and how to write it, in the catalogue)."""


YEARS = re.compile(r"^\s*(\d{4})?\s*(?:(\.\.)\s*(\d{4})?)?\s*$")


def parse_years(text: str) -> tuple[int | None, int | None]:
    """``2015..2022``, ``2015..``, ``..2022`` or ``2020`` -> (from, to); BadYears says the shape."""
    match = YEARS.match(text or "")
    if not match or not (match.group(1) or match.group(3)):
        raise BadYears("years.not_range", text=text)
    low, dots, high = match.groups()
    start = int(low) if low else None
    end = int(high) if high else (None if dots else start)
    if start is not None and end is not None and start > end:
        raise BadYears("years.backwards", text=text)
    return start, end
