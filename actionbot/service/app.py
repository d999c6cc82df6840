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
3. the body is read with the 25 MB cap (413), in one of a bounded number of
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
import hmac
import html
import logging
import os
import random
import re
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, cast

import cachetools
from aiohttp import web
from gidgethub import BadRequest, ValidationFailure, routing, sansio
from prometheus_client.exposition import choose_encoder

from actionbot import __version__
from actionbot.core.ages import Clock, Sleep
from actionbot.engine.apply import LOST
from actionbot.github.app import AppClients
from actionbot.github.client import GitHubClient, Usage, track_usage
from actionbot.github.redeliver import newest_attempts, redeliver_failed
from actionbot.logs import kv
from actionbot.service import handlers
from actionbot.service.context import Context
from actionbot.service.handlers.push import join_pushes
from actionbot.service.journal import Journal
from actionbot.service.metrics import Metrics
from actionbot.service.queue import Submitted, WorkQueue
from actionbot.service.redisqueue import Delivery, RedisError, RedisQueue
from actionbot.service.resync import Resyncer
from actionbot.service.settings import Settings
from actionbot.service.worker import SharedWorker

log = logging.getLogger("actionbot.service.app")
MAX_BODY = 25 * 1024 * 1024
# Bodies read into memory at once, in two pools so that held large uploads never block
# ordinary deliveries (GitHub's are a few KB to a few hundred): at most
# MAX_BODIES bodies over SMALL_BODY (or of unknown length) and MAX_SMALL_BODIES
# others. Reading one costs about twice its size while aiohttp assembles it.
SMALL_BODY = 1024 * 1024
MAX_BODIES = 2
MAX_SMALL_BODIES = 16
BODY_TIMEOUT = 10.0  # seconds to wait for a body slot and read the body (GitHub sends in one go)
# A large body must keep coming: after BODY_GRACE seconds in its slot it may not fall behind
# BODY_RATE bytes a second. GitHub sends a delivery in one go, far faster; a caller holding a
# slot with a forged signature is cut off in seconds, and holding one at all costs it bandwidth.
BODY_GRACE = 2.0
BODY_RATE = 256 * 1024
HEADER_TIMEOUT = 15.0  # seconds from connecting (or from the last answer) to a request's last header
# aiohttp's keep-alive timer closes a connection whose request headers have not all
# arrived within this time of connecting or of the last answer: the header timeout.
PUT_BACK_SECONDS = 4.0  # at shutdown, asking GitHub to redeliver unfinished work (Heroku: 30 s - 25 s grace)
SERVER_OPTIONS: dict[str, Any] = {"keepalive_timeout": HEADER_TIMEOUT}
_SIGNATURE = re.compile(r"sha256=[0-9a-f]{64}")
# Metrics that name installations: shown on `/metrics` to the operator only.
_OPERATOR_METRICS = frozenset({"actionbot_rate_limit_remaining"})
# Fields of a payload the service itself reads: each must be an object when present.
_OBJECT_FIELDS = ("sender", "installation", "repository", "issue", "comment", "pull_request", "organization")

