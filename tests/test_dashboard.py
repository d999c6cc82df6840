"""The dashboard body and its upkeep decisions."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from actionbot.core.dashboard import MARKER, DashItem, age_days, needs_rewrite, render, upkeep

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def items() -> list[DashItem]:
    return [
        DashItem(3, "Write the blog post", "u/3", ("carol", "Brian"), "2026-02-05 Team meeting", "2026-02-05",
                 refs=(("o/r#1", "merged"), ("o/r#2", "open"))),
        DashItem(5, "Fix GA | tracking", "u/5", (), "2026-02-05 Team meeting", "2026-02-05"),
        DashItem(7, "Release", "u/7", ("@brian",), None, None, created_at="2026-02-20T08:00:00Z"),
        DashItem(8, "Old done", "u/8", ("carol",), "2026-01-08 Team meeting", "2026-01-08", state="closed",
                 closed_at="2026-02-20T00:00:00Z", state_reason="completed"),
        DashItem(9, "Dropped", "u/9", ("carol",), None, None, state="closed", closed_at="2026-02-25T00:00:00Z",
                 state_reason="not_planned"),
        DashItem(10, "Ancient", "u/10", ("carol",), None, None, state="closed", closed_at="2025-12-01T00:00:00Z"),
    ]  # fmt: skip


def test_groups_by_owner_with_needs_owner_last():
    body = render(items(), NOW)
    assert body.startswith(MARKER)
    headings = [line for line in body.splitlines() if line.startswith("### ")]
    assert headings == [
        "### Brian (2)",  # "Brian" and "@brian" are one person
        "### carol (1)",
        "### Needs an owner (1)",
        "### Closed in the last 30 days (2)",
    ]
    assert "**3** open, **2** closed in the last 30 days." in body


def test_rows_have_meeting_age_and_reference_state():
    body = render(items(), NOW)
    assert "| [#3](u/3) Write the blog post | 2026-02-05 Team meeting | 3 weeks | o/r#1 merged; o/r#2 open |" in body
    # age from the creation when the meeting has no date; pipes escaped
    assert "| [#7](u/7) Release | — | 9 days | — |" in body
    assert "Fix GA \\| tracking" in body


def test_recently_closed_newest_first_and_old_ones_left_out():
    body = render(items(), NOW)
    closed = body.split("### Closed in the last 30 days")[1]
    assert closed.index("#9") < closed.index("#8")
    assert "| 2026-02-25 | not planned |" in closed and "| 2026-02-20 | completed |" in closed
    assert "#10" not in body


def test_no_mentions_in_the_body():
    assert "@carol" not in render(items(), NOW) and "@brian" not in render(items(), NOW)


def test_deterministic_whatever_the_input_order():
    shuffled = items()
    random.Random(4).shuffle(shuffled)
    assert render(shuffled, NOW) == render(items(), NOW)


def test_empty():
    body = render([], NOW)
    assert "No open action items." in body and "None." in body


def test_age_days():
    assert age_days(DashItem(1, "t", "u", meeting_date="2026-02-28"), NOW) == 1
    assert age_days(DashItem(1, "t", "u"), NOW) is None
    assert age_days(DashItem(1, "t", "u", meeting_date="2027-01-01"), NOW) == 0


def test_needs_rewrite_ignores_line_endings_only():
    body = render(items(), NOW)
    assert not needs_rewrite(body.replace("\n", "\r\n"), body)
    assert needs_rewrite(body.replace("3 weeks", "4 weeks"), body)
    assert needs_rewrite(None, body)


def test_upkeep_create_update_nothing():
    body = render(items(), NOW)
    assert upkeep([], body).action == "create"
    assert upkeep([{"number": 2, "body": "not it", "state": "open"}], body).action == "create"
    current = {"number": 4, "body": body, "state": "open"}
    assert upkeep([current], body).action == "none"
    changed = upkeep([current], render(items()[:2], NOW))
    assert (changed.action, changed.number) == ("update", 4)


def test_upkeep_respects_a_human_close_until_requested():
    body = render(items(), NOW)
    closed = {"number": 4, "body": "old " + MARKER, "state": "closed"}
    assert upkeep([closed], body).action == "none"
    again = upkeep([closed], body, requested=True)
    assert (again.action, again.number, again.body) == ("reopen", 4, body)


def test_upkeep_disabled_and_oldest_wins():
    body = render([], NOW)
    assert upkeep([], body, enabled=False).action == "none"
    two = [{"number": 9, "body": MARKER, "state": "open"}, {"number": 4, "body": MARKER, "state": "open"}]
    assert upkeep(two, body).number == 4
