"""Shared set-up for the sync engine's tests: a notes repository in either fake GitHub (the HTTP
`FakeGitHub` or the in-memory `tests/fakestore.MemoryStore`: both are a `GitHubView`), HTTP
clients that never really wait, and push/pull_request payloads built from the fake's history."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

from actionbot.core.render import parse_marker
from actionbot.github.client import GitHubClient, RetryPolicy
from tests.deliveries import load_example

REPO = "octo-org/notes"
NOTES = "docs/meetings/2025-03-06-team-meeting.md"
EXAMPLE = (Path(__file__).parent / "fixtures" / "notes" / "2025-03-06-team-meeting.md").read_text()
CONFIG = """\
people:
  Carol: carol
  Chris H: choldgraf
  Min: minrk
  Sylvain: sylvain
"""
ASSIGNABLE = ("carol", "choldgraf", "sylvain")  # minrk is mapped but can not be assigned
FAST = RetryPolicy(max_attempts=5, base_delay=0.001, max_delay=0.01, secondary_wait=0.01, max_total_wait=5)


async def no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


def setup_repo(fake: Any, *, config: str | None = CONFIG, notes: str = EXAMPLE, installation_id: int | None = None) -> Any:
    files = {"README.md": "hi\n", NOTES: notes}
    if config is not None:
        files[".github/actionbot.yml"] = config
    repo = fake.add_repo(REPO, files, installation_id=installation_id)
    for login in ASSIGNABLE:
        fake.add_assignable(REPO, login)
    fake.add_token("tok")
    return repo


def client(session: Any, fake: Any) -> GitHubClient:
    return GitHubClient.from_token(session, "tok", fake.url, write_interval=0, sleep=no_wait, policy=FAST)


def head(fake: Any, repo: str = REPO) -> str:
    return fake.repo(repo).head().sha


def action_issues(fake: Any, repo: str = REPO) -> list[dict[str, Any]]:
    """Issues with an actionbot marker (the dashboard is not one), oldest first."""
    out = [i for i in fake.issues(repo) if parse_marker(i.get("body")) is not None]
    return sorted(out, key=lambda i: i["number"])


def by_title(fake: Any, repo: str = REPO) -> dict[str, dict[str, Any]]:
    return {i["title"]: i for i in action_issues(fake, repo)}


def logins(issue: dict[str, Any]) -> list[str]:
    return sorted(a["login"] for a in issue.get("assignees") or [])


def labels(issue: dict[str, Any]) -> list[str]:
    return sorted(lb["name"] for lb in issue.get("labels") or [])


def push_payload(fake: Any, before: str, after: str, *, repo: str = REPO, ref: str | None = None, installation_id: int = 42) -> dict[str, Any]:
    """A push payload whose one commit lists the files that differ between `before` and `after`."""
    r = fake.repo(repo)
    old = r.commits[before].tree if before in r.commits else {}
    new = r.commits[after].tree
    data = load_example("push")
    data = copy.deepcopy(data)
    data["ref"] = ref or f"refs/heads/{r.default_branch}"
    data["before"], data["after"] = before, after
    data["repository"]["full_name"] = repo
    data["repository"]["name"] = repo.split("/")[1]
    data["repository"]["default_branch"] = r.default_branch
    data["installation"] = {"id": installation_id}
    data["sender"] = {**(data.get("sender") or {}), "login": "alice", "type": "User"}
    data["deleted"] = after == "0" * 40
    commit = copy.deepcopy(data["commits"][0]) if data.get("commits") else {"id": after, "distinct": True}
    commit["id"] = after
    commit["added"] = sorted(p for p in new if p not in old)
    commit["removed"] = sorted(p for p in old if p not in new)
    commit["modified"] = sorted(p for p in new if p in old and old[p] != new[p])
    data["commits"] = [commit]
    data["head_commit"] = commit
    data.pop("distinct_size", None)
    return data


def item_writes(fake: Any, repo: str = REPO) -> list[Any]:
    """Writes to action-item issues (creates included), the dashboard issue's left out."""
    dash = {i["number"] for i in fake.issues(repo) if any(lb["name"] == "actionbot dashboard" for lb in i["labels"])}
    out = []
    for w in fake.writes(f"/repos/{repo}/issues"):
        parts = w.path.split("/")
        if len(parts) > 5 and parts[5].isdigit() and int(parts[5]) in dash:
            continue
        out.append(w)
    return out


def pr_payload(fake: Any, action: str, base_sha: str, head_sha: str, *, base_ref: str = "main") -> dict[str, Any]:
    """A pull_request payload on REPO from installation 42, its base and head at the given commits."""
    data = load_example("pull_request", "closed")
    data["action"] = action
    pr = data["pull_request"]
    pr["state"], pr["merged"] = "open", False
    pr["base"]["ref"], pr["base"]["sha"] = base_ref, base_sha
    pr["head"]["ref"], pr["head"]["sha"] = "notes-update", head_sha
    data["repository"]["full_name"] = REPO
    data["repository"]["default_branch"] = "main"
    data["installation"] = {"id": 42}
    data["sender"] = {**data.get("sender", {}), "login": "alice", "type": "User"}
    return data
