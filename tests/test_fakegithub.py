"""The fake GitHub behaves like GitHub where the bot depends on it.

Exercised through the real gidgethub client, as the bot reaches it.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import gidgethub
import gidgethub.apps
import jwt
import pytest
from aiohttp import web
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from gidgethub.aiohttp import GitHubAPI

from tests.deliveries import deliver, load_example, payload_for, push_payload, sign
from tests.fakegithub import FakeGitHub, schemas

REPO = "octo-org/notes"
TOKEN = "ghp_testtoken"


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def fake(fake_github: FakeGitHub) -> FakeGitHub:
    fake_github.add_installation(1, account="octo-org")
    fake_github.add_repo(
        REPO,
        {"docs/meetings/2024-01-04.md": "# Meeting\n\n## Next actions\n\n- Do it (Alice)\n", "README.md": "notes\n"},
        installation_id=1,
    )
    fake_github.add_collaborator(REPO, "alice", "write")
    fake_github.add_collaborator(REPO, "rita", "read")
    fake_github.add_token(TOKEN)
    return fake_github


def gh_for(session: aiohttp.ClientSession, fake: FakeGitHub, token: str = TOKEN, **kw: Any) -> GitHubAPI:
    return GitHubAPI(session, "actionbot-tests", oauth_token=token, base_url=fake.url, **kw)


async def test_fixture_starts_on_loopback_with_a_random_port(fake: FakeGitHub) -> None:
    assert fake.url.startswith("http://127.0.0.1:")
    assert not fake.url.endswith(":0")


async def test_contents_tree_and_blob(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    gh = gh_for(session, fake)
    item = await gh.getitem(f"/repos/{REPO}/contents/docs/meetings/2024-01-04.md")
    assert base64.b64decode(item["content"]).decode().startswith("# Meeting")
    tree = await gh.getitem(f"/repos/{REPO}/git/trees/main?recursive=1")
    blobs = {e["path"]: e["sha"] for e in tree["tree"] if e["type"] == "blob"}
    assert set(blobs) == {"README.md", "docs/meetings/2024-01-04.md"}
    assert {"docs", "docs/meetings"} <= {e["path"] for e in tree["tree"] if e["type"] == "tree"}
    blob = await gh.getitem(f"/repos/{REPO}/git/blobs/{blobs['README.md']}")
    assert base64.b64decode(blob["content"]) == b"notes\n"
    with pytest.raises(gidgethub.BadRequest) as info:
        await gh.getitem(f"/repos/{REPO}/contents/nope.md")
    assert info.value.status_code == 404
    old = fake.repo(REPO).branches["main"]
    fake.commit(REPO, {"README.md": "changed\n"})
    at_old = await gh.getitem(f"/repos/{REPO}/contents/README.md?ref={old}")
    assert base64.b64decode(at_old["content"]) == b"notes\n"
    listing = await gh.getitem(f"/repos/{REPO}/contents/docs")
    assert [(e["name"], e["type"]) for e in listing] == [("meetings", "dir")]


async def test_compare_reports_added_modified_removed_and_renamed(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    before = fake.repo(REPO).branches["main"]
    fake.commit(REPO, {"docs/meetings/2024-01-11.md": "# New\n"}, message="add")
    after = fake.commit(
        REPO,
        {"README.md": "notes, edited\n", "docs/meetings/2024-01-11.md": None},
        renames={"docs/meetings/2024-01-04.md": "notes/2024/2024-01-04.md"},
        message="move and edit",
    )
    gh = gh_for(session, fake)
    cmp = await gh.getitem(f"/repos/{REPO}/compare/{before}...{after}")
    files = {f["filename"]: f for f in cmp["files"]}
    assert files["README.md"]["status"] == "modified"
    assert files["notes/2024/2024-01-04.md"]["status"] == "renamed"
    assert files["notes/2024/2024-01-04.md"]["previous_filename"] == "docs/meetings/2024-01-04.md"
    assert "docs/meetings/2024-01-11.md" not in files  # added then removed within the range
    assert [c["commit"]["message"] for c in cmp["commits"]] == ["add", "move and edit"]
    assert cmp["status"] == "ahead" and cmp["ahead_by"] == 2
    step = await gh.getitem(f"/repos/{REPO}/compare/{before}...{fake.repo(REPO).commits[after].parents[0]}")
    assert [(f["filename"], f["status"]) for f in step["files"]] == [("docs/meetings/2024-01-11.md", "added")]


async def test_getiter_follows_link_pages(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    for n in range(65):
        fake.add_issue(REPO, f"issue {n}", labels=["action item"] if n % 2 else [])
    fake.add_issue(REPO, "closed one", state="closed")
    gh = gh_for(session, fake)
    numbers = [i["number"] async for i in gh.getiter(f"/repos/{REPO}/issues?per_page=30&state=open")]
    assert numbers == list(range(65, 0, -1))
    pages = fake.reads("/issues")
    assert [r.query.get("page") for r in pages] == [None, "2", "3"]
    async with session.get(
        f"{fake.url}/repos/{REPO}/issues?per_page=30", headers={"Authorization": f"token {TOKEN}"}
    ) as resp:
        assert 'rel="next"' in resp.headers["Link"] and 'rel="last"' in resp.headers["Link"]
    labelled = [i async for i in gh.getiter(f"/repos/{REPO}/issues?labels=action%20item&state=all")]
    assert len(labelled) == 32 and all(i["labels"][0]["name"] == "action item" for i in labelled)
    closed = [i["title"] async for i in gh.getiter(f"/repos/{REPO}/issues?state=closed")]
    assert closed == ["closed one"]


async def test_since_filter_uses_the_fake_clock(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    fake.clock.freeze("2024-03-01T00:00:00Z")
    fake.add_issue(REPO, "old")
    fake.clock.advance(days=2)
    fake.add_issue(REPO, "new")
    gh = gh_for(session, fake)
    got = [i["title"] async for i in gh.getiter(f"/repos/{REPO}/issues?since=2024-03-02T00:00:00Z")]
    assert got == ["new"]
    assert fake.issues(REPO)[1]["created_at"] == "2024-03-03T00:00:00Z"


async def test_etag_304_through_gidgethub_cache_costs_no_rate_limit(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    fake.add_issue(REPO, "cached")
    gh = gh_for(session, fake, cache={})
    first = await gh.getitem(f"/repos/{REPO}/issues/1")
    second = await gh.getitem(f"/repos/{REPO}/issues/1")
    assert first == second
    a, b = fake.requests[-2:]
    assert (a.status, b.status) == (200, 304)
    assert b.headers.get("if-none-match")
    assert a.counted and not b.counted
    assert b.rate_remaining == a.rate_remaining
    fake.issue(REPO, 1).title = "changed"
    third = await gh.getitem(f"/repos/{REPO}/issues/1")
    assert third["title"] == "changed" and fake.requests[-1].status == 200


async def test_rate_limit_headers_on_every_answer(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    async with session.get(f"{fake.url}/repos/{REPO}", headers={"Authorization": f"token {TOKEN}"}) as resp:
        assert resp.status == 200
        for name in ("limit", "remaining", "reset", "used", "resource"):
            assert f"x-ratelimit-{name}" in resp.headers
        assert resp.headers["ETag"].startswith('"')
    async with session.get(f"{fake.url}/repos/{REPO}/nothing", headers={"Authorization": f"token {TOKEN}"}) as resp:
        assert resp.status == 404
        assert (await resp.json())["message"] == "Not Found"
        assert "x-ratelimit-remaining" in resp.headers


async def test_credentials_are_required(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    for headers in ({}, {"Authorization": "token nope"}):
        async with session.get(f"{fake.url}/repos/{REPO}", headers=headers) as resp:
            assert resp.status == 401
    fake.add_repo("elsewhere/private", {"a.md": "x"}, private=True)
    fake.add_token("limited", repos=[REPO])
    with pytest.raises(gidgethub.BadRequest) as info:
        await gh_for(session, fake, "limited").getitem("/repos/elsewhere/private")
    assert info.value.status_code == 404


async def test_create_issue_with_labels_and_assignees_in_one_request(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    gh = gh_for(session, fake)
    issue = await gh.post(
        f"/repos/{REPO}/issues",
        data={"title": "Do it", "body": "see octo-org/notes#1", "labels": ["action item"], "assignees": ["alice"]},
    )
    assert issue["number"] == 1 and [a["login"] for a in issue["assignees"]] == ["alice"]
    assert [label["name"] for label in fake.labels(REPO)] == ["action item"]
    assert len(fake.writes()) == 1
    with pytest.raises(gidgethub.BadRequest) as info:
        await gh.post(f"/repos/{REPO}/issues", data={"title": "x", "assignees": ["rita"]})
    assert info.value.status_code == 422
    assert len(fake.issues(REPO)) == 1
    assert (await gh.getstatus(f"/repos/{REPO}/assignees/alice")) == 204
    assert (await gh.getstatus(f"/repos/{REPO}/assignees/rita")) == 404
    perm = await gh.getitem(f"/repos/{REPO}/collaborators/rita/permission")
    assert (perm["permission"], perm["role_name"]) == ("read", "read")


async def test_issue_updates_comments_labels_reactions(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    gh = gh_for(session, fake)
    await gh.post(f"/repos/{REPO}/issues", data={"title": "one", "labels": ["a"]})
    await gh.post(f"/repos/{REPO}/issues/1/labels", data={"labels": ["b"]})
    await gh.delete(f"/repos/{REPO}/issues/1/labels/a")
    updated = await gh.patch(f"/repos/{REPO}/issues/1", data={"state": "closed", "state_reason": "not_planned", "title": "One"})
    assert (updated["state"], updated["state_reason"], updated["title"]) == ("closed", "not_planned", "One")
    assert [label["name"] for label in updated["labels"]] == ["b"]
    comment = await gh.post(f"/repos/{REPO}/issues/1/comments", data={"body": "hello"})
    await gh.patch(f"/repos/{REPO}/issues/comments/{comment['id']}", data={"body": "hello!"})
    await gh.post(f"/repos/{REPO}/issues/comments/{comment['id']}/reactions", data={"content": "+1"})
    assert [c["body"] for c in fake.comments(REPO, 1)] == ["hello!"]
    assert fake.comments(REPO, 1)[0]["user"]["login"] == "octocat"
    assert [r["content"] for r in fake.reactions(REPO, comment_id=comment["id"])] == ["+1"]
    with pytest.raises(gidgethub.BadRequest) as info:
        await gh.post(f"/repos/{REPO}/labels", data={"name": "B", "color": "ff0000"})
    assert info.value.status_code == 422 and "already_exists" in str(info.value.errors)


async def test_mentions_become_timeline_cross_references(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    fake.add_repo("jupyterhub/jupyterhub", {}, installation_id=None)
    target = fake.add_issue("jupyterhub/jupyterhub", "upstream bug")
    pr = fake.add_pull(REPO, "fix", merged=True, merged_by="minrk")
    gh = gh_for(session, fake)
    item = await gh.post(
        f"/repos/{REPO}/issues",
        data={"title": "track", "body": f"needs jupyterhub/jupyterhub#{target.number} and #{pr.number}"},
    )
    events = [e async for e in gh.getiter(f"/repos/{REPO}/issues/{pr.number}/timeline")]
    xrefs = [e for e in events if e["event"] == "cross-referenced"]
    assert [e["source"]["issue"]["number"] for e in xrefs] == [item["number"]]
    assert fake.timeline("jupyterhub/jupyterhub", target.number)[-1]["source"]["issue"]["repository"]["full_name"] == REPO
    pull = await gh.getitem(f"/repos/{REPO}/pulls/{pr.number}")
    assert pull["merged"] and pull["merged_by"]["login"] == "minrk"


async def test_check_runs_and_sub_issues(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    gh = gh_for(session, fake)
    sha = fake.repo(REPO).branches["main"]
    run = await gh.post(f"/repos/{REPO}/check-runs", data={"name": "actionbot", "head_sha": sha, "status": "in_progress"})
    await gh.patch(
        f"/repos/{REPO}/check-runs/{run['id']}",
        data={"conclusion": "success", "output": {"title": "2 opened", "summary": "ok"}},
    )
    listed = await gh.getitem(f"/repos/{REPO}/commits/{sha}/check-runs?check_name=actionbot")
    assert listed["total_count"] == 1 and listed["check_runs"][0]["conclusion"] == "success"
    assert fake.check_runs(REPO)[0]["output"]["title"] == "2 opened"
    parent = await gh.post(f"/repos/{REPO}/issues", data={"title": "parent"})
    child = await gh.post(f"/repos/{REPO}/issues", data={"title": "child"})
    await gh.post(f"/repos/{REPO}/issues/{parent['number']}/sub_issues", data={"sub_issue_id": child["id"]})
    subs = [s["number"] async for s in gh.getiter(f"/repos/{REPO}/issues/{parent['number']}/sub_issues")]
    assert subs == [child["number"]]


# ---------------------------------------------------------------- faults


async def test_fault_status_is_consumed(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    fake.fault("GET", r"/repos/octo-org/notes$", "status", times=2, status=503)
    gh = gh_for(session, fake)
    for _ in range(2):
        with pytest.raises(gidgethub.GitHubBroken):
            await gh.getitem(f"/repos/{REPO}")
    assert (await gh.getitem(f"/repos/{REPO}"))["name"] == "notes"


async def test_fault_secondary_limit_has_retry_after(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    fake.fault("POST", r"/issues$", "secondary_limit", retry_after=3)
    gh = gh_for(session, fake)
    with pytest.raises(gidgethub.BadRequest) as info:
        await gh.post(f"/repos/{REPO}/issues", data={"title": "x"})
    assert info.value.status_code == 403
    assert info.value.headers["retry-after"] == "3"
    assert "secondary rate limit" in str(info.value)
    assert fake.issues(REPO) == []
    await gh.post(f"/repos/{REPO}/issues", data={"title": "x"})
    assert len(fake.issues(REPO)) == 1


async def test_fault_rate_limit(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    fake.fault("*", r"/issues", "rate_limit", reset_in=5)
    gh = gh_for(session, fake)
    with pytest.raises(gidgethub.RateLimitExceeded) as info:
        await gh.getitem(f"/repos/{REPO}/issues")
    assert info.value.rate_limit.remaining == 0
    fake.fault("GET", r"/issues", "rate_limit", status=429)
    with pytest.raises(gidgethub.BadRequest) as info429:
        await gh.getitem(f"/repos/{REPO}/issues")
    assert info429.value.status_code == 429 and info429.value.headers["x-ratelimit-remaining"] == "0"


async def test_fault_latency(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    fake.fault("GET", r"/repos/", "latency", seconds=0.15)
    gh = gh_for(session, fake)
    started = time.monotonic()
    await gh.getitem(f"/repos/{REPO}")
    assert time.monotonic() - started >= 0.15


async def test_fault_drop_closes_without_answer(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    fake.fault("POST", r"/issues$", "drop")
    gh = gh_for(session, fake)
    with pytest.raises(aiohttp.ClientConnectionError):
        await gh.post(f"/repos/{REPO}/issues", data={"title": "x"})
    assert fake.issues(REPO) == []


@pytest.mark.parametrize("answer", ["502", "drop"])
async def test_fault_lost_answer_applies_the_write(fake: FakeGitHub, session: aiohttp.ClientSession, answer: str) -> None:
    fake.fault("POST", r"/issues$", "lost_answer", answer=answer)
    gh = gh_for(session, fake)
    expected = gidgethub.GitHubBroken if answer == "502" else aiohttp.ClientConnectionError
    with pytest.raises(expected):
        await gh.post(f"/repos/{REPO}/issues", data={"title": "created anyway"})
    assert [i["title"] for i in fake.issues(REPO)] == ["created anyway"]


# ---------------------------------------------------------------- schema validation


@pytest.mark.skipif(not schemas.available(), reason="needs ../shared/github/rest/operations.json")
async def test_schema_validation_catches_a_bad_request(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    fake.allow_schema_errors()
    gh = gh_for(session, fake)
    with pytest.raises(gidgethub.BadRequest):
        await gh.post(f"/repos/{REPO}/issues", data={"title": "x", "labels": [{"name": "ok"}], "assignees": "alice"})
    await gh.getitem(f"/repos/{REPO}/issues?state=open&bogus=1")
    assert any("request body assignees" in e for e in fake.schema_errors)
    assert any("'bogus'" in e for e in fake.schema_errors)
    assert len(fake.schema_errors) == 2


@pytest.mark.skipif(not schemas.available(), reason="needs ../shared/github/rest/operations.json")
def test_request_paths_match_operations() -> None:
    assert schemas.match("GET", "/repos/o/r/contents/docs/a/b.md")[0].id == "repos/get-content"  # type: ignore[index]
    assert schemas.match("GET", "/repos/o/r/compare/main...feature/x")[0].id == "repos/compare-commits-with-basehead"  # type: ignore[index]
    assert schemas.match("PATCH", "/repos/o/r/issues/comments/5")[0].id == "issues/update-comment"  # type: ignore[index]
    assert schemas.match("PATCH", "/repos/o/r/issues/5")[0].id == "issues/update"  # type: ignore[index]
    assert schemas.match("GET", "/repos/o/r/unknown") is None


# ---------------------------------------------------------------- the app: JWT, tokens, deliveries


async def test_installation_token_needs_a_valid_app_jwt(fake: FakeGitHub, session: aiohttp.ClientSession, fake_app_key: tuple[str, str]) -> None:
    private, public = fake_app_key
    fake.set_app(4242, public)
    gh = GitHubAPI(session, "actionbot-tests", base_url=fake.url)
    got = await gidgethub.apps.get_installation_access_token(gh, installation_id="1", app_id="4242", private_key=private)
    assert got["token"].startswith("ghs_") and got["expires_at"].endswith("Z")
    assert fake.token_requests == [1]
    repo = await GitHubAPI(session, "t", oauth_token=got["token"], base_url=fake.url).getitem(f"/repos/{REPO}")
    assert repo["full_name"] == REPO

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    now = int(time.time())
    bad = [
        gidgethub.apps.get_jwt(app_id="4242", private_key=other),  # wrong key
        gidgethub.apps.get_jwt(app_id="999", private_key=private),  # wrong issuer
        jwt.encode({"iat": now, "exp": now + 60, "iss": "4242"}, "a-shared-secret-of-32-bytes-long!", algorithm="HS256"),
        jwt.encode({"iat": now - 1200, "exp": now - 600, "iss": "4242"}, private, algorithm="RS256"),  # expired
        "not-a-jwt",
    ]
    for token in bad:
        async with session.post(
            f"{fake.url}/app/installations/1/access_tokens", headers={"Authorization": f"Bearer {token}"}
        ) as resp:
            assert resp.status == 401, token
    assert fake.token_requests == [1]
    fake.clock.advance(3601)
    with pytest.raises(gidgethub.BadRequest) as info:
        await GitHubAPI(session, "t", oauth_token=got["token"], base_url=fake.url).getitem(f"/repos/{REPO}")
    assert info.value.status_code == 401


async def test_installation_token_sees_only_its_installation(fake: FakeGitHub, session: aiohttp.ClientSession, fake_app_key: tuple[str, str]) -> None:
    private, public = fake_app_key
    fake.set_app(4242, public)
    fake.add_installation(2, account="other")
    fake.add_repo("other/repo", {}, installation_id=2, private=True)
    token = fake.mint_token(1).token
    gh = GitHubAPI(session, "t", oauth_token=token, base_url=fake.url)
    with pytest.raises(gidgethub.BadRequest):
        await gh.getitem("/repos/other/repo")
    listed = await gh.getitem("/installation/repositories")
    assert [r["full_name"] for r in listed["repositories"]] == [REPO]
    app = GitHubAPI(session, "t", app_id="4242", private_key=private, base_url=fake.url)
    inst = await app.getitem("/repos/other/repo/installation")
    assert inst["id"] == 2
    assert {i["id"] async for i in app.getiter("/app/installations")} == {1, 2}


async def test_hook_deliveries_cursor_pages_and_redelivery(fake: FakeGitHub, session: aiohttp.ClientSession, fake_app_key: tuple[str, str]) -> None:
    private, public = fake_app_key
    fake.set_app(4242, public)
    for n in range(5):
        fake.add_hook_delivery("push", None, status_code=502 if n % 2 else 200, installation_id=1)
    app = GitHubAPI(session, "t", app_id="4242", private_key=private, base_url=fake.url)
    seen = [d async for d in app.getiter("/app/hook/deliveries?per_page=2")]
    assert len(seen) == 5 and len({d["id"] for d in seen}) == 5
    assert [r.query.get("cursor") is not None for r in fake.reads("/app/hook/deliveries")] == [False, True, True]
    failed = [d async for d in app.getiter("/app/hook/deliveries?status=failure")]
    assert len(failed) == 2
    await app.post(f"/app/hook/deliveries/{failed[0]['id']}/attempts", data=b"")
    assert fake.redelivery_attempts == [failed[0]["id"]]
    assert fake.hook_deliveries[0]["guid"] == failed[0]["guid"] and fake.hook_deliveries[0]["redelivery"]


async def test_redelivery_posts_to_the_webhook_target(fake: FakeGitHub, session: aiohttp.ClientSession, fake_app_key: tuple[str, str], aiohttp_server: Any) -> None:
    received: list[dict[str, str]] = []

    async def hook(request: web.Request) -> web.Response:
        received.append(dict(request.headers))
        assert request.headers["X-Hub-Signature-256"] == sign(await request.read(), "s3cret")
        return web.Response(status=202)

    app_web = web.Application()
    app_web.router.add_post("/webhook", hook)
    server = await aiohttp_server(app_web)
    fake.webhook_target = (str(server.make_url("/webhook")), "s3cret")
    private, public = fake_app_key
    fake.set_app(4242, public)
    d = fake.add_hook_delivery("issues", "closed", status_code=500, payload=load_example("issues", "closed"))
    app = GitHubAPI(session, "t", app_id="4242", private_key=private, base_url=fake.url)
    await app.post(f"/app/hook/deliveries/{d['id']}/attempts", data=b"")
    await fake.settle()
    assert received[0]["X-GitHub-Delivery"] == d["guid"]
    assert fake.hook_deliveries[0]["status_code"] == 202 and fake.hook_deliveries[0]["redelivery"]


# ---------------------------------------------------------------- deliveries helper


def test_sign_matches_githubs_published_vector() -> None:
    assert sign(b"Hello, World!", "It's a Secret to Everybody") == (
        "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    )


@pytest.mark.parametrize(
    "event,action",
    [("push", None), ("issues", "closed"), ("pull_request", "closed"), ("issue_comment", "created"), ("installation", "created"), ("ping", None)],
)
def test_examples_load(event: str, action: str | None) -> None:
    payload = load_example(event, action)
    assert payload.get("action") == action or (action is None and "action" not in payload)


async def test_deliver_sends_every_github_header(aiohttp_client: Any) -> None:
    got: dict[str, Any] = {}

    async def hook(request: web.Request) -> web.Response:
        got["headers"] = dict(request.headers)
        got["body"] = await request.read()
        return web.json_response({"ok": True}, status=202)

    app = web.Application()
    app.router.add_post("/webhook", hook)
    client = await aiohttp_client(app)
    answer = await deliver(client, "ping", load_example("ping"), secret="s3cret", delivery_id="abc")
    assert answer.status == 202 and answer.json() == {"ok": True}
    headers = got["headers"]
    assert headers["X-Hub-Signature-256"] == sign(got["body"], "s3cret")
    assert headers["X-GitHub-Delivery"] == "abc" and headers["X-GitHub-Event"] == "ping"
    assert headers["User-Agent"].startswith("GitHub-Hookshot/")
    for name in ("X-GitHub-Hook-ID", "X-GitHub-Hook-Installation-Target-Type", "X-GitHub-Hook-Installation-Target-ID", "X-Hub-Signature"):
        assert name in headers
    await deliver(client, "ping", {}, secret="s3cret", headers_override={"X-Hub-Signature-256": None})
    assert "X-Hub-Signature-256" not in got["headers"]


async def test_pull_files_compare_head_with_base(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    fake.add_branch(REPO, "notes-update")
    fake.commit(REPO, {"docs/meetings/2024-01-11.md": "# New\n"}, branch="notes-update")
    pr = fake.add_pull(REPO, "Add notes", head_ref="notes-update")
    gh = gh_for(session, fake)
    files = [f async for f in gh.getiter(f"/repos/{REPO}/pulls/{pr.number}/files")]
    assert [(f["filename"], f["status"]) for f in files] == [("docs/meetings/2024-01-11.md", "added")]
    pull = await gh.getitem(f"/repos/{REPO}/pulls/{pr.number}")
    assert pull["head"]["sha"] == fake.repo(REPO).branches["notes-update"] and pull["changed_files"] == 1


async def test_spent_rate_limit_answers_403_until_reset(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    fake.set_rate_limit(f"token:{TOKEN}", remaining=1, reset_in=60)
    gh = gh_for(session, fake)
    await gh.getitem(f"/repos/{REPO}")
    with pytest.raises(gidgethub.RateLimitExceeded):
        await gh.getitem(f"/repos/{REPO}")
    async with session.get(f"{fake.url}/rate_limit", headers={"Authorization": f"token {TOKEN}"}) as resp:
        assert (await resp.json())["resources"]["core"]["remaining"] == 0  # /rate_limit itself is free
    fake.clock.advance(61)
    assert (await gh.getitem(f"/repos/{REPO}"))["name"] == "notes"


async def test_requests_without_user_agent_are_refused(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    async with (
        aiohttp.ClientSession(skip_auto_headers=["User-Agent"]) as bare,
        bare.get(f"{fake.url}/repos/{REPO}", headers={"Authorization": f"token {TOKEN}"}) as resp,
    ):
        assert resp.status == 403


async def test_commit_comment_is_recorded(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    sha = fake.repo(REPO).branches["main"]
    gh = gh_for(session, fake)
    await gh.post(f"/repos/{REPO}/commits/{sha}/comments", data={"body": "config error at line 3"})
    assert [c["body"] for c in fake.commit_comments[REPO]] == ["config error at line 3"]


# ---------------------------------------------------------------- payloads built from the fake's state


def webhook_schema_errors(name: str, payload: dict[str, Any]) -> list[str]:
    from jsonschema import Draft202012Validator

    from tests.shared import shared_path

    schema = json.loads(shared_path("github", "webhooks", "schemas", f"{name}.schema.json").read_text())
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}"
        for e in Draft202012Validator(schema).iter_errors(payload)
    ]


async def test_push_payload_lists_the_commits_of_the_range(fake: FakeGitHub) -> None:
    before = fake.repo(REPO).branches["main"]
    fake.commit(REPO, {"docs/meetings/2024-01-11.md": "# New\n"}, message="add")
    after = fake.commit(REPO, {"README.md": "x\n"}, renames={"docs/meetings/2024-01-04.md": "notes/2024-01-04.md"})
    payload = push_payload(fake, REPO, before=before, after=after)
    assert [c["added"] for c in payload["commits"]] == [["docs/meetings/2024-01-11.md"], ["notes/2024-01-04.md"]]
    assert payload["commits"][1]["removed"] == ["docs/meetings/2024-01-04.md"]
    assert payload["commits"][1]["modified"] == ["README.md"]
    assert payload["head_commit"]["id"] == after and payload["installation"]["id"] == 1
    assert webhook_schema_errors("push", payload) == []


async def test_payloads_carry_the_fakes_objects(fake: FakeGitHub) -> None:
    pr = fake.add_pull(REPO, "fix")
    fake.merge_pull(REPO, pr.number, by="minrk")
    closed = payload_for(fake, "pull_request", "closed", REPO, number=pr.number, sender="minrk")
    assert closed["pull_request"]["merged"] and closed["pull_request"]["merged_by"]["login"] == "minrk"
    assert webhook_schema_errors("pull_request.closed", closed) == []
    issue = fake.add_issue(REPO, "ref")
    fake.close_issue(REPO, issue.number, actor="carol")
    issues_closed = payload_for(fake, "issues", "closed", REPO, number=issue.number, sender="carol")
    assert issues_closed["issue"]["state"] == "closed"
    assert webhook_schema_errors("issues.closed", issues_closed) == []
    comment = fake.add_comment(REPO, issue.number, "@actionbot done", user="alice")
    created = payload_for(fake, "issue_comment", "created", REPO, number=issue.number, comment_id=comment.id)
    assert created["comment"]["body"] == "@actionbot done"
    assert webhook_schema_errors("issue_comment.created", created) == []


async def test_tokens_read_public_repositories_elsewhere_but_write_only_their_own(fake: FakeGitHub, session: aiohttp.ClientSession) -> None:
    fake.add_repo("jupyterhub/jupyterhub", {"README.md": "x"})
    upstream = fake.add_issue("jupyterhub/jupyterhub", "upstream")
    fake.add_repo("jupyterhub/secret", {}, private=True)
    gh = GitHubAPI(session, "t", oauth_token=fake.mint_token(1).token, base_url=fake.url)
    assert (await gh.getitem(f"/repos/jupyterhub/jupyterhub/issues/{upstream.number}"))["title"] == "upstream"
    with pytest.raises(gidgethub.BadRequest) as info:
        await gh.post(f"/repos/jupyterhub/jupyterhub/issues/{upstream.number}/reactions", data={"content": "+1"})
    assert info.value.status_code == 403
    with pytest.raises(gidgethub.BadRequest) as info:
        await gh.getitem("/repos/jupyterhub/secret")
    assert info.value.status_code == 404
