"""What an action item is told when something it references closes or reopens (pure).

A referenced PR or issue changes state; each action-item issue that references
it gets one comment. "Exactly once" rests on GitHub, not on the service's
memory: the comment carries a hidden marker naming the reference and the
moment of the change, and the handler looks for that marker among the item's
comments before posting (and keeps only the oldest when two replicas raced).
A redelivery has the same timestamp, so the same marker; a close, reopen and
close again has a new one, so it is reported again.

The same values come from two places: `issues` / `pull_request` webhooks for
repositories where the app is installed (`event_from_payload`), and a periodic
conditional `get_issue` for the others (`state_from_issue` + `changes`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from actionbot.core.safe_text import one_line

OPEN, CLOSED, MERGED = "open", "closed", "merged"
# Not a state: what a public item lists for a private repository's item, whose state it
# must not show. Never counts as closed (no `refs closed` label, no close on it).
PRIVATE = "private"

@dataclass(frozen=True)
class RefState:
    """A referenced issue or PR as last read: enough to say what it is and what happened."""

    ref: str  # "owner/repo#N"
    state: str  # OPEN | CLOSED | MERGED
    is_pull: bool = False
    html_url: str = ""
    title: str = ""
    closed_at: str | None = None
    closed_by: str | None = None  # merged_by for a merged PR, when known
    state_reason: str | None = None  # issues: "completed" | "not_planned" | "reopened"
    updated_at: str | None = None
    private: bool = False  # in a private repository (known from a webhook's `repository`)

    @property
    def closed(self) -> bool:
        return self.state != OPEN


@dataclass(frozen=True)
class RefEvent:
    """A reference closed (merged or not) or reopened."""

    action: str  # "closed" | "reopened"
    target: RefState
    actor: str | None  # who closed / merged / reopened, when known
    at: str  # when: closed_at (merged_at) for a close, updated_at for a reopen

    @property
    def marker(self) -> str:
        return marker(self.action, self.target.ref, self.at)


def marker(action: str, ref: str, at: str) -> str:
    """The hidden line that makes a notice findable (and so postable once)."""
    return f"<!-- actionbot:ref-{action} {ref} {action}-at={at} -->"


def _login(user: Mapping[str, Any] | None) -> str | None:
    return user.get("login") if user else None


def state_from_issue(repo: str, issue: Mapping[str, Any]) -> RefState:
    """A `get_issue` answer (issues and PRs alike) -> RefState.

    The issues endpoint tells a PR by its `pull_request` object, whose
    `merged_at` says whether it merged, so one (ETag-cached) request per
    reference is enough for the periodic check.
    """
    pull = issue.get("pull_request")
    merged = bool(pull and pull.get("merged_at"))
    state = MERGED if merged else (CLOSED if issue.get("state") == "closed" else OPEN)
    return RefState(
        ref=f"{repo}#{int(issue['number'])}",
        state=state,
        is_pull=pull is not None,
        html_url=issue.get("html_url", ""),
        title=issue.get("title", ""),
        closed_at=(pull.get("merged_at") if pull and merged else None) or issue.get("closed_at"),
        closed_by=_login(issue.get("closed_by")),
        state_reason=issue.get("state_reason"),
        updated_at=issue.get("updated_at"),
    )


def state_from_pull(repo: str, pull: Mapping[str, Any]) -> RefState:
    """A `pull_request` webhook's PR object -> RefState."""
    merged = bool(pull.get("merged") or pull.get("merged_at"))
    state = MERGED if merged else (CLOSED if pull.get("state") == "closed" else OPEN)
    return RefState(
        ref=f"{repo}#{int(pull['number'])}",
        state=state,
        is_pull=True,
        html_url=pull.get("html_url", ""),
        title=pull.get("title", ""),
        closed_at=(pull.get("merged_at") if merged else None) or pull.get("closed_at"),
        closed_by=_login(pull.get("merged_by")) if merged else None,
        updated_at=pull.get("updated_at"),
    )


