"""No mention, team mention, image or HTML that the notes' authors did not make an owner.

Text from outside our templates (referenced titles, meeting titles, unmapped
owners, notes lines) reaches issue bodies, comments, check runs and the
dashboard only through `actionbot.core.safe_text`.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from actionbot.__main__ import main
from actionbot.core import agenda, dashboard
from actionbot.core.checkrun import Entry, summarise
from actionbot.core.desired import DesiredIssue
from actionbot.core.refstate import RefEvent, RefState, notice
from actionbot.core.render import carried_over_comment, removed_comment
from actionbot.core.safe_text import ZWSP, code, neutralise
from actionbot.notes.model import Problem
from tests.planning import ctx

HOSTILE = "Docs typo cc @jupyterhub/steering-council @minrk @@double ![x](https://evil.example/p.png) <img src=x>"


def shown(markdown: str) -> str:
    """The text outside HTML comments and code spans: where mentions and markup take effect."""
    text = re.sub(r"<!--.*?-->", "", markdown, flags=re.S)
    return re.sub(r"(`+)(?:(?!\1).)+?\1", "", text, flags=re.S)


def mentions(markdown: str) -> set[str]:
    """Who GitHub would notify: `@name` or `@org/team` outside code spans and HTML comments."""
    text = shown(markdown)
    return set(re.findall(r"(?<![A-Za-z0-9_])@([A-Za-z0-9][A-Za-z0-9-]*(?:/[A-Za-z0-9_.-]+)?)", text))


def inert(markdown: str) -> bool:
    """No image and no HTML tag outside code spans."""
    text = shown(markdown)
    return "![" not in text.replace("!\\[", "") and not re.search(r"<[A-Za-z/]", text)


def test_the_helper() -> None:
    out = neutralise(HOSTILE)
    assert mentions(out) == set() and inert(out)
    assert f"@{ZWSP}minrk" in out and f"@@{ZWSP}double" in out  # still readable
    assert neutralise("mail ana@example.org or see `@ana`") == "mail ana@example.org or see `@ana`"


def test_a_referenced_title_mentions_nobody() -> None:
    target = RefState("jupyterhub/binderhub#385", "closed", title=HOSTILE, html_url="https://github.com/x")
    text = notice(RefEvent("closed", target, "mallory", "2025-01-01T00:00:00Z"))
    assert mentions(text) == set() and inert(text)


def test_check_run_titles_and_problems_mention_nobody() -> None:
    out = summarise([Entry("opened", HOSTILE, 3, "https://github.com/o/r/issues/3")],
                    [Problem("notes.md", 4, f"owner {HOSTILE} is not known")])
    assert mentions(out.summary) == set() and inert(out.summary)


HOSTILE_PATH = "docs/meetings/x` @org/team ![i](https://evil.example/p.png) ``<img src=x>.md"


def test_a_file_name_is_shown_as_code_whatever_it_holds() -> None:
    """A pull request names its notes file: backticks in the name must not end the code span."""
    assert code("docs/a.md") == "`docs/a.md`"
    assert mentions(code(HOSTILE_PATH)) == set() and inert(code(HOSTILE_PATH))
    assert code("`x`") == "`` `x` ``" and code("two\n\nlines") == "`two lines`"
    out = summarise([], [Problem(HOSTILE_PATH, 4, "is not valid UTF-8 text"), Problem(HOSTILE_PATH, None, "is binary")],
                    preview=True)
    assert mentions(out.summary) == set() and inert(out.summary)
    assert mentions(removed_comment("k1", HOSTILE_PATH, closing=True)) == set()


def test_dashboard_cells_and_owner_headings_mention_nobody() -> None:
    item = dashboard.DashItem(1, HOSTILE, "https://github.com/o/r/issues/1", owners=("@org/everyone",),
                              meeting=f"2025-01-01 {HOSTILE}", meeting_date="2025-01-01")
    body = dashboard.render([item], datetime(2025, 1, 2, tzinfo=UTC), handle="actionbot")
    assert mentions(body) == {"actionbot"} and inert(body)  # "kept current by @actionbot": our own template


def test_a_carried_over_comment_quotes_the_meeting_title_inertly() -> None:
    issue = DesiredIssue(key="k1", context=ctx(), line=12, meeting_date="2025-05-12", meeting_title=HOSTILE,
                         meeting_line=1, text="Fix the build", title="Fix the build")
    text = carried_over_comment(issue, "k1")
    assert mentions(text) == set() and inert(text)


@pytest.mark.parametrize("mentioning", [True, False])
def test_review_list_titles_mention_nobody(mentioning: bool) -> None:
    """Titles come from the notes or from whoever retitled the issue: in the review list (the
    `agenda` reply, meeting issues' comments) they mention nobody, whatever the owners."""
    item = agenda.AgendaItem(3, HOSTILE, "https://github.com/o/r/issues/3", ("ana-gh",), "2025-05-12",
                             ("2025-05-12",), 2, (), "o/r")
    closed = agenda.AgendaItem(4, HOSTILE, "https://github.com/o/r/issues/4", (), "2025-05-12", ("2025-05-12",),
                               2, (), "o/r", state="closed", closed_at="2025-05-13T00:00:00Z", closed_by="mallory")
    listing = agenda.Agenda("o/r", "2025-05-14", "2025-05-12", (("ana-gh", (item,)),), (closed,))
    text = agenda.markdown(listing, mentions=mentioning)
    assert mentions(text) == ({"ana-gh"} if mentioning else set()) and inert(text)


NOTES = """\
# Team meeting @example-org/all-hands <img src=x>, 2025-05-12

## Next actions

- @example-org/everyone will fix the build
- Ping @@double about ![x](https://evil.example/p.png) (Ana)
- Review the release, cc @stranger and @other-org/team (Ana)
"""


@pytest.fixture
def plan_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> dict:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "2025-05-12.md").write_text(NOTES, encoding="utf-8")
    (tmp_path / "actionbot.yml").write_text("people:\n  Ana: ana-gh\n", encoding="utf-8")
    assert main(["plan", "2025-05-12.md", "--repo", "org/team", "--config", "actionbot.yml", "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_issue_bodies_mention_only_owners_resolved_to_logins(plan_json: dict) -> None:
    bodies = [op["body"] for op in plan_json["plan"]["ops"] if op.get("body")]
    assert len(bodies) == 3
    for body in bodies:
        assert mentions(body) <= {"ana-gh"}, body
        assert inert(body.replace("<details><summary>Commands</summary>", "").replace("</details>", "")), body
    assert any("ana-gh" in mentions(b) for b in bodies)
