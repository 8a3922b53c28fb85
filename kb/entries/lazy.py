"""Entries kept between builds, read back whole only when a page needs them.

A rebuild after a title edit arranges every entry in lists (kb.site.catalogue) but shows
only a few hundred of them: unpickling 10,000 whole entries took 0.15 to 0.3 s of it. A kept
entry is stored as the fields the arranging reads (``ARRANGED``) and the whole entry, pickled
on its own; ``LazyEntry`` is an ``Entry`` holding those fields, which unpickles the rest the
first time another field is read.
"""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

from kb.entries.schema import Entry

# What kb.site.catalogue, kb.site.pages and kb.stats read of every entry to arrange them
# (orders, lists per value, related entries, outline rows): the id, the tags, the year, the
# dates and what says whether the entry changed.
ARRANGED = (
    "id",
    "path",
    "digest",
    "type",
    "year",
    "language",
    "scale",
    "criteria",
    "basis",
    "partners",
    "territories",
    "added",
)

Kept = tuple[tuple[Any, ...], bytes]  # (the ARRANGED fields, the whole entry pickled)


def keep(entry: Entry) -> Kept:
    """What to store of ``entry`` (see LazyEntry)."""
    return tuple(getattr(entry, name) for name in ARRANGED), pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)


def version(record: Kept) -> tuple[str, str]:
    """The (digest, path) of the entry ``keep`` stored, as Store.versions gives them."""
    return record[0][ARRANGED.index("digest")], record[0][ARRANGED.index("path")]


def kept(record: Kept) -> LazyEntry:
    """The entry ``keep`` stored, its other fields read when first needed."""
    entry = object.__new__(LazyEntry)
    entry.__dict__.update(zip(ARRANGED, record[0]))
    entry.__dict__["_whole"] = record[1]
    return entry


class _Later:
    """A field of a LazyEntry that is not among the ARRANGED ones: read from the whole entry
    on first use, after which every field is in the instance (and this is no longer asked:
    a descriptor without ``__set__`` gives way to the instance's own value)."""

    def __init__(self, name: str):
        self.name = name

    def __get__(self, entry: LazyEntry | None, _owner: type | None = None) -> Any:
        if entry is None:
            return getattr(Entry, self.name)
        whole = pickle.loads(entry.__dict__.pop("_whole"))
        entry.__dict__.update(whole.__dict__)
        return entry.__dict__[self.name]


class LazyEntry(Entry):
    """An Entry whose fields but the ARRANGED ones are unpickled when first read."""

    def __reduce__(self) -> tuple[type[Entry], tuple[Any, ...]]:
        """Pickled (or copied) as the whole entry it is."""
        return (Entry, tuple(getattr(self, f.name) for f in dataclasses.fields(Entry) if f.init))


for _field in dataclasses.fields(Entry):
    if _field.name not in ARRANGED:
        setattr(LazyEntry, _field.name, _Later(_field.name))
