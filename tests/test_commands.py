"""The command table, the comment parser, the permission rules and the reply shape."""

from __future__ import annotations

import pytest

from actionbot.core.commands import (
    COMMANDS,
    MAX_ASSIGNEES,
    Command,
    Malformed,
    Rule,
    Unknown,
    help_text,
    malformed_text,
    may_run,
    parse_commands,
    parse_ref,
    refusal_text,
    reply,
    unknown_text,
)


def names(body: str, handle: str = "actionbot") -> list[str]:
    return [c.name for c in parse_commands(body, handle)]


# --- where commands are read ---------------------------------------------------------


def test_command_at_start_of_line_case_insensitive_in_order():
    body = "Thanks, all done.\n@ActionBot DONE\nand then\n@actionbot Status\n"
    assert parse_commands(body) == [Command("done", (), "@ActionBot DONE"), Command("status", (), "@actionbot Status")]


def test_crlf_and_leading_spaces():
    assert names("hi\r\n   @actionbot done\r\n") == ["done"]


def test_mid_line_mention_is_not_a_command():
    assert names("I think @actionbot done would work") == []


def test_quoted_lines_never_trigger():
    assert names("> @actionbot done\n\n> > @actionbot drop\n") == []


def test_fenced_and_indented_code_never_trigger():
    body = "```\n@actionbot done\n```\n\n~~~md\n@actionbot drop\n~~~\n\n    @actionbot reopen\n"
    assert names(body) == []


def test_inline_code_never_triggers():
    assert names("`@actionbot done`") == []
    assert names("@actionbot `done`") == []
    assert names("see `foo\n@actionbot done` here") == []


def test_html_comments_never_trigger():
    assert names("<!-- @actionbot done -->") == []
    assert names("<!--\n@actionbot done\n-->") == []
    assert names("text <!--\n@actionbot drop\n--> after") == []


def test_list_item_bullet_line_is_not_start_of_line_but_continuations_are():
    assert names("- @actionbot done") == []
    assert names("- item\n\n  @actionbot sync\n") == ["sync"]


def test_heading_does_not_trigger():
    assert names("# @actionbot done") == []


def test_other_handles_and_longer_names_are_ignored():
    assert names("@actionbotx done\n@someone done") == []
    assert names("@meeseeks done", handle="meeseeks") == ["done"]
    assert names("@actionbot[bot] done\n@actionbot: drop") == ["done", "drop"]


def test_emphasis_around_the_command_still_reads():
    assert names("@actionbot **done**") == ["done"]


def test_unknown_command_carries_its_name():
    assert parse_commands("@actionbot frobnicate now") == [Unknown("frobnicate", "@actionbot frobnicate now")]
    assert parse_commands("@actionbot") == [Unknown("", "@actionbot")]


def test_trailing_prose_after_a_command_without_arguments_is_ignored():
    assert parse_commands("@actionbot done, thanks!")[0] == Command("done", (), "@actionbot done, thanks!")


# --- arguments --------------------------------------------------------------------


def test_assign_users_and_me():
    (cmd,) = parse_commands("@actionbot assign @alice, @Bob and me")
    assert cmd == Command("assign", ("alice", "Bob", "me"), "@actionbot assign @alice, @Bob and me")
    assert cmd.logins("carol") == ("alice", "Bob", "carol")
    (me,) = parse_commands("@actionbot unassign me")
    assert me.args == ("me",) and me.logins("carol") == ("carol",)


def test_assign_deduplicates_case_insensitively():
    (cmd,) = parse_commands("@actionbot assign @alice @ALICE alice")
    assert cmd.args == ("alice",)


def test_assign_without_users_or_with_bad_login_is_malformed():
    (m,) = parse_commands("@actionbot assign")
    assert isinstance(m, Malformed) and "at least one" in m.reason
    (bad,) = parse_commands("@actionbot assign @bad_login!")
    assert isinstance(bad, Malformed) and "`@bad_login!`" in bad.reason


def test_assign_more_than_ten_is_malformed():
    users = " ".join(f"@u{i}" for i in range(MAX_ASSIGNEES + 1))
    (m,) = parse_commands(f"@actionbot assign {users}")
    assert isinstance(m, Malformed) and "at most 10" in m.reason


@pytest.mark.parametrize(
    ("text", "ref"),
    [
        ("example-org/widgetlab#379", "example-org/widgetlab#379"),
        ("https://github.com/example-org/widgetlab/pull/384", "example-org/widgetlab#384"),
        ("https://github.com/example-org/widgetlab/issues/379#issuecomment-12", "example-org/widgetlab#379"),
        ("https://ghe.example/api/v3/repos/o/r/issues/5", "o/r#5"),
        ("<https://github.com/o/r.js/pull/7>", "o/r.js#7"),
        ("#136", "#136"),
        ("widgetlab#1", None),
        ("o/r#0", None),
        ("https://github.com/o/r/commit/abc", None),
    ],
)
def test_parse_ref(text, ref):
    assert parse_ref(text) == ref


def test_link_and_unlink_refs_resolve_short_form_in_this_repo():
    (cmd,) = parse_commands("@actionbot link o/r#3 https://github.com/o/r/pull/3 #5")
    assert cmd.args == ("o/r#3", "#5")
    assert cmd.refs("team/compass") == ("o/r#3", "team/compass#5")
    (un,) = parse_commands("@actionbot unlink o/r#3")
    assert un == Command("unlink", ("o/r#3",), "@actionbot unlink o/r#3")


