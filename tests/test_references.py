"""Notices for referenced PRs and issues that close or reopen, exactly once; the `refs closed` label."""

from __future__ import annotations

import copy
import json

import pytest

from actionbot.core.refstate import (
    CLOSED,
    MERGED,
    OPEN,
    RefEvent,
    RefState,
    already_reported,
    changes,
    duplicates,
    event_from_payload,
    notice,
    refs_label_plan,
    state_from_issue,
)
from tests.shared import shared_path


def example(name: str) -> dict:
    return json.loads(shared_path("github", "webhooks", "examples", name).read_text())


def merged_pr_payload() -> dict:
    payload = copy.deepcopy(example("pull_request.closed.json"))
    pr = payload["pull_request"]
    pr.update(merged=True, merged_at="2019-05-15T15:21:18Z", merged_by={"login": "minrk", "type": "User"})
    return payload


def test_unmerged_pr_close_from_official_payload():
    event = event_from_payload("pull_request", example("pull_request.closed.json"))
    assert event is not None and event.action == "closed"
    assert event.target.ref == "Codertocat/Hello-World#2" and event.target.state == CLOSED
    text = notice(event)
    assert "**Codertocat/Hello-World#2**" in text
    assert "without being merged" in text and "by **Codertocat**" in text
    assert "https://github.com/Codertocat/Hello-World/pull/2" in text
    assert text.endswith("<!-- actionbot:ref-closed Codertocat/Hello-World#2 closed-at=2019-05-15T15:21:18Z -->")


def test_merged_pr_names_the_merger_without_mentioning():
    event = event_from_payload("pull_request", merged_pr_payload())
    assert event.target.state == MERGED and event.actor == "minrk"
    text = notice(event)
    assert "was **merged** by **minrk**" in text and "@minrk" not in text


def test_issue_close_and_reopen():
    reopened = example("issues.reopened.json")
    closed = copy.deepcopy(reopened)
    closed["action"] = "closed"
    closed["issue"].update(state="closed", state_reason="completed")
    c = event_from_payload("issues", closed)
    assert c.action == "closed" and c.target.ref == "Codertocat/Hello-World#1"
    assert "The referenced issue **Codertocat/Hello-World#1**" in notice(c) and "was closed by" in notice(c)
    r = event_from_payload("issues", reopened)
    assert r.action == "reopened" and r.target.state == OPEN
    # closed_at survives in a reopened payload; the reopening is dated by updated_at
    assert r.marker == "<!-- actionbot:ref-reopened Codertocat/Hello-World#1 reopened-at=2021-10-11T16:40:56Z -->"
    assert "was **reopened**" in notice(r)


def test_not_planned_issue_close_is_said():
    payload = copy.deepcopy(example("issues.reopened.json"))
    payload["action"] = "closed"
    payload["issue"].update(state="closed", state_reason="not_planned")
    assert "closed as not planned" in notice(event_from_payload("issues", payload))


def test_other_actions_are_not_events():
    assert event_from_payload("issues", example("issues.opened.json")) is None
    assert event_from_payload("push", {"action": "closed"}) is None


def test_exactly_once_marker_check():
    event = event_from_payload("pull_request", merged_pr_payload())
    comments = [{"id": 1, "body": "unrelated"}]
    assert not already_reported(comments, event.marker)
    comments.append({"id": 2, "body": notice(event)})
    assert already_reported(comments, event.marker)
    # the same delivery again: same marker
    assert event_from_payload("pull_request", merged_pr_payload()).marker == event.marker
    # closed again later: a new notice
    later = merged_pr_payload()
    later["pull_request"]["merged_at"] = "2020-01-01T00:00:00Z"
    assert not already_reported(comments, event_from_payload("pull_request", later).marker)


def test_duplicates_keep_the_oldest():
    m = "<!-- actionbot:ref-closed o/r#1 closed-at=T -->"
    comments = [
        {"id": 9, "body": "x" + m, "created_at": "2026-01-01T00:00:02Z"},
        {"id": 7, "body": "y" + m, "created_at": "2026-01-01T00:00:01Z"},
        {"id": 8, "body": "other", "created_at": "2026-01-01T00:00:00Z"},
        {"id": 10, "body": m, "created_at": "2026-01-01T00:00:02Z"},
    ]
    assert duplicates(comments, m) == [9, 10]
    assert duplicates(comments[2:3], m) == []