SERVICE_KEY: web.AppKey[Service] = web.AppKey("actionbot_service")


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
        max_bodies: int = MAX_BODIES,
        body_timeout: float = BODY_TIMEOUT,
        body_grace: float = BODY_GRACE,
        body_rate: float = BODY_RATE,
        handler_attempts: int = 3,
        handler_backoff: float = 2.0,
        seen_ttl: float = 3 * 24 * 3600,
        seen_max: int = 100_000,
        metrics: Metrics | None = None,
    ):
        if not settings.webhook_secret:
            raise ValueError("GITHUB_WEBHOOK_SECRET is required: actionbot never accepts unsigned deliveries")
        self.settings = settings
        self.secret: str = settings.webhook_secret
        self.handle: str = settings.handle
        self.clients = clients
        self.router = router
        self.clock = clock
        self.sleep = sleep
        self.queue = WorkQueue(max_concurrency=max_concurrency, max_pending=max_queue)
        self.handler_attempts = handler_attempts
        self.handler_backoff = handler_backoff
        # GitHub keeps a delivery id on redelivery; 3 days is its redelivery window. Only
        # deliveries whose work succeeded go here; accepted, unfinished ones are in_flight.
        self.seen: cachetools.TTLCache[str, bool] = cachetools.TTLCache(maxsize=seen_max, ttl=seen_ttl, timer=clock)
        self.in_flight: set[str] = set()
        self.unended: set[_Work] = set()  # deliveries whose handler or follow-up work has not ended
        self.bodies = asyncio.Semaphore(max_bodies)
        self.small_bodies = asyncio.Semaphore(MAX_SMALL_BODIES)
        self.body_timeout = body_timeout
        self.body_pace = (body_grace, body_rate)  # of large bodies: seconds of grace, then bytes a second
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
        if (request.content_length or 0) > MAX_BODY:
            return _text(413, "payload over 25 MB")
        if not _SIGNATURE.fullmatch(request.headers.get("X-Hub-Signature-256", "")):
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
        problem = payload_problem(event.data)
        if problem:
            return _text(400, f"bad request: {problem}")
        if self.shared is not None:
            return await self.accept_shared(event)
        return self.accept(event)

    async def _read_event(self, request: web.Request) -> sansio.Event:
        """Read the body in a slot of its pool, check its signature and decode it."""
        length = request.content_length
        pool = self.small_bodies if length is not None and length <= SMALL_BODY else self.bodies
        self.bodies_waiting += 1
        try:
            await pool.acquire()
        finally:
            self.bodies_waiting -= 1
        try:
            body = await _read_body(request, pace=None if pool is self.small_bodies else self.body_pace)
            # gidgethub checks the signature first, then decodes. It raises ValidationFailure
            # (401), BadRequest (400: not JSON or form data), KeyError (a missing header),
            # LookupError (an unknown charset) and RecursionError (JSON nested too deeply to
            # decode): `webhook` answers each.
            return sansio.Event.from_http(request.headers, cast(bytes, body), secret=self.secret)  # a bytearray is read alike
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
        data = event.data
        installation = (data.get("installation") or {}).get("id")
        repository = (data.get("repository") or {}).get("full_name")
        key = repository or f"installation:{installation}"
        desc = f"delivery={event.delivery_id} event={event.event} key={key}"
        if not self._record(event.delivery_id):
            return self._submitted(event, Submitted.REFUSED)
        if event.event == "push":  # a hint to reconcile: joins the repository's waiting reconcile
            submitted = self.queue.coalesce(key, _Pushes(event, (event.delivery_id,)), self._process_push, _Pushes.join, desc)
        else:
            record = DeliveryRecord(event.delivery_id, event.event, data.get("action"), repository, installation)
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
        data = event.data
        key = (data.get("repository") or {}).get("full_name") or f"installation:{(data.get('installation') or {}).get('id')}"
        try:
            if not await shared.claim(event.delivery_id):
                self.counts["duplicate"] += 1
                self.metrics.record_delivery(event.event, "duplicate", None)
                return _text(200, "duplicate delivery: already processed or queued")
            delivery = Delivery(event.event, event.delivery_id, data)
            submitted = await shared.submit(key, delivery, coalesce=event.event == "push")
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
        data = event.data
        installation = (data.get("installation") or {}).get("id")
        repository = (data.get("repository") or {}).get("full_name")
        record = DeliveryRecord(event.delivery_id, event.event, data.get("action"), repository, installation)
        await self.process(event, record, joined=delivery_ids)
        return record.outcome == "ok"

    def context(self, delivery_id: str, work: _Work | None = None) -> Context:
        """A handler's context; in Redis mode follow-up work runs after the handler, in the same job.

        `work`: the delivery's, which the follow-up jobs it queues belong to (None: the resync's).
        """
        return Context(
            handle=self.handle,
            clock=self.clock,
            delivery_id=delivery_id,
            enqueue_fn=partial(self.enqueue, work=work) if self.shared is None else None,
            forget_installation=self.forget_installation,
            forget_repositories=self.forget_repositories,
        )

    async def _process_push(self, pushes: _Pushes) -> None:
        """A push job, maybe standing for several deliveries: all of them are done, or none."""
        data = pushes.event.data
        installation = (data.get("installation") or {}).get("id")
        repository = (data.get("repository") or {}).get("full_name")
        record = DeliveryRecord(pushes.event.delivery_id, "push", data.get("action"), repository, installation)
        await self.process(pushes.event, record, joined=pushes.delivery_ids)

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
                    await self.sleep(self.handler_backoff * 2 ** (attempt - 1) * random.uniform(0.5, 1.0))
                    continue
                break
        record.outcome = "ok" if error is None else "failed"
        self.in_flight.difference_update(ids)
        self._ended(work)  # the handler's part: failures are logged and listed, not lost
        if error is None:  # a failed delivery stays redeliverable under the same id
            for delivery_id in ids:
                self.seen[delivery_id] = True
        if error is not None:
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
        if unfinished:
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

    def status(self) -> dict[str, Any]:
        resync = self.resyncer
        return {
            "name": "actionbot",
            "version": __version__,
            "app_id": self.settings.app_id,
            "api_url": self.settings.api_url,
            "uptime_seconds": round(self.clock() - self.started_at, 1),
            "accepting": self.accepting,
            "deliveries": {
                k: self.counts[k]
                for k in ("accepted", "coalesced", "processed", "failed", "ignored", "duplicate", "rejected", "refused", "ping")
            },
            "queue_depth": self.queue.depth,
            "bodies_waiting": self.bodies_waiting,
            "last_deliveries": [_record_json(r) for r in reversed(self.recent)],
            "failures": [_record_json(r) for r in reversed(self.failures)],
            "installations": [
                {"id": i.id, "account": i.account, "repositories": len(i.repositories), "suspended": i.suspended,
                 "error": i.error or None, "rate_limit_remaining": self.rate_limits.get(i.id)}
                for i in (resync.installations.values() if resync is not None else ())
            ],
            "rate_limit_remaining": {str(k): v for k, v in sorted(self.rate_limits.items())},
            "resync": resync.status() if resync is not None else {"interval_hours": 0, "last_full_resync": None},
            "last_full_resync": resync.last_full_resync if resync is not None else None,
        }

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


    def operator(self, request: web.Request) -> bool:
        """Whether the caller gave `ACTIONBOT_STATUS_TOKEN` as `Authorization: Bearer ...` (never without one set)."""
        token = self.settings.status_token
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())

    def public_status(self) -> dict[str, Any]:
        """What anyone may see: counts only (no repository, account, delivery id or app id)."""
        full = self.status()
        return {k: full[k] for k in ("name", "version", "uptime_seconds", "accepting", "deliveries", "queue_depth")} | {
            "installations": len(full["installations"]),
            "failures": len(full["failures"]),
            "details": "send the status token (ACTIONBOT_STATUS_TOKEN) as 'Authorization: Bearer TOKEN' for the rest",
        }

    async def index(self, request: web.Request) -> web.Response:
        """`GET /`: counts for anyone, everything for the operator (the status token)."""
        operator = self.operator(request)
        status = self.status() if operator else self.public_status()
        shared = await self.shared_status()  # Redis mode: the shared queue's figures (counts only)
        if shared is not None:
            status["redis_queue"] = shared
            status["queue_depth"] = shared.get("depth", status["queue_depth"])
        if "application/json" in request.headers.get("Accept", ""):
            return web.json_response(status)
        return web.Response(text=_html(status) if operator else _public_html(status), content_type="text/html")

    async def metrics_page(self, request: web.Request) -> web.Response:
        """`GET /metrics`: counts for anyone; the per-installation series only for the operator."""
        await self.shared_status()  # the shared queue's gauges, read from Redis at each scrape
        if self.operator(request):
            return await self.metrics.handler(request)
        registry = self.metrics.registry
        names = {s.name for m in registry.collect() if m.name not in _OPERATOR_METRICS for s in m.samples}
        encoder, content_type = choose_encoder(request.headers.get("Accept") or "")
        return web.Response(body=encoder(registry.restricted_registry(names)), headers={"Content-Type": content_type})

    async def healthz(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "accepting": self.accepting, "queue_depth": self.queue.depth})


