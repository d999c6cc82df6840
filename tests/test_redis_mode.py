"""Redis mode in one process: the service queues in a real redis-server, its worker runs the jobs.

The fake GitHub and the service run in this test's event loop; redis-server
is a real one on a free loopback port (tests/redisserver.py).
"""

from __future__ import annotations

import asyncio
import time
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from actionbot.github.app import AppClients
from actionbot.service.app import make_app, service_of
from tests.deliveries import deliver
from tests.helpers import APP_ID, service_settings
from tests.redisserver import RedisServer, redis_server  # noqa: F401  (fixture)
from tests.syncenv import FAST, NOTES, REPO, by_title, head, no_wait, push_payload, setup_repo

SECRET = "s3cret"
ZERO = "0" * 40


async def until(predicate: Any, what: str, seconds: float = 20) -> None:
    """Poll briefly until `predicate()` holds (no fixed sleep), failing with `what` at the deadline."""
    deadline = time.monotonic() + seconds
    while not await predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


@pytest.fixture
async def service(fake_github: Any, aiohttp_client: Any, app_key: tuple[str, str], redis_server: RedisServer) -> Any:  # noqa: F811
    fake_github.set_app(APP_ID, app_key[1])
    fake_github.add_installation(42, "octo-org")
    setup_repo(fake_github, installation_id=42)
    settings = service_settings(SECRET, app_id=str(APP_ID), api_url=fake_github.url, redis_url=redis_server.url, job_timeout=4,
                                job_grace=1)  # a job cut off by the outage runs again 5 s after it began, not 14
    async with aiohttp.ClientSession() as session:
        clients = AppClients(session, app_id=str(APP_ID), private_key=app_key[0], api_url=fake_github.url,
                             write_interval=0, sleep=no_wait, policy=FAST)
        app = make_app(settings, clients=clients, sleep=no_wait, redeliver_on_startup=False)
        client = await aiohttp_client(app)
        svc = service_of(app)

        async def settled() -> bool:
            stats = await svc.shared.stats()
            return stats["depth"] == 0

        yield SimpleNamespace(fake=fake_github, client=client, service=svc, redis=redis_server, settled=settled)


def add_item(fake: Any, text: str) -> tuple[str, str]:
    before = head(fake)
    fake.commit(REPO, {NOTES: fake.file(REPO, NOTES).rstrip("\n") + f"\n- {text} (Carol)\n"}, message=text)
    return before, head(fake)


async def test_a_burst_in_redis_mode_is_coalesced_and_every_item_lands(service: Any) -> None:
    fake = service.fake
    first = head(fake)
    answers = [await deliver(service.client, "push", push_payload(fake, ZERO, first), secret=SECRET)]
    for i in range(10):
        answers.append(await deliver(service.client, "push", push_payload(fake, *add_item(fake, f"Redis burst item {i}")), secret=SECRET))
    assert [a.status for a in answers] == [202] * 11
    await until(service.settled, "the shared queue to drain")
    assert {f"Redis burst item {i}" for i in range(10)} <= set(by_title(fake))
    processed = service.service.counts["processed"]
    assert 1 <= processed <= 3, processed
    newest = head(fake)
    assert [r for r in fake.check_runs(REPO) if r["head_sha"] == newest]
    page = await (await service.client.get("/")).text()
    assert "Redis queue: 0 jobs, 0 running" in page and "1 workers" in page
    status = await (await service.client.get("/", headers={"Accept": "application/json"})).json()
    assert status["redis_queue"] == {"depth": 0, "running": 0, "oldest_waiting_seconds": 0.0, "workers": 1}
    metrics = await (await service.client.get("/metrics")).text()
    assert "actionbot_workers 1.0" in metrics and "actionbot_queue_depth 0.0" in metrics