def event_from_payload(event: str, payload: Mapping[str, Any]) -> RefEvent | None:
    """An `issues` / `pull_request` closed|reopened delivery -> RefEvent (None for other actions)."""
    action = payload.get("action")
    if action not in ("closed", "reopened") or event not in ("issues", "pull_request"):
        return None
    repo = payload["repository"]["full_name"]
    sender = _login(payload.get("sender"))
    if event == "pull_request":
        target = state_from_pull(repo, payload["pull_request"])
    else:
        target = state_from_issue(repo, payload["issue"])
    if payload["repository"].get("private"):
        target = RefState(**{**target.__dict__, "private": True})
    if action == "closed":
        actor = target.closed_by or sender
        at = target.closed_at or target.updated_at or ""
    else:
        # A reopened item's closed_at is cleared; updated_at marks this reopening.
        actor = sender
        at = target.updated_at or ""
        target = RefState(**{**target.__dict__, "state": OPEN, "closed_at": None})
    return RefEvent(action=action, target=target, actor=actor, at=at)


def changes(previous: Mapping[str, RefState], current: Iterable[RefState]) -> list[RefEvent]:
    """What the periodic check saw change: closes and reopenings since the last reading.

    A reference seen for the first time is not news (its state is in the
    item's body already); only a transition is.
    """
    events: list[RefEvent] = []
    for now in current:
        before = previous.get(now.ref.lower()) or previous.get(now.ref)
        if before is None or before.closed == now.closed:
            continue
        if now.closed:
            events.append(RefEvent("closed", now, now.closed_by, now.closed_at or now.updated_at or ""))
        else:
            events.append(RefEvent("reopened", now, None, now.updated_at or ""))
    return events


PRIVATE_NOTICE = "A referenced item in a private repository changed. Its details are not shown here."


def notice_for(event: RefEvent, *, hidden: bool) -> tuple[str, str]:
    """(comment, marker) of a notice; `hidden` when a private repository's item would show on a public one.

    A hidden notice is only "a referenced item in a private repository": no
    name, title, state or person, and its marker names the reference by a digest.
    """
    if hidden:
        return f"{PRIVATE_NOTICE}\n\n{private_marker(event)}", private_marker(event)
    return notice(event), event.marker


def notice(event: RefEvent) -> str:
    """The comment on an action item: what changed, merged or not, by whom, a link, the marker.

    Logins are written without "@": the person who merged is not notified
    about someone else's action item. The title is someone else's text, so it
    is neutralised.
    """
    t = event.target
    kind = "pull request" if t.is_pull else "issue"
    title = f" ({one_line(t.title)})" if t.title else ""
    by = f" by **{event.actor}**" if event.actor else ""
    if event.action == "closed":
        if t.is_pull:
            what = "was **merged**" if t.state == MERGED else "was closed **without being merged**"
        elif t.state_reason == "not_planned":
            what = "was closed as not planned"
        else:
            what = "was closed"
    else:
        what = "was **reopened**"
    link = f": {t.html_url}" if t.html_url else "."
    return f"The referenced {kind} **{t.ref}**{title} {what}{by}{link}\n\n{event.marker}"


def private_marker(event: RefEvent) -> str:
    """The notice marker of a private reference on a public item: the same once-only key, no name."""
    digest = hashlib.sha256(event.target.ref.lower().encode()).hexdigest()[:16]
    return marker(event.action, f"private/{digest}#0", event.at)


def already_reported(comments: Iterable[Mapping[str, Any]], event_marker: str) -> bool:
    """Whether one of the issue's comments carries this exact notice marker."""
    return any(event_marker in (c.get("body") or "") for c in comments)


def duplicates(comments: Iterable[Mapping[str, Any]], event_marker: str) -> list[int]:
    """Ids of all comments with this marker but the oldest: what two racing replicas must delete."""
    found = sorted(
        (c for c in comments if event_marker in (c.get("body") or "")),
        key=lambda c: (c.get("created_at") or "", int(c["id"])),
    )
    return [int(c["id"]) for c in found[1:]]


@dataclass(frozen=True)
class LabelPlan:
    """What the item's issue needs after a reference changed state."""

    add_label: bool = False
    remove_label: bool = False
    close: bool = False  # close as completed (close_when_refs_closed)
    comment: str | None = None  # said when closing

    @property
    def nothing(self) -> bool:
        return not (self.add_label or self.remove_label or self.close)


