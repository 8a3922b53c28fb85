"""The formats kb reads and writes, in one registry: where a new format goes.

A format is two modules and a row below: ``exports/<name>.py`` writes entries (``export`` and
``join``), ``imports/<name>.py`` reads a file into raw records (``read``). ``kb export``,
``kb import`` and the site's downloads take every format from ``FORMATS``; two places also name
them: the CLI's ``--format`` choices and ``imports.files.sniff`` (what a file's content looks like).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping

from kb.bibliography.exports import bibtex as bibtex_out, csljson as csljson_out, ris as ris_out
from kb.bibliography.imports import bibtex as bibtex_in, csljson as csljson_in, ris as ris_in
from kb.bibliography.imports.records import Raw
from kb.entries.problems import Problem
from kb.entries.schema import Entry
from kb.entries.vocab import Vocabularies
from kb.files import write_atomically


@dataclass(frozen=True)
class Format:
    """One format: its name for people, its files, and the functions that write and read it."""

    label: str  # as messages name it
    extension: str  # of the files kb writes
    suffixes: tuple[str, ...]  # the file names that say this format on import
    export: Callable[[Iterable[Entry], Vocabularies | None], str]
    read: Callable[[str, str], tuple[list[Raw], list[Problem]]]  # (text, path shown) -> records, problems
    types: Mapping[str, str]  # the format's own types -> kb types, for records that name no kb type


FORMATS: dict[str, Format] = {
    "bibtex": Format(
        label="BibTeX",
        extension=".bib",
        suffixes=(".bib", ".bibtex", ".biblatex"),
        export=bibtex_out.export,
        read=bibtex_in.read,
        types=bibtex_in.TYPES,
    ),
    "ris": Format(
        label="RIS",
        extension=".ris",
        suffixes=(".ris",),
        export=ris_out.export,
        read=ris_in.read,
        types=ris_in.TYPES,
    ),
    "csljson": Format(
        label="CSL JSON",
        extension=".json",
        suffixes=(".json", ".csljson", ".csl"),
        export=csljson_out.export,
        read=csljson_in.read,
        types=csljson_in.TYPES,
    ),
}
EXTENSIONS = {name: f.extension for name, f in FORMATS.items()}
FORMAT_NAMES = {name: f.label for name, f in FORMATS.items()}


def get(fmt: str) -> Format:
    """The format named ``fmt``; ValueError naming the known ones otherwise."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format '{fmt}': use one of {', '.join(FORMATS)}")
    return FORMATS[fmt]


def export(entries: Iterable[Entry], fmt: str, vocabularies: Vocabularies | None = None) -> str:
    """The entries in ``fmt`` (one of ``FORMATS``) as text."""
    return get(fmt).export(entries, vocabularies)


def format_from_name(path: Path) -> str | None:
    """The format a file name says: .bib, .ris, .json (None when it says nothing)."""
    name = path.name.lower()
    return next((fmt for fmt, f in FORMATS.items() if name.endswith(f.suffixes)), None)


def write_text(path: Path, text: str) -> None:
    """Write a whole export file or nothing."""
    write_atomically(path, text)
