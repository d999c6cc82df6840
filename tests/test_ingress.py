"""`POST /webhook` against hostile callers: the signature before the body, bounded bodies, 400 not 500.

A caller without the secret must cost the service nothing: it is answered
before its body is read. Bodies with a well-formed signature are read in a
bounded number of slots, within a time limit. Authentic but malformed payloads
are 400. A delivery id is remembered only once its work succeeded.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import pytest
from aiohttp import web

from actionbot.service.app import make_app, service_of
from actionbot.service.ingress import HEADER_TIMEOUT, SERVER_OPTIONS, SMALL_BODY
from actionbot.service.settings import Settings
from tests.helpers import service_settings
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
)

HELD_LENGTH = 26_214_300  # just under 25 MB, as the probe sent


async def held_upload(port: int, signature: str | None, sent: int = 64 * 1024) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A connection that announces a 25 MB body, sends `sent` bytes of it and holds the rest."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [
        "POST /webhook HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
        "X-GitHub-Event: push", "X-GitHub-Delivery: held", f"Content-Length: {HELD_LENGTH}",
    ]
    if signature is not None:
        lines.append(f"X-Hub-Signature-256: {signature}")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + b" " * sent)
    await writer.drain()
    return reader, writer


async def status_line(reader: asyncio.StreamReader) -> str:
    """The answer's status line, waited for with a bound (a server still reading never answers)."""
    return (await asyncio.wait_for(reader.readline(), 10)).decode().strip()


def stub_app(settings: Settings, rec: Recorder | None = None, **limits: Any) -> web.Application:
    """The service over stub clients, never waiting, handlers recorded by `rec`; `limits` set its ingress bounds."""
    router = (rec or Recorder()).router
    return make_app(settings, clients=StubClients(), router=router, sleep=no_sleep, redeliver_on_startup=False, **limits)


@pytest.fixture
async def served(aiohttp_server: Any, aiohttp_client: Any, settings: Any) -> AsyncIterator[SimpleNamespace]:
    rec = Recorder()
    app = stub_app(settings, rec, max_bodies=1, body_timeout=5.0, body_grace=30.0)  # held bodies here are cut by the test alone
    server = await aiohttp_server(app)
    client = await aiohttp_client(server)
    writers: list[asyncio.StreamWriter] = []
    yield SimpleNamespace(port=server.port, client=client, rec=rec, service=service_of(app), writers=writers)
    for w in writers:
        w.close()


@pytest.fixture
def settings() -> Settings:
    return service_settings(SECRET)


@pytest.mark.parametrize("signature", [None, "", "sha1=" + "0" * 40, "sha256=abc", "sha256=" + "A" * 64])
async def test_unsigned_upload_is_refused_before_its_body_is_read(served: Any, signature: str | None) -> None:
    reader, writer = await held_upload(served.port, signature)
    served.writers.append(writer)
    assert (await status_line(reader)).startswith("HTTP/1.1 401")
    assert served.service.counts["rejected"] == 1


async def test_held_unsigned_uploads_never_take_a_body_slot(served: Any) -> None:
    """Several held 25 MB uploads without a signature: each refused at once, the one slot stays free."""
    for _ in range(5):
        reader, writer = await held_upload(served.port, None)
        served.writers.append(writer)
        assert (await status_line(reader)).startswith("HTTP/1.1 401")
    assert not served.service.bodies.locked()
    assert (await post(served, "push", payload(), delivery="after-held")).status == 202


async def test_bodies_are_read_in_a_bounded_number_of_slots(served: Any) -> None:
    """max_bodies=1: a second large body waits while a held one is read, then goes through;
    small deliveries have slots of their own meanwhile."""
    reader, writer = await held_upload(served.port, "sha256=" + "0" * 64)
    served.writers.append(writer)
    for _ in range(500):  # the held body takes the only slot
        if served.service.bodies.locked():
            break
        await asyncio.sleep(0.01)
    assert served.service.bodies.locked()
    assert (await post(served, "push", payload(), delivery="small")).status == 202
    second = asyncio.ensure_future(post(served, "push", payload(padding=" " * SMALL_BODY), delivery="waits"))
    for _ in range(500):
        if served.service.bodies_waiting == 1:
            break
        await asyncio.sleep(0.01)
    assert served.service.bodies_waiting == 1 and not second.done()
    writer.write(b" " * (HELD_LENGTH - 64 * 1024))  # the rest: its signature is wrong
    await writer.drain()
    assert (await status_line(reader)).startswith("HTTP/1.1 401")
    assert (await asyncio.wait_for(second, 10)).status == 202


