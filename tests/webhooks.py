"""Webhook helpers shared by the service tests: a secret, signed deliveries, a stub router and clients."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http
import json
import uuid
from types import SimpleNamespace
from typing import Any

from gidgethub import GitHubBroken, routing, sansio

SECRET = "It's a Secret to Everybody"
STATUS_TOKEN = "operator-token-0123456789"
OPERATOR = {"Authorization": f"Bearer {STATUS_TOKEN}"}


def sign(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def delivery_headers(event: str, body: bytes, *, delivery: str | None = None, secret: str = SECRET) -> dict[str, str]:
    return {
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery or str(uuid.uuid4()),
        "X-Hub-Signature-256": sign(body, secret),
        "Content-Type": "application/json",
        "User-Agent": "GitHub-Hookshot/test",
    }


def payload(event: str = "push", **extra: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "repository": {"full_name": "octo/notes"},
        "installation": {"id": 42},
        "sender": {"login": "alice", "type": "User"},
    }
    data.update(extra)
    return data


class StubClients:
    """Stands in for AppClients: counts token/client requests, never touches a network."""

    def __init__(self) -> None:
        self.requests: list[int] = []
        self.hook_deliveries: list[dict[str, Any]] = []  # what GET /app/hook/deliveries lists
        self.redelivered: list[int] = []

    async def for_installation(self, installation_id: int) -> Any:
        self.requests.append(installation_id)
        return SimpleNamespace(installation_id=installation_id, rate_limit_remaining=4999)

    async def app_client(self) -> Any:
        async def list_hook_deliveries(since: float | None = None) -> list[dict[str, Any]]:
            return self.hook_deliveries

        async def redeliver(delivery_id: int) -> None:
            self.redelivered.append(delivery_id)

        return SimpleNamespace(list_hook_deliveries=list_hook_deliveries, redeliver=redeliver)


class Recorder:
    def __init__(self) -> None:
        self.router = routing.Router()
        self.calls: list[tuple[str, str, Any]] = []
        self.gate: asyncio.Event | None = None
        self.failures_left = 0
        self.failure: Exception = GitHubBroken(http.HTTPStatus(502))

        async def handle(event: sansio.Event, gh: Any, ctx: Any) -> None:
            if self.gate is not None:
                await self.gate.wait()
            if self.failures_left:
                self.failures_left -= 1
                raise self.failure
            ctx.note(f"handled {event.event}")
            self.calls.append((event.event, event.delivery_id, gh))

        for ev in ("push", "installation", "installation_repositories"):
            self.router.add(handle, ev)
        self.router.add(handle, "issue_comment", action="created")
        self.router.add(handle, "issues", action="closed")
        self.router.add(handle, "issues", action="reopened")
        self.router.add(handle, "pull_request", action="closed")



async def no_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


async def post(bot: Any, event: str, data: Any, **kw: Any) -> Any:
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    headers = delivery_headers(event, body, **kw)
    return await bot.client.post("/webhook", data=body, headers=headers)
