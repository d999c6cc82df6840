"""The aiohttp application: the routes, and what starts and stops with it (Redis mode, the
journal, the resync or the start-up redelivery pass)."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from functools import partial
from typing import Any

from aiohttp import web
from gidgethub import routing

from actionbot import __version__
from actionbot.core.ages import Clock, Sleep
from actionbot.github.app import AppClients
from actionbot.github.redeliver import redeliver_failed
from actionbot.logs import kv
from actionbot.service import handlers
from actionbot.service.deliveries import Service
from actionbot.service.ingress import MAX_BODY
from actionbot.service.journal import Journal
from actionbot.service.metrics import Metrics
from actionbot.service.redisqueue import RedisQueue
from actionbot.service.resync import Resyncer
from actionbot.service.settings import Settings
from actionbot.service.status import healthz, index, metrics_page
from actionbot.service.worker import SharedWorker

log = logging.getLogger("actionbot.service.app")
SERVICE_KEY: web.AppKey[Service] = web.AppKey("actionbot_service")


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
    app.router.add_get("/healthz", partial(healthz, service))
    app.router.add_get("/", partial(index, service))
    app.router.add_get("/metrics", partial(metrics_page, service))
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
    if service.worker is not None:
        await service.worker.close()
    if service.shared is not None:
        await service.shared.close()
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

