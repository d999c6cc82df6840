"""The GitHub client: gidgethub underneath, GitHub's rules for being a good citizen on top.

Feature code calls typed methods (`gh.create_issue("owner/name", ...)`) and
never builds a URL. Underneath is one `gidgethub.aiohttp.GitHubAPI` subclass
that uses gidgethub 6's two hooks:

- `manage_rate_limit` (before every request): paces writes at least
  `write_interval` seconds apart (GitHub asks for 1 s between content-creating
  requests) and, when the last answer said the primary limit is used up, waits
  for `x-ratelimit-reset` instead of burning a request on a certain 403.
- `handle_rate_limit_error` (after an HTTP error): obeys `retry-after` on
  403/429 secondary limits, waits for the reset on a primary limit, and retries
  5xx with exponential backoff and jitter, but only for reads and for writes
  the caller marked `retry_safe` (a create whose answer was lost must be looked
  for, not repeated).

Connection errors never reach those hooks, so `_request` retries them itself
under the same rule. Every wait goes through an injectable `sleep` and is
bounded (attempts and total seconds), so tests run with no real waiting and a
rate-limited bot fails loudly instead of hanging for an hour.

ETags: one bounded LRU (cachetools) shared by all installations is passed to
gidgethub as `cache=`, through a per-installation key prefix so that one
installation never reads another's cached answer. A 304 costs nothing against
the rate limit.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import contextvars
import http
import random
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiohttp
import cachetools
import gidgethub
import gidgethub.aiohttp
from gidgethub import BadRequest, GitHubBroken, HTTPException, RateLimitExceeded, sansio

from actionbot import __version__
from actionbot.core.ages import Clock, Sleep
from actionbot.core.names import is_full_sha

USER_AGENT = f"actionbot/{__version__}"
DEFAULT_API_URL = "https://api.github.com"  # github.com; GitHub Enterprise Server is https://HOST/api/v3
WRITE_METHODS = frozenset({"POST", "PATCH", "PUT", "DELETE"})
CONNECTION_ERRORS = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, asyncio.TimeoutError)


@dataclass(frozen=True)
class RetryPolicy:
    """Bounds on every wait, so a limited bot gives up loudly instead of hanging."""

    max_attempts: int = 5  # per logical request, the first one included
    base_delay: float = 1.0  # exponential backoff: base * 2**(attempt-1), full jitter
    max_delay: float = 60.0  # cap of one backoff step
    secondary_wait: float = 60.0  # secondary limit without retry-after: "wait at least one minute"
    max_total_wait: float = 300.0  # all waits of one logical request, rate-limit resets included


@dataclass
class _CallState:
    retry_safe: bool | None  # None: reads yes, writes no
    waited: float = 0.0


_call: contextvars.ContextVar[_CallState | None] = contextvars.ContextVar("actionbot_github_call", default=None)


@contextlib.contextmanager
def _calls(retry_safe: bool | None) -> Iterator[None]:
    """Requests made inside follow this retry rule (None: reads may be retried, writes not)."""
    state = _call.set(_CallState(retry_safe))
    try:
        yield
    finally:
        _call.reset(state)


def retry_safe_calls() -> contextlib.AbstractContextManager[None]:
    """Requests made inside may be sent again after a lost answer (e.g. minting a token: a second one is harmless)."""
    return _calls(True)


@dataclass
class Usage:
    """GitHub requests made by one unit of work (a delivery), whatever client made them."""

    requests: int = 0
    writes: int = 0


_usage: contextvars.ContextVar[Usage | None] = contextvars.ContextVar("actionbot_github_usage", default=None)


def track_usage() -> Usage:
    """Count the requests of the current task (and tasks it starts) from now on."""
    usage = Usage()
    _usage.set(usage)
    return usage


class ETagCache(MutableMapping[str, Any]):
    """A view of a shared bounded LRU with the keys of one installation (or token)."""

    def __init__(self, shared: MutableMapping[str, Any], prefix: str):
        self._shared = shared
        self._prefix = prefix + " "

    def __getitem__(self, key: str) -> Any:
        return self._shared[self._prefix + key]

    def __setitem__(self, key: str, value: Any) -> None:
        self._shared[self._prefix + key] = value

    def __delitem__(self, key: str) -> None:
        del self._shared[self._prefix + key]

    def __iter__(self) -> Iterator[str]:
        n = len(self._prefix)
        return (k[n:] for k in list(self._shared) if k.startswith(self._prefix))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def new_etag_cache(maxsize: int = 2048) -> cachetools.LRUCache[Any, Any]:
    """The shared cache: bounded by entry count (GitHub answers are a few KB each)."""
    return cachetools.LRUCache(maxsize=maxsize)


class PoliteAPI(gidgethub.aiohttp.GitHubAPI):
    """gidgethub's aiohttp client with pacing, bounded retries and a request count."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        *,
        base_url: str,
        oauth_token: str | None = None,
        app_id: str | None = None,
        private_key: str | None = None,
        cache: MutableMapping[str, Any] | None = None,
        write_interval: float = 1.0,
        sleep: Sleep = asyncio.sleep,
        clock: Clock | None = None,
        policy: RetryPolicy = RetryPolicy(),
        token_source: Callable[[], Awaitable[str]] | None = None,
        metrics: Any = None,
    ):
        super().__init__(
            session,
            USER_AGENT,
            oauth_token=oauth_token,
            app_id=app_id,
            private_key=private_key,
            cache=cache,
            base_url=base_url,
        )
        self._sleep = sleep
        self._clock = clock or time.time
        self.policy = policy
        self.write_interval = write_interval
        self._next_write_at = 0.0
        self._token_source = token_source
        self._rng = random.Random()
        self.requests_made = 0
        self.metrics = metrics  # actionbot.service.metrics.Metrics: record_request(status, is_write) per request

    # -- I/O ---------------------------------------------------------------
    async def sleep(self, seconds: float) -> None:
        await self._sleep(seconds)

    async def _request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes = b""
    ) -> tuple[int, Mapping[str, str], bytes]:
        if self._token_source is not None and headers.get("authorization", "").startswith("token "):
            # Installation tokens expire after an hour; a long job asks for the
            # current one (a cache hit) at every request instead of failing 401.
            headers = {**headers, "authorization": f"token {await self._token_source()}"}
        attempt = 0
        while True:
            attempt += 1
            self.requests_made += 1
            usage = _usage.get()
            # The app's own calls (token minting, JWT) are not content writes.
            is_write = method in WRITE_METHODS and not headers.get("authorization", "").startswith("bearer ")
            if usage is not None:
                usage.requests += 1
                usage.writes += is_write
            try:
                answer = await super()._request(method, url, headers, body)
            except CONNECTION_ERRORS:
                if self.metrics is not None:
                    self.metrics.record_request(None, is_write)
                if not self._may_retry(method) or not await self._wait(self._backoff(attempt), attempt):
                    raise
            else:
                if self.metrics is not None:
                    self.metrics.record_request(answer[0], is_write)
                # GitHub's own count, from every answer (304s and errors included):
                # gidgethub lowers `remaining` before each request and does not
                # refresh it from a cached 304, so a run of free 304s would count
                # down to a wait for the reset GitHub never asked for.
                limit = sansio.RateLimit.from_http(answer[1])
                if limit is not None:
                    self.rate_limit = limit
                return answer

    # -- gidgethub 6 hooks ------------------------------------------------------
    async def manage_rate_limit(self, *, method: str, url: str) -> None:
        # gidgethub decrements `remaining` before each request, so < 0 means
        # the last answer said 0 left: this request would be refused.
        rl = self.rate_limit
        if rl is not None and rl.remaining < 0:
            wait = rl.reset_datetime.timestamp() - self._clock() + 1
            if wait > 0 and not await self._wait(wait, 1, count_attempt=False):
                raise RateLimitExceeded(rl, f"primary rate limit used up until {rl.reset_datetime:%H:%M:%S} UTC")
            self.rate_limit = None
        if method in WRITE_METHODS and self.write_interval > 0:
            now = self._clock()
            slot = max(now, self._next_write_at)
            self._next_write_at = slot + self.write_interval
            if slot > now:
                await self.sleep(slot - now)

    async def handle_rate_limit_error(
        self, *, method: str, url: str, exception: HTTPException, attempt: int
    ) -> bool:
        status = int(exception.status_code)
        headers = exception.headers or {}
        if status in (403, 429):
            wait = self._limit_wait(status, headers, exception, attempt)
            # A limited request was refused, not applied: retrying a write is safe.
            if wait is None or not await self._wait(wait, attempt):
                return False
            self.rate_limit = None  # waited for the reset: the refusal's count is stale
            return True
        if status >= 500 and self._may_retry(method):
            return await self._wait(self._backoff(attempt), attempt)
        return False

    # -- policy ------------------------------------------------------------
    def _limit_wait(self, status: int, headers: Mapping[str, str], exc: HTTPException, attempt: int) -> float | None:
        """Seconds to wait for a 403/429, in GitHub's documented order; None: not a limit."""
        retry_after = headers.get("retry-after")
        if retry_after is not None:
            try:
                return max(0.0, float(retry_after))
            except ValueError:
                return self.policy.secondary_wait
        if headers.get("x-ratelimit-remaining") == "0" and headers.get("x-ratelimit-reset"):
            try:
                return max(0.0, float(headers["x-ratelimit-reset"]) - self._clock() + 1)
            except ValueError:
                return self.policy.secondary_wait
        text = " ".join(str(a) for a in exc.args).lower()
        if status == 429 or "secondary rate limit" in text or "abuse" in text:
            return max(self.policy.secondary_wait, self._backoff(attempt))
        return None  # an ordinary 403: permission denied

    def _may_retry(self, method: str) -> bool:
        state = _call.get()
        if state is not None and state.retry_safe is not None:
            return state.retry_safe
        return method not in WRITE_METHODS

    def _backoff(self, attempt: int) -> float:
        cap = min(self.policy.max_delay, self.policy.base_delay * 2 ** (attempt - 1))
        return self._rng.uniform(cap / 2, cap)

    async def _wait(self, seconds: float, attempt: int, *, count_attempt: bool = True) -> bool:
        """Sleep if the bounds allow it; False means give up and let the error out."""
        if count_attempt and attempt >= self.policy.max_attempts:
            return False
        state = _call.get()
        waited = state.waited if state is not None else 0.0
        if waited + seconds > self.policy.max_total_wait:
            return False
        if state is not None:
            state.waited += seconds
        await self.sleep(seconds)
        return True


