"""Review decisions (pure): what a review line does to the issue it names, and when it does nothing."""

from __future__ import annotations

from dataclasses import replace

from actionbot.core.config import Config
from actionbot.core.existing import ExistingIssue
from actionbot.core.operations import CloseIssue, Comment, UpdateIssue
from actionbot.core.plan import plan
from actionbot.core.render import BEGIN, END, Marker, marker_comment
from actionbot.core.review import ReviewLine, decide, match, unmatched
from actionbot.notes.review import DONE, DROPPED, UNMARKED

REPO = "o/notes"


def issue(number: int, text: str, meeting: str, *, state: str = "open", extra: dict | None = None) -> ExistingIssue:
    marker = Marker(key=f"k{number}", repo=REPO, path="m.md", meeting=meeting, text=text, title=text,
                    meetings=(meeting,), extra=extra or {})  # fmt: skip
    body = f"{BEGIN}\n{marker_comment(marker)}\n> {text}\n\n**Meeting:** {meeting}\n{END}"
    return ExistingIssue(number, text, body, state=state, labels=("action item", f"meeting: {meeting}"), marker=marker)


def line(task: str, mark: str, *, date: str = "2025-06-09", refs: tuple[str, ...] = (), n: int = 5) -> ReviewLine:
    return ReviewLine(REPO, "m2.md", n, date, task, task, mark, refs, f"https://x/m2.md#L{n}")


ISSUES = [
    issue(1, "write the report", "2025-06-02"),
    issue(2, "move the ci", "2025-06-02"),
    issue(3, "find a venue", "2025-06-02"),
    issue(4, "renew the domain", "2025-06-02", state="closed"),
]


def test_matching_by_reference_first_then_by_text() -> None:
    lines = [
        line("something else entirely", DONE, refs=(f"{REPO}#2",)),
        line("Write the report!", DONE),
        line("Find a venu", UNMARKED),  # a typo: near enough
        line("Renew the domain", DONE),  # closed: still named, nothing to do
        line("Order pizza", DONE, refs=(f"{REPO}#99", "other/repo#1")),
    ]
    assert [i.number if i else None for i in match(lines, ISSUES, REPO)] == [2, 1, 3, 4, None]
    assert [p.line for p in unmatched(lines, ISSUES, REPO)] == [5]


def test_done_dropped_unmarked_become_closes_and_a_carry_over() -> None:
    lines = [line("write the report", DONE, n=5), line("move the ci", DROPPED, n=6), line("find a venue", UNMARKED, n=7)]
    result = plan([], ISSUES, Config(), tracking_repo=REPO, reviews=lines)
    closes = {op.number: op for op in result.ops if isinstance(op, CloseIssue)}
    assert {n: op.reason for n, op in closes.items()} == {1: "completed", 2: "not_planned"}
    assert "Marked done in [the notes of 2025-06-09, line 5](https://x/m2.md#L5)" in (closes[1].comment or "")
    assert '"reviewed":["2025-06-09"]' in (closes[1].body or "")  # the review is recorded with the close
    (update,) = [op for op in result.ops if isinstance(op, UpdateIssue)]
    assert update.number == 3 and set(update.labels or ()) >= {"carried over", "meeting: 2025-06-09"}
    assert "**Listed at:** 2025-06-02, 2025-06-09" in (update.body or "")
    assert [(c.number, c.kind) for c in result.ops if isinstance(c, Comment)] == [(3, "carried-over")]
    assert result.writes == 2 + 2 + 2 + sum(1 for op in result.ops if type(op).__name__ == "EnsureLabel")


def test_a_review_no_newer_than_the_item_does_nothing() -> None:
    same_day = [line("write the report", DONE, date="2025-06-02"), line("move the ci", DONE, date="2025-05-01")]
    assert decide(same_day, ISSUES, Config(), REPO) == []
    # a review already recorded (the item was closed by it, then reopened by a human) is not applied again
    reopened = [issue(1, "write the report", "2025-06-02", extra={"reviewed": ["2025-06-09"]})]
    assert decide([line("write the report", DONE)], reopened, Config(), REPO) == []
    assert decide([line("write the report", DONE, date="2025-06-16")], reopened, Config(), REPO) != []


def test_the_newest_review_of_an_item_wins_and_undated_reviews_do_nothing() -> None:
    lines = [line("write the report", DONE, date="2025-06-16", n=9), line("write the report", UNMARKED, date="2025-06-09")]
    (d,) = decide(lines, ISSUES, Config(), REPO)
    assert d.action == "close" and d.line.line == 9
    assert decide([replace(line("write the report", DONE), date=None)], ISSUES, Config(), REPO) == []


def test_on_review_comment_and_ignore() -> None:
    lines = [line("write the report", DONE)]
    asked = plan([], ISSUES, Config(on_review="comment"), tracking_repo=REPO, reviews=lines)
    assert not [op for op in asked.ops if isinstance(op, CloseIssue)]
    (comment,) = [op for op in asked.ops if isinstance(op, Comment)]
    assert "`@actionbot done`" in comment.body
    assert plan([], ISSUES, Config(on_review="ignore"), tracking_repo=REPO, reviews=lines).ops == ()
