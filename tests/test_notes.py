"""The reading rules of issue 2, on notes we wrote ourselves (no ../shared needed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from actionbot.notes.model import Notes
from actionbot.notes.parse import DEFAULT_PHRASES, notes_to_json, parse_notes

FIXTURES = Path(__file__).parent / "fixtures" / "notes"
EXAMPLE = Path(__file__).parent.parent / "examples" / "2025-03-06-team-meeting.md"


def parse(text: str, **kw) -> Notes:
    return parse_notes(text, repo=kw.pop("repo", "org/notes"), **kw)


def texts(notes: Notes) -> list[str]:
    return [it.text for it in notes.items if it.source == "section"]


def item(notes: Notes, start: str):
    found = [it for it in notes.items if it.text.startswith(start)]
    assert found, f"no item starting with {start!r} in {texts(notes)}"
    return found[0]


# ------------------------------------------------------------------ sections


def test_every_label_form_starts_a_section():
    notes = parse((FIXTURES / "label-forms.md").read_text())
    assert [s.heading for s in notes.sections] == [
        "Follow-up items",
        "Action Items:",
        "Next steps in order of urgency:",
        "1. Next actions (team)",
        "Next steps:",
        "NEXT STEPS",
        "Next steps (RK)",
        "Lena: her action items",
        "Action:",
    ]
    assert texts(notes) == [
        "Draft the onboarding checklist",
        "Book a room for the sprint",
        "Compare two hosting offers",  # list-item label, nested
        "Tell finance by Friday",
        "Pick the sprint theme",  # qualifier "in order of urgency"
        "Invite two new contributors",
        "Publish the survey results",  # label whose list follows it unindented
        "Close stale pull requests",
        "Rename the default branch",  # paragraph label
        "Archive the old wiki",
        "Write the retro summary",  # NEXT STEPS paragraph
        "offer the mentoring slot to the top applicant",
        "look at the budget for a second slot",
        "Update the contributor guide",
        "Review the translation PRs",
        "Prototype the S3 backend",  # "- Action:" three levels deep
        "Write a design note",
    ]
    # the context lines around a section are not items
    assert "hosting costs went up" not in texts(notes)


def test_label_owners_apply_to_the_section_items():
    notes = parse((FIXTURES / "label-forms.md").read_text())
    assert item(notes, "offer the mentoring").owners == ("RK",)
    assert item(notes, "look at the budget").owners == ("RK",)
    assert item(notes, "Update the contributor guide").owners == ("Lena",)
    assert item(notes, "Publish the survey").owners == ()  # "(team)" is a scope, not an owner


def test_traps_are_not_sections_and_placeholders_are_not_items():
    notes = parse((FIXTURES / "traps.md").read_text())
    # "## Actions" wraps agenda and decisions; only "3. Next actions (group)" counts.
    # Prior action items, Decisions, an agenda checkbox "[x] Follow ups",
    # "Possible actions/ ideas", prose mentioning next steps: none of them.
    assert [s.heading for s in notes.sections] == ["3. Next actions (group)", "Next steps", "Action items"]
    assert texts(notes) == ["Write the release checklist"]


@pytest.mark.parametrize(
    "line",
    ["## Next actions", "### action items", "#### Follow ups", "Follow-ups:", "TODO", "* Actions Items:",
     "## VII. Next actions (all)", "Next steps after the sprint:", "- Action points:"],
)
def test_label_lines(line):
    notes = parse(f"{line}\n\n- Do the thing\n")
    assert texts(notes) == ["Do the thing"], line


@pytest.mark.parametrize(
    "line",
    ["### Prior action items", "#### Review of past action items", "Possible actions/ ideas:",
     "## Decisions", "Next steps involving the agenda", "* [x] Follow ups", "### Decisions made",
     "Action: write it down"],
)
def test_not_label_lines(line):
    notes = parse(f"{line}\n\n- Do the thing\n")
    assert texts(notes) == [], line


def test_labels_without_items_are_still_sections():
    """A label followed by nothing, or by a lazy placeholder line (`4.`), is an empty section."""
    notes = parse(
        "## Sprint notes\n\n"
        "1. Open questions\n"
        "2. Next actions (team)\n"
        "        4.\n\n"
        "## Other business\n\n"
        "Follow ups:\n\n"
        "## Wrap-up\n\n"
        "- Next steps\n"
    )
    assert [(s.heading, s.line) for s in notes.sections] == [
        ("2. Next actions (team)", 4),
        ("Follow ups:", 9),
        ("Next steps", 13),
    ]
    assert notes.items == ()


def test_configured_phrases_add_labels():
    text = "## Homework\n\n- Read chapter two\n"
    assert texts(parse(text)) == []
    assert texts(parse(text, phrases=["homework"])) == ["Read chapter two"]
    assert "next actions" in DEFAULT_PHRASES


# ------------------------------------------------------------------ items


def test_items_keep_parents_lines_and_wrapped_text():
    notes = parse(
        "## Next steps\n\n"
        "- Prepare the release\n"
        "  with the new\n"
        "  changelog https://github.com/org/lib/pull/7\n"
        "    - Tag it (Ana)\n"
        "- Second\n"
    )
    first, sub, second = notes.items
    assert (first.text, first.line, first.end_line, first.parent) == ("Prepare the release", 3, 5, None)
    assert first.body == "Prepare the release with the new changelog https://github.com/org/lib/pull/7"
    assert first.refs == ("org/lib#7",)  # wrapped lines are the item's own text
    assert (sub.line, sub.parent) == (6, 0)
    assert second.parent is None


@pytest.mark.parametrize(
    "content",
    ["plain words only", "two  \nlines\twith\n\t  breaks", "a \u00a0b\n c", "ends with spaces  \n  next"],
)
def test_plain_text_without_markup_matches_markdown_it(content):
    """The shortcut for text without markup gives what markdown-it's inline rules give."""
    from markdown_it.token import Token

    from actionbot.notes.blocks import MD, segment_lines

    fast = segment_lines(Token("inline", "", 0, content=content), {})
    slow = Token("inline", "", 0, content=content)
    slow.children = []
    MD.inline.parse(content, MD, {}, slow.children)
    assert fast == segment_lines(slow, {})


