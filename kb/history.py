"""When each entry was added to the inventory and last changed, read from the repository's history.

One ``git log`` pass over the entries folder gives every file's dates (renames followed, so an
entry keeps the date it was added under its former name). The result is kept under ``.kb/``
with the commit it was read at: a rebuild after an edit costs one ``git rev-parse``, and after
new commits only those are read. The dates are the committer dates of the main line
(``--first-parent``): when a change reached the branch, as a merged pull request does.

Outside a git checkout, or for a file not yet committed, there is no history: the entry's
``added`` field stands in. A shallow clone's history is cut, so it would date entries by the
cut: it gives a note and the same fallback, never a wrong date.
"""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kb import cache as cache_file
from kb import i18n

CACHE_VERSION = 3
_NOTED: set[str] = set()  # notes already printed by this process (kb serve rebuilds many times)


@dataclass(frozen=True)
class Dates:
    """An entry's provenance: ISO 8601 date-times with their offset, as git records them."""

    added: str
    changed: str


@dataclass(frozen=True)
class History:
    """Entry id -> Dates for the committed entries, and the commit they were read at."""

    dates: dict[str, Dates]
    commit: str = ""
    note: str = ""  # why there is no history ("shallow", "no_git"), empty when there is one
    key: str = ""  # what the site's pages show of it: changes when any entry's dates do (see _key)


def _git(folder: Path, *args: str) -> str | None:
    try:
        run = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=False)
    except OSError:  # no git on this machine
        return None
    return run.stdout if run.returncode == 0 else None


def load(entries_dir: Path, state_dir: Path) -> History:
    """The history of the entries in ``entries_dir``, from ``state_dir``'s copy when HEAD has not
    moved since it was read (and from the new commits alone when HEAD moved forward); an empty
    History (with a ``note``) when there is none to read."""
    head = _git(entries_dir, "rev-parse", "--show-toplevel", "--is-shallow-repository", "--show-prefix", "HEAD")
    lines = head.splitlines() if head else []
    if len(lines) != 4:
        return History({}, note="no_git")
    top, shallow, prefix, commit = lines
    if shallow == "true":
        return History({}, commit, note="shallow")
    folder = prefix.rstrip("/")
    cache = state_dir / "history.pickle"
    kept = cache_file.read(cache)
    known = (
        kept[3]
        if isinstance(kept, tuple) and len(kept) == 5 and kept[:1] == (CACHE_VERSION,) and kept[2] == folder
        else None
    )
    if known is not None and kept[1] == commit:
        return History(_by_id(known), commit, key=kept[4])
    files = None
    if known is not None and _follows(Path(top), kept[1], commit):  # HEAD moved forward: the new commits alone
        files = _read_log(Path(top), f"{kept[1]}..{commit}", folder, dict(known))
    if files is None:
        files = _read_log(Path(top), commit, folder, {})
    if files is None:
        return History({}, commit, note="no_git")
    dates = _by_id(files)
    key = _key(dates)
    cache_file.write(cache, (CACHE_VERSION, commit, folder, files, key))
    return History(dates, commit, key=key)


def _follows(top: Path, old: str, new: str) -> bool:
    """Whether ``old`` is on ``new``'s main line (first parents): then replaying the commits
    after it gives what a whole pass gives. Not after a rewritten history or a branch switch."""
    chain = _git(top, "rev-list", "--first-parent", "--parents", f"{old}..{new}")
    oldest = chain.strip().splitlines()[-1].split() if chain and chain.strip() else []
    return oldest[1:2] == [old]


def _read_log(top: Path, commits: str, folder: str, files: dict[str, Dates]) -> dict | None:
    """Replay ``git log --reverse --name-status`` over ``files`` (path in ``folder`` -> Dates),
    oldest commit first: a file's dates follow it through renames."""
    # --relative rather than a pathspec: a pathspec makes git compare each commit's tree twice
    # (to simplify the history, then to list the changes), which doubled the cost.
    log = _git(
        top,
        "-c",
        "core.quotePath=false",
        "log",
        "-z",
        "--first-parent",
        "-M",
        "--name-status",
        "--format=%x01%cI",
        "--reverse",
        *([f"--relative={folder}"] if folder else []),
        commits,
    )
    if log is None:
        return None
    for commit in log.split("\x01")[1:]:
        fields = commit.split("\x00")
        date, i = fields[0], 1
        while i < len(fields) and fields[i].strip():
            status = fields[i].strip()[0]
            if status in "RC":
                old, new = fields[i + 1], fields[i + 2]
                i += 3
                kept = files.pop(old, None) if status == "R" else None
                files[new] = Dates(kept.added if kept else date, date)
                continue
            path = fields[i + 1]
            i += 2
            if status == "D":
                files.pop(path, None)
            elif status == "A" or path not in files:
                files[path] = Dates(date, date)
            else:
                files[path] = Dates(files[path].added, date)
    return files


def _key(dates: dict[str, Dates]) -> str:
    """A hash of every entry's dates (kept with them: 30 ms at 10,000 entries, on every rebuild)."""
    return hashlib.sha1(repr(sorted(dates.items())).encode()).hexdigest() if dates else ""


def _by_id(files: dict[str, Dates]) -> dict[str, Dates]:
    """The entry files' dates by entry id: ``*.md`` directly in the folder, README aside."""
    return {
        path[:-3]: found
        for path, found in files.items()
        if "/" not in path and path.endswith(".md") and path.lower() != "readme.md"
    }


def note_once(history: History, say: Callable[[i18n.Message], None]) -> None:
    """Say (``say``: the command's way, in its language), once per process, that a shallow
    clone's dates are not used."""
    if history.note == "shallow" and history.note not in _NOTED:
        _NOTED.add(history.note)
        say(i18n.message("history.shallow"))