async def test_a_body_that_never_arrives_is_cut_off(aiohttp_server: Any, settings: Any) -> None:
    app = stub_app(settings, body_timeout=0.2)
    server = await aiohttp_server(app)
    reader, writer = await held_upload(server.port, "sha256=" + "0" * 64)
    try:
        assert (await status_line(reader)).startswith("HTTP/1.1 408")
        assert not service_of(app).bodies.locked()
    finally:
        writer.close()


FORGED = "sha256=" + "0" * 64


async def stalled(port: int, framing: str, first: bytes) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A forged-signature push whose body starts (`framing`: its length or chunked header) and stops."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = ["POST /webhook HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", "X-GitHub-Event: push",
            "X-GitHub-Delivery: stalled", f"X-Hub-Signature-256: {FORGED}", framing]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + first)
    await writer.drain()
    return reader, writer


async def test_a_small_body_that_stops_coming_is_cut_off_at_the_body_timeout(aiohttp_server: Any, settings: Any) -> None:
    """Bodies up to 1 MB have no pace to keep (GitHub's are that size): the body timeout alone ends a stalled one."""
    app = stub_app(settings, body_timeout=0.2, body_grace=60.0)
    server = await aiohttp_server(app)
    reader, writer = await stalled(server.port, "Content-Length: 1000", b"{")
    try:
        assert (await status_line(reader)).startswith("HTTP/1.1 408")
    finally:
        writer.close()


async def test_a_large_body_that_stops_coming_is_cut_off_long_before_the_body_timeout(aiohttp_server: Any, settings: Any) -> None:
    """Announced 25 MB, sent 64 KB, then nothing: behind the pace after the grace, 408, the slot free again."""
    app = stub_app(settings, body_timeout=60.0, body_grace=0.2)
    server = await aiohttp_server(app)
    reader, writer = await held_upload(server.port, FORGED)
    try:
        line = (await asyncio.wait_for(reader.readline(), 10)).decode()  # 60 s would be the body timeout
        assert line.startswith("HTTP/1.1 408")
        assert not service_of(app).bodies.locked()
    finally:
        writer.close()


async def test_a_chunked_body_is_held_to_the_same_pace(aiohttp_server: Any, settings: Any) -> None:
    app = stub_app(settings, body_timeout=60.0, body_grace=0.2)
    server = await aiohttp_server(app)
    reader, writer = await stalled(server.port, "Transfer-Encoding: chunked", b"10\r\n" + b" " * 16 + b"\r\n")
    try:
        assert (await asyncio.wait_for(reader.readline(), 10)).decode().startswith("HTTP/1.1 408")
    finally:
        writer.close()