def test_text_is_plain_first_line():
    notes = parse(
        "## Action items\n\n"
        "- **Bold** and _em_ `code` [link text](https://example.org) \\*escaped\\* <https://x.org/a>\n"
    )
    assert notes.items[0].text == "Bold and em code link text *escaped* https://x.org/a"


# ------------------------------------------------------------------ owners


@pytest.mark.parametrize(
    ("line", "owners", "tentative"),
    [
        ("Widget gallery redesign (Ravi)", ["Ravi"], []),
        ("WidgetConf Lisbon (Tiago, Lucie?)", ["Tiago", "Lucie"], ["Lucie"]),
        ("WidgetConf talk proposals (Bruno/Ines)", ["Bruno", "Ines"], []),
        ("What's changed in Widgetlab (Ana M)", ["Ana M"], []),
        ("review the plotting module (Kofi + ESA)", ["Kofi", "ESA"], []),
        ("Open a PR for the regression (Mirela will)", ["Mirela"], []),
        ("Hana will write a postmortem", ["Hana"], []),
        ("Ola can add a short summary", ["Ola"], []),
        ("Ana writes a paragraph on the change", ["Ana"], []),
        ("Viktor / Nadia to walkthrough the release steps for non-Viktor maintainers.", ["Viktor", "Nadia"], []),
        ("PR #1 - Emeka to update PR, Sofia/Marek and Petra to follow up.",
         ["Emeka", "Sofia", "Marek", "Petra"], []),
        ("Femi owns this, Greta is advising/helping, Femi will report back", ["Femi", "Greta"], []),
        ("@lfreitas is happy to help with the rollout", ["@lfreitas"], []),
        ("By the next sync, Rosa, June (and Ola?) will draft a checklist", ["Rosa", "June", "Ola"], ["Ola"]),
        ("Oksana: initiate the poll", ["Oksana"], []),
        ("Bea and Tomas: rewrite the landing page", ["Bea", "Tomas"], []),
        ("All: be kind but firm in reviews", ["All"], []),
        ("SC: Cut the first beta", ["SC"], []),
        ("@jdoe-dev: Reach out to Krita devs.", ["@jdoe-dev"], []),
        ("@example-org/widgetlab-maintainers: Settle the migration", ["@example-org/widgetlab-maintainers"], []),
        ("[Marek](https://github.com/marek-dev): Split the PR.", ["Marek"], []),
        ("[name=Teodor] Will check the docs", ["Teodor"], []),
        ("offer the internship. JM will send the letter soon!", ["JM"], []),
        ("[name=Ines] For the docs build I need Omar (he owns the bot) to rotate the token",
         ["Ines", "Omar"], []),  # the attributed writer and the named doer
        ("We need Dana to sign off on the budget", ["Dana"], []),
        ("The Community Working Group (CWG) will draft the policy", ["Community Working Group (CWG)"], []),
        ("Docs team will update the install guide", ["Docs team"], []),  # a group named for what it does
    ],
)
def test_owner_notations(line, owners, tentative):
    it = parse(f"## Action items\n\n- {line}\n").items[0]
    assert list(it.owners) == owners
    assert list(it.tentative_owners) == tentative


