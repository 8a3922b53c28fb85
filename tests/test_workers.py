"""kb.workers: work spread over forked processes gives what the same work gives in one process."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from kb import workers


def _squares(shared: dict, bounds: tuple[int, int]) -> list[tuple[int, int, int]]:
    """Each item's square, and the process and the lock it saw (a lock cannot be pickled)."""
    assert shared["lock"] is not None
    return [(shared["base"] + n * n, os.getpid(), id(shared["lock"])) for n in range(*bounds)]


def _fails(shared: object, bounds: tuple[int, int]) -> list[int]:
    if bounds[0] >= workers.CHUNK:
        raise ValueError(f"bad chunk {bounds}")
    return list(range(*bounds))


def _collector(shared: object, bounds: tuple[int, int]) -> list[tuple[bool, tuple[int, ...]]]:
    return [(gc.isenabled(), gc.get_threshold())]


def _flatten(results) -> list:
    return [item for chunk in results for item in chunk]


@pytest.mark.skipif(workers.WORKERS < 2, reason="one CPU: nothing is forked")
def test_forked_workers_inherit_what_they_need_and_keep_the_order():
    shared = {"base": 7, "lock": threading.Lock()}
    count = workers.CHUNK * 4 + 3
    with workers.spread(_squares, shared, count, parallel_from=1) as results:
        forked = _flatten(results)
    with workers.spread(_squares, shared, count, parallel_from=count + 1) as results:
        here = _flatten(results)
    assert [value for value, _, _ in forked] == [value for value, _, _ in here] == [7 + n * n for n in range(count)]
    assert {pid for _, pid, _ in here} == {os.getpid()}
    assert os.getpid() not in {pid for _, pid, _ in forked}  # computed elsewhere...
    assert {lock for _, _, lock in forked} == {id(shared["lock"])}  # ...on the inherited objects


def test_small_work_stays_here_or_is_left_to_the_caller():
    with workers.spread(_squares, {"base": 0, "lock": 1}, 10, parallel_from=11) as results:
        assert {pid for _, pid, _ in _flatten(results)} == {os.getpid()}
    with workers.spread(_squares, {"base": 0, "lock": 1}, 10, parallel_from=11, only_forked=True) as results:
        assert list(results) == []


@pytest.mark.skipif(workers.WORKERS < 2, reason="one CPU: nothing is forked")
def test_a_worker_error_reaches_the_caller():
    with pytest.raises(ValueError, match="bad chunk"), workers.spread(_fails, None, workers.CHUNK * 3, 1) as results:
        _flatten(results)
    with workers.spread(_fails, None, 5, parallel_from=1) as results:  # and the next pool starts afresh
        assert _flatten(results) == [0, 1, 2, 3, 4]


@pytest.mark.skipif(workers.WORKERS < 2, reason="one CPU: nothing is forked")
def test_a_pool_started_while_another_runs_gives_each_its_own_work():
    count = workers.CHUNK * 2
    with workers.spread(_squares, {"base": 1, "lock": 1}, count, parallel_from=1) as outer:
        with workers.spread(_squares, {"base": 2, "lock": 2}, count, parallel_from=1) as inner:
            assert [value for value, _, _ in _flatten(inner)] == [2 + n * n for n in range(count)]
        assert [value for value, _, _ in _flatten(outer)] == [1 + n * n for n in range(count)]
    assert workers._SHARED == []


@pytest.mark.skipif(workers.WORKERS < 2, reason="one CPU: nothing is forked")
def test_renewed_workers_are_fresh_processes_and_keep_the_order():
    count, step = workers.CHUNK * 5, 2 * workers.CHUNK
    with (
        workers.spread(_squares, {"base": 3, "lock": 1}, count, parallel_from=1, renew=2) as outer,
        workers.spread(_squares, {"base": 4, "lock": 2}, count, parallel_from=1, renew=2) as inner,
    ):
        rows = _flatten(outer)  # its next workers forked while the inner pool's work is the newest
        assert [value for value, _, _ in _flatten(inner)] == [4 + n * n for n in range(count)]
    assert [value for value, _, _ in rows] == [3 + n * n for n in range(count)]
    pids = [{pid for _, pid, _ in rows[start : start + step]} for start in range(0, count, step)]
    assert len(pids) == 3 and not pids[0] & pids[1] and not pids[1] & pids[2]  # every two chunks, other processes
    assert workers._SHARED == []


