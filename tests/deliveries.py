"""Sign and post webhook deliveries to the service the way GitHub does.

GitHub signs the raw body with HMAC-SHA256 of the webhook secret
(`X-Hub-Signature-256: sha256=<hex>`, plus the legacy SHA-1 header) and sends
the headers listed in `../shared/github/FACTS.md` section 3. Payloads come from
GitHub's example payloads in `../shared/github/webhooks/` when present, and
from our own small fixtures in `tests/fixtures/webhooks/` otherwise.

    payload = load_example("issues", "closed")
    answer = await deliver(client, "issues", payload, secret="s3cret")
    assert answer.status == 202
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.shared import SHARED, has_shared

OWN_FIXTURES = Path(__file__).parent / "fixtures" / "webhooks"
HOOK_ID = "292430182"
APP_ID = "79929171"


def sign(body: bytes, secret: str) -> str:
    """`sha256=` + hex HMAC-SHA256 of the raw body: the X-Hub-Signature-256 value."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def sign_sha1(body: bytes, secret: str) -> str:
    """The legacy X-Hub-Signature value GitHub still sends."""
    return "sha1=" + hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()


def example_path(event: str, action: str | None = None) -> Path:
    """Where the example for event[.action] lives: GitHub's when present, ours otherwise."""
    name = f"{event}.{action}.json" if action else f"{event}.json"
    if has_shared("github", "webhooks"):
        for folder in ("examples", "derived"):
            path = SHARED / "github" / "webhooks" / folder / name
            if path.exists():
                return path
    path = OWN_FIXTURES / name
    if path.exists():
        return path
    raise FileNotFoundError(
        f"no example payload {name}: neither ../shared/github/webhooks/{{examples,derived}}/ nor "
        f"{OWN_FIXTURES} has it; add a fixture there"
    )


def load_example(event: str, action: str | None = None) -> dict[str, Any]:
    """A fresh copy of the example payload (`load_example("pull_request", "closed.merged")` works too)."""
    return copy.deepcopy(json.loads(example_path(event, action).read_text()))


def delivery_headers(
    event: str,
    body: bytes,
    *,
    secret: str | None,
    delivery_id: str | None = None,
    target_type: str = "integration",
    target_id: str = APP_ID,
    content_type: str = "application/json",
) -> dict[str, str]:
    """Every header GitHub sends with a delivery (signatures only with a secret)."""
    headers = {
        "User-Agent": "GitHub-Hookshot/044aadd",
        "Content-Type": content_type,
        "X-GitHub-Event": event,
        "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
        "X-GitHub-Hook-ID": HOOK_ID,
        "X-GitHub-Hook-Installation-Target-Type": target_type,
        "X-GitHub-Hook-Installation-Target-ID": target_id,
    }
    if secret:
        headers["X-Hub-Signature"] = sign_sha1(body, secret)
        headers["X-Hub-Signature-256"] = sign(body, secret)
    return headers


@dataclass
class Delivered:
    """The service's answer to one delivery."""

    status: int
    text: str
    headers: dict[str, str]
    delivery_id: str
    sent_headers: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.text)


async def deliver(
    target: Any,
    event: str,
    payload: dict[str, Any] | bytes,
    *,
    secret: str | None,
    delivery_id: str | None = None,
    headers_override: dict[str, str | None] | None = None,
    path: str = "/webhook",
) -> Delivered:
    """POST one delivery to `target`: an aiohttp TestClient, a ClientSession
    plus URL as a tuple, or a base URL string (`http://127.0.0.1:PORT`).

    `payload` may be raw bytes (to send non-JSON); `headers_override` replaces
    headers, and a None value removes one (e.g. to drop the signature).
    """
    body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    headers = delivery_headers(event, body, secret=secret, delivery_id=delivery_id)
    for key, value in (headers_override or {}).items():
        for existing in [k for k in headers if k.lower() == key.lower()]:
            del headers[existing]
        if value is not None:
            headers[key] = value
    did = headers.get("X-GitHub-Delivery", "")
    if isinstance(target, str):
        url = target if target.rstrip("/").endswith(path) else target.rstrip("/") + path
        async with aiohttp.ClientSession() as session:
            async with session.post(url, data=body, headers=headers) as resp:
                return Delivered(resp.status, await resp.text(), dict(resp.headers), did, headers)
    if isinstance(target, tuple):
        session, url = target
        async with session.post(url.rstrip("/") + path, data=body, headers=headers) as resp:
            return Delivered(resp.status, await resp.text(), dict(resp.headers), did, headers)
    resp = await target.post(path, data=body, headers=headers)
    async with resp:
        return Delivered(resp.status, await resp.text(), dict(resp.headers), did, headers)
