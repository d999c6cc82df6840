"""The pure planner: each sync rule, checked by applying plans to an in-memory repository.

`Repo` below applies operations the way GitHub would (numbers, placeholders
filled, PATCH semantics), so a test can sync, edit the notes, and sync again.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from typing import Any

from actionbot.core import render
from actionbot.core.config import Config, Labels
from actionbot.core.desired import desired_issues, scope_of
from actionbot.core.existing import ExistingIssue, existing_issues
from actionbot.core.operations import CloseIssue, Comment, CreateIssue, EnsureLabel, Plan, UpdateIssue
from actionbot.core.plan import plan
from actionbot.notes.model import Item, Meeting, Notes
from tests.planning import CONFIG, JAN, PATH, SEED, ctx, item, notes

FEB = Meeting("February 2018", "2018-02-01", 1)


class Repo:
    """A tracking repository in memory, changed only through plans."""

    def __init__(self) -> None:
        self.issues: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[str]] = {}
        self.labels: set[str] = set()
        self.next = 1
        self.keys: dict[str, int] = {}

    def existing(self) -> tuple[ExistingIssue, ...]:
        listing = [
            {**i, "labels": [{"name": n} for n in i["labels"]], "assignees": [{"login": a} for a in i["assignees"]]}
            for i in self.issues.values()
        ]
        return existing_issues(listing)

    def apply(self, p: Plan) -> None:
        for op in p.ops:
            if isinstance(op, EnsureLabel):
                self.labels.add(op.name)
            elif isinstance(op, CreateIssue):
                n = self.next
                self.next += 1
                self.issues[n] = dict(
                    number=n, title=op.title, body=render.fill_issue_numbers(op.body, self.keys),
                    state="open", state_reason=None, labels=list(op.labels), assignees=list(op.assignees),
                )  # fmt: skip
                self.keys[op.key] = n
            elif isinstance(op, UpdateIssue):
                issue = self.issues[op.number]
                for f in op.changed:
                    value = getattr(op, f)
                    issue[f] = render.fill_issue_numbers(value, self.keys) if f == "body" else (
                        list(value) if isinstance(value, tuple) else value
                    )
            elif isinstance(op, Comment):
                self.comments.setdefault(op.number, []).append(op.body)
            elif isinstance(op, CloseIssue):
                if op.comment:
                    self.comments.setdefault(op.number, []).append(op.comment)
                self.issues[op.number].update(state="closed", state_reason=op.reason)

    def by_title(self, title: str) -> dict[str, Any]:
        [found] = [i for i in self.issues.values() if i["title"] == title]
        return found

    def open_count(self) -> int:
        return sum(1 for i in self.issues.values() if i["state"] == "open")


def sync(repo: Repo, *files: Notes, config: Config = CONFIG, scope: Any = "auto", **kw: Any) -> Plan:
    desired = [d for n in files for d in desired_issues(n, config, ctx(n.path))]
    if scope == "auto":
        scope = set().union(*(scope_of(n, config) for n in files)) if files else set()
    p = plan(desired, repo.existing(), config, tracking_repo="org/notes", scope=scope,
             known_labels=repo.labels, **kw)  # fmt: skip
    repo.apply(p)
    return p


def kinds(p: Plan) -> list[str]:
    return [type(op).__name__ for op in p.ops]


# ---------------------------------------------------------------- first sync


def test_first_sync_opens_one_issue_per_item_with_owners_labels_and_tasks() -> None:
    repo = Repo()
    p = sync(repo, notes(*SEED))
    assert kinds(p).count("CreateIssue") == 6  # "Mailing list" and "Domain registrar" are tasks, not issues
    titles = {i["title"] for i in repo.issues.values()}
    assert titles == {
        "Please add your name to the contributor catalog",
        "List candidate tutorials and draft outlines",  # opens: it has owned sub-items
        "Widget gallery redesign",
        "WidgetConf Lisbon",
        "WidgetConf talk proposals",
        "Follow up on Lukas' proposal to list the shared accounts",
    }
    ext = repo.by_title("Widget gallery redesign")
    assert ext["assignees"] == ["ravi-k"]
    assert ext["labels"] == ["action item", "meeting: 2018-01-04"]
    france = repo.by_title("WidgetConf Lisbon")
    assert france["assignees"] == []  # Tiago unmapped, Lucie tentative
    assert "needs owner" in france["labels"]
    cfp = repo.by_title("WidgetConf talk proposals")
    assert cfp["assignees"] == ["bruno-dev"] and "needs owner" not in cfp["labels"]
    assert "- example-org/widgetlab#379 (state unknown)" in cfp["body"]
    follow = repo.by_title("Follow up on Lukas' proposal to list the shared accounts")
    assert "- [ ] Mailing list" in follow["body"] and "- [x] Domain registrar" in follow["body"]
    assert follow["assignees"] == [] and "needs owner" in follow["labels"]
    parent = repo.by_title("List candidate tutorials and draft outlines")
    for child in ("Widget gallery redesign", "WidgetConf Lisbon", "WidgetConf talk proposals"):
        assert f"#{repo.by_title(child)['number']} {child}" in parent["body"]
    assert not render.placeholder_keys(parent["body"])
    assert {op.name for op in p.ops if isinstance(op, EnsureLabel)} == {
        "action item", "meeting: 2018-01-04", "needs owner",
    }  # fmt: skip


def test_sub_item_issues_are_created_before_their_parent() -> None:
    p = plan(desired_issues(notes(*SEED), CONFIG, ctx()), [], CONFIG, tracking_repo="org/notes")
    creates = [op for op in p.ops if isinstance(op, CreateIssue)]
    order = [c.key for c in creates]
    for c in creates:
        for needed in c.needs:
            assert order.index(needed) < order.index(c.key)


def test_unchanged_rerun_plans_zero_operations() -> None:
    repo = Repo()
    sync(repo, notes(*SEED))
    again = sync(repo, notes(*SEED))
    assert again.ops == () and again.writes == 0
    assert len(again.unchanged) == 6


def test_rerun_at_a_new_commit_only_rewrites_permalinks() -> None:
    repo = Repo()
    sync(repo, notes(*SEED))
    desired = desired_issues(notes(*SEED), CONFIG, ctx(sha="c2"))
    p = plan(desired, repo.existing(), CONFIG, tracking_repo="org/notes", known_labels=repo.labels)
    assert {type(op) for op in p.ops} == {UpdateIssue} and all(op.changed == ("body",) for op in p.ops)


# ---------------------------------------------------------------- identity across edits


def edited(index: int, **changes: Any) -> tuple[Item, ...]:
    items = list(SEED)
    items[index] = replace(items[index], **changes)
    return tuple(items)


def test_typo_fix_updates_the_same_issue_and_its_title() -> None:
    repo = Repo()
    sync(repo, notes(*SEED))
    p = sync(repo, notes(*edited(0, text="Please add your name to the contributor catalogue")))
    assert kinds(p) == ["UpdateIssue"]
    assert p.ops[0].title == "Please add your name to the contributor catalogue"
    assert len(repo.issues) == 6
    assert sync(repo, notes(*edited(0, text="Please add your name to the contributor catalogue"))).ops == ()


def test_human_retitle_is_never_undone() -> None:
    repo = Repo()
    sync(repo, notes(*SEED))
    repo.by_title("WidgetConf talk proposals")["title"] = "Talk proposals for WidgetConf 2018"
    n = repo.by_title("Talk proposals for WidgetConf 2018")["number"]
    p = sync(repo, notes(*edited(4, text="WidgetConf talk proposals for 2018 (Bruno/Ines)")))
    [op] = [op for op in p.ops if op.number == n]  # (the parent's body lists the new text too)
    assert isinstance(op, UpdateIssue) and op.title is None and op.body is not None
    assert "CreateIssue" not in kinds(p)
    assert repo.issues[n]["title"] == "Talk proposals for WidgetConf 2018"


def test_added_owner_assigns_without_a_new_issue_or_mention() -> None:
    repo = Repo()
    sync(repo, notes(*SEED))
    p = sync(repo, notes(*edited(0, text="Please add your name to the catalog (Bruno)", owners=("Bruno",))))
    assert kinds(p) == ["UpdateIssue"]
    issue = repo.issues[p.ops[0].number]
    assert issue["assignees"] == ["bruno-dev"] and "needs owner" not in issue["labels"]
    assert "`@bruno-dev`" in issue["body"]  # assigned (notified by that), not @-mentioned in an edit
    assert len(repo.issues) == 6


def test_added_link_updates_the_body_only() -> None:
    repo = Repo()
    sync(repo, notes(*SEED))
    p = sync(repo, notes(*edited(0, text="Please add your name to the contributor catalog, see org/x#4", refs=("org/x#4",))))
    [op] = p.ops
    assert isinstance(op, UpdateIssue) and "- org/x#4 (state unknown)" in (op.body or "")


def test_moved_items_and_lines_added_above_keep_their_issues() -> None:
    repo = Repo()
    sync(repo, notes(*SEED))
    before = {i["title"]: n for n, i in repo.issues.items()}
    shifted = [replace(it, line=it.line + 5) for it in SEED]
    shifted = [shifted[5], shifted[6], shifted[7], shifted[0], shifted[1], shifted[2], shifted[3], shifted[4]]
    remap = {5: 0, 6: 1, 7: 2, 0: 3, 1: 4, 2: 5, 3: 6, 4: 7}
    shifted = [replace(it, parent=remap[it.parent] if it.parent is not None else None) for it in shifted]
    p = sync(repo, notes(*shifted))
    assert "CreateIssue" not in kinds(p) and "Comment" not in kinds(p)
    assert {i["title"]: n for n, i in repo.issues.items()} == before
    assert all(i["state"] == "open" for i in repo.issues.values())


def test_renamed_notes_file_keeps_issues_and_marks_nothing_removed() -> None:
    repo = Repo()
    sync(repo, notes(*SEED))
    moved = "meetings/2018/2018-01-04-team-meeting.md"
    p = sync(repo, notes(*SEED, path=moved))
    assert set(kinds(p)) == {"UpdateIssue"}
    assert all(render.parse_marker(i["body"]).path == moved for i in repo.issues.values())
    assert sync(repo, notes(*SEED, path=moved)).ops == ()


def test_a_new_meaning_opens_a_new_issue() -> None:
    repo = Repo()
    sync(repo, notes(*SEED))
    p = sync(repo, notes(*edited(0, text="Book the venue for the sprint")))
    assert "CreateIssue" in kinds(p)
    assert "Comment" in kinds(p)  # the old item is reported removed


# ---------------------------------------------------------------- carried over


def test_item_listed_again_later_is_carried_over_not_duplicated() -> None:
    repo = Repo()
    sync(repo, notes(*SEED))
    feb = notes(item("Please add your name to the contributor catalog", 5), path="docs/meetings/2018-02-01.md", meetings=(FEB,))
    p = sync(repo, feb)
    assert "CreateIssue" not in kinds(p)
    issue = repo.by_title("Please add your name to the contributor catalog")
    assert "meeting: 2018-02-01" in issue["labels"] and "meeting: 2018-01-04" in issue["labels"]
    assert "carried over" in issue["labels"]
    [comment] = repo.comments[issue["number"]]
    assert "2018-02-01" in comment and "Carried over" in comment
    assert render.parse_marker(issue["body"]).meetings == ("2018-01-04", "2018-02-01")
    assert sync(repo, feb).ops == ()  # told once
    assert sync(repo, notes(*SEED), feb).ops == ()  # a full sync agrees


def test_full_sync_of_history_opens_one_issue_for_an_item_listed_twice() -> None:
    repo = Repo()
    feb = notes(item("Please add your name to the contributor catalog", 5), path="b.md", meetings=(FEB,))
    sync(repo, notes(SEED[0], path="a.md"), feb)
    [issue] = repo.issues.values()
    assert "carried over" in issue["labels"] and "meeting: 2018-02-01" in issue["labels"]
    assert sync(repo, notes(SEED[0], path="a.md"), feb).ops == ()


def test_closed_item_listed_again_opens_a_new_issue() -> None:
    repo = Repo()
    sync(repo, notes(SEED[0]))
    repo.issues[1]["state"] = "closed"
    feb = notes(item(SEED[0].text, 5), path="b.md", meetings=(FEB,))
    p = sync(repo, feb)
    assert kinds(p).count("CreateIssue") == 1


# ---------------------------------------------------------------- removed


def test_removed_item_gets_comment_and_label_once() -> None:
    repo = Repo()
    sync(repo, notes(*SEED))
    n = repo.by_title("Please add your name to the contributor catalog")["number"]
    p = sync(repo, notes(*_without_first()))
    assert kinds(p) == ["EnsureLabel", "UpdateIssue", "Comment"]
    issue = repo.issues[n]
    assert "removed from notes" in issue["labels"] and issue["state"] == "open"
    assert any("no longer in the notes" in c for c in repo.comments[n])
    assert sync(repo, notes(*_without_first())).ops == ()


def _without_first() -> tuple[Item, ...]:
    return tuple(replace(it, parent=it.parent - 1 if it.parent is not None else None) for it in SEED[1:])


def test_removed_item_closed_as_not_planned_when_configured() -> None:
    repo = Repo()
    config = replace(CONFIG, on_removed="close")
    sync(repo, notes(*SEED), config=config)
    p = sync(repo, notes(*_without_first()), config=config)
    [op] = p.ops
    assert isinstance(op, CloseIssue) and op.reason == "not_planned" and op.comment
    assert sync(repo, notes(*_without_first()), config=config).ops == ()


def test_removed_item_ignored_when_configured() -> None:
    repo = Repo()
    config = replace(CONFIG, on_removed="ignore")
    sync(repo, notes(*SEED), config=config)
    assert sync(repo, notes(*_without_first()), config=config).ops == ()


def test_item_back_in_the_notes_loses_the_removed_label() -> None:
    repo = Repo()
    sync(repo, notes(*SEED))
    sync(repo, notes(*_without_first()))
    p = sync(repo, notes(*SEED))
    assert kinds(p) == ["UpdateIssue"]
    assert "removed from notes" not in repo.issues[p.ops[0].number]["labels"]


def test_meetings_outside_the_scope_are_never_marked_removed() -> None:
    repo = Repo()
    sync(repo, notes(*SEED))
    feb = notes(item("Write the newsletter", 5), path="docs/meetings/2018-02-01.md", meetings=(FEB,))
    p = sync(repo, feb)  # a push that touched only February
    assert kinds(p) == ["EnsureLabel", "CreateIssue"]
    # Two meetings in one yearly file, only February read: January's items stay.
    yearly = notes(item("Write the newsletter", 5, meeting=1), path=PATH, meetings=(JAN, FEB))
    p = sync(repo, yearly, scope={(PATH, "2018-02-01")})
    assert "Comment" not in kinds(p) and "CloseIssue" not in kinds(p)


# ---------------------------------------------------------------- done, closed, duplicates


def test_done_in_notes_closes_as_completed_with_a_comment() -> None:
    repo = Repo()
    sync(repo, notes(*SEED))
    p = sync(repo, notes(*edited(0, done=True, opens_issue=False)))
    closes = [op for op in p.ops if isinstance(op, CloseIssue)]
    assert len(closes) == 1 and closes[0].reason == "completed" and "done" in (closes[0].comment or "")
    assert sync(repo, notes(*edited(0, done=True, opens_issue=False))).ops == ()


def test_done_from_the_start_never_opens() -> None:
    repo = Repo()
    p = sync(repo, notes(item("Already shipped", 3, done=True)))
    assert "CreateIssue" not in kinds(p) and not repo.issues


def test_closed_issue_is_never_reopened_and_never_twinned() -> None:
    repo = Repo()
    sync(repo, notes(*SEED))
    n = repo.by_title("WidgetConf talk proposals")["number"]
    repo.issues[n].update(state="closed", state_reason="completed")  # @actionbot done
    p = sync(repo, notes(*SEED))
    assert p.ops == ()
    p = sync(repo, notes(*edited(4, text="WidgetConf talk propsoals (Bruno/Ines)")))
    assert all(op.state is None for op in p.ops if isinstance(op, UpdateIssue))
    assert "CreateIssue" not in kinds(p) and repo.issues[n]["state"] == "closed"


def test_duplicates_close_the_younger_as_duplicate_of_the_older() -> None:
    repo = Repo()
    sync(repo, notes(SEED[0]))
    twin = dict(repo.issues[1], number=2)
    repo.issues[2] = twin
    p = sync(repo, notes(SEED[0]))
    [op] = p.ops
    assert isinstance(op, CloseIssue) and op.number == 2 and op.reason == "duplicate"
    assert "Duplicate of #1" in (op.comment or "")
    assert sync(repo, notes(SEED[0])).ops == ()


# ---------------------------------------------------------------- assignees, labels, commands


def test_assignees_are_mapped_assignable_non_tentative_owners_max_ten() -> None:
    people = {f"P{i}": f"login{i}" for i in range(12)}
    config = Config(people=people)
    many = item("Everyone reviews the roadmap", 3, *people, "Tent", tentative=("P0",))
    p = plan(desired_issues(notes(many), config, ctx()), [], config, tracking_repo="org/notes",
             assignable=lambda login: login != "login5")  # fmt: skip
    [create] = [op for op in p.ops if isinstance(op, CreateIssue)]
    assert len(create.assignees) == 10
    assert "login0" not in create.assignees and "login5" not in create.assignees
    assert "`@login5`" not in create.body and "@login5 (can not be assigned" in create.body
    assert "@login0 (tentative: not assigned)" in create.body


def test_only_unassignable_owners_means_needs_owner() -> None:
    p = plan(desired_issues(notes(replace(SEED[2], parent=None)), CONFIG, ctx()), [], CONFIG, tracking_repo="org/notes", assignable=set())
    [create] = [op for op in p.ops if isinstance(op, CreateIssue)]
    assert create.assignees == () and "needs owner" in create.labels


def test_created_body_mentions_own_owners_only() -> None:
    it = item("Widget gallery redesign, ask @olan (Ravi)", 3, "Ravi")
    p = plan(desired_issues(notes(it), CONFIG, ctx()), [], CONFIG, tracking_repo="org/notes")
    [create] = [op for op in p.ops if isinstance(op, CreateIssue)]
    visible = create.body.split("\n", 2)[2]  # below the hidden marker (which escapes '@')
    assert "@olan" not in render.marker_comment(render.parse_marker(create.body))
    in_text = re.sub(r"`[^`]*`", "", visible)  # code spans never notify (commands list, neutralised handles)
    mentions = [w for w in in_text.split() if w.startswith("@")]
    assert mentions == ["@ravi-k"]


def test_command_and_human_changes_survive_a_resync() -> None:
    repo = Repo()
    sync(repo, notes(*SEED))
    issue = repo.by_title("WidgetConf talk proposals")
    # @actionbot unassign bruno-dev, assign me (octocat), link; a human label; text under the block
    issue["assignees"] = ["octocat"]
    issue["labels"].append("priority")
    marker = render.parse_marker(issue["body"])
    issue["body"] = render.with_marker(issue["body"], replace(marker, links_added=("org/z#9",))) + "\n\nhuman note"
    p = sync(repo, notes(*SEED))
    [op] = p.ops
    assert isinstance(op, UpdateIssue) and op.changed == ("body",)  # the linked ref is listed
    assert "- org/z#9 (state unknown)" in issue["body"] and issue["body"].endswith("human note")
    assert issue["assignees"] == ["octocat"] and "priority" in issue["labels"]
    assert sync(repo, notes(*SEED)).ops == ()


def test_refs_closed_label_is_left_to_the_reference_handler() -> None:
    repo = Repo()
    sync(repo, notes(*SEED))
    repo.by_title("WidgetConf talk proposals")["labels"].append("refs closed")
    assert sync(repo, notes(*SEED)).ops == ()


def test_label_names_come_from_the_configuration() -> None:
    config = replace(CONFIG, labels=Labels(action_item="todo", meeting="mtg {date}", needs_owner="orphan"))
    p = plan(desired_issues(notes(SEED[0]), config, ctx()), [], config, tracking_repo="org/notes")
    [create] = [op for op in p.ops if isinstance(op, CreateIssue)]
    assert create.labels == ("todo", "mtg 2018-01-04", "orphan")
    styles = {op.name: op for op in p.ops if isinstance(op, EnsureLabel)}
    assert styles["todo"].color and "2018-01-04" in styles["mtg 2018-01-04"].description


def test_labels_known_to_the_repository_are_not_created_again() -> None:
    p = plan(desired_issues(notes(SEED[0]), CONFIG, ctx()), [], CONFIG, tracking_repo="org/notes",
             known_labels={"Action Item", "needs owner"})  # fmt: skip
    assert [op.name for op in p.ops if isinstance(op, EnsureLabel)] == ["meeting: 2018-01-04"]


# ---------------------------------------------------------------- options and limits


def test_write_cap_defers_the_rest_to_the_next_run() -> None:
    repo = Repo()
    config = replace(CONFIG, max_writes_per_run=4)
    p = sync(repo, notes(*SEED), config=config)
    assert p.writes == 4 and p.deferred
    while p.deferred:
        p = sync(repo, notes(*SEED), config=config)
        assert p.writes <= 4
    assert len(repo.issues) == 6
    assert not any(render.placeholder_keys(i["body"]) for i in repo.issues.values())
    assert sync(repo, notes(*SEED), config=config).ops == ()


def test_plan_serialises_and_describes() -> None:
    p = plan(desired_issues(notes(*SEED), CONFIG, ctx()), [], CONFIG, tracking_repo="org/notes")
    data = json.loads(p.to_json())
    assert data["writes"] == p.writes == len(p.ops)
    assert {op["op"] for op in data["ops"]} == {"ensure_label", "create_issue"}
    text = p.describe()
    assert "open 'Widget gallery redesign'" in text and "assignees: ravi-k" in text
    assert Plan().describe() == "nothing to do"


def test_issues_listing_skips_pull_requests_and_unmarked_issues() -> None:
    listing = [
        {"number": 1, "title": "a PR", "body": "", "state": "open", "pull_request": {}},
        {"number": 2, "title": "by hand", "body": "no marker", "state": "open", "labels": [{"name": "action item"}]},
    ]
    existing = existing_issues(listing)
    assert [e.number for e in existing] == [2] and existing[0].marker is None
    p = plan((), existing, CONFIG, tracking_repo="org/notes", scope={(PATH, "2018-01-04")})
    assert p.ops == ()


def test_one_meeting_copied_into_two_files_is_one_issue() -> None:
    repo = Repo()
    archive = notes(SEED[0], path="archive.md")
    own = notes(SEED[0], path="2018-01-04.md")
    sync(repo, archive, own)
    assert len(repo.issues) == 1
    assert sync(repo, archive, own).ops == ()


def test_carried_over_parent_links_its_later_sub_items_from_the_first_run() -> None:
    repo = Repo()
    jan = notes(*SEED[1:3], path="jan.md")  # parent + owned sub-item
    jan = notes(*(replace(it, parent=0 if it.parent is not None else None) for it in jan.items), path="jan.md")
    feb = notes(*(replace(it, line=it.line + 40) for it in jan.items), path="feb.md", meetings=(FEB,))
    sync(repo, jan, feb)
    assert len(repo.issues) == 2
    assert not any(render.placeholder_keys(i["body"]) for i in repo.issues.values())
    assert sync(repo, jan, feb).ops == ()


def test_the_whole_corpus_converges_in_one_run() -> None:
    from pathlib import Path

    from actionbot.notes.parse import parse_notes
    from tests.shared import shared_path

    folder = shared_path("corpus", "notes")
    files = [parse_notes(f.read_text(encoding="utf-8"), path=f.name, repo="org/notes") for f in sorted(Path(folder).glob("*.md"))]
    config = replace(CONFIG, max_writes_per_run=100_000)
    repo = Repo()
    first = sync(repo, *files, config=config)
    assert first.writes > 0 and not first.deferred
    assert sync(repo, *files, config=config).ops == ()
