"""Redis mode: one work queue for every process, with the embedded queue's rules.

With `REDIS_URL` set, `actionbot serve` verifies a delivery, claims its id and
queues it in Redis; workers (in `serve`, or `actionbot worker`) run it. The
jobs themselves are arq's (a maintained asyncio job queue on Redis): a
repository with work has one arq job, `drain`, that takes that repository's
items one by one. arq gives the rest: a job runs on one worker at a time, a
job whose worker died (`kill -9`) runs again on another once its time is up,
and the periodic resync is an arq cron job enqueued once per run time.

What Redis holds, per repository key K (all under `actionbot:`):

- `q:K`: the repository's waiting items in arrival order: an event as JSON,
  or the marker `push:<time>` standing for every push in `pushes:K`. A push
  that arrives while the marker waits joins it (`SUBMIT`); once a worker took
  it (`TAKE`), the next push makes a new marker: at most one reconcile waits
  and one runs, and none is lost.
- `sched:K`: set while a `drain` job for K is queued or running (so there is
  never a second one: one item of a repository runs anywhere at a time).
- `running:K` (and `running-pushes:K`): the item a worker is running, kept
  until it is done, so that the job, run again after a crash, runs it again.
- `depth`: jobs waiting or running, the bound's count; `since`: when each
  key's oldest waiting item arrived; `workers`: each worker's last heartbeat.
- `delivery:ID`: a delivery id already accepted (set if absent, 3 days, as
  GitHub's redelivery window), whichever replica received it; removed when
  its processing failed, so a redelivery is processed again.

Each script runs atomically in Redis, so a submit and a take never interleave.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from arq.connections import ArqRedis
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

from actionbot.core.ages import Clock
from actionbot.service.queue import Submitted

PREFIX = "actionbot:"
QUEUE_NAME = PREFIX + "queue"  # arq's sorted set of jobs
DELIVERY_TTL = 3 * 24 * 3600
WORKER_TTL = 30.0  # a worker not heard of for this long is not counted
PUSH = "push:"  # the marker of a repository's waiting pushes in its queue
QUIET = 1.0  # seconds without a push before a repository's waiting pushes are taken ...
MAX_DELAY = 20.0  # ... or at the latest this long after the first of them arrived
RESYNC = "actionbot.resync"  # the event name of a queued resync of one repository

# KEYS: q, pushes, joinable, sched, depth, since, pushed   ARGV: key, item (JSON), is_push, now, max_pending
SUBMIT = """
if ARGV[3] == '1' and redis.call('EXISTS', KEYS[3]) == 1 then
  redis.call('RPUSH', KEYS[2], ARGV[2])
  redis.call('SET', KEYS[7], ARGV[4], 'EX', 3600)
  return {1, 0}
end
if tonumber(redis.call('GET', KEYS[5]) or '0') >= tonumber(ARGV[5]) then
  return {-1, 0}
end
if ARGV[3] == '1' then
  redis.call('RPUSH', KEYS[2], ARGV[2])
  redis.call('SET', KEYS[7], ARGV[4], 'EX', 3600)
  redis.call('SET', KEYS[3], '1')
  redis.call('RPUSH', KEYS[1], 'push:' .. ARGV[4])
else
  redis.call('RPUSH', KEYS[1], ARGV[2])
end
redis.call('INCR', KEYS[5])
redis.call('ZADD', KEYS[6], 'NX', ARGV[4], ARGV[1])
if redis.call('SET', KEYS[4], '1', 'NX') then
  return {0, 1}
end
return {0, 0}
"""

# KEYS: q, pushes, joinable, sched, since, running, running_pushes, tries, running set   ARGV: key
# Returns {state, item, tries}: state 'again' (a dead worker's item), 'item', or 'empty' (drain ends).
TAKE = """
local cur = redis.call('GET', KEYS[6])
if cur then
  return {'again', cur, redis.call('INCR', KEYS[8])}
end
local head = redis.call('LPOP', KEYS[1])
if not head then
  redis.call('DEL', KEYS[4])
  redis.call('ZREM', KEYS[5], ARGV[1])
  return {'empty', '', 0}
end
if string.sub(head, 1, 5) == 'push:' then
  if redis.call('EXISTS', KEYS[2]) == 1 then
    redis.call('RENAME', KEYS[2], KEYS[7])
  end
  redis.call('DEL', KEYS[3])
  head = 'pushes'
end
redis.call('SET', KEYS[6], head)
redis.call('SADD', KEYS[9], ARGV[1])
redis.call('DEL', KEYS[8])
local nxt = redis.call('LINDEX', KEYS[1], 0)
if not nxt then
  redis.call('ZREM', KEYS[5], ARGV[1])
elseif string.sub(nxt, 1, 5) == 'push:' then
  redis.call('ZADD', KEYS[5], 'XX', string.sub(nxt, 6), ARGV[1])
else
  redis.call('ZADD', KEYS[5], 'XX', cjson.decode(nxt)['t'], ARGV[1])
end
return {'item', head, 0}
"""

# KEYS: running, running_pushes, tries, depth, running set   ARGV: key
DONE = """
if redis.call('DEL', KEYS[1]) == 1 then
  redis.call('DECR', KEYS[4])
end
redis.call('SREM', KEYS[5], ARGV[1])
redis.call('DEL', KEYS[2], KEYS[3])
return 0
"""


@dataclass(frozen=True, slots=True)
class Delivery:
    """One queued event: what the worker needs to run the handlers (or a resync, `event == RESYNC`)."""

    event: str
    delivery_id: str
    data: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Taken:
    """An item taken from a repository's queue: one event, or every push that joined; `tries` > 0 when run again."""

    key: str
    deliveries: tuple[Delivery, ...]
    tries: int = 0


