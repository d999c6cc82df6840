"""The webhook route's contract: verified first, answered fast, each delivery processed once.

These tests drive the aiohttp app with a stub GitHub (no network): what the
service answers and what it hands to handlers. Behaviour against the fake
GitHub over real HTTP (tokens, redelivery, SIGTERM) is in test_github.py,
test_redeliver.py and the `actionbot serve` tests at the end of this file (its
SIGTERM test runs the command as a process, its smoke test), among them
`serve`'s one end-to-end test (a push opens issues, a comment command closes one).
"""

from __future__ import annotations

import asyncio
import http
import itertools
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from gidgethub import BadRequest, routing, sansio

from actionbot.service.app import make_app, service_of
from actionbot.service.ingress import MAX_BODY
from actionbot.service.settings import Settings
from tests.clirun import InProcessCLI
from tests.deliveries import payload_for
from tests.helpers import APP_ID, Sleeper, service_settings
from tests.shared import has_shared, shared_path
from tests.syncenv import by_title, head, logins
from tests.syncenv import push_payload as notes_push
from tests.webhooks import (
    OPERATOR,
    SECRET,
    STATUS_TOKEN,
    Recorder,
    StubClients,
    delivery_headers,
    no_sleep,
    payload,
    post,
    sign,
)

FACTS_SIG = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
FACTS_SHA1 = "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59"

ROUTED = {("push", None), ("installation", "created"), ("installation", "deleted"),
          ("installation_repositories", "added"), ("issue_comment", "created"),
          ("issues", "closed"), ("issues", "reopened"), ("pull_request", "closed")}


@pytest.fixture
def settings() -> Settings:
    return service_settings(SECRET, status_token=STATUS_TOKEN)


@pytest.fixture
async def bot(aiohttp_client: Any, settings: Any) -> Any:
    rec = Recorder()
    clients = StubClients()
    app = make_app(settings, clients=clients, router=rec.router, sleep=no_sleep, redeliver_on_startup=False)
    client = await aiohttp_client(app)
    return SimpleNamespace(client=client, rec=rec, clients=clients, service=service_of(app))


# -- signatures ------------------------------------------------------------------
def test_github_published_test_vector() -> None:
    body = b"Hello, World!"
    assert sign(body) == FACTS_SIG
    sansio.validate_event(body, signature=FACTS_SIG, secret=SECRET)  # gidgethub agrees


async def test_vector_signature_passes_then_body_is_not_json(bot: Any) -> None:
    headers = {"X-GitHub-Event": "push", "X-GitHub-Delivery": "d1", "Content-Type": "application/json",
               "X-Hub-Signature-256": FACTS_SIG}
    resp = await bot.client.post("/webhook", data=b"Hello, World!", headers=headers)
    assert resp.status == 400  # authentic (not 401) but not JSON
    headers["X-Hub-Signature-256"] = FACTS_SIG[:-1] + "f"
    resp = await bot.client.post("/webhook", data=b"Hello, World!", headers=headers)
    assert resp.status == 401


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no signature at all
        {"X-Hub-Signature": FACTS_SHA1},  # legacy sha1 only, even though correct
        {"X-Hub-Signature-256": FACTS_SHA1},  # wrong algorithm in the sha256 header
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"},
        {"X-Hub-Signature-256": "sha512=abc"},
    ],
)
async def test_bad_missing_or_wrong_algorithm_signature_is_401(bot: Any, headers: dict[str, str]) -> None:
    body = b"Hello, World!"
    base = {"X-GitHub-Event": "push", "X-GitHub-Delivery": "d2", "Content-Type": "application/json"}
    resp = await bot.client.post("/webhook", data=body, headers={**base, **headers})
    assert resp.status == 401
    assert bot.clients.requests == [] and bot.rec.calls == []


async def test_wrong_secret_is_401(bot: Any) -> None:
    resp = await post(bot, "push", payload(), secret="not the secret")
    assert resp.status == 401


async def test_missing_event_header_is_400(bot: Any) -> None:
    body = json.dumps(payload()).encode()
    headers = delivery_headers("push", body)
    del headers["X-GitHub-Event"]
    resp = await bot.client.post("/webhook", data=body, headers=headers)
    assert resp.status == 400


async def test_non_json_is_400(bot: Any) -> None:
    resp = await post(bot, "push", b"{not json")
    assert resp.status == 400
    resp = await post(bot, "push", b"[1, 2]")
    assert resp.status == 400