@pytest.mark.parametrize(
    "line",
    [
        "Follow up on Lukas' proposal to list the keys",
        "send a quick note to Beatriz",  # Beatriz is the recipient
        "give Oskar an FYI about the release",
        "Agree on a cadence (e.g. don't ship two releases in one week)",
        "Join the forum (forum.example.org)",
        "base images for the builder (create an issue)",
        "create an issue(??) for the roadmap",
        "Decide on the venue (who?)",
        "Try to sort the backlog (probably 4-5!) Wanjiru suggests timeboxing",
        "Figure out how to cache the wheels on CI",
        "Dmitri suggests to summarize the hiring plan",
        "Standup host: rotate every quarter",
        "Accessibility fixes for the old themes is a later topic",
        "Need to get a laptop for Idris",
        "We need to tell Dana about the budget",  # Dana is the recipient
        "Thanks Femi for the fix (Thanks Femi)",
        "Benefit: reviews land sooner",  # an information label, not a name
        "Downsides: one more service to run",
        "Ask team to review the install guide",  # the team is the object of "ask"
    ],
)
def test_not_owners(line):
    it = parse(f"## Action items\n\n- {line}\n").items[0]
    assert it.owners == (), line


def test_subject_names_only_where_they_are_subjects():
    it = parse("## Action items\n\n- Mira will ask Bruno\n").items[0]
    assert it.owners == ("Mira",)


def test_roster_recognises_lowercase_names():
    text = "## Action items\n\n- ana will write the post\n"
    assert parse(text).items[0].owners == ()
    assert parse(text, people={"ana": "anamartins"}).items[0].owners == ("ana",)


def test_checkin_lines_make_a_roster():
    notes = parse("## 2026-05-19\n\n- Ola Nordmann / @olan / Example Lab\n- Idris / @IdrisK / Widget Co\n")
    assert notes.people == {"Ola Nordmann": "olan", "Idris": "IdrisK"}


def test_ownership_detail_gives_the_parent_its_owners():
    notes = parse(
        "### Action items\n\n- Need to get a laptop for Idris\n"
        "  - Femi is championing the onboarding, Greta has offered to help\n"
    )
    parent, child = notes.items
    assert parent.owners == ("Femi", "Greta") and parent.opens_issue
    assert not child.opens_issue


# ------------------------------------------------------------------ references


def test_reference_forms():
    notes = parse(
        "## Action items\n\n"
        "- a https://github.com/example-org/widgetlab/issues/379#issuecomment-1 and "
        "https://github.com/example-org/widgetlab/pull/384/files\n"
        "- b example-org/widgetlab#12 and #136 and https://github.com/o/r/discussions/5\n"
        "- c [#136](https://github.com/example-org/builder/issues/136#issuecomment-3) [PR #18010](https://github.com/s/s/pull/18010)\n"
        "- d https://github.com/o/r https://github.com/o/r/projects/5#card-1 https://github.com/o/r/milestone/2 "
        "https://github.com/o/r/issues?q=is%3Aopen https://github.com/o/r/blob/main/x.md#12 https://github.com/someone "
        "https://gitlab.com/o/r/issues/3\n"
        "- e #4 then #4 again, and owner/repo#4\n",
        repo="team/notes",
    )
    refs = [it.refs for it in notes.items]
    assert refs[0] == ("example-org/widgetlab#379", "example-org/widgetlab#384")
    assert refs[1] == ("example-org/widgetlab#12", "team/notes#136", "o/r#5")
    assert refs[2] == ("example-org/builder#136", "s/s#18010")  # link counted once, by its target
    assert refs[3] == ()
    assert refs[4] == ("team/notes#4", "owner/repo#4")


