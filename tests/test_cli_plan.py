"""`actionbot plan FILE`: offline preview of the issues a notes file would open."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from actionbot.__main__ import main

NOTES = """\
# Team meeting, March 2025

Date: March 06, 2025

## Next actions

- Write the release notes for 2.0 (Ana)
- Review the Helm chart, see jupyterhub/zero-to-jupyterhub-k8s#3012 (Ben, Chloe?)
- Find someone to run the next sprint
- [x] Book the room (Ana)
"""


@pytest.fixture
def notes_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "2025-03-06-team-meeting.md"
    path.write_text(NOTES, encoding="utf-8")
    (tmp_path / "actionbot.yml").write_text("people:\n  Ana: ana-gh\n  Chloe: chloe-gh\n", encoding="utf-8")
    return path


def test_text_shows_titles_labels_assignees_and_bodies(notes_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", notes_file.name, "--repo", "org/team", "--config", "actionbot.yml"]) == 0
    out = capsys.readouterr().out
    assert "3 issues would be opened" in out
    assert "1. Write the release notes for 2.0" in out
    assert "assignees: ana-gh" in out
    assert "labels:    action item, meeting: 2025-03-06, needs owner" in out  # the sprint item
    assert "Chloe -> chloe-gh (tentative)" in out and "Ben (not in people:)" in out
    assert "Book the room" not in out.split("\n", 1)[1].split("writes needed")[0].replace("already done", "")
    assert "https://github.com/org/team/blob/HEAD/2025-03-06-team-meeting.md#L7" in out
    assert "<!--" not in out  # hidden markers are not shown to a reader


def test_json_lists_issues_and_the_plan(notes_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(notes_file), "--config", "actionbot.yml", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    titles = [i["title"] for i in data["issues"]]
    assert titles == [
        "Write the release notes for 2.0",
        "Review the Helm chart, see jupyterhub/zero-to-jupyterhub-k8s#3012",
        "Find someone to run the next sprint",
    ]
    review = data["issues"][1]
    assert review["assignees"] == [] and "needs owner" in review["labels"]  # Ben unmapped, Chloe tentative
    assert {"name": "Chloe", "login": "chloe-gh", "tentative": True} in review["owners"]
    assert "jupyterhub/zero-to-jupyterhub-k8s#3012 (state unknown)" in review["body"]
    assert data["plan"]["writes"] == len(data["plan"]["ops"])


def test_as_a_process(notes_file: Path) -> None:
    """`python -m actionbot plan` as a process: the command's smoke test (the others call main())."""
    done = subprocess.run([sys.executable, "-m", "actionbot", "plan", notes_file.name, "--format", "json"],
                          capture_output=True, text=True, cwd=notes_file.parent)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)["issues"]) == 3


def test_without_config_nobody_is_assigned(notes_file: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", notes_file.name]) == 0
    out = capsys.readouterr().out
    assert "assignees: ana-gh" not in out and "Ana (not in people:)" in out


@pytest.mark.parametrize(
    "argv, words",
    [
        (["plan", "missing.md"], ["missing.md", "no such file"]),
        (["plan", "."], ["is a directory"]),
        (["plan", "2025-03-06-team-meeting.md", "--config", "bad.yml"], ["bad.yml:1", "did you mean `notes`"]),
        (["plan", "2025-03-06-team-meeting.md", "--config", "nope.yml"], ["nope.yml", "no such config file"]),
        (["plan", "2025-03-06-team-meeting.md", "--repo", "not a repo"], ["OWNER/NAME"]),
    ],
)
def test_errors_exit_2_with_a_message_and_no_traceback(
    notes_file: Path, capsys: pytest.CaptureFixture[str], argv: list[str], words: list[str]
) -> None:
    Path("bad.yml").write_text("note: []\n", encoding="utf-8")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    for word in words:
        assert word in err


def test_the_readme_first_command_plans_the_shipped_example(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's first command, run as written (from the checkout's root)."""
    root = Path(__file__).resolve().parent.parent
    readme = (root / "README.md").read_text()
    command = next(line for line in readme.splitlines() if "actionbot plan examples/" in line)
    args = shlex.split(command.split(".venv/bin/actionbot ", 1)[1])
    monkeypatch.chdir(root)
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "10 issues would be opened" in out
    assert "assignees: maya-k" in out  # the example roster maps Maya
    assert "Jonas (not in people:)" in out  # and leaves Jonas unmapped, as its comment says


def test_a_hostile_config_file_is_one_line_on_the_command_line(
    notes_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path("bad.yml").write_text('notes: ["a\x01"]\n', encoding="utf-8")
    assert main(["plan", notes_file.name, "--config", "bad.yml"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1
    assert "bad.yml:1:" in err and "control character" in err
