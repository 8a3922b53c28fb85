"""The import itself: choose an id for each new record, skip duplicates, write every new entry
file or none (never over an existing file), and say what ``kb check`` will ask for next.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from kb.bibliography.imports.duplicates import Known, existing_entries, norm_doi, norm_url
from kb.bibliography.imports.fields import read_records
from kb.bibliography.imports.files import MAX_IMPORT_BYTES
from kb.bibliography.imports.records import Record
from kb.bibliography.mapping import loaded
from kb.entries.inventory import display_path, normalise_title
from kb.entries.new import free_id, render
from kb.entries.problems import Problem
from kb.files import _default_mode
from kb.entries.vocab import Vocabularies
from kb.i18n import Message, message


@dataclass
class Skipped:
    """A record left out because it duplicates an entry or an earlier record."""

    record: Record
    reason: Message  # why: the same DOI as ..., nearly the same title as ...

    def render(self, lang: str = "en") -> str:
        return message(
            "importing.skipped", record=self.record.what(), line=self.record.line, reason=self.reason
        ).render(lang)

    def __str__(self) -> str:
        return self.render("en")


@dataclass
class ImportReport:
    """What ``import_file`` did, or would do on a dry run."""

    format: str
    written: list[Path] = field(default_factory=list)
    planned: list[tuple[str, Record]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


def plan_import(
    records: Sequence[Record], entries_dir: Path, vocabularies: Vocabularies | None = None
) -> tuple[list[tuple[str, Record]], list[Skipped]]:
    """Choose an id for each new record; records that duplicate an entry or an earlier record are skipped."""
    vocabularies = loaded(vocabularies)
    duplicates = existing_entries(entries_dir, vocabularies)
    taken = {p.stem for p in entries_dir.glob("*.md")} if entries_dir.is_dir() else set()
    planned: list[tuple[str, Record]] = []
    skipped: list[Skipped] = []
    for record in records:
        title = normalise_title(record.title).split()
        doi, url = norm_doi(record.fields.get("doi", "")), norm_url(record.fields.get("url", ""))
        year = str(record.fields.get("year", ""))
        organisations = tuple(record.fields.get("organisations", ()))
        edition = str(record.fields.get("edition", ""))
        found = duplicates.find(title, doi, url, record.title, year, organisations, edition)
        if found:
            skipped.append(Skipped(record, message(found[0], other=found[1].name)))
            continue
        entry_id = free_id(record.title, taken)
        taken.add(entry_id)
        planned.append((entry_id, record))
        duplicates.add(Known(record.what(), title, doi, url, record.title, year, organisations, edition))
    return planned, skipped


def write_records(
    planned: Sequence[tuple[str, Record]], entries_dir: Path, source: str = "", today: str | None = None
) -> list[Path]:
    """Write every planned entry, or none: each file goes to a temporary file in ``entries_dir``
    and is then linked to its name (never over an existing file); on any failure the files this
    call wrote are removed."""
    today = today or dt.date.today().isoformat()
    entries_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    temporary: list[Path] = []
    try:
        for entry_id, record in planned:
            note = _comment(f"kb import: {source}, {record.describe()}") if source else ""
            text = render(dict(record.fields, added=today), note + record.body)
            fd, name = tempfile.mkstemp(prefix=f".{entry_id}.", suffix=".tmp", dir=entries_dir)
            temporary.append(Path(name))
            if hasattr(os, "fchmod"):
                os.fchmod(fd, _default_mode())
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
            target = entries_dir / f"{entry_id}.md"
            _place(Path(name), target)
            written.append(target)
            with contextlib.suppress(FileNotFoundError):  # gone when it was renamed
                os.unlink(name)
            temporary.pop()
    except BaseException:
        for path in [*written, *temporary]:
            with contextlib.suppress(OSError):
                path.unlink()
        raise
    return written


def _comment(text: str) -> str:
    """An HTML comment that no text can close early."""
    return "<!-- " + re.sub(r"-{2,}|>", "-", text) + " -->\n\n"


_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EINVAL, errno.EXDEV}


def _place(temporary: Path, target: Path) -> None:
    """Give the finished temporary file its name, refusing to replace an existing file."""
    try:
        os.link(temporary, target)
    except FileExistsError:
        raise FileExistsError(
            f"{target} appeared while importing: nothing was imported, run 'kb import' again"
        ) from None
    except OSError as exc:
        if exc.errno not in _NO_HARD_LINKS:
            raise
        # a file system without hard links: reserve the name (never over a file), then replace it
        try:
            fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            raise FileExistsError(
                f"{target} appeared while importing: nothing was imported, run 'kb import' again"
            ) from None
        os.close(fd)
        os.replace(temporary, target)


def todo(path: Path, vocabularies: Vocabularies | None = None) -> list[Problem]:
    """What 'kb check' will say about a written file: the contributor's to-do."""
    from kb.entries.schema import parse_file

    return parse_file(path, loaded(vocabularies), display_path(path)).problems


def import_file(
    path: Path,
    entries_dir: Path,
    fmt: str | None = None,
    dry_run: bool = False,
    vocabularies: Vocabularies | None = None,
    max_bytes: int = MAX_IMPORT_BYTES,
    today: str | None = None,
) -> ImportReport:
    """Read ``path``, skip duplicates, write one entry per new record into ``entries_dir``.

    All records are read and converted before anything is written; ImportFailed (nothing
    written) when any record is unreadable. The new files have no ``scale`` and ``criteria``
    unless keywords named them: ``kb check`` lists that as the contributor's to-do.
    """
    vocabularies = loaded(vocabularies)
    shown = display_path(path)
    fmt, records = read_records(path, fmt, vocabularies, max_bytes, shown)
    report = ImportReport(fmt, warnings=[w for r in records for w in r.warnings])
    report.planned, report.skipped = plan_import(records, entries_dir, vocabularies)
    if not dry_run:
        report.written = write_records(report.planned, entries_dir, path.name, today)
    return report
