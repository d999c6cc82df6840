"""A `kill -9` of `actionbot serve` loses no accepted delivery (one-process mode, ACTIONBOT_STATE_DIR).

Real processes over the fake GitHub: the first holds queued work (one job hangs
on a slow GitHub answer, three wait behind it) and is killed with SIGKILL; the
second finds the three plus the hung one in the journal, asks GitHub to
redeliver them, and processes each exactly once. The fake GitHub plays
GitHub's delivery log and its redelivery (it posts the stored payload to the
service again, signed, under the same delivery id).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import sys
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from actionbot.service.journal import Journal, JournalError, delivery_id, file_name
from tests.helpers import APP_ID
from tests.webhooks import SECRET, delivery_headers

REPO = "octo-org/notes"
TOKEN = "operator-token-crash-0123"


@pytest.fixture
def installed(fake_github: Any, app_key: tuple[str, str]) -> Any:
    fake_github.set_app(APP_ID, app_key[1])
    fake_github.add_installation(42, "octo-org")
    fake_github.add_repo(REPO, {"README.md": "hi"}, installation_id=42)
    return fake_github


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _serve(env: dict[str, str], port: int) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "actionbot", "serve", "--port", str(port), "--host", "127.0.0.1",
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def _until(check: Any, what: str, deadline: float = 20.0) -> Any:
    """Poll `check` (async, truthy when done) until it holds; fail naming `what` past the deadline."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        try:
            found = await check()
        except aiohttp.ClientError:
            found = None
        if found:
            return found
        await asyncio.sleep(0.02)
    pytest.fail(f"timed out waiting for {what}")


