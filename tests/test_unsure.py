"""Lines the reader is unsure about are listed, never opened: parse result, `actionbot plan`, check run."""

from __future__ import annotations

from pathlib import Path

import pytest

from actionbot.__main__ import main
from actionbot.core.checkrun import summarise
from actionbot.notes.model import Unsure
from actionbot.notes.parse import notes_to_json, parse_notes

NOTES = """\
# Platform sync, 2031-02-11

## Next steps

- Rotate the deploy keys (Ines)
- The staging cluster is flaky since the upgrade
"""


def test_a_statement_in_a_section_is_reported_unsure_not_opened() -> None:
    notes = parse_notes(NOTES, path="notes/sync.md")
    by_text = {it.text: it for it in notes.items}
    assert by_text["Rotate the deploy keys (Ines)"].opens_issue
    assert not by_text["The staging cluster is flaky since the upgrade"].opens_issue
    assert notes.unsure == (
        Unsure("notes/sync.md", 6, "The staging cluster is flaky since the upgrade",
               "reads as a statement of how things are, not a task"),
    )
    assert notes_to_json(notes)["unsure"] == [
        {"line": 6, "text": "The staging cluster is flaky since the upgrade",
         "reason": "reads as a statement of how things are, not a task"}
    ]


def test_plan_and_parse_show_the_unsure_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.chdir(tmp_path)
    Path("sync.md").write_text(NOTES, encoding="utf-8")
    assert main(["plan", "sync.md", "--repo", "org/team"]) == 0
    out = capsys.readouterr().out
    assert "1 issue would be opened" in out
    assert "not opened (unsure): 1 line" in out
    assert "sync.md:6: The staging cluster is flaky since the upgrade (reads as a statement" in out
    assert main(["parse", "sync.md"]) == 0
    assert "6 ? The staging cluster is flaky since the upgrade" in capsys.readouterr().out


def test_the_check_run_lists_them_without_mentions_or_markup() -> None:
    out = summarise([], unsure=[Unsure("docs/m.md", 9, "ask @octo about [the](http://x) `thing`", "why")])
    assert "### Not opened (unsure) (1)" in out.summary
    assert "- `docs/m.md:9` `ask @octo about [the](http://x) 'thing'` (why)" in out.summary
    assert out.conclusion == "success"
    assert "Not opened" not in summarise([]).summary