def test_link_without_or_with_bad_ref_is_malformed():
    assert isinstance(parse_commands("@actionbot link")[0], Malformed)
    (bad,) = parse_commands("@actionbot link the PR")
    assert isinstance(bad, Malformed) and "`the`" in bad.reason


def test_several_commands_in_one_comment_in_order():
    body = "@actionbot assign me\n@actionbot link o/r#1\n@actionbot nope\n@actionbot done"
    assert names(body) == ["assign", "link", "nope", "done"]


# --- the table and permissions ----------------------------------------------------------


def test_table_has_every_command_of_the_issue():
    assert [s.name for s in COMMANDS] == [
        "help", "status", "done", "drop", "reopen", "assign", "unassign", "link", "unlink", "sync",
        "dashboard", "agenda", "track",
    ]  # fmt: skip


PERMISSIONS = ["admin", "maintain", "write", "triage", "read", "none"]


@pytest.mark.parametrize("spec", COMMANDS, ids=lambda s: s.name)
@pytest.mark.parametrize("permission", PERMISSIONS)
@pytest.mark.parametrize("is_owner", [False, True])
def test_every_rule(spec, permission, is_owner):
    args = ("someone",) if spec.takes == "users" else ("o/r#1",) if spec.takes == "refs" else ()
    decision = may_run(Command(spec.name, args, ""), permission=permission, is_owner=is_owner, sender="me-user")
    privileged = permission in ("admin", "maintain", "write", "triage")
    expected = {
        Rule.ANYONE: True,
        Rule.OWNERS_OR_TRIAGE: privileged or is_owner,
        Rule.TRIAGE: privileged,
    }[spec.rule]
    assert decision.allowed is expected
    if not expected:
        assert "write or triage access" in decision.missing_permission_text


def test_assign_me_is_for_anyone_but_not_others():
    me = Command("assign", ("me",), "")
    assert may_run(me, permission="read", is_owner=False, sender="carol").allowed
    own = Command("unassign", ("Carol",), "")
    assert may_run(own, permission="none", is_owner=False, sender="carol").allowed
    other = Command("assign", ("me", "alice"), "")
    refused = may_run(other, permission="read", is_owner=True, sender="carol")
    assert not refused.allowed and "`assign me`" in refused.missing_permission_text


def test_track_needs_triage_even_for_owners():
    decision = may_run(Command("track", (), ""), permission="read", is_owner=True)
    assert not decision.allowed and decision.missing_permission_text == "write or triage access to this repository"


# --- what is said ------------------------------------------------------------------------


def test_help_lists_every_command_and_who_may():
    text = help_text("mybot")
    for spec in COMMANDS:
        assert f"`@mybot {spec.name}" in text
    assert "| anyone |" in text
    assert "write/triage access; anyone for `me`" in text
    assert "owners of the item, or write/triage access" in text
    # Help never triggers the bot: every command in it is inside inline code.
    assert parse_commands(text, "mybot") == []


def test_reply_quotes_the_command_names_who_and_never_triggers_or_mentions():
    text = reply("carol", "@actionbot assign @alice", "done.")
    assert text.startswith("> `@actionbot assign @alice`")
    assert "@carol: done." in text
    assert parse_commands(text) == []
    assert "@alice" not in text.replace("`@actionbot assign @alice`", "")


def test_reply_survives_backticks_in_the_quote():
    text = reply("carol", "@actionbot link `x`", "no")
    assert text.startswith("> `` @actionbot link `x` ``")


def test_refusal_names_the_missing_permission_and_what_works():
    cmd = Command("assign", ("alice",), "@actionbot assign @alice")
    decision = may_run(cmd, permission="read", is_owner=False, sender="carol")
    text = refusal_text(cmd, decision)
    assert "write or triage access" in text and "`@actionbot assign me`" in text


def test_unknown_reply_names_the_command_and_lists_the_real_ones():
    text = unknown_text(Unknown("frobnicate", "@actionbot frobnicate"))
    assert "`frobnicate`" in text and "`help`" in text and "`done`" in text


def test_malformed_reply_gives_the_syntax():
    (m,) = parse_commands("@actionbot link soon")
    text = malformed_text(m)
    assert "`@actionbot link owner/repo#N ...`" in text


def test_readme_command_table_is_the_generated_one():
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Commands", 1)[1]
    for line in help_text().splitlines()[2:]:
        assert line in section, f"README.md's command table is out of date; regenerate it from help_text(): {line}"


@pytest.mark.parametrize(
    "body",
    [
        "\\@actionbot drop",  # escaped on purpose
        "&#64;actionbot drop",  # an entity
        "| item | note |\n|---|---|\n| @actionbot drop | x |",  # a table cell
        "@actionbot drop | x\n--- | ---\na | b",  # a table's header row
        "<details>\n\n@actionbot drop\n\n</details>",  # folded away
        "<details><summary>more</summary>\n\n@actionbot drop\n</details>",
        "Logs: <details>\n@actionbot drop\n</details>",  # opened inside a paragraph: folds the rest of it
        "- see <details><summary>x</summary>\n  @actionbot drop",
        "[@actionbot drop](https://example.com)",  # link text
        "*@actionbot drop*",
        "**@actionbot drop**",
        "~~@actionbot drop~~",
    ],
)
def test_commands_only_where_github_shows_them_as_text(body):
    assert parse_commands(body) == []


def test_text_after_details_reads_again():
    assert names("<details>\n\n@actionbot drop\n\n</details>\n\n@actionbot done") == ["done"]
    assert names("Logs: <details>\n@actionbot drop\n</details>\n\n@actionbot done") == ["done"]
    assert names("<details>\n\nlong text </details> ends here\n\n@actionbot done") == ["done"]
