"""The dashboard's follow-through chart (valid `xychart-beta` as mermaid parses it) and ages in words."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import UTC, datetime

import pytest

from actionbot.core.ages import days_between, human_age, parse_when
from actionbot.core.chart import MeetingCount, follow_through, xychart
from actionbot.core.dashboard import DashItem, render
from tests.xychart_grammar import GrammarError, parse

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("days", "said"),
    [
        (0, "today"), (1, "1 day"), (3, "3 days"), (13, "13 days"), (14, "2 weeks"), (35, "5 weeks"),
        (59, "8 weeks"), (60, "2 months"), (245, "8 months"), (364, "12 months"), (365, "1 year"),
        (800, "2 years"), (3257, "8 years"), (-4, "today"),
    ],
)  # fmt: skip
def test_ages_read_as_people_say_them(days: int, said: str) -> None:
    assert human_age(days) == said


def test_a_meeting_dated_by_its_month_is_aged_from_the_first_day() -> None:
    assert parse_when("2026-02") == datetime(2026, 2, 1, tzinfo=UTC)
    assert days_between("2026-02", NOW) == 28
    assert parse_when("2026-2") is None and parse_when("June 2026") is None


def _items(n_meetings: int) -> list[tuple[str | None, str, str | None]]:
    out: list[tuple[str | None, str, str | None]] = []
    for k in range(n_meetings):
        date = f"2025-{1 + k // 28:02d}-{1 + k % 28:02d}"
        out += [(date, "closed", "completed")] * (k % 3) + [(date, "open", None)] * (k % 4)
        out.append((date, "closed", "not_planned"))  # dropped: neither done nor open
    return out


def test_counts_per_meeting_last_twelve_oldest_first() -> None:
    items = [
        ("2025-05-12", "open", None), ("2025-05-12", "closed", "completed"), ("2025-05-12", "closed", None),
        ("2025-05-19", "closed", "not_planned"), ("2025-05-19", "closed", "duplicate"),
        (None, "open", None), ("someday", "open", None),
    ]  # fmt: skip
    assert follow_through(items) == [MeetingCount("2025-05-12", 2, 1), MeetingCount("2025-05-19", 0, 0)]
    many = follow_through(_items(20))
    assert len(many) == 12 and many[0].date == "2025-01-09" and many[-1].date == "2025-01-20"


@pytest.mark.parametrize("n", [1, 2, 12, 20])
def test_the_block_is_valid_xychart_beta_with_one_value_per_meeting(n: int) -> None:
    counts = follow_through(_items(n))
    block = xychart(counts)
    assert block.startswith("```mermaid\n") and block.endswith("\n```")
    chart = parse(block.removeprefix("```mermaid\n").removesuffix("\n```"))
    assert chart.x_labels == [c.date for c in counts]
    assert chart.bars == [[float(c.done + c.open) for c in counts], [float(c.done) for c in counts]]
    assert chart.y_range is not None and chart.y_range[0] == 0 and chart.y_range[1] >= max(max(b) for b in chart.bars)
    assert chart.y_range[1] >= 1  # mermaid draws nothing sensible on a 0 --> 0 axis


def test_the_checker_refuses_what_mermaid_refuses() -> None:
    good = 'xychart-beta\n    x-axis ["a", "b"]\n    bar [1, 2]'
    parse(good)
    for bad in (
        'xychart-beta\n    x-axis ["a", "b"]\n    bar [1, two]',  # words in data
        'xychart-beta\n    x-axis ["a", "b\n    bar [1, 2]',  # unclosed string
        'xychart-beta\n    x-axis [line one, b]\n    bar [1, 2]',  # a keyword as a label
        'xychart-beta\n    y-axis "n" 0 -> 5',  # not an arrow
        'graph TD\n    a --> b',
    ):
        with pytest.raises(GrammarError):
            parse(bad)


def test_no_chart_without_dated_meetings() -> None:
    assert xychart([]) == ""
    body = render([DashItem(1, "t", "u/1", meeting_date=None, created_at="2026-02-01T00:00:00Z")], NOW)
    assert "```mermaid" not in body


def _dash(closed_late: bool) -> list[DashItem]:
    items = [
        DashItem(1, "a", "u/1", ("carol",), "2026-02-05", "2026-02-05"),
        DashItem(2, "b", "u/2", ("carol",), "2026-02-05", "2026-02-05", state="closed",
                 closed_at="2025-12-01T00:00:00Z", state_reason="completed"),
        DashItem(3, "c", "u/3", (), "2026-02-19", "2026-02-19"),
    ]  # fmt: skip
    if closed_late:
        items[2] = DashItem(3, "c", "u/3", (), "2026-02-19", "2026-02-19", state="closed",
                            closed_at="2026-02-27T00:00:00Z", state_reason="completed")  # fmt: skip
    return items


def test_the_dashboard_starts_with_the_chart_and_changes_only_with_the_counts() -> None:
    body = render(_dash(False), NOW)
    first = body.split("\n")[1]
    assert first == "```mermaid"
    block = body.split("```mermaid\n", 1)[1].split("\n```", 1)[0]
    chart = parse(block)
    # an item closed long ago still counts as done at its meeting (the table only shows 30 days)
    assert chart.x_labels == ["2026-02-05", "2026-02-19"] and chart.bars == [[2.0, 1.0], [1.0, 0.0]]
    assert render(_dash(False), NOW) == body
    assert render(_dash(True), NOW) != body
    assert re.search(r"bar \[2, 1\]\n    bar \[1, 1\]", render(_dash(True), NOW))


_MERMAID_CHECK = """
import { JSDOM } from 'jsdom';
const dom = new JSDOM('<!doctype html><body></body>');
globalThis.window = dom.window; globalThis.document = dom.window.document;
const { default: mermaid } = await import('mermaid');
const fs = await import('fs');
const out = [];
for (const block of JSON.parse(fs.readFileSync(0, 'utf8'))) {
  try { await mermaid.parse(block); out.push('ok'); } catch (e) { out.push(String(e.message).split('\\n')[0]); }
}
console.log(JSON.stringify(out));
"""


def test_mermaid_itself_agrees() -> None:
    """With mermaid installed (`npm install mermaid jsdom` in a folder named by ACTIONBOT_MERMAID_DIR),
    mermaid's own parser accepts our blocks and refuses what the checker refuses."""
    folder = os.environ.get("ACTIONBOT_MERMAID_DIR", "")
    node = shutil.which("node")
    if not folder or not node or not os.path.isdir(os.path.join(folder, "node_modules", "mermaid")):
        pytest.skip("mermaid is not installed: set ACTIONBOT_MERMAID_DIR to a folder with `npm install mermaid jsdom`")
    ours = [xychart(follow_through(_items(n))).removeprefix("```mermaid\n").removesuffix("\n```") for n in (1, 12, 20)]
    bad = ['xychart-beta\n    x-axis ["a", "b"]\n    bar [1, two]', 'xychart-beta\n    x-axis [line one, b]\n    bar [1, 2]']
    done = subprocess.run(
        [node, "--input-type=module", "-e", _MERMAID_CHECK], input=json.dumps(ours + bad), cwd=folder,
        capture_output=True, text=True, timeout=120, check=True,
    )
    answers = json.loads(done.stdout.strip().splitlines()[-1])
    assert answers[: len(ours)] == ["ok"] * len(ours)
    assert all(a.startswith("Parse error") for a in answers[len(ours) :])
