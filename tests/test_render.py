"""Bodies with the bot's own block and hidden marker, comments: pure rendering."""

from __future__ import annotations

import json

import pytest

from actionbot.core import render
from actionbot.core.commands import COMMANDS, issue_help, parse_commands
from actionbot.core.desired import DesiredIssue, NotesContext, Owner, SubItem, Task
from actionbot.core.render import (
    BEGIN,
    END,
    Marker,
    fill_issue_numbers,
    neutralise_mentions,
    parse_marker,
    render_block,
    replace_block,
    same_body,
    with_marker,
)
from actionbot.core.titles import issue_title

CTX = NotesContext("org/notes", "https://github.com/org/notes", "0123abc", "docs/meetings/2018-01-04.md")


def desired(text: str = "Write the release notes", **kw: object) -> DesiredIssue:
    base: dict[str, object] = dict(
        key="k1", context=CTX, line=12, meeting_date="2018-01-04", meeting_title="January 2018",
        meeting_line=1, text=text, title=issue_title(text),
    )  # fmt: skip
    base.update(kw)
    return DesiredIssue(**base)  # type: ignore[arg-type]


def marker(**kw: object) -> Marker:
    base: dict[str, object] = dict(key="k1", repo="org/notes", path=CTX.path, meeting="2018-01-04")
    base.update(kw)
    return Marker(**base)  # type: ignore[arg-type]


# ---------------------------------------------------------------- marker


def test_marker_round_trips_even_with_comment_breaking_values() -> None:
    m = marker(
        path="notes/a-->b.md",
        text="ends the comment --> early?",
        meetings=("2018-01-04", "2018-02-01"),
        owners=("alice",),
        mentioned=("alice",),
        links_added=("org/x#1",),
        links_removed=("org/y#2",),
        extra={"future": [1, 2]},
    )
    comment = render.marker_comment(m)
    assert comment.count("-->") == 1 and comment.endswith("-->")
    body = f"text before\n{comment}\ntext after"
    assert parse_marker(body) == m


@pytest.mark.parametrize(
    "body",
    [None, "", "no marker", "<!-- actionbot:marker {not json} -->", '<!-- actionbot:marker {"key": ""} -->', '<!-- actionbot:marker {"nokey": 1} -->'],
)
def test_parse_marker_returns_none_when_absent_or_damaged(body: str | None) -> None:
    assert parse_marker(body) is None


def test_with_marker_replaces_or_inserts() -> None:
    old = marker(links_added=())
    new = marker(links_added=("org/x#5",))
    body = f"{BEGIN}\n{render.marker_comment(old)}\nstuff\n{END}\nhuman"
    out = with_marker(body, new)
    assert parse_marker(out) == new and out.count("actionbot:marker") == 1 and out.endswith("human")
    inserted = with_marker(f"{BEGIN}\nstuff\n{END}", new)
    assert inserted.startswith(f"{BEGIN}\n<!-- actionbot:marker") and parse_marker(inserted) == new
    assert parse_marker(with_marker("plain issue", new)) == new


def test_marker_json_is_plain_json() -> None:
    payload = render.marker_comment(marker())[len(render.MARKER_PREFIX) : -len(" -->")]
    data = json.loads(payload)
    assert data["v"] == 1 and data["key"] == "k1" and data["repo"] == "org/notes" and data["meeting"] == "2018-01-04"


# ---------------------------------------------------------------- block and body


def test_replace_block_keeps_human_text_outside() -> None:
    body = f"Human intro\n\n{BEGIN}\nold\n{END}\n\nHuman notes below"
    out = replace_block(body, f"{BEGIN}\nnew\n{END}")
    assert out == f"Human intro\n\n{BEGIN}\nnew\n{END}\n\nHuman notes below"


def test_replace_block_on_a_body_without_block_puts_it_on_top() -> None:
    stray = render.marker_comment(marker(key="other"))
    out = replace_block(f"hand written\n{stray}", f"{BEGIN}\nnew\n{END}")
    assert out.startswith(BEGIN) and out.endswith("hand written") and "other" not in out


def test_same_body_ignores_line_endings_and_trailing_space() -> None:
    assert same_body("a  \r\nb\n", "a\nb")
    assert not same_body("a\nb", "a\nc")


def test_block_has_item_permalink_meeting_and_commands() -> None:
    block = render_block(desired(), marker(), tracking_repo="org/notes", commands_help=issue_help())
    assert block.startswith(BEGIN) and block.endswith(END)
    assert parse_marker(block) == marker()
    assert "> Write the release notes" in block
    assert "https://github.com/org/notes/blob/0123abc/docs/meetings/2018-01-04.md#L12" in block
    assert "2018-01-04 · January 2018" in block
    assert "<details><summary>Commands</summary>" in block
    for cmd in ("help", "done", "drop", "reopen", "assign", "unassign", "link", "unlink", "sync", "status"):
        assert f"`@actionbot {cmd}" in block


def test_command_list_in_bodies_is_generated_from_the_one_table() -> None:
    block = render_block(desired(), marker(), tracking_repo="org/notes", commands_help=issue_help())
    details = block[block.index("<details>") : block.index("</details>")]
    for spec in COMMANDS:  # dashboard and track included: the body can not drift from the handler
        assert f"`@actionbot {spec.name}" in details and spec.summary in details
    assert parse_commands(details) == []  # every command shown is inline code: the body never triggers
    assert render_block(desired(), marker(), tracking_repo="org/notes", commands_help=issue_help()) == block  # deterministic


