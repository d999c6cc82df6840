"""The review list (pure): grouping by owner, order, ages, reference states, what closed since; markdown and JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from actionbot.core import agenda
from actionbot.core.refstate import body_with_refs
from actionbot.core.render import BEGIN, END, Marker, marker_comment

REPO = "octo-org/notes"
NOW = datetime(2025, 6, 2, 9, 0, tzinfo=UTC)


def issue(
    number: int, title: str, meeting: str | None, *, owners: tuple[str, ...] = (), assignees: tuple[str, ...] = (),
    refs: dict[str, str | None] | None = None, state: str = "open", reason: str | None = None,
    closed_at: str | None = None, meetings: tuple[str, ...] = (), notes_repo: str = REPO,
) -> dict[str, Any]:
    marker = Marker(key=f"k{number}", repo=notes_repo, path="docs/meetings/x.md", meeting=meeting,
                    meetings=meetings or ((meeting,) if meeting else ()), owners=owners)  # fmt: skip
    body = f"{BEGIN}\n{marker_comment(marker)}\n> {title}\n{END}"
    if refs:
        body = body_with_refs(body, refs)
    return {
        "number": number, "title": title, "body": body, "state": state, "state_reason": reason,
        "closed_at": closed_at, "html_url": f"https://github.com/{REPO}/issues/{number}",
        "assignees": [{"login": a} for a in assignees], "labels": [{"name": "action item"}],
        "created_at": "2025-01-01T00:00:00Z",
    }  # fmt: skip


def listing() -> list[dict[str, Any]]:
    return [
        issue(12, "Draft the 3.0 roadmap post", "2025-05-12", assignees=("ana-dev",),
              refs={f"{REPO}#42": "merged"}),
        issue(15, "Ask @someone about the budget", "2025-05-26", owners=("bo",)),  # not assigned: the notes' owner
        issue(9, "Update the governance doc", "2025-03-03", assignees=("bo", "ana-dev"),
              refs={"other/repo#5": "open", f"{REPO}#7": None}),
        issue(20, "Find a venue", "2025-05-26"),
        issue(3, "Not ours", None) | {"body": "a human issue"},
        issue(11, "Write the release notes", "2025-05-12", assignees=("ana-dev",), state="closed",
              reason="completed", closed_at="2025-05-30T10:00:00Z"),
        issue(13, "Move the CI", "2025-05-12", state="closed", reason="not_planned", closed_at="2025-05-28T10:00:00Z"),
        issue(8, "Closed before the last meeting", "2025-05-12", state="closed", reason="completed",
              closed_at="2025-05-20T10:00:00Z"),
    ]  # fmt: skip


def test_grouped_by_owner_login_needs_owner_last_oldest_meeting_first() -> None:
    a = agenda.build(REPO, listing(), NOW, closed_by={11: "ana-dev"})
    assert [(owner, [i.number for i in items]) for owner, items in a.groups] == [
        ("ana-dev", [9, 12]),  # 2025-03-03 before 2025-05-12
        ("bo", [9, 15]),
        (agenda.NEEDS_OWNER, [20]),
    ]
    assert a.open_count == 4 and a.last_meeting == "2025-05-26"


def test_lines_carry_number_meeting_age_and_reference_states() -> None:
    text = agenda.markdown(agenda.build(REPO, listing(), NOW, closed_by={11: "ana-dev"}))
    assert "- [ ] Draft the 3.0 roadmap post (@ana-dev) #12 · 2025-05-12 · 3 weeks · refs: #42 merged" in text
    assert (
        "- [ ] Update the governance doc (@bo, @ana-dev) #9 · 2025-03-03 · 3 months · "
        "refs: other/repo#5 open, #7 state unknown"
    ) in text
    assert "- [ ] Find a venue #20 · 2025-05-26 · 7 days" in text
    # a mention copied into a title never notifies
    assert "Ask `@someone` about the budget (@bo) #15" in text
    headings = [ln for ln in text.splitlines() if ln.startswith("#")]
    assert headings == [
        "## Open action items (4)", "### ana-dev (2)", "### bo (2)", "### Needs an owner (1)",
        "## Closed since the last meeting (2025-05-26) (2)",
    ]  # fmt: skip


def test_closed_since_the_last_meeting_with_who_closed_them() -> None:
    text = agenda.markdown(agenda.build(REPO, listing(), NOW, closed_by={11: "ana-dev"}))
    closed = text.split("## Closed since the last meeting")[1]
    assert "- ~~Move the CI~~ #13 · dropped 2025-05-28" in closed
    assert "- [x] Write the release notes #11 · done 2025-05-30 by ana-dev" in closed
    assert closed.index("#13") < closed.index("#11")  # in the order they closed
    assert "#8" not in closed  # closed before the last meeting
    assert "@ana-dev" not in closed  # the closer is named, not notified


def test_since_overrides_the_last_meeting() -> None:
    a = agenda.build(REPO, listing(), NOW, since="2025-05-15")
    assert [i.number for i in a.closed] == [8, 13, 11] and a.last_meeting == "2025-05-15"


def test_comment_form_puts_owners_in_code_spans() -> None:
    text = agenda.markdown(agenda.build(REPO, listing(), NOW), mentions=False)
    assert "(`@ana-dev`) #12" in text and "(@ana-dev)" not in text


def test_items_of_other_notes_repositories_name_their_issue_in_full() -> None:
    other = issue(30, "Cross-repo item", "2025-05-26", notes_repo="octo-org/meetings", refs={f"{REPO}#1": "open"})
    line = agenda.open_line(agenda.agenda_item(other, NOW), REPO)  # type: ignore[arg-type]
    assert line == f"- [ ] Cross-repo item {REPO}#30 · 2025-05-26 · 7 days · refs: {REPO}#1 open"


def test_json_has_the_same_data() -> None:
    data = agenda.to_json(agenda.build(REPO, listing(), NOW, closed_by={11: "ana-dev"}))
    assert data["last_meeting"] == "2025-05-26" and data["today"] == "2025-06-02"
    assert [g["owner"] for g in data["open"]] == ["ana-dev", "bo", None]
    first = data["open"][0]["items"][1]
    assert first == {
        "number": 12, "title": "Draft the 3.0 roadmap post", "url": f"https://github.com/{REPO}/issues/12",
        "owners": ["ana-dev"], "meeting": "2025-05-12", "meetings": ["2025-05-12"], "age_days": 21, "age": "3 weeks",
        "refs": [{"ref": f"{REPO}#42", "state": "merged"}], "state": "open", "state_reason": None,
        "closed_at": None, "closed_by": None,
        "line": "- [ ] Draft the 3.0 roadmap post (@ana-dev) #12 · 2025-05-12 · 3 weeks · refs: #42 merged",
    }  # fmt: skip
    assert [(c["number"], c["closed_by"]) for c in data["closed_since_last_meeting"]] == [(13, None), (11, "ana-dev")]


def test_empty_repository() -> None:
    text = agenda.markdown(agenda.build(REPO, [], NOW))
    assert "No open action items." in text and "## Closed since the last meeting (0)" in text and "None." in text
