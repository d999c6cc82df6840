"""The GitHub App's identity: its JWT and its installations' tokens.

An installation token lives an hour; bedevere mints one per delivery, we keep
it (cachetools TLRU, per-item expiry) until a few minutes before `expires_at`,
so N deliveries within the hour cost one token request. A lock per installation
makes a burst of concurrent deliveries wait for the one request in flight
instead of each minting its own. JWTs are made by gidgethub (`gidgethub.apps`).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import aiohttp
import cachetools
from gidgethub import apps

from actionbot import logs
from actionbot.core.ages import Clock, Sleep
from actionbot.github.client import (
    DEFAULT_API_URL,
    ETagCache,
    GitHubClient,
    PoliteAPI,
    RetryPolicy,
    new_etag_cache,
    retry_safe_calls,
)


@dataclass(frozen=True)
class InstallationToken:
    token: str = field(repr=False)
    expires_at: float  # epoch seconds


DEFAULT_POLICY = RetryPolicy()  # frozen: one shared default, as the inline default was


class AppClients:
    """One per process: hands out a GitHubClient per installation, and the app's own."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        app_id: str,
        private_key: str,
        api_url: str = DEFAULT_API_URL,
        write_interval: float = 1.0,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.time,
        policy: RetryPolicy = DEFAULT_POLICY,
        metrics: Any = None,
    ):
        self.session = session
        self.app_id = str(app_id)
        self._private_key = private_key
        self.api_url = api_url.rstrip("/")
        self.write_interval = write_interval
        self._sleep = sleep
        self._clock = clock
        self._policy = policy
        self._etags = new_etag_cache()
        self._tokens: cachetools.TLRUCache[int, InstallationToken] = cachetools.TLRUCache(
            maxsize=1024,  # installations
            ttu=lambda _k, tok, _now: tok.expires_at - 300,  # renewed five minutes before it expires
            timer=clock,
        )
        self._clients: cachetools.LRUCache[int, GitHubClient] = cachetools.LRUCache(maxsize=1024)
        self._locks: dict[int, asyncio.Lock] = {}
        self._app_api: PoliteAPI | None = None
        self.token_requests = 0
        self.metrics = metrics  # actionbot.service.metrics.Metrics shared with the service (None: not recorded)

    def __repr__(self) -> str:
        return f"AppClients(app_id={self.app_id!r}, api_url={self.api_url!r})"

    async def app_api(self) -> PoliteAPI:
        """gidgethub GitHubAPI authenticated as the app (JWT, made and renewed by gidgethub)."""
        if self._app_api is None:
            self._app_api = PoliteAPI(
                self.session,
                base_url=self.api_url,
                app_id=self.app_id,
                private_key=self._private_key,
                # The app's own reads (installations, hook deliveries) are conditional too:
                # gidgethub keys the cache by URL, and an ETag stays valid under a new JWT.
                cache=ETagCache(self._etags, "app"),
                write_interval=0,
                sleep=self._sleep,
                clock=self._clock,
                policy=self._policy,
                metrics=self.metrics,
            )
        return self._app_api

    async def app_client(self) -> GitHubClient:
        """The typed client for /app/... endpoints (hook deliveries, installations)."""
        return GitHubClient(await self.app_api())

    async def installation_token(self, installation_id: int) -> str:
        installation_id = int(installation_id)
        tok = self._tokens.get(installation_id)
        if tok is not None:
            return tok.token
        lock = self._locks.setdefault(installation_id, asyncio.Lock())
        async with lock:
            tok = self._tokens.get(installation_id)
            if tok is None:
                tok = await self._mint(installation_id)
                self._tokens[installation_id] = tok
        return tok.token

    async def _mint(self, installation_id: int) -> InstallationToken:
        api = await self.app_api()
        self.token_requests += 1
        with retry_safe_calls():
            data = await apps.get_installation_access_token(
                api, installation_id=str(installation_id), app_id=self.app_id, private_key=self._private_key
            )
        expires = data.get("expires_at")
        try:
            expires_at = datetime.fromisoformat(str(expires).replace("Z", "+00:00")).timestamp()
        except ValueError:
            expires_at = self._clock() + 3600
        logs.register_secret(data["token"], rotating=True)
        return InstallationToken(token=data["token"], expires_at=expires_at)

    async def for_installation(self, installation_id: int) -> GitHubClient:
        """The installation's client (one per installation: shared pacing and caches)."""
        installation_id = int(installation_id)
        await self.installation_token(installation_id)  # fail here, not mid-handler, if the app lost access
        client = self._clients.get(installation_id)
        if client is None:
            api = PoliteAPI(
                self.session,
                base_url=self.api_url,
                oauth_token="pending",  # replaced at every request by token_source
                cache=ETagCache(self._etags, f"installation:{installation_id}"),
                write_interval=self.write_interval,
                sleep=self._sleep,
                clock=self._clock,
                policy=self._policy,
                token_source=lambda: self.installation_token(installation_id),
                metrics=self.metrics,
            )
            client = GitHubClient(api, installation_id=installation_id)
            self._clients[installation_id] = client
        return client

    def forget(self, installation_id: int) -> None:
        """Drop an uninstalled installation's token and client."""
        self._tokens.pop(int(installation_id), None)
        self._clients.pop(int(installation_id), None)
        self._locks.pop(int(installation_id), None)
        prefix = f"installation:{int(installation_id)} "
        for key in [k for k in list(self._etags) if str(k).startswith(prefix)]:
            self._etags.pop(key, None)

    def forget_repositories(self, installation_id: int, repos: list[str]) -> int:
        """Drop cached answers about repositories removed from an installation; returns how many."""
        prefix = f"installation:{int(installation_id)} "
        needles = [f"/repos/{r.lower()}" for r in repos]
        dropped = 0
        for key in list(self._etags):
            text = str(key).lower()
            if text.startswith(prefix) and any(n + "/" in text or text.endswith(n) or n + "?" in text for n in needles):
                self._etags.pop(key, None)
                dropped += 1
        return dropped