async def test_oversized_body_is_413(bot: Any) -> None:
    body = b"{" + b" " * MAX_BODY + b"}"
    resp = await bot.client.post("/webhook", data=body, headers=delivery_headers("push", body))
    assert resp.status == 413

    async def chunks():  # no Content-Length: the read stops it past 25 MB
        for _ in range(26):
            yield b" " * (1024 * 1024)

    headers = delivery_headers("push", b"")
    resp = await bot.client.post("/webhook", data=chunks(), headers=headers)
    assert resp.status == 413


# -- routing ------------------------------------------------------------------------
async def test_ping_is_200(bot: Any) -> None:
    resp = await post(bot, "ping", {"zen": "Keep it logically awesome.", "hook_id": 1})
    assert resp.status == 200 and (await resp.json())["msg"] == "pong"


async def test_unknown_event_and_action_are_ignored(bot: Any) -> None:
    resp = await post(bot, "deployment_status", payload())
    assert resp.status == 200 and "ignored" in await resp.text()
    resp = await post(bot, "issue_comment", payload(action="deleted"))
    assert resp.status == 200 and "ignored" in await resp.text()
    assert bot.clients.requests == []


async def test_bot_senders_are_ignored(bot: Any) -> None:
    data = payload(sender={"login": "actionbot[bot]", "type": "Bot"})
    resp = await post(bot, "push", data)
    assert resp.status == 200 and "bot" in await resp.text()
    await bot.service.queue.join()
    assert bot.rec.calls == []


async def test_accepted_delivery_is_202_and_dispatched_with_client_and_context(bot: Any) -> None:
    resp = await post(bot, "push", payload(), delivery="abc-1")
    assert resp.status == 202
    await bot.service.queue.join()
    [(event, delivery, gh)] = bot.rec.calls
    assert (event, delivery, gh.installation_id) == ("push", "abc-1", 42)
    assert bot.service.counts["processed"] == 1


async def test_same_delivery_twice_is_processed_once(bot: Any) -> None:
    first = await post(bot, "push", payload(), delivery="same-id")
    await bot.service.queue.join()
    second = await post(bot, "push", payload(), delivery="same-id")
    await bot.service.queue.join()
    assert (first.status, second.status) == (202, 200)
    assert len(bot.rec.calls) == 1
    assert bot.clients.requests == [42]  # the redelivery caused no GitHub request


async def test_queue_full_is_503(aiohttp_client: Any, settings: Any) -> None:
    rec = Recorder()
    rec.gate = asyncio.Event()
    app = make_app(settings, clients=StubClients(), router=rec.router, sleep=no_sleep,
                   redeliver_on_startup=False, max_queue=2)
    client = await aiohttp_client(app)
    bot = SimpleNamespace(client=client)
    comment = payload(action="created")
    statuses = [(await post(bot, "issue_comment", comment)).status for _ in range(3)]
    assert statuses == [202, 202, 503]  # the bound counts jobs: each command is one
    rec.gate.set()
    await service_of(app).queue.join()
    assert len(rec.calls) == 2


async def test_a_burst_of_pushes_to_one_repository_is_one_job_and_never_refused(aiohttp_client: Any, settings: Any) -> None:
    rec = Recorder()
    rec.gate = asyncio.Event()
    app = make_app(settings, clients=StubClients(), router=rec.router, sleep=no_sleep,
                   redeliver_on_startup=False, max_queue=2)
    client = await aiohttp_client(app)
    bot = SimpleNamespace(client=client)
    push = payload(ref="refs/heads/main", repository={"full_name": "octo/notes", "default_branch": "main"})
    shas = [f"{i:040x}" for i in range(12)]
    answers = [await post(bot, "push", push | {"before": a, "after": b, "commits": []}) for a, b in itertools.pairwise(shas)]
    assert [a.status for a in answers] == [202] * 11  # the first runs (held at the gate), the rest join one waiting job
    rec.gate.set()
    await service_of(app).queue.join()
    assert len(rec.calls) == 2
    service = service_of(app)
    assert (service.counts["accepted"], service.counts["coalesced"], service.counts["processed"]) == (11, 9, 2)


async def test_handler_failure_is_retried_then_counted_failed(bot: Any, caplog: Any) -> None:
    bot.rec.failures_left = 1
    assert (await post(bot, "push", payload(), delivery="flaky")).status == 202
    await bot.service.queue.join()
    assert len(bot.rec.calls) == 1 and bot.service.counts["processed"] == 1

    bot.rec.failures_left = 99
    assert (await post(bot, "push", payload(), delivery="broken")).status == 202
    await bot.service.queue.join()
    assert bot.service.counts["failed"] == 1
    assert any("broken" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)
    assert bot.rec.failures_left == 99 - 3  # bounded: handler_attempts


