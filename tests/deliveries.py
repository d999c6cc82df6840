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
        async with aiohttp.ClientSession() as session, session.post(url, data=body, headers=headers) as resp:
            return Delivered(resp.status, await resp.text(), dict(resp.headers), did, headers)
    if isinstance(target, tuple):
        session, url = target
        async with session.post(url.rstrip("/") + path, data=body, headers=headers) as resp:
            return Delivered(resp.status, await resp.text(), dict(resp.headers), did, headers)
    resp = await target.post(path, data=body, headers=headers)
    async with resp:
        return Delivered(resp.status, await resp.text(), dict(resp.headers), did, headers)


# ---------------------------------------------------------------- payloads from the fake's state

ZEROS = "0" * 40


def _context(fake: Any, full_name: str, sender: str, sender_type: str) -> dict[str, Any]:
    from tests.fakegithub import render

    repo = fake.repo(full_name)
    out: dict[str, Any] = {
        "repository": render.repo(fake.url, repo, full=False),
        "sender": render.user(fake.url, sender, sender_type),
    }
    if repo.installation_id is not None:
        out["installation"] = {"id": repo.installation_id, "node_id": f"MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u{repo.installation_id}"}
    return out


def payload_for(
    fake: Any,
    event: str,
    action: str,
    full_name: str,
    *,
    number: int | None = None,
    comment_id: int | None = None,
    sender: str = "alice",
    sender_type: str = "User",
    changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An `issues`, `pull_request` or `issue_comment` delivery (or any event
    with only repository/sender/installation) in GitHub's shape, holding the
    fake's current objects, so a handler that reads the payload and then the
    API sees one consistent world.

        fake.merge_pull(REPO, 7, by="minrk")
        payload = payload_for(fake, "pull_request", "closed", REPO, number=7, sender="minrk")
    """
    from tests.fakegithub import render
    from tests.fakegithub.server import render_pull

    suffix = "closed.merged" if event == "pull_request" and action == "closed" else action
    try:
        payload = load_example(event, suffix)
    except FileNotFoundError:
        payload = load_example(event, action) if action else {}
    payload["action"] = action
    payload.update(_context(fake, full_name, sender, sender_type))
    if "installation" not in payload or fake.repo(full_name).installation_id is None:
        payload.pop("installation", None)
    repo = fake.repo(full_name)
    if event in ("issues", "issue_comment") and number is not None:
        payload["issue"] = render.issue(fake.url, fake, fake.issue(full_name, number))
    if event == "pull_request" and number is not None:
        payload["number"] = number
        payload["pull_request"] = render_pull(fake, repo, fake.issue(full_name, number))
    if event == "issue_comment" and comment_id is not None:
        payload["comment"] = render.comment(fake.url, fake, fake.comment(comment_id))
    if changes is not None:
        payload["changes"] = changes
    else:
        payload.pop("changes", None)
    return payload


def push_payload(
    fake: Any,
    full_name: str,
    *,
    before: str,
    after: str,
    ref: str | None = None,
    sender: str = "alice",
) -> dict[str, Any]:
    """The `push` delivery GitHub sends for moving `ref` from `before` to
    `after` (commits oldest first with added/removed/modified; a rename shows
    as removed + added, as in real push payloads). `before`/`after` may be
    40 zeros for a created/deleted branch."""
    from tests.fakegithub.server import ancestors

    repo = fake.repo(full_name)
    ref = ref or f"refs/heads/{repo.default_branch}"
    payload = load_example("push")
    payload.update(_context(fake, full_name, sender, "User"))
    payload["repository"]["pushed_at"] = int(fake.clock.now().timestamp())
    payload["repository"]["created_at"] = int(repo.created_at.timestamp())
    payload["repository"]["owner"].update({"name": repo.owner, "email": None})
    payload["repository"].update({"master_branch": repo.default_branch, "stargazers": 0})
    old = set(ancestors(repo, before)) if before != ZEROS else set()
    chain = [s for s in ancestors(repo, after) if s not in old] if after != ZEROS else []
    commits = []
    for sha in reversed(chain):
        c = repo.commits[sha]
        parent = repo.commits[c.parents[0]].tree if c.parents else {}
        when = c.date.strftime("%Y-%m-%dT%H:%M:%SZ")
        person = {"name": c.author, "email": f"{c.author}@users.noreply.github.com", "username": c.author}
        commits.append(
            {
                "id": sha,
                "tree_id": c.tree_sha,
                "distinct": True,
                "message": c.message,
                "timestamp": when,
                "url": f"{repo.html_url}/commit/{sha}",
                "author": person,
                "committer": person,
                "added": sorted(p for p in c.tree if p not in parent),
                "removed": sorted(p for p in parent if p not in c.tree),
                "modified": sorted(p for p in c.tree if p in parent and parent[p] != c.tree[p]),
            }
        )
    payload.update(
        {
            "ref": ref,
            "before": before,
            "after": after,
            "created": before == ZEROS,
            "deleted": after == ZEROS,
            "forced": False,
            "base_ref": None,
            "compare": f"{repo.html_url}/compare/{before[:12]}...{after[:12]}",
            "commits": commits,
            "head_commit": commits[-1] if commits else None,
            "pusher": {"name": sender, "email": f"{sender}@users.noreply.github.com"},
        }
    )
    return payload
