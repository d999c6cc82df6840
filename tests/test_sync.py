"""The reconcile over the in-memory GitHub: every sync rule, concurrency, push scope;
and over the HTTP fake, how it converges when GitHub's answers fail or get lost."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import aiohttp
import pytest
from gidgethub import GitHubException

from actionbot.core.render import parse_marker
from actionbot.engine.read import Changed
from actionbot.engine.reconcile import reconcile
from actionbot.service.context import Context
from tests.fakestore import MemoryStore
from tests.syncenv import (
    CONFIG,
    EXAMPLE,
    NOTES,
    REPO,
    action_issues,
    by_title,
    client,
    head,
    item_writes,
    labels,
    setup_repo,
)

INCIDENT = "Write the incident report for the February outage"


async def sync(fake: MemoryStore, **kw: Any) -> Any:
    return await reconcile(fake.gh, REPO, **kw)


async def sync_http(fake: Any) -> Any:
    async with aiohttp.ClientSession() as session:
        return await reconcile(client(session, fake), REPO)


async def push(fake: Any, files: dict[str, str | None], **kw: Any) -> Any:
    """Commit `files` and reconcile the push like the handler does (scoped to what changed)."""
    before = head(fake)
    after = fake.commit(REPO, files, renames=kw.pop("renames", None))
    changed = kw.pop("changed", None)
    if changed is None:
        changed = [Changed(p, "removed" if t is None else "modified") for p, t in files.items()]
    return await sync(fake, ref=after, before=before, changed=changed, **kw)


def one_per_key(fake: Any) -> None:
    keys = [parse_marker(i["body"]).key for i in action_issues(fake) if i["state"] == "open"]
    assert len(keys) == len(set(keys))


@pytest.fixture
def fake(memory_store: MemoryStore) -> MemoryStore:
    setup_repo(memory_store)
    return memory_store


@pytest.fixture
def http_fake(fake_github: Any) -> Any:
    setup_repo(fake_github)
    return fake_github


async def test_full_sync_then_rerun_makes_zero_writes(fake: Any) -> None:
    report = await sync(fake)
    assert report.ok and len(action_issues(fake)) == 9
    assert report.check == "created"
    assert [i["title"] for i in fake.issues(REPO) if "actionbot:dashboard" in (i["body"] or "")] == ["Action items"]
    fake.reset_log()
    again = await sync(fake)
    assert again.ok and again.plan.ops == () and fake.writes() == []
    assert again.check == "already there"
    assert len(again.plan.unchanged) == 9


async def test_typo_fix_updates_the_same_issue(fake: Any) -> None:
    await sync(fake)
    number = by_title(fake)[INCIDENT]["number"]
    fake.reset_log()
    report = await push(fake, {NOTES: EXAMPLE.replace("February outage", "February outage's")})
    assert report.ok
    issues = action_issues(fake)
    assert len(issues) == 9
    issue = fake.issue_json(REPO, number)
    assert issue["title"] == "Write the incident report for the February outage's"
    assert [(w.method, w.path) for w in item_writes(fake)] == [("PATCH", f"/repos/{REPO}/issues/{number}")]


async def test_line_added_above_and_item_moved_keep_their_issues(fake: Any) -> None:
    await sync(fake)
    before = {t: i["number"] for t, i in by_title(fake).items()}
    moved = EXAMPLE.replace(
        "- Write the incident report for the February outage (Carol)\n", ""
    ).replace("- Please add yourself to the team list\n",
              "- Please add yourself to the team list\n- Write the incident report for the February outage (Carol)\n")
    moved = moved.replace("## Next actions\n", "## Next actions\n\nA paragraph added above the list.\n")
    report = await push(fake, {NOTES: moved})
    assert report.ok
    after = {t: i["number"] for t, i in by_title(fake).items()}
    assert after == before
    # Each issue's permalink still shows its own item (old commits stay valid: no rewrite needed).
    for title, issue in by_title(fake).items():
        sha, line = re.search(r"/blob/([0-9a-f]{40})/" + re.escape(NOTES) + r"#L(\d+)", issue["body"]).groups()
        shown = fake.file(REPO, NOTES, ref=sha).split("\n")[int(line) - 1]
        assert title.rstrip(":") in shown


async def test_file_moved_to_another_folder_keeps_issues_and_writes_nothing_until_an_item_changes(fake: Any) -> None:
    await sync(fake)
    before = {t: i["number"] for t, i in by_title(fake).items()}
    new_path = "docs/meetings/2025/2025-03-06-team-meeting.md"
    first = head(fake)
    after = fake.commit(REPO, {}, renames={NOTES: new_path})
    fake.reset_log()
    report = await sync(fake, ref=after, before=first, changed=[Changed(new_path, "renamed", NOTES)])
    assert report.ok
    assert {t: i["number"] for t, i in by_title(fake).items()} == before
    assert item_writes(fake) == []  # the old permalinks (old commit, old path) still show the items
    body = fake.issue_json(REPO, before[INCIDENT])["body"]
    assert f"/blob/{first}/{NOTES}#L" in body and parse_marker(body).path == NOTES
    # The item edited later: its issue follows the file then.
    report = await push(fake, {new_path: EXAMPLE.replace("February outage", "February outage's")})
    assert report.ok and len(action_issues(fake)) == len(before)
    body = fake.issue_json(REPO, before[INCIDENT])["body"]
    assert f"/{new_path}#L" in body and parse_marker(body).path == new_path
    assert not any(i["state"] == "closed" for i in action_issues(fake))


async def test_rename_seen_as_remove_plus_add_also_keeps_issues(fake: Any) -> None:
    await sync(fake)
    before = {t: i["number"] for t, i in by_title(fake).items()}
    new_path = "meetings/2025-03-06.md"
    config = CONFIG + 'notes: ["docs/meetings/**/*.md", "meetings/*.md"]\n'
    report = await push(
        fake, {NOTES: None, new_path: EXAMPLE, ".github/actionbot.yml": config},
        changed=[Changed(NOTES, "removed"), Changed(new_path, "added"), Changed(".github/actionbot.yml")],
    )
    assert report.ok
    assert {t: i["number"] for t, i in by_title(fake).items()} == before
    assert all("removed from notes" not in labels(i) for i in action_issues(fake))


async def test_item_listed_again_at_a_later_meeting_is_carried_over(fake: Any) -> None:
    await sync(fake)
    number = by_title(fake)[INCIDENT]["number"]
    later = "docs/meetings/2025-04-03-team-meeting.md"
    report = await push(fake, {later: "# Team meeting, 2025-04-03\n\n## Next actions\n\n- Write the incident report for the February outage (Carol)\n"},
                        changed=[Changed(later, "added")])
    assert report.ok
    issues = action_issues(fake)
    assert len(issues) == 9  # no twin
    issue = fake.issue_json(REPO, number)
    assert {"meeting: 2025-03-06", "meeting: 2025-04-03", "carried over"} <= set(labels(issue))
    comments = fake.comments(REPO, number)
    assert len(comments) == 1 and "Listed again at the meeting of 2025-04-03" in comments[0]["body"]
    assert any(e.kind == "carried_over" for e in report.entries)


@pytest.mark.parametrize("mode", ["comment", "close", "ignore"])
async def test_item_removed_from_the_notes(fake: Any, mode: str) -> None:
    fake.commit(REPO, {".github/actionbot.yml": CONFIG + f"on_removed: {mode}\n"})
    await sync(fake)
    number = by_title(fake)[INCIDENT]["number"]
    fake.reset_log()
    report = await push(fake, {NOTES: EXAMPLE.replace("- Write the incident report for the February outage (Carol)\n", "")})
    assert report.ok
    issue = fake.issue_json(REPO, number)
    comments = fake.comments(REPO, number)
    if mode == "comment":
        assert issue["state"] == "open" and "removed from notes" in labels(issue)
        assert len(comments) == 1 and "no longer in the notes" in comments[0]["body"]
    elif mode == "close":
        assert issue["state"] == "closed" and issue["state_reason"] == "not_planned"
        assert len(comments) == 1
    else:
        assert issue["state"] == "open" and comments == [] and item_writes(fake) == []
    # The other items were not touched.
    assert all(i["state"] == "open" for i in action_issues(fake) if i["number"] != number)


async def test_done_in_the_notes_closes_as_completed(fake: Any) -> None:
    await sync(fake)
    number = by_title(fake)[INCIDENT]["number"]
    report = await push(fake, {NOTES: EXAMPLE.replace("- Write the incident", "- [x] Write the incident")})
    assert report.ok
    issue = fake.issue_json(REPO, number)
    assert issue["state"] == "closed" and issue["state_reason"] == "completed"
    assert "Marked done" in fake.comments(REPO, number)[0]["body"]
    assert len(action_issues(fake)) == 9


async def test_a_push_acts_only_on_the_meetings_it_changed(fake: Any) -> None:
    yearly = "docs/meetings/2024.md"
    text = (
        "# 2024 meetings\n\n## 2024-01-04\n\n### Next actions\n\n- Old item one (Carol)\n- Old item two (Carol)\n\n"
        "## 2024-02-01\n\n### Next actions\n\n- February item (Carol)\n"
    )
    first = head(fake)
    after = fake.commit(REPO, {yearly: text})
    await sync(fake, ref=after, before=first, changed=[Changed(yearly, "added")])
    titles = set(by_title(fake))
    assert {"Old item one", "Old item two", "February item"} <= titles  # a new file: all its meetings
    assert INCIDENT not in titles  # the other file was not part of the push
    fake.reset_log()
    # Edit only the February meeting: January's issues are not even looked at.
    report = await push(fake, {yearly: text.replace("- February item (Carol)", "- February item (Carol)\n- March prep (Carol)")})
    assert {d for _, d in report.plan.matched.items()} and set(by_title(fake)) >= {"March prep"}
    assert [w.method for w in item_writes(fake)] == ["POST"]
    jan = parse_marker(by_title(fake)["Old item one"]["body"])
    assert jan.meeting == "2024-01-04"


async def test_since_bounds_a_full_sync(fake: Any) -> None:
    fake.commit(REPO, {"docs/meetings/2018-01-04.md": "# Team meeting 2018-01-04\n\n## Next actions\n\n- Ancient item (Carol)\n"})
    report = await sync(fake, since="2025-01-01")
    assert report.ok
    assert "Ancient item" not in by_title(fake) and INCIDENT in by_title(fake)


async def test_invalid_config_fails_the_check_with_the_line_and_writes_nothing_else(fake: Any) -> None:
    after = fake.commit(REPO, {".github/actionbot.yml": "people:\n  Carol: carol\nnotse: []\n"})
    fake.reset_log()
    report = await sync(fake, ref=after)
    assert not report.ok and report.config_error.line == 3
    runs = fake.check_runs(REPO)
    assert len(runs) == 1 and runs[0]["conclusion"] == "failure" and runs[0]["head_sha"] == after
    assert ".github/actionbot.yml:3" in runs[0]["output"]["summary"]
    assert "notes" in runs[0]["output"]["summary"]  # the fix: did you mean `notes`?
    assert [w.path for w in fake.writes()] == [f"/repos/{REPO}/check-runs"]
    assert action_issues(fake) == []


async def test_pull_request_preview_writes_only_its_check_run(fake: Any) -> None:
    await sync(fake)
    base = head(fake)
    pr_head = fake.commit(REPO, {NOTES: EXAMPLE + "- Brand new item (Carol)\n"}, branch="notes-update")
    fake.reset_log()
    report = await sync(fake, ref=pr_head, before=base, changed=[Changed(NOTES)], preview=True)
    assert [w.path for w in fake.writes()] == [f"/repos/{REPO}/check-runs"]
    run = fake.check_runs(REPO)[-1]
    assert run["head_sha"] == pr_head and run["output"]["title"].startswith("Merging will")
    assert "Will open (1)" in run["output"]["summary"] and "Brand new item" in run["output"]["summary"]
    assert report.plan is not None and len(action_issues(fake)) == 9


async def test_write_cap_defers_and_schedules_a_follow_up(fake: Any) -> None:
    fake.commit(REPO, {".github/actionbot.yml": CONFIG + "max_writes_per_run: 5\n"})
    ctx = Context()
    report = await reconcile(fake.gh, REPO, ctx=ctx)
    assert report.deferred and report.follow_up and not report.ok
    await ctx.run_later()  # the follow-ups, as the queue would run them
    assert len(action_issues(fake)) == 9
    one_per_key(fake)


# ---------------------------------------------------------------- faults and concurrency


@pytest.mark.parametrize(
    "kind,kw",
    [
        ("status", {"status": 502}),
        ("secondary_limit", {"retry_after": 1}),
        ("lost_answer", {"answer": "502"}),
        ("lost_answer", {"answer": "drop"}),
        ("drop", {}),
    ],
)
async def test_faults_on_creates_converge_to_one_issue_per_item(http_fake: Any, kind: str, kw: dict[str, Any]) -> None:
    fake = http_fake
    fake.fault("POST", rf"^/repos/{REPO}/issues$", kind, times=4, **kw)
    for _ in range(3):
        report = await sync_http(fake)
        if report.ok:
            break
    assert report.ok
    assert len(action_issues(fake)) == 9
    one_per_key(fake)
    fake.reset_log()
    assert (await sync_http(fake)).plan.ops == ()


async def test_lost_answers_everywhere_converge(http_fake: Any) -> None:
    fake = http_fake
    fake.fault("*", rf"^/repos/{REPO}/(issues|labels)", "lost_answer", times=6, answer="502")
    fake.fault("GET", rf"^/repos/{REPO}/", "status", times=3, status=503)
    outcomes: list[Any] = []
    for _ in range(6):  # a run whose reads keep failing raises; the service runs it again
        try:
            outcomes.append(await sync_http(fake))
        except GitHubException as exc:
            outcomes.append(exc)
        if getattr(outcomes[-1], "ok", False):
            break
    assert outcomes[-1].ok and fake.faults.unfired == []
    assert len(action_issues(fake)) == 9
    one_per_key(fake)
    assert len({lb["name"] for lb in fake.labels(REPO)}) == len(fake.labels(REPO))


async def test_two_concurrent_reconciles_make_one_issue_per_item(fake: Any) -> None:
    ra, rb = await asyncio.gather(reconcile(fake.client(), REPO), reconcile(fake.client(), REPO))
    assert ra.ok and rb.ok
    assert len(action_issues(fake)) == 9
    one_per_key(fake)


async def test_duplicates_made_by_another_replica_are_closed_on_the_next_run(fake: Any) -> None:
    await sync(fake)
    original = by_title(fake)[INCIDENT]
    twin = fake.add_issue(REPO, INCIDENT, original["body"], labels=["action item"])
    report = await sync(fake)
    assert report.ok
    issue = fake.issue_json(REPO, twin.number)
    assert issue["state"] == "closed" and issue["state_reason"] == "duplicate"
    assert fake.issue_json(REPO, original["number"])["state"] == "open"


async def test_two_processes_racing_twins_are_closed_at_once(fake: Any, monkeypatch: Any) -> None:
    """The last net (two runs that share no lock, e.g. a workflow without a concurrency group):
    the younger twin's creator closes it."""
    monkeypatch.setattr("actionbot.engine.reconcile.lock_for", lambda repo: asyncio.Lock())
    ra, rb = await asyncio.gather(reconcile(fake.client(), REPO), reconcile(fake.client(), REPO))
    assert ra.ok and rb.ok
    one_per_key(fake)
    opened = [i for i in action_issues(fake) if i["state"] == "open"]
    assert len(opened) == 9
    closed = [i for i in action_issues(fake) if i["state"] == "closed"]
    assert closed and all(i["state_reason"] == "duplicate" for i in closed)  # the race did happen
    assert all(len(fake.comments(REPO, i["number"])) == 1 for i in closed)  # told once, by one run
    fake.reset_log()
    assert (await sync(fake)).plan.ops == ()


