"""The in-memory GitHub answers as the HTTP fake does through the real client: the same JSON,
the same exceptions (type, status, message) for the same calls on the same data. Engine tests
run on the in-memory one, so this is what makes them say something about the real client."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from gidgethub import BadRequest, GitHubBroken, InvalidField

from actionbot.github.client import GitHubClient
from tests.fakegithub import FakeGitHub
from tests.fakegithub.state import GitHubState
from tests.fakestore import MemoryGitHub, MemoryStore
from tests.syncenv import FAST, NOTES, REPO, no_wait, setup_repo

Step = Callable[[Any, dict[str, Any]], Awaitable[Any]]
OTHER = "someone-else/elsewhere"


def world(state: GitHubState) -> str:
    """The same data in either fake (ids and times come out equal); returns the second commit's sha."""
    state.clock.freeze("2025-03-06T10:00:00Z")
    state.add_installation(42, "octo-org")
    setup_repo(state, installation_id=42)
    state.add_repo(OTHER, {"README.md": "theirs\n"}, installation_id=7)
    state.add_collaborator(REPO, "maint", "maintain")
    state.add_issue(REPO, "A person's issue", "see #3", labels=["bug"])
    state.add_pull(REPO, "A pull request", "fixes #1")
    state.clock.advance(60)
    return state.commit(REPO, {NOTES: "# Team meeting\n\n## Next actions\n\n- One thing (Carol)\n", "new.md": "x\n"})


def issue_number(seen: dict[str, Any], name: str) -> int:
    return int(seen[name]["number"])


STEPS: list[tuple[str, Step]] = [
    ("repo", lambda gh, s: gh.get_repo(REPO)),
    ("no repo", lambda gh, s: gh.get_repo("octo-org/missing")),
    ("commit", lambda gh, s: gh.get_commit(REPO, s["sha"])),
    ("bad commit", lambda gh, s: gh.get_commit(REPO, "0" * 40)),
    ("content", lambda gh, s: gh.get_content(REPO, NOTES)),
    ("absent file", lambda gh, s: gh.get_content(REPO, "nope.md", s["sha"])),
    ("folder", lambda gh, s: gh.get_content(REPO, "docs")),
    ("tree", lambda gh, s: gh.get_tree(REPO, "main")),
    ("tree entries", lambda gh, s: gh.get_tree_entries(REPO, s["sha"])),
    ("compare", lambda gh, s: gh.compare(REPO, s["first"], s["sha"])),
    ("issues", lambda gh, s: gh.list_issues(REPO)),
    ("by label", lambda gh, s: gh.list_issues(REPO, labels=["bug"], state="open")),
    ("create", lambda gh, s: gh.create_issue(REPO, title="Do it", body="for #1", labels=["action item"], assignees=["carol"])),
    ("create unassignable", lambda gh, s: gh.create_issue(REPO, title="No", assignees=["stranger"])),
    ("create elsewhere", lambda gh, s: gh.create_issue(OTHER, title="Not ours")),
    ("get", lambda gh, s: gh.get_issue(REPO, 3)),
    ("pull request as an issue", lambda gh, s: gh.get_issue(REPO, 2)),
    ("get missing", lambda gh, s: gh.get_issue(REPO, 99)),
    ("update", lambda gh, s: gh.update_issue(REPO, 3, title="Done it", state="closed", state_reason="completed")),
    ("update unassignable", lambda gh, s: gh.update_issue(REPO, 3, assignees=["stranger"])),
    ("sub-issue", lambda gh, s: gh.add_sub_issue(REPO, 1, s["create"]["id"])),
    ("sub-issue again", lambda gh, s: gh.add_sub_issue(REPO, 1, s["create"]["id"])),
    ("sub-issues", lambda gh, s: gh.list_sub_issues(REPO, 1)),
    ("comment", lambda gh, s: gh.create_comment(REPO, 1, "about #3")),
    ("comments", lambda gh, s: gh.list_comments(REPO, 1)),
    ("edit comment", lambda gh, s: gh.update_comment(REPO, s["comment"]["id"], "edited")),
    ("react", lambda gh, s: gh.add_reaction(REPO, s["comment"]["id"], "eyes")),
    ("react again", lambda gh, s: gh.add_reaction(REPO, s["comment"]["id"], "eyes")),
    ("timeline", lambda gh, s: gh.timeline(REPO, 1)),
    ("delete comment", lambda gh, s: gh.delete_comment(REPO, s["comment"]["id"])),
    ("delete it again", lambda gh, s: gh.delete_comment(REPO, s["comment"]["id"])),
    ("labels", lambda gh, s: gh.list_labels(REPO)),
    ("new label", lambda gh, s: gh.create_label(REPO, "urgent", "#B60205", "Now")),
    ("label twice", lambda gh, s: gh.create_label(REPO, "Urgent", "b60205")),
    ("add labels", lambda gh, s: gh.add_labels(REPO, 1, ["urgent", "fresh"])),
    ("remove label", lambda gh, s: gh.remove_label(REPO, 1, "bug")),
    ("remove absent label", lambda gh, s: gh.remove_label(REPO, 1, "bug")),
    ("assign", lambda gh, s: gh.add_assignees(REPO, 1, ["carol", "stranger"])),
    ("unassign", lambda gh, s: gh.remove_assignees(REPO, 1, ["carol"])),
    ("assignable", lambda gh, s: gh.is_assignable(REPO, "sylvain")),
    ("not assignable", lambda gh, s: gh.is_assignable(REPO, "stranger")),
    ("maintainer", lambda gh, s: gh.permission(REPO, "maint")),
    ("anyone", lambda gh, s: gh.permission(REPO, "passer-by")),
    ("check run", lambda gh, s: gh.create_check_run(REPO, name="actionbot", head_sha=s["sha"], conclusion="success",
                                                    output={"title": "t", "summary": "s"}, external_id="sync")),
    ("check run on nothing", lambda gh, s: gh.create_check_run(REPO, name="actionbot", head_sha="f" * 40)),
    ("check runs", lambda gh, s: gh.list_check_runs(REPO, s["sha"], name="actionbot")),
    ("installation repos", lambda gh, s: gh.list_installation_repos()),
    ("issues at the end", lambda gh, s: gh.list_issues(REPO, state="all")),
]


