"""Any notes, random or hostile, parse and plan within a per-example deadline.

Examples are kept small (at most ~50 KB): a quadratic rule already costs
seconds there, a linear one milliseconds, so the deadline is generous and the
suite stays fast. The hostile units are the shapes that once made a regex
backtrack or a loop compare all pairs.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actionbot.core.config import DEFAULT_CONFIG
from actionbot.core.desired import NotesContext, desired_issues, scope_of
from actionbot.core.operations import CreateIssue
from actionbot.core.plan import plan
from actionbot.notes.parse import parse_notes

HEAD = "# Team meeting, 2025-05-12\n\n## Next actions\n\n"
UNITS = [
    "Ana, ", " ", "\t", "~~a", "~~", "#1 ", "o/r#2 ", "www.", "[name=", "[name=Ana] ", "[a](", "[", "*a_", "**DONE",
    "(", "(a, ", "a/b/", "`", "@a @b ", "- ", "1. ", ">", "<!--", "\n", "-\n", "*\n", "a\u0301", "Ana and ",
    "(Ana) ", ": ", " - ", "Date: ", "May 1, 2025 ", "TODO: ", "need Ana to ", "https://github.com/o/r/issues/3 ",
]
LINES = [
    "## Next actions\n", "# Meeting 2025-06-01\n", "- Fix the build (Ana)\n", "- [x] Ship it\n", "  - Ana will do it\n",
    "* Action Items:\n", "Name / @handle / Org\n", "---\ntitle: x\n---\n", "\n",
]

MAX_ITEM = 50_000  # characters: a quadratic rule costs seconds here, a linear one milliseconds
hostile_item = st.sampled_from(UNITS).flatmap(
    lambda unit: st.builds(
        lambda n, tail: HEAD + "- " + unit * n + tail,
        st.integers(1, min(8_000, MAX_ITEM // len(unit))), st.sampled_from(["", "will fix it", "x", "~~", ")"]),
    )
)
hostile_lines = st.lists(
    st.builds(lambda line, n: line * n, st.sampled_from(LINES + UNITS), st.integers(1, 400)), max_size=12
).map(lambda parts: HEAD + "".join(parts))
random_text = st.text(max_size=2000)


@settings(max_examples=60, deadline=timedelta(seconds=5), suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(hostile_item, hostile_lines, random_text))
def test_any_notes_parse_and_plan_within_the_deadline(text: str) -> None:
    notes = parse_notes(text, path="docs/meetings/n.md", repo="o/r")
    context = NotesContext("o/r", "https://github.com/o/r", "c1", "docs/meetings/n.md")
    desired = desired_issues(notes, DEFAULT_CONFIG, context)
    result = plan(desired, [], DEFAULT_CONFIG, tracking_repo="o/r", scope=scope_of(notes, DEFAULT_CONFIG))
    creates = [op for op in (*result.ops, *result.deferred) if isinstance(op, CreateIssue)]
    keys = [c.key for c in creates]
    assert len(keys) == len(set(keys)) and set(keys) <= {d.key for d in desired}
    assert all(c.title.strip() and "\n" not in c.title for c in creates)