async def test_no_run_makes_a_lock_label(fake: Any) -> None:
    """Creates and edits cost their own writes only: no label is made or deleted around them."""
    await sync(fake)
    assert not [w for w in fake.writes("/labels") if (w.body or {}).get("name") == "actionbot-lock"]
    assert [w.method for w in fake.writes("/labels")] == ["POST"] * 4  # the item, meeting and dashboard labels
    fake.reset_log()
    report = await push(fake, {NOTES: EXAMPLE.replace("February outage", "February 2025 outage")})
    assert report.ok and report.applied
    assert fake.writes("/labels") == []


async def test_copied_handles_are_neutralised_and_only_owners_mentioned(fake: Any) -> None:
    path = "docs/meetings/2025-05-01.md"
    fake.commit(REPO, {path: "# Team meeting 2025-05-01\n\n## Next actions\n\n- Ask @octocat and @jupyterhub/team about the logo (Carol)\n"})
    await sync(fake)
    issue = by_title(fake)["Ask @octocat and @jupyterhub/team about the logo"]
    body = issue["body"]
    assert "`@octocat`" in body and "`@jupyterhub/team`" in body
    assert re.findall(r"(?<![`\w])@([\w-]+)", body.split("<details>")[0].split("-->", 2)[-1]) == ["carol"]


async def test_files_over_max_file_bytes_are_skipped_with_a_problem(fake: Any) -> None:
    fake.commit(REPO, {".github/actionbot.yml": CONFIG + "max_file_bytes: 200\n"})
    report = await sync(fake)
    assert action_issues(fake) == []
    assert any(p.path == NOTES and "max_file_bytes" in p.message for p in report.problems)
    run = fake.check_runs(REPO)[-1]
    assert run["conclusion"] == "neutral" and "max_file_bytes" in run["output"]["summary"]