async def test_a_permanent_error_is_not_retried(bot: Any) -> None:
    bot.rec.failures_left = 5
    bot.rec.failure = BadRequest(http.HTTPStatus(404), "Not Found")
    assert (await post(bot, "push", payload(), delivery="gone")).status == 202
    await bot.service.queue.join()
    assert bot.rec.failures_left == 4 and bot.service.counts["failed"] == 1


async def test_one_log_line_per_delivery(bot: Any, caplog: Any) -> None:
    caplog.set_level("INFO", logger="actionbot")
    await post(bot, "push", payload(), delivery="logged-1")
    await bot.service.queue.join()
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("delivery ")]
    assert len(lines) == 1
    for part in ("delivery=logged-1", "event=push", "repository=octo/notes", "installation=42",
                 "outcome=ok", "ms=", "github_requests=", "rate_limit_remaining=4999"):
        assert part in lines[0]


# -- every official example payload ---------------------------------------------------
def example_files() -> list[Path]:
    if not has_shared("github", "webhooks", "examples"):
        return []
    root = shared_path("github", "webhooks", "examples")
    return sorted(root.glob("*.json")) + sorted(root.glob("official/*.json")) + sorted(root.glob("variants/*.json"))


@pytest.mark.skipif(not has_shared("github", "webhooks", "examples"), reason="needs ../shared/github/webhooks")
async def test_every_example_payload_is_accepted_and_routed_or_ignored(bot: Any) -> None:
    files = example_files()
    assert len(files) >= 40
    expected_calls = 0
    for path in files:
        event = path.name.split(".")[0]
        body = path.read_bytes()
        data = json.loads(body)
        resp = await bot.client.post("/webhook", data=body, headers=delivery_headers(event, body))
        routed = (event, data.get("action")) in ROUTED
        if event == "ping":
            want = 200
        elif routed and data.get("installation") and data["sender"]["type"] != "Bot":
            want = 202
            expected_calls += 1
        else:
            want = 200
        assert resp.status == want, f"{path.name}: {resp.status} {await resp.text()}"
    await bot.service.queue.join()
    assert len(bot.rec.calls) == expected_calls > 10
    assert bot.service.counts["failed"] == 0


# -- operators ---------------------------------------------------------------------------
async def test_healthz_and_index(bot: Any) -> None:
    resp = await bot.client.get("/healthz")
    assert resp.status == 200 and (await resp.json())["ok"] is True
    await post(bot, "push", payload(), delivery="shown")
    await bot.service.queue.join()
    resp = await bot.client.get("/", headers={"Accept": "application/json", **OPERATOR})
    status = await resp.json()
    assert status["name"] == "actionbot" and status["app_id"] == "1"
    assert status["deliveries"]["accepted"] == 1 and status["deliveries"]["processed"] == 1
    assert status["queue_depth"] == 0 and status["last_deliveries"][0]["delivery_id"] == "shown"
    resp = await bot.client.get("/", headers=OPERATOR)
    assert resp.content_type == "text/html" and "shown" in await resp.text()
    assert bot.clients.requests == [42]  # the pages made no GitHub request


async def test_shutdown_refuses_new_deliveries_and_drains(bot: Any) -> None:
    bot.rec.gate = asyncio.Event()
    assert (await post(bot, "push", payload(), delivery="q1")).status == 202
    assert (await post(bot, "push", payload(), delivery="q2")).status == 202
    asyncio.get_running_loop().call_soon(bot.rec.gate.set)
    unfinished = await bot.service.shutdown(grace=5)
    assert unfinished == [] and [c[1] for c in bot.rec.calls] == ["q1", "q2"]
    assert (await post(bot, "push", payload(), delivery="q3")).status == 503


async def test_shutdown_grace_runs_out_and_reports_unfinished(bot: Any) -> None:
    bot.rec.gate = asyncio.Event()  # never set
    await post(bot, "push", payload(), delivery="stuck")
    unfinished = await bot.service.shutdown(grace=0.05)
    assert len(unfinished) == 1 and "stuck" in unfinished[0]


async def test_work_cut_off_by_shutdown_is_put_back_for_redelivery(bot: Any) -> None:
    """GitHub saw 202s: without this, a queued push (an old meeting's, beyond the resync's look-back) is lost."""
    assert (await post(bot, "installation", payload(action="created"), delivery="done-before")).status == 202
    await bot.service.queue.join()
    bot.rec.gate = asyncio.Event()  # never set: the running job is cancelled, the queued one never starts
    for delivery in ("cut-running", "cut-queued"):
        assert (await post(bot, "issues", payload(action="closed"), delivery=delivery)).status == 202
    bot.clients.hook_deliveries = [
        {"id": 1, "guid": "cut-running", "status_code": 202, "delivered_at": "2025-01-01T10:00:00Z"},
        {"id": 2, "guid": "cut-queued", "status_code": 202, "delivered_at": "2025-01-01T10:00:01Z"},
        {"id": 3, "guid": "done-before", "status_code": 202, "delivered_at": "2025-01-01T10:00:02Z"},
    ]
    await bot.service.shutdown(grace=0.05)
    assert bot.clients.redelivered == [1, 2]


