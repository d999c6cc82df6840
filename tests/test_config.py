"""`.github/actionbot.yml`: defaults, every key, and errors that name the line and the fix."""

from __future__ import annotations

import dataclasses
import time

import pytest

from actionbot.core.config import (
    CONFIG_PATH,
    DEFAULT_CONFIG,
    DEFAULT_MAX_WRITES,
    Config,
    ConfigError,
    Labels,
    load_config,
)
from actionbot.notes.model import InputError

FULL = """\
notes: ["docs/meetings/**/*.md", "!docs/meetings/README.md"]
sections: ["Homework"]
inline_actions: true
tracking_repo: jupyterhub/team-compass
since: 2024-01-05
people:
  Carol: willingc
  Chris H: "@choldgraf"
labels:
  action_item: "todo"
  meeting: "mtg {date}"
on_removed: close
close_when_refs_closed: true
dashboard: false
max_writes_per_run: 30
max_file_bytes: 2000
"""


def test_absent_or_empty_file_gives_defaults() -> None:
    assert load_config(None) is DEFAULT_CONFIG
    assert load_config("") == DEFAULT_CONFIG
    assert load_config("# only a comment\n") == DEFAULT_CONFIG


def test_defaults_are_the_documented_ones() -> None:
    c = DEFAULT_CONFIG
    assert c.notes == ("docs/meetings/**/*.md",)
    assert c.sections == () and c.inline_actions is False
    assert c.tracking_repo is None and c.since is None and c.people == {}
    assert c.labels == Labels()
    assert c.labels.for_meeting("2018-01-04") == "meeting: 2018-01-04"
    assert (c.labels.action_item, c.labels.needs_owner, c.labels.refs_closed) == (
        "action item",
        "needs owner",
        "refs closed",
    )
    assert (c.labels.removed, c.labels.carried_over) == ("removed from notes", "carried over")
    assert c.on_removed == "comment" and c.close_when_refs_closed is False
    assert c.dashboard is True
    assert c.max_writes_per_run == DEFAULT_MAX_WRITES
    assert c.max_writes_per_run <= 80  # GitHub: about 80 content-creating requests a minute
    assert c.max_file_bytes == 1_000_000


def test_every_key_is_read() -> None:
    c = load_config(FULL)
    assert c.notes == ("docs/meetings/**/*.md", "!docs/meetings/README.md")
    assert c.sections == ("Homework",)
    assert c.inline_actions is True
    assert c.tracking_repo == "jupyterhub/team-compass"
    assert c.since == "2024-01-05"  # YAML reads an unquoted date as a date; kept as ISO text
    assert c.people == {"Carol": "willingc", "Chris H": "choldgraf"}  # '@' dropped
    assert c.labels.action_item == "todo" and c.labels.needs_owner == "needs owner"
    assert c.labels.for_meeting("2020-02-02") == "mtg 2020-02-02"
    assert c.on_removed == "close" and c.close_when_refs_closed is True
    assert c.dashboard is False
    assert (c.max_writes_per_run, c.max_file_bytes) == (30, 2000)


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_CONFIG.notes = ()  # type: ignore[misc]


def test_matches_uses_gitignore_globs() -> None:
    c = load_config(FULL)
    assert c.matches("docs/meetings/2018-01-04.md")
    assert c.matches("docs/meetings/2018/jan.md")
    assert not c.matches("docs/meetings/README.md")
    assert not c.matches("README.md")


def test_single_string_is_a_one_item_list() -> None:
    assert load_config("notes: meetings/*.md\n").notes == ("meetings/*.md",)


def test_roster_lookup_ignores_case_and_spacing() -> None:
    c = load_config(FULL)
    assert c.login_for("chris  h") == "choldgraf"
    assert c.login_for("CAROL") == "willingc"
    assert c.login_for("Carl") is None


def test_since_accepts_quoted_date() -> None:
    assert load_config('since: "2023-12-31"\n').since == "2023-12-31"


def test_meeting_label_recognised() -> None:
    labels = Labels(meeting="mtg {date} (notes)")
    assert labels.is_meeting_label("mtg 2020-01-02 (notes)")
    assert not labels.is_meeting_label("mtg soon (notes)")
    assert not labels.is_meeting_label("action item")


