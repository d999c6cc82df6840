"""push and pull_request deliveries to the handlers, in memory (the `handlers` fixture, conftest.py).

The notes repository is set up as tests/syncenv.py's `setup_repo` does, installed
as installation 42 (the `memory_github` fixture). Over HTTP, through the signed
webhook and the queue, test_server.py's end-to-end test runs a push as well.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.fakestore import MemoryStore
from tests.syncenv import (
    NOTES,
    REPO,
    action_issues,
    by_title,
    head,
    labels,
    logins,
    pr_payload,
    push_payload,
)


@pytest.fixture
def fake(memory_github: Any, memory_store: MemoryStore) -> MemoryStore:
    return memory_store


async def test_push_of_new_notes_opens_the_expected_issues(fake: MemoryStore, handlers: Any) -> None:
    first = head(fake)
    fake.reset_log()
    await handlers.send("push", push_payload(fake, "0" * 39 + "1", first) | {"before": "0" * 40})
    issues = by_title(fake)
    assert set(issues) == {
        "Write the incident report for the February outage",
        "Review the dependency policy draft, see jupyterhub/binderhub#379",
        "Update the contributing guide",
        "Please add yourself to the team list",
        "Ask Dana about the conference budget",
        "Plan the blog posts for the spring",
        "Binder browser extension",
        "What's new in JupyterHub",
        "Follow up on access keys for shared services",
    }
    incident = issues["Write the incident report for the February outage"]
    assert logins(incident) == ["carol"]
    assert labels(incident) == ["action item", "meeting: 2025-03-06"]
    assert f"/blob/{first}/{NOTES}#L11" in incident["body"]
    assert "@carol" in incident["body"]
    # Min maps to minrk, who can not be assigned: listed (a mapped owner: mentioned once), not assigned.
    review = issues["Review the dependency policy draft, see jupyterhub/binderhub#379"]
    assert logins(review) == ["choldgraf"]
    assert "@minrk (can not be assigned in this repository)" in review["body"]
    # Tentative owner: listed as tentative, not assigned; nobody assigned -> needs owner.
    guide = issues["Update the contributing guide"]
    assert logins(guide) == [] and "needs owner" in labels(guide)
    assert "(tentative: not assigned)" in guide["body"]
    # Unmapped owner: plain text with how to map them, needs owner.
    dana = issues["Ask Dana about the conference budget"]
    assert logins(dana) == [] and "needs owner" in labels(dana)
    assert "add `Dana: <login>` under `people:`" in dana["body"]
    # Sub-items: owned ones are linked from the parent, un-owned ones are a task list.
    parent = issues["Plan the blog posts for the spring"]
    ext = issues["Binder browser extension"]
    new = issues["What's new in JupyterHub"]
    assert f"#{ext['number']} Binder browser extension" in parent["body"]
    assert f"#{new['number']} What's new in JupyterHub" in parent["body"]
    keys = issues["Follow up on access keys for shared services"]
    assert "- [ ] Read the docs" in keys["body"] and "- [ ] PyPI" in keys["body"]
    # Done from the start: never opened. Copied @handles neutralised.
    assert not any("Rotate the PyPI token" in t for t in issues)
    # Labels were created with colour and description before use.
    made = {lb["name"]: lb for lb in fake.labels(REPO)}
    assert made["action item"]["description"] and made["action item"]["color"] != "ededed"
    assert made["needs owner"]["description"]
    # One check run on the commit, listing what was opened.
    runs = [r for r in fake.check_runs(REPO) if r["name"] == "actionbot"]
    assert len(runs) == 1 and runs[0]["head_sha"] == first and runs[0]["conclusion"] == "success"
    assert "Opened (9)" in runs[0]["output"]["summary"]


async def test_unchanged_redelivery_makes_zero_writes(fake: MemoryStore, handlers: Any) -> None:
    first = head(fake)
    payload = push_payload(fake, "0" * 40, first) | {"before": "0" * 40}
    await handlers.send("push", payload)
    n = len(action_issues(fake))
    fake.reset_log()
    await handlers.send("push", payload)  # a new delivery id: processed again
    assert fake.writes() == []
    assert len(action_issues(fake)) == n


@pytest.mark.parametrize(
    "ref,extra",
    [
        ("refs/heads/feature", {}),
        ("refs/tags/v1.0", {}),
        ("refs/heads/main", {"deleted": True, "after": "0" * 40}),
    ],
)
async def test_other_branches_tags_and_deletions_cause_no_request(fake: MemoryStore, handlers: Any, ref: str, extra: dict[str, Any]) -> None:
    first = head(fake)
    after = fake.commit(REPO, {NOTES: "# Team meeting, 2025-03-06\n\n## Next actions\n\n- Something new (Carol)\n"})
    payload = push_payload(fake, first, after, ref=ref) | extra
    fake.reset_log()
    await handlers.send("push", payload)
    assert fake.calls == []
    assert action_issues(fake) == []


async def test_pull_request_preview_is_a_check_run_and_nothing_else(fake: MemoryStore, handlers: Any) -> None:
    first = head(fake)
    await handlers.send("push", push_payload(fake, "0" * 40, first) | {"before": "0" * 40})
    from tests.syncenv import EXAMPLE

    pr_head = fake.commit(REPO, {NOTES: EXAMPLE.replace("- [x] Rotate", "- Brand new thing (Carol)\n- [x] Rotate")},
                          branch="notes-update")
    fake.reset_log()
    n = len(action_issues(fake))
    await handlers.send("pull_request", pr_payload(fake, "opened", first, pr_head))
    assert [(w.method, w.path) for w in fake.writes()] == [
        ("POST", f"/repos/{REPO}/check-runs")
    ]
    run = fake.check_runs(REPO)[-1]
    assert run["head_sha"] == pr_head and run["output"]["title"] == "Merging will open 1"
    assert "Brand new thing" in run["output"]["summary"]
    assert len(action_issues(fake)) == n
    # The same preview delivered again (synchronize without change) writes nothing new.
    fake.reset_log()
    await handlers.send("pull_request", pr_payload(fake, "synchronize", first, pr_head))
    assert fake.writes() == []


async def test_push_of_many_commits_reads_the_compare_api_and_edits_one_issue(fake: MemoryStore, handlers: Any) -> None:
    first = head(fake)
    await handlers.send("push", push_payload(fake, "0" * 40, first) | {"before": "0" * 40})
    from tests.syncenv import EXAMPLE

    sha = first
    for i in range(21):  # more commits than a push payload lists
        sha = fake.commit(REPO, {f"src/file{i}.py": f"x = {i}\n"})
    sha = fake.commit(REPO, {NOTES: EXAMPLE.replace("February outage", "March outage")})
    payload = push_payload(fake, first, sha)
    payload["commits"] = [dict(payload["commits"][0], added=[], modified=[f"src/file{i}.py"], removed=[]) for i in range(20)]
    fake.reset_log()
    await handlers.send("push", payload)
    assert any("/compare/" in r.path for r in fake.calls)
    issues = by_title(fake)
    assert "Write the incident report for the March outage" in issues
    assert len(issues) == 9


async def test_push_that_changes_no_notes_writes_nothing(fake: MemoryStore, handlers: Any) -> None:
    first = head(fake)
    after = fake.commit(REPO, {"src/app.py": "print()\n"})
    fake.reset_log()
    await handlers.send("push", push_payload(fake, first, after))
    assert fake.writes() == []
    assert action_issues(fake) == []


async def test_push_with_a_broken_configuration_fails_its_check(fake: MemoryStore, handlers: Any) -> None:
    first = head(fake)
    after = fake.commit(REPO, {".github/actionbot.yml": "people:\n  Carol: [carol]\n"})
    await handlers.send("push", push_payload(fake, first, after))
    runs = fake.check_runs(REPO)
    assert len(runs) == 1 and runs[0]["conclusion"] == "failure" and runs[0]["head_sha"] == after
    assert ".github/actionbot.yml:2" in runs[0]["output"]["summary"]
    assert action_issues(fake) == []