def test_start_up_redelivers_what_was_put_back() -> None:
    """The put-back redelivery reached a draining service (503): the next start sends it again."""
    from actionbot.github.redeliver import to_redeliver

    attempts = [
        {"id": 1, "guid": "cut", "status_code": 202, "delivered_at": "2025-01-01T10:00:00Z"},
        {"id": 7, "guid": "cut", "status_code": 503, "delivered_at": "2025-01-01T10:05:00Z"},
        {"id": 2, "guid": "fine", "status_code": 202, "delivered_at": "2025-01-01T10:00:01Z"},
    ]
    assert to_redeliver(attempts) == [7]


def test_service_refuses_to_exist_without_secret() -> None:
    with pytest.raises(ValueError, match="GITHUB_WEBHOOK_SECRET"):
        make_app(service_settings(""), clients=StubClients(), router=routing.Router())


# -- against the fake GitHub: real AppClients, real HTTP ---------------------------------------


@pytest.fixture
def installed(fake_github: Any, app_key: tuple[str, str]) -> Any:
    fake_github.set_app(APP_ID, app_key[1])
    fake_github.add_installation(42, "octo-org")
    fake_github.add_repo("octo-org/notes", {"README.md": "hi"}, installation_id=42)
    fake_github.add_repo("octo-org/other", {"README.md": "hi"}, installation_id=42)
    return fake_github


async def test_n_deliveries_for_one_installation_cost_one_token_request(
    aiohttp_client: Any, installed: Any, app_key: tuple[str, str], settings: Any
) -> None:
    import aiohttp

    from actionbot.github.app import AppClients

    router = routing.Router()
    seen: list[str] = []

    @router.register("push")
    async def on_push(event: sansio.Event, gh: Any, ctx: Any) -> None:
        repo = event.data["repository"]["full_name"]
        await gh.get_repo(repo)
        seen.append(event.delivery_id)

    async with aiohttp.ClientSession() as session:
        clients = AppClients(session, app_id=str(APP_ID), private_key=app_key[0], api_url=installed.url,
                             write_interval=0, sleep=Sleeper())
        app = make_app(settings, clients=clients, router=router, sleep=no_sleep, redeliver_on_startup=False)
        client = await aiohttp_client(app)
        bot = SimpleNamespace(client=client)
        for i in range(12):
            data = payload(repository={"full_name": ["octo-org/notes", "octo-org/other"][i % 2]})
            assert (await post(bot, "push", data)).status == 202
        await service_of(app).queue.join()
    assert len(seen) == 12
    assert installed.token_requests == [42]


async def test_startup_redelivery_errors_never_stop_the_service(
    aiohttp_client: Any, installed: Any, app_key: tuple[str, str], settings: Any, caplog: Any
) -> None:
    import aiohttp

    from actionbot.github.app import AppClients

    installed.fault("GET", "/app/hook/deliveries", "status", status=500, times=100)
    rec = Recorder()
    async with aiohttp.ClientSession() as session:
        clients = AppClients(session, app_id=str(APP_ID), private_key=app_key[0], api_url=installed.url,
                             write_interval=0, sleep=Sleeper())
        app = make_app(settings, clients=clients, router=rec.router, sleep=no_sleep)
        client = await aiohttp_client(app)
        service = service_of(app)
        while service.background:  # noqa: ASYNC110  (the service has no event for "start-up tasks done")
            await asyncio.sleep(0.01)
        assert (await post(SimpleNamespace(client=client), "push", payload())).status == 202
        await service.queue.join()
    assert len(rec.calls) == 1
    assert any("start-up task failed" in r.getMessage() for r in caplog.records)


# -- `actionbot serve` as a process ------------------------------------------------------------
def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_env(fake: Any, key_path: Any, **extra: str) -> dict[str, str]:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "ACTIONBOT_"))}
    env.update({"GITHUB_APP_ID": str(APP_ID), "GITHUB_PRIVATE_KEY": str(key_path), "GITHUB_WEBHOOK_SECRET": SECRET,
                "GITHUB_API_URL": fake.url, "LOG_LEVEL": "DEBUG", "ACTIONBOT_WRITE_INTERVAL": "0"})
    env.update(extra)
    return env


