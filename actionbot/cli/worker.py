"""`actionbot worker`: Redis mode's worker alone (Procfile: `worker: actionbot worker`).

It runs what `actionbot serve` queued in Redis (`REDIS_URL`), the periodic
resync and the redelivery pass, and answers no HTTP. Several may run at once,
on any machines: Redis keeps one repository's work to one worker at a time.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys

import aiohttp

from actionbot import logs
from actionbot.service import errors
from actionbot.service.deliveries import Service
from actionbot.service.handlers import router
from actionbot.service.metrics import Metrics
from actionbot.service.redisqueue import RedisQueue
from actionbot.service.resync import Resyncer
from actionbot.service.settings import Settings
from actionbot.service.worker import SharedWorker


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "worker",
        help="run queued work from Redis (REDIS_URL), without a web server",
        description="Run the jobs `actionbot serve` queued in Redis, the periodic resync and the redelivery pass. "
        "Configuration comes from the environment, as for serve: REDIS_URL (required), GITHUB_APP_ID, "
        "GITHUB_PRIVATE_KEY, GITHUB_WEBHOOK_SECRET, GITHUB_API_URL, LOG_LEVEL, ACTIONBOT_WRITE_INTERVAL, "
        "ACTIONBOT_HANDLE, ACTIONBOT_RESYNC_HOURS, ACTIONBOT_RESYNC_PAUSE, ACTIONBOT_JOB_TIMEOUT, ACTIONBOT_JOB_GRACE, SENTRY_DSN.",
    )
    p.add_argument("--max-jobs", type=int, default=8, metavar="N", help="repositories worked on at once (default 8)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env()
    if not settings.redis_url:
        sys.stderr.write("actionbot worker: REDIS_URL is not set: the worker runs what `actionbot serve` queued in Redis\n")
        return 2
    if args.max_jobs < 1:
        sys.stderr.write("actionbot worker: --max-jobs must be 1 or more\n")
        return 2
    for secret in (settings.webhook_secret, settings.private_key, settings.redis_url):
        logs.register_secret(secret)
    handler = logs.configure(settings.log_level)
    errors.init_sentry([settings.webhook_secret, settings.private_key])
    try:
        return asyncio.run(work(settings, args.max_jobs))
    finally:
        handler.flush()


async def work(settings: Settings, max_jobs: int) -> int:
    """Work until SIGTERM/SIGINT; running jobs are then cancelled and run again on another worker."""
    timeout = aiohttp.ClientTimeout(total=60, connect=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        metrics = Metrics()
        clients = settings.app_clients(session, metrics)
        service = Service(settings, clients=clients, router=router, metrics=metrics)
        service.shared = RedisQueue.from_url(settings.redis_url)
        if settings.resync_hours > 0:
            service.resyncer = Resyncer(service, interval_hours=settings.resync_hours, pause_seconds=settings.resync_pause)
        worker = SharedWorker(service, max_jobs=max_jobs)
        task = asyncio.get_running_loop().create_task(worker.run(), name="worker")
        stop = asyncio.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(sig, stop.set)
        await asyncio.wait([task, asyncio.ensure_future(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
        await worker.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await service.shared.close()
    return 0

