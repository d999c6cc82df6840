"""What the notes want: which items open issues, and who owns them (the pure half before planning).

Most of desired_issues' rules are checked end to end in tests/test_plan.py
(plan them, apply them, plan again); these are the ones visible on its output alone.
"""

from __future__ import annotations

from dataclasses import replace

from actionbot.core.config import Config
from actionbot.core.desired import desired_issues, resolve_owner, scope_of
from actionbot.notes.model import Meeting
from tests.planning import CONFIG, SEED, ctx, item, notes


def test_since_ignores_older_meetings() -> None:
    config = replace(CONFIG, since="2018-02-01")
    assert desired_issues(notes(*SEED), config, ctx()) == ()
    assert scope_of(notes(*SEED), config) == frozenset()


def test_inline_items_open_issues_only_when_configured() -> None:
    inline = item("TODO: fix the CI", 30, source="inline")
    assert desired_issues(notes(inline), CONFIG, ctx()) == ()
    assert len(desired_issues(notes(inline), replace(CONFIG, inline_actions=True), ctx())) == 1


def test_roster_resolution_never_guesses() -> None:
    assert resolve_owner("ana m", CONFIG) == "anamartins"
    assert resolve_owner("@jdoe-dev", CONFIG) == "jdoe-dev"
    assert resolve_owner("@example-org/widgetlab-core", CONFIG) is None  # a team
    assert resolve_owner("CI", CONFIG) is None
    assert resolve_owner("Ola", CONFIG, {"Ola N": "olan", "ola": "olan"}) == "olan"  # notes' check-in lines
    assert resolve_owner("Hana", Config(people={"Hana": "hana-s"}), {"Hana": "other"}) == "hana-s"


def test_since_counts_a_month_meeting_when_part_of_its_month_is_after() -> None:
    june = Meeting(date="2022-06", title="June 2022", line=1)
    at_june = notes(*SEED, meetings=(june,))
    june_items = [replace(i, meeting=0) for i in at_june.items]
    month_notes = notes(*june_items, meetings=(june,))
    assert desired_issues(month_notes, replace(CONFIG, since="2022-06-15"), ctx())  # June still counts
    assert desired_issues(month_notes, replace(CONFIG, since="2022-07-01"), ctx()) == ()
    assert Config(since="2022-06-15").before_since("2022-05") and not Config(since="2022-06-15").before_since("2022-06")
    assert not Config().before_since("2022-05") and not Config(since="2022-06-15").before_since(None)