@pytest.mark.parametrize("secret", [None, ""])
async def test_serve_refuses_to_start_without_a_secret(installed: Any, app_key: Any, tmp_path: Any, secret: Any,
                                                       cli_main: InProcessCLI) -> None:
    key = tmp_path / "app.pem"
    key.write_text(app_key[0])
    env = serve_env(installed, key, PORT=str(free_port()))
    if secret is None:
        del env["GITHUB_WEBHOOK_SECRET"]
    else:
        env["GITHUB_WEBHOOK_SECRET"] = secret
    code, _out, err = await asyncio.wait_for(cli_main.arun("serve", env=env), 20)
    assert code != 0
    assert "GITHUB_WEBHOOK_SECRET" in err
    assert installed.requests == []


async def test_serve_sigterm_drains_queued_work_and_exits_0(installed: Any, app_key: Any, tmp_path: Any) -> None:
    import signal
    import sys

    import aiohttp

    key = tmp_path / "app.pem"
    key.write_text(app_key[0])
    numbers = [installed.add_issue("octo-org/notes", f"ref {i}").number for i in range(4)]
    installed.fault("GET", r"/timeline$", "latency", seconds=0.3, times=100)
    port = free_port()
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "actionbot", "serve", "--port", str(port), "--host", "127.0.0.1",
        env=serve_env(installed, key), stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as session:
            for _ in range(200):
                try:
                    async with session.get(base + "/healthz") as r:
                        if r.status == 200:
                            break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.05)
            ids = []
            for n in numbers:
                issue = installed.issue_json("octo-org/notes", n)
                issue["state"] = "closed"
                data = {"action": "closed", "issue": issue, "repository": {"full_name": "octo-org/notes",
                        "html_url": "https://github.com/octo-org/notes", "id": 1},
                        "installation": {"id": 42}, "sender": {"login": "alice", "type": "User"}}
                body = json.dumps(data).encode()
                headers = delivery_headers("issues", body)
                async with session.post(base + "/webhook", data=body, headers=headers) as r:
                    assert r.status == 202
                ids.append(headers["X-GitHub-Delivery"])
            proc.send_signal(signal.SIGTERM)
            await asyncio.sleep(0.2)
            body = json.dumps(payload()).encode()
            async with session.post(base + "/webhook", data=body, headers=delivery_headers("issues", body)) as r:
                assert r.status == 503  # draining: no new work
        _out, err = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    text = err.decode()
    assert proc.returncode == 0, text[-3000:]
    for delivery in ids:
        assert f"delivery={delivery}" in text and "outcome=" in text
    assert "unfinished=0" in text
    lines = [ln for ln in text.splitlines() if "logger=actionbot.service.app delivery " in ln]
    assert len(lines) == 4
    # started with the key's fingerprint and never printed a secret, at DEBUG
    assert 'key_fingerprint="SHA256:' in text
    tokens = {r.token for r in installed.requests if r.token}
    assert tokens
    for secret in [*tokens, SECRET, "PRIVATE KEY", app_key[0].splitlines()[1]]:
        assert secret not in text


# -- end to end: `serve`'s one whole path, signed deliveries to issues over the HTTP fake -----


async def test_end_to_end_a_push_opens_issues_and_a_comment_command_closes_one(service: Any) -> None:
    """The service as deployed (signed webhook, App token, queue, handlers, client) against the
    fake GitHub over HTTP. Handler behaviour in detail is tested in memory (test_handlers_*.py)."""
    fake = service.fake
    answer = await service.send("push", notes_push(fake, "0" * 40, head(fake)))
    assert answer.status == 202
    issues = by_title(fake)
    assert len(issues) == 9
    incident = issues["Write the incident report for the February outage"]
    assert logins(incident) == ["carol"] and incident["state"] == "open"
    assert [r["conclusion"] for r in fake.check_runs("octo-org/notes")] == ["success"]
    assert 42 in fake.token_requests  # an installation token minted for the work

    comment = fake.add_comment("octo-org/notes", incident["number"], "@actionbot done", user="carol")
    data = payload_for(fake, "issue_comment", "created", "octo-org/notes", number=incident["number"],
                       comment_id=comment.id, sender="carol")
    answer = await service.send("issue_comment", data)
    assert answer.status == 202
    closed = fake.issue_json("octo-org/notes", incident["number"])
    assert (closed["state"], closed["state_reason"]) == ("closed", "completed")
    assert [r["content"] for r in fake.reactions("octo-org/notes", comment_id=comment.id)] == ["+1"]