def _issue(state="open", pull=None, **kw):
    return {"number": 4, "state": state, "html_url": "https://github.com/o/r/pull/4", "title": "T", **kw,
            **({"pull_request": pull} if pull is not None else {})}  # fmt: skip


def test_state_from_issue_tells_merged_prs_apart():
    merged = state_from_issue("o/r", _issue("closed", {"merged_at": "2026-01-01T00:00:00Z"}, closed_at="x"))
    assert merged.state == MERGED and merged.is_pull and merged.closed_at == "2026-01-01T00:00:00Z"
    closed = state_from_issue("o/r", _issue("closed", {"merged_at": None}, closed_at="2026-01-02T00:00:00Z"))
    assert closed.state == CLOSED and closed.is_pull
    issue = state_from_issue("o/r", _issue("closed", closed_by={"login": "bob"}, closed_at="c"))
    assert issue.state == CLOSED and not issue.is_pull and issue.closed_by == "bob"


def test_polling_reports_only_transitions():
    before = {
        "o/r#1": RefState("o/r#1", OPEN),
        "o/r#2": RefState("o/r#2", CLOSED),
        "o/r#3": RefState("o/r#3", OPEN),
    }
    now = [
        RefState("o/r#1", MERGED, is_pull=True, closed_at="t1", closed_by="minrk"),
        RefState("o/r#2", OPEN, updated_at="t2"),
        RefState("o/r#3", OPEN),
        RefState("o/r#4", CLOSED, closed_at="t4"),  # first sight: not news
    ]
    events = changes(before, now)
    assert [(e.action, e.target.ref, e.at, e.actor) for e in events] == [
        ("closed", "o/r#1", "t1", "minrk"),
        ("reopened", "o/r#2", "t2", None),
    ]
    assert changes(before, [before["o/r#1"]]) == []


def test_polled_notice_matches_webhook_notice_marker():
    """A close seen by webhook and by polling is the same notice, so it is posted once."""
    hook = event_from_payload("pull_request", merged_pr_payload())
    polled = state_from_issue(
        "Codertocat/Hello-World",
        {"number": 2, "state": "closed", "pull_request": {"merged_at": "2019-05-15T15:21:18Z"}},
    )
    (event,) = changes({"codertocat/hello-world#2": RefState("Codertocat/Hello-World#2", OPEN)}, [polled])
    assert event.marker == hook.marker


@pytest.mark.parametrize(
    ("states", "has_label", "expected"),
    [
        ({"o/r#1": CLOSED, "o/r#2": MERGED}, False, "add"),
        ({"o/r#1": CLOSED, "o/r#2": MERGED}, True, "nothing"),
        ({"o/r#1": CLOSED, "o/r#2": OPEN}, True, "remove"),
        ({"o/r#1": CLOSED, "o/r#2": OPEN}, False, "nothing"),
        ({"o/r#1": CLOSED}, True, "remove"),  # o/r#2 unknown counts as open
    ],
)
def test_refs_closed_label(states, has_label, expected):
    plan = refs_label_plan(["o/r#1", "O/R#2"], states, has_label=has_label, issue_open=True, close_when_refs_closed=False)
    got = "add" if plan.add_label else "remove" if plan.remove_label else "nothing"
    assert got == expected and not plan.close
    assert plan.nothing is (expected == "nothing")


def test_no_refs_never_labels():
    plan = refs_label_plan([], {}, has_label=False, issue_open=True, close_when_refs_closed=True)
    assert plan.nothing


def test_close_when_refs_closed_closes_open_items_with_a_comment():
    plan = refs_label_plan(["o/r#1"], {"o/r#1": MERGED}, has_label=False, issue_open=True, close_when_refs_closed=True)
    assert plan.close and not plan.add_label and "**o/r#1**" in plan.comment
    closed = refs_label_plan(["o/r#1"], {"o/r#1": MERGED}, has_label=True, issue_open=False, close_when_refs_closed=True)
    assert not closed.close and closed.nothing


def test_refevent_marker_property():
    e = RefEvent("closed", RefState("o/r#1", CLOSED), None, "T")
    assert e.marker == "<!-- actionbot:ref-closed o/r#1 closed-at=T -->"
    assert notice(e).startswith("The referenced issue **o/r#1** was closed.")
