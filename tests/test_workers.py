"""kb.workers: work spread over forked processes gives what the same work gives in one process."""

from __future__ import annotations

import os
import threading

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
