"""WorkQueue: one job at a time per key in arrival order, keys concurrent, bounded."""

from __future__ import annotations

import asyncio

from actionbot.service.queue import Submitted, WorkQueue


async def test_one_key_runs_serially_in_arrival_order() -> None:
    q = WorkQueue(max_concurrency=4)
    log: list[str] = []
    running = 0
    peak = 0

    def job(name: str):
        async def run() -> None:
            nonlocal running, peak
            running += 1
            peak = max(peak, running)
            log.append(f"start {name}")
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            log.append(f"end {name}")
            running -= 1

        return run

    for i in range(5):
        assert q.submit("octo/notes", job(str(i)))
    await q.join()
    assert peak == 1
    assert log == [x for i in range(5) for x in (f"start {i}", f"end {i}")]


async def test_different_keys_run_concurrently_within_the_bound() -> None:
    q = WorkQueue(max_concurrency=2)
    gate = asyncio.Event()
    running = 0
    peak = 0

    async def job() -> None:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        await gate.wait()
        running -= 1

    for key in ("a", "b", "c", "d"):
        q.submit(key, job)
    for _ in range(5):
        await asyncio.sleep(0)
    assert running == 2 and q.depth == 4
    gate.set()
    await q.join()
    assert peak == 2 and q.depth == 0


async def test_full_queue_refuses() -> None:
    q = WorkQueue(max_pending=2)
    gate = asyncio.Event()

    async def job() -> None:
        await gate.wait()

    assert q.submit("a", job) and q.submit("b", job)
    assert not q.submit("c", job)
    gate.set()
    await q.join()
    assert q.submit("c", job)
    await q.join()


async def test_a_failing_job_does_not_stop_its_key() -> None:
    q = WorkQueue()
    done: list[int] = []

    async def bad() -> None:
        raise RuntimeError("boom")

    async def good() -> None:
        done.append(1)

    q.submit("k", bad)
    q.submit("k", good)
    await q.join()
    assert done == [1]


async def test_drain_finishes_accepted_work_and_refuses_new() -> None:
    q = WorkQueue()
    done: list[str] = []

    def job(name: str):
        async def run() -> None:
            await asyncio.sleep(0)
            done.append(name)

        return run

    q.submit("k", job("1"))
    q.submit("k", job("2"))
    assert await q.drain(timeout=5) == []
    assert done == ["1", "2"]
    assert not q.submit("k", job("3"))


async def test_drain_reports_what_it_could_not_finish() -> None:
    q = WorkQueue(max_concurrency=1)
    forever = asyncio.Event()

    async def stuck() -> None:
        await forever.wait()

    q.submit("a", stuck, "running one")
    q.submit("a", stuck, "queued behind it")
    q.submit("b", stuck, "waiting for a slot")
    unfinished = await q.drain(timeout=0.01)
    assert sorted(unfinished) == ["queued behind it", "running one", "waiting for a slot"]
    assert q.depth == 0


async def test_a_busy_key_hands_its_slot_to_a_waiting_key_between_jobs() -> None:
    q = WorkQueue(max_concurrency=1)
    order: list[str] = []

    def job(name: str):
        async def run() -> None:
            order.append(name)
            await asyncio.sleep(0)

        return run

    for i in range(3):
        q.submit("busy", job(f"busy{i}"))
    q.submit("other", job("other"))
    await q.join()
    assert order == ["busy0", "other", "busy1", "busy2"]
    assert q.submit("busy", job("again")) and q.submit("other", job("again too"))  # slots all given back
    await asyncio.wait_for(q.join(), 5)
    assert order[-2:] == ["again", "again too"] and q.depth == 0


async def test_coalesce_joins_the_waiting_job_never_the_running_one() -> None:
    q = WorkQueue(max_pending=2)
    gate = asyncio.Event()
    runs: list[list[int]] = []

    async def run(values: list[int]) -> None:
        runs.append(values)
        await gate.wait()

    def merge(a: list[int], b: list[int]) -> list[int]:
        return a + b

    assert q.coalesce("repo", [1], run, merge) is Submitted.QUEUED
    await asyncio.sleep(0)  # the first job starts: no longer joinable
    assert q.coalesce("repo", [2], run, merge) is Submitted.QUEUED
    assert q.coalesce("repo", [3], run, merge) is Submitted.JOINED
    assert q.depth == 2 and not q.submit("other", gate.wait)  # full: the bound counts jobs
    assert q.coalesce("repo", [4], run, merge) is Submitted.JOINED  # joining costs no job, so it still fits
    gate.set()
    await q.join()
    assert runs == [[1], [2, 3, 4]]
    q.close()
    assert q.coalesce("repo", [5], run, merge) is Submitted.REFUSED
