"""``kb links --write``: the committed mark that an entry's url is dead (``url_status: dead``),
with the archived copy found (``archive:``), written into the entry's front matter; and the
mark removed once the url answers again. The rest of the file is left byte for byte.

The site and the exports read these fields, never the local cache, so every machine builds
the same pages from the same files.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from kb.entries.schema import split_front_matter
from kb.files import write_atomically
from kb.links.run import Finding

MARK = re.compile(r"^url_status:\s*['\"]?dead['\"]?\s*(#.*)?$")


def write(findings: list[Finding]) -> list[str]:
    """Mark dead urls and unmark live ones; returns the paths of the files changed."""
    changed = []
    for finding in findings:
        link = finding.link
        if link.field != "url":
            continue
        outcome = finding.result.outcome
        path = Path(link.path)
        if outcome == "dead" and not link.marked_dead:
            archive = finding.archive if finding.snapshot else ""
            if _mark(path, link.line, archive):
                changed.append(link.path)
        elif outcome in ("alive", "moved") and link.marked_dead and _unmark(path):
            changed.append(link.path)
    return changed


def _lines(path: Path) -> tuple[list[str], int] | None:
    """The file's lines (with their endings) and the index of the front matter's closing line."""
    text = path.read_bytes().decode("utf-8")  # (not read_text: line endings stay as written)
    if isinstance(split_front_matter(text), str):
        return None
    lines = text.splitlines(keepends=True)
    end = next(i for i in range(1, len(lines)) if lines[i].rstrip() in ("---", "..."))
    return lines, end


def _mark(path: Path, url_line: int, archive: str) -> bool:
    found = _lines(path)
    if found is None:
        return False
    lines, end = found
    newline = "\r\n" if lines[0].endswith("\r\n") else "\n"
    has_archive = any(re.match(r"^archive\s*:", line) for line in lines[1:end])
    added = [f"url_status: dead{newline}"]
    if archive and not has_archive:
        added.append(f"archive: {json.dumps(archive)}{newline}")
    at = url_line if 0 < url_line <= end else end  # after the url line (1-based: its index + 1)
    lines[at:at] = added
    write_atomically(path, "".join(lines).encode("utf-8"))
    return True


def _unmark(path: Path) -> bool:
    found = _lines(path)
    if found is None:
        return False
    lines, end = found
    kept = [line for number, line in enumerate(lines) if not (0 < number < end and MARK.match(line.rstrip("\r\n")))]
    if len(kept) == len(lines):
        return False
    write_atomically(path, "".join(kept).encode("utf-8"))
    return True
