"""The webhook service: verify, answer in milliseconds, work in the background.

GitHub gives a delivery 10 seconds and never redelivers by itself, so the
answer only says whether the delivery is authentic and accepted; the work runs
afterwards in `WorkQueue` (one repository at a time, in arrival order). The
order of checks on `POST /webhook` is the contract, and it is built so that a
caller without the secret costs almost nothing:

1. 503 while shutting down; 413 when `Content-Length` is over 25 MB (GitHub's
   own cap);
2. 401, before a byte of the body is read, unless `X-Hub-Signature-256` is
   well formed (`sha256=` and 64 hex digits; a legacy sha1-only delivery is
   refused, and without a secret the service does not start at all);
3. the body is read (ingress.py) with the 25 MB cap (413), in one of a bounded number of
   slots (`MAX_BODIES` large, `MAX_SMALL_BODIES` up to 1 MB) and within
   `BODY_TIMEOUT` seconds (408); a large one must also keep coming at
   `BODY_RATE` after `BODY_GRACE` seconds (408); headers must arrive within
   `HEADER_TIMEOUT` seconds of the connection (`SERVER_OPTIONS`);
4. 401 unless the signature is the HMAC of that body (gidgethub's
   `sansio.Event.from_http` checks it);
5. 400 when the body is not a JSON object, is nested too deeply to decode, a
   header is missing, or a field the service reads has the wrong type;
6. 200 for `ping`, for a delivery id already processed or in the queue (no
   GitHub request), for deliveries sent by bots (no loops) and for events no
   handler wants;
7. 503 when the queue is full, or when `ACTIONBOT_STATE_DIR` is set and the
   delivery can not be recorded there (GitHub records a failure we can redeliver);
8. 202: accepted (and, with a state directory, recorded on disk first: see journal.py).

A delivery id is remembered as done only once its work succeeded: GitHub's
redelivery of a failed delivery (same id) is processed again.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

import cachetools
from aiohttp import web
from gidgethub import BadRequest, ValidationFailure, routing, sansio

from actionbot.core.ages import Clock, Sleep
from actionbot.engine.apply import LOST
from actionbot.github.app import AppClients
from actionbot.github.client import GitHubClient, Usage, track_usage
from actionbot.github.redeliver import newest_attempts
from actionbot.logs import kv
from actionbot.service import ingress
from actionbot.service.context import Context
from actionbot.service.handlers.push import join_pushes
from actionbot.service.journal import Journal
from actionbot.service.metrics import Metrics
from actionbot.service.queue import Submitted, WorkQueue
from actionbot.service.redisqueue import Delivery, RedisError, RedisQueue
from actionbot.service.resync import Resyncer
from actionbot.service.settings import Settings
from actionbot.service.worker import SharedWorker

# The logger these lines always had (the service was one module, app.py): log filters know it.
log = logging.getLogger("actionbot.service.app")
_BACKOFF = 2.0  # seconds before a handler's second attempt, doubled for each later one
PUT_BACK_SECONDS = 4.0  # at shutdown, asking GitHub to redeliver unfinished work (Heroku: 30 s - 25 s grace)


@dataclass(slots=True)  # one per delivery, 20 kept for the status page
class DeliveryRecord:
    delivery_id: str
    event: str
    action: str | None
    repository: str | None
    installation: int | None
    outcome: str = "queued"
    ms: float | None = None
    requests: int = 0
    rate_limit_remaining: int | None = None
    received_at: float = field(default_factory=time.time)
    notes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, event: sansio.Event) -> DeliveryRecord:
        """The record of a delivery about to be processed (outcome "queued" until it is)."""
        data = event.data
        installation = (data.get("installation") or {}).get("id")
        repository = (data.get("repository") or {}).get("full_name")
        return cls(event.delivery_id, event.event, data.get("action"), repository, installation)


@dataclass(eq=False, slots=True)
class _Work:
    """A delivery's work: its handler, then each follow-up job the handler queued (a new
    installation's first sync, a `sync` command's reply, a reconcile's deferred pass).
    Until all of it has ended its ids stay in the journal and are put back at shutdown:
    the handler alone ending would let a crash lose the follow-up, which no resync
    repairs when it is a reply."""

    ids: tuple[str, ...]
    open: int = 1  # the handler, plus each follow-up queued and not ended


class Service:
    """The state behind the routes: queue, seen deliveries, counters."""

    def __init__(
        self,
        settings: Settings,
        *,
        clients: AppClients,
        router: routing.Router,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
        max_concurrency: int = 8,
        max_queue: int = 1000,
        max_bodies: int = ingress.MAX_BODIES,
        body_timeout: float = ingress.BODY_TIMEOUT,
        body_grace: float = ingress.BODY_GRACE,
        handler_attempts: int = 3,
        metrics: Metrics | None = None,
    ):
        if not settings.webhook_secret:
            raise ValueError("GITHUB_WEBHOOK_SECRET is required: actionbot never accepts unsigned deliveries")
        self.settings = settings
        self.clients = clients
        self.router = router
        self.clock = clock
        self.sleep = sleep
        self.queue = WorkQueue(max_concurrency=max_concurrency, max_pending=max_queue)
        self.handler_attempts = handler_attempts
        # GitHub keeps a delivery id on redelivery; 3 days is its redelivery window. Only
        # deliveries whose work succeeded go here; accepted, unfinished ones are in_flight.
        self.seen: cachetools.TTLCache[str, bool] = cachetools.TTLCache(maxsize=100_000, ttl=3 * 24 * 3600, timer=clock)
        self.in_flight: set[str] = set()
        self.unended: set[_Work] = set()  # deliveries whose handler or follow-up work has not ended
        self.bodies = asyncio.Semaphore(max_bodies)
        self.small_bodies = asyncio.Semaphore(ingress.MAX_SMALL_BODIES)
        self.body_timeout = body_timeout
        self.body_pace = (body_grace, ingress.BODY_RATE)  # of large bodies: seconds of grace, then bytes a second
        self.bodies_waiting = 0  # requests waiting for a body slot (shown on the status page)
        self.started_at = clock()
        self.counts: Counter[str] = Counter()
        self.recent: deque[DeliveryRecord] = deque(maxlen=20)
        self.failures: deque[DeliveryRecord] = deque(maxlen=20)
        self.accepting = True
        self.background: set[asyncio.Task[Any]] = set()
        self.metrics = metrics if metrics is not None else Metrics()
        self._shared_depth: int | None = None  # Redis mode: the shared queue's depth, as last read
        self.metrics.track_queue_depth(lambda: self.queue.depth if self._shared_depth is None else self._shared_depth)
        self.rate_limits: dict[int, int] = {}  # installation -> x-ratelimit-remaining last seen
        self.resyncer: Resyncer | None = None  # when the periodic resync is on
        self.shared: RedisQueue | None = None  # Redis mode: the queue every process shares
        self.worker: SharedWorker | None = None  # Redis mode: this process's worker, unless web only
        self._redis_said = -60.0
        # One-process mode with ACTIONBOT_STATE_DIR: accepted deliveries on disk until done, and
        # (read at start-up) the ones a crash cut off, for the start-up redelivery pass.
        self.journal: Journal | None = None
        self.cut_off: list[str] = []

    # -- POST /webhook ----------------------------------------------------------
    async def webhook(self, request: web.Request) -> web.Response:
        if not self.accepting:
            return _text(503, "shutting down")
        if (request.content_length or 0) > ingress.MAX_BODY:
            return _text(413, "payload over 25 MB")
        if not ingress.SIGNATURE.fullmatch(request.headers.get("X-Hub-Signature-256", "")):
            # Answered before the body is read: a caller without the secret never gets memory.
            return self._rejected(request, "missing or malformed X-Hub-Signature-256 (sha256=<64 hex digits>)")
        try:
            async with asyncio.timeout(self.body_timeout):
                event = await self._read_event(request)
        except TimeoutError:
            grace, rate = self.body_pace
            return _text(
                408,
                f"body not received in time (within {self.body_timeout:g} s; over 1 MB: at least "
                f"{rate / 1024:g} KiB/s after {grace:g} s)",
            )
        except web.HTTPRequestEntityTooLarge:
            return _text(413, "payload over 25 MB")
        except ValidationFailure:
            return self._rejected(request, "bad signature")
        except BadRequest as exc:
            return _text(400, f"bad request: {exc}")
        except KeyError as exc:
            return _text(400, f"bad request: missing header {exc}")
        except (ValueError, LookupError, RecursionError) as exc:  # LookupError: a charset Python does not know
            return _text(400, f"bad request: {type(exc).__name__}")
        problem = ingress.payload_problem(event.data)
        if problem:
            return _text(400, f"bad request: {problem}")
        if self.shared is not None:
            return await self.accept_shared(event)
        return self.accept(event)

    async def _read_event(self, request: web.Request) -> sansio.Event:
        """Read the body in a slot of its pool, check its signature and decode it."""
        length = request.content_length
        pool = self.small_bodies if length is not None and length <= ingress.SMALL_BODY else self.bodies
        self.bodies_waiting += 1
        try:
            await pool.acquire()
        finally:
            self.bodies_waiting -= 1
        try:
            body = await ingress.read_body(request, pace=None if pool is self.small_bodies else self.body_pace)
            # gidgethub checks the signature first, then decodes. It raises ValidationFailure
            # (401), BadRequest (400: not JSON or form data), KeyError (a missing header),
            # LookupError (an unknown charset) and RecursionError (JSON nested too deeply to
            # decode): `webhook` answers each.
            return sansio.Event.from_http(request.headers, cast(bytes, body), secret=self.settings.webhook_secret)  # a bytearray is read alike
        finally:
            pool.release()

    def _rejected(self, request: web.Request, why: str) -> web.Response:
        self.counts["rejected"] += 1
        self.metrics.record_delivery(request.headers.get("X-GitHub-Event", ""), "rejected", None)
        return _text(401, why)

    def accept(self, event: sansio.Event) -> web.Response:
        """Decide about an authentic delivery (separate from HTTP for tests and replay)."""
        answer = self._accept(event)
        if answer.status != 202:  # accepted ones are counted when processed
            outcome = "refused" if answer.status == 503 else _outcome_of(answer.text or "")
            self.metrics.record_delivery(event.event, outcome, None)
        return answer

    def _accept(self, event: sansio.Event) -> web.Response:
        if event.event != "ping" and (event.delivery_id in self.seen or event.delivery_id in self.in_flight):
            self.counts["duplicate"] += 1
            return _text(200, "duplicate delivery: already processed or queued")
        screened = self._screen(event)
        if screened is not None:
            return screened
        key = _queue_key(event.data)
        desc = f"delivery={event.delivery_id} event={event.event} key={key}"
        if not self._record(event.delivery_id):
            return self._submitted(event, Submitted.REFUSED)
        if event.event == "push":  # a hint to reconcile: joins the repository's waiting reconcile
            submitted = self.queue.coalesce(key, _Pushes(event, (event.delivery_id,)), self._process_push, _Pushes.join, desc)
        else:
            record = DeliveryRecord.of(event)
            submitted = Submitted.QUEUED if self.queue.submit(key, partial(self.process, event, record), desc) else Submitted.REFUSED
        if submitted:
            self.in_flight.add(event.delivery_id)
        elif self.journal is not None:
            self.journal.done([event.delivery_id])
        return self._submitted(event, submitted)

    def _record(self, delivery_id: str) -> bool:
        """Journal the delivery before it is accepted (never a 202 for one a crash would lose)."""
        if self.journal is None:
            return True
        try:
            self.journal.record(delivery_id)
        except OSError as exc:
            log.error("delivery not recorded, refused %s", kv(delivery=delivery_id, error=f"{type(exc).__name__}: {exc}"))
            return False
        return True

    def take_cut_off(self) -> list[str]:
        """The deliveries a crash cut off, once (the start-up redelivery pass asks for them)."""
        ids, self.cut_off = self.cut_off, []
        return ids

    def _screen(self, event: sansio.Event) -> web.Response | None:
        """The answer for a delivery that is not work (ping, a bot's, no handler, no installation); None for work."""
        data = event.data
        if event.event == "ping":
            self.counts["ping"] += 1
            return web.json_response({"msg": "pong", "zen": data.get("zen")})
        if (data.get("sender") or {}).get("type") == "Bot":
            self.counts["ignored"] += 1
            return _text(200, "ignored: sent by a bot")
        if not self.router.fetch(event):
            self.counts["ignored"] += 1
            return _text(200, f"ignored: no handler for {event.event}.{data.get('action') or '-'}")
        installation = (data.get("installation") or {}).get("id")
        if installation is None:
            self.counts["ignored"] += 1
            return _text(200, "ignored: delivery without an installation")
        return None

    def _submitted(self, event: sansio.Event, submitted: Submitted) -> web.Response:
        if not submitted:
            self.counts["refused"] += 1
            return _text(503, "queue full, retry later" if self.accepting else "shutting down")
        self.counts["accepted"] += 1
        if submitted is Submitted.JOINED:
            self.counts["coalesced"] += 1
            self.metrics.record_delivery(event.event, "coalesced", None)
            return _text(202, "accepted: joined the waiting reconcile")
        return _text(202, "accepted")

    async def accept_shared(self, event: sansio.Event) -> web.Response:
        """Redis mode: claim the delivery id for the whole deployment, then queue it in Redis.

        Never 202 for a delivery that is not in Redis: while Redis is unreachable
        the answer is 503 (GitHub records the failure; it can be redelivered).
        """
        shared = self.shared
        assert shared is not None
        screened = self._screen(event)
        if screened is not None:
            self.metrics.record_delivery(event.event, _outcome_of(screened.text or ""), None)
            return screened
        try:
            if not await shared.claim(event.delivery_id):
                self.counts["duplicate"] += 1
                self.metrics.record_delivery(event.event, "duplicate", None)
                return _text(200, "duplicate delivery: already processed or queued")
            delivery = Delivery(event.event, event.delivery_id, event.data)
            submitted = await shared.submit(_queue_key(event.data), delivery, coalesce=event.event == "push")
            if not submitted:
                await shared.forget(event.delivery_id)
        except RedisError as exc:
            self._redis_down(exc)
            self.counts["refused"] += 1
            self.metrics.record_delivery(event.event, "refused", None)
            return _text(503, "work queue unreachable, retry later")
        answer = self._submitted(event, submitted)
        if answer.status == 503:
            self.metrics.record_delivery(event.event, "refused", None)
        return answer

    def _redis_down(self, exc: BaseException) -> None:
        """Say why deliveries are refused, once a minute while it lasts."""
        now = time.monotonic()
        if now - self._redis_said >= 60:
            self._redis_said = now
            log.error("Redis unreachable: answering 503 until it is back %s", kv(error=f"{type(exc).__name__}: {exc}"))

    async def process_shared(self, event: sansio.Event, delivery_ids: tuple[str, ...]) -> bool:
        """Redis mode, in a worker: process one item (maybe several joined pushes); True when it succeeded."""
        record = DeliveryRecord.of(event)
        await self.process(event, record, joined=delivery_ids)
        return record.outcome == "ok"

    def context(self, delivery_id: str, work: _Work | None = None) -> Context:
        """A handler's context; in Redis mode follow-up work runs after the handler, in the same job.

        `work`: the delivery's, which the follow-up jobs it queues belong to (None: the resync's).
        """
        return Context(
            handle=self.settings.handle,
            clock=self.clock,
            delivery_id=delivery_id,
            enqueue_fn=partial(self.enqueue, work=work) if self.shared is None else None,
            forget_installation=self.forget_installation,
            forget_repositories=self.forget_repositories,
        )

    async def _process_push(self, pushes: _Pushes) -> None:
        """A push job, maybe standing for several deliveries: all of them are done, or none."""
        await self.process(pushes.event, DeliveryRecord.of(pushes.event), joined=pushes.delivery_ids)

    # -- background work ----------------------------------------------------------
    async def process(self, event: sansio.Event, record: DeliveryRecord, *, joined: tuple[str, ...] = ()) -> None:
        """Run the handlers for `event`; `joined`: the ids of the deliveries it stands for (default: its own)."""
        ids = joined or (event.delivery_id,)
        usage = track_usage()
        start = time.perf_counter()
        work = _Work(ids)
        self.unended.add(work)
        ctx = self.context(event.delivery_id, work)
        gh: GitHubClient | None = None
        error: BaseException | None = None
        for attempt in range(1, self.handler_attempts + 1):
            try:
                if gh is None and not _uninstalled(event) and record.installation is not None:
                    gh = await self.clients.for_installation(record.installation)  # none can be minted for those
                await self.router.dispatch(event, gh, ctx)
                await ctx.run_later()  # Redis mode's follow-ups (the embedded queue takes them itself)
                error = None
                break
            except asyncio.CancelledError:  # its work did not end: it stays in the journal and is put back
                record.outcome = "cancelled"
                self.in_flight.difference_update(ids)
                self._finish(record, start, usage, gh, ctx)
                raise
            except Exception as exc:
                error = exc
                if attempt < self.handler_attempts and transient(exc):
                    log.warning(
                        "handler failed, retrying %s",
                        kv(delivery=event.delivery_id, attempt=attempt, error=f"{type(exc).__name__}: {exc}"),
                    )
                    await self.sleep(_BACKOFF * 2 ** (attempt - 1) * random.uniform(0.5, 1.0))
                    continue
                break
        record.outcome = "ok" if error is None else "failed"
        self.in_flight.difference_update(ids)
        self._ended(work)  # the handler's part: failures are logged and listed, not lost
        if error is None:  # a failed delivery stays redeliverable under the same id
            for delivery_id in ids:
                self.seen[delivery_id] = True
        else:
            log.error(
                "delivery failed after retries (redeliver it, or the next resync repairs it) %s",
                kv(delivery=event.delivery_id, event=event.event, repository=record.repository),
                exc_info=error,
            )
        self._finish(record, start, usage, gh, ctx)

    def _finish(self, record: DeliveryRecord, start: float, usage: Usage, gh: GitHubClient | None, ctx: Context) -> None:
        record.ms = round((time.perf_counter() - start) * 1000, 1)
        record.requests = usage.requests
        record.rate_limit_remaining = gh.rate_limit_remaining if gh is not None else None
        record.notes = ctx.log
        self.counts["processed" if record.outcome == "ok" else "failed"] += 1
        self.metrics.record_delivery(record.event, "processed" if record.outcome == "ok" else record.outcome, record.ms / 1000)
        remaining = record.rate_limit_remaining
        if record.installation is not None and remaining is not None:
            installation = int(record.installation)
            if self.rate_limits.get(installation) != remaining:  # the gauge already holds an unchanged value
                self.rate_limits[installation] = remaining
                self.metrics.set_rate_limit(installation, remaining)
        self.recent.append(record)
        if record.outcome != "ok":
            self.failures.append(record)
        log.log(
            logging.INFO if record.outcome == "ok" else logging.ERROR,
            "delivery %s",
            kv(
                delivery=record.delivery_id, event=record.event, action=record.action, repository=record.repository,
                installation=record.installation, outcome=record.outcome, ms=record.ms, github_requests=usage.requests,
                github_writes=usage.writes, rate_limit_remaining=record.rate_limit_remaining,
                did="; ".join(ctx.log) or None,
            ),
        )

    def enqueue(self, key: str, job: Callable[[], Awaitable[None]], work: _Work | None = None) -> bool:
        """Queue follow-up work behind `key`'s other work; it is part of `work` until it ends."""

        async def guarded() -> None:
            try:
                await job()
            except Exception:
                log.exception("follow-up job failed %s", kv(key=key))
            self._ended(work)  # not when cancelled: the delivery's work did not end

        if work is not None:
            work.open += 1
        if self.queue.submit(key, guarded, f"follow-up key={key}"):
            return True
        self._ended(work)
        return False

    def _ended(self, work: _Work | None) -> None:
        """One part of a delivery's work ended; once all of it has, its ids leave the journal."""
        if work is None:
            return
        work.open -= 1
        if work.open == 0:
            self.unended.discard(work)
            if self.journal is not None:
                self.journal.done(work.ids)

    def spawn(self, coro: Awaitable[Any], name: str) -> None:
        """A start-up task: its errors are logged, never fatal to the service."""

        async def guarded() -> None:
            try:
                await coro
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.error("start-up task failed, service continues %s", kv(task=name, error=f"{type(exc).__name__}: {exc}"))

        task = asyncio.get_running_loop().create_task(guarded(), name=name)
        self.background.add(task)
        task.add_done_callback(self.background.discard)

    async def shutdown(self, grace: float) -> list[str]:
        """SIGTERM: refuse new deliveries (503), finish or drain within `grace` seconds."""
        self.accepting = False
        for task in list(self.background):
            task.cancel()
        accepted = set(self.in_flight)
        unfinished = await self.queue.drain(grace)
        for desc in unfinished:
            log.warning("not finished at shutdown (put back for redelivery) %s", desc)
        cut_off = sorted({i for i in accepted if i not in self.seen} | {i for w in self.unended for i in w.ids})
        if cut_off and self.shared is None:  # Redis keeps queued work itself
            await self.put_back(cut_off)
        log.info("shutdown %s", kv(unfinished=len(unfinished), processed=self.counts["processed"], failed=self.counts["failed"]))
        return unfinished

    async def put_back(self, guids: list[str]) -> int:
        """Ask GitHub to redeliver deliveries this process accepted and did not finish.

        GitHub saw a 202 for them, so nothing else would ever send them again (a
        push of an old meeting is beyond the resync's look-back). The redelivery
        reaches another replica, or this one while it drains (503: GitHub records
        a failure), and then the next start-up's redelivery pass, which sends
        again every delivery whose newest attempt failed. Bounded in time; errors
        are logged, never raised (the process is stopping).
        """
        try:
            async with asyncio.timeout(PUT_BACK_SECONDS):
                app = await self.clients.app_client()
                deliveries = await app.list_hook_deliveries(since=self.started_at - 60)
                ids = newest_attempts(deliveries, set(guids))
                for delivery_id in ids:
                    await app.redeliver(delivery_id)
        except Exception as exc:  # TimeoutError included: the platform's kill is near
            log.error("could not put work back for redelivery %s", kv(deliveries=" ".join(guids), error=f"{type(exc).__name__}: {exc}"))
            return 0
        log.warning("put back for redelivery %s", kv(deliveries=" ".join(guids), redelivered=len(ids)))
        return len(ids)

    # -- operators ------------------------------------------------------------------
    def forget_installation(self, installation_id: int) -> None:
        """An uninstalled installation: its token, client and cached answers go, and it leaves
        the status page and the metrics."""
        self.clients.forget(installation_id)
        self.rate_limits.pop(int(installation_id), None)
        self.metrics.forget_installation(installation_id)
        if self.resyncer is not None:
            self.resyncer.forget_installation(installation_id)

    def forget_repositories(self, installation_id: int, repos: list[str]) -> int:
        """Repositories removed from an installation: their cached answers go; returns how many."""
        if self.resyncer is not None:
            info = self.resyncer.installations.get(installation_id)
            if info is not None:
                info.repositories = [r for r in info.repositories if r not in repos]
        return self.clients.forget_repositories(installation_id, repos)

    async def shared_status(self) -> dict[str, Any] | None:
        """Redis mode: the shared queue (depth, running, oldest waiting age, workers); None otherwise or when unreachable."""
        if self.shared is None:
            return None
        try:
            stats = await self.shared.stats()
        except RedisError as exc:
            self._redis_down(exc)
            return {"error": f"Redis unreachable: {type(exc).__name__}"}
        self._shared_depth = stats["depth"]
        self.metrics.set_shared_queue(stats["running"], stats["oldest_waiting_seconds"], stats["workers"])
        return stats


def transient(exc: BaseException) -> bool:
    """Worth running the handler again: GitHub broken or unreachable, a limit, an expired token.

    A 404 or 422 will be the same in four seconds, and meanwhile the repository's
    queue would wait: those fail at once (redelivery or the resync repairs them).
    """
    if isinstance(exc, LOST):
        return True
    if isinstance(exc, BadRequest):
        return int(exc.status_code) in (401, 403, 429)
    return False


@dataclass(frozen=True, slots=True)
class _Pushes:
    """Push deliveries joined into one job: the joined payload under the latest delivery's id, and every id."""

    event: sansio.Event
    delivery_ids: tuple[str, ...]

    def join(self, later: _Pushes) -> _Pushes:
        data = join_pushes(self.event.data, later.event.data)
        return _Pushes(sansio.Event(data, event="push", delivery_id=later.event.delivery_id), self.delivery_ids + later.delivery_ids)


def _queue_key(data: dict[str, Any]) -> str:
    """The queue a delivery waits in: its repository's, or its installation's when it names none."""
    return (data.get("repository") or {}).get("full_name") or f"installation:{(data.get('installation') or {}).get('id')}"


def _uninstalled(event: sansio.Event) -> bool:
    return event.event == "installation" and event.data.get("action") in ("deleted", "suspend")


def _outcome_of(text: str) -> str:
    """The metrics outcome of a non-202 answer, from its text (one place decides both)."""
    if text.startswith("duplicate"):
        return "duplicate"
    if text.startswith("ignored"):
        return "ignored"
    return "ping"


def _text(status: int, text: str) -> web.Response:
    return web.Response(status=status, text=text)
