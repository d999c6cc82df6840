"""An in-memory GitHub for engine and handler tests: the client's calls, no HTTP.

`MemoryGitHub` answers every call of the engine's port
(`actionbot.engine.port.GitHub`) and of the handlers' wider one
(`actionbot.service.context.GitHub`) from the same data the HTTP fake serves
(`tests/fakegithub/state.py`, rendered by `render.py`), so a test sets up and
inspects GitHub the same way whichever fake the code talked to. What GitHub
would refuse raises what the real client raises for that answer (gidgethub's
`BadRequest` for a 404, `InvalidField` for a 422, ...: the answer goes through
gidgethub's own `decipher_response`), so the engine's error paths run as in
production.

Like Prow's FakeClient it records every call (`Call`: the client method, its
arguments, the HTTP request it stands for and GitHub's answer status), so a
test asserts "wrote nothing" or counts writes with the same
`writes()`/`reads()`/`reset_log()` as the HTTP fake offers. `fault(name,
status)` makes the next calls of one method answer an error instead (or, with
`lost=True`, do the thing and lose the answer), for the engine's error paths:

    async def test_something(memory_store):          # fixtures in tests/conftest.py
        fake = memory_store                           # a MemoryStore: GitHubState + inspection + log
        report = await reconcile(fake.gh, REPO)       # fake.gh: the MemoryGitHub over it
        assert fake.writes() == [] and fake.issues(REPO) == [...]

Each call yields to the event loop once, so concurrent runs interleave at the
calls as they would over HTTP. Not modelled (the HTTP fake's job): the
client's retries, pacing, ETags, rate limits, dropped connections, schema
validation, pagination.
"""

from __future__ import annotations

import asyncio
import contextlib
import http
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

import aiohttp
from gidgethub import sansio

from actionbot.engine import port
from actionbot.service import context
from tests.fakegithub import render
from tests.fakegithub.state import Comment, GitHubError, Issue, Repo, filter_issues, not_found
from tests.fakegithub.view import GitHubView

Json = dict[str, Any]
API = "https://api.github.com"


@dataclass
class Call:
    """One client call: `name` and `args` as the code made it, `method` and `path` as GitHub
    would see it, and `status`, GitHub's answer (0 until it came)."""

    name: str
    args: Mapping[str, Any]
    method: str
    path: str
    body: Mapping[str, Any] | None = None
    status: int = 0

    @property
    def write(self) -> bool:
        return self.method != "GET"


@dataclass
class Fault:
    """The next `times` calls of the client method `name` answer `status` (`lost`: after doing it)."""

    name: str
    status: int
    message: str
    times: int
    lost: bool = False


class MemoryStore(GitHubView):
    """The fake GitHub's state with rendered inspection and the log of every call made to it."""

    def __init__(self, url: str = API) -> None:
        super().__init__(url)
        self.calls: list[Call] = []
        self.faults: list[Fault] = []
        self.gh = MemoryGitHub(self)

    def client(self, *, login: str | None = None, installation_id: int | None = None) -> MemoryGitHub:
        """Another client over the same data and log (say, a second replica, or an installation's token)."""
        return MemoryGitHub(self, login=login, installation_id=installation_id)

    def writes(self, path_contains: str = "") -> list[Call]:
        """Calls that change something (optionally only those whose path contains a string)."""
        return [c for c in self.calls if c.write and path_contains in c.path]

    def reads(self, path_contains: str = "") -> list[Call]:
        return [c for c in self.calls if not c.write and path_contains in c.path]

    def reset_log(self) -> None:
        self.calls.clear()

    def fault(self, name: str, status: int, message: str = "", *, times: int = 1, lost: bool = False) -> Fault:
        """Make the client method `name` answer `status` the next `times` calls, doing nothing;
        with `lost`, doing the thing and losing the answer. Status 0 is a dropped connection
        (aiohttp's ServerDisconnectedError), 5xx raise GitHubBroken, 4xx what gidgethub raises."""
        text = message or (http.HTTPStatus(status).phrase if status else "")
        f = Fault(name, status, text, times, lost)
        self.faults.append(f)
        return f

    def take_fault(self, name: str, *, lost: bool) -> Fault | None:
        for f in self.faults:
            if f.name == name and f.lost == lost and f.times > 0:
                f.times -= 1
                return f
        return None


