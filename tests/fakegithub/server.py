"""The fake GitHub's HTTP face: aiohttp routes over `GitHubState` (through `GitHubView`).

One middleware does what GitHub does around every endpoint (credentials, rate
limit headers, ETags and 304s, error bodies, faults) and what a test needs
(the request log, schema validation); the handlers below only translate
requests into state changes and render the results.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import jwt
from aiohttp import web

from . import faults as faults_mod
from . import render, schemas
from .state import (
    CheckRun,
    Comment,
    GitHubError,
    Issue,
    RateBucket,
    Reaction,
    Repo,
    Token,
    ancestors,
    check_color,
    filter_issues,
    iso,
    label_names,
    not_found,
    parse_time,
    validation_failed,
)
from .view import GitHubView

DOCS = "https://docs.github.com/rest"
READ_METHODS = {"GET", "HEAD", "OPTIONS"}
FAKE_KEY: web.AppKey[FakeGitHub] = web.AppKey("fake", object)  # type: ignore[arg-type]

JSON_KEY = web.RequestKey("json", object)
IDENT_KEY: web.RequestKey[Identity] = web.RequestKey("identity", object)  # type: ignore[arg-type]
READ_ONLY_KEY = web.RequestKey("read_only", bool)
RESP_JSON_KEY = web.ResponseKey("json", object)
RESP_RATE_KEY = web.ResponseKey("ratelimit", tuple)

routes = web.RouteTableDef()
R = "/repos/{owner}/{repo}"


@dataclass
class Identity:
    kind: str  # "installation" | "personal" | "app" | "none"
    login: str
    credential: str | None = None
    token: Token | None = None

    @property
    def user_type(self) -> str:
        return "Bot" if self.login.endswith("[bot]") else "User"

    @property
    def bucket_key(self) -> str:
        if self.token and self.token.kind == "installation":
            return f"installation:{self.token.installation_id}"
        if self.kind == "app":
            return "app"
        return f"token:{self.credential}"


@dataclass
class RequestRecord:
    """One exchange as the fake saw it: what tests count and assert on."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int = 0
    write: bool = False
    token: str | None = None
    identity: str = "none"
    operation: str | None = None
    rate_remaining: int | None = None
    counted: bool = False  # counted against the primary rate limit
    fault: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    def __repr__(self) -> str:
        q = f"?{urlencode(self.query)}" if self.query else ""
        return f"<{self.method} {self.path}{q} -> {self.status}>"