def error(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as info:
        load_config(text)
    return info.value


@pytest.mark.parametrize(
    "text, line, words",
    [
        ('notes: ["a"\nfoo: 1\n', 2, ["invalid YAML"]),
        ("notes: [a]\nnotez: []\n", 2, ["unknown key `notez`", "did you mean `notes`"]),
        ("notes: [a]\n\non_remove: close\n", 3, ["did you mean `on_removed`"]),
        ("people:\n  Carol: willingc\nlabels:\n  action-item: x\n", 4, ["did you mean `action_item`"]),
        ("inline_actions: maybe\n", 1, ["true or false"]),
        ("notes: 3\n", 1, ["list of strings"]),
        ("notes:\n  - ok/*.md\n  - 7\n", 3, ["non-empty string"]),
        ("on_removed: delete\n", 1, ["comment, close, ignore"]),
        ("since: last year\n", 1, ["YYYY-MM-DD"]),
        ("since: 2024-13-01\n", 1, ["YYYY-MM-DD"]),
        ("tracking_repo: team-compass\n", 1, ["OWNER/NAME"]),
        ("notes:\n  - ok/*.md\n  - '[z-a].md'\n", 3, ["invalid glob"]),
        ("labels:\n  meeting: meeting\n", 2, ["{date}"]),
        ("labels:\n  removed: " + "x" * 51 + "\n", 2, ["at most 50"]),
        ("labels:\n  removed: action item\n", 2, ["same name"]),
        ("people:\n  Carol: 'not a login'\n", 2, ["GitHub login"]),
        ("people: [Carol]\n", 1, ["mapping"]),
        ("max_writes_per_run: 0\n", 1, ["at least 1"]),
        ("max_file_bytes: big\n", 1, ["whole number"]),
        ("dashboard: true\nnotes: [a]\ndashboard: false\n", 3, ["given twice", "line 1"]),
        ("- notes\n", 1, ["mapping"]),
    ],
)
def test_errors_name_the_line_and_the_fix(text: str, line: int, words: list[str]) -> None:
    exc = error(text)
    assert exc.line == line, str(exc)
    assert exc.path == CONFIG_PATH
    for word in words:
        assert word in exc.message, exc.message
    assert str(exc).startswith(f"{CONFIG_PATH}:{line}: ")


def test_config_error_is_an_input_error_with_the_given_path() -> None:
    with pytest.raises(InputError) as info:
        load_config("notez: 1\n", path="repo/.github/actionbot.yml")
    assert info.value.path == "repo/.github/actionbot.yml"


def test_unknown_key_lists_the_keys() -> None:
    exc = error("colour: blue\n")
    assert "did you mean" not in exc.message
    for f in ("notes", "people", "on_removed", "max_writes_per_run"):
        assert f in exc.message


def test_config_equality_ignores_the_roster_index() -> None:
    assert Config(people={"A": "a"}) == Config(people={"A": "a"})


# ---------------------------------------------------------------- hostile files


@pytest.mark.parametrize(
    "text, words",
    [
        pytest.param('notes: ["a\x01"]\n', ["control character U+0001", "remove it"], id="control-character"),
        pytest.param("sections: " + "[" * 5000 + "]" * 5000 + "\n", ["nested more than 50 deep"], id="deep-nesting"),
        pytest.param("max_file_bytes: 99999999999999999999999\n", ["at most 5000000"], id="huge-file-limit"),
        pytest.param("max_writes_per_run: 99999999999999999999999\n", ["at most 1000000000"], id="huge-number"),
        pytest.param("max_file_bytes: 50000000\n", ["at most 5000000", "no configuration can raise"], id="over-ceiling"),
        pytest.param("sections: [" + ",".join(["a"] * 40_000) + "]\n", ["40000 entries", "at most 1000"], id="long-list"),
        pytest.param("sections: [" + ",".join(["a"] * 100_000) + "]\n", ["at most 100000"], id="huge-file"),
        pytest.param("people:\n" + "".join(f"  P{i}: p{i}\n" for i in range(5001)), ["5001 entries"], id="huge-roster"),
        pytest.param("max_file_bytes: " + "9" * 5000 + "\n", ["5000 digits", "at most 1000000000"], id="past-int-digits"),
        pytest.param("sections: [" + "1" * 4400 + "]\n", ["4400 digits"], id="long-number-in-a-list"),
    ],
)
def test_hostile_configuration_is_one_line_error(text: str, words: list[str]) -> None:
    exc = error(text)
    assert "\n" not in str(exc) and len(str(exc)) < 300, str(exc)
    for word in words:
        assert word in str(exc), str(exc)


@pytest.mark.parametrize(
    "text, shown",
    [
        pytest.param("? |\n  notes\n  sections\n: a\n", "`notes sections`", id="block-key"),
        pytest.param('? "' + "x" * 90_000 + '"\n: 1\n', "`" + "x" * 39 + "…`", id="long-key"),
        pytest.param("labels:\n  ? |\n    a\n    b\n  : c\n", "`a b`", id="block-label"),
    ],
)
def test_an_unknown_key_is_named_on_one_short_line(text: str, shown: str) -> None:
    """A key may be a block of text or 90,000 characters: the message (which lists the keys) stays one line."""
    exc = error(text)
    assert "\n" not in str(exc) and len(str(exc)) < 400 and shown in str(exc), str(exc)


def test_thousands_of_numeric_keys_are_read_in_one_pass() -> None:
    """A key YAML reads as a number is found by its text once per mapping (it was a scan of
    the whole mapping per key: 12,000 keys took 5 s of CPU, now 0.5 s). CPU time, so that a
    busy machine does not stretch it."""
    text = "".join(f"{i}: a\n" for i in range(12_000))
    assert len(text) < 100_000
    start = time.process_time()
    exc = error(text)
    assert "unknown key `0`" in str(exc) and time.process_time() - start < 2.5


def test_max_file_bytes_up_to_the_ceiling_is_accepted() -> None:
    assert load_config("max_file_bytes: 5000000\n").max_file_bytes == 5_000_000
