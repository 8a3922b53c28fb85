"""Write a new, correctly formed entry file: the core of ``kb new`` (and of ``kb import``).

The file is written the way entries/README.md documents it, field by field, so that what a
contributor gets from the command is also the model of what to write by hand.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path
from typing import Any, Iterable

import yaml

from kb import i18n
from kb.entries.schema import SCHEMA, _Loader, suggest_id

FIELD_ORDER = list(SCHEMA)
_PLAIN = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


def free_id(title: str, taken: Iterable[str]) -> str:
    """An id from the title that no file uses yet (``-2``, ``-3``... appended when needed)."""
    base = suggest_id(title)
    if len(base) < 3:
        base = f"{base}-entry".strip("-")
    taken = set(taken)
    candidate, number = base, 2
    while candidate in taken:
        candidate = f"{base}-{number}"
        number += 1
    return candidate


def _scalar(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    text = str(value)
    # Plain only when YAML reads it back as the same text ('true', 'null' and '1.50' would not);
    # everything else is double-quoted (JSON is valid YAML).
    plain = _PLAIN.match(text) and yaml.load(text, Loader=_Loader) == text
    return text if plain else json.dumps(text, ensure_ascii=False)


def _translations(value: Any) -> list[str]:
    """``translations`` as indented groups; ``value`` maps a language to (title, summary) or is
    ``Entry.translations`` (language, title, summary) triples."""
    items = value.items() if isinstance(value, dict) else ((lang, (title, summary)) for lang, title, summary in value)
    lines = ["translations:"]
    for lang, (title, summary) in items:
        lines += [f"  {lang}:", f"    title: {json.dumps(' '.join(title.split()), ensure_ascii=False)}"]
        if summary:
            lines.append(f"    summary: {json.dumps(' '.join(summary.split()), ensure_ascii=False)}")
    return lines


def _blank(value: Any) -> bool:
    """Nothing to write: None, '', [] or {} (a number, even 0, is written)."""
    return value is None or (not isinstance(value, int) and not value)


def render(fields: dict[str, Any], body: str) -> str:
    """The text of an entry file: front matter in the documented order, then the body."""
    lines = ["---"]
    for name in FIELD_ORDER:
        value: Any = fields.get(name)
        if _blank(value):
            continue
        if name == "authors":
            lines.append("authors:")
            lines.extend(f"  - {json.dumps(person, ensure_ascii=False)}" for person in value)
        elif name == "summary":
            lines.append(f"summary: {json.dumps(' '.join(str(value).split()), ensure_ascii=False)}")
        elif name == "translations":
            lines.extend(_translations(value))
        elif isinstance(value, (list, tuple)):
            lines.append(f"{name}: [{', '.join(_scalar(v) for v in value)}]")
        else:
            lines.append(f"{name}: {_scalar(value)}")
    lines.append("---")
    return "\n".join(lines) + "\n\n" + body.strip() + "\n"


def body_template(language: str) -> str:
    """Section headings in the entry's language, with guidance as comments (not content)."""

    def say(key: str) -> str:
        return i18n.t(language, key)

    return (
        f"## {say('template.content')}\n\n<!-- {say('template.content_hint')} -->\n\n"
        f"## {say('template.scale')}\n\n<!-- {say('template.scale_hint')} -->\n\n"
        f"## {say('template.sources')}\n\n<!-- {say('template.sources_hint')} -->\n"
    )


def write_entry(directory: Path, fields: dict[str, Any], body: str | None = None) -> Path:
    """Create ``<id>.md`` in ``directory``; refuses to overwrite (the file is created exclusively)."""
    directory.mkdir(parents=True, exist_ok=True)
    taken = {p.stem for p in directory.glob("*.md")}
    entry_id = fields.pop("id", None) or free_id(fields["title"], taken)
    fields.setdefault("added", dt.date.today().isoformat())
    path = directory / f"{entry_id}.md"
    text = render(fields, body if body and body.strip() else body_template(fields.get("language", "fr")))
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
    return path
