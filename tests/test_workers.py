"""Redis mode across processes: `actionbot serve --no-worker` queues, `actionbot worker` processes run.

Real processes and a real redis-server (tests/redisserver.py); the fake
GitHub runs in this test's event loop on a loopback port. A worker killed
with SIGKILL in the middle of a reconcile loses nothing: the job runs again
on the other worker once its time is up (ACTIONBOT_JOB_TIMEOUT +
ACTIONBOT_JOB_GRACE; 3 + 1 s here). The periodic resync runs once per period,
whichever of two workers sees it first.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import redis.asyncio as aioredis

from tests.deliveries import deliver
from tests.fakegithub import FakeGitHub
from tests.redisserver import RedisServer, free_port, redis_server  # noqa: F401  (fixture)
from tests.syncenv import REPO, action_issues, head, push_payload, setup_repo

APP_ID = 4343
SECRET = "workers-secret"
ZERO = "0" * 40


async def until(predicate: Callable[[], Awaitable[bool]], what: str, seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


class Processes:
    """Subprocesses of `python -m actionbot`, each logging to a file; all stopped at the end."""

    def __init__(self, tmp_path: Path, env: dict[str, str]):
        self.tmp_path, self.env = tmp_path, env
        self.procs: list[asyncio.subprocess.Process] = []

    async def start(self, name: str, *args: str, **extra: str) -> asyncio.subprocess.Process:
        with open(self.tmp_path / f"{name}.log", "wb") as log:  # noqa: ASYNC230  (a local temp file)
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "actionbot", *args, env={**self.env, **extra},
                stdout=asyncio.subprocess.DEVNULL, stderr=log)
        self.procs.append(proc)
        return proc

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text()

    async def stop(self) -> None:
        for proc in self.procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs:
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()


@pytest.fixture
async def deployment(fake_github: FakeGitHub, fake_app_key: tuple[str, str], tmp_path: Path,
                     redis_server: RedisServer) -> AsyncIterator[Any]:  # noqa: F811
    fake = fake_github
    fake.set_app(APP_ID, fake_app_key[1])
    fake.add_installation(42, "octo-org")
    setup_repo(fake, installation_id=42)
    key = tmp_path / "app.pem"
    key.write_text(fake_app_key[0])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "ACTIONBOT_", "REDIS_"))}
    env.update(GITHUB_APP_ID=str(APP_ID), GITHUB_PRIVATE_KEY=str(key), GITHUB_WEBHOOK_SECRET=SECRET,
               GITHUB_API_URL=fake.url, ACTIONBOT_WRITE_INTERVAL="0", ACTIONBOT_RESYNC_HOURS="0",
               ACTIONBOT_JOB_TIMEOUT="3", ACTIONBOT_JOB_GRACE="1", HOST="127.0.0.1", LOG_LEVEL="INFO", REDIS_URL=redis_server.url)
    procs = Processes(tmp_path, env)
    try:
        yield procs
    finally:
        await procs.stop()


async def test_a_worker_killed_mid_job_loses_nothing(deployment: Any, fake_github: FakeGitHub) -> None:
    fake = fake_github
    port = free_port()
    web = await deployment.start("web", "serve", "--no-worker", PORT=str(port))
    first = await deployment.start("worker-a", "worker")
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:
        async def ready() -> bool:
            assert web.returncode is None, deployment.log("web")
            try:
                async with session.get(url + "/healthz") as r:
                    return r.status == 200
            except aiohttp.ClientError:
                return False

        await until(ready, "the web process")
        # The reconcile stalls on a read before any write: that is where the worker dies.
        stall = fake.fault("GET", rf"/repos/{REPO}/labels", "latency", seconds=120)
        answer = await deliver((session, url), "push", push_payload(fake, ZERO, head(fake)), secret=SECRET)
        assert answer.status == 202

        async def stalled() -> bool:
            return stall.fired == 1

        await until(stalled, "worker a to be mid-job")
        await deployment.start("worker-b", "worker")
        first.send_signal(signal.SIGKILL)
        await first.wait()

        async def all_issues() -> bool:
            return len(action_issues(fake)) >= 9

        await until(all_issues, "worker b to finish the job")
        async with session.get(url + "/", headers={"Accept": "application/json"}) as r:
            shared = (await r.json())["redis_queue"]

        async def drained() -> bool:
            async with session.get(url + "/", headers={"Accept": "application/json"}) as r:
                return (await r.json())["redis_queue"]["depth"] == 0

        await until(drained, "the shared queue to drain")
    issues = action_issues(fake)
    assert len(issues) == 9 and all(i["state"] == "open" for i in issues)  # each item once: no twin
    assert len({i["title"] for i in issues}) == 9
    assert shared["workers"] >= 1
    assert "delivery" in deployment.log("worker-b") and "outcome=ok" in deployment.log("worker-b")


async def test_the_resync_runs_once_per_period_across_two_workers(deployment: Any, fake_github: FakeGitHub,
                                                                  redis_server: RedisServer) -> None:  # noqa: F811
    fake = fake_github
    period = 1  # seconds
    extra = {"ACTIONBOT_RESYNC_HOURS": str(period / 3600), "ACTIONBOT_RESYNC_PAUSE": "0"}
    for name in ("worker-a", "worker-b"):
        await deployment.start(name, "worker", **extra)
    client = aioredis.Redis.from_url(redis_server.url)
    slots: set[bytes] = set()

    def passes() -> int:
        return len([r for r in fake.requests if r.method == "GET" and r.path == "/app/installations"])

    async def three_passes() -> bool:
        slots.update(await client.keys("actionbot:resync:*"))  # each pass's claim on its period (kept 2 periods)
        return passes() >= 3

    try:
        await until(three_passes, "three resync passes", seconds=30)
        slots.update(await client.keys("actionbot:resync:*"))
    finally:
        await client.aclose()
    # Every pass that ran claimed a period of its own: two workers never passed in one period.
    assert passes() == len(slots), (passes(), sorted(slots))
