"""A public item never shows the state or title of a private repository's issue or PR.

Every place reference information reaches text: the item's reference list
(sync, webhook, periodic check, `link`), the `refs closed` label and the
close it can bring, `status`, the dashboard, the review list, and the
meeting-issue comment. The rule compares the tracking repository's visibility
with the referenced one's: a private item may show a private reference.
"""

from __future__ import annotations

from typing import Any

import pytest

from actionbot.core import agenda, meeting
from actionbot.core.config import DEFAULT_CONFIG, load_config
from actionbot.core.refstate import PRIVATE, refs_in_body
from actionbot.engine.items import check_item, refresh_dashboard
from actionbot.engine.meetings import refresh_meeting_issues
from actionbot.engine.reconcile import reconcile
from tests.fakegithub.state import iso
from tests.handlerenv import Handlers
from tests.helpers import TRACK, item_body
from tests.syncenv import CONFIG, REPO, action_issues, setup_repo

SECRET = "team/secret"
HIDDEN = "a referenced item in a private repository"
SECRET_TITLE = "Acquire competitor quietly"
NOTES = "docs/meetings/2026-01-08-team.md"


def _notes(*refs: str) -> str:
    return f"# Team meeting, 2026-01-08\n\n## Next actions\n\n- Carol will fix the build ({', '.join(refs)})\n"


def _leaks(text: str) -> list[str]:
    """What of the private PR shows in `text`: its title, its state, or who closed it."""
    return [w for w in (SECRET_TITLE, "merged", "ceo") if w in text]


def _merged_secret_pr(fake: Any) -> int:
    pr = fake.add_pull(SECRET, SECRET_TITLE)
    fake.set_state(pr, "closed", None, actor="ceo")
    pr.merged, pr.merged_by, pr.merged_at = True, "ceo", pr.closed_at
    return int(pr.number)


async def _sync(fake: Any) -> Any:
    return await reconcile(fake.gh, REPO)


@pytest.mark.parametrize("tracking_private", [False, True])
async def test_sync_lists_a_private_reference_by_the_tracking_repositorys_visibility(
    memory_store: Any, tracking_private: bool
) -> None:
    setup_repo(memory_store, config=CONFIG + "dashboard: true\n", notes="")
    memory_store.repo(REPO).private = tracking_private
    memory_store.add_repo(SECRET, private=True)
    number = _merged_secret_pr(memory_store)
    memory_store.commit(REPO, {NOTES: _notes(f"{SECRET}#{number}")})
    await _sync(memory_store)
    (item,) = action_issues(memory_store)
    dashboard = next(i for i in memory_store.issues(REPO) if i["title"] == "Action items")
    if tracking_private:  # same visibility: the state is shown
        assert refs_in_body(item["body"]) == {f"{SECRET}#{number}": "merged"}
        assert "merged" in dashboard["body"]
        return
    assert f"- {SECRET}#{number} ({HIDDEN})" in item["body"]
    assert refs_in_body(item["body"]) == {f"{SECRET}#{number}": PRIVATE}
    assert _leaks(item["body"]) == [] and _leaks(dashboard["body"]) == []
    assert HIDDEN in dashboard["body"]
    assert "refs closed" not in [lab["name"] for lab in item["labels"]]  # a label would tell it too
    memory_store.reset_log()
    await _sync(memory_store)
    assert memory_store.writes() == []  # what the sync writes, it reads back the same


async def test_a_leaked_state_is_taken_back_by_the_next_sync(memory_store: Any) -> None:
    """Bodies written before the rule: the next sync rewrites the list without the state."""
    setup_repo(memory_store, notes="")
    memory_store.add_repo(SECRET, private=True)
    number = _merged_secret_pr(memory_store)
    memory_store.commit(REPO, {NOTES: _notes(f"{SECRET}#{number}")})
    await _sync(memory_store)
    (item,) = action_issues(memory_store)
    issue = memory_store.issue(REPO, item["number"])
    issue.body = issue.body.replace(HIDDEN, "merged")
    await _sync(memory_store)
    assert refs_in_body(memory_store.issue(REPO, item["number"]).body) == {f"{SECRET}#{number}": PRIVATE}


@pytest.fixture
def gh(memory_store: Any) -> Any:
    memory_store.add_repo(TRACK)
    memory_store.add_repo(SECRET, private=True)
    memory_store.add_collaborator(TRACK, "maint", "write")
    return memory_store.gh


def _item(fake: Any, refs: list[str]) -> Any:
    return fake.add_issue(TRACK, "Ship", item_body(refs), labels=["action item"], assignees=["carol"])