KILLED_PARENT = """
import multiprocessing, sys, time
from kb import workers

def wait(shared, bounds):
    time.sleep(600)
    return bounds

if __name__ == "__main__":
    with workers.spread(wait, None, 4, parallel_from=1, size=1) as results:
        time.sleep(0.5)  # the pool starts its workers when the work is handed out
        print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
        list(results)
"""


@pytest.mark.skipif(workers.WORKERS < 2, reason="one CPU: nothing is forked")
def test_workers_end_when_kbs_process_is_killed(tmp_path):
    """A SIGKILLed kb process cannot stop its workers: they end by themselves, instead of waiting
    for work forever with the project's lock (kb.lock) they inherited."""
    script = tmp_path / "killed.py"
    script.write_text(KILLED_PARENT)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(workers.__file__).parent.parent), *sys.path]))
    with subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True, env=env) as process:
        assert process.stdout is not None
        children = [int(pid) for pid in process.stdout.readline().split()]
        assert len(children) == workers.WORKERS
        process.send_signal(signal.SIGKILL)
    deadline = time.monotonic() + 60  # a bound for a loaded machine, not a measure
    while any(alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [pid for pid in children if alive(pid)]


def alive(pid: int) -> bool:
    """The process is there and not a zombie waiting for its new parent to reap it."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(workers.WORKERS < 2, reason="one CPU: nothing is forked")
def test_workers_collect_garbage_less_often_and_this_process_as_before():
    """Forked while this process has its collector off (collector_off), workers still collect."""
    before = gc.get_threshold()
    with workers.collector_off(), workers.spread(_collector, None, 2, parallel_from=1, size=1) as results:
        seen = _flatten(results)
        assert not gc.isenabled()
    assert seen == [(True, workers.WORKER_GC_THRESHOLDS)] * 2
    assert gc.get_threshold() == before != workers.WORKER_GC_THRESHOLDS
    assert gc.isenabled()


def test_a_failed_block_leaves_nothing_frozen():
    """collector_off freezes what a block made only when asked and only when it succeeds:
    a refused build has nothing to thaw after it, and a long-lived process would keep its
    objects unscanned."""
    gc.unfreeze()
    with pytest.raises(ValueError), workers.collector_off(freeze=True):
        kept = [[n] for n in range(100)]
        raise ValueError(kept)
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    with workers.collector_off():
        kept = [[n] for n in range(100)]
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    with workers.collector_off(freeze=True):
        kept = [[n] for n in range(100)]
    assert gc.get_freeze_count() >= 100
    workers.thaw()
    assert gc.get_freeze_count() == 0


def test_a_thread_leaves_the_collector_to_the_main_thread():
    """The collector is the whole process's: collector_off from another thread must not switch
    it off under the main thread."""
    seen = []

    def block() -> None:
        with workers.collector_off():
            seen.append(gc.isenabled())

    assert gc.isenabled()
    thread = threading.Thread(target=block)
    thread.start()
    thread.join()
    assert seen == [True] and gc.isenabled()
    with workers.collector_off():
        assert not gc.isenabled()


def _collecting_in_block(shared: object, bounds: tuple[int, int]) -> list[tuple[int, bool]]:
    with workers.collector_off():
        return [(os.getpid(), gc.isenabled())]


def _refuses(path: Path) -> None:
    raise ValueError(f"not a shard: {path}")


def test_work_set_aside_runs_in_a_process_of_its_own_with_its_own_collector():
    """What a thread hands to workers.aside (a search shard made byte-stable beside the pages)
    runs in another process, where collector_off works as in any main thread (in the thread
    it would do nothing: the collector scanned millions of postings); its errors come back as
    they were raised."""
    seen: list = []

    def beside() -> None:
        with workers.aside() as aside:
            seen.append(aside.submit(_collecting_in_block, None, (0, 1)).result())
            seen.append(aside.submit(_refuses, Path("shard/1")).exception())

    thread = threading.Thread(target=beside)
    thread.start()
    thread.join()
    [[(pid, collecting)], error] = seen
    assert pid != os.getpid() and not collecting
    assert isinstance(error, ValueError) and "shard" in str(error)
    assert gc.isenabled()