def _keys(key: str, *names: str) -> list[str]:
    return [f"{PREFIX}{name}:{key}" for name in names]


def encode(delivery: Delivery, now: float) -> str:
    return json.dumps({"event": delivery.event, "id": delivery.delivery_id, "data": delivery.data, "t": now}, separators=(",", ":"))


def decode(raw: str | bytes) -> Delivery:
    item = json.loads(raw)
    return Delivery(item["event"], item["id"], item["data"])


class RedisQueue:
    """The Redis side of Redis mode: submit, take, done, de-duplication, and what `/` shows."""

    def __init__(self, redis: ArqRedis, *, max_pending: int = 1000, clock: Clock = time.time):
        self.redis = redis
        self.max_pending = max_pending
        self.clock = clock
        self._submit = redis.register_script(SUBMIT)
        self._take = redis.register_script(TAKE)
        self._done = redis.register_script(DONE)

    @classmethod
    def from_url(cls, url: str, *, max_pending: int = 1000) -> RedisQueue:
        """Connections are made on first use and again after a failure: Redis may be down at start-up."""
        pool = ConnectionPool.from_url(url, socket_connect_timeout=2, socket_timeout=5, health_check_interval=30)
        return cls(ArqRedis(pool, default_queue_name=QUEUE_NAME), max_pending=max_pending)

    async def close(self) -> None:
        await self.redis.aclose(close_connection_pool=True)

    # -- deliveries ----------------------------------------------------------------
    async def claim(self, delivery_id: str) -> bool:
        """True when no process accepted this delivery id before (3 days)."""
        return bool(await self.redis.set(f"{PREFIX}delivery:{delivery_id}", "1", nx=True, ex=DELIVERY_TTL))

    async def forget(self, *delivery_ids: str) -> None:
        """Failed or refused: a redelivery of these ids is processed again."""
        if delivery_ids:
            await self.redis.delete(*(f"{PREFIX}delivery:{d}" for d in delivery_ids))

    # -- the queue ---------------------------------------------------------------------
    async def submit(self, key: str, delivery: Delivery, *, coalesce: bool) -> Submitted:
        """Queue `delivery` behind the key's work (a push joins the waiting pushes); enqueue a drain job when none is."""
        now = self.clock()
        keys = [*_keys(key, "q", "pushes", "joinable", "sched"), PREFIX + "depth", PREFIX + "since", *_keys(key, "pushed")]
        state, schedule = await self._submit(keys=keys, args=[key, encode(delivery, now), "1" if coalesce else "0", now, self.max_pending])
        if int(schedule):
            await self.redis.enqueue_job("drain", key, _queue_name=QUEUE_NAME)
        return {0: Submitted.QUEUED, 1: Submitted.JOINED}.get(int(state), Submitted.REFUSED)

    async def settle_delay(self, key: str) -> float:
        """Seconds to leave the key's waiting pushes alone so that a burst joins one run (0: take now).

        A push marker at the head is taken once the repository has had no push
        for `QUIET` seconds, or once it has waited `MAX_DELAY`: a lone push
        waits a second, a burst of pushes to one repository becomes one reconcile.
        """
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.lindex(f"{PREFIX}q:{key}", 0)
            pipe.get(f"{PREFIX}pushed:{key}")
            head, pushed = await pipe.execute()
        if not head or not head.startswith(PUSH.encode()) or not pushed:
            return 0.0
        ready = min(float(pushed) + QUIET, float(head[len(PUSH):]) + MAX_DELAY)
        return max(0.0, ready - self.clock())

    async def take(self, key: str) -> Taken | None:
        """The key's next item (or the one a dead worker left running); None: nothing left, the drain ends."""
        keys = [*_keys(key, "q", "pushes", "joinable", "sched"), PREFIX + "since", *_keys(key, "running", "running-pushes", "tries"),
                PREFIX + "running"]
        state, raw, tries = await self._take(keys=keys, args=[key])
        state = state.decode() if isinstance(state, bytes) else state
        if state == "empty":
            return None
        raw = raw.decode() if isinstance(raw, bytes) else raw
        if raw == "pushes":
            pushes = await cast(Awaitable[list[bytes]], self.redis.lrange(f"{PREFIX}running-pushes:{key}", 0, -1))
            return Taken(key, tuple(decode(p) for p in pushes), int(tries))
        return Taken(key, (decode(raw),), int(tries))

    async def done(self, key: str) -> None:
        await self._done(keys=[*_keys(key, "running", "running-pushes", "tries"), PREFIX + "depth", PREFIX + "running"], args=[key])

    # -- workers and the operator's view ---------------------------------------------------
    async def heartbeat(self, worker_id: str) -> None:
        now = self.clock()
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(PREFIX + "workers", {worker_id: now})
            pipe.zremrangebyscore(PREFIX + "workers", "-inf", now - WORKER_TTL)
            await pipe.execute()

    async def leave(self, worker_id: str) -> None:
        await self.redis.zrem(PREFIX + "workers", worker_id)

    async def stats(self) -> dict[str, Any]:
        """Depth (jobs waiting or running), running, the oldest waiting item's age, live workers."""
        now = self.clock()
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(PREFIX + "depth")
            pipe.scard(PREFIX + "running")
            pipe.zrange(PREFIX + "since", 0, 0, withscores=True)
            pipe.zcount(PREFIX + "workers", now - WORKER_TTL, "+inf")
            depth, running, oldest, workers = await pipe.execute()
        return {
            "depth": int(depth or 0),
            "running": int(running),
            "oldest_waiting_seconds": round(now - oldest[0][1], 1) if oldest else 0.0,
            "workers": int(workers),
        }


__all__ = ["QUEUE_NAME", "RESYNC", "Delivery", "RedisError", "RedisQueue", "Taken"]