def _closed_payload(fake: Any, number: int) -> dict[str, Any]:
    pr = fake.issue(SECRET, number)
    return {
        "action": "closed",
        "repository": {"full_name": SECRET, "private": True},
        "sender": {"login": "ceo", "type": "User"},
        "number": number,
        "pull_request": {
            "number": number, "title": pr.title, "state": "closed", "merged": True,
            "merged_at": iso(pr.merged_at), "closed_at": iso(pr.closed_at), "updated_at": iso(pr.updated_at),
            "merged_by": {"login": "ceo", "type": "User"}, "html_url": f"https://github.com/{SECRET}/pull/{number}",
        },
    }  # fmt: skip


async def test_a_close_webhook_leaves_no_state_label_or_close_on_a_public_item(
    memory_store: Any, gh: Any, handlers: Handlers
) -> None:
    number = _merged_secret_pr(memory_store)
    item = _item(memory_store, [f"{SECRET}#{number}"])
    memory_store.commit(TRACK, {".github/actionbot.yml": "close_when_refs_closed: true\n"})
    await handlers.send("pull_request", _closed_payload(memory_store, number))
    issue = memory_store.issue(TRACK, item.number)
    assert refs_in_body(issue.body) == {f"{SECRET}#{number}": PRIVATE}
    assert issue.state == "open" and "refs closed" not in issue.labels
    texts = [issue.body, *(c["body"] for c in memory_store.comments(TRACK, item.number))]
    assert [t for t in texts if _leaks(t)] == []


async def test_the_periodic_check_rewrites_a_listed_state_it_must_not_show(memory_store: Any, gh: Any) -> None:
    number = _merged_secret_pr(memory_store)
    item = _item(memory_store, [f"{SECRET}#{number}"])  # listed "(open)", as before the rule
    await check_item(gh, TRACK, memory_store.issue_json(TRACK, item.number), DEFAULT_CONFIG)
    assert refs_in_body(memory_store.issue(TRACK, item.number).body) == {f"{SECRET}#{number}": PRIVATE}
    memory_store.reset_log()  # from now on nothing to compare with, so nothing to say
    await check_item(gh, TRACK, memory_store.issue_json(TRACK, item.number), DEFAULT_CONFIG)
    assert memory_store.writes() == []


async def _say(handlers: Handlers, number: int, body: str) -> list[str]:
    """maint's comment `body` on TRACK#`number`, delivered; the bot's comments there after it."""
    fake = handlers.store
    await handlers.comment(TRACK, number, body, who="maint")
    return [c["body"] for c in fake.comments(TRACK, number) if c["user"]["login"] == fake.gh.actor]


async def test_link_and_status_on_a_public_item_show_no_private_state(
    memory_store: Any, gh: Any, handlers: Handlers
) -> None:
    number = _merged_secret_pr(memory_store)
    item = _item(memory_store, [])
    await _say(handlers, item.number, f"@actionbot link {SECRET}#{number}")
    assert refs_in_body(memory_store.issue(TRACK, item.number).body) == {f"{SECRET}#{number}": PRIVATE}
    (reply,) = await _say(handlers, item.number, "@actionbot status")
    assert f"{SECRET}#{number} {HIDDEN}" in reply and _leaks(reply) == []


async def test_the_dashboard_and_review_list_read_the_hidden_state(memory_store: Any, gh: Any) -> None:
    number = _merged_secret_pr(memory_store)
    _item(memory_store, [f"{SECRET}#{number}"])
    await check_item(gh, TRACK, memory_store.issue_json(TRACK, 1), DEFAULT_CONFIG)
    await refresh_dashboard(gh, TRACK, DEFAULT_CONFIG, requested=True)
    (dash,) = [i for i in memory_store.issues(TRACK) if i["title"] == "Action items"]
    assert f"{SECRET}#{number} {HIDDEN}" in dash["body"] and _leaks(dash["body"]) == []
    listing = agenda.build(TRACK, [memory_store.issue_json(TRACK, 1)], memory_store.clock.now())
    text = agenda.markdown(listing)
    assert f"{HIDDEN}" in text and _leaks(text) == []


MEETINGS = CONFIG + f'tracking_repo: {SECRET}\nmeeting_issues:\n  labels: ["meeting"]\n'


@pytest.mark.parametrize("notes_private", [False, True])
async def test_a_public_meeting_issue_lists_no_private_repositorys_items(memory_store: Any, notes_private: bool) -> None:
    setup_repo(memory_store, config=MEETINGS)
    memory_store.repo(REPO).private = notes_private
    memory_store.add_repo(SECRET, private=True)
    await _sync(memory_store)
    assert action_issues(memory_store, SECRET)  # the items exist, in the private repository
    issue = memory_store.add_issue(REPO, "Team meeting 2026-02-01", "Agenda", labels=["meeting"])
    assert await refresh_meeting_issues(memory_store.gh, REPO, load_config(MEETINGS)) == 1
    (comment,) = [c["body"] for c in memory_store.comments(REPO, issue.number) if c["body"].startswith(meeting.MARKER)]
    if notes_private:
        assert "- [ ] Write the incident report" in comment
    else:
        assert comment == meeting.PRIVATE_BODY
