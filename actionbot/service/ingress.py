"""Reading a delivery's request: the body's limits and pace, and the payload fields the service reads.

A caller without the webhook secret must cost almost nothing: the body is read only
after a well-formed signature header, into one buffer, within a cap and a pace.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from aiohttp import web

MAX_BODY = 25 * 1024 * 1024
# Bodies read into memory at once, in two pools so that held large uploads never block
# ordinary deliveries (GitHub's are a few KB to a few hundred): at most
# MAX_BODIES bodies over SMALL_BODY (or of unknown length) and MAX_SMALL_BODIES
# others. Reading one costs about twice its size while aiohttp assembles it.
SMALL_BODY = 1024 * 1024
MAX_BODIES = 2
MAX_SMALL_BODIES = 16
BODY_TIMEOUT = 10.0  # seconds to wait for a body slot and read the body (GitHub sends in one go)
# A large body must keep coming: after BODY_GRACE seconds in its slot it may not fall behind
# BODY_RATE bytes a second. GitHub sends a delivery in one go, far faster; a caller holding a
# slot with a forged signature is cut off in seconds, and holding one at all costs it bandwidth.
BODY_GRACE = 2.0
BODY_RATE = 256 * 1024
HEADER_TIMEOUT = 15.0  # seconds from connecting (or from the last answer) to a request's last header
# aiohttp's keep-alive timer closes a connection whose request headers have not all
# arrived within this time of connecting or of the last answer: the header timeout.
SERVER_OPTIONS: dict[str, Any] = {"keepalive_timeout": HEADER_TIMEOUT}
SIGNATURE = re.compile(r"sha256=[0-9a-f]{64}")
# Fields of a payload the service itself reads: each must be an object when present.
_OBJECT_FIELDS = ("sender", "installation", "repository", "issue", "comment", "pull_request", "organization")


async def read_body(request: web.Request, *, pace: tuple[float, float] | None = None) -> bytes | bytearray:
    """The body, in one buffer (aiohttp's `read` holds it twice at the end), within the 25 MB cap (413).

    aiohttp ends the body at `Content-Length`. `pace` = (grace, rate): after
    `grace` seconds the bytes received may not fall behind `rate` a second
    (TimeoutError otherwise): whoever holds a slot must keep sending.
    """
    length = request.content_length
    body = bytearray(length if length is not None else 0)
    loop = asyncio.get_running_loop()
    start, at = loop.time(), 0
    while True:
        if pace is None:
            chunk = await request.content.readany()
        else:
            async with asyncio.timeout_at(start + pace[0] + at / pace[1]):
                chunk = await request.content.readany()
        if not chunk:
            break
        if length is None:
            if at + len(chunk) > MAX_BODY:
                raise web.HTTPRequestEntityTooLarge(max_size=MAX_BODY, actual_size=at + len(chunk))
            body += chunk
        else:
            body[at : at + len(chunk)] = chunk
        at += len(chunk)
    if length is not None and at != length:
        raise ValueError(f"body ended after {at} of {length} bytes")
    return body


def payload_problem(data: Any) -> str:
    """What makes an authentic payload unusable ("" when nothing): the fields the service reads.

    Handlers index into these objects; a string where GitHub sends an object
    would otherwise fail inside the service (500) or later in the queue.
    """
    if not isinstance(data, dict):
        return "payload is not a JSON object"
    for name in _OBJECT_FIELDS:
        if name in data and data[name] is not None and not isinstance(data[name], dict):
            return f"`{name}` is not an object"
    installation = (data.get("installation") or {}).get("id")
    if installation is not None and (isinstance(installation, bool) or not isinstance(installation, int)):
        return "`installation.id` is not a number"
    full_name = (data.get("repository") or {}).get("full_name")
    if full_name is not None and not isinstance(full_name, str):
        return "`repository.full_name` is not a string"
    for name, value in (("action", data.get("action")), ("sender.type", (data.get("sender") or {}).get("type"))):
        if value is not None and not isinstance(value, str):
            return f"`{name}` is not a string"
    return ""