async def _read_body(request: web.Request, *, pace: tuple[float, float] | None = None) -> bytes | bytearray:
    """The body, in one buffer (aiohttp's `read` holds it twice at the end), within the 25 MB cap (413).

    aiohttp ends the body at `Content-Length`. `pace` = (grace, rate): after
    `grace` seconds the bytes received may not fall behind `rate` a second
    (TimeoutError otherwise): whoever holds a slot must keep sending.
    """
    length = request.content_length
    body = bytearray(length if length is not None else 0)
    loop = asyncio.get_running_loop()
    start, at = loop.time(), 0
    while True:
        if pace is None:
            chunk = await request.content.readany()
        else:
            async with asyncio.timeout_at(start + pace[0] + at / pace[1]):
                chunk = await request.content.readany()
        if not chunk:
            break
        if length is None:
            if at + len(chunk) > MAX_BODY:
                raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=at + len(chunk))
            body += chunk
        else:
            body[at : at + len(chunk)] = chunk
        at += len(chunk)
    if length is not None and at != length:
        raise ValueError(f"body ended after {at} of {length} bytes")
    return body


def payload_problem(data: Any) -> str:
    """What makes an authentic payload unusable ("" when nothing): the fields the service reads.

    Handlers index into these objects; a string where GitHub sends an object
    would otherwise fail inside the service (500) or later in the queue.
    """
    if not isinstance(data, dict):
        return "payload is not a JSON object"
    for name in _OBJECT_FIELDS:
        if name in data and data[name] is not None and not isinstance(data[name], dict):
            return f"`{name}` is not an object"
    installation = (data.get("installation") or {}).get("id")
    if installation is not None and (isinstance(installation, bool) or not isinstance(installation, int)):
        return "`installation.id` is not a number"
    full_name = (data.get("repository") or {}).get("full_name")
    if full_name is not None and not isinstance(full_name, str):
        return "`repository.full_name` is not a string"
    for name, value in (("action", data.get("action")), ("sender.type", (data.get("sender") or {}).get("type"))):
        if value is not None and not isinstance(value, str):
            return f"`{name}` is not a string"
    return ""


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


