"""The check run's text (pure): counts, links, problems with file:line, preview wording."""

from __future__ import annotations

from actionbot.core.checkrun import PREVIEW_ID, SYNC_ID, Entry, summarise
from actionbot.notes.model import Problem

URL = "https://github.com/o/r/issues/"


def test_sync_summary_lists_every_group_with_links() -> None:
    out = summarise([
        Entry("opened", "Write the report", 3, URL + "3"),
        Entry("updated", "Fix typo", 1, URL + "1", "title, body"),
        Entry("carried_over", "Old item", 2, URL + "2"),
        Entry("closed", "Done thing", 4, URL + "4", "done in the notes"),
        Entry("unchanged", "Quiet", 5, URL + "5"),
    ])
    assert out.conclusion == "success" and out.external_id == SYNC_ID
    assert out.title == "1 opened, 1 updated, 1 carried over, 1 closed, 1 unchanged"
    assert "### Opened (1)\n- [#3](https://github.com/o/r/issues/3) Write the report" in out.summary
    assert "- [#1](https://github.com/o/r/issues/1) Fix typo (title, body)" in out.summary
    assert "### Unchanged (1)" in out.summary


def test_problems_are_shown_with_file_and_line_and_as_annotations() -> None:
    out = summarise([Entry("opened", "x", 1, URL + "1")], [Problem("docs/m.md", 7, "an owner in parentheses is unclear")])
    assert out.conclusion == "neutral"
    assert "`docs/m.md:7`: an owner in parentheses is unclear" in out.summary
    assert out.annotations[0] == {
        "path": "docs/m.md", "start_line": 7, "end_line": 7, "annotation_level": "warning",
        "message": "an owner in parentheses is unclear",
    }
    assert "(1 problem in the notes)" in out.title


def test_config_error_fails_with_the_line_and_the_fix() -> None:
    err = Problem(".github/actionbot.yml", 3, "unknown key `notse` (did you mean `notes`?)")
    out = summarise([], config_error=err)
    assert out.conclusion == "failure"
    assert out.title == "Invalid configuration: `.github/actionbot.yml:3`"
    assert "did you mean `notes`" in out.summary and "does not fall back" in out.summary
    assert out.annotations[0]["annotation_level"] == "failure" and out.annotations[0]["start_line"] == 3


def test_preview_says_what_merging_will_do() -> None:
    out = summarise([Entry("opened", "New", None), Entry("closed", "Old", 2, URL + "2")], preview=True)
    assert out.external_id == PREVIEW_ID
    assert out.title == "Merging will open 1, close 1"
    assert "Nothing was written" in out.summary and "### Will open (1)\n- New" in out.summary


def test_failures_fail_the_check_and_mentions_are_never_written() -> None:
    out = summarise([Entry("failed", "Ask @minrk", None, None, "GitHub answered 502")])
    assert out.conclusion == "failure"
    assert "@minrk" not in out.summary and "@\u200bminrk" in out.summary


def test_same_as_compares_with_an_existing_check_run() -> None:
    out = summarise([Entry("opened", "x", 1, URL + "1")])
    existing = {"conclusion": "success", "external_id": SYNC_ID, "output": out.output()}
    assert out.same_as(existing)
    assert not out.same_as({**existing, "conclusion": "failure"})
    assert not out.same_as({**existing, "external_id": PREVIEW_ID})


def test_nothing_found() -> None:
    out = summarise([])
    assert out.title == "No action items to sync" and out.conclusion == "success"
