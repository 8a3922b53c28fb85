"""One kb at a time on a project's derived state: ``kb index``, ``kb build`` and ``kb serve``'s
rebuilds write the store, the search index and the site trees, which two runs at once would
break (a Whoosh lock error, two Pagefinds writing one bundle).

The lock is ``flock`` on a file under ``.kb/``: the kernel releases it when its holder ends,
however it ends, so a killed run never leaves a lock behind that someone must remove by hand.
The holder writes what it is inside the file, for the message of the run that waits.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path
from typing import Callable, Iterator

from kb.i18n import Message, Said, message

WAIT = 600.0  # seconds a run waits for another one by default (--wait)
POLL = 0.2  # seconds between two attempts while waiting


class Busy(Said):
    """Another kb run held the project's lock for longer than we would wait."""


def describe(holder: str) -> str:
    """What a lock holder writes in the lock file: 'kb build, pid 1234, started 10:02:11'."""
    return f"{holder}, pid {os.getpid()}, started {time.strftime('%H:%M:%S')}"


@contextlib.contextmanager
def hold(
    path: Path, holder: str, wait: float = WAIT, waiting: Callable[[Message], None] | None = None
) -> Iterator[None]:
    """Hold the lock file ``path`` while the block runs. If another run holds it, call
    ``waiting`` once with a message naming it (for the caller to say in its language), and try
    again until ``wait`` seconds have passed; then raise Busy."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + wait
        told = False
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                written = os.pread(descriptor, 500, 0).decode("utf-8", "replace").strip()
                other = written or message("lock.another")
                if time.monotonic() >= deadline:
                    raise Busy("lock.busy", wait=f"{wait:g}", holder=other, path=path) from None
                if waiting and not told:
                    waiting(message("lock.waiting", holder=other, wait=f"{wait:g}"))
                    told = True
                time.sleep(POLL)
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, describe(holder).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(descriptor, 0)
    finally:
        os.close(descriptor)  # releases the lock
