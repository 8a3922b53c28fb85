"""From a file to raw records: its size, its encoding, which format it is (its name, its
content), then that format's reader. Every problem found stops the import before anything is
written.
"""

from __future__ import annotations

import re
from pathlib import Path

from kb.bibliography.formats import FORMATS, format_from_name
from kb.bibliography.imports.records import ImportFailed, Raw
from kb.entries.inventory import display_path
from kb.entries.problems import Problem

MAX_IMPORT_BYTES = 20_000_000


def sniff(text: str) -> list[str]:
    """The formats the content looks like, most likely first (a new format adds its signature)."""
    found = []
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith(("[", "{")):
        found.append("csljson")
    if re.search(r"^TY  - ", text, re.M):
        found.append("ris")
    if re.search(r"^\s*@\s*[A-Za-z]+\s*[{(]", text, re.M):
        found.append("bibtex")
    return found


def _record_starts(text: str) -> list[int]:
    """Offsets where records start in any of the formats (to name the record of a bad byte)."""
    return [m.start() for m in re.finditer(r"(?m)^\s*@\s*[A-Za-z]+\s*[{(]|^TY  - |^\s*\{", text)]


def decode(data: bytes, path: str) -> str:
    """The file's text; ImportFailed (with line and record) when it is not UTF-8 text."""
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        raise ImportFailed([Problem.of(path, line, "error", "import.nul_bytes")])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8-sig", errors="replace")
        line = before.count("\n") + 1
        record = len(_record_starts(before))
        raise ImportFailed(
            [
                Problem.of(
                    path,
                    line,
                    "error",
                    "import.not_utf8_in_record" if record else "import.not_utf8",
                    byte=f"{data[exc.start]:02x}",
                    position=exc.start,
                    record=record,
                )
            ]
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_raw(
    path: Path, fmt: str | None = None, max_bytes: int = MAX_IMPORT_BYTES, display: str | None = None
) -> tuple[str, list[Raw]]:
    """Read a file into raw records: (format, records). ImportFailed lists every problem found."""
    shown = display or display_path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise ImportFailed(
                [
                    Problem.of(
                        shown, 1, "error", "import.too_large", size=f"{size / 1e6:.1f}", limit=f"{max_bytes / 1e6:g}"
                    )
                ]
            )
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise ImportFailed([Problem.of(shown, 1, "error", "import.cannot_read", reason=exc.strerror)]) from None
    if len(data) > max_bytes:
        raise ImportFailed([Problem.of(shown, 1, "error", "import.grew_too_large", limit=f"{max_bytes / 1e6:g}")])
    text = decode(data, shown)
    named = fmt or format_from_name(path)
    looks = sniff(text)
    if named is None:
        if not looks:
            raise ImportFailed([Problem.of(shown, 1, "error", "import.unknown_format")])
        named = looks[0]
    elif looks and named not in looks:
        raise ImportFailed(
            [
                Problem.of(
                    shown,
                    1,
                    "error",
                    "import.other_format",
                    looks=FORMATS[looks[0]].label,
                    named=FORMATS[named].label,
                    file=path.name,
                    option=looks[0],
                )
            ]
        )
    raws, problems = FORMATS[named].read(text, shown)
    if any(p.is_error for p in problems):
        raise ImportFailed(problems)
    return named, raws