def _record_json(r: DeliveryRecord) -> dict[str, Any]:
    return {
        "delivery_id": r.delivery_id,
        "event": r.event,
        "action": r.action,
        "repository": r.repository,
        "installation": r.installation,
        "outcome": r.outcome,
        "ms": r.ms,
        "github_requests": r.requests,
        "rate_limit_remaining": r.rate_limit_remaining,
        "received_at": r.received_at,
    }


def _html(status: dict[str, Any]) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(str(d['delivery_id']))}</td><td>{e(str(d['event']))}.{e(str(d['action'] or ''))}</td>"
        f"<td>{e(str(d['repository'] or ''))}</td><td>{e(d['outcome'])}</td><td>{d['ms']}</td></tr>"
        for d in status["last_deliveries"]
    )
    counts = " · ".join(f"{k} {v}" for k, v in status["deliveries"].items())
    return (
        "<!doctype html><meta charset=utf-8><title>actionbot</title>"
        f"<h1>actionbot {e(status['version'])}</h1>"
        f"<p>App {e(str(status['app_id']))} · up {status['uptime_seconds']:.0f} s · queue {status['queue_depth']}</p>"
        f"{_html_shared(status.get('redis_queue'))}"
        f"<p>{e(counts)}</p>"
        "<table><tr><th>delivery</th><th>event</th><th>repository</th><th>outcome</th><th>ms</th></tr>"
        f"{rows}</table>"
        f"{_html_operations(status)}"
        "<p>JSON: send <code>Accept: application/json</code>. Prometheus: <a href=metrics>/metrics</a>.</p>"
    )


def _public_html(status: dict[str, Any]) -> str:
    counts = " · ".join(f"{k} {v}" for k, v in status["deliveries"].items())
    return (
        "<!doctype html><meta charset=utf-8><title>actionbot</title>"
        f"<h1>actionbot {html.escape(status['version'])}</h1>"
        f"<p>up {status['uptime_seconds']:.0f} s · queue {status['queue_depth']} · "
        f"{status['installations']} installations · {status['failures']} recent failures</p>"
        f"{_html_shared(status.get('redis_queue'))}"
        f"<p>{html.escape(counts)}</p><p>{html.escape(status['details'])}.</p>"
    )


def _html_shared(shared: dict[str, Any] | None) -> str:
    """Redis mode: the shared queue and its workers (nothing in one-process mode)."""
    if shared is None:
        return ""
    if "error" in shared:
        return f"<p>Redis: {html.escape(str(shared['error']))}</p>"
    return (
        f"<p>Redis queue: {shared['depth']} jobs, {shared['running']} running, oldest waiting "
        f"{shared['oldest_waiting_seconds']:g} s · {shared['workers']} workers</p>"
    )


