"""Desired issues + existing issues -> the plan that makes GitHub match the notes (pure).

`plan` compares what the notes want (`actionbot.core.desired`) with the tracking
repository's action-item issues and returns a `Plan` of operations
(`actionbot.core.operations`). Because the plan is computed from GitHub's own state
(markers, labels, assignees), a re-run with nothing changed plans nothing, and
a run that died halfway is finished by the next one.

Rules (each has a test in tests/test_plan.py):
- an issue is found again by its marker's key, or by the matcher (same meeting,
  similar text) after edits, moves and file renames;
- an item listed again at a later meeting while its issue is open is carried over;
- an item gone from a meeting that was read (`scope`) is handled per `on_removed`;
- an item done in the notes closes its issue as completed, and never opens one;
- closed issues are never reopened; human titles, assignees and labels survive;
- two issues with one key: the younger is closed as a duplicate of the older;
- at most `max_writes_per_run` writes; the rest is deferred to the next run.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Literal

from actionbot.core import render, review
from actionbot.core.commands import MAX_ASSIGNEES, issue_help
from actionbot.core.config import Config
from actionbot.core.desired import DesiredIssue
from actionbot.core.existing import ExistingIssue
from actionbot.core.matching import (
    CARRY_OVER_THRESHOLD,
    COMMON_WORD,
    SAME_MEETING_THRESHOLD,
    Budget,
    Candidate,
    WordIndex,
    best_pairs,
    normalise_text,
)
from actionbot.core.operations import CloseIssue, Comment, CreateIssue, EnsureLabel, Operation, Plan, UpdateIssue
from actionbot.core.render import Marker
from actionbot.notes.collect import collector_paused

ISSUE_HELP = issue_help()  # the same text closes every issue's block


# ---------------------------------------------------------------- planning


Assignable = Callable[[str], bool] | Collection[str] | None


def plan(
    desired: Sequence[DesiredIssue],
    existing: Sequence[ExistingIssue],
    config: Config,
    *,
    tracking_repo: str | None = None,
    assignable: Assignable = None,
    scope: Collection[tuple[str, str | None]] | None = None,
    ref_states: Mapping[str, str | None] | None = None,
    known_labels: Collection[str] | None = None,
    reviews: Sequence[review.ReviewLine] = (),
    gone: Collection[str] = (),
) -> Plan:
    """The operations that make the tracking repository's issues match `desired`.

    `assignable`: who can be assigned (a predicate or a set of logins; None:
    everyone). `scope`: the (notes path, meeting date) pairs that were read in
    full; issues of other meetings are never marked removed (None: the pairs of
    `desired`). `known_labels`: labels the repository has (None: those seen on
    `existing`). `ref_states`: `owner/repo#N` -> open/closed/merged. `reviews`:
    lines of review sections (`actionbot.core.review`): they close or carry over
    the issues they name, never open one. `gone`:
    notes paths that issues name and the commit no longer has (their file
    moved): their undated issues may be found in any file, by text.
    """
    planner = _Planner(
        desired, existing, config, tracking_repo, assignable, scope, ref_states, known_labels, reviews, gone
    )
    with collector_paused():  # thousands of small objects, none garbage before the plan is made
        return planner.run()


class _Planner:
    def __init__(
        self,
        desired: Sequence[DesiredIssue],
        existing: Sequence[ExistingIssue],
        config: Config,
        tracking_repo: str | None,
        assignable: Assignable,
        scope: Collection[tuple[str, str | None]] | None,
        ref_states: Mapping[str, str | None] | None,
        known_labels: Collection[str] | None,
        reviews: Sequence[review.ReviewLine],
        gone: Collection[str],
    ):
        self.config = config
        self.labels = config.labels
        self.desired = list(desired)
        self.tracking_repo = tracking_repo or config.tracking_repo or (desired[0].repo if desired else "")
        if assignable is None:
            self.can_assign: Callable[[str], bool] = lambda login: True
        elif callable(assignable):
            self.can_assign = assignable
        else:
            folded = {a.casefold() for a in assignable}
            self.can_assign = lambda login: login.casefold() in folded
        self.scope = {(p, d) for p, d in scope} if scope is not None else {(d.path, d.meeting_date) for d in desired}
        self.ref_states = ref_states or {}
        self.known_labels = (
            {n.casefold() for n in known_labels}
            if known_labels is not None
            else {n.casefold() for e in existing for n in e.labels}
        )
        self.existing = sorted((e for e in existing if e.marker is not None), key=lambda e: e.number)
        self.creates: list[CreateIssue] = []
        self.dup_closes: list[CloseIssue] = []
        self.updates: list[UpdateIssue] = []
        self.comments: list[Comment] = []
        self.closes: list[CloseIssue] = []
        self.unchanged: list[int] = []
        self.used_labels: list[str] = []
        self.used_folded: set[str] = set()
        self.aliases: dict[str, str] = {}  # key of a later listing -> key of the issue it joins
        self.reviews = tuple(reviews)
        self.budget = Budget()  # fuzzy comparisons left: the plan stays linear in the notes
        self.gone = frozenset(gone)

    # ---- steps

    def run(self) -> Plan:
        canonical = self.close_duplicates()
        matches = self.match(canonical)
        by_number = {e.number: e for e in canonical}
        numbers = {self.desired[i].key: n for i, n in matches.items()}
        groups: dict[int, list[DesiredIssue]] = {}
        for i, n in matches.items():
            groups.setdefault(n, []).append(self.desired[i])
        for n, group in sorted(groups.items()):
            self.update_existing(by_number[n], group, numbers)
        self.create_new([d for i, d in enumerate(self.desired) if i not in matches], numbers)
        for issue in canonical:
            if issue.number not in groups:
                self.handle_removed(issue)
        self.apply_reviews(by_number, set(groups))
        return self.finish(numbers)

    def close_duplicates(self) -> list[ExistingIssue]:
        first: dict[str, ExistingIssue] = {}
        canonical: list[ExistingIssue] = []
        for issue in self.existing:  # oldest first
            assert issue.marker is not None
            original = first.get(issue.marker.key)
            if original is None:
                first[issue.marker.key] = issue
                canonical.append(issue)
            elif issue.is_open:
                self.dup_closes.append(
                    CloseIssue(issue.number, "duplicate", render.duplicate_comment(issue.marker.key, original.number), issue.marker.key)
                )
        return canonical

    def match(self, canonical: list[ExistingIssue]) -> dict[int, int]:
        """desired index -> issue number."""
        matches: dict[int, int] = {}
        taken: set[int] = set()
        by_key = {e.marker.key: e for e in canonical if e.marker}
        for i, d in enumerate(self.desired):
            # Many items may share a key: the same meeting copied into two files
            # (a yearly archive and the meeting's own file) is one item.
            e = by_key.get(d.key)
            if e and e.marker and e.marker.repo.casefold() == d.repo.casefold():
                matches[i] = e.number
                taken.add(e.number)

        def group(repo: str, date: str | None, path: str) -> tuple[str, str | None, str | None]:
            return (repo.casefold(), date, None if date else path)

        wanted = [
            Candidate(i, group(d.repo, d.meeting_date, d.path), d.norm_text)
            for i, d in enumerate(self.desired) if i not in matches
        ]  # fmt: skip
        have = [
            Candidate(e.number, group(e.marker.repo, e.marker.meeting, e.marker.path), _marker_norm(e.marker))
            for e in canonical if e.marker and e.number not in taken
        ]  # fmt: skip
        self.pair(wanted, have, matches, taken)
        self.match_moved(canonical, matches, taken)
        self.carry_over(matches, canonical)
        return matches

    def carry_over(self, matches: dict[int, int], canonical: list[ExistingIssue]) -> None:
        """An item at a later meeting, like an issue still open from an earlier one, joins it.

        Open dated issues are indexed by text and by word, so each item is
        weighed against the few that could be alike, not against every issue.
        """
        issues = [e for e in canonical if e.is_open and e.marker and e.marker.meeting]
        if not issues:
            return  # a first sync: nothing to carry over to
        texts = [_marker_norm(e.marker) for e in issues if e.marker]
        by_text: dict[str, list[int]] = {}
        index = WordIndex()
        for k, text in enumerate(texts):
            by_text.setdefault(text, []).append(k)
            index.add(k, text)
        for i, d in enumerate(self.desired):
            if i in matches or not d.meeting_date:
                continue
            best: tuple[float, int] | None = None
            same = by_text.get(d.norm_text, [])[:COMMON_WORD]
            fuzzy = [] if self.budget.spent else index.candidates(d.norm_text)
            for k in sorted({*same, *fuzzy}):
                m = issues[k].marker
                if not (m and m.meeting and m.meeting < d.meeting_date and m.repo.casefold() == d.repo.casefold()):
                    continue
                score = 1.0 if texts[k] == d.norm_text else self.budget.similar(d.norm_text, texts[k], CARRY_OVER_THRESHOLD)
                if score and (best is None or score > best[0]):
                    best = (score, issues[k].number)
            if best:
                matches[i] = best[1]

    def match_moved(self, canonical: list[ExistingIssue], matches: dict[int, int], taken: set[int]) -> None:
        """Undated issues found again although their key no longer fits, paired by text.

        An undated item's key names its file and no date. When that file is
        gone (moved or renamed), the item's text finds it in any file; when its
        meeting has a date now (a heading the reader did not take for a date
        before, such as `## 2022-06`), its text finds it in the same file.
        """
        undated = [e for e in canonical if e.marker and e.number not in taken and not e.marker.meeting]
        if not undated:
            return
        rest = [(i, d) for i, d in enumerate(self.desired) if i not in matches]
        self.pair(
            [Candidate(i, (d.repo.casefold(), None, d.path), d.norm_text) for i, d in rest if d.meeting_date],
            [Candidate(e.number, (e.marker.repo.casefold(), None, e.marker.path), _marker_norm(e.marker))
             for e in undated if e.marker],
            matches,
            taken,
        )  # fmt: skip
        if self.gone:
            self.pair(
                [Candidate(i, (d.repo.casefold(), None, None), d.norm_text) for i, d in rest if i not in matches],
                [Candidate(e.number, (e.marker.repo.casefold(), None, None), _marker_norm(e.marker))
                 for e in undated if e.marker and e.number not in taken and e.marker.path in self.gone],
                matches,
                taken,
            )  # fmt: skip

    def pair(self, wanted: list[Candidate], have: list[Candidate], matches: dict[int, int], taken: set[int]) -> None:
        for i, n in best_pairs(wanted, have, SAME_MEETING_THRESHOLD, self.budget).items():
            matches[i] = n
            taken.add(n)

    def update_existing(self, issue: ExistingIssue, group: list[DesiredIssue], numbers: Mapping[str, int]) -> None:
        """Bring one matched issue in line with its items: body, title, labels, assignees, closing."""
        marker = issue.marker
        assert marker is not None
        latest = max(group, key=lambda d: (d.meeting_date or "", d.line))
        dates = {d.meeting_date for d in group if d.meeting_date}
        known = set(marker.meetings) | ({marker.meeting} if marker.meeting else set())
        new_dates = sorted(dates - known)
        meetings = tuple(sorted(known | dates))
        carried = bool(new_dates) and issue.is_open and any(d > min(known, default=d) for d in new_dates)

        want = self.assignee_logins(latest)
        current = list(issue.assignees)
        assignees = _next_assignees(current, marker.owners, want)
        title, new_marker_title = _retitle(issue, marker, latest)
        new_marker = replace(
            marker,
            path=latest.path,
            text=latest.norm_text,
            title=new_marker_title,
            meetings=meetings,
            owners=tuple(want),
        )
        labels = self.item_labels(issue.labels, meetings, needs_owner=not assignees, carried=len(meetings) > 1)
        body = render.replace_block(issue.body, self.block(latest, new_marker, numbers))

        update = UpdateIssue(
            issue.number,
            title=title,
            body=None if render.same_body(body, issue.body) else body,
            labels=None if _same_set(labels, issue.labels) else tuple(labels),
            assignees=None if _same_set(assignees, current) else tuple(assignees),
            key=marker.key,
        )
        changed = bool(update.changed)
        if changed:
            self.updates.append(update)
        if carried:
            self.comments.append(
                Comment(issue.number, render.carried_over_comment(latest, marker.key), marker.key, "carried-over")
            )
        if latest.done and issue.is_open:
            self.closes.append(CloseIssue(issue.number, "completed", render.done_comment(latest, marker.key), marker.key))
        elif not changed and not carried:
            self.unchanged.append(issue.number)

    def create_new(self, unmatched: list[DesiredIssue], numbers: dict[str, int]) -> None:
        # Items new to GitHub, oldest meeting first, so that the same item at a
        # later meeting joins the issue about to be opened instead of a twin.
        pending = self.join_listings(unmatched)
        known_numbers = {k: n for k, n in numbers.items() if n}  # once: per issue it was quadratic
        for group in pending:
            for d in group[1:]:
                if d.key != group[0].key:
                    self.aliases[d.key] = group[0].key
        for group in pending:
            latest = group[-1]
            if latest.done:
                continue  # done from the start: never opened
            first = group[0]
            want = self.assignee_logins(latest)
            mentioned = latest.logins(tentative=True)[:MAX_ASSIGNEES]
            meetings = tuple(sorted({d.meeting_date for d in group if d.meeting_date}))
            marker = Marker(
                key=first.key,
                repo=first.repo,
                path=latest.path,
                meeting=first.meeting_date,
                text=latest.norm_text,
                title=latest.title,
                meetings=meetings,
                owners=tuple(want),
                mentioned=mentioned,
            )
            labels = self.item_labels((), meetings, needs_owner=not want, carried=len(meetings) > 1)
            block = self.block(latest, marker, known_numbers)
            self.creates.append(CreateIssue(first.key, latest.title, block, tuple(labels), tuple(want)))

    def join_listings(self, unmatched: list[DesiredIssue]) -> list[list[DesiredIssue]]:
        """New items in groups, each group one issue: its listings at one meeting and later ones.

        An item joins the group with its key, else the oldest open group of an
        earlier meeting with the same text, else one with similar text. Groups
        are indexed by key, text and word, so each item is weighed against a
        few groups, not all of them.
        """
        pending: list[list[DesiredIssue]] = []
        by_key: dict[str, int] = {}
        by_text: dict[tuple[str, str], list[int]] = {}
        index = WordIndex()

        def joinable(g: int, d: DesiredIssue) -> bool:
            first = pending[g][0]
            return bool(
                d.meeting_date and first.meeting_date and first.meeting_date < d.meeting_date
                and first.repo.casefold() == d.repo.casefold() and not pending[g][-1].done
            )

        earliest: str | None = None  # the oldest meeting of a dated group: nothing older to join before it
        for d in sorted(unmatched, key=lambda d: (d.meeting_date or "", d.path, d.line)):
            home = by_key.get(d.key)
            text = (d.repo.casefold(), d.norm_text)
            later = bool(d.meeting_date and earliest and earliest < d.meeting_date)
            if home is None and later:
                home = next((g for g in by_text.get(text, [])[:COMMON_WORD] if joinable(g, d)), None)
            if home is None and later and not self.budget.spent:
                home = next(
                    (g for g in index.candidates(d.norm_text) if joinable(g, d)
                     and self.budget.similar(pending[g][0].norm_text, d.norm_text, CARRY_OVER_THRESHOLD)),
                    None,
                )  # fmt: skip
            if home is not None:
                pending[home].append(d)
                continue
            by_key.setdefault(d.key, len(pending))
            if d.meeting_date:
                earliest = earliest or d.meeting_date  # sorted: the first dated one is the oldest
                by_text.setdefault(text, []).append(len(pending))
                index.add(len(pending), d.norm_text)
            pending.append([d])
        return pending

    def handle_removed(self, issue: ExistingIssue) -> None:
        marker = issue.marker
        assert marker is not None
        dates = {marker.meeting, *marker.meetings} if (marker.meeting or marker.meetings) else {None}
        if not all((marker.path, d) in self.scope for d in dates):
            return  # some meeting it is listed at was not read: nothing can be said
        mode = self.config.on_removed
        if mode == "ignore" or not issue.is_open:
            self.unchanged.append(issue.number)
            return
        if mode == "close":
            self.closes.append(
                CloseIssue(issue.number, "not_planned", render.removed_comment(marker.key, marker.path, closing=True), marker.key)
            )
            return
        removed = self.labels.removed
        if any(lb.casefold() == removed.casefold() for lb in issue.labels):
            self.unchanged.append(issue.number)
            return  # already told
        self.use_label(removed)
        self.updates.append(UpdateIssue(issue.number, labels=(*issue.labels, removed), key=marker.key))
        self.comments.append(
            Comment(issue.number, render.removed_comment(marker.key, marker.path, closing=False), marker.key, "removed")
        )

    def apply_reviews(self, by_number: Mapping[int, ExistingIssue], matched: set[int]) -> None:
        """Review lines close (or ask about) and carry over the issues they name; issues
        this run already changed from the notes themselves are left to that change."""
        touched = matched | {u.number for u in self.updates} | {c.number for c in self.comments} | {c.number for c in self.closes}
        for d in review.decide(self.reviews, list(by_number.values()), self.config, self.tracking_repo):
            issue = by_number.get(d.number)
            if issue is None or d.number in touched:
                continue
            body = review.with_meetings(issue.body, d.marker)
            done = d.line.mark == review.DONE
            if d.action == "close":
                reason: Literal["completed", "not_planned"] = "completed" if done else "not_planned"
                why = f"marked {'done' if done else 'dropped'} at the review of {d.line.date}"
                self.closes.append(CloseIssue(d.number, reason, review.closing_comment(d), d.marker.key, body=body, detail=why))
                continue
            if d.action == "ask":
                self.updates.append(UpdateIssue(d.number, body=body, key=d.marker.key))
                self.comments.append(Comment(d.number, review.asking_comment(d), d.marker.key, "review"))
                continue
            labels = self.item_labels(issue.labels, d.marker.meetings, needs_owner=not issue.assignees, carried=True)
            self.updates.append(UpdateIssue(d.number, body=body, labels=tuple(labels), key=d.marker.key))
            self.comments.append(Comment(d.number, review.carried_comment(d), d.marker.key, "carried-over"))

    # ---- helpers

    def block(self, latest: DesiredIssue, marker: Marker, numbers: Mapping[str, int]) -> str:
        return render.render_block(
            latest,
            marker,
            tracking_repo=self.tracking_repo,
            ref_states=self.ref_states,
            sub_issue_numbers=numbers,
            assignable=[o.login for o in latest.owners if o.login and self.can_assign(o.login)],
            commands_help=ISSUE_HELP,
        )

    def assignee_logins(self, d: DesiredIssue) -> list[str]:
        return [login for login in d.logins() if self.can_assign(login)][:MAX_ASSIGNEES]

    def item_labels(
        self, current: Iterable[str], meetings: Iterable[str], *, needs_owner: bool, carried: bool
    ) -> list[str]:
        """Current labels with the ones actionbot manages made right (others, refs closed included, kept)."""
        lb = self.labels
        managed = {lb.action_item, lb.needs_owner, lb.carried_over, lb.removed}
        managed_fold = {m.casefold() for m in managed}
        kept = [x for x in current if x.casefold() not in managed_fold and not lb.is_meeting_label(x)]
        wanted = [lb.action_item, *(lb.for_meeting(m) for m in meetings)]
        if needs_owner:
            wanted.append(lb.needs_owner)
        if carried:
            wanted.append(lb.carried_over)
        # Keep the order GitHub has, append what is new: a stable order compares equal.
        wanted_fold = {w.casefold() for w in wanted}
        out = [x for x in current if x in kept or x.casefold() in wanted_fold]
        have = {x.casefold() for x in out}
        for w in wanted:
            if w.casefold() not in have:
                have.add(w.casefold())
                out.append(w)
        for w in wanted:
            self.use_label(w)
        return out

    def unalias(self, body: str) -> str:
        for key in render.placeholder_keys(body):
            if key in self.aliases:
                body = body.replace(render.issue_placeholder(key), render.issue_placeholder(self.aliases[key]))
        return body

    def use_label(self, name: str) -> None:
        if name.casefold() not in self.used_folded:  # a set: one label per meeting can be many
            self.used_folded.add(name.casefold())
            self.used_labels.append(name)

    def ensure_labels(self) -> list[EnsureLabel]:
        out = []
        for name in self.used_labels:
            if name.casefold() in self.known_labels:
                continue
            style, description = self.style_for(name)
            out.append(EnsureLabel(name, style.color, description))
        return out

    def style_for(self, name: str) -> tuple[render.LabelStyle, str]:
        lb = self.labels
        if lb.is_meeting_label(name):
            style = render.LABEL_STYLES["meeting"]
            date = re.search(r"\d{4}-\d{2}-\d{2}", name)
            return style, f"Listed at the meeting of {date.group(0) if date else 'this date'} (actionbot)"
        for kind in ("action_item", "needs_owner", "refs_closed", "removed", "carried_over", "dashboard"):
            if getattr(lb, kind).casefold() == name.casefold():
                style = render.LABEL_STYLES[kind]
                return style, style.description
        return render.LabelStyle("ededed", "actionbot"), "actionbot"

    def finish(self, numbers: Mapping[str, int]) -> Plan:
        if self.aliases:
            # A placeholder for an item that joined another one's new issue points to that issue.
            self.creates = [replace(c, body=self.unalias(c.body)) for c in self.creates]
            self.updates = [replace(u, body=self.unalias(u.body)) if u.body else u for u in self.updates]
        creates = _children_first(self.creates)
        ops: list[Operation] = [
            *self.ensure_labels(), *self.dup_closes, *creates, *self.updates, *self.comments, *self.closes
        ]  # fmt: skip
        cap = self.config.max_writes_per_run
        kept: list[Operation] = []
        deferred: list[Operation] = []
        used = 0
        for op in ops:
            if not deferred and used + op.writes <= cap:
                kept.append(op)
                used += op.writes
            else:
                deferred.append(op)
        return Plan(
            tuple(kept),
            tuple(deferred),
            tuple(sorted(set(self.unchanged))),
            {k: n for k, n in numbers.items() if n},
        )


def _marker_norm(marker: Marker) -> str:
    return normalise_text(marker.text or marker.title)


def _same_set(a: Iterable[str], b: Iterable[str]) -> bool:
    return {x.casefold() for x in a} == {x.casefold() for x in b}


def _children_first(creates: list[CreateIssue]) -> list[CreateIssue]:
    """Order creates so that an issue whose body links sub-item issues comes after them."""
    by_key = {c.key: c for c in creates}
    done: set[str] = set()
    out: list[CreateIssue] = []

    def visit(c: CreateIssue, stack: set[str]) -> None:
        if c.key in done or c.key in stack:
            return
        stack.add(c.key)
        for k in c.needs:
            if k in by_key:
                visit(by_key[k], stack)
        done.add(c.key)
        out.append(c)

    for c in creates:
        visit(c, set())
    return out


def _next_assignees(current: Sequence[str], marker_owners: Sequence[str], want: Sequence[str]) -> list[str]:
    """Assignees after a run: owners the notes dropped leave, new ones join, people a human added stay."""
    cur_fold = {a.casefold() for a in current}
    prev = {o.casefold() for o in marker_owners}
    want_fold = {w.casefold() for w in want}
    add = [w for w in want if w.casefold() not in prev and w.casefold() not in cur_fold]
    drop = {p for p in prev if p not in want_fold}
    return ([a for a in current if a.casefold() not in drop] + add)[:MAX_ASSIGNEES]


def _retitle(issue: ExistingIssue, marker: Marker, latest: DesiredIssue) -> tuple[str | None, str]:
    """(new issue title or None, title to record in the marker).

    A human retitle wins; the bot retitles only when the item's text changed it.
    """
    if marker.title and issue.title == marker.title and latest.title != issue.title:
        return latest.title, latest.title
    return None, marker.title
