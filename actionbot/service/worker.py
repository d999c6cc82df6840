"""Redis mode's worker: arq runs the `drain` jobs of actionbot/service/redisqueue.py, and the resync.

One `drain` job per repository with work: it takes the repository's items one
by one (pushes that joined become one payload, see handlers/push.py) and runs
them through the service's own `process` (handlers, retries, the delivery
log line), so a delivery is handled the same way in both modes. Follow-up
work a handler schedules runs in the same job, after it: it stays behind the
repository's other work, on this worker.

A job that runs past `job_timeout` is cancelled and its item runs again (the
reconcile converges); a worker killed mid-job leaves its item in Redis, and
arq runs the job again on another worker once the job's time (`job_timeout`
+ `job_grace`) is up. An item
run `MAX_TRIES` times without finishing is given up (logged; the resync
repairs what it would have done).

The periodic resync is an arq cron job (enqueued once per run time whichever
worker sees it first), plus one pass when a worker starts; `resync_gate`
lets one pass per period through across the deployment.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from functools import reduce
from typing import Any, Protocol

from arq import Retry, cron, func
from arq.cron import CronJob
from arq.worker import Worker
from gidgethub import sansio
from redis.exceptions import RedisError

from actionbot.core.ages import Clock
from actionbot.engine.resync import resync_repository
from actionbot.github.app import AppClients
from actionbot.logs import kv
from actionbot.service.context import Context
from actionbot.service.handlers.push import join_pushes
from actionbot.service.redisqueue import PREFIX, QUEUE_NAME, RESYNC, Delivery, RedisQueue, Taken
from actionbot.service.resync import Resyncer
from actionbot.service.settings import Settings

log = logging.getLogger("actionbot.service.worker")


class Service(Protocol):
    """What a worker needs of the service it runs jobs for (`actionbot.service.deliveries.Service`)."""

    settings: Settings
    clients: AppClients
    clock: Clock
    resyncer: Resyncer | None

    def context(self, delivery_id: str) -> Context: ...

    async def process_shared(self, event: sansio.Event, delivery_ids: tuple[str, ...]) -> bool: ...

MAX_TRIES = 3
HEARTBEAT = 10.0  # seconds between two heartbeats of a worker (workers on `/`)
SERVICE = "actionbot_service"  # the arq context key holding the Service
QUEUE = "actionbot_queue"  # ... and the worker's RedisQueue


def as_event(taken: Taken) -> sansio.Event:
    """One event for the item: pushes joined (the latest delivery's id), else the one delivery."""
    last = taken.deliveries[-1]
    if len(taken.deliveries) == 1:
        return sansio.Event(dict(last.data), event=last.event, delivery_id=last.delivery_id)
    data = reduce(join_pushes, (d.data for d in taken.deliveries))
    return sansio.Event(dict(data), event="push", delivery_id=last.delivery_id)


async def drain(ctx: dict[str, Any], key: str) -> None:
    """arq job: run `key`'s items until none is left (or, past half the job's time, continue in a new try).

    The job must never end while the key still has work (nothing else would
    start another): Redis failing mid-way makes it a retry, not a failure.
    """
    service: Service = ctx[SERVICE]
    try:
        # Ends before arq's own timeout would (a timed-out arq job is over for good, and its
        # repository's work would wait for ever): the item running then runs again in the next try.
        async with asyncio.timeout(service.settings.job_timeout * 0.9):
            await _drain(service, ctx[QUEUE], key)
    except TimeoutError as exc:
        log.warning("drain ran out of time, continuing in a new try %s", kv(key=key))
        raise Retry(defer=0) from exc
    except (RedisError, OSError) as exc:
        log.warning("drain interrupted, retrying %s", kv(key=key, error=f"{type(exc).__name__}: {exc}"))
        raise Retry(defer=1) from exc


async def _drain(service: Service, queue: RedisQueue, key: str) -> None:
    budget = service.settings.job_timeout / 2
    start = time.monotonic()
    while True:
        if time.monotonic() - start > budget:
            raise Retry(defer=0)  # the rest in a fresh try: no single try runs into the job timeout
        delay = await queue.settle_delay(key)
        if delay > 0:
            await asyncio.sleep(min(delay, 0.25))  # a burst's later pushes join the waiting marker meanwhile
            continue
        taken = await queue.take(key)
        if taken is None:
            return
        ids = tuple(d.delivery_id for d in taken.deliveries)
        if taken.tries >= MAX_TRIES:
            log.error("item given up after %d tries (the resync repairs it) %s", taken.tries, kv(key=key, deliveries=",".join(ids)))
            await queue.forget(*ids)
            await queue.done(key)
            continue
        if not await run(service, taken):
            await queue.forget(*ids)  # a redelivery is processed again
        await queue.done(key)


async def run(service: Service, taken: Taken) -> bool:
    """Process one item; True when it succeeded."""
    first = taken.deliveries[0]
    if first.event == RESYNC:
        return await run_resync(service, first)
    return await service.process_shared(as_event(taken), tuple(d.delivery_id for d in taken.deliveries))


async def run_resync(service: Service, item: Delivery) -> bool:
    repo = item.data["repository"]["full_name"]
    try:
        gh = await service.clients.for_installation(item.data["installation"]["id"])
        ctx = service.context("resync")
        await resync_repository(gh, repo, ctx=ctx, clock=service.clock)
        await ctx.run_later()
        return True
    except Exception as exc:
        log.error("resync of a repository failed %s", kv(repository=repo, error=f"{type(exc).__name__}: {exc}"))
        return False


# ---------------------------------------------------------------- the resync's schedule


def cron_fields(hours: float) -> dict[str, set[int]]:
    """arq cron fields for "every `hours`": whole hours of the day, else minutes, else seconds (tests)."""
    seconds = max(1, round(hours * 3600))
    if seconds >= 3600:
        step = max(1, round(seconds / 3600))
        return {"hour": set(range(0, 24, step)), "minute": {17}, "second": {0}}
    if seconds >= 60:
        return {"minute": set(range(0, 60, max(1, seconds // 60))), "second": {0}}
    return {"second": set(range(0, 60, seconds))}


async def resync_gate(queue: RedisQueue, hours: float, now: float) -> bool:
    """True for the first pass of this period anywhere in the deployment (set-if-absent in Redis)."""
    period = max(1.0, hours * 3600)
    slot = int(now // period)
    return bool(await queue.redis.set(f"{PREFIX}resync:{slot}", "1", nx=True, ex=max(2, int(period * 2))))


async def resync_pass(ctx: dict[str, Any]) -> None:
    """arq job (cron, and once at a worker's start): redeliver failures, queue every repository's resync."""
    service: Service = ctx[SERVICE]
    resyncer = service.resyncer
    if resyncer is None:
        return
    if not await resync_gate(ctx[QUEUE], resyncer.interval_hours, service.clock()):
        log.info("resync: another worker ran this period's pass")
        return
    await resyncer.full_pass()


# ---------------------------------------------------------------- the worker


class SharedWorker:
    """arq Workers over a Redis queue of their own, made anew when Redis drops, with a heartbeat for `/`."""

    def __init__(self, service: Service, *, max_jobs: int = 8):
        self.service = service
        self.queue = RedisQueue.from_url(service.settings.redis_url)
        self.max_jobs = max_jobs
        self.id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.worker: Worker | None = None
        self.stopping = False

    def _worker(self) -> Worker:
        crons: list[CronJob] = []
        resyncer = self.service.resyncer
        if resyncer is not None and resyncer.interval_hours > 0:
            crons.append(cron(resync_pass, name="resync", **cron_fields(resyncer.interval_hours)))  # type: ignore[arg-type]
        timeout = self.service.settings.job_timeout
        worker = Worker(
            functions=[func(drain, name="drain", max_tries=1_000_000, timeout=timeout),
                       func(resync_pass, name="resync_startup")],
            cron_jobs=crons,
            redis_pool=self.queue.redis,
            queue_name=QUEUE_NAME,
            max_jobs=self.max_jobs,
            job_timeout=timeout,
            keep_result=0,
            poll_delay=0.05,
            handle_signals=False,
            ctx={SERVICE: self.service, QUEUE: self.queue},
        )
        # A running job's in-progress mark in Redis lasts its timeout plus a margin, which arq's
        # constructor fixes at 10 s: a job whose worker died waits that long before another worker
        # may run it. The margin is a setting (ACTIONBOT_JOB_GRACE, default arq's 10 s).
        worker.in_progress_timeout_s = timeout + self.service.settings.job_grace
        return worker

    async def run(self) -> None:
        """Work until `close`; while Redis is unreachable, say so once a minute and try again every second."""
        beat = asyncio.get_running_loop().create_task(self._heartbeat(), name="worker-heartbeat")
        started = False
        last_said = 0.0
        try:
            while not self.stopping:
                try:
                    if not started and self.service.resyncer is not None:
                        # Once per period across the deployment (resync_gate), as the cron's runs are.
                        await self.queue.redis.enqueue_job("resync_startup", _queue_name=QUEUE_NAME)
                    started = True
                    log.info("worker started %s", kv(worker=self.id))
                    self.worker = self._worker()
                    await self.worker.async_run()
                except (RedisError, OSError) as exc:
                    if time.monotonic() - last_said >= 60:
                        last_said = time.monotonic()
                        log.error("worker: Redis unreachable, retrying every second %s", kv(error=f"{type(exc).__name__}: {exc}"))
                    await asyncio.sleep(1)
        finally:
            beat.cancel()

    async def _heartbeat(self) -> None:
        while True:
            with contextlib.suppress(RedisError, OSError):  # run() says why
                await self.queue.heartbeat(self.id)
            await asyncio.sleep(HEARTBEAT)

    async def close(self) -> None:
        """Stop taking jobs; running ones are cancelled and run again elsewhere (their items stay in Redis)."""
        self.stopping = True
        worker = self.worker
        if worker is not None:
            for task in worker.tasks.values():
                task.cancel()
            if worker.main_task is not None:
                worker.main_task.cancel()
            await asyncio.gather(*worker.tasks.values(), return_exceptions=True)
        try:
            await self.queue.leave(self.id)
        except (RedisError, OSError) as exc:
            log.warning("worker could not sign off %s", kv(error=f"{type(exc).__name__}: {exc}"))
        await self.queue.close()
