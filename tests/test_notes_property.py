"""Any text gives a result, any file gives a result or a clear InputError: never a crash."""

from __future__ import annotations

import os
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from actionbot.notes.model import InputError, Notes
from actionbot.notes.parse import notes_to_json, parse_notes, read_notes_file

FRAGMENTS = [
    "## Next actions (team)\n", "### Action items\n", "Next steps:\n", "* Action Items:\n", "- ", "  - ", "    * ",
    "1. ", "3. Next actions (team)\n", "[x] ", "\\[x\\] ", "[ ] ", "(Sylvain, Loic?)", "(e.g. x)", "(who?)",
    "Carol will ", "Allan / Brendan to ", "Olivier: ", "@maxnbk: ", "[name=Guillaume] ", "[Thomas](https://github.com/t):",
    "https://github.com/o/r/issues/1", "o/r#2", "#3", "[#4](https://github.com/o/r/pull/4)", "TODO: ", "Action (who?) ",
    "**COMPLETED**", "---\ntitle: x\n---\n", "Date: January 04, 2018\n", "## 2026-05-19\n", "Name / @handle / org\n",
    "> ", "```\n", "<div>\n", "\n", "\n\n", "\t", "\x00", "\r\n", "\u2028", "é", "(", ")", ":", "?", "*", "_", "`", "|",
]

markdownish = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=40).map("".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.text(), markdownish), st.sampled_from([None, "o/r"]), st.lists(st.text(max_size=8), max_size=2))
def test_parse_never_raises(text, repo, phrases):
    notes = parse_notes(text, repo=repo, phrases=phrases, people={"min": "minrk"})
    assert isinstance(notes, Notes)
    data = notes_to_json(notes)
    for it in data["items"]:
        assert isinstance(it["text"], str) and isinstance(it["line"], int)
        assert it["parent"] is None or 0 <= it["parent"] < len(data["items"])


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300))
def test_read_gives_text_or_input_error(data):
    fd, path = tempfile.mkstemp(suffix=".md")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        try:
            text = read_notes_file(path, max_bytes=200)
        except InputError as exc:
            assert path in str(exc)
        else:
            parse_notes(text)
    finally:
        os.unlink(path)