def _answer_error(exc: GitHubError) -> NoReturn:
    """Raise what gidgethub raises for GitHub's answer `exc` (its message, status and errors)."""
    body: Json = {"message": exc.message, "status": str(exc.status)}
    if exc.errors is not None:
        body["errors"] = exc.errors
    headers = {"content-type": "application/json; charset=utf-8", **exc.headers}
    sansio.decipher_response(exc.status, headers, json.dumps(body).encode())
    raise AssertionError(f"gidgethub accepted an error answer: {exc}")  # pragma: no cover


def _raise_fault(call: Call, fault: Fault | None) -> None:
    """A fault's answer as the client raises it: an HTTP status, or (status 0) a dropped connection."""
    if fault is None:
        return
    call.status = fault.status
    if fault.status == 0:
        raise aiohttp.ServerDisconnectedError(fault.message or None)
    _answer_error(GitHubError(fault.status, fault.message))


def _ok_status(method: str) -> int:
    return {"POST": 201, "DELETE": 204}.get(method, 200)


@dataclass
class MemoryGitHub:
    """The client's calls over a `MemoryStore`; writes are made as `login` (the app's bot by default).

    With an `installation_id`, repositories of other installations are read-only
    (403 on writes) and private ones there absent (404), as for an installation token.
    """

    store: MemoryStore
    login: str | None = None
    installation_id: int | None = None
    rate_limit_remaining: int | None = None  # what the HTTP client last read from GitHub; not modelled

    def __post_init__(self) -> None:
        if self.login is None:
            self.login = f"{self.store.app_slug}[bot]"

    @property
    def calls(self) -> list[Call]:
        return self.store.calls

    @property
    def actor(self) -> str:
        return self.login or f"{self.store.app_slug}[bot]"

    # -- plumbing --------------------------------------------------------------
    async def _call(self, name: str, method: str, path: str, args: Mapping[str, Any], body: Mapping[str, Any] | None = None) -> Call:
        call = Call(name, dict(args), method, path, None if body is None else dict(body))
        self.store.calls.append(call)
        await asyncio.sleep(0)
        return call

    @contextlib.contextmanager
    def _answer(self, call: Call) -> Iterator[Call]:
        """GitHub's answer to `call`: what GitHub refuses (or a fault) raises as the client would."""
        try:
            _raise_fault(call, self.store.take_fault(call.name, lost=False))
            yield call
        except GitHubError as exc:
            _raise_fault(call, self.store.take_fault(call.name, lost=True))
            call.status = exc.status
            _answer_error(exc)
        _raise_fault(call, self.store.take_fault(call.name, lost=True))
        call.status = call.status or _ok_status(call.method)

    def _repo(self, name: str, *, write: bool = False) -> Repo:
        repo = self.store.repos.get(name.lower())
        if repo is None:
            raise not_found()
        if self.installation_id is not None and repo.installation_id != self.installation_id:
            if repo.private:
                raise not_found()
            if write:
                raise GitHubError(403, "Resource not accessible by integration")
        return repo

    def _issue(self, repo: Repo, number: int) -> Issue:
        return self.store.issue(repo, number)

    def _comment(self, repo: Repo, comment_id: int) -> Comment:
        return self.store.comment(comment_id, repo)

    def _issue_json(self, issue: Issue) -> Json:
        return render.issue(self.store.url, self.store, issue)

    # -- repositories and contents --------------------------------------------
    async def get_repo(self, repo: str) -> Json:
        with self._answer(await self._call("get_repo", "GET", f"/repos/{repo}", {"repo": repo})):
            return render.repo(self.store.url, self._repo(repo))

    async def get_commit(self, repo: str, sha: str) -> Json:
        with self._answer(await self._call("get_commit", "GET", f"/repos/{repo}/commits/{sha}", {"repo": repo, "sha": sha})):
            return render.commit_with_files(self.store.url, self._repo(repo), sha)

    async def get_content(self, repo: str, path: str, ref: str | None = None) -> bytes | None:
        """A file's bytes at ref; None for no such file, folder, ref or repository (the client's 404)."""
        rel = path.lstrip("/")
        call = await self._call("get_content", "GET", f"/repos/{repo}/contents/{rel}", {"repo": repo, "path": path, "ref": ref})
        with self._answer(call):
            try:
                r = self._repo(repo)
                sha = r.resolve(ref).tree.get(rel)
            except GitHubError:
                sha = None
        if sha is None:
            call.status = 404
            return None
        return r.blobs[sha]

    async def _tree(self, name: str, repo: str, ref: str) -> list[Json]:
        with self._answer(await self._call(name, "GET", f"/repos/{repo}/git/trees/{ref}", {"repo": repo, "ref": ref})):
            data = render.tree(self.store.url, self._repo(repo), ref, recursive=True)
        return [e for e in data["tree"] if e["type"] == "blob"]

    async def get_tree(self, repo: str, ref: str) -> list[str]:
        return [e["path"] for e in await self._tree("get_tree", repo, ref)]

    async def get_tree_entries(self, repo: str, ref: str) -> list[Json]:
        return await self._tree("get_tree_entries", repo, ref)

    async def compare(self, repo: str, base: str, head: str) -> Json:
        path = f"/repos/{repo}/compare/{base}...{head}"
        with self._answer(await self._call("compare", "GET", path, {"repo": repo, "base": base, "head": head})):
            return render.compare(self.store.url, self._repo(repo), f"{base}...{head}")

    # -- issues and sub-issues ------------------------------------------------------
    async def list_issues(
        self, repo: str, *, labels: list[str] | str | None = None, state: str = "all", since: str | None = None
    ) -> list[Json]:
        """Issues (not pull requests), newest first, as the client lists them."""
        if isinstance(labels, list):
            labels = ",".join(labels)
        query = {k: v for k, v in {"labels": labels, "state": state, "since": since}.items() if v is not None}
        with self._answer(await self._call("list_issues", "GET", f"/repos/{repo}/issues", {"repo": repo, **query})):
            found = filter_issues(self._repo(repo), query)
        return [self._issue_json(i) for i in found if not i.pull_request]

    async def get_issue(self, repo: str, number: int) -> Json:
        with self._answer(await self._call("get_issue", "GET", f"/repos/{repo}/issues/{number}", {"repo": repo, "number": number})):
            return self._issue_json(self._issue(self._repo(repo), number))

    async def create_issue(
        self, repo: str, *, title: str, body: str = "", labels: list[str] | None = None, assignees: list[str] | None = None
    ) -> Json:
        fields: Json = {"title": title, "body": body}
        if labels:
            fields["labels"] = labels
        if assignees:
            fields["assignees"] = assignees
        with self._answer(await self._call("create_issue", "POST", f"/repos/{repo}/issues", {"repo": repo, **fields}, fields)):
            r = self._repo(repo, write=True)
            if not title:
                raise GitHubError(422, "Validation Failed", [{"resource": "Issue", "code": "missing_field", "field": "title"}])
            issue = self.store.create_issue(
                r, title=title, body=body, labels=list(labels or []), assignees=list(assignees or []), user=self.actor, user_type="Bot"
            )
        return self._issue_json(issue)

    async def update_issue(self, repo: str, number: int, *, retry_safe: bool = True, **fields: Any) -> Json:
        path = f"/repos/{repo}/issues/{number}"
        with self._answer(await self._call("update_issue", "PATCH", path, {"repo": repo, "number": number, **fields}, fields)):
            r = self._repo(repo, write=True)
            issue = self.store.update_issue(r, self._issue(r, number), fields, actor=self.actor)
        return self._issue_json(issue)

    async def list_sub_issues(self, repo: str, number: int) -> list[Json]:
        path = f"/repos/{repo}/issues/{number}/sub_issues"
        with self._answer(await self._call("list_sub_issues", "GET", path, {"repo": repo, "number": number})):
            parent = self._issue(self._repo(repo), number)
        return [self._issue_json(self.store.issues_by_id[s]) for s in parent.sub_issue_ids]

    async def add_sub_issue(self, repo: str, number: int, sub_issue_id: int) -> Json:
        body = {"sub_issue_id": sub_issue_id}
        path = f"/repos/{repo}/issues/{number}/sub_issues"
        with self._answer(await self._call("add_sub_issue", "POST", path, {"repo": repo, "number": number, **body}, body)):
            r = self._repo(repo, write=True)
            parent = self.store.add_sub_issue(self._issue(r, number), sub_issue_id)
        return self._issue_json(parent)

    async def timeline(self, repo: str, number: int) -> list[Json]:
        path = f"/repos/{repo}/issues/{number}/timeline"
        with self._answer(await self._call("timeline", "GET", path, {"repo": repo, "number": number})):
            r = self._repo(repo)
            return render.timeline(self.store.url, self.store, r, self._issue(r, number))

    # -- comments and reactions ---------------------------------------------------
    async def list_comments(self, repo: str, number: int) -> list[Json]:
        path = f"/repos/{repo}/issues/{number}/comments"
        with self._answer(await self._call("list_comments", "GET", path, {"repo": repo, "number": number})):
            issue = self._issue(self._repo(repo), number)
        return [render.comment(self.store.url, self.store, self.store.comments_by_id[c]) for c in issue.comment_ids]

    async def create_comment(self, repo: str, number: int, body: str) -> Json:
        path = f"/repos/{repo}/issues/{number}/comments"
        with self._answer(await self._call("create_comment", "POST", path, {"repo": repo, "number": number, "body": body}, {"body": body})):
            r = self._repo(repo, write=True)
            issue = self._issue(r, number)
            if not isinstance(body, str) or not body:
                raise GitHubError(422, "Validation Failed", [{"resource": "IssueComment", "code": "missing_field", "field": "body"}])
            comment = self.store.create_comment(issue, body, user=self.actor, user_type="Bot")
        return render.comment(self.store.url, self.store, comment)

    async def update_comment(self, repo: str, comment_id: int, body: str) -> Json:
        path = f"/repos/{repo}/issues/comments/{comment_id}"
        args = {"repo": repo, "comment_id": comment_id, "body": body}
        with self._answer(await self._call("update_comment", "PATCH", path, args, {"body": body})):
            r = self._repo(repo, write=True)
            comment = self.store.update_comment(r, self._comment(r, comment_id), body)
        return render.comment(self.store.url, self.store, comment)

    async def delete_comment(self, repo: str, comment_id: int) -> bool:
        """False when it was already gone (the client's 404), as the client answers."""
        path = f"/repos/{repo}/issues/comments/{comment_id}"
        call = await self._call("delete_comment", "DELETE", path, {"repo": repo, "comment_id": comment_id})
        with self._answer(call):
            r = self._repo(repo, write=True)
            comment = self.store.comments_by_id.get(comment_id)
            gone = comment is None or comment.repo.lower() != r.full_name.lower()
            if comment is not None and not gone:
                self.store.delete_comment(r, comment)
        if gone:
            call.status = 404
        return not gone

    async def add_reaction(self, repo: str, comment_id: int, content: str = "+1") -> Json:
        path = f"/repos/{repo}/issues/comments/{comment_id}/reactions"
        args = {"repo": repo, "comment_id": comment_id, "content": content}
        with self._answer(await self._call("add_reaction", "POST", path, args, {"content": content})):
            comment = self._comment(self._repo(repo), comment_id)
            bucket = self.store.comment_reactions.setdefault(comment.id, [])
            reaction, _ = self.store.react(bucket, content, self.actor, "Bot")
        return render.reaction(self.store.url, reaction)

    # -- labels -------------------------------------------------------------------
    async def list_labels(self, repo: str) -> list[Json]:
        with self._answer(await self._call("list_labels", "GET", f"/repos/{repo}/labels", {"repo": repo})):
            r = self._repo(repo)
        return [render.label(self.store.url, r, lab) for lab in r.labels.values()]

    async def create_label(self, repo: str, name: str, color: str, description: str = "") -> Json:
        body = {"name": name, "color": color.lstrip("#"), "description": description}
        with self._answer(await self._call("create_label", "POST", f"/repos/{repo}/labels", {"repo": repo, **body}, body)):
            r = self._repo(repo, write=True)
            label = self.store.create_label(r, name, body["color"], description)
        return render.label(self.store.url, r, label)

    async def add_labels(self, repo: str, number: int, labels: list[str]) -> list[Json]:
        path = f"/repos/{repo}/issues/{number}/labels"
        args = {"repo": repo, "number": number, "labels": labels}
        with self._answer(await self._call("add_labels", "POST", path, args, {"labels": labels})):
            r = self._repo(repo, write=True)
            issue = self._issue(r, number)
            self.store.set_labels(r, issue, issue.labels + list(labels), actor=self.actor)
        return [render.label(self.store.url, r, r.labels[n.lower()]) for n in issue.labels]

    async def remove_label(self, repo: str, number: int, name: str) -> None:
        """Removing a label the issue does not have is not an error, as the client answers."""
        path = f"/repos/{repo}/issues/{number}/labels/{name}"
        call = await self._call("remove_label", "DELETE", path, {"repo": repo, "number": number, "name": name})
        with self._answer(call):
            r = self._repo(repo, write=True)
            issue = self._issue(r, number)
            had = name.lower() in {n.lower() for n in issue.labels}
            if had:
                self.store.remove_issue_label(r, issue, name, actor=self.actor)
        call.status = 200 if had else 404

    # -- assignees and permissions ----------------------------------------------------
    async def add_assignees(self, repo: str, number: int, logins: list[str]) -> Json:
        path = f"/repos/{repo}/issues/{number}/assignees"
        args = {"repo": repo, "number": number, "assignees": logins}
        with self._answer(await self._call("add_assignees", "POST", path, args, {"assignees": logins})):
            r = self._repo(repo, write=True)
            issue = self.store.add_assignees(r, self._issue(r, number), list(logins))
        return self._issue_json(issue)

    async def remove_assignees(self, repo: str, number: int, logins: list[str]) -> None:
        path = f"/repos/{repo}/issues/{number}/assignees"
        args = {"repo": repo, "number": number, "assignees": logins}
        with self._answer(await self._call("remove_assignees", "DELETE", path, args, {"assignees": logins})):
            r = self._repo(repo, write=True)
            self.store.remove_assignees(self._issue(r, number), list(logins))

    async def is_assignable(self, repo: str, login: str) -> bool:
        call = await self._call("is_assignable", "GET", f"/repos/{repo}/assignees/{login}", {"repo": repo, "login": login})
        with self._answer(call):
            r = self.store.repos.get(repo.lower())
            yes = r is not None and r.is_assignable(login)
        call.status = 204 if yes else 404
        return yes

    async def permission(self, repo: str, login: str) -> str:
        """The collaborator's role; 'read' for anyone on a public repository, 'none' on a private one."""
        path = f"/repos/{repo}/collaborators/{login}/permission"
        with self._answer(await self._call("permission", "GET", path, {"repo": repo, "login": login})):
            r = self.store.repos.get(repo.lower())
        if r is None:
            return "none"
        return r.permission_of(login) or ("none" if r.private else "read")

    # -- check runs ------------------------------------------------------------------
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
    ) -> Json:
        body: Json = {"name": name, "head_sha": head_sha, "status": status}
        optional = {"external_id": external_id, "conclusion": conclusion, "details_url": details_url}
        body.update({k: v for k, v in optional.items() if v is not None})
        if output is not None:
            body["output"] = dict(output)
        with self._answer(await self._call("create_check_run", "POST", f"/repos/{repo}/check-runs", {"repo": repo, **body}, body)):
            r = self._repo(repo, write=True)
            run = self.store.create_check_run(r, body)
        return render.check_run(self.store.url, self.store, r, run)

    async def list_check_runs(self, repo: str, ref: str, *, name: str | None = None) -> list[Json]:
        path = f"/repos/{repo}/commits/{ref}/check-runs"
        with self._answer(await self._call("list_check_runs", "GET", path, {"repo": repo, "ref": ref, "name": name})):
            r = self._repo(repo)
            runs = self.store.check_runs_at(r, ref, name)
        return [render.check_run(self.store.url, self.store, r, c) for c in runs]

    # -- installation-level -------------------------------------------------------------
    async def list_installation_repos(self) -> list[Json]:
        """The installation's repositories (every repository of the store when the client has none)."""
        with self._answer(await self._call("list_installation_repos", "GET", "/installation/repositories", {})):
            repos = list(self.store.repos.values())
            if self.installation_id is not None:
                repos = self.store.installation_repos(self.installation_id)
        return [render.repo(self.store.url, r, full=False) for r in repos]


def _satisfies_the_ports(store: MemoryStore) -> tuple[port.GitHub, context.GitHub]:
    """mypy checks here that MemoryGitHub has every call of both ports, with the ports' signatures."""
    return store.gh, store.gh
