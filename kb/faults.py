"""Faults of the machine rather than of the entries: a full disk, a used-up quota, a file size
limit, the memory. Whichever layer meets one (a page write, SQLite, the search index), kb says what ran
out in one line instead of the layer's traceback."""

from __future__ import annotations

import errno
import os
import sqlite3
import sys
import time

from kb.i18n import Said

RAN_OUT = {  # what ran out: its message in the catalogue (and its .fix)
    errno.ENOSPC: "fault.disk_full",
    errno.EDQUOT: "fault.quota",
    errno.EFBIG: "fault.file_size",
    errno.ENOMEM: "fault.memory",  # a worker or Pagefind killed by the system (kb.workers, kb.site.pagefind)
}
SQLITE_FULL = 13
PAUSE = "KB_TEST_PAUSE"  # test-only: names the phase at which a build stops, to be killed there


class OutOfSpace(Said):
    """The disk filled up (or a quota, or the file size limit, was reached) while kb wrote, or
    the memory ran out."""


class Missing(Said, FileNotFoundError):
    """A folder or file a command needs is not there (the entries, the search index, the site)."""


def refused_by_system(error: OSError) -> Said:
    """What the operating system refused (a folder not writable, a file gone), said in the
    reader's language: the file and the system's own reason, then what to check."""
    return Said("fault.system", path=error.filename or "", reason=error.strerror or error)


def out_of_space(error: BaseException, where: str, store: str) -> OutOfSpace | None:
    """What ran out, when ``error`` or one of its causes is a full disk, a used-up quota or the
    file size limit, naming the file (else ``where``, or the ``store`` for SQLite); None for
    any other error."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in RAN_OUT:
            return OutOfSpace(RAN_OUT[current.errno], path=current.filename or where)
        if isinstance(current, sqlite3.Error) and _sqlite_full(current):
            return OutOfSpace(RAN_OUT[errno.ENOSPC], path=store)
        driver = getattr(current, "orig", None)  # SQLAlchemy wraps the driver's error
        current = driver if isinstance(driver, BaseException) else (current.__cause__ or current.__context__)
    return None


def _sqlite_full(error: sqlite3.Error) -> bool:
    code = getattr(error, "sqlite_errorcode", None)  # Python 3.11+
    return code == SQLITE_FULL if code is not None else "database or disk is full" in str(error)


def pause(phase: str) -> None:
    """Test-only: when KB_TEST_PAUSE names ``phase``, say so on stderr and wait to be killed.
    The tests kill a build at known points ("pages": half the pages written, "swap": all
    written, not yet live, "downloads": the pages live, the downloads not yet, "search": Pagefind
    running) instead of at a guessed moment."""
    if os.environ.get(PAUSE) != phase:
        return
    print(f"kb: paused at {phase} ({PAUSE})", file=sys.stderr, flush=True)
    while True:
        time.sleep(3600)