class FakeGitHub(GitHubView):
    """A stateful GitHub REST server on loopback. See the package docstring."""

    def __init__(self, *, validate: bool | None = None) -> None:
        super().__init__()
        self.requests: list[RequestRecord] = []
        self.schema_errors: list[str] = []
        self.unvalidated: set[str] = set()
        self.schema_errors_allowed = False
        self.validate = schemas.available() if validate is None else validate
        self.faults = faults_mod.Faults()
        self.webhook_target: tuple[str, str] | None = None  # (url, secret) for redeliveries
        self._runner: web.AppRunner | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------ lifecycle

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[github_middleware], client_max_size=64 * 1024**2)
        app[FAKE_KEY] = self
        app.add_routes(routes)
        return app

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._runner = web.AppRunner(
            self.make_app(), handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        actual = self._runner.addresses[0][1]
        self.url = f"http://{host}:{actual}"
        return self.url

    async def stop(self) -> None:
        await self.settle()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def settle(self) -> None:
        """Wait for background work the fake started (redeliveries)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # ------------------------------------------------------------ test API

    def fault(self, method: str, path_regex: str, kind: str, times: int = 1, **kw: Any) -> faults_mod.Fault:
        """Inject a fault for requests whose method and path match (see faults.py)."""
        return self.faults.add(method, path_regex, kind, times, **kw)

    def allow_schema_errors(self) -> None:
        """For tests that send malformed requests on purpose."""
        self.schema_errors_allowed = True

    def reset_log(self) -> None:
        self.requests.clear()

    def writes(self, path_contains: str = "") -> list[RequestRecord]:
        """Non-GET requests (optionally only those whose path contains a string)."""
        return [r for r in self.requests if r.write and path_contains in r.path]

    def reads(self, path_contains: str = "") -> list[RequestRecord]:
        return [r for r in self.requests if not r.write and path_contains in r.path]

    def set_rate_limit(self, key: str, *, remaining: int, limit: int = 5000, reset_in: int = 3600) -> RateBucket:
        """Make a bucket nearly spent (remaining=0: every request answers 403 until reset)."""
        bucket = self.rate_bucket(key)
        bucket.limit = limit
        bucket.used = limit - remaining
        bucket.reset = self.clock.epoch() + reset_in
        return bucket

    def rate_bucket(self, key: str) -> RateBucket:
        """`installation:ID`, `token:TOKEN` or `app`; created full on first use."""
        bucket = self.buckets.get(key)
        now = self.clock.epoch()
        if bucket is None:
            bucket = self.buckets[key] = RateBucket(reset=now + 3600)
        elif now >= bucket.reset:
            bucket.used = 0
            bucket.reset = now + 3600
        return bucket

    # ------------------------------------------------------------ helpers for handlers

    def spawn(self, coro: Awaitable[Any]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def authenticate(self, request: web.Request) -> Identity:
        header = request.headers.get("Authorization", "")
        scheme, _, cred = header.partition(" ")
        scheme, cred = scheme.lower(), cred.strip()
        path = request.path
        if path.startswith("/app-manifests/"):
            return Identity("none", "anonymous")
        if not cred:
            raise GitHubError(401, "Requires authentication")
        if path == "/app" or path.startswith("/app/") or (
            path.endswith("/installation") and path.startswith("/repos/")
        ):
            if scheme != "bearer":
                raise GitHubError(401, "A JSON web token could not be decoded")
            self.check_jwt(cred)
            return Identity("app", f"{self.app_slug}[bot]", cred)
        token = self.tokens.get(cred)
        if token is None or scheme not in ("token", "bearer"):
            raise GitHubError(401, "Bad credentials")
        if token.expires_at is not None and self.clock.now() >= token.expires_at:
            raise GitHubError(401, "Bad credentials")
        return Identity(token.kind, token.login, cred, token)

    def check_jwt(self, encoded: str) -> None:
        if self.app_public_key is None:
            raise GitHubError(401, "A JSON web token could not be decoded")
        try:
            header = jwt.get_unverified_header(encoded)
            if header.get("alg") != "RS256":
                raise GitHubError(401, "A JSON web token could not be decoded")
            claims = jwt.decode(
                encoded,
                self.app_public_key,
                algorithms=["RS256"],
                options={"require": ["iat", "exp", "iss"], "verify_iss": False},
                leeway=60,
            )
        except jwt.ExpiredSignatureError:
            raise GitHubError(401, "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires") from None
        except jwt.PyJWTError:
            raise GitHubError(401, "A JSON web token could not be decoded") from None
        if str(claims["iss"]) not in {str(self.app_id), str(self.app_client_id)}:
            raise GitHubError(401, "'Issuer' claim ('iss') must be an Integer")
        if int(claims["exp"]) - time.time() > 600 + 60:
            raise GitHubError(401, "'Expiration time' claim ('exp') is too far in the future")

    def visible_repo(self, request: web.Request) -> Repo:
        """The route's repository if the caller's credential may see it, else 404 as GitHub."""
        ident: Identity = request[IDENT_KEY]
        full = f"{request.match_info['owner']}/{request.match_info['repo']}"
        repo = self.repos.get(full.lower())
        if repo is None:
            raise not_found()
        tok = ident.token
        outside = False
        if ident.kind == "installation" and tok is not None:
            outside = repo.installation_id != tok.installation_id or (
                tok.repos is not None and repo.full_name.lower() not in tok.repos
            )
        elif ident.kind == "personal" and tok is not None:
            outside = tok.repos is not None and repo.full_name.lower() not in tok.repos
        if outside:
            # Like GitHub: any token reads public repositories; nothing else.
            if repo.private:
                raise not_found()
            if request.method not in READ_METHODS:
                raise GitHubError(403, "Resource not accessible by integration")
            request[READ_ONLY_KEY] = True
        return repo


# ---------------------------------------------------------------- middleware


def error_body(status: int, message: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"message": message, "documentation_url": DOCS}
    if errors is not None:
        body["errors"] = errors
    body["status"] = str(status)
    return body


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    resp = web.Response(
        body=json.dumps(data).encode(),
        status=status,
        content_type="application/json",
        charset="utf-8",
        headers=headers,
    )
    resp[RESP_JSON_KEY] = data
    return resp


def drop_connection(request: web.Request) -> web.Response:
    transport = request.transport
    if transport is not None:
        transport.abort()
    raise asyncio.CancelledError()


@web.middleware
async def github_middleware(request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]) -> web.StreamResponse:
    fake: FakeGitHub = request.app[FAKE_KEY]
    method, path = request.method, request.path
    raw = await request.read()
    query = dict(request.query)
    record = RequestRecord(method, path, query, None, write=method not in READ_METHODS)
    record.headers = {k.lower(): v for k, v in request.headers.items() if k.lower() != "authorization"}
    fake.requests.append(record)
    auth = request.headers.get("Authorization", "")
    record.token = auth.partition(" ")[2] or None

    body: Any = None
    if raw:
        try:
            body = json.loads(raw)
        except ValueError:
            return finish(fake, request, record, None, json_response(error_body(400, "Problems parsing JSON"), 400))
    record.body = body
    request[JSON_KEY] = body

    matched = schemas.match(method, path) if fake.validate else None
    op = matched[0] if matched else None
    record.operation = op.id if op else None
    if op is not None and matched is not None:
        for problem in schemas.validate_request(op, matched[1], query, body, bool(raw)):
            fake.schema_errors.append(f"request {method} {path} ({op.id}): {problem}")
    elif fake.validate:
        fake.unvalidated.add(f"{method} {path}")

    fault = fake.faults.take(method, path)
    if fault is not None:
        record.fault = fault.kind
        early = await apply_fault_before(fake, request, record, fault)
        if early is not None:
            return finish(fake, request, record, op, early)

    resp: web.StreamResponse
    try:
        if not request.headers.get("User-Agent"):
            raise GitHubError(
                403,
                "Request forbidden by administrative rules. Please make sure your request has a User-Agent header",
            )
        ident = fake.authenticate(request)
        request[IDENT_KEY] = ident
        record.identity = ident.kind
        if ident.kind != "none" and path != "/rate_limit":
            bucket = fake.rate_bucket(ident.bucket_key)
            if bucket.remaining <= 0:
                limited = json_response(
                    error_body(403, f"API rate limit exceeded for {ident.bucket_key}."), 403
                )
                limited[RESP_RATE_KEY] = (0, bucket.reset)
                return finish(fake, request, record, op, limited)
        resp = await handler(request)
    except GitHubError as exc:
        resp = json_response(error_body(exc.status, exc.message, exc.errors), exc.status, exc.headers)
    except web.HTTPException as exc:
        if exc.status == 404 or exc.status == 405:
            resp = json_response(error_body(404, "Not Found"), 404)
        else:
            raise

    if fault is not None and fault.kind == "lost_answer":
        finish(fake, request, record, op, resp)
        if fault.kw.get("answer", "502") == "drop":
            record.status = 0
            drop_connection(request)
        record.status = 502
        return json_response(error_body(502, "Server Error"), 502)
    return finish(fake, request, record, op, resp)


async def apply_fault_before(
    fake: FakeGitHub, request: web.Request, record: RequestRecord, fault: faults_mod.Fault
) -> web.StreamResponse | None:
    kw = fault.kw
    if fault.kind == "latency":
        await asyncio.sleep(float(kw.get("seconds", 0.2)))
        return None
    if fault.kind == "drop":
        record.status = 0
        drop_connection(request)
    if fault.kind == "status":
        status = int(kw.get("status", 502))
        return json_response(error_body(status, kw.get("message", "Server Error")), status)
    if fault.kind == "secondary_limit":
        status = int(kw.get("status", 403))
        resp = json_response(
            {"message": faults_mod.SECONDARY_MESSAGE, "documentation_url": faults_mod.SECONDARY_DOCS},
            status,
            {"retry-after": str(kw.get("retry_after", 1))},
        )
        return resp
    if fault.kind == "rate_limit":
        status = int(kw.get("status", 403))
        resp = json_response(
            {"message": "API rate limit exceeded for installation ID 1.", "documentation_url": faults_mod.PRIMARY_DOCS},
            status,
        )
        resp[RESP_RATE_KEY] = (0, fake.clock.epoch() + int(kw.get("reset_in", 1)))
        return resp
    return None  # lost_answer acts after the handler


def finish(
    fake: FakeGitHub,
    request: web.Request,
    record: RequestRecord,
    op: schemas.Operation | None,
    resp: web.StreamResponse,
) -> web.StreamResponse:
    """ETag/304, rate-limit headers, response validation and the log entry."""
    ident: Identity | None = request.get(IDENT_KEY)
    if (
        request.method == "GET"
        and resp.status == 200
        and isinstance(resp, web.Response)
        and resp.body is not None
    ):
        etag = f'"{hashlib.sha256(bytes(resp.body)).hexdigest()}"'  # type: ignore[arg-type]
        resp.headers["ETag"] = etag
        inm = request.headers.get("If-None-Match", "")
        if etag in [t.strip().removeprefix("W/") for t in inm.split(",")]:
            resp = web.Response(status=304, headers={"ETag": etag})
    counted = (
        ident is not None
        and ident.kind != "none"
        and resp.status != 304
        and request.path != "/rate_limit"
        and record.fault != "secondary_limit"
        and RESP_RATE_KEY not in resp
    )
    limit, remaining, reset, used = 60, 60, fake.clock.epoch() + 3600, 0
    if ident is not None and ident.kind != "none":
        bucket = fake.rate_bucket(ident.bucket_key)
        if counted:
            bucket.used += 1
        limit, remaining, reset, used = bucket.limit, bucket.remaining, bucket.reset, bucket.used
    if RESP_RATE_KEY in resp:
        remaining, reset = resp[RESP_RATE_KEY]
    resp.headers["x-ratelimit-limit"] = str(limit)
    resp.headers["x-ratelimit-remaining"] = str(remaining)
    resp.headers["x-ratelimit-reset"] = str(reset)
    resp.headers["x-ratelimit-used"] = str(used)
    resp.headers["x-ratelimit-resource"] = "core"
    resp.headers["x-github-api-version-selected"] = "2022-11-28"
    resp.headers["x-github-request-id"] = f"FAKE:{len(fake.requests):06d}"
    record.status = resp.status
    record.counted = counted
    record.rate_remaining = remaining
    if op is not None and fake.validate and RESP_JSON_KEY in resp:
        problems, validated = schemas.validate_response(op, resp.status, resp[RESP_JSON_KEY])
        for problem in problems:
            fake.schema_errors.append(f"{request.method} {request.path} ({op.id}): {problem}")
        if not validated:
            fake.unvalidated.add(f"{request.method} {request.path} -> {resp.status}")
    return resp


# ---------------------------------------------------------------- pagination


def paginate(
    request: web.Request, items: list[Any], *, default: int = 30
) -> tuple[list[Any], dict[str, str]]:
    try:
        per_page = max(1, min(int(request.query.get("per_page", default)), 100))
        page = max(1, int(request.query.get("page", 1)))
    except ValueError:
        raise GitHubError(422, "Invalid pagination parameters") from None
    last = max(1, -(-len(items) // per_page))
    chunk = items[(page - 1) * per_page : page * per_page]
    links = []

    def url(n: int) -> str:
        q = dict(request.query)
        q["per_page"] = str(per_page)
        q["page"] = str(n)
        return str(request.url.with_query(q))

    if page < last:
        links.append(f'<{url(page + 1)}>; rel="next"')
        links.append(f'<{url(last)}>; rel="last"')
    if page > 1:
        links.append(f'<{url(1)}>; rel="first"')
        links.append(f'<{url(min(page - 1, last))}>; rel="prev"')
    return chunk, ({"Link": ", ".join(links)} if links else {})


def paged(request: web.Request, items: list[Any], **kw: Any) -> web.Response:
    chunk, headers = paginate(request, items, **kw)
    return json_response(chunk, 200, headers)


def fake_of(request: web.Request) -> FakeGitHub:
    return request.app[FAKE_KEY]


def repo_of(request: web.Request) -> tuple[FakeGitHub, Repo]:
    """The fake and the route's repository, if the caller may see it (else 404, as GitHub)."""
    fake = fake_of(request)
    return fake, fake.visible_repo(request)


def repo_for_write(request: web.Request) -> tuple[FakeGitHub, Repo]:
    """`repo_of`, then 403 as GitHub when the caller's token may only read that repository."""
    fake, repo = repo_of(request)
    require_write(request)
    return fake, repo


def issue_of(request: web.Request, repo: Repo) -> Issue:
    """The issue or pull request the route's {number} names in `repo`, else 404."""
    return fake_of(request).issue(repo, int(request.match_info["number"]))


def body_of(request: web.Request) -> dict[str, Any]:
    body = request.get(JSON_KEY)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise GitHubError(400, "Problems parsing JSON")
    return body


def comment_of(request: web.Request, repo: Repo) -> Comment:
    """The issue comment the route's {comment_id} names in `repo`, else 404."""
    return fake_of(request).comment(int(request.match_info["comment_id"]), repo)


def updated_since(request: web.Request, items: list[Any]) -> list[Any]:
    """The items updated at or after the query's `since` (GitHub's ISO 8601 filter), or all of them."""
    if "since" not in request.query:
        return items
    since = parse_time(request.query["since"])
    return [x for x in items if x.updated_at >= since]


def require_write(request: web.Request) -> None:
    if request.get(READ_ONLY_KEY):
        raise GitHubError(403, "Resource not accessible by personal access token")


# ---------------------------------------------------------------- repositories and git


@routes.get(R)
async def get_repo(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    return json_response(render.repo(fake.url, repo))


def directory_listing(fake: FakeGitHub, repo: Repo, commit: Any, directory: str) -> list[dict[str, Any]]:
    from .state import subtree_sha

    prefix = f"{directory}/" if directory else ""
    entries: dict[str, dict[str, Any]] = {}
    for path, sha in commit.tree.items():
        if not path.startswith(prefix):
            continue
        rest = path[len(prefix):]
        head = rest.split("/", 1)[0]
        full = prefix + head
        if "/" in rest:
            entries.setdefault(full, render.content_entry(fake.url, repo, commit, full, "dir", subtree_sha(commit.tree, full), 0))
        else:
            entries[full] = render.content_entry(fake.url, repo, commit, full, "file", sha, len(repo.blobs[sha]))
    return [entries[k] for k in sorted(entries)]


@routes.get(R + "/contents")
@routes.get(R + "/contents/{path:.*}")
async def get_contents(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    ref = request.query.get("ref")
    try:
        commit = repo.resolve(ref)
    except GitHubError:
        # GitHub tells an unknown ref apart from an absent file by the message.
        raise GitHubError(404, f"No commit found for the ref {ref}") from None
    path = request.match_info.get("path", "").strip("/")
    if path in commit.tree:
        if "raw" in request.headers.get("Accept", ""):
            resp = web.Response(body=repo.blobs[commit.tree[path]], content_type="application/vnd.github.raw")
            return resp
        return json_response(render.content_file(fake.url, repo, commit, path))
    listing = directory_listing(fake, repo, commit, path)
    if listing or path == "":
        return json_response(listing)
    raise not_found()


@routes.get(R + "/git/trees/{sha:.+}")
async def get_tree(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    recursive = request.query.get("recursive") not in (None, "", "0", "false")
    return json_response(render.tree(fake.url, repo, request.match_info["sha"], recursive=recursive))


@routes.get(R + "/git/blobs/{sha}")
async def get_blob(request: web.Request) -> web.Response:
    import base64

    fake, repo = repo_of(request)
    sha = request.match_info["sha"]
    data = repo.blobs.get(sha)
    if data is None:
        raise not_found()
    return json_response(
        {
            "sha": sha,
            "node_id": f"B_{sha[:12]}",
            "size": len(data),
            "url": f"{fake.url}/repos/{repo.full_name}/git/blobs/{sha}",
            "content": base64.encodebytes(data).decode(),
            "encoding": "base64",
        }
    )


@routes.get(R + "/commits/{ref}")
async def get_commit(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    return json_response(render.commit_with_files(fake.url, repo, request.match_info["ref"]))


@routes.get(R + "/commits")
async def list_commits(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    head = repo.resolve(request.query.get("sha"))
    shas = ancestors(repo, head.sha)
    path = request.query.get("path")
    commits = [repo.commits[s] for s in shas]
    if path:
        def touches(c: Any) -> bool:
            before = repo.commits[c.parents[0]].tree if c.parents else {}
            return any(p == path or p.startswith(path.rstrip("/") + "/") for p in set(before) | set(c.tree) if before.get(p) != c.tree.get(p))
        commits = [c for c in commits if touches(c)]
    if "since" in request.query:
        since = parse_time(request.query["since"])
        commits = [c for c in commits if c.date >= since]
    if "until" in request.query:
        until = parse_time(request.query["until"])
        commits = [c for c in commits if c.date <= until]
    return paged(request, [render.commit(fake.url, repo, c) for c in commits])


@routes.get(R + "/branches/{branch:.+}")
async def get_branch(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    name = request.match_info["branch"]
    if name not in repo.branches:
        raise GitHubError(404, "Branch not found")
    c = repo.commits[repo.branches[name]]
    base = f"{fake.url}/repos/{repo.full_name}/branches/{name}"
    return json_response(
        {
            "name": name,
            "commit": render.commit(fake.url, repo, c),
            "_links": {"self": base, "html": f"{repo.html_url}/tree/{name}"},
            "protected": False,
            "protection": {"enabled": False, "required_status_checks": {"enforcement_level": "off", "contexts": [], "checks": []}},
            "protection_url": f"{base}/protection",
        }
    )


@routes.get(R + "/compare/{basehead:.+}")
async def compare(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    data = render.compare(fake.url, repo, request.match_info["basehead"])
    data["commits"], headers = paginate(request, data["commits"], default=250)
    return json_response(data, 200, headers)


# ---------------------------------------------------------------- issues


@routes.get(R + "/issues")
async def list_issues(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    return paged(request, [render.issue(fake.url, fake, i) for i in filter_issues(repo, request.query)])


@routes.post(R + "/issues")
async def create_issue(request: web.Request) -> web.Response:
    fake, repo = repo_for_write(request)
    ident: Identity = request[IDENT_KEY]
    body = body_of(request)
    if not body.get("title"):
        raise validation_failed([{"resource": "Issue", "code": "missing_field", "field": "title"}])
    assignees = list(body.get("assignees") or [])
    if body.get("assignee"):
        assignees.insert(0, body["assignee"])
    issue = fake.create_issue(
        repo,
        title=body["title"],
        body=body.get("body"),
        labels=label_names(body.get("labels")),
        assignees=assignees,
        user=ident.login,
        user_type=ident.user_type,
    )
    data = render.issue(fake.url, fake, issue)
    return json_response(data, 201, {"Location": data["url"]})


@routes.get(R + "/issues/{number:\\d+}")
async def get_issue(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    return json_response(render.issue(fake.url, fake, issue_of(request, repo)))


@routes.patch(R + "/issues/{number:\\d+}")
async def update_issue(request: web.Request) -> web.Response:
    fake, repo = repo_for_write(request)
    ident: Identity = request[IDENT_KEY]
    issue = fake.update_issue(repo, issue_of(request, repo), body_of(request), actor=ident.login)
    return json_response(render.issue(fake.url, fake, issue))


# ---------------------------------------------------------------- comments


@routes.get(R + "/issues/{number:\\d+}/comments")
async def list_comments(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    issue = issue_of(request, repo)
    comments = [fake.comments_by_id[c] for c in issue.comment_ids]
    comments = updated_since(request, comments)
    return paged(request, [render.comment(fake.url, fake, c) for c in comments])


@routes.post(R + "/issues/{number:\\d+}/comments")
async def create_comment(request: web.Request) -> web.Response:
    fake, repo = repo_for_write(request)
    ident: Identity = request[IDENT_KEY]
    issue = issue_of(request, repo)
    body = body_of(request)
    if not isinstance(body.get("body"), str) or not body["body"]:
        raise validation_failed([{"resource": "IssueComment", "code": "missing_field", "field": "body"}])
    comment = fake.create_comment(issue, body["body"], user=ident.login, user_type=ident.user_type)
    data = render.comment(fake.url, fake, comment)
    return json_response(data, 201, {"Location": data["url"]})


@routes.get(R + "/issues/comments")
async def list_repo_comments(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    comments = [c for c in fake.comments_by_id.values() if c.repo.lower() == repo.full_name.lower()]
    comments = updated_since(request, comments)
    comments.sort(key=lambda c: c.id, reverse=request.query.get("direction") == "desc")
    return paged(request, [render.comment(fake.url, fake, c) for c in comments])


@routes.post(R + "/commits/{sha}/comments")
async def create_commit_comment(request: web.Request) -> web.Response:
    fake, repo = repo_for_write(request)
    ident: Identity = request[IDENT_KEY]
    commit = repo.resolve(request.match_info["sha"])
    body = body_of(request)
    if not body.get("body"):
        raise validation_failed([{"resource": "CommitComment", "code": "missing_field", "field": "body"}])
    cid = fake.next_id()
    now = iso(fake.clock.now())
    data = {
        "id": cid,
        "node_id": f"CC_{cid}",
        "url": f"{fake.url}/repos/{repo.full_name}/comments/{cid}",
        "html_url": f"{repo.html_url}/commit/{commit.sha}#commitcomment-{cid}",
        "body": body["body"],
        "path": body.get("path"),
        "position": body.get("position"),
        "line": body.get("line"),
        "commit_id": commit.sha,
        "user": render.user(fake.url, ident.login),
        "created_at": now,
        "updated_at": now,
        "author_association": "NONE",
        "reactions": render.reactions_rollup(fake.url, f"{fake.url}/repos/{repo.full_name}/comments/{cid}", []),
    }
    fake.commit_comments.setdefault(repo.full_name.lower(), []).append(data)
    return json_response(data, 201, {"Location": data["url"]})


@routes.get(R + "/issues/comments/{comment_id:\\d+}")
async def get_comment(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    return json_response(render.comment(fake.url, fake, comment_of(request, repo)))


@routes.patch(R + "/issues/comments/{comment_id:\\d+}")
async def update_comment(request: web.Request) -> web.Response:
    fake, repo = repo_for_write(request)
    comment = fake.update_comment(repo, comment_of(request, repo), body_of(request).get("body"))
    return json_response(render.comment(fake.url, fake, comment))


@routes.delete(R + "/issues/comments/{comment_id:\\d+}")
async def delete_comment(request: web.Request) -> web.Response:
    fake, repo = repo_for_write(request)
    fake.delete_comment(repo, comment_of(request, repo))
    return web.Response(status=204)


# ---------------------------------------------------------------- labels


@routes.get(R + "/labels")
async def list_labels(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    return paged(request, [render.label(fake.url, repo, lab) for lab in repo.labels.values()])


@routes.get(R + "/labels/{name}")
async def get_label(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    lab = repo.labels.get(request.match_info["name"].lower())
    if lab is None:
        raise not_found()
    return json_response(render.label(fake.url, repo, lab))


@routes.post(R + "/labels")
async def create_label(request: web.Request) -> web.Response:
    fake, repo = repo_for_write(request)
    body = body_of(request)
    lab = fake.create_label(repo, body.get("name"), body.get("color"), body.get("description"))
    data = render.label(fake.url, repo, lab)
    return json_response(data, 201, {"Location": data["url"]})


@routes.patch(R + "/labels/{name}")
async def update_label(request: web.Request) -> web.Response:
    fake, repo = repo_for_write(request)
    old = request.match_info["name"]
    lab = repo.labels.get(old.lower())
    if lab is None:
        raise not_found()
    body = body_of(request)
    new_name = body.get("new_name") or body.get("name")
    if new_name and new_name.lower() != old.lower() and new_name.lower() in repo.labels:
        raise validation_failed([{"resource": "Label", "code": "already_exists", "field": "name"}])
    if "color" in body:
        lab.color = check_color(body["color"])
    if "description" in body:
        lab.description = body["description"]
    if new_name and new_name != lab.name:
        del repo.labels[lab.name.lower()]
        for issue in repo.issues.values():
            issue.labels = [new_name if n.lower() == lab.name.lower() else n for n in issue.labels]
        lab.name = new_name
        repo.labels[new_name.lower()] = lab
    return json_response(render.label(fake.url, repo, lab))


@routes.delete(R + "/labels/{name}")
async def delete_label(request: web.Request) -> web.Response:
    _, repo = repo_for_write(request)
    lab = repo.labels.pop(request.match_info["name"].lower(), None)
    if lab is None:
        raise not_found()
    for issue in repo.issues.values():
        issue.labels = [n for n in issue.labels if n.lower() != lab.name.lower()]
    return web.Response(status=204)


def issue_labels(fake: FakeGitHub, repo: Repo, issue: Any) -> web.Response:
    return json_response([render.label(fake.url, repo, repo.labels[n.lower()]) for n in issue.labels])


def labels_from_body(request: web.Request) -> list[str]:
    body = request.get(JSON_KEY)
    if isinstance(body, list):
        return label_names(body)
    if isinstance(body, dict):
        return label_names(body.get("labels"))
    return []


@routes.get(R + "/issues/{number:\\d+}/labels")
async def list_issue_labels(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    return issue_labels(fake, repo, issue_of(request, repo))


@routes.post(R + "/issues/{number:\\d+}/labels")
async def add_labels(request: web.Request) -> web.Response:
    fake, repo = repo_for_write(request)
    issue = issue_of(request, repo)
    fake.set_labels(repo, issue, issue.labels + labels_from_body(request), actor=request[IDENT_KEY].login)
    return issue_labels(fake, repo, issue)


@routes.put(R + "/issues/{number:\\d+}/labels")
async def set_labels(request: web.Request) -> web.Response:
    fake, repo = repo_for_write(request)
    issue = issue_of(request, repo)
    fake.set_labels(repo, issue, labels_from_body(request), actor=request[IDENT_KEY].login)
    return issue_labels(fake, repo, issue)


@routes.delete(R + "/issues/{number:\\d+}/labels/{name}")
async def remove_label(request: web.Request) -> web.Response:
    fake, repo = repo_for_write(request)
    issue = issue_of(request, repo)
    fake.remove_issue_label(repo, issue, request.match_info["name"], actor=request[IDENT_KEY].login)
    return issue_labels(fake, repo, issue)


# ---------------------------------------------------------------- assignees and people


@routes.post(R + "/issues/{number:\\d+}/assignees")
async def add_assignees(request: web.Request) -> web.Response:
    fake, repo = repo_for_write(request)
    issue = fake.add_assignees(repo, issue_of(request, repo), list(body_of(request).get("assignees") or []))
    return json_response(render.issue(fake.url, fake, issue), 201)


@routes.delete(R + "/issues/{number:\\d+}/assignees")
async def remove_assignees(request: web.Request) -> web.Response:
    fake, repo = repo_for_write(request)
    issue = fake.remove_assignees(issue_of(request, repo), list(body_of(request).get("assignees") or []))
    return json_response(render.issue(fake.url, fake, issue))


@routes.get(R + "/assignees/{login}")
async def check_assignable(request: web.Request) -> web.Response:
    _, repo = repo_of(request)
    if repo.is_assignable(request.match_info["login"]):
        return web.Response(status=204)
    raise not_found()


@routes.get(R + "/collaborators/{login}/permission")
async def collaborator_permission(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    login = request.match_info["login"]
    role = repo.permission_of(login)
    if role is None:
        role = "none" if repo.private else "read"
    permission = {"admin": "admin", "maintain": "write", "write": "write", "triage": "read", "read": "read"}.get(role, "none")
    return json_response(
        {"permission": permission, "role_name": role, "user": render.user(fake.url, login, role_name=role)}
    )


# ---------------------------------------------------------------- timeline, reactions, sub-issues


@routes.get(R + "/issues/{number:\\d+}/timeline")
async def timeline(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    issue = issue_of(request, repo)
    return paged(request, render.timeline(fake.url, fake, repo, issue))


def add_reaction(fake: FakeGitHub, request: web.Request, bucket: list[Reaction]) -> web.Response:
    ident: Identity = request[IDENT_KEY]
    x, new = fake.react(bucket, body_of(request).get("content"), ident.login, ident.user_type)
    return json_response(render.reaction(fake.url, x), 201 if new else 200)


@routes.post(R + "/issues/{number:\\d+}/reactions")
async def react_issue(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    issue = issue_of(request, repo)
    return add_reaction(fake, request, issue.reactions)


@routes.get(R + "/issues/{number:\\d+}/reactions")
async def list_issue_reactions(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    issue = issue_of(request, repo)
    return paged(request, [render.reaction(fake.url, x) for x in issue.reactions])


@routes.post(R + "/issues/comments/{comment_id:\\d+}/reactions")
async def react_comment(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    comment = comment_of(request, repo)
    return add_reaction(fake, request, fake.comment_reactions.setdefault(comment.id, []))


@routes.get(R + "/issues/comments/{comment_id:\\d+}/reactions")
async def list_comment_reactions(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    comment = comment_of(request, repo)
    return paged(request, [render.reaction(fake.url, x) for x in fake.comment_reactions.get(comment.id, [])])


@routes.post(R + "/issues/{number:\\d+}/sub_issues")
async def add_sub_issue(request: web.Request) -> web.Response:
    fake, repo = repo_for_write(request)
    body = body_of(request)
    parent = fake.add_sub_issue(
        issue_of(request, repo), int(body.get("sub_issue_id") or 0), replace_parent=bool(body.get("replace_parent"))
    )
    data = render.issue(fake.url, fake, parent)
    return json_response(data, 201, {"Location": data["url"]})


@routes.get(R + "/issues/{number:\\d+}/sub_issues")
async def list_sub_issues(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    parent = issue_of(request, repo)
    return paged(request, [render.issue(fake.url, fake, fake.issues_by_id[s]) for s in parent.sub_issue_ids])


# ---------------------------------------------------------------- pulls


@routes.get(R + "/pulls/{number:\\d+}")
async def get_pull(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    issue = issue_of(request, repo)
    if not issue.pull_request:
        raise not_found()
    return json_response(render_pull(fake, repo, issue))


def pull_files(fake: FakeGitHub, repo: Repo, i: Any) -> list[dict[str, Any]]:
    head_sha = i.head_sha or repo.resolve(None).sha
    head = repo.commits[head_sha]
    base_sha = repo.branches.get(i.base_ref)
    base_anc = set(ancestors(repo, base_sha)) if base_sha else set()
    merge_base = next((s for s in ancestors(repo, head_sha) if s in base_anc), None)
    old = repo.commits[merge_base].tree if merge_base else {}
    return render.file_changes(fake.url, repo, old, head.tree, head_sha)


@routes.get(R + "/pulls/{number:\\d+}/files")
async def list_pull_files(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    issue = issue_of(request, repo)
    if not issue.pull_request:
        raise not_found()
    return paged(request, pull_files(fake, repo, issue))


def render_pull(fake: FakeGitHub, repo: Repo, i: Any) -> dict[str, Any]:
    api = fake.url
    base_url = f"{api}/repos/{repo.full_name}"
    data = render.issue(api, fake, i)
    url = f"{base_url}/pulls/{i.number}"
    repo_json = render.repo(api, repo, full=False)
    tip = repo.head()
    head_sha = i.head_sha or (tip.sha if tip else "0" * 40)
    base_sha = repo.branches.get(i.base_ref) or head_sha

    def ref(name: str, sha: str) -> dict[str, Any]:
        return {"label": f"{repo.owner}:{name}", "ref": name, "sha": sha, "user": render.user(api, repo.owner, repo.owner_type), "repo": repo_json}

    def link(href: str) -> dict[str, str]:
        return {"href": href}

    files = pull_files(fake, repo, i)
    data.pop("pull_request", None)
    data.pop("reactions", None)
    data.pop("sub_issues_summary", None)
    data.pop("parent_issue_url", None)
    data.pop("timeline_url", None)
    data.pop("labels_url", None)
    data.pop("repository_url", None)
    data.pop("events_url", None)
    data.pop("closed_by", None)
    data.pop("state_reason", None)
    data.update(
        {
            "url": url,
            "html_url": f"{repo.html_url}/pull/{i.number}",
            "diff_url": f"{repo.html_url}/pull/{i.number}.diff",
            "patch_url": f"{repo.html_url}/pull/{i.number}.patch",
            "issue_url": f"{base_url}/issues/{i.number}",
            "commits_url": f"{url}/commits",
            "review_comments_url": f"{url}/comments",
            "review_comment_url": f"{base_url}/pulls/comments{{/number}}",
            "comments_url": f"{base_url}/issues/{i.number}/comments",
            "statuses_url": f"{base_url}/statuses/{head_sha}",
            "head": ref(i.head_ref, head_sha),
            "base": ref(i.base_ref, base_sha),
            "_links": {
                "self": link(url),
                "html": link(f"{repo.html_url}/pull/{i.number}"),
                "issue": link(f"{base_url}/issues/{i.number}"),
                "comments": link(f"{base_url}/issues/{i.number}/comments"),
                "review_comments": link(f"{url}/comments"),
                "review_comment": link(f"{base_url}/pulls/comments{{/number}}"),
                "commits": link(f"{url}/commits"),
                "statuses": link(f"{base_url}/statuses/{head_sha}"),
            },
            "merged": i.merged,
            "merged_at": iso(i.merged_at) if i.merged_at else None,
            "merged_by": render.user(api, i.merged_by) if i.merged_by else None,
            "merge_commit_sha": head_sha if i.merged else None,
            "mergeable": None if i.state == "closed" else True,
            "mergeable_state": "clean",
            "rebaseable": None,
            "maintainer_can_modify": False,
            "auto_merge": None,
            "requested_reviewers": [],
            "requested_teams": [],
            "draft": i.draft,
            "additions": sum(f["additions"] for f in files),
            "deletions": sum(f["deletions"] for f in files),
            "changed_files": len(files),
            "commits": 1,
            "review_comments": 0,
            "comments": len(i.comment_ids),
        }
    )
    return data


# ---------------------------------------------------------------- check runs


@routes.post(R + "/check-runs")
async def create_check_run(request: web.Request) -> web.Response:
    fake, repo = repo_for_write(request)
    cr = fake.create_check_run(repo, body_of(request))
    return json_response(render.check_run(fake.url, fake, repo, cr), 201)


def find_check_run(fake: FakeGitHub, repo: Repo, ident: str) -> CheckRun:
    for cr in repo.check_runs:
        if cr.id == int(ident):
            return cr
    raise not_found()


@routes.patch(R + "/check-runs/{id:\\d+}")
async def update_check_run(request: web.Request) -> web.Response:
    fake, repo = repo_for_write(request)
    cr = find_check_run(fake, repo, request.match_info["id"])
    body = body_of(request)
    for key in ("name", "details_url", "external_id"):
        if key in body:
            setattr(cr, key, body[key])
    if "output" in body:
        cr.output = dict(body["output"] or {})
    if "status" in body:
        cr.status = body["status"]
    if body.get("conclusion"):
        cr.conclusion = body["conclusion"]
        cr.status = "completed"
    if cr.status == "completed" and cr.completed_at is None:
        cr.completed_at = parse_time(body["completed_at"]) if body.get("completed_at") else fake.clock.now()
    return json_response(render.check_run(fake.url, fake, repo, cr))


@routes.get(R + "/check-runs/{id:\\d+}")
async def get_check_run(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    return json_response(render.check_run(fake.url, fake, repo, find_check_run(fake, repo, request.match_info["id"])))


@routes.get(R + "/commits/{ref}/check-runs")
async def list_check_runs(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    runs = fake.check_runs_at(repo, request.match_info["ref"], request.query.get("check_name"))
    chunk, headers = paginate(request, [render.check_run(fake.url, fake, repo, c) for c in runs])
    return json_response({"total_count": len(runs), "check_runs": chunk}, 200, headers)


# ---------------------------------------------------------------- apps and installations


@routes.post("/app/installations/{id:\\d+}/access_tokens")
async def create_token(request: web.Request) -> web.Response:
    fake = fake_of(request)
    inst = fake.installations.get(int(request.match_info["id"]))
    if inst is None:
        raise not_found()
    body = body_of(request)
    names = body.get("repositories")
    repos = fake.installation_repos(inst.id)
    if names:
        wanted = {f"{inst.account}/{n}".lower() if "/" not in n else n.lower() for n in names}
        missing = wanted - {r.full_name.lower() for r in repos}
        if missing:
            raise validation_failed([{"resource": "Installation", "code": "invalid", "field": "repositories"}])
        repos = [r for r in repos if r.full_name.lower() in wanted]
    token = fake.mint_token(inst.id, [r.full_name for r in repos] if names else None)
    assert token.expires_at is not None
    data: dict[str, Any] = {
        "token": token.token,
        "expires_at": iso(token.expires_at),
        "permissions": body.get("permissions") or inst.permissions,
        "repository_selection": "selected" if names else inst.repository_selection,
    }
    if names:
        data["repositories"] = [render.repo(fake.url, r, full=False) for r in repos]
    return json_response(data, 201)


@routes.get("/app/installations")
async def list_installations(request: web.Request) -> web.Response:
    fake = fake_of(request)
    insts = [render.installation(fake.url, fake, i) for i in fake.installations.values()]
    return paged(request, insts)


@routes.get("/app/installations/{id:\\d+}")
async def get_installation(request: web.Request) -> web.Response:
    fake = fake_of(request)
    inst = fake.installations.get(int(request.match_info["id"]))
    if inst is None:
        raise not_found()
    return json_response(render.installation(fake.url, fake, inst))


@routes.get("/app")
async def get_app(request: web.Request) -> web.Response:
    fake = fake_of(request)
    return json_response(render.app(fake.url, fake))


@routes.get("/installation/repositories")
async def installation_repositories(request: web.Request) -> web.Response:
    fake = fake_of(request)
    ident: Identity = request[IDENT_KEY]
    if ident.kind != "installation" or ident.token is None:
        raise GitHubError(403, "You must authenticate with an installation access token in order to list repositories for an installation.")
    tok = ident.token
    repos = [
        r for r in fake.installation_repos(tok.installation_id or 0)
        if tok.repos is None or r.full_name.lower() in tok.repos
    ]
    chunk, headers = paginate(request, [render.repo(fake.url, r, full=False) for r in repos])
    inst = fake.installations.get(tok.installation_id or 0)
    return json_response(
        {"total_count": len(repos), "repositories": chunk, "repository_selection": inst.repository_selection if inst else "selected"},
        200,
        headers,
    )


@routes.get(R + "/installation")
async def repo_installation(request: web.Request) -> web.Response:
    fake, repo = repo_of(request)
    inst = fake.installations.get(repo.installation_id or 0)
    if inst is None:
        raise not_found()
    return json_response(render.installation(fake.url, fake, inst))


def delivery_summary(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k != "payload"}


@routes.get("/app/hook/deliveries")
async def list_deliveries(request: web.Request) -> web.Response:
    fake = fake_of(request)
    q = request.query
    per_page = max(1, min(int(q.get("per_page", 30)), 100))
    items = fake.hook_deliveries
    if q.get("status") == "success":
        items = [d for d in items if 200 <= d["status_code"] < 400]
    elif q.get("status") == "failure":
        items = [d for d in items if not 200 <= d["status_code"] < 400]
    start = 0
    if q.get("cursor"):
        cursor = q["cursor"].removeprefix("v1_")
        start = next((n for n, d in enumerate(items) if str(d["id"]) == cursor), len(items))
    chunk = items[start : start + per_page]
    headers = {}
    if start + per_page < len(items):
        nq = dict(q)
        nq["per_page"] = str(per_page)
        nq["cursor"] = f"v1_{items[start + per_page]['id']}"
        headers["Link"] = f'<{request.url.with_query(nq)}>; rel="next"'
    return json_response([delivery_summary(d) for d in chunk], 200, headers)


def find_delivery(fake: FakeGitHub, ident: str) -> dict[str, Any]:
    for d in fake.hook_deliveries:
        if str(d["id"]) == ident:
            return d
    raise not_found()


@routes.get("/app/hook/deliveries/{id:\\d+}")
async def get_delivery(request: web.Request) -> web.Response:
    fake = fake_of(request)
    d = find_delivery(fake, request.match_info["id"])
    data = delivery_summary(d)
    data["url"] = f"{fake.url}/app/hook/deliveries/{d['id']}"
    data["request"] = {"headers": {"X-GitHub-Event": d["event"], "X-GitHub-Delivery": d["guid"]}, "payload": d["payload"]}
    data["response"] = {"headers": {}, "payload": None}
    return json_response(data)


@routes.post("/app/hook/deliveries/{id:\\d+}/attempts")
async def redeliver(request: web.Request) -> web.Response:
    fake = fake_of(request)
    d = find_delivery(fake, request.match_info["id"])
    fake.redelivery_attempts.append(d["id"])
    if fake.webhook_target is not None:
        fake.spawn(redeliver_to_target(fake, d))
    else:
        fake.add_hook_delivery(
            d["event"], d["action"], status_code=200, guid=d["guid"],
            installation_id=d["installation_id"], repository_id=d["repository_id"],
            redelivery=True, payload=d["payload"],
        )
    return json_response({}, 202)


async def redeliver_to_target(fake: FakeGitHub, d: dict[str, Any]) -> None:
    """Post the stored payload to the bot as GitHub would, and log the attempt."""
    import aiohttp

    from tests.deliveries import delivery_headers

    url, secret = fake.webhook_target  # type: ignore[misc]
    body = json.dumps(d["payload"]).encode()
    headers = delivery_headers(d["event"], body, secret=secret, delivery_id=d["guid"])
    status = 0
    try:
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=body, headers=headers, timeout=aiohttp.ClientTimeout(total=10)) as resp,
        ):
            status = resp.status
    except (TimeoutError, aiohttp.ClientError):
        status = 0
    fake.add_hook_delivery(
        d["event"], d["action"], status_code=status, guid=d["guid"],
        installation_id=d["installation_id"], repository_id=d["repository_id"],
        redelivery=True, payload=d["payload"],
    )


@routes.get("/rate_limit")
async def rate_limit(request: web.Request) -> web.Response:
    fake = fake_of(request)
    ident: Identity = request[IDENT_KEY]
    b = fake.rate_bucket(ident.bucket_key)
    core = {"limit": b.limit, "remaining": b.remaining, "reset": b.reset, "used": b.used}
    search = {"limit": 30, "remaining": 30, "reset": fake.clock.epoch() + 60, "used": 0}
    return json_response({"resources": {"core": core, "search": search}, "rate": core})


@routes.post("/app-manifests/{code}/conversions")
async def manifest_conversion(request: web.Request) -> web.Response:
    fake = fake_of(request)
    code = request.match_info["code"]
    if code not in fake.manifest_codes:
        raise not_found()
    extra = fake.manifest_codes.pop(code)
    data = render.app(fake.url, fake)
    data.update(
        {
            "client_id": data["client_id"],
            "client_secret": "fake-client-secret",
            "webhook_secret": "fake-webhook-secret",
            "pem": "-----BEGIN RSA PRIVATE KEY-----\nFAKE\n-----END RSA PRIVATE KEY-----\n",
        }
    )
    data.update(extra)
    return json_response(data, 201)
