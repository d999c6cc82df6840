"""Self-healing: the same reconcile, for every repository, at start-up and every few hours.

A webhook is a hint, not the only chance (level-triggered design): a delivery
GitHub dropped, one refused while the service restarted, or a reference in a
repository where the app is not installed costs latency, never data, because
this pass reconciles every installed repository that has notes, polls the
references of its open items, keeps its dashboard current (the ages it shows
move on quiet days too; rewritten only when its text changes, so at most once
a day), and asks GitHub to redeliver the deliveries of the last 72 hours that
never succeeded.

Cheap by construction: every read goes through the installation's ETag cache,
so an unchanged repository is answered with 304s (free against the rate
limit) and its plan is empty (no write). Repositories are visited one at a
time with a pause between them, and each visit runs in the service's
per-repository queue, behind (never beside) a delivery for the same
repository.

One repository's run (and how far back it looks) is `actionbot.engine.resync`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from actionbot.core.ages import Clock, Sleep
from actionbot.engine.apply import describe_error
from actionbot.engine.resync import RepoResync, resync_repository
from actionbot.github.app import AppClients
from actionbot.github.client import GitHubClient
from actionbot.github.redeliver import redeliver_failed
from actionbot.logs import kv
from actionbot.service.context import Context
from actionbot.service.metrics import Metrics
from actionbot.service.queue import WorkQueue
from actionbot.service.redisqueue import RESYNC, Delivery, RedisError, RedisQueue

log = logging.getLogger("actionbot.service.resync")

REDELIVER_HOURS = 72


# ---------------------------------------------------------------- the whole app


@dataclass
class InstallationInfo:
    id: int
    account: str
    repositories: list[str] = field(default_factory=list)
    suspended: bool = False
    error: str = ""


@dataclass
class PassReport:
    started_at: float
    finished_at: float | None = None
    installations: int = 0
    repositories: list[RepoResync] = field(default_factory=list)
    redelivered: int = 0
    errors: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "installations": self.installations,
            "repositories": len(self.repositories),
            "reconciled": sum(1 for r in self.repositories if not r.skipped and not r.error),
            "skipped": sum(1 for r in self.repositories if r.skipped),
            "applied": sum(r.applied for r in self.repositories),
            "notices": sum(r.notices for r in self.repositories),
            "redelivered": self.redelivered,
            "errors": self.errors[-20:],
        }


class Host(Protocol):
    """What the resync needs of the service it runs in (`actionbot.service.deliveries.Service`)."""

    clients: AppClients
    metrics: Metrics
    queue: WorkQueue
    shared: RedisQueue | None  # Redis mode: the queue every process shares
    rate_limits: dict[int, int]  # installation -> x-ratelimit-remaining last seen

    def context(self, delivery_id: str) -> Context: ...


class Resyncer:
    """The service's periodic full pass. One per service; `run()` is its start-up task.

    `service`: the service whose queue the work goes through (and whose
    rate-limit table and metrics it updates).
    """

    def __init__(
        self,
        service: Host,
        *,
        interval_hours: float = 6,
        pause_seconds: float = 1.0,
        redeliver: bool = True,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
        unfinished: Callable[[], Collection[str]] = tuple,
    ):
        self.service = service
        self.clients = service.clients
        self.interval_hours = interval_hours
        self.pause_seconds = pause_seconds
        self.redeliver = redeliver
        self.clock = clock
        self.sleep = sleep
        self.unfinished = unfinished  # guids cut off by a crash, for the start-up redelivery (once)
        self.installations: dict[int, InstallationInfo] = {}
        self.last_full_resync: float | None = None
        self.last_pass: PassReport | None = None
        self.passes = 0
        self.running = False

    # -- the loop ------------------------------------------------------------------
    async def run(self) -> None:
        """A pass now, then one every `interval_hours` (0: only the start-up pass)."""
        while True:
            await self.full_pass()
            if self.interval_hours <= 0:
                return
            await self.sleep(self.interval_hours * 3600)

    async def full_pass(self) -> PassReport:
        """Redeliver failures, then reconcile every installed repository; errors logged, never raised."""
        report = PassReport(started_at=self.clock())
        self.running = True
        try:
            if self.redeliver:
                await self._redeliver(report)
            try:
                app = await self.clients.app_client()
                installations = await app.list_installations()
            except Exception as exc:
                report.errors.append(f"listing installations: {describe_error(exc)}")
                log.error("resync: cannot list installations %s", kv(error=describe_error(exc)))
                return report
            seen = set()
            for inst in installations:
                account = (inst.get("account") or {}).get("login", "")
                info = InstallationInfo(int(inst["id"]), account, suspended=bool(inst.get("suspended_at")))
                seen.add(info.id)
                self.installations[info.id] = info
                report.installations += 1
                if info.suspended:
                    continue
                await self._installation(info, report)
            for gone in set(self.installations) - seen:
                self.installations.pop(gone, None)
            report.finished_at = self.clock()
            self.last_full_resync = report.finished_at
            self.service.metrics.mark_full_resync(report.finished_at)
            return report
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the last net: a resync never takes the service down
            report.errors.append(describe_error(exc))
            log.exception("resync pass failed, service continues")
            return report
        finally:
            self.running = False
            self.passes += 1
            self.last_pass = report
            log.info("resync %s", kv(**{k: v for k, v in report.to_dict().items() if k != "errors"}, error_count=len(report.errors)))

    async def _redeliver(self, report: PassReport) -> None:
        try:
            result = await redeliver_failed(
                self.clients, since_hours=REDELIVER_HOURS, clock=self.clock, unfinished=self.unfinished()
            )
            report.redelivered = len(result.redelivered)
            report.errors += result.errors
        except Exception as exc:
            report.errors.append(f"redeliver: {describe_error(exc)}")
            log.error("resync: redelivery failed %s", kv(error=describe_error(exc)))

    async def _installation(self, info: InstallationInfo, report: PassReport) -> None:
        try:
            gh = await self.clients.for_installation(info.id)
            repos = await gh.list_installation_repos()
        except Exception as exc:
            info.error = describe_error(exc)
            report.errors.append(f"installation {info.id}: {info.error}")
            log.error("resync: cannot list repositories %s", kv(installation=info.id, error=info.error))
            return
        info.repositories = sorted(r["full_name"] for r in repos if not r.get("archived"))
        for i, repo in enumerate(info.repositories):
            if i:
                await self.sleep(self.pause_seconds)
            report.repositories.append(await self.repository(gh, info.id, repo))
        remaining = gh.rate_limit_remaining
        if remaining is not None:
            self.service.rate_limits[info.id] = remaining
            self.service.metrics.set_rate_limit(info.id, remaining)

    async def repository(self, gh: GitHubClient, installation_id: int, repo: str) -> RepoResync:
        """Resync `repo` in the per-repository queue (behind its deliveries) and wait for it."""
        return await run_in_queue(
            self.service, repo, installation_id, lambda ctx: resync_repository(gh, repo, ctx=ctx, clock=self.clock)
        )

    # -- the operator's view ---------------------------------------------------------
    def status(self) -> dict[str, Any]:
        return {
            "interval_hours": self.interval_hours,
            "last_full_resync": self.last_full_resync,
            "last_full_resync_iso": _iso(self.last_full_resync),
            "running": self.running,
            "passes": self.passes,
            "last_pass": self.last_pass.to_dict() if self.last_pass else None,
        }

    def forget_installation(self, installation_id: int) -> None:
        self.installations.pop(int(installation_id), None)


async def run_in_queue(
    service: Host, repo: str, installation: int, work: Callable[[Context], Awaitable[RepoResync]]
) -> RepoResync:
    """Run `work(ctx)` as a job of `repo`'s queue and wait for its result; errors become the result.

    Redis mode: the repository's resync is queued in Redis (behind its deliveries,
    on whichever worker) and not waited for; the result says "queued".
    """
    shared = service.shared
    if shared is not None:
        data = {"repository": {"full_name": repo}, "installation": {"id": installation}}
        try:
            await shared.submit(repo, Delivery(RESYNC, f"resync-{repo}", data), coalesce=False)
        except RedisError as exc:
            return RepoResync(repo, error=f"Redis unreachable: {type(exc).__name__}")
        return RepoResync(repo, skipped="queued")
    loop = asyncio.get_running_loop()
    done: asyncio.Future[RepoResync] = loop.create_future()
    ctx = service.context("resync")

    async def job() -> None:
        try:
            result = await work(ctx)
        except asyncio.CancelledError:
            done.cancel()
            raise
        except Exception as exc:
            result = RepoResync(repo, error=describe_error(exc))
            log.error("resync of a repository failed %s", kv(repository=repo, error=result.error))
        if not done.done():
            done.set_result(result)

    if not service.queue.submit(repo, job, f"resync installation={installation} repository={repo}"):
        return RepoResync(repo, error="queue full or closed")
    return await done


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