def _html_operations(status: dict[str, Any]) -> str:
    """Failures, installations with their rate limit, and the last full resync."""
    e = html.escape
    failures = "".join(
        f"<tr><td>{e(str(d['delivery_id']))}</td><td>{e(str(d['event']))}.{e(str(d['action'] or ''))}</td>"
        f"<td>{e(str(d['repository'] or ''))}</td><td>{e(str(d['outcome']))}</td></tr>"
        for d in status.get("failures", [])
    ) or "<tr><td colspan=4>none</td></tr>"
    installations = "".join(
        f"<tr><td>{i['id']}</td><td>{e(str(i['account']))}</td><td>{i['repositories']}</td>"
        f"<td>{e(str(i['rate_limit_remaining'] if i['rate_limit_remaining'] is not None else '?'))}</td>"
        f"<td>{'suspended' if i['suspended'] else e(str(i['error'] or 'ok'))}</td></tr>"
        for i in status.get("installations", [])
    ) or "<tr><td colspan=5>none seen yet</td></tr>"
    resync = status.get("resync") or {}
    when = resync.get("last_full_resync_iso") or "never"
    every = f"every {resync['interval_hours']:g} h" if resync.get("interval_hours") else "off"
    return (
        "<h2>Failures</h2><p>Redeliver them with <code>actionbot redeliver</code> (the next resync repairs them too).</p>"
        f"<table><tr><th>delivery</th><th>event</th><th>repository</th><th>outcome</th></tr>{failures}</table>"
        "<h2>Installations</h2><table><tr><th>id</th><th>account</th><th>repositories</th>"
        f"<th>rate limit remaining</th><th>state</th></tr>{installations}</table>"
        f"<p>Last full resync: {e(when)} ({e(every)}).</p>"
    )


@dataclass(frozen=True, slots=True)
class _Pushes:
    """Push deliveries joined into one job: the joined payload under the latest delivery's id, and every id."""

    event: sansio.Event
    delivery_ids: tuple[str, ...]

    def join(self, later: _Pushes) -> _Pushes:
        data = join_pushes(self.event.data, later.event.data)
        return _Pushes(sansio.Event(data, event="push", delivery_id=later.event.delivery_id), self.delivery_ids + later.delivery_ids)


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


def make_app(
    settings: Settings,
    *,
    clients: AppClients,
    router: routing.Router | None = None,
    clock: Clock = time.time,
    sleep: Sleep = asyncio.sleep,
    redeliver_on_startup: bool = True,
    metrics: Metrics | None = None,
    resync_hours: float | None = None,
    resync_pause: float | None = None,
    listening: asyncio.Event | None = None,
    **service_options: Any,
) -> web.Application:
    """The aiohttp application. `router` defaults to every feature of actionbot.service.handlers.

    `metrics`: the Metrics shared with the GitHub clients (AppClients(metrics=...));
    one of its own when None. Served at `GET /metrics`.
    `resync_hours` / `resync_pause`: the periodic full resync (actionbot.service.resync);
    None reads `settings.resync_hours` / `settings.resync_pause`; 0 hours: off. When on, its start-up pass does the redelivery.
    `listening`: set once the server's socket listens (`actionbot serve` sets it); the start-up
    pass waits for it, so a delivery it asks GitHub to resend finds the server. None: no wait.
    """
    service = Service(settings, clients=clients, router=router or handlers.router, clock=clock, sleep=sleep, metrics=metrics, **service_options)
    app = web.Application(client_max_size=MAX_BODY)
    app[SERVICE_KEY] = service
    app.router.add_post("/webhook", service.webhook)
    app.router.add_get("/healthz", service.healthz)
    app.router.add_get("/", service.index)
    app.router.add_get("/metrics", service.metrics_page)
    hours = settings.resync_hours if resync_hours is None else resync_hours
    if hours > 0:
        pause = settings.resync_pause if resync_pause is None else resync_pause
        service.resyncer = Resyncer(
            service, interval_hours=hours, pause_seconds=pause, redeliver=redeliver_on_startup, clock=clock, sleep=sleep,
            unfinished=service.take_cut_off,
        )

    app.on_startup.append(_on_startup(service, settings, clients, redeliver_on_startup, listening))
    app.on_cleanup.append(_on_cleanup)
    return app