def test_bare_number_needs_a_repo():
    notes = parse_notes("## Action items\n\n- fix #4\n")
    assert notes.items[0].refs == ()


def test_refs_are_only_the_items_own_text():
    notes = parse("## Action items\n\n- parent\n  - child https://github.com/o/r/issues/1\n")
    assert notes.items[0].refs == ()
    assert notes.items[1].refs == ("o/r#1",)


# ------------------------------------------------------------------ done


def test_done_forms():
    notes = parse(
        "## Action items\n\n- [x] one\n- [X] two\n- \\[x\\] three\n- four **COMPLETED**\n- five [COMPLETED]\n"
        "- [ ] six\n- seven\n"
    )
    assert [it.done for it in notes.items] == [True] * 5 + [False] * 2
    assert [it.text for it in notes.items][:3] == ["one", "two", "three"]
    assert [it.opens_issue for it in notes.items] == [False] * 5 + [True] * 2


# ------------------------------------------------------------------ meetings


def test_meetings_from_dated_headings():
    notes = parse(
        "# 2026 meetings\n\n## 2026-05-19\n\n### Action items\n\n- first\n\n"
        "## May 5, 2026\n\n### Action items\n\n- second\n"
    )
    assert [(m.title, m.date, m.line) for m in notes.meetings] == [
        ("2026-05-19", "2026-05-19", 3),
        ("May 5, 2026", "2026-05-05", 9),
    ]
    assert [it.meeting for it in notes.items] == [0, 1]


def test_meetings_from_year_month_day_headings():
    notes = parse(
        "# Council notes\n\n## 2031 October 7\n\n- TODO: draft the budget\n\n"
        "## 2031 September 30th\n\n- TODO: book the room\n"
    )
    assert [(m.date, m.line) for m in notes.meetings] == [("2031-10-07", 3), ("2031-09-30", 7)]
    assert [it.meeting for it in notes.items] == [0, 1]


def test_meeting_from_front_matter_and_date_line():
    notes = parse_notes(EXAMPLE.read_text(), path=str(EXAMPLE))
    assert [(m.title, m.date, m.line) for m in notes.meetings] == [("March 2025", "2025-03-06", 1)]
    assert {it.meeting for it in notes.items} == {0}


def test_meeting_from_file_name_and_heading():
    notes = parse_notes("# Widgetlab SC Meeting Notes\n\n## Action items\n\n- a\n", path="notes/2022-08-18.md")
    assert [(m.title, m.date) for m in notes.meetings] == [("Widgetlab SC Meeting Notes", "2022-08-18")]


# ------------------------------------------------------------------ inline actions


def test_inline_actions_outside_sections():
    notes = parse(
        "## Discussion\n\n"
        "- release planning\n"
        "  - TODO: write the release notes (Tim)\n"
        "  - **Ana:** TODO: ask the venue\n"
        "  - ACTION ITEM: open a thread\n"
        "  - Action (who?) A plugins org?\n"
        "  - Next step: ask in chat\n"
        "  - Ola to follow up with the foundation\n\n"
        "Action: Design team to review and send comments.\n\n"
        "- TODO: make an issue ([now here](https://github.com/org/notes/issues/9))\n"
    )
    inline = [it for it in notes.items if it.source == "inline"]
    assert [(it.text, it.owners) for it in inline] == [
        ("TODO: write the release notes (Tim)", ("Tim",)),
        ("Ana: TODO: ask the venue", ("Ana",)),
        ("ACTION ITEM: open a thread", ()),
        ("Action (who?) A plugins org?", ()),
        ("Next step: ask in chat", ()),
        ("Action: Design team to review and send comments.", ("Design team",)),
        ("TODO: make an issue (now here)", ()),
    ]
    assert [it.done for it in inline] == [False] * 6 + [True]
    assert inline[-1].refs == ("org/notes#9",)
    assert all(it.section is None and it.parent is None for it in inline)


def test_inline_markers_inside_a_section_are_section_items():
    notes = parse("## Action items\n\n- TODO: write it\n")
    assert [it.source for it in notes.items] == ["section"]


# ------------------------------------------------------------------ which items open issues