def test_owners_mapped_unmapped_tentative_and_unassignable() -> None:
    d = desired(
        owners=(
            Owner("Alice", "alice"),
            Owner("Tiago", None),
            Owner("Lucie", "lucie", tentative=True),
            Owner("Outsider", "outsider"),
        )
    )
    block = render_block(
        d, marker(mentioned=("alice", "lucie", "outsider")), tracking_repo="org/notes", assignable=["alice", "lucie"]
    )
    owners = next(line for line in block.split("\n") if line.startswith("**Owners:**"))
    assert "@alice" in owners and "`@alice`" not in owners
    assert "Tiago (no GitHub login known: add `Tiago: <login>` under `people:`" in owners
    assert "@lucie (tentative: not assigned)" in owners
    assert "@outsider (can not be assigned in this repository)" in owners


def test_only_logins_in_marker_mentioned_are_mentioned() -> None:
    d = desired(owners=(Owner("Alice", "alice"), Owner("Bob", "bob")))
    block = render_block(d, marker(mentioned=("alice",)), tracking_repo="org/notes")
    assert "@alice" in block.replace("`@alice`", "")
    assert "`@bob`" in block and "@bob" not in block.replace("`@bob`", "")


def test_handles_in_notes_text_are_neutralised() -> None:
    d = desired("Ask @olan and @example-org/team, mail a@b.org")
    block = render_block(d, marker(), tracking_repo="org/notes")
    assert "`@olan`" in block and "`@example-org/team`" in block
    assert "a@b.org" in block and "`@b.org`" not in block
    assert neutralise_mentions("`@x` stays") == "`@x` stays"


def test_a_handle_inside_a_code_span_stays_inside_it() -> None:
    # Wrapping `@bob` again would close the span before it and leave @bob outside: a mention.
    assert neutralise_mentions("run `a @bob c` then ask @ana") == "run `a @bob c` then ask `@ana`"
    assert neutralise_mentions("``x @bob ` y`` and @cy") == "``x @bob ` y`` and `@cy`"
    # An unclosed backtick would pair with a new span's: the handle gets a zero-width space instead.
    assert neutralise_mentions("a ` then @dee") == "a ` then @\u200bdee"


def test_item_text_can_not_break_out_of_the_block() -> None:
    d = desired("sneaky <!-- actionbot:end --> <script>")
    block = render_block(d, marker(), tracking_repo="org/notes")
    assert block.count(END) == 1 and "<script>" not in block


def test_bare_issue_numbers_are_qualified_when_issues_live_elsewhere() -> None:
    d = desired("Review #136 and org/other#3")
    assert "org/notes#136" in render_block(d, marker(), tracking_repo="org/tracker")
    same = render_block(d, marker(), tracking_repo="org/notes")
    assert "Review #136" in same


def test_references_with_state_links_added_and_removed() -> None:
    d = desired(refs=("org/a#1", "org/b#2", "org/c#3"))
    m = marker(links_added=("org/d#4",), links_removed=("org/b#2",))
    block = render_block(d, m, tracking_repo="org/notes", ref_states={"org/a#1": "merged", "org/d#4": "closed"})
    assert "- org/a#1 (merged)" in block
    assert "org/b#2" not in block.split("\n", 2)[2]  # unlinked (only the marker remembers it)
    assert "- org/c#3 (state unknown)" in block
    assert "- org/d#4 (closed)" in block


def test_tasks_and_sub_item_links() -> None:
    d = desired(
        tasks=(Task("Mailing list", False), Task("Domain registrar", True), Task("token", False, depth=1)),
        sub_items=(
            SubItem("aa11", "Gallery redesign", (Owner("Ravi", "ravi-k"),), False),
            SubItem("bb22", "Talk proposals", (Owner("Bruno", "bruno-dev"), Owner("Lucie", None, True)), True),
        ),
    )
    block = render_block(d, marker(), tracking_repo="org/notes", sub_issue_numbers={"aa11": 7})
    assert "- [ ] Mailing list" in block and "- [x] Domain registrar" in block and "  - [ ] token" in block
    assert "- [ ] #7 Gallery redesign (Ravi)" in block
    assert "<!-- actionbot:issue bb22 --> Talk proposals (Bruno, Lucie?)" in block
    assert render.placeholder_keys(block) == ("bb22",)
    filled = fill_issue_numbers(block, {"bb22": 9})
    assert "- [x] #9 Talk proposals (Bruno, Lucie?)" in filled and not render.placeholder_keys(filled)


def test_comments_carry_a_hidden_tag_and_say_what_happened() -> None:
    d = desired(meeting_date="2018-02-01", meeting_title="February")
    carried = render.carried_over_comment(d, "k1")
    assert "<!-- actionbot:comment carried-over k1 2018-02-01 -->" in carried and "2018-02-01 (February)" in carried
    assert "no longer in the notes" in render.removed_comment("k1", "a.md", closing=False)
    assert "not planned" in render.removed_comment("k1", "a.md", closing=True)
    assert "Closing as completed" in render.done_comment(d, "k1")
    assert "Duplicate of #3" in render.duplicate_comment("k1", 3)
