"""A stateful fake GitHub REST server for actionbot's tests.

Every test reaches it over real HTTP on loopback, through the real gidgethub
client pointed at `fake.url`:

    async def test_something(fake_github, aiohttp_client):   # fixture in tests/conftest.py
        fake = fake_github
        fake.add_installation(1, account="octo-org")
        fake.add_repo("octo-org/notes", files={"docs/meetings/a.md": "..."}, installation_id=1)
        fake.add_collaborator("octo-org/notes", "alice", "write")
        gh = gidgethub.aiohttp.GitHubAPI(session, "actionbot-tests",
                                         oauth_token=fake.add_token("t").token, base_url=fake.url)
        ...
        assert [i["title"] for i in fake.issues("octo-org/notes")] == [...]
        assert len(fake.writes()) == 3

Setting up (no HTTP; all return what they made)
- `add_installation(id, account="octo-org", account_type="Organization")`
- `set_app(app_id, public_key_pem, slug="actionbot", client_id=None)`: the app
  whose RS256 JWT (iss = app id or client id) the `/app/...` endpoints accept.
- `add_repo("owner/name", files={path: text}, default_branch="main",
  installation_id=None, private=False) -> Repo` (an initial commit holds files).
- `commit(repo, files={path: text | None}, message=, branch=None, author=,
  renames={old: new}) -> sha`: history is kept, so compare/trees at old shas work.
  `add_branch(repo, name, from_ref=None)`.
- `add_collaborator(repo, login, permission)` with read|triage|write|maintain|admin;
  collaborators with triage or more are assignable; `add_assignable(repo, login)`.
- `add_label(repo, name, color="ededed", description=None)`.
- `add_issue(repo, title, body="", labels=[], assignees=[], state="open",
  state_reason=None, user="someone", user_type="User", pull_request=False,
  merged=False, merged_by=None) -> Issue`; `add_pull(...)` is the PR form
  (numbers are shared between issues and PRs).
- `add_comment(repo, number, body, user="someone", user_type="User") -> Comment`.
- `close_issue(repo, n, actor=, reason="completed")`, `reopen_issue(repo, n, actor=)`,
  `merge_pull(repo, n, by=)`: what a person does on github.com (timeline events,
  closed_at, merged_by).
- `add_token(token, repos=None, login="octocat")`: a personal/Actions token
  (repos limits what it sees; None = everything). `mint_token(installation_id)`
  makes an installation token without the JWT dance.
- `add_hook_delivery(event, action=None, status_code=200, guid=None,
  delivered_at=None, installation_id=None, repository_id=None, payload=None)`:
  the app's delivery log; `fake.webhook_target = (url, secret)` makes
  `POST /app/hook/deliveries/{id}/attempts` really re-post the payload, signed
  (`await fake.settle()` waits for it).
- `manifest_codes[code] = {...}` for `POST /app-manifests/{code}/conversions`.
- `set_rate_limit("installation:1" | "token:T", remaining=, limit=5000, reset_in=3600)`.
- `clock`: `freeze(at)`, `advance(seconds, days=..)`, `now()`; every timestamp,
  token expiry (1 h) and rate-limit window reads it.

Inspecting (rendered exactly as the API would answer; `view.GitHubView`, shared
with the in-memory `tests/fakestore.MemoryStore`)
- `issues(repo, include_pulls=False)`, `issue_json(repo, n)`, `comments(repo, n)`,
  `labels(repo)`, `check_runs(repo)`, `reactions(repo, n | comment_id=)`,
  `timeline(repo, n)`, `file(repo, path, ref=None)`; the raw objects:
  `repo(name)`, `issue(repo, n)` (mutable dataclasses).
- `requests`: `RequestRecord(method, path, query, body, status, write, token,
  identity, operation, rate_remaining, counted, fault, headers)` for every
  request; `writes(path_contains="")`, `reads(...)`, `reset_log()`.
- `commit_comments[repo_lower]`, `token_requests` (installation id per token minted), `redelivery_attempts`,
  `hook_deliveries`, `rate_bucket("installation:1" | "token:T" | "app")`.
- `schema_errors` (the fixture fails the test on any, unless
  `allow_schema_errors()`), `unvalidated` (exchanges the spec subset does not describe).

Tokens: installation tokens (`ghs_...`, 1 h) see their installation's
repositories; any token also READS public repositories elsewhere (writes there
answer 403, private ones 404), as on GitHub. `/app/...` and
`/repos/{o}/{r}/installation` need the app's JWT (`Bearer`); everything else a
token; none or unknown -> 401; no User-Agent -> 403.

Deliveries (tests/deliveries.py): `sign(body, secret)`, `load_example(event,
action)`, `deliver(client | url, event, payload, secret=, delivery_id=,
headers_override=)`, and payloads consistent with the fake's state:
`payload_for(fake, event, action, repo, number=, comment_id=, sender=)`,
`push_payload(fake, repo, before=, after=, ref=None)`.

Faults: `fault(method | "*", path_regex, kind, times=1, **kw)`, kinds `status`
(status=502), `secondary_limit` (retry_after=1, status=403), `rate_limit`
(reset_in=1, status=403|429), `latency` (seconds), `drop`, `lost_answer`
(answer="502"|"drop"): see faults.py.

GitHub behaviour kept: ETag on every 200 GET and 304 on `If-None-Match` (not
counted against the rate limit), `x-ratelimit-*` headers on every answer,
403 once a bucket is spent, `Link` pagination (rel next/last/first/prev;
cursor for hook deliveries), 404/422/401 bodies as GitHub's, 422 for an
unassignable assignee on create/update, cross-referenced timeline events when a
body or comment names another issue of the fake (`owner/repo#N`, `#N`, or its URL).
"""

from .server import FakeGitHub, RequestRecord
from .state import GitHubError

__all__ = ["FakeGitHub", "GitHubError", "RequestRecord"]
