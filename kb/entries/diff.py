"""What a change does to the inventory, for a reviewer: entries added, changed and removed with
their titles, tags added or removed, new vocabulary values, and the problems of the changed
files (``kb diff BASE``, written to a pull request's job summary).

The entries at ``BASE`` are read from git (``git ls-tree`` and one ``git cat-file --batch``);
the working tree is the other side.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kb import i18n
from kb.entries import inventory
from kb.entries.problems import Problem
from kb.entries.schema import _Loader, split_front_matter
from kb.entries.vocab import DIMENSIONS, VOCAB_DIR, Vocabularies

TAGS = ("type", "scale", "criteria", "partners", "territories", "language")


class GitError(Exception):
    """git could not answer (not a repository, an unknown revision)."""


def _git(root: Path, *args: str, stdin: bytes | None = None) -> bytes:
    try:
        run = subprocess.run(["git", "-C", str(root), *args], input=stdin, capture_output=True, check=False)
    except FileNotFoundError:
        raise GitError(i18n.message("diff.no_git")) from None
    if run.returncode:
        raise GitError(run.stderr.decode("utf-8", "replace").strip() or f"git {args[0]} failed")
    return run.stdout


def files_at(root: Path, revision: str, folder: str) -> dict[str, bytes]:
    """Path (relative to ``folder``) -> content of the files under ``folder`` at ``revision``."""
    listing = _git(root, "ls-tree", "-r", "-z", revision, "--", f"{folder}/")
    blobs: list[tuple[str, str]] = []
    for row in listing.split(b"\0"):
        if row:
            meta, path = row.split(b"\t", 1)
            blobs.append((path.decode("utf-8")[len(folder) + 1 :], meta.split()[2].decode()))
    if not blobs:
        return {}
    out = _git(root, "cat-file", "--batch", stdin="".join(f"{sha}\n" for _, sha in blobs).encode())
    result: dict[str, bytes] = {}
    position = 0
    for name, _ in blobs:
        header_end = out.index(b"\n", position)
        size = int(out[position:header_end].split()[2])
        result[name] = out[header_end + 1 : header_end + 1 + size]
        position = header_end + 1 + size + 1
    return result


def _fields(data: bytes) -> dict[str, Any]:
    """The front matter's fields, read leniently (a broken file on either side still shows)."""
    parts = split_front_matter(data.decode("utf-8", "replace"))
    if isinstance(parts, str):
        return {}
    try:
        loaded = yaml.load(parts[0], Loader=_Loader)
    except yaml.YAMLError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _tags(fields: dict[str, Any], name: str) -> list[str]:
    value = fields.get(name)
    values = value if isinstance(value, list) else [] if value is None else [value]
    return [str(v) for v in values]


@dataclass
class Change:
    id: str
    title: str
    added_tags: dict[str, list[str]] = field(default_factory=dict)
    removed_tags: dict[str, list[str]] = field(default_factory=dict)
    fields: list[str] = field(default_factory=list)
    body: bool = False


@dataclass
class Summary:
    added: list[Change] = field(default_factory=list)
    changed: list[Change] = field(default_factory=list)
    removed: list[Change] = field(default_factory=list)
    new_values: dict[str, list[str]] = field(default_factory=dict)
    removed_values: dict[str, list[str]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)


def _vocabulary_ids(files: dict[str, bytes]) -> dict[str, set[str]]:
    ids = {}
    for name, data in files.items():
        if name.endswith(".yaml"):
            try:
                terms = yaml.load(data, Loader=_Loader) or []
            except yaml.YAMLError:
                continue
            ids[name[:-5]] = {str(t["id"]) for t in terms if isinstance(t, dict) and "id" in t}
    return ids


