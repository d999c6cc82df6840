"""Per-repository serial work, different repositories concurrently, pushes coalesced, all bounded.

Deliveries for one repository must not race (two pushes reconciling the same
issues at once would both create the missing one), so each key runs one job
at a time in arrival order. Different keys run concurrently, at most
`max_concurrency` jobs at once (one semaphore, first come first served, so a
busy repository takes turns with the others between its jobs).

A webhook is a hint to reconcile: a push that arrives while a reconcile of
its repository still waits joins that job (`coalesce`, with the caller's
`merge`) instead of adding one, so a burst of pushes to one repository costs
at most one waiting and one running reconcile, and the last run covers the
newest push. Commands and other events stay one job each (`submit`), behind
whatever their repository already has queued.

The bound counts jobs, not deliveries: at most `max_pending` jobs wait or run.
Past that, and once closed, the caller is told no and the webhook answers 503,
so GitHub records a failed delivery that can be redelivered instead of the
service growing without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

log = logging.getLogger("actionbot.service.queue")

Job = Callable[[], Awaitable[None]]
T = TypeVar("T")


class Submitted(enum.Enum):
    """What happened to submitted work: a job of its own, joined to a waiting one, or refused."""

    QUEUED = "queued"
    JOINED = "joined"
    REFUSED = "refused"

    def __bool__(self) -> bool:
        return self is not Submitted.REFUSED


@dataclass(slots=True)
class _Item:
    run: Callable[[Any], Awaitable[None]]  # called with `value` once the job starts
    value: Any
    description: str
    merge: Callable[[Any, Any], Any] | None = None  # set for coalescing jobs
    joined: int = 1  # submissions this job stands for


async def _call(job: Job) -> None:
    await job()


class WorkQueue:
    """One drain task per busy key (none for idle keys); a semaphore bounds the jobs running at once."""

    def __init__(self, *, max_concurrency: int = 8, max_pending: int = 1000):
        self.max_concurrency = max_concurrency
        self.max_pending = max_pending
        self._slots = asyncio.Semaphore(max_concurrency)
        self._pending: dict[str, deque[_Item]] = {}
        self._joinable: dict[str, _Item] = {}  # per key: the coalescing job not started yet
        self._running: dict[str, _Item] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._idle = asyncio.Event()
        self._idle.set()
        self.closed = False
        self._depth = 0  # kept, not summed over every key's deque at each submit

    @property
    def depth(self) -> int:
        """Jobs accepted and not finished (waiting or running)."""
        return self._depth

    @property
    def running(self) -> int:
        return len(self._running)

    def submit(self, key: str, job: Job, description: str = "") -> bool:
        """Queue `job` behind earlier jobs of `key`; False when closed or full."""
        return bool(self._add(key, _Item(_call, job, description or key)))

    def coalesce(
        self, key: str, value: T, run: Callable[[T], Awaitable[None]], merge: Callable[[T, T], T], description: str = ""
    ) -> Submitted:
        """Join the waiting coalescing job of `key` (its value becomes `merge(value, this)`), or queue one.

        A job already running is not joined: the new value makes one more job after it.
        """
        if self.closed:
            return Submitted.REFUSED
        waiting = self._joinable.get(key)
        if waiting is not None and waiting.merge is not None:
            waiting.value = waiting.merge(waiting.value, value)
            waiting.joined += 1
            return Submitted.JOINED
        item = _Item(run, value, description or key, merge)
        added = self._add(key, item)
        if added:
            self._joinable[key] = item
        return added

    def _add(self, key: str, item: _Item) -> Submitted:
        if self.closed or self._depth >= self.max_pending:
            return Submitted.REFUSED
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = deque()
        pending.append(item)
        self._depth += 1
        if key not in self._tasks:
            self._idle.clear()
            self._tasks[key] = asyncio.get_running_loop().create_task(self._run_key(key, pending), name=f"queue:{key}")
        return Submitted.QUEUED

    async def _run_key(self, key: str, pending: deque[_Item]) -> None:
        try:
            while pending:
                async with self._slots:
                    # Taken only now: while it waited for a slot, later pushes could still join it.
                    item = pending.popleft()
                    if self._joinable.get(key) is item:
                        del self._joinable[key]
                    self._running[key] = item
                    try:
                        await item.run(item.value)
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        # Jobs handle and log their own failures; this is the last net.
                        log.exception("job failed: %s", item.description)
                    finally:
                        del self._running[key]
                        self._depth -= 1
        finally:
            if not pending and self._pending.get(key) is pending:
                del self._pending[key]
            self._tasks.pop(key, None)
            if not self._tasks:
                self._idle.set()

    async def join(self) -> None:
        """Wait until every accepted job has finished (tests, drain)."""
        while self._tasks:
            await self._idle.wait()
            await asyncio.sleep(0)

    def close(self) -> None:
        """Refuse new work (SIGTERM); accepted work still runs."""
        self.closed = True

    async def drain(self, timeout: float) -> list[str]:  # noqa: ASYNC109 (a grace period that ends in cancelling the rest, not a caller's deadline)
        """Close, finish what was accepted within `timeout`, cancel the rest.

        Returns the descriptions of the jobs that did not finish, for the log:
        their deliveries can be redelivered, and the resync repairs them anyway.
        """
        self.close()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.join(), timeout)
        unfinished = [i.description for i in self._running.values()]
        unfinished += [i.description for q in self._pending.values() for i in q]
        for task in list(self._tasks.values()):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
        self._pending.clear()
        self._joinable.clear()
        self._running.clear()
        self._depth = 0
        return unfinished