async def outcomes(gh: Any, state: GitHubState, sha: str) -> list[tuple[str, Any]]:
    seen: dict[str, Any] = {"sha": sha, "first": state.repo(REPO).commits[sha].parents[0]}
    out: list[tuple[str, Any]] = []
    for name, step in STEPS:
        try:
            seen[name] = result = await step(gh, seen)
        except (BadRequest, GitHubBroken) as exc:
            result = (type(exc).__name__, int(exc.status_code), str(exc))
        out.append((name, result))
    return out


async def test_the_in_memory_github_answers_as_the_http_fake(fake_github: FakeGitHub) -> None:
    sha = world(fake_github)
    token = fake_github.mint_token(42).token
    async with aiohttp.ClientSession() as session:
        client = GitHubClient.from_token(session, token, fake_github.url, write_interval=0, sleep=no_wait, policy=FAST)
        over_http = await outcomes(client, fake_github, sha)

    store = MemoryStore(url=fake_github.url)
    assert world(store) == sha
    in_memory = await outcomes(MemoryGitHub(store, installation_id=42), store, sha)

    for (name, expected), (_, got) in zip(over_http, in_memory, strict=True):
        assert got == expected, name
    refused = {name: r[0] for name, r in in_memory if isinstance(r, tuple)}
    assert refused == {  # the error paths above really were taken
        "no repo": "BadRequest", "bad commit": "BadRequest", "create unassignable": "InvalidField",
        "create elsewhere": "BadRequest", "get missing": "BadRequest", "update unassignable": "InvalidField",
        "sub-issue again": "InvalidField", "label twice": "InvalidField", "check run on nothing": "BadRequest",
    }  # fmt: skip
    assert {c.status for c in store.calls if c.name == "remove_label"} == {200, 404}


async def test_a_fault_answers_once_then_the_call_works() -> None:
    store = MemoryStore()
    world(store)
    store.fault("create_issue", 502)
    with pytest.raises(GitHubBroken):
        await store.gh.create_issue(REPO, title="x")
    assert store.issues(REPO)[-1]["title"] != "x"  # refused: nothing made
    store.fault("create_issue", 422, lost=True)
    with pytest.raises(InvalidField):
        await store.gh.create_issue(REPO, title="y")
    assert store.issues(REPO)[-1]["title"] == "y"  # lost: made, the answer was an error
    store.fault("create_comment", 0, lost=True)
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await store.gh.create_comment(REPO, 1, "z")
    assert [c["body"] for c in store.comments(REPO, 1)] == ["z"]
    assert (await store.gh.create_issue(REPO, title="w"))["title"] == "w"
    assert [c.status for c in store.writes()] == [502, 422, 0, 201]