def _split(repo: str) -> dict[str, str]:
    owner, sep, name = repo.partition("/")
    if not sep or not owner or not name or "/" in name:
        raise ValueError(f"repository must be 'owner/name', not {repo!r}")
    return {"owner": owner, "repo": name}


def _given(**fields: Any) -> dict[str, Any]:
    """The fields a caller gave; None leaves GitHub's value (or default) alone."""
    return {name: value for name, value in fields.items() if value is not None}


class GitHubClient:
    """What actionbot asks of GitHub, for one installation (or one token).

    Every method takes `repo="owner/name"` first. Reads are retried on 5xx and
    connection errors; writes only when the call says `retry_safe=True`
    (idempotent ones: PATCH to a value, PUT, DELETE, label add).
    """

    def __init__(self, api: PoliteAPI, *, installation_id: int | None = None):
        self.api = api
        self.installation_id = installation_id
        self._assignable: cachetools.TTLCache[tuple[str, str], bool] = cachetools.TTLCache(maxsize=1024, ttl=600)
        self._permission: cachetools.TTLCache[tuple[str, str], str] = cachetools.TTLCache(maxsize=1024, ttl=300)
        # Files absent at a commit sha: a 404 carries no ETag (every re-read would
        # count against the rate limit), but what a commit holds never changes.
        self._absent: cachetools.LRUCache[tuple[str, str, str], bool] = cachetools.LRUCache(maxsize=1024)

    @classmethod
    def from_token(
        cls,
        session: aiohttp.ClientSession,
        token: str,
        api_url: str = DEFAULT_API_URL,
        *,
        write_interval: float = 1.0,
        sleep: Sleep = asyncio.sleep,
        policy: RetryPolicy = RetryPolicy(),
    ) -> GitHubClient:
        """CLI and GitHub Actions mode: a token instead of an installation."""
        api = PoliteAPI(
            session,
            base_url=api_url,
            oauth_token=token,
            cache=new_etag_cache(),
            write_interval=write_interval,
            sleep=sleep,
            policy=policy,
        )
        return cls(api)

    # -- figures for the per-delivery log line ------------------------------
    @property
    def requests_made(self) -> int:
        return self.api.requests_made

    @property
    def rate_limit_remaining(self) -> int | None:
        rl = self.api.rate_limit
        return None if rl is None else max(rl.remaining, 0)

    # -- plumbing ------------------------------------------------------------
    async def _call(self, method: str, url: str, url_vars: Mapping[str, Any], *, data: Any = b"", retry_safe: bool | None = None) -> Any:
        with _calls(retry_safe):
            if method == "GET":
                return await self.api.getitem(url, url_vars)
            if method == "POST":
                return await self.api.post(url, url_vars, data=data)
            if method == "PATCH":
                return await self.api.patch(url, url_vars, data=data)
            if method == "DELETE":
                return await self.api.delete(url, url_vars, data=data)
            raise ValueError(method)

    async def _list(self, url: str, url_vars: Mapping[str, Any], *, iterable_key: str | None = "items") -> list[Any]:
        with _calls(None):
            return [item async for item in self.api.getiter(url, url_vars, iterable_key=iterable_key)]

    # -- repositories and contents ------------------------------------------
    async def get_repo(self, repo: str) -> dict[str, Any]:
        return await self._call("GET", "/repos/{owner}/{repo}", _split(repo))

    async def get_content(self, repo: str, path: str, ref: str | None = None) -> bytes | None:
        """A file's bytes at ref; None when there is no such file (or it is a folder).

        An absent file at a full commit sha is remembered (only when GitHub said
        "Not Found", not "No commit found for the ref", which a brand-new commit
        may briefly answer), so the unchanged re-runs asking again cost nothing.
        """
        rel = path.lstrip("/")
        v = {**_split(repo), "path": rel, "ref": ref}
        absent_key = (repo.casefold(), rel, ref) if ref is not None and is_full_sha(ref) else None
        if absent_key is not None and absent_key in self._absent:
            return None
        try:
            data = await self._call("GET", "/repos/{owner}/{repo}/contents/{+path}{?ref}", v)
        except BadRequest as exc:
            if int(exc.status_code) != 404:
                raise
            if absent_key is not None and str(exc) == "Not Found":
                self._absent[absent_key] = True
            return None
        if not isinstance(data, dict) or data.get("type", "file") != "file":
            return None
        if data.get("encoding") == "base64":
            return base64.b64decode(data.get("content") or "")
        # 1-100 MB files come without content: read the blob instead.
        blob = await self._call("GET", "/repos/{owner}/{repo}/git/blobs/{sha}", {**_split(repo), "sha": data["sha"]})
        return base64.b64decode(blob.get("content") or "")

    async def get_tree(self, repo: str, ref: str) -> list[str]:
        """Paths of every blob at ref (recursive)."""
        return [e["path"] for e in await self.get_tree_entries(repo, ref)]

    async def get_tree_entries(self, repo: str, ref: str) -> list[dict[str, Any]]:
        """Every blob at ref with its `path` and `size` (recursive): sizes are known before reading."""
        v = {**_split(repo), "ref": ref}
        data = await self._call("GET", "/repos/{owner}/{repo}/git/trees/{+ref}?recursive=1", v)
        return [e for e in data.get("tree", []) if e.get("type") == "blob"]

    async def compare(self, repo: str, base: str, head: str) -> dict[str, Any]:
        v = {**_split(repo), "basehead": f"{base}...{head}"}
        return await self._call("GET", "/repos/{owner}/{repo}/compare/{+basehead}", v)

    async def get_commit(self, repo: str, sha: str) -> dict[str, Any]:
        return await self._call("GET", "/repos/{owner}/{repo}/commits/{+sha}", {**_split(repo), "sha": sha})

    # -- issues ----------------------------------------------------------------
    async def list_issues(
        self, repo: str, *, labels: list[str] | str | None = None, state: str = "all", since: str | None = None
    ) -> list[dict[str, Any]]:
        """Issues (not pull requests) of a repository, every page."""
        if isinstance(labels, list):
            labels = ",".join(labels)
        v = {**_split(repo), "labels": labels, "state": state, "since": since, "per_page": 100}
        items = await self._list("/repos/{owner}/{repo}/issues{?labels,state,since,per_page}", v)
        return [i for i in items if "pull_request" not in i]

    async def get_issue(self, repo: str, number: int) -> dict[str, Any]:
        return await self._call("GET", "/repos/{owner}/{repo}/issues/{number}", {**_split(repo), "number": number})

    async def create_issue(
        self,
        repo: str,
        *,
        title: str,
        body: str = "",
        labels: list[str] | None = None,
        assignees: list[str] | None = None,
    ) -> dict[str, Any]:
        """Never retried on 5xx or a lost answer: the caller looks for its marker first."""
        data: dict[str, Any] = {"title": title, "body": body}
        if labels:
            data["labels"] = labels
        if assignees:
            data["assignees"] = assignees
        return await self._call("POST", "/repos/{owner}/{repo}/issues", _split(repo), data=data, retry_safe=False)

    async def update_issue(self, repo: str, number: int, *, retry_safe: bool = True, **fields: Any) -> dict[str, Any]:
        """PATCH to given values is idempotent, hence retry_safe by default."""
        v = {**_split(repo), "number": number}
        return await self._call("PATCH", "/repos/{owner}/{repo}/issues/{number}", v, data=fields, retry_safe=retry_safe)

    async def list_sub_issues(self, repo: str, number: int) -> list[dict[str, Any]]:
        v = {**_split(repo), "number": number, "per_page": 100}
        return await self._list("/repos/{owner}/{repo}/issues/{number}/sub_issues{?per_page}", v)

    async def add_sub_issue(self, repo: str, number: int, sub_issue_id: int) -> dict[str, Any]:
        """`sub_issue_id` is the child's `id`, not its number. Already a sub-issue: GitHub answers 422."""
        v = {**_split(repo), "number": number}
        return await self._call(
            "POST", "/repos/{owner}/{repo}/issues/{number}/sub_issues", v, data={"sub_issue_id": sub_issue_id}, retry_safe=False
        )

    async def timeline(self, repo: str, number: int) -> list[dict[str, Any]]:
        v = {**_split(repo), "number": number, "per_page": 100}
        return await self._list("/repos/{owner}/{repo}/issues/{number}/timeline{?per_page}", v)

    # -- comments and reactions ------------------------------------------------
    async def list_comments(self, repo: str, number: int) -> list[dict[str, Any]]:
        v = {**_split(repo), "number": number, "per_page": 100}
        return await self._list("/repos/{owner}/{repo}/issues/{number}/comments{?per_page}", v)

    async def create_comment(self, repo: str, number: int, body: str) -> dict[str, Any]:
        v = {**_split(repo), "number": number}
        return await self._call(
            "POST", "/repos/{owner}/{repo}/issues/{number}/comments", v, data={"body": body}, retry_safe=False
        )

    async def update_comment(self, repo: str, comment_id: int, body: str) -> dict[str, Any]:
        v = {**_split(repo), "id": comment_id}
        return await self._call(
            "PATCH", "/repos/{owner}/{repo}/issues/comments/{id}", v, data={"body": body}, retry_safe=True
        )

    async def delete_comment(self, repo: str, comment_id: int) -> bool:
        """Delete a comment. Deleting twice converges: a 404 (already gone) is not an error.

        Returns False when it was already gone. A DELETE is idempotent, hence retry_safe.
        """
        v = {**_split(repo), "id": comment_id}
        try:
            await self._call("DELETE", "/repos/{owner}/{repo}/issues/comments/{id}", v, retry_safe=True)
        except BadRequest as exc:
            if int(exc.status_code) != 404:
                raise
            return False
        return True

    async def add_reaction(self, repo: str, comment_id: int, content: str = "+1") -> dict[str, Any]:
        """Reacting twice returns the existing reaction: safe to retry."""
        v = {**_split(repo), "id": comment_id}
        return await self._call(
            "POST", "/repos/{owner}/{repo}/issues/comments/{id}/reactions", v, data={"content": content}, retry_safe=True
        )

    # -- labels -------------------------------------------------------------------
    async def list_labels(self, repo: str) -> list[dict[str, Any]]:
        return await self._list("/repos/{owner}/{repo}/labels{?per_page}", {**_split(repo), "per_page": 100})

    async def create_label(self, repo: str, name: str, color: str, description: str = "") -> dict[str, Any]:
        data = {"name": name, "color": color.lstrip("#"), "description": description}
        return await self._call("POST", "/repos/{owner}/{repo}/labels", _split(repo), data=data, retry_safe=False)

    async def update_label(
        self, repo: str, name: str, *, new_name: str | None = None, color: str | None = None, description: str | None = None
    ) -> dict[str, Any]:
        data = _given(new_name=new_name, color=None if color is None else color.lstrip("#"), description=description)
        v = {**_split(repo), "name": name}
        return await self._call("PATCH", "/repos/{owner}/{repo}/labels/{name}", v, data=data, retry_safe=True)

    async def add_labels(self, repo: str, number: int, labels: list[str]) -> list[dict[str, Any]]:
        v = {**_split(repo), "number": number}
        return await self._call(
            "POST", "/repos/{owner}/{repo}/issues/{number}/labels", v, data={"labels": labels}, retry_safe=True
        )

    async def remove_label(self, repo: str, number: int, name: str) -> None:
        """Removing a label the issue does not have is not an error (404 ignored)."""
        v = {**_split(repo), "number": number, "name": name}
        try:
            await self._call("DELETE", "/repos/{owner}/{repo}/issues/{number}/labels/{name}", v, retry_safe=True)
        except BadRequest as exc:
            if int(exc.status_code) != 404:
                raise

    # -- assignees and permissions -----------------------------------------------
    async def add_assignees(self, repo: str, number: int, logins: list[str]) -> dict[str, Any]:
        v = {**_split(repo), "number": number}
        return await self._call(
            "POST", "/repos/{owner}/{repo}/issues/{number}/assignees", v, data={"assignees": logins}, retry_safe=True
        )

    async def remove_assignees(self, repo: str, number: int, logins: list[str]) -> None:
        """GitHub answers with the issue, but gidgethub's `delete` drops every answer body: None."""
        v = {**_split(repo), "number": number}
        await self._call(
            "DELETE", "/repos/{owner}/{repo}/issues/{number}/assignees", v, data={"assignees": logins}, retry_safe=True
        )

    async def is_assignable(self, repo: str, login: str) -> bool:
        """GitHub answers 422 to an issue created with an unassignable login: ask first (cached)."""
        key = (repo.lower(), login.lower())
        if key in self._assignable:
            return self._assignable[key]
        v = {**_split(repo), "login": login}
        with _calls(None):
            status = await self.api.getstatus("/repos/{owner}/{repo}/assignees/{login}", v)
        if status >= 500:
            raise GitHubBroken(http.HTTPStatus(status))
        self._assignable[key] = result = status == 204
        return result

    async def permission(self, repo: str, login: str) -> str:
        """'admin' | 'maintain' | 'write' | 'triage' | 'read' | 'none' (cached for minutes)."""
        key = (repo.lower(), login.lower())
        if key in self._permission:
            return self._permission[key]
        v = {**_split(repo), "login": login}
        try:
            data = await self._call("GET", "/repos/{owner}/{repo}/collaborators/{login}/permission", v)
        except BadRequest as exc:
            if int(exc.status_code) != 404:
                raise
            data = {}
        perm = data.get("role_name") or data.get("permission") or "none"
        self._permission[key] = perm
        return perm

    # -- check runs -------------------------------------------------------------------
    async def create_check_run(
        self,
        repo: str,
        *,
        name: str,
        head_sha: str,
        status: str = "completed",
        conclusion: str | None = None,
        output: Mapping[str, Any] | None = None,
        details_url: str | None = None,
        external_id: str | None = None,
    ) -> dict[str, Any]:
        output = None if output is None else dict(output)
        given = _given(external_id=external_id, conclusion=conclusion, output=output, details_url=details_url)
        data = {"name": name, "head_sha": head_sha, "status": status, **given}
        return await self._call("POST", "/repos/{owner}/{repo}/check-runs", _split(repo), data=data, retry_safe=False)

    async def list_check_runs(self, repo: str, ref: str, *, name: str | None = None) -> list[dict[str, Any]]:
        """Check runs on a commit (newest first), optionally only those called `name`."""
        v = {**_split(repo), "ref": ref, "check_name": name, "per_page": 100}
        return await self._list(
            "/repos/{owner}/{repo}/commits/{+ref}/check-runs{?check_name,per_page}", v, iterable_key="check_runs"
        )

    async def update_check_run(self, repo: str, check_run_id: int, **fields: Any) -> dict[str, Any]:
        v = {**_split(repo), "id": check_run_id}
        return await self._call("PATCH", "/repos/{owner}/{repo}/check-runs/{id}", v, data=fields, retry_safe=True)

    # -- installation-level -------------------------------------------------------------
    async def list_installation_repos(self) -> list[dict[str, Any]]:
        return await self._list("/installation/repositories{?per_page}", {"per_page": 100}, iterable_key="repositories")

    # -- app-level (JWT) ------------------------------------------------------------------
    async def list_hook_deliveries(self, *, since: float | None = None) -> list[dict[str, Any]]:
        """The app's deliveries, newest first, following the cursor (Link) until older than `since` (epoch)."""
        out: list[dict[str, Any]] = []
        with _calls(None):
            async for item in self.api.getiter("/app/hook/deliveries{?per_page}", {"per_page": 100}, iterable_key=None):
                when = item.get("delivered_at")
                if since is not None and when and datetime.fromisoformat(when.replace("Z", "+00:00")).timestamp() < since:
                    break
                out.append(item)
        return out

    async def redeliver(self, delivery_id: int) -> None:
        await self._call(
            "POST", "/app/hook/deliveries/{id}/attempts", {"id": delivery_id}, data=b"", retry_safe=False
        )

    async def list_installations(self) -> list[dict[str, Any]]:
        return await self._list("/app/installations{?per_page}", {"per_page": 100}, iterable_key=None)
