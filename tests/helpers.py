"""Small helpers shared by test modules (test modules never import each other)."""

from __future__ import annotations

import asyncio
from typing import Any

from actionbot.core.render import BEGIN, END, Marker, marker_comment
from actionbot.service.settings import Settings

APP_ID = 4242
TRACK = "team/compass"  # notes and action items live here


class Sleeper:
    """An injectable sleep: records, and moves a clock forward instead of waiting."""

    def __init__(self, clock: list[float] | None = None) -> None:
        self.calls: list[float] = []
        self.clock = clock

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self.clock is not None:
            self.clock[0] += seconds
        await asyncio.sleep(0)


def service_settings(secret: str, *, api_url: str = "http://fake", app_id: str = "1", **kw: Any) -> Settings:
    """The service's settings for a test: no periodic resync, no write pacing, a key only when given."""
    base: dict[str, Any] = dict(
        app_id=app_id, private_key="", webhook_secret=secret, api_url=api_url, write_interval=0, resync_hours=0
    )
    return Settings(**{**base, **kw})


def item_body(refs: list[str], owners: tuple[str, ...] = ("carol",)) -> str:
    """An action item's issue body as the bot writes it for TRACK, listing `refs` under References."""
    marker = Marker(key="k-1", repo=TRACK, path="docs/meetings/2026-01-08.md", meeting="2026-01-08", owners=owners)
    lines = [BEGIN, marker_comment(marker), "> Ship the thing", "", "**Owners:** @carol"]
    if refs:
        lines += ["", "**References:**", *(f"- {r} (open)" for r in refs)]
    lines += ["", "<details><summary>Commands</summary>\n\n- help\n\n</details>", END]
    return "\n".join(lines)