async def test_redis_stopped_and_restarted_under_load(service: Any, caplog: Any) -> None:
    """Down: 503 for every delivery (never a 202 that is not queued), one log line; back: accepted and run, nothing lost."""
    fake, redis = service.fake, service.redis
    accepted: list[str] = []  # items whose push was answered 202
    answers: list[int] = []

    async def push_item(text: str) -> None:
        answer = await deliver(service.client, "push", push_payload(fake, *add_item(fake, text)), secret=SECRET)
        answers.append(answer.status)
        if answer.status == 202:
            accepted.append(text)

    await deliver(service.client, "push", push_payload(fake, ZERO, head(fake)), secret=SECRET)
    await until(lambda: _has(fake, ["Write the incident report for the February outage"]), "the first sync")  # the meeting is tracked from now on
    for i in range(3):
        await push_item(f"Before the outage {i}")
    redis.stop()
    for i in range(3):
        await push_item(f"During the outage {i}")
    assert answers[-3:] == [503, 503, 503]
    said = [r for r in caplog.records if "Redis unreachable" in r.getMessage() and r.name == "actionbot.service.app"]
    assert len(said) == 1  # once a minute, not once a delivery
    redis.start()
    for i in range(3):
        await push_item(f"After the outage {i}")
    assert answers[-3:] == [202, 202, 202]
    await until(service.settled, "the shared queue to drain after the restart")
    await until(lambda: _has(fake, accepted), "every accepted item's issue")
    # The refused pushes' commits are not lost either: the next push's range does not chain, so
    # its reconcile reads the whole head (bounded by `since`, which the tracked meeting sets).
    assert {f"During the outage {i}" for i in range(3)} <= set(by_title(fake))


async def _has(fake: Any, texts: list[str]) -> bool:
    return set(texts) <= set(by_title(fake))


def test_a_second_heroku_web_dyno_without_redis_says_so(caplog: Any) -> None:
    from actionbot.service.app import warn_if_replica

    assert not warn_if_replica({"DYNO": "web.1"}) and not warn_if_replica({}) and not warn_if_replica({"DYNO": "worker.3"})
    assert warn_if_replica({"DYNO": "web.2"})
    assert "several web replicas without REDIS_URL are not supported" in caplog.text


def test_cron_fields_spread_the_resync_over_the_period() -> None:
    from actionbot.service.worker import cron_fields

    assert cron_fields(6) == {"hour": {0, 6, 12, 18}, "minute": {17}, "second": {0}}
    assert cron_fields(0.5) == {"minute": {0, 30}, "second": {0}}
    assert cron_fields(2 / 3600) == {"second": set(range(0, 60, 2))}


async def test_the_shared_queue_joins_waiting_pushes_and_keeps_commands_in_order(redis_server: RedisServer) -> None:  # noqa: F811
    """The Lua scripts alone: pushes join the waiting marker, never the running one; other events keep arrival order."""
    from actionbot.service.queue import Submitted
    from actionbot.service.redisqueue import Delivery, RedisQueue

    queue = RedisQueue.from_url(redis_server.url, max_pending=3)
    try:
        def push(n: int) -> Delivery:
            return Delivery("push", f"p{n}", {"after": str(n)})

        def comment(n: int) -> Delivery:
            return Delivery("issue_comment", f"c{n}", {"comment": n})

        assert await queue.submit("o/r", push(1), coalesce=True) is Submitted.QUEUED
        assert await queue.submit("o/r", comment(1), coalesce=False) is Submitted.QUEUED
        assert await queue.submit("o/r", push(2), coalesce=True) is Submitted.JOINED  # joins push 1, ahead of comment 1
        first = await queue.take("o/r")
        assert first is not None and [d.delivery_id for d in first.deliveries] == ["p1", "p2"]
        assert await queue.submit("o/r", push(3), coalesce=True) is Submitted.QUEUED  # one is running: one more run
        assert await queue.submit("o/r", push(4), coalesce=True) is Submitted.JOINED
        assert await queue.submit("other/r", comment(9), coalesce=False) is Submitted.REFUSED  # 3 jobs: the bound
        assert (await queue.stats())["depth"] == 3 and (await queue.stats())["running"] == 1
        again = await queue.take("o/r")  # a worker that died leaves its item: taken again, counted
        assert again is not None and again.tries == 1 and [d.delivery_id for d in again.deliveries] == ["p1", "p2"]
        await queue.done("o/r")
        order = []
        while (taken := await queue.take("o/r")) is not None:
            order.append([d.delivery_id for d in taken.deliveries])
            await queue.done("o/r")
        assert order == [["c1"], ["p3", "p4"]]
        assert (await queue.stats())["depth"] == 0
        assert await queue.claim("d-1") and not await queue.claim("d-1")  # once, deployment-wide
        await queue.forget("d-1")
        assert await queue.claim("d-1")  # a failed delivery is processed again when redelivered
    finally:
        await queue.close()