def test_sub_items_open_issues_only_with_their_own_owner():
    notes = parse_notes(EXAMPLE.read_text(), repo="example-org/widgetlab")
    opens = {it.text: it.opens_issue for it in notes.items}
    assert opens["Freeze the configuration format (Priya/Dev)"]
    assert opens["Prepare the 2.4 release"]
    assert not opens["PyPI"] and not opens["the docs hosting"]  # details of their parent
    assert not opens["Renew the domain for the docs site (Dev)"]  # done


def test_grouping_labels_and_status_lines():
    notes = parse(
        "## Next actions\n\n"
        "* Shared reading\n"
        "    * Create a sandbox environment\n"
        "* Our enormous pile of alerts\n"
        "    * Find out what fires them\n"
        "* widgetctl on hold... :(\n"
        "* Heads up: the venue changed\n"
        "* Create an issue about plugin signing\n"
        "    * Worth noting the short-term plans\n"
        "* Comment period March 3-March 10\n"
        "    * Please read the draft\n"
        "    * https://github.com/someone/study/issues/2 (ask for access)\n"
    )
    opens = {it.text: it.opens_issue for it in notes.items}
    assert opens == {
        "Shared reading": False,
        "Create a sandbox environment": True,
        "Our enormous pile of alerts": False,
        "Find out what fires them": True,
        "widgetctl on hold... :(": False,
        "Heads up: the venue changed": False,
        "Create an issue about plugin signing": True,
        "Worth noting the short-term plans": False,
        "Comment period March 3-March 10": False,
        "Please read the draft": True,
        "https://github.com/someone/study/issues/2 (ask for access)": False,
    }


def test_statements_and_information_lines_are_not_tasks():
    """Rule 2, case 1 in general: a declarative status line or an information label is no task."""
    notes = parse(
        "## Next steps\n\n"
        "* The nightly build is green again since the cache fix\n"
        "* Our sprint planning doc was shared with the mentors last week\n"
        "* Kim had not meant to announce the beta yet\n"
        "* The migration is three steps:\n"
        "    * the schema, then the data\n"
        "* Rationale: fewer moving parts for new contributors\n"
        "* Plugin API proposal, keep it open\n"
        "* Make sure the changelog is complete\n"  # imperative, "is" later on
        "* The docs team is going to review the tutorial\n"  # a commitment
        "* https://github.com/org/notes/issues/4 What is the plan here?\n"  # a question
        "* Sam is happy to run the next retro\n"  # an owner
    )
    opens = {it.text: it.opens_issue for it in notes.items}
    assert opens == {
        "The nightly build is green again since the cache fix": False,
        "Our sprint planning doc was shared with the mentors last week": False,
        "Kim had not meant to announce the beta yet": False,
        "The migration is three steps:": False,
        "the schema, then the data": False,
        "Rationale: fewer moving parts for new contributors": False,
        "Plugin API proposal, keep it open": False,
        "Make sure the changelog is complete": True,
        "The docs team is going to review the tutorial": True,
        "https://github.com/org/notes/issues/4 What is the plan here?": True,
        "Sam is happy to run the next retro": True,
    }


# ------------------------------------------------------------------ JSON contract


def test_json_contract():
    data = notes_to_json(parse_notes(EXAMPLE.read_text(), path="ex.md", repo="example-org/widgetlab"))
    assert data["file"] == "ex.md"
    assert data["meetings"] == [{"title": "March 2025", "date": "2025-03-06", "line": 1}]
    it = next(i for i in data["items"] if i["text"].startswith("Update the migration notes"))
    assert it == {
        "text": "Update the migration notes for #798 (Jonas?)",
        "line": it["line"],
        "owners": ["Jonas"],
        "tentative_owners": ["Jonas"],
        "refs": ["example-org/widgetlab#798"],
        "parent": it["parent"],
        "done": False,
        "opens_issue": True,
        "source": "section",
        "section": "V. Next actions (team)",
        "meeting": 0,
    }
    assert data["items"][it["parent"]]["text"] == "Prepare the 2.4 release"


def test_a_status_word_prefix_is_not_an_owner():
    notes = parse(
        "## Next actions\n\n- [ ] COMPLETED: move the wiki to the new host\n"
        "- DONE: archive the old project board\n- WIP: rename the widget package (Ravi)\n"
    )
    got = [(i.text, i.owners, i.done) for i in notes.items]
    assert got[0] == ("COMPLETED: move the wiki to the new host", (), True)
    assert got[1][1] == ()
    assert got[2][1] == ("Ravi",)
