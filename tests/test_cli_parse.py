"""`actionbot parse`: JSON contract, readable text, config, and clear errors (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from actionbot.__main__ import main
from actionbot.notes.model import InputError
from actionbot.notes.parse import read_notes_file

EXAMPLE = str(Path(__file__).resolve().parent.parent / "examples" / "2025-03-06-team-meeting.md")


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(["parse", *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_json(capsys):
    code, out, _ = run(capsys, EXAMPLE, "--repo", "example-org/widgetlab", "--format", "json")
    assert code == 0
    data = json.loads(out)
    assert data["file"] == EXAMPLE
    assert {"title", "date", "line"} <= set(data["meetings"][0])
    keys = {"text", "line", "owners", "tentative_owners", "refs", "parent", "done", "opens_issue", "source",
            "section", "meeting"}
    assert all(keys <= set(it) for it in data["items"])
    assert any(it["refs"] == ["example-org/widgetlab#798"] for it in data["items"])


def test_text(capsys):
    code, out, _ = run(capsys, EXAMPLE)
    assert code == 0
    assert "V. Next actions (team)" in out
    assert "owners: Priya, Dev" in out
    assert "owners: Jonas?" in out


def test_config_adds_phrases_and_roster(tmp_path, capsys):
    notes = tmp_path / "n.md"
    notes.write_text("## Homework\n\n- chris will read chapter two\n")
    cfg = tmp_path / "actionbot.yml"
    cfg.write_text("sections:\n  - Homework\npeople:\n  chris: choldgraf\n")
    code, out, _ = run(capsys, str(notes), "--config", str(cfg), "--format", "json")
    assert code == 0
    items = json.loads(out)["items"]
    assert [(it["text"], it["owners"]) for it in items] == [("chris will read chapter two", ["chris"])]


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda d: d / "missing.md", "no such file"),
        (lambda d: d, "is a directory"),
        (lambda d: (d / "b.md").write_bytes(b"\x89PNG\x00\x00") and d / "b.md", "binary"),
        (lambda d: (d / "u.md").write_bytes(b"ok\n\xff\xfe bad") and d / "u.md", "not valid UTF-8"),
        (lambda d: (d / "big.md").write_bytes(b"x" * 1_000_001) and d / "big.md", "limit"),
    ],
)
def test_bad_input_is_one_clear_line(tmp_path, capsys, make, needle):
    path = make(tmp_path)
    code, out, err = run(capsys, str(path))
    assert code == 2 and out == ""
    assert needle in err and str(path) in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_invalid_utf8_names_the_line(tmp_path):
    p = tmp_path / "u.md"
    p.write_bytes(b"one\ntwo \xff\n")
    with pytest.raises(InputError) as exc:
        read_notes_file(str(p))
    assert exc.value.line == 2


def test_missing_config_is_a_clear_error(tmp_path, capsys):
    code, _, err = run(capsys, EXAMPLE, "--config", str(tmp_path / "nope.yml"))
    assert code == 2 and "nope.yml" in err and "Traceback" not in err