def summarise(
    root: Path, base: str, entries_dir: Path, vocabularies: Vocabularies, vocab_dir: Path = VOCAB_DIR
) -> Summary:
    """Compare the entries (and the vocabularies of ``vocab_dir``) at ``base`` with the working tree."""
    top = Path(_git(root, "rev-parse", "--show-toplevel").decode().strip())
    folder = entries_dir.resolve().relative_to(top).as_posix()
    before = {
        n[:-3]: d
        for n, d in files_at(top, base, folder).items()
        if n.endswith(".md") and "/" not in n and n.lower() != "readme.md"
    }
    paths = inventory.entry_files([entries_dir])
    after = {p.stem: p.read_bytes() for p in paths}
    summary = Summary()
    for entry_id in sorted(after.keys() - before.keys()):
        fields = _fields(after[entry_id])
        summary.added.append(
            Change(
                entry_id,
                str(fields.get("title", "")),
                added_tags={t: _tags(fields, t) for t in TAGS if _tags(fields, t)},
            )
        )
    for entry_id in sorted(before.keys() - after.keys()):
        summary.removed.append(Change(entry_id, str(_fields(before[entry_id]).get("title", ""))))
    for entry_id in sorted(before.keys() & after.keys()):
        if before[entry_id] == after[entry_id]:
            continue
        old, new = _fields(before[entry_id]), _fields(after[entry_id])
        change = Change(entry_id, str(new.get("title", "")))
        for tag in TAGS:
            gained = [v for v in _tags(new, tag) if v not in _tags(old, tag)]
            lost = [v for v in _tags(old, tag) if v not in _tags(new, tag)]
            if gained:
                change.added_tags[tag] = gained
            if lost:
                change.removed_tags[tag] = lost
        change.fields = sorted(k for k in old.keys() | new.keys() if k not in TAGS and old.get(k) != new.get(k))
        old_parts, new_parts = (
            split_front_matter(d.decode("utf-8", "replace")) for d in (before[entry_id], after[entry_id])
        )
        change.body = isinstance(old_parts, str) or isinstance(new_parts, str) or old_parts[1] != new_parts[1]
        summary.changed.append(change)
    try:
        vocab_folder = vocab_dir.resolve().relative_to(top).as_posix()
    except ValueError:  # vocabularies installed outside this repository: nothing to compare
        vocab_folder = None
    if vocab_folder:
        old_ids = _vocabulary_ids(files_at(top, base, vocab_folder))
        for term_name in sorted(set(DIMENSIONS.values())):
            now = {t.id for t in vocabularies[term_name]}
            was = old_ids.get(term_name, set())
            if now - was:
                summary.new_values[term_name] = sorted(now - was)
            if was - now:
                summary.removed_values[term_name] = sorted(was - now)
    touched = {c.id for c in summary.added + summary.changed}
    summary.problems = [p for p in inventory.load([entries_dir], vocabularies).problems if Path(p.path).stem in touched]
    return summary


def markdown(summary: Summary, vocabularies: Vocabularies, lang: str) -> str:
    """The summary as Markdown in ``lang`` (GitHub renders it in a job summary or a comment)."""

    def say(key: str, **values: object) -> str:
        return i18n.t(lang, key, **values)

    colon, semicolon = f"{say('colon')} ", f"{say('semicolon')} "

    def tags(by_tag: dict[str, list[str]]) -> str:
        return vocabularies.tags_text(by_tag, lang)

    lines = [
        f"## {say('diff.title')}",
        "",
        i18n.message(
            "diff.counts",
            added=i18n.counted("diff.n_added", len(summary.added)),
            changed=i18n.counted("diff.n_changed", len(summary.changed)),
            removed=i18n.counted("diff.n_removed", len(summary.removed)),
        ).render(lang),
        "",
    ]
    if summary.added:
        lines += [f"### {say('diff.added')}", ""]
        lines += [
            f"- `{c.id}` — {c.title}" + (f" ({tags(c.added_tags)})" if c.added_tags else "") for c in summary.added
        ]
        lines.append("")
    if summary.changed:
        lines += [f"### {say('diff.changed')}", ""]
        for c in summary.changed:
            parts = []
            if c.added_tags:
                parts.append(say("diff.tags_added", tags=tags(c.added_tags)))
            if c.removed_tags:
                parts.append(say("diff.tags_removed", tags=tags(c.removed_tags)))
            if c.fields:
                parts.append(say("diff.fields_changed", fields=", ".join(f"`{f}`" for f in c.fields)))
            if c.body:
                parts.append(say("diff.text_changed"))
            lines.append(f"- `{c.id}` — {c.title}" + (f"{colon}{semicolon.join(parts)}" if parts else ""))
        lines.append("")
    if summary.removed:
        lines += [f"### {say('diff.removed')}", ""] + [f"- `{c.id}` — {c.title}" for c in summary.removed] + [""]
    for key, values in (("diff.new_values", summary.new_values), ("diff.removed_values", summary.removed_values)):
        if values:
            lines += [f"### {say(key)}", ""]
            lines += [f"- {name}{colon}{', '.join(f'`{v}`' for v in ids)}" for name, ids in values.items()] + [""]
    lines += [f"### {say('diff.problems')}", ""]
    lines += [f"- {p.render(lang)}" for p in summary.problems] or [say("diff.no_problems")]
    return "\n".join(lines) + "\n"
