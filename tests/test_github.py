"""The GitHub client against the fake GitHub over real HTTP: auth, caching, limits, retries.

No test waits for real: every back-off and rate-limit wait goes through
`Sleeper`, which records the seconds asked for and returns at once.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import aiohttp
import pytest
from gidgethub import BadRequest, GitHubBroken

from actionbot import logs
from actionbot.github.app import AppClients
from actionbot.github.client import GitHubClient, RetryPolicy
from tests.helpers import APP_ID, Sleeper

REPO = "octo-org/notes"
@pytest.fixture
def github(fake_github: Any, app_key: tuple[str, str]) -> Any:
    fake_github.set_app(APP_ID, app_key[1])
    fake_github.add_installation(42, "octo-org")
    fake_github.add_repo(REPO, {"docs/meetings/2025-01-01.md": "# Meeting\n", "README.md": "hi"}, installation_id=42)
    return fake_github


@pytest.fixture
async def session() -> Any:
    async with aiohttp.ClientSession() as s:
        yield s


def make_clients(session: Any, fake: Any, key: str, sleeper: Sleeper, **kw: Any) -> AppClients:
    return AppClients(session, app_id=str(APP_ID), private_key=key, api_url=fake.url, write_interval=0, sleep=sleeper, **kw)


@pytest.fixture
async def gh(github: Any, session: Any, app_key: tuple[str, str]) -> Any:
    sleeper = Sleeper()
    clients = make_clients(session, github, app_key[0], sleeper)
    client = await clients.for_installation(42)
    client.sleeper = sleeper
    client.clients = clients
    return client


# -- tokens ------------------------------------------------------------------------
async def test_many_uses_of_one_installation_cost_one_token_request(github: Any, session: Any, app_key: Any) -> None:
    clients = make_clients(session, github, app_key[0], Sleeper())
    results = await asyncio.gather(*(clients.for_installation(42) for _ in range(10)))
    for client in results:
        await client.get_repo(REPO)
    assert github.token_requests == [42]
    assert clients.token_requests == 1
    assert len({id(c) for c in results}) == 1  # one client (pacing, caches) per installation


async def test_token_renewed_a_few_minutes_before_expiry(github: Any, session: Any, app_key: Any) -> None:
    now = [github.clock.epoch()]
    clients = make_clients(session, github, app_key[0], Sleeper(), clock=lambda: now[0])
    gh = await clients.for_installation(42)
    await gh.get_repo(REPO)
    now[0] += 3600 - 600  # 50 minutes later: still valid, still cached
    await gh.get_repo(REPO)
    assert github.token_requests == [42]
    now[0] += 400  # 56 minutes: inside the refresh margin
    await gh.get_repo(REPO)
    assert github.token_requests == [42, 42]
    tokens = [r.token for r in github.requests if r.path == f"/repos/{REPO}"]
    assert tokens[0] == tokens[1] != tokens[2]  # the same client switched to the new token


async def test_app_api_uses_the_jwt(github: Any, session: Any, app_key: Any) -> None:
    clients = make_clients(session, github, app_key[0], Sleeper())
    github.add_hook_delivery("push", status_code=502, installation_id=42)
    app = await clients.app_client()
    deliveries = await app.list_hook_deliveries()
    assert [d["status_code"] for d in deliveries] == [502]
    [rec] = [r for r in github.requests if r.path == "/app/hook/deliveries"]
    assert rec.identity == "app" and rec.status == 200


# -- typed methods -------------------------------------------------------------------
async def test_contents_tree_and_missing_file(gh: Any) -> None:
    assert await gh.get_content(REPO, "README.md") == b"hi"
    assert await gh.get_content(REPO, "docs/meetings/2025-01-01.md", "main") == b"# Meeting\n"
    assert await gh.get_content(REPO, "nope.md") is None
    assert sorted(await gh.get_tree(REPO, "main")) == ["README.md", "docs/meetings/2025-01-01.md"]
    repo = await gh.get_repo(REPO)
    assert repo["default_branch"] == "main"


async def test_issues_comments_labels_assignees_reactions_checks(github: Any, gh: Any) -> None:
    github.add_collaborator(REPO, "alice", "write")
    created = await gh.create_issue(REPO, title="Do the thing", body="b", labels=["action item"], assignees=["alice"])
    n = created["number"]
    assert [i["number"] for i in await gh.list_issues(REPO, labels=["action item"])] == [n]
    await gh.update_issue(REPO, n, title="Do the thing now")
    assert (await gh.get_issue(REPO, n))["title"] == "Do the thing now"
    comment = await gh.create_comment(REPO, n, "hello")
    await gh.update_comment(REPO, comment["id"], "hello again")
    assert [c["body"] for c in await gh.list_comments(REPO, n)] == ["hello again"]
    await gh.add_reaction(REPO, comment["id"])
    extra = await gh.create_comment(REPO, n, "a second copy")
    assert await gh.delete_comment(REPO, extra["id"]) is True
    assert await gh.delete_comment(REPO, extra["id"]) is False  # already gone: 404 is not an error
    assert [c["body"] for c in await gh.list_comments(REPO, n)] == ["hello again"]
    await gh.create_label(REPO, "needs owner", "#d93f0b", "no owner in the notes")
    await gh.update_label(REPO, "needs owner", description="nobody named")
    assert {lb["name"] for lb in await gh.list_labels(REPO)} >= {"action item", "needs owner"}
    await gh.add_labels(REPO, n, ["needs owner"])
    await gh.remove_label(REPO, n, "needs owner")
    await gh.remove_label(REPO, n, "never had it")  # 404 is not an error
    await gh.remove_assignees(REPO, n, ["alice"])
    await gh.add_assignees(REPO, n, ["alice"])
    assert await gh.is_assignable(REPO, "alice") is True
    assert await gh.is_assignable(REPO, "mallory") is False
    assert await gh.permission(REPO, "alice") == "write"
    assert await gh.permission(REPO, "mallory") in ("none", "read")
    before = len(github.requests)
    assert await gh.is_assignable(REPO, "alice") and await gh.permission(REPO, "alice") == "write"
    assert len(github.requests) == before  # both cached
    check = await gh.create_check_run(REPO, name="actionbot", head_sha=github.repo(REPO).head().sha,
                                      conclusion="success", output={"title": "ok", "summary": "nothing to do"})
    await gh.update_check_run(REPO, check["id"], output={"title": "ok", "summary": "still nothing"})
    assert isinstance(await gh.timeline(REPO, n), list)
    assert gh.requests_made == len([r for r in github.requests if r.token and r.token.startswith("ghs_")])
    assert gh.rate_limit_remaining is not None and gh.rate_limit_remaining < 5000


async def test_list_issues_follows_pagination_and_skips_pull_requests(github: Any, gh: Any) -> None:
    for i in range(130):
        github.add_issue(REPO, f"issue {i}")
    github.add_issue(REPO, "a PR", pull_request=True)
    issues = await gh.list_issues(REPO)
    assert len(issues) == 130
    pages = [r for r in github.requests if r.path == f"/repos/{REPO}/issues" and r.method == "GET"]
    assert len(pages) == 2


async def test_etag_revalidation_costs_nothing(github: Any, gh: Any) -> None:
    n = github.add_issue(REPO, "cached").number
    first = await gh.get_issue(REPO, n)
    second = await gh.get_issue(REPO, n)
    assert first == second
    recs = [r for r in github.requests if r.path == f"/repos/{REPO}/issues/{n}"]
    assert [r.status for r in recs] == [200, 304]
    assert recs[1].counted is False


async def test_a_file_absent_at_a_commit_is_asked_for_once(github: Any, gh: Any) -> None:
    """A 404 has no ETag (it would count at every re-run), but a commit never changes."""
    sha = github.repo(REPO).head().sha
    path = f"/repos/{REPO}/contents/.github/actionbot.yml"
    for _ in range(3):
        assert await gh.get_content(REPO, ".github/actionbot.yml", sha) is None
    assert [r.status for r in github.requests if r.path == path] == [404]
    for _ in range(2):  # a branch moves: asked again each time
        assert await gh.get_content(REPO, ".github/actionbot.yml", "main") is None
    unknown = "f" * 40  # "No commit found for the ref": perhaps a commit not visible yet, never remembered
    for _ in range(2):
        assert await gh.get_content(REPO, "README.md", unknown) is None
    assert [r.status for r in github.requests if r.path == path] == [404, 404, 404]
    assert len([r for r in github.requests if r.path == f"/repos/{REPO}/contents/README.md"]) == 2


async def test_the_apps_own_reads_are_conditional(github: Any, session: Any, app_key: Any) -> None:
    clients = make_clients(session, github, app_key[0], Sleeper())
    app = await clients.app_client()
    assert await app.list_installations() == await app.list_installations()
    recs = [r for r in github.requests if r.path == "/app/installations"]
    assert [(r.status, r.counted) for r in recs] == [(200, True), (304, False)]


async def test_from_token_mode(github: Any, session: Any) -> None:
    github.add_token("ghp_" + "a" * 36)
    gh = GitHubClient.from_token(session, "ghp_" + "a" * 36, github.url, write_interval=0)
    assert (await gh.get_repo(REPO))["full_name"] == REPO


# -- limits and retries -------------------------------------------------------------------
async def test_secondary_limit_403_waits_retry_after_then_retries(github: Any, gh: Any) -> None:
    github.fault("GET", f"/repos/{REPO}$", "secondary_limit", retry_after=7)
    assert (await gh.get_repo(REPO))["full_name"] == REPO
    assert gh.sleeper.calls == [7.0]
    assert [r.status for r in github.requests if r.path == f"/repos/{REPO}"] == [403, 200]


async def test_secondary_limit_on_a_create_is_retried_because_it_was_not_applied(github: Any, gh: Any) -> None:
    github.fault("POST", f"/repos/{REPO}/issues$", "secondary_limit", status=429, retry_after=3)
    await gh.create_issue(REPO, title="once")
    assert gh.sleeper.calls == [3.0]
    assert [i["title"] for i in github.issues(REPO)] == ["once"]


async def test_secondary_limit_without_retry_after_waits_a_minute(github: Any, gh: Any) -> None:
    gh.api.policy = RetryPolicy(max_total_wait=1000)
    github.fault("GET", f"/repos/{REPO}$", "status", status=403,
                 message="You have exceeded a secondary rate limit. Please wait a few minutes before you try again.")
    await gh.get_repo(REPO)
    assert len(gh.sleeper.calls) == 1 and gh.sleeper.calls[0] >= 60


async def test_primary_limit_waits_until_reset(github: Any, gh: Any) -> None:
    github.fault("GET", f"/repos/{REPO}$", "rate_limit", reset_in=30)
    await gh.get_repo(REPO)
    assert len(gh.sleeper.calls) == 1 and 25 <= gh.sleeper.calls[0] <= 35


async def test_wait_longer_than_the_budget_is_not_waited(github: Any, gh: Any) -> None:
    github.fault("GET", f"/repos/{REPO}$", "secondary_limit", retry_after=3600)
    with pytest.raises(BadRequest):
        await gh.get_repo(REPO)
    assert gh.sleeper.calls == []


async def test_plain_403_is_not_retried(github: Any, gh: Any) -> None:
    github.fault("GET", f"/repos/{REPO}$", "status", status=403, message="Resource not accessible by integration")
    with pytest.raises(BadRequest):
        await gh.get_repo(REPO)
    assert gh.sleeper.calls == []


async def test_reads_retry_5xx_and_dropped_connections_with_backoff(github: Any, gh: Any) -> None:
    github.fault("GET", f"/repos/{REPO}$", "status", status=502, times=2)
    await gh.get_repo(REPO)
    # aiohttp itself retries an idempotent request once on a reused connection
    # that drops; the second drop is ours to retry.
    github.fault("GET", f"/repos/{REPO}$", "drop", times=2)
    await gh.get_repo(REPO)
    assert len(gh.sleeper.calls) == 3
    assert gh.sleeper.calls[1] > gh.sleeper.calls[0] / 2  # exponential, with jitter


async def test_reads_give_up_after_bounded_attempts(github: Any, gh: Any) -> None:
    github.fault("GET", f"/repos/{REPO}$", "status", status=503, times=50)
    with pytest.raises(GitHubBroken):
        await gh.get_repo(REPO)
    assert len([r for r in github.requests if r.path == f"/repos/{REPO}"]) == RetryPolicy().max_attempts


async def test_creates_are_never_blindly_retried(github: Any, gh: Any) -> None:
    github.fault("POST", f"/repos/{REPO}/issues$", "lost_answer")
    with pytest.raises(GitHubBroken):
        await gh.create_issue(REPO, title="applied, answer lost")
    github.fault("POST", f"/repos/{REPO}/issues$", "lost_answer", answer="drop")
    with pytest.raises(aiohttp.ClientError):
        await gh.create_issue(REPO, title="applied, connection dropped")
    assert len(github.writes("/issues")) == 2 and len(github.issues(REPO)) == 2  # each applied once
    assert gh.sleeper.calls == []


async def test_retry_safe_writes_are_retried(github: Any, gh: Any) -> None:
    n = github.add_issue(REPO, "t").number
    github.fault("PATCH", f"/repos/{REPO}/issues/{n}$", "status", status=502)
    await gh.update_issue(REPO, n, state="closed")
    assert github.issue_json(REPO, n)["state"] == "closed"
    assert len(gh.sleeper.calls) == 1


async def test_writes_are_paced_per_installation(github: Any, session: Any, app_key: Any) -> None:
    now = [1_000_000.0]
    sleeper = Sleeper(now)
    clients = AppClients(session, app_id=str(APP_ID), private_key=app_key[0], api_url=github.url,
                         write_interval=1.0, sleep=sleeper, clock=lambda: now[0])
    gh = await clients.for_installation(42)
    n = github.add_issue(REPO, "paced").number
    await gh.get_issue(REPO, n)
    for i in range(3):
        await gh.create_comment(REPO, n, f"c{i}")
    assert sleeper.calls == [1.0, 1.0]  # reads are not paced; the first write waits for nobody


# -- secrets ---------------------------------------------------------------------------------
async def test_no_secret_in_debug_logs(github: Any, session: Any, app_key: Any, caplog: Any) -> None:
    import io

    stream = io.StringIO()
    logs.register_secret(app_key[0])
    handler = logs.configure("DEBUG", stream)
    try:
        clients = make_clients(session, github, app_key[0], Sleeper())
        gh = await clients.for_installation(42)
        logging.getLogger("actionbot.test").debug("client %r token %s", clients, await clients.installation_token(42))
        github.fault("GET", f"/repos/{REPO}$", "status", status=401, message="Bad credentials")
        with pytest.raises(BadRequest) as info:
            await gh.get_repo(REPO)
        logging.getLogger("actionbot.test").exception("failed", exc_info=info.value)
    finally:
        logging.getLogger().removeHandler(handler)
    out = stream.getvalue()
    token = github.requests[-1].token
    assert token and token.startswith("ghs_")
    jwts = {r.token for r in github.requests if r.identity == "app"}
    assert out and "client AppClients" in out
    for secret in [token, *jwts, "PRIVATE KEY", app_key[0].splitlines()[1]]:
        assert secret not in out


async def test_the_rate_limit_is_githubs_count_through_a_long_run_of_304s(github: Any, gh: Any) -> None:
    """gidgethub counts one request down before each call and a cached 304 never corrects it:
    300 free revalidations with 50 left must neither wait for the reset nor fail."""
    n = github.add_issue(REPO, "polled").number
    github.set_rate_limit("installation:42", remaining=50)
    await gh.get_issue(REPO, n)
    for _ in range(300):
        await gh.get_issue(REPO, n)
    recs = [r for r in github.requests if r.path == f"/repos/{REPO}/issues/{n}"]
    assert [r.status for r in recs].count(304) == 300
    assert gh.sleeper.calls == []
    assert gh.rate_limit_remaining == github.rate_bucket("installation:42").remaining == 49
