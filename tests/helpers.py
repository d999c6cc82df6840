"""Small helpers shared by test modules (test modules never import each other)."""

from __future__ import annotations

from typing import Any

from actionbot.service.settings import Settings


def service_settings(secret: str, *, api_url: str = "http://fake", app_id: str = "1", **kw: Any) -> Settings:
    """The service's settings for a test: no periodic resync, no write pacing, a key only when given."""
    base: dict[str, Any] = dict(
        app_id=app_id, private_key="", webhook_secret=secret, api_url=api_url, write_interval=0, resync_hours=0
    )
    return Settings(**{**base, **kw})