async def test_kill_9_then_restart_processes_every_accepted_delivery_once(
    installed: Any, app_key: tuple[str, str], tmp_path: Path
) -> None:
    key = tmp_path / "app.pem"
    key.write_text(app_key[0])
    state = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "ACTIONBOT_", "REDIS_"))}
    env.update({
        "GITHUB_APP_ID": str(APP_ID), "GITHUB_PRIVATE_KEY": str(key), "GITHUB_WEBHOOK_SECRET": SECRET,
        "GITHUB_API_URL": installed.url, "ACTIONBOT_WRITE_INTERVAL": "0", "ACTIONBOT_RESYNC_HOURS": "0",
        "ACTIONBOT_STATE_DIR": str(state), "ACTIONBOT_STATUS_TOKEN": TOKEN, "ACTIONBOT_GRACE_SECONDS": "5",
    })  # fmt: skip
    numbers = [installed.add_issue(REPO, f"ref {i}").number for i in range(4)]
    installed.fault("GET", r"/timeline$", "latency", seconds=30, times=1)  # the first job hangs there
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as session:

        async def healthy() -> bool:
            async with session.get(base + "/healthz") as r:
                return r.status == 200

        async def processed() -> int:
            async with session.get(base + "/", headers={"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}) as r:
                return int((await r.json())["deliveries"]["processed"]) >= len(numbers)

        first = await _serve(env, port)
        try:
            await _until(healthy, "the first process to listen")
            ids = []
            for n in numbers:
                issue = installed.issue_json(REPO, n) | {"state": "closed"}
                data = {"action": "closed", "issue": issue, "repository": {"full_name": REPO, "id": 1},
                        "installation": {"id": 42}, "sender": {"login": "alice", "type": "User"}}  # fmt: skip
                body = json.dumps(data).encode()
                headers = delivery_headers("issues", body)
                async with session.post(base + "/webhook", data=body, headers=headers) as r:
                    assert r.status == 202
                guid = headers["X-GitHub-Delivery"]
                ids.append(guid)  # GitHub's log: delivered, answered 202, so never redelivered by itself
                installed.add_hook_delivery("issues", "closed", status_code=202, guid=guid, installation_id=42, payload=data)

            async def hung() -> bool:
                return any(r.path.endswith("/timeline") for r in installed.requests)

            await _until(hung, "the first job to start")
            first.kill()  # SIGKILL: no drain, no put-back, nothing but what is on disk
            await first.wait()
        finally:
            if first.returncode is None:
                first.kill()
                await first.wait()
        assert sorted(delivery_id(p.name) for p in (state / "accepted").iterdir()) == sorted(ids)

        installed.webhook_target = (base + "/webhook", SECRET)
        second = await _serve(env, port)
        try:
            await _until(healthy, "the second process to listen")
            await _until(processed, "the cut-off deliveries to be processed")
            second.send_signal(signal.SIGTERM)
            _out, err = await asyncio.wait_for(second.communicate(), 15)
        finally:
            if second.returncode is None:
                second.kill()
                await second.wait()
    log = err.decode()
    assert second.returncode == 0, log[-3000:]
    for guid in ids:  # each processed once, successfully
        assert len(re.findall(rf"delivery={guid} .*outcome=ok", log)) == 1, log[-3000:]
    assert len(installed.redelivery_attempts) == len(ids)  # one redelivery asked per delivery
    assert list((state / "accepted").iterdir()) == []  # all done


def test_the_journal_keeps_ids_until_done_and_drops_what_github_can_no_longer_send(tmp_path: Path) -> None:
    now = [1_000_000.0]
    journal = Journal.open(tmp_path, clock=lambda: now[0])
    weird = "../not a uuid"
    for d in ("0b9c-41", weird, "7f00-aa"):
        journal.record(d)
    assert file_name(weird).startswith("x") and "/" not in file_name(weird)
    journal.done(["7f00-aa", "never-recorded"])
    assert sorted(journal.unfinished()) == sorted(["0b9c-41", weird])
    os.utime(tmp_path / "accepted" / "0b9c-41", (now[0] - 73 * 3600, now[0] - 73 * 3600))
    assert journal.unfinished() == [weird]  # past GitHub's 72 hours: dropped
    assert journal.unfinished() == [weird]
    journal.close()


def test_one_state_directory_serves_one_process(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path)
    with pytest.raises(JournalError, match="in use by another running actionbot"):
        Journal.open(tmp_path)
    journal.close()
    Journal.open(tmp_path).close()  # free again once closed (or its process died)


async def _stub_bot(aiohttp_client: Any, state: Path, **kw: Any) -> Any:
    from types import SimpleNamespace

    from actionbot.service.app import make_app, service_of
    from tests.helpers import service_settings
    from tests.webhooks import Recorder, StubClients, no_sleep

    rec, clients = Recorder(), StubClients()
    settings = service_settings(SECRET, state_dir=str(state))
    app = make_app(settings, clients=clients, router=rec.router, sleep=no_sleep, handler_attempts=1, **kw)
    client = await aiohttp_client(app)
    return SimpleNamespace(client=client, rec=rec, clients=clients, service=service_of(app))


async def test_a_delivery_the_disk_can_not_record_is_refused(aiohttp_client: Any, tmp_path: Path) -> None:
    from tests.webhooks import payload, post

    bot = await _stub_bot(aiohttp_client, tmp_path, redeliver_on_startup=False)
    (tmp_path / "accepted").rmdir()  # the disk refuses: never a 202 that a crash could lose
    answer = await post(bot, "issues", payload(action="closed"))
    assert answer.status == 503
    await bot.service.queue.join()
    assert bot.rec.calls == []


async def test_work_that_ended_leaves_the_journal_whether_it_succeeded_or_failed(aiohttp_client: Any, tmp_path: Path) -> None:
    from tests.webhooks import payload, post

    bot = await _stub_bot(aiohttp_client, tmp_path, redeliver_on_startup=False)
    bot.rec.failures_left, bot.rec.failure = 1, ValueError("a bug")
    for _ in range(2):
        assert (await post(bot, "issues", payload(action="closed"))).status == 202
    await bot.service.queue.join()
    assert bot.service.counts["failed"] == 1 and bot.service.counts["processed"] == 1
    assert list((tmp_path / "accepted").iterdir()) == []


async def test_the_resyncs_start_up_pass_redelivers_what_a_crash_cut_off(aiohttp_client: Any, tmp_path: Path) -> None:
    journal = Journal.open(tmp_path)
    journal.record("cut-0ff")
    journal.close()
    from actionbot.service.app import make_app
    from tests.helpers import service_settings
    from tests.webhooks import Recorder, StubClients

    clients = StubClients()
    clients.hook_deliveries = [
        {"id": 7, "guid": "cut-0ff", "status_code": 202, "delivered_at": "2026-01-01T00:00:00Z"},
        {"id": 8, "guid": "done-1", "status_code": 202, "delivered_at": "2026-01-01T00:00:01Z"},
    ]
    async def until_cancelled(seconds: float) -> None:  # the resync's next pass never comes
        await asyncio.Event().wait()

    settings = service_settings(SECRET, state_dir=str(tmp_path))
    app = make_app(settings, clients=clients, router=Recorder().router, sleep=until_cancelled, resync_hours=1)
    await aiohttp_client(app)

    async def asked() -> list[int]:
        return clients.redelivered

    assert await _until(asked, "the start-up redelivery") == [7]  # the cut-off one only


# -- follow-up work: a delivery's handler may queue more (a `sync` command's reply, a first sync) --
async def _following_bot(aiohttp_client: Any, state: Path) -> Any:
    """A service whose one handler queues a follow-up job (as `@actionbot sync` queues its reply),
    which waits at `bot.gate`; `bot.replied` lists the deliveries whose follow-up ran."""
    from types import SimpleNamespace

    from gidgethub import routing

    from actionbot.service.app import make_app, service_of
    from tests.helpers import service_settings
    from tests.webhooks import StubClients, no_sleep

    bot = SimpleNamespace(gate=asyncio.Event(), replied=[], clients=StubClients())
    router = routing.Router()

    async def handle(event: Any, gh: Any, ctx: Any) -> None:
        async def reply() -> None:
            await bot.gate.wait()
            bot.replied.append(event.delivery_id)

        assert ctx.enqueue("octo/notes", reply)

    router.add(handle, "issue_comment", action="created")
    settings = service_settings(SECRET, state_dir=str(state))
    app = make_app(settings, clients=bot.clients, router=router, sleep=no_sleep, redeliver_on_startup=False)
    bot.client = await aiohttp_client(app)
    bot.service = service_of(app)
    return bot


async def _handler_ended(bot: Any, delivery: str) -> None:
    from tests.webhooks import payload, post

    assert (await post(bot, "issue_comment", payload(action="created"), delivery=delivery)).status == 202

    async def handled() -> bool:
        return bool(bot.service.counts["processed"] == 1)

    await _until(handled, "the handler to end")


def _journalled(state: Path) -> list[str]:
    return sorted(delivery_id(p.name) for p in (state / "accepted").iterdir())


async def test_a_delivery_stays_journalled_until_the_follow_up_work_it_queued_ended(aiohttp_client: Any, tmp_path: Path) -> None:
    """Its handler ended, its reply is still queued: a kill -9 now must not lose the reply (no resync writes it)."""
    bot = await _following_bot(aiohttp_client, tmp_path)
    await _handler_ended(bot, "say-it")
    assert _journalled(tmp_path) == ["say-it"] and bot.replied == []
    bot.gate.set()
    await bot.service.queue.join()
    assert bot.replied == ["say-it"] and _journalled(tmp_path) == []


async def test_follow_up_work_cut_off_by_shutdown_is_put_back_and_stays_journalled(aiohttp_client: Any, tmp_path: Path) -> None:
    bot = await _following_bot(aiohttp_client, tmp_path)
    await _handler_ended(bot, "say-it")
    bot.clients.hook_deliveries = [{"id": 5, "guid": "say-it", "status_code": 202, "delivered_at": "2026-01-01T00:00:00Z"}]
    await bot.service.shutdown(grace=0.05)  # the reply never got past its gate
    assert bot.replied == [] and bot.clients.redelivered == [5]
    assert _journalled(tmp_path) == ["say-it"]


@pytest.mark.parametrize("resync_hours", [0, 1], ids=["redelivery-pass", "resync-start-up-pass"])
async def test_the_start_up_redelivery_waits_until_the_server_listens(aiohttp_client: Any, tmp_path: Path, resync_hours: float) -> None:
    """aiohttp runs start-up hooks before it binds the socket: a delivery resent before then would find no server."""
    from actionbot.service.app import make_app
    from tests.helpers import service_settings
    from tests.webhooks import Recorder, StubClients

    journal = Journal.open(tmp_path)
    journal.record("cut-0ff")
    journal.close()
    clients = StubClients()
    clients.hook_deliveries = [{"id": 7, "guid": "cut-0ff", "status_code": 202, "delivered_at": "2026-01-01T00:00:00Z"}]

    async def until_cancelled(seconds: float) -> None:  # the resync's next pass never comes
        await asyncio.Event().wait()

    listening = asyncio.Event()
    settings = service_settings(SECRET, state_dir=str(tmp_path))
    app = make_app(settings, clients=clients, router=Recorder().router, sleep=until_cancelled,
                   resync_hours=resync_hours, listening=listening)
    await aiohttp_client(app)
    for _ in range(50):  # every ready task runs: the pass would have asked by now
        await asyncio.sleep(0)
    assert clients.redelivered == []
    listening.set()

    async def asked() -> list[int]:
        return clients.redelivered

    assert await _until(asked, "the start-up redelivery") == [7]