async def test_a_real_large_delivery_gets_a_slot_that_forged_holders_took(aiohttp_server: Any, aiohttp_client: Any, settings: Any) -> None:
    """Both large slots held by forged-signature uploads that stopped sending: the real 1.5 MB
    delivery waiting behind them gets a slot once they fall behind the pace, well within its time."""
    rec = Recorder()
    app = stub_app(settings, rec, max_bodies=2, body_timeout=60.0, body_grace=0.5)
    server = await aiohttp_server(app)
    client = await aiohttp_client(server)
    service = service_of(app)
    held = [await held_upload(server.port, FORGED) for _ in range(2)]
    try:
        for _ in range(500):
            if service.bodies.locked():
                break
            await asyncio.sleep(0.01)
        assert service.bodies.locked()  # both large slots taken
        body = json.dumps(payload(padding=" " * (3 * SMALL_BODY // 2))).encode()
        resp = await asyncio.wait_for(client.post("/webhook", data=body, headers=delivery_headers("push", body)), 15)
        assert resp.status == 202
        for reader, _ in held:
            assert (await status_line(reader)).startswith("HTTP/1.1 408")
        await service.queue.join()
        assert len(rec.calls) == 1
    finally:
        for _, writer in held:
            writer.close()


async def test_headers_that_never_end_are_cut_off(aiohttp_server: Any, settings: Any) -> None:
    """The header timeout is aiohttp's keep-alive timer, which `actionbot serve` sets from SERVER_OPTIONS."""
    assert SERVER_OPTIONS == {"keepalive_timeout": HEADER_TIMEOUT} and 0 < HEADER_TIMEOUT <= 30
    app = stub_app(settings)
    server = await aiohttp_server(app, **{**SERVER_OPTIONS, "keepalive_timeout": 0.2})
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(b"POST /webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nX-GitHub-Event: push\r\n")
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 10) == b""  # closed by the server
    finally:
        writer.close()


# -- authentic but malformed -------------------------------------------------------------
MALFORMED = {
    "sender is a string": json.dumps(payload(sender="alice")).encode(),
    "installation is a list": json.dumps(payload(installation=[1])).encode(),
    "repository is a string": json.dumps(payload(repository="octo/notes")).encode(),
    "installation id is a string": json.dumps(payload(installation={"id": "abc"})).encode(),
    "full_name is a number": json.dumps(payload(repository={"full_name": 7})).encode(),
    "issue is a list": json.dumps(payload(action="closed", issue=[])).encode(),
    "deep list": b"[" * 100_000 + b"]" * 100_000,
    "deep object": b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
}


@pytest.mark.parametrize("body", MALFORMED.values(), ids=MALFORMED.keys())
async def test_signed_malformed_payloads_are_400(served: Any, body: bytes) -> None:
    event = "issues" if b'"issue"' in body else "push"
    resp = await served.client.post("/webhook", data=body, headers=delivery_headers(event, body))
    assert resp.status == 400, await resp.text()
    await served.service.queue.join()
    assert served.rec.calls == [] and served.service.counts["failed"] == 0


@pytest.mark.parametrize("content_type", ["application/json; charset=no-such-codec", "application/json; charset=utf-16"])
async def test_a_signed_body_in_a_charset_that_can_not_be_read_is_400(served: Any, content_type: str) -> None:
    body = json.dumps(payload()).encode()
    headers = {**delivery_headers("push", body), "Content-Type": content_type}
    resp = await served.client.post("/webhook", data=body, headers=headers)
    assert resp.status == 400, await resp.text()
    await served.service.queue.join()
    assert served.rec.calls == []


# -- a delivery id is done only when its work succeeded --------------------------------------
async def test_a_failed_delivery_is_processed_again_when_redelivered(served: Any) -> None:
    served.rec.failures_left = 99
    assert (await post(served, "push", payload(), delivery="retry-me")).status == 202
    await served.service.queue.join()
    assert served.service.counts["failed"] == 1 and served.rec.calls == []
    served.rec.failures_left = 0
    assert (await post(served, "push", payload(), delivery="retry-me")).status == 202  # GitHub's redelivery
    await served.service.queue.join()
    assert [c[1] for c in served.rec.calls] == ["retry-me"]
    assert (await post(served, "push", payload(), delivery="retry-me")).status == 200  # done now: a duplicate


async def test_a_redelivery_while_the_first_is_queued_is_a_duplicate(served: Any) -> None:
    served.rec.gate = asyncio.Event()
    assert (await post(served, "push", payload(), delivery="twice")).status == 202
    assert (await post(served, "push", payload(), delivery="twice")).status == 200
    served.rec.gate.set()
    await served.service.queue.join()
    assert [c[1] for c in served.rec.calls] == ["twice"]



# -- the operator's page ----------------------------------------------------------------------
@pytest.mark.parametrize("auth", [None, "Bearer wrong-token-0123456789", "Basic b3BlcmF0b3I=", "Bearer "])
async def test_the_status_page_and_metrics_show_anonymous_callers_counts_only(served: Any, auth: str | None) -> None:
    served.service.settings = dataclasses.replace(served.service.settings, status_token=STATUS_TOKEN)
    data = payload(repository={"full_name": "secret-org/private-notes"}, installation={"id": 42})
    assert (await post(served, "push", data, delivery="d-private")).status == 202
    await served.service.queue.join()
    served.service.metrics.set_rate_limit(42, 4321)
    headers = {} if auth is None else {"Authorization": auth}
    for accept in ("application/json", "text/html"):
        text = await (await served.client.get("/", headers={"Accept": accept, **headers})).text()
        assert "processed" in text
        for secret in ("secret-org", "private-notes", "d-private", '"app_id"'):
            assert secret not in text
    scrape = await (await served.client.get("/metrics", headers=headers)).text()
    assert "actionbot_deliveries_total" in scrape
    assert "actionbot_rate_limit_remaining" not in scrape and "installation=" not in scrape
    full = await (await served.client.get("/", headers={"Accept": "application/json", **OPERATOR})).json()
    assert full["last_deliveries"][0]["repository"] == "secret-org/private-notes"
    assert 'installation="42"' in await (await served.client.get("/metrics", headers=OPERATOR)).text()


async def test_without_a_configured_token_nobody_sees_details(served: Any) -> None:
    served.service.settings = dataclasses.replace(served.service.settings, status_token="")
    status = await (await served.client.get("/", headers={"Accept": "application/json", "Authorization": "Bearer "})).json()
    assert "last_deliveries" not in status and "deliveries" in status
