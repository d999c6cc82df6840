"""Reminders: due only after a quiet period, to assignees, once per period, at most 20 a day per repository."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from actionbot.core.config import Config, Reminders, load_config
from actionbot.core.operations import Comment, UpdateIssue
from actionbot.core.reminders import last_reminded, plan_reminders
from actionbot.core.render import BEGIN, END, Marker, marker_comment, parse_marker
from actionbot.engine.reconcile import reconcile
from actionbot.engine.reminders import send_reminders
from tests.fakestore import MemoryStore
from tests.syncenv import CONFIG, REPO, action_issues, item_writes, setup_repo

NOW = datetime(2025, 6, 30, 12, 0, tzinfo=UTC)
ON = Config(reminders=Reminders(after_days=14))


def issue(n: int, *, quiet_days: int = 20, assignees: tuple[str, ...] = ("ana",), reminded: str | None = None,
          state: str = "open", labels: tuple[str, ...] = ("action item",)) -> dict[str, Any]:  # fmt: skip
    extra = {"reminded": reminded} if reminded else {}
    marker = Marker(key=f"k{n}", repo=REPO, path="m.md", meeting="2025-05-01", extra=extra)
    return {
        "number": n, "state": state, "title": f"item {n}", "body": f"{BEGIN}\n{marker_comment(marker)}\n{END}",
        "assignees": [{"login": a} for a in assignees], "labels": [{"name": x} for x in labels],
        "updated_at": (NOW - timedelta(days=quiet_days)).isoformat().replace("+00:00", "Z"),
    }  # fmt: skip


def comments(plan: Any) -> list[Comment]:
    return [op for op in plan.ops if isinstance(op, Comment)]


def test_only_quiet_owned_open_items_get_one_reminder_each() -> None:
    plan = plan_reminders(
        [issue(1), issue(2, quiet_days=13), issue(3, assignees=()), issue(4, labels=("action item", "needs owner")),
         issue(5, state="closed"), issue(6, assignees=("ana", "bo"), quiet_days=40)],
        ON, NOW,
    )  # fmt: skip
    assert [c.number for c in comments(plan)] == [6, 1]  # the quietest first
    assert comments(plan)[0].body.split("\n")[1].startswith("@ana, @bo: this action item has been quiet for 5 weeks.")
    assert "`@actionbot done`" in comments(plan)[0].body and "`@actionbot drop`" in comments(plan)[0].body
    stamps = [op for op in plan.ops if isinstance(op, UpdateIssue)]
    assert [last_reminded(parse_marker(op.body)) for op in stamps] == ["2025-06-30", "2025-06-30"]  # type: ignore[arg-type]


def test_never_twice_within_the_period() -> None:
    assert comments(plan_reminders([issue(1, reminded="2025-06-20")], ON, NOW)) == []
    assert len(comments(plan_reminders([issue(1, reminded="2025-06-15")], ON, NOW))) == 1


def test_at_most_20_a_day_per_repository_counting_the_ones_already_sent_today() -> None:
    many = [issue(n) for n in range(1, 31)]
    assert len(comments(plan_reminders(many, ON, NOW))) == 20
    sent = [issue(n, quiet_days=0, reminded="2025-06-30") for n in range(100, 115)]
    assert len(comments(plan_reminders(many + sent, ON, NOW))) == 5
    assert comments(plan_reminders(many, Config(), NOW)) == []  # off by default


async def test_sent_from_the_resync_path_once(memory_store: MemoryStore) -> None:
    setup_repo(memory_store, config=CONFIG + "reminders: {after_days: 14}\n")
    config = load_config(CONFIG + "reminders: {after_days: 14}\n")
    later = datetime.now(UTC) + timedelta(days=20)
    gh = memory_store.gh
    await reconcile(gh, REPO)
    assert await send_reminders(gh, REPO, config, later) == 4  # two of carol's, two of choldgraf's; the rest need an owner
    memory_store.reset_log()
    assert await send_reminders(gh, REPO, config, later) == 0  # the same day: nothing more
    assert await send_reminders(gh, REPO, config, later + timedelta(days=10)) == 0  # the reminder was activity
    assert item_writes(memory_store) == []
    await reconcile(gh, REPO)  # a sync keeps the stamp and rewrites nothing
    assert item_writes(memory_store) == []
    reminded = [i for i in action_issues(memory_store) if last_reminded(parse_marker(i["body"]))]  # type: ignore[arg-type]
    assert len(reminded) == 4
    bodies = [c["body"] for i in reminded for c in memory_store.comments(REPO, i["number"])]
    assert sum("has been quiet for" in b for b in bodies) == 4
