"""`actionbot serve`: the webhook service (Procfile: `web: actionbot serve`)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal

import aiohttp
from aiohttp import web

from actionbot import logs
from actionbot.logs import kv
from actionbot.service import errors
from actionbot.service.app import make_app, service_of
from actionbot.service.ingress import SERVER_OPTIONS
from actionbot.service.metrics import Metrics
from actionbot.service.settings import Settings

log = logging.getLogger("actionbot.serve")


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "serve",
        help="run the webhook service (GitHub App mode)",
        description="Run the webhook service. Configuration comes from the environment: GITHUB_APP_ID, "
        "GITHUB_PRIVATE_KEY (PEM or path), GITHUB_WEBHOOK_SECRET, PORT, HOST, GITHUB_API_URL, LOG_LEVEL, "
        "ACTIONBOT_WRITE_INTERVAL, ACTIONBOT_GRACE_SECONDS, ACTIONBOT_HANDLE, ACTIONBOT_RESYNC_HOURS, ACTIONBOT_RESYNC_PAUSE, ACTIONBOT_STATUS_TOKEN, "
        "REDIS_URL (Redis mode: the queue shared with other processes), ACTIONBOT_WORKER, ACTIONBOT_JOB_TIMEOUT, ACTIONBOT_JOB_GRACE, "
        "SENTRY_DSN. Flags win over the environment.",
    )
    p.add_argument("--host", help="address to listen on (default: $HOST or 0.0.0.0)")
    p.add_argument("--port", type=int, help="port to listen on (default: $PORT or 8080)")
    p.add_argument(
        "--write-interval",
        type=float,
        metavar="SECONDS",
        help="least time between two writes per installation (default: $ACTIONBOT_WRITE_INTERVAL or 1; 0 turns pacing off)",
    )
    p.add_argument(
        "--no-worker",
        action="store_true",
        help="with REDIS_URL: only verify and queue deliveries; `actionbot worker` processes run them (also ACTIONBOT_WORKER=0)",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env().with_overrides(
        host=args.host, port=args.port, write_interval=args.write_interval, worker=False if args.no_worker else None
    )
    for secret in (settings.webhook_secret, settings.private_key, settings.redis_url, settings.status_token):
        logs.register_secret(secret)
    logs.configure(settings.log_level)
    errors.init_sentry([settings.webhook_secret, settings.private_key])
    return asyncio.run(serve(settings))


async def serve(settings: Settings) -> int:
    """Listen until SIGTERM/SIGINT, then refuse new work, drain within the grace period, exit 0."""
    timeout = aiohttp.ClientTimeout(total=60, connect=10)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        metrics = Metrics()  # one registry: the clients record requests, the service serves /metrics
        clients = settings.app_clients(session, metrics)
        listening = asyncio.Event()  # the start-up redelivery pass waits for the socket
        app = make_app(settings, clients=clients, metrics=metrics, listening=listening)
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0, **SERVER_OPTIONS)
        await runner.setup()
        site = web.TCPSite(runner, settings.host, settings.port, reuse_address=True)
        await site.start()
        listening.set()
        log.info("listening %s", kv(host=settings.host, port=settings.port))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await stop.wait()
        service = service_of(app)
        log.info("stopping: no new deliveries, draining %s", kv(queued=service.queue.depth, grace_seconds=settings.grace_seconds))
        await service.shutdown(settings.grace_seconds)
        await runner.cleanup()
    return 0
