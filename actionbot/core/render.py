"""What an action item's issue looks like: title, body block, hidden marker, comments.

Pure functions of plain values. The body has a block the bot owns, between
`<!-- actionbot:begin -->` and `<!-- actionbot:end -->`; whatever a human writes
outside it survives every rewrite. Inside the block, a hidden marker
`<!-- actionbot:marker {json} -->` carries the item's identity (notes repo, path,
meeting, a stable key) and the state that must live in GitHub rather than in a
cache: which logins were already @-mentioned, which references `@actionbot
link`/`unlink` added or removed, which meetings listed the item.

Mentions: only the item's own mapped owners are ever written as `@login`, and
only the ones recorded in the marker's `mentioned` list, which is fixed when
the issue is created. A later rewrite therefore writes the same `@login` text
(GitHub only notifies on mentions in new text) and any owner added later is
written as `` `@login` ``, a code span that never notifies (the assignment
does). Handles copied from the notes are put in code spans too.
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from actionbot.core.desired import DesiredIssue, permalink
from actionbot.core.refstate import state_text
from actionbot.core.safe_text import code, no_markup, no_mentions, one_line

BEGIN = "<!-- actionbot:begin -->"
END = "<!-- actionbot:end -->"
MARKER_PREFIX = "<!-- actionbot:marker "

# ---------------------------------------------------------------- the marker


@dataclass(frozen=True)
class Marker:
    """Identity and persisted state of an action-item issue, kept in its body."""

    key: str  # stable: set at creation, never recomputed
    repo: str  # the notes repository (OWNER/NAME)
    path: str  # the notes file as of the last write (a moved file's issues keep it until the item changes)
    meeting: str | None  # date of the meeting that first listed the item
    text: str = ""  # the item's normalised text as of the last sync (the matcher compares it)
    title: str = ""  # the title the bot last set (a different title = a human retitled)
    meetings: tuple[str, ...] = ()  # every meeting date that listed the item (carry-over)
    owners: tuple[str, ...] = ()  # logins the notes gave at the last sync (assignee deltas)
    mentioned: tuple[str, ...] = ()  # logins @-mentioned at creation: the only ones ever
    links_added: tuple[str, ...] = ()  # references added by `@actionbot link`
    links_removed: tuple[str, ...] = ()  # references removed by `@actionbot unlink`
    self_assigned: tuple[str, ...] = ()  # took it with `assign me` without triage access: not owners
    extra: Mapping[str, Any] = field(default_factory=dict)  # keys of newer versions, kept

    def to_json(self) -> str:
        data: dict[str, Any] = {"v": 1}
        data.update(self.extra)
        for name in _MARKER_FIELDS:
            value = getattr(self, name)
            if name in _WRITTEN_WHEN_SET and not value:
                continue  # markers written before the field existed stay byte for byte the same
            data[name] = list(value) if isinstance(value, tuple) else value
        return json.dumps(data, ensure_ascii=True, sort_keys=True, separators=(",", ":"))


_MARKER_FIELDS = (
    "key", "repo", "path", "meeting", "text", "title", "meetings",
    "owners", "mentioned", "links_added", "links_removed", "self_assigned",
)  # fmt: skip
_WRITTEN_WHEN_SET = frozenset({"self_assigned"})
_MARKER_RE = re.compile(r"<!-- actionbot:marker (\{.*?\}) -->", re.S)


def marker_comment(marker: Marker) -> str:
    """The hidden HTML comment; `--` and `>` are escaped so no value can end the comment,
    and `@` so that no copied handle can ever count as a mention."""
    payload = marker.to_json().replace("--", "-\\u002d").replace(">", "\\u003e").replace("@", "\\u0040")
    return f"{MARKER_PREFIX}{payload} -->"


def parse_marker(body: str | None) -> Marker | None:
    """The marker in an issue body, or None (not ours, or damaged beyond reading)."""
    if not body:
        return None
    match = _MARKER_RE.search(body)
    if not match:
        return None
    try:
        data = json.loads(match.group(1))
    except ValueError:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("key"), str) or not data["key"]:
        return None
    try:
        return Marker(
            key=data["key"],
            repo=str(data.get("repo") or ""),
            path=str(data.get("path") or ""),
            meeting=data.get("meeting") if isinstance(data.get("meeting"), str) else None,
            text=str(data.get("text") or ""),
            title=str(data.get("title") or ""),
            meetings=_str_tuple(data.get("meetings")),
            owners=_str_tuple(data.get("owners")),
            mentioned=_str_tuple(data.get("mentioned")),
            links_added=_str_tuple(data.get("links_added")),
            links_removed=_str_tuple(data.get("links_removed")),
            self_assigned=_str_tuple(data.get("self_assigned")),
            extra={k: v for k, v in data.items() if k not in _MARKER_FIELDS and k != "v"},
        )
    except (TypeError, ValueError):
        return None


def _str_tuple(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str))


def with_marker(body: str | None, marker: Marker) -> str:
    """`body` with its marker replaced by `marker` (inserted in the bot's block, or on top)."""
    body = body or ""
    comment = marker_comment(marker)
    if _MARKER_RE.search(body):
        return _MARKER_RE.sub(lambda _: comment, body, count=1)
    if BEGIN in body:
        return body.replace(BEGIN, f"{BEGIN}\n{comment}", 1)
    return f"{comment}\n{body}" if body else comment


# ---------------------------------------------------------------- the block


def replace_block(body: str | None, block: str) -> str:
    """`body` with the bot's block replaced by `block`; text outside the block is kept."""
    body = body or ""
    start = body.find(BEGIN)
    end = body.find(END, start + len(BEGIN)) if start >= 0 else -1
    if start >= 0 and end >= 0:
        return body[:start] + block + body[end + len(END) :]
    # No block (a human deleted it, or an issue made by hand): ours goes on top,
    # with any stray marker removed so that one body never holds two identities.
    rest = _MARKER_RE.sub("", body).strip()
    return f"{block}\n\n{rest}" if rest else block


def same_body(a: str | None, b: str | None) -> bool:
    """Equal up to line endings and trailing whitespace (GitHub normalises those)."""
    return _norm_body(a) == _norm_body(b)


def _norm_body(text: str | None) -> str:
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip()


def render_block(
    issue: DesiredIssue,
    marker: Marker,
    *,
    tracking_repo: str,
    ref_states: Mapping[str, str | None] | None = None,
    sub_issue_numbers: Mapping[str, int] | None = None,
    assignable: Iterable[str] | None = None,
    commands_help: str = "",
) -> str:
    """The bot's block for `issue`: item, notes link, meeting, owners, refs, tasks, commands.

    `marker.mentioned` decides who appears as `@login`; `assignable` (logins)
    lets the owners line say who could not be assigned; `ref_states` maps
    `owner/repo#N` to open / closed / merged, or `refstate.PRIVATE` (a private
    repository's item on a public one: its state is not shown; missing: unknown);
    `sub_issue_numbers` maps sub-item keys to their issue numbers (missing: a
    placeholder that `fill_issue_numbers` resolves once the issue exists);
    `commands_help` closes the block (the planner passes `commands.issue_help()`).
    """
    ref_states = ref_states or {}
    numbers = sub_issue_numbers or {}
    can_assign = None if assignable is None else set(assignable)
    ctx = issue.context
    notes_repo = ctx.repo
    lines: list[str] = [BEGIN, marker_comment(marker)]

    text = plain_markdown(issue.text, notes_repo=notes_repo, tracking_repo=tracking_repo)
    lines += [quote_block(text), ""]

    where = f"[{code(ctx.path)} line {issue.line}]({issue.permalink})"
    lines.append(f"**From the notes:** {where}")
    if issue.meeting_date or issue.meeting_title:
        meeting = " · ".join(p for p in (issue.meeting_date, one_line(issue.meeting_title)) if p)
        if issue.meeting_line:
            meeting = f"[{meeting}]({permalink(ctx.html_url, ctx.sha, ctx.path, issue.meeting_line)})"
        lines.append(f"**Meeting:** {meeting}")
    if len(marker.meetings) > 1:
        lines.append(f"**Listed at:** {', '.join(marker.meetings)}")
    lines.append(f"**Owners:** {render_owners(issue, marker, can_assign)}")

    if issue.tasks:
        lines += ["", "**Tasks:**", *_task_lines(issue, notes_repo=notes_repo, tracking_repo=tracking_repo)]
    if issue.sub_items:
        lines += ["", "**Sub-items with their own issues:**", *_sub_item_lines(issue, numbers)]

    # References last, just before the commands: refstate.body_with_refs keeps this list
    # current between syncs and inserts it at that same place.
    refs = effective_refs(issue.refs, marker)
    if refs:
        lines += ["", "**References:**", *(f"- {ref} ({state_text(ref_states.get(ref))})" for ref in refs)]

    lines += ["", commands_help, END]
    return "\n".join(lines)


def _task_lines(issue: DesiredIssue, *, notes_repo: str, tracking_repo: str) -> list[str]:
    """The item's plain sub-items as a (nested) checklist."""
    lines: list[str] = []
    for task in issue.tasks:
        box = "x" if task.done else " "
        task_text = plain_markdown(task.text, notes_repo=notes_repo, tracking_repo=tracking_repo)
        lines.append(f"{'  ' * task.depth}- [{box}] {_inline(task_text)}")
    return lines


def _sub_item_lines(issue: DesiredIssue, numbers: Mapping[str, int]) -> list[str]:
    """Sub-items that have their own issues, by number (or a placeholder until the issue exists)."""
    lines: list[str] = []
    for sub in issue.sub_items:
        box = "x" if sub.done else " "
        number = numbers.get(sub.key)
        ref = f"#{number}" if number else issue_placeholder(sub.key)
        who = ", ".join(o.name + ("?" if o.tentative else "") for o in sub.owners)
        title = one_line(neutralise_mentions(sub.title))
        lines.append(f"- [{box}] {ref} {title}" + (f" ({one_line(who)})" if who else ""))
    return lines


def render_owners(issue: DesiredIssue, marker: Marker, can_assign: set[str] | None) -> str:
    parts: list[str] = []
    for owner in issue.owners:
        if owner.login is None:
            parts.append(
                f"{one_line(owner.name)}{' (tentative)' if owner.tentative else ''} "
                f"(no GitHub login known: add `{_inline(owner.name).replace('`', '')}: <login>` under `people:` "
                f"in `.github/actionbot.yml`)"
            )
            continue
        shown = f"@{owner.login}" if owner.login in marker.mentioned else f"`@{owner.login}`"
        if owner.tentative:
            parts.append(f"{shown} (tentative: not assigned)")
        elif can_assign is not None and owner.login not in can_assign:
            parts.append(f"{shown} (can not be assigned in this repository)")
        else:
            parts.append(shown)
    return "; ".join(parts) if parts else "none yet: comment `@actionbot assign me` to take it"


def effective_refs(notes_refs: Iterable[str], marker: Marker) -> tuple[str, ...]:
    """The notes' references plus `link`ed ones, minus `unlink`ed ones, in order."""
    seen = {r.casefold() for r in marker.links_removed}  # removed ones, then each one taken
    out: list[str] = []
    for ref in (*notes_refs, *marker.links_added):
        folded = ref.casefold()
        if folded not in seen:
            seen.add(folded)
            out.append(ref)
    return tuple(out)


_PLACEHOLDER_RE = re.compile(r"<!-- actionbot:issue ([0-9a-f]+) -->")


def issue_placeholder(key: str) -> str:
    """Stands for the issue of item `key` until that issue exists (invisible if never filled)."""
    return f"<!-- actionbot:issue {key} -->"


def fill_issue_numbers(text: str, numbers: Mapping[str, int]) -> str:
    """Replace placeholders whose issue numbers are now known (the apply layer calls this)."""
    return _PLACEHOLDER_RE.sub(lambda m: f"#{numbers[m.group(1)]}" if m.group(1) in numbers else m.group(0), text)


def placeholder_keys(text: str) -> tuple[str, ...]:
    return tuple(_PLACEHOLDER_RE.findall(text))


# ---------------------------------------------------------------- text


_HANDLE_RE = re.compile(r"(?<![\w`/.@])@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38})(?:/[A-Za-z0-9_.-]+)?)")
_BARE_REF_RE = re.compile(r"(?<![\w/#&])#(\d+)\b")


def neutralise_mentions(text: str) -> str:
    """Put @handles copied from the notes in code spans, so that nobody is notified.

    A handle already inside a code span is left alone: wrapping it would close
    that span and leave the handle outside it, a mention. In a text with an
    unclosed backtick, a new span could pair with it instead, so there the
    handle gets a zero-width space after its `@` (never a mention) instead.
    """
    spans, unclosed = code_spans(text)
    starts = [a for a, _ in spans]

    def wrap(m: re.Match[str]) -> str:
        k = bisect.bisect_right(starts, m.start()) - 1
        if k >= 0 and m.start() < spans[k][1]:
            return m.group(0)
        return no_mentions(m.group(0)) if unclosed else f"`@{m.group(1)}`"

    return _HANDLE_RE.sub(wrap, text)


_BACKTICKS = re.compile(r"`+")


def code_spans(text: str) -> tuple[list[tuple[int, int]], bool]:
    """(start, end) of each inline code span, CommonMark's way (a backtick run closed by the next
    run of the same length), and whether some backtick run was left unclosed.

    Linear: each length's runs are visited once, in order.
    """
    runs: dict[int, list[int]] = {}
    for m in _BACKTICKS.finditer(text):
        runs.setdefault(len(m.group(0)), []).append(m.start())
    next_of: dict[int, int] = dict.fromkeys(runs, 0)  # per length: the first run not yet used or passed
    spans: list[tuple[int, int]] = []
    end, unclosed = 0, False
    for m in _BACKTICKS.finditer(text):
        n, at = len(m.group(0)), m.start()
        if at < end:
            continue  # inside the span just found
        positions = runs[n]
        i = next_of[n]
        while i < len(positions) and positions[i] <= at:
            i += 1
        next_of[n] = i
        if i < len(positions):
            end = positions[i] + n
            spans.append((at, end))
            next_of[n] = i + 1
        else:
            unclosed = True
    return spans, unclosed


def plain_markdown(text: str, *, notes_repo: str, tracking_repo: str) -> str:
    """Notes text made safe to show in an issue body.

    Markup made inert (`safe_text.no_markup`: an item can not close the bot's
    HTML comments, inject HTML or show an image); handles shown as code for
    readability and every other mention start broken (`safe_text.no_mentions`,
    e.g. the second `@` of `@@user`); a bare `#N` means an issue of the notes'
    repository, so it is qualified when issues live in another repository.
    """
    text = no_markup(text)
    if notes_repo and tracking_repo and notes_repo.casefold() != tracking_repo.casefold():
        text = _BARE_REF_RE.sub(lambda m: f"{notes_repo}#{m.group(1)}", text)
    return no_mentions(neutralise_mentions(text))


def quote_block(text: str) -> str:
    return "\n".join(f"> {line}".rstrip() for line in (text.strip() or "(empty)").split("\n"))


def _inline(text: str | None) -> str:
    return " ".join((text or "").split())


# ---------------------------------------------------------------- comments


def comment_marker(kind: str, key: str, detail: str = "") -> str:
    """Hidden tag on each bot comment so that a run can see it was already posted."""
    extra = f" {detail}" if detail else ""
    return f"<!-- actionbot:comment {kind} {key}{extra} -->"


def carried_over_comment(issue: DesiredIssue, key: str) -> str:
    where = permalink(issue.context.html_url, issue.context.sha, issue.context.path, issue.line)
    meeting = issue.meeting_date or "a later meeting"
    title = f" ({one_line(issue.meeting_title)})" if issue.meeting_title else ""
    return (
        f"{comment_marker('carried-over', key, issue.meeting_date or '')}\n"
        f"Listed again at the meeting of {meeting}{title}: [notes]({where}). "
        "Carried over: this issue stays the one place to follow this item."
    )


def removed_comment(key: str, path: str, *, closing: bool) -> str:
    what = (
        "Closing as not planned. If it is still wanted, reopen this issue or put the item back in the notes."
        if closing
        else "If it is no longer wanted, close this issue; if it was removed by mistake, put it back in the notes."
    )
    return f"{comment_marker('removed', key)}\nThis action item is no longer in the notes ({code(path)}). {what}"


def done_comment(issue: DesiredIssue, key: str) -> str:
    where = permalink(issue.context.html_url, issue.context.sha, issue.context.path, issue.line)
    return f"{comment_marker('done', key)}\nMarked done in the [notes]({where}). Closing as completed."


def duplicate_comment(key: str, original: int) -> str:
    return (
        f"{comment_marker('duplicate', key)}\n"
        f"Duplicate of #{original}: both issues track the same action item. "
        f"Follow #{original}."
    )


def replace_marker_state(marker: Marker, **changes: Any) -> Marker:
    """A copy of `marker` with fields changed (tuples for list fields)."""
    fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in changes.items()}
    return replace(marker, **fields)


# ---------------------------------------------------------------- labels


@dataclass(frozen=True)
class LabelStyle:
    color: str
    description: str


LABEL_STYLES: Mapping[str, LabelStyle] = {
    "action_item": LabelStyle("1d76db", "An action item from meeting notes, tracked by actionbot"),
    "meeting": LabelStyle("c5def5", "Listed at this meeting (actionbot)"),
    "needs_owner": LabelStyle("d93f0b", "Action item with nobody assigned (actionbot)"),
    "refs_closed": LabelStyle("0e8a16", "Everything this action item references is closed (actionbot)"),
    "removed": LabelStyle("bfbfbf", "No longer in the meeting notes (actionbot)"),
    "carried_over": LabelStyle("fbca04", "Listed again at a later meeting (actionbot)"),
    "dashboard": LabelStyle("5319e7", "The actionbot dashboard of open action items"),
}
