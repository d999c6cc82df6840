"""Reading the notes at a commit: the pure parts (the reads themselves run in tests/test_sync.py over the fake GitHub)."""

from __future__ import annotations

from actionbot.engine.read import meeting_texts
from actionbot.notes.parse import parse_notes


def test_meeting_texts_split_a_yearly_file() -> None:
    text = "# 2024\n\n## 2024-01-04\n\n- a\n\n## 2024-02-01\n\n- b\n"
    notes = parse_notes(text, path="y.md")
    parts = meeting_texts(text, notes)
    assert set(parts) == {"2024-01-04", "2024-02-01"}
    assert "- a" in parts["2024-01-04"] and "- b" not in parts["2024-01-04"]
