"""Prometheus metrics for operators: what was delivered, how it went, what GitHub allows.

Every metric is named `actionbot_...` and lives in a `CollectorRegistry` of
its own, never prometheus-client's global one: two apps in one process (tests
do this all the time) would otherwise collide on registration, and a library
should not publish into a process-wide namespace it does not own.

The service makes one `Metrics()` per app and serves `render()` at
`GET /metrics`; the GitHub client calls `record_request` / `set_rate_limit`
on the same object.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder

from actionbot import __version__

#: From a duplicate answered in milliseconds to a large first sync paced by
#: GitHub's secondary rate limits.
PROCESSING_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600)


class Metrics:
    """One app's metrics, in a registry of its own."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        r = self.registry
        self.deliveries = Counter(
            "actionbot_deliveries",
            "Webhook deliveries (or Action events) by event and outcome.",
            ["event", "outcome"],
            registry=r,
        )
        self.processing_seconds = Histogram(
            "actionbot_delivery_processing_seconds",
            "Time spent processing one delivery, from dequeue to done.",
            ["event"],
            buckets=PROCESSING_BUCKETS,
            registry=r,
        )
        self.github_requests = Counter(
            "actionbot_github_requests",
            "Requests sent to GitHub's API by HTTP status ('error' when no answer came).",
            ["status"],
            registry=r,
        )
        self.github_writes = Counter(
            "actionbot_github_writes",
            "Requests that changed something on GitHub (POST, PATCH, PUT, DELETE).",
            registry=r,
        )
        self.queue_depth = Gauge(
            "actionbot_queue_depth",
            "Deliveries accepted and not yet processed.",
            registry=r,
        )
        self.queue_running = Gauge("actionbot_queue_running", "Redis mode: jobs running on some worker.", registry=r)
        self.queue_oldest = Gauge(
            "actionbot_queue_oldest_waiting_seconds", "Redis mode: age of the oldest waiting job (0: none waits).", registry=r
        )
        self.workers = Gauge("actionbot_workers", "Redis mode: workers that sent a heartbeat in the last 30 s.", registry=r)
        self.rate_limit_remaining = Gauge(
            "actionbot_rate_limit_remaining",
            "GitHub's x-ratelimit-remaining as last seen, per installation ('token' for a plain token).",
            ["installation"],
            registry=r,
        )
        self.last_full_resync = Gauge(
            "actionbot_last_full_resync_timestamp_seconds",
            "Unix time at which the last full resync of all installations finished (0: never).",
            registry=r,
        )
        self.build_info = Gauge("actionbot_build_info", "The running actionbot version.", ["version"], registry=r)
        self.build_info.labels(version=__version__).set(1)

    def record_delivery(self, event: str, outcome: str, seconds: float | None) -> None:
        """Count one delivery and its processing time.

        `seconds=None` for deliveries answered without processing (ignored,
        duplicate, rejected): they count, but would skew the histogram.
        """
        event = event or "unknown"
        self.deliveries.labels(event=event, outcome=outcome).inc()
        if seconds is not None:
            self.processing_seconds.labels(event=event).observe(seconds)

    def record_request(self, status: int | str | None, is_write: bool) -> None:
        """Count one GitHub request; `status` None means the connection failed."""
        self.github_requests.labels(status="error" if status is None else str(status)).inc()
        if is_write:
            self.github_writes.inc()

    def set_shared_queue(self, running: int, oldest_seconds: float, workers: int) -> None:
        """Redis mode: the shared queue as read from Redis (its depth: `track_queue_depth`)."""
        self.queue_running.set(running)
        self.queue_oldest.set(oldest_seconds)
        self.workers.set(workers)

    def track_queue_depth(self, depth: Callable[[], float]) -> None:
        """Read the depth from the queue at each scrape instead of being told."""
        self.queue_depth.set_function(depth)

    def set_rate_limit(self, installation: int | str | None, remaining: int | None) -> None:
        """Record the remaining requests GitHub announced; None (no header) changes nothing."""
        if remaining is not None:
            label = "token" if installation is None else str(installation)
            self.rate_limit_remaining.labels(installation=label).set(remaining)

    def forget_installation(self, installation: int | str) -> None:
        """An uninstalled app's series would otherwise stay frozen forever."""
        with contextlib.suppress(KeyError):
            self.rate_limit_remaining.remove(str(installation))

    def mark_full_resync(self, when: float | None = None) -> None:
        self.last_full_resync.set(time.time() if when is None else when)

    def render(self, accept: str | None = None) -> tuple[bytes, str]:
        """The exposition and its Content-Type (OpenMetrics when the scraper asks for it)."""
        encoder, content_type = choose_encoder(accept or "")
        return encoder(self.registry), content_type

    async def handler(self, request: Any) -> Any:
        """aiohttp handler for `GET /metrics` (no GitHub call, nothing secret)."""
        body, content_type = self.render(request.headers.get("Accept"))
        # aiohttp's content_type= refuses parameters; Prometheus needs `version=`.
        return web.Response(body=body, headers={"Content-Type": content_type})
