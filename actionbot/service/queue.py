"""Per-repository serial work, different repositories concurrently, all bounded.

Deliveries for one repository must not race (two pushes reconciling the same
issues at once would both create the missing one), so each key runs one job
at a time in arrival order. Different keys run concurrently, at most
`max_concurrency` jobs at once, and at most `max_pending` jobs wait: past that,
`submit` says no and the webhook answers 503, so GitHub records a failed
delivery that can be redelivered instead of the service growing without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

log = logging.getLogger("actionbot.service.queue")

Job = Callable[[], Awaitable[None]]


@dataclass(slots=True)
class _Item:
    job: Job
    description: str


class WorkQueue:
    """Per-key deques drained by one worker task per busy key (none for idle keys).

    A worker takes one of `max_concurrency` slots and keeps it while its key has
    work and no other key is waiting for a slot (then it hands its slot over and
    queues for the next one, first come first served): a busy repository costs
    no slot bookkeeping per job, and cannot starve the others.
    """

    def __init__(self, *, max_concurrency: int = 8, max_pending: int = 1000):
        self.max_concurrency = max_concurrency
        self.max_pending = max_pending
        self._free = max_concurrency  # slots no worker holds
        self._waiting: deque[asyncio.Future[None]] = deque()  # workers waiting for a slot, in order
        self._pending: dict[str, deque[_Item]] = {}
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

    def submit(self, key: str, job: Job, description: str = "") -> bool:
        """Queue `job` behind earlier jobs of `key`; False when closed or full."""
        if self.closed or self._depth >= self.max_pending:
            return False
        pending = self._pending.get(key)
        if pending is None:
            pending = self._pending[key] = deque()
        pending.append(_Item(job, description or key))
        self._depth += 1
        if key not in self._tasks:
            self._idle.clear()
            self._tasks[key] = asyncio.get_running_loop().create_task(self._run_key(key, pending), name=f"queue:{key}")
        return True

    async def _acquire(self) -> None:
        """Take a slot: at once when one is free and nobody queues, else wait for a hand-over."""
        if self._free > 0 and not self._waiting:
            self._free -= 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # handed a slot, then cancelled: pass it on
            else:
                self._waiting.remove(waiter)
            raise

    def _release(self) -> None:
        """Give the slot to the first waiting worker, or back to the pool."""
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1

    async def _run_key(self, key: str, pending: deque[_Item]) -> None:
        held = False
        try:
            await self._acquire()
            held = True
            while pending:
                item = pending.popleft()
                self._running[key] = item
                try:
                    await item.job()
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # Jobs handle and log their own failures; this is the last net.
                    log.exception("job failed: %s", item.description)
                finally:
                    del self._running[key]
                    self._depth -= 1
                if self._waiting and pending:  # another key waits for a slot: take turns
                    held = False
                    self._release()
                    await self._acquire()
                    held = True
        finally:
            if held:
                self._release()
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
        self._running.clear()
        self._depth = 0
        return unfinished