def refs_label_plan(
    refs: Iterable[str],
    states: Mapping[str, str],
    *,
    has_label: bool,
    issue_open: bool,
    close_when_refs_closed: bool,
) -> LabelPlan:
    """`refs closed` on when every reference is closed, off when one is open again.

    `states` maps refs (any case) to OPEN/CLOSED/MERGED; a reference whose
    state is unknown or not shown (PRIVATE) counts as open (never close an
    item on a guess, and never let a label tell what a public item must not). With
    `close_when_refs_closed`, an open item is closed as completed instead of
    labelled; a closed item is left alone.
    """
    lowered = {k.lower(): v for k, v in states.items()}
    refs = list(dict.fromkeys(r.lower() for r in refs))
    all_closed = bool(refs) and all(lowered.get(r) in (CLOSED, MERGED) for r in refs)
    if all_closed:
        if close_when_refs_closed and issue_open:
            listed = ", ".join(f"**{r}**" for r in refs)
            return LabelPlan(
                close=True,
                comment=(
                    f"Everything this item references is closed ({listed}), so it is closed as completed "
                    "(`close_when_refs_closed` is on). Reopen it if work remains."
                ),
            )
        return LabelPlan(add_label=not has_label)
    return LabelPlan(remove_label=has_label)


# --- the item's reference list, as `render.render_block` writes it ------------------------
# "**References:**" then one "- owner/repo#N (state)" line per reference. The
# handlers keep that list current between syncs (a state change, a `link`),
# writing exactly what the next sync would write, so the sync finds nothing to
# change.

_REFS_HEAD = "**References:**"
_REF_LINE = re.compile(r"^- (?P<ref>[^\s#]+/[^\s#]+#\d+) \((?P<state>[^)]*)\)\s*$")
_STATE_WORDS = {OPEN: "open", CLOSED: "closed", MERGED: "merged", PRIVATE: "a referenced item in a private repository"}
_WORD_STATES = {v: k for k, v in _STATE_WORDS.items()}
UNKNOWN_TEXT = "state unknown"


def state_text(state: str | None) -> str:
    """How a reference's state reads in an item's list, the dashboard and the review list."""
    return _STATE_WORDS.get(state or "", UNKNOWN_TEXT)


def refs_in_body(body: str | None) -> dict[str, str | None]:
    """The references listed in an action item's body -> their listed state (None: unknown)."""
    out: dict[str, str | None] = {}
    lines = (body or "").replace("\r\n", "\n").split("\n")
    try:
        start = lines.index(_REFS_HEAD)
    except ValueError:
        return out
    for line in lines[start + 1 :]:
        m = _REF_LINE.match(line)
        if not m:
            break
        out[m.group("ref")] = _WORD_STATES.get(m.group("state"))
    return out


def body_with_refs(body: str | None, refs: Mapping[str, str | None]) -> str:
    """`body` with its reference list replaced by `refs` (ref -> state), in order.

    The list lives inside the bot's block (`<!-- actionbot:end -->` closes
    it); with no list yet it goes just before the collapsed commands, or the
    block's end.
    """
    body = (body or "").replace("\r\n", "\n")
    lines = body.split("\n")
    new = [f"- {ref} ({state_text(state)})" for ref, state in refs.items()]
    if _REFS_HEAD in lines:
        start = lines.index(_REFS_HEAD)
        end = start + 1
        while end < len(lines) and _REF_LINE.match(lines[end]):
            end += 1
        if new:
            lines[start + 1 : end] = new
        else:  # drop the heading and the blank line before it
            cut = start - 1 if start > 0 and lines[start - 1] == "" else start
            del lines[cut:end]
        return "\n".join(lines)
    if not new:
        return body
    block = ["", _REFS_HEAD, *new]
    for anchor in ("<details><summary>Commands</summary>", "<!-- actionbot:end -->"):
        for i, line in enumerate(lines):
            if line.startswith(anchor):
                at = i - 1 if i > 0 and lines[i - 1] == "" else i
                lines[at:at] = block
                return "\n".join(lines)
    return "\n".join([*lines, *block])