def _on_startup(
    service: Service, settings: Settings, clients: AppClients, redeliver_on_startup: bool, listening: asyncio.Event | None
) -> Callable[[web.Application], Awaitable[None]]:
    """The start-up hook: log what runs, then start Redis mode, or the resync, or the redelivery
    pass (those two once the server listens: aiohttp runs this hook before it binds the socket)."""

    async def on_startup(app: web.Application) -> None:
        log.info(
            "starting %s",
            kv(
                version=__version__,
                app_id=settings.app_id,
                key_fingerprint=_fingerprint(settings),
                api_url=settings.api_url,
                write_interval=settings.write_interval,
                handle=settings.handle,
            ),
        )
        if start_shared(service, settings):
            return  # the resync and the redelivery pass are the workers' (once per deployment)
        warn_if_replica(os.environ)
        open_journal(service, settings)
        if service.resyncer is not None:
            service.spawn(_once_listening(listening, service.resyncer.run), "resync")
        elif redeliver_on_startup:
            redeliver = partial(redeliver_failed, clients, since_hours=72, unfinished=service.take_cut_off())
            service.spawn(_once_listening(listening, redeliver), "redeliver")

    return on_startup


async def _once_listening(listening: asyncio.Event | None, start: Callable[[], Awaitable[Any]]) -> None:
    """Run `start` once the server listens; at once when `listening` is None (the caller does not say)."""
    if listening is not None:
        await listening.wait()
    await start()


def open_journal(service: Service, settings: Settings) -> None:
    """One-process mode: record accepted deliveries in `ACTIONBOT_STATE_DIR`, and read what a crash cut off.

    JournalError (the directory is unusable or another process holds it) stops the start.
    """
    if not settings.state_dir:
        log.info("accepted deliveries are kept in memory only: a crash loses the queued ones (set ACTIONBOT_STATE_DIR or REDIS_URL)")
        return
    service.journal = Journal.open(settings.state_dir, clock=service.clock)
    service.cut_off = service.journal.unfinished()
    log.info("journal %s", kv(state_dir=settings.state_dir, cut_off=len(service.cut_off)))
    if service.cut_off:
        log.warning("accepted deliveries a crash cut off: asking GitHub to send them again %s", kv(deliveries=" ".join(service.cut_off)))


async def _on_cleanup(app: web.Application) -> None:
    """Stop Redis mode and cancel the background tasks (resync, redelivery), waiting for them."""
    service = app[SERVICE_KEY]
    if service.journal is not None:
        service.journal.close()
    await stop_shared(service)
    for task in list(service.background):
        task.cancel()
    if service.background:
        await asyncio.gather(*service.background, return_exceptions=True)


def start_shared(service: Service, settings: Settings) -> bool:
    """Redis mode (`REDIS_URL`): the queue, the delivery ids and the resync's schedule are shared (worker.py).

    Also a worker in this process unless `ACTIONBOT_WORKER=0` / `--no-worker`. False without Redis.
    """
    if not settings.redis_url:
        return False
    service.shared = RedisQueue.from_url(settings.redis_url, max_pending=service.queue.max_pending)
    if settings.worker:
        service.worker = SharedWorker(service, max_jobs=service.queue.max_concurrency)
        service.spawn(service.worker.run(), "worker")
    return True


async def stop_shared(service: Service) -> None:
    if service.worker is not None:
        await service.worker.close()
    if service.shared is not None:
        await service.shared.close()


def warn_if_replica(env: Mapping[str, str]) -> bool:
    """Several replicas need Redis mode: say so when this one can tell it is not the first.

    The one cheap and honest sign is Heroku's: its dynos are named `web.1`,
    `web.2`, ... in `DYNO`. Elsewhere (a container platform names replicas at
    random) nothing the service reads tells one replica from two, so nothing is said.
    """
    dyno = env.get("DYNO", "")
    name, _, number = dyno.partition(".")
    if name == "web" and number.isdigit() and int(number) > 1:
        log.warning(
            "several web replicas without REDIS_URL are not supported: each keeps its own queue, so two may "
            "reconcile one repository at once; add Redis (see README, Several replicas) or run one %s",
            kv(dyno=dyno),
        )
        return True
    return False


def _fingerprint(settings: Settings) -> str | None:
    try:
        return settings.key_fingerprint
    except (ValueError, TypeError):  # no key, or not one: the settings check says so before a real start
        return None


def service_of(app: web.Application) -> Service:
    return app[SERVICE_KEY]


__all__ = ["MAX_BODY", "Service", "make_app", "service_of"]
