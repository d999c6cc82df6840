"""The `actionbot` check run's text: what a sync did (or, on a pull request, would do) (pure).

The check run is where the person who merged notes looks: it lists the issues
opened, updated, carried over, closed and left unchanged, with links, and
every problem with `file:line` and the fix, as annotations too so that GitHub
shows them on the diff. It is a pure function of plain values so that a re-run
at the same commit can compare the text it would write with the check run that
is already there, and write nothing when they are the same. `entries_for` turns a
plan (a preview) or what was applied (a sync) into its lines, one per issue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from actionbot.core.existing import ExistingIssue
from actionbot.core.operations import (
    ApplyResult,
    CloseIssue,
    Comment,
    CreateIssue,
    EnsureLabel,
    Operation,
    Plan,
    UpdateIssue,
)
from actionbot.core.safe_text import code, neutralise, one_line
from actionbot.notes.model import Problem, Unsure

CHECK_NAME = "actionbot"
SYNC_ID = "actionbot-sync"  # external_id of a sync's check run
PREVIEW_ID = "actionbot-preview"  # external_id of a pull request's preview
MAX_ANNOTATIONS = 50  # GitHub takes at most 50 per request
MAX_TEXT = 60_000  # GitHub's limit on summary and text is 65535 characters

# What happened to one issue, in the order the check lists them.
KINDS: tuple[tuple[str, str, str], ...] = (
    # kind, done (sync), will (preview)
    ("opened", "Opened", "Will open"),
    ("updated", "Updated", "Will update"),
    ("carried_over", "Carried over", "Will carry over"),
    ("closed", "Closed", "Will close"),
    ("removed", "Marked removed from the notes", "Will mark removed from the notes"),
    ("failed", "Failed (the next run retries)", "Failed"),
    ("deferred", "Deferred to the next run (write cap)", "Deferred (write cap)"),
    ("unchanged", "Unchanged", "Unchanged"),
)
_VERB = {"opened": "open", "updated": "update", "carried_over": "carry over", "closed": "close", "removed": "mark removed"}


@dataclass(frozen=True)
class Entry:
    """One issue in the check: what happened to it, and where it is."""

    kind: str  # one of KINDS
    title: str
    number: int | None = None
    url: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class CheckOutput:
    conclusion: str  # success | failure | neutral
    title: str
    summary: str
    text: str = ""
    annotations: tuple[dict[str, Any], ...] = field(default=())
    external_id: str = SYNC_ID

    def output(self) -> dict[str, Any]:
        """The `output` object of `POST /repos/{o}/{r}/check-runs`."""
        data: dict[str, Any] = {"title": self.title, "summary": self.summary}
        if self.text:
            data["text"] = self.text
        if self.annotations:
            data["annotations"] = [dict(a) for a in self.annotations]
        return data

    def same_as(self, existing: dict[str, Any]) -> bool:
        """True when `existing` (a check run from GitHub) already says exactly this."""
        out = existing.get("output") or {}
        return (
            existing.get("conclusion") == self.conclusion
            and (existing.get("external_id") or SYNC_ID) == self.external_id
            and (out.get("title") or "") == self.title
            and (out.get("summary") or "") == self.summary
        )


def summarise(
    entries: Sequence[Entry],
    problems: Iterable[Problem] = (),
    *,
    preview: bool = False,
    config_error: Problem | None = None,
    unsure: Iterable[Unsure] = (),
) -> CheckOutput:
    """The check run for one sync (or preview): conclusion, title, summary with links, annotations."""
    problems = list(problems)
    external_id = PREVIEW_ID if preview else SYNC_ID
    if config_error is not None:
        return _invalid_config(config_error, external_id)

    counts = {kind: 0 for kind, _, _ in KINDS}
    for e in entries:
        counts[e.kind] = counts.get(e.kind, 0) + 1
    title = _title(counts, preview=preview)
    if problems:
        title += f" ({len(problems)} problem{'s' if len(problems) != 1 else ''} in the notes)"

    lines: list[str] = []
    if preview:
        lines += ["Preview of what actionbot will do to issues when this pull request is merged. Nothing was written.", ""]
    for kind, done, will in KINDS:
        group = [e for e in entries if e.kind == kind]
        if not group:
            continue
        lines.append(f"### {will if preview else done} ({len(group)})")
        lines += [f"- {_link(e)}" for e in group]
        lines.append("")
    if problems:
        lines.append(f"### Problems in the notes ({len(problems)})")
        lines += [f"- {_where(p)}: {neutralise(p.message)}" for p in problems]
        lines.append("")
    lines += unsure_lines(unsure)
    if not entries and not problems:
        lines.append("No action items were found in the notes that this commit changed.")
    summary = _cut("\n".join(lines).strip())
    failed = counts.get("failed", 0) > 0
    conclusion = "failure" if failed else "neutral" if problems else "success"
    return CheckOutput(conclusion, _cut(title, 200), summary, annotations=tuple(_annotations(problems)), external_id=external_id)


def _invalid_config(config_error: Problem, external_id: str) -> CheckOutput:
    """A failing check that names the bad configuration line; nothing else was done."""
    where = _where(config_error)
    summary = (
        f"**The configuration is invalid; nothing was synced.**\n\n"
        f"- {where}: {neutralise(config_error.message)}\n\n"
        "actionbot does not fall back to the defaults or to an earlier configuration: "
        "fix the file and push again."
    )
    return CheckOutput(
        "failure",
        f"Invalid configuration: {where}",
        summary,
        annotations=tuple(_annotations([config_error], level="failure")),
        external_id=external_id,
    )


def _title(counts: Mapping[str, int], *, preview: bool) -> str:
    """The check title from the counts per kind: what was done, or what merging will do."""
    if preview:
        verbs = [f"{_VERB[kind]} {counts[kind]}" for kind, _, _ in KINDS if counts.get(kind) and kind in _VERB]
        return "Merging will " + ", ".join(verbs) if verbs else "Merging changes no issue"
    parts = [
        f"{counts[kind]} {done.lower()}" for kind, done, _ in KINDS if counts.get(kind) and kind != "unchanged"
    ]
    if counts.get("unchanged"):
        parts.append(f"{counts['unchanged']} unchanged")
    return ", ".join(parts).capitalize() if parts else "No action items to sync"


def entries_for(
    result: Plan,
    existing: tuple[ExistingIssue, ...],
    outcome: ApplyResult | None,
    urls: Mapping[int, str],
) -> list[Entry]:
    """One line per issue for the check run, from the plan (preview) or from what was applied."""
    titles = {e.number: e.title for e in existing}
    all_urls = {**urls, **(outcome.urls if outcome else {})}
    ops: list[tuple[Operation, int | None]] = (
        [(op, None) for op in result.ops] if outcome is None else [(a.op, a.number) for a in outcome.applied]
    )
    ledger = _Ledger()
    put = ledger.put
    for op, number in ops:
        done = _done_entry(op, number, titles, all_urls)
        if done is not None:
            put(*done)
    if outcome is not None:
        for f in outcome.failed:
            if isinstance(f.op, EnsureLabel):
                put(f"label:{f.op.name}", Entry("failed", f"label {f.op.name!r}", None, None, f.error), 9)
                continue
            fn: Any = getattr(f.op, "number", None)
            title = f.op.title if isinstance(f.op, CreateIssue) else titles.get(fn, f"#{fn}")
            put(f.op.key if isinstance(f.op, CreateIssue) else fn,
                Entry("failed", title or "", fn, all_urls.get(fn) if fn else None, f.error), 9)
    for op in result.deferred:
        if isinstance(op, EnsureLabel):
            continue
        if isinstance(op, CreateIssue):
            put(op.key, Entry("deferred", op.title), 1)
        else:
            put(op.number, Entry("deferred", titles.get(op.number, f"#{op.number}"), op.number, all_urls.get(op.number)), 1)
    for n in result.unchanged:
        if n not in ledger.seen:
            put(n, Entry("unchanged", titles.get(n, f"#{n}"), n, all_urls.get(n)), 0)
    return [ledger.seen[i] for i in ledger.order]


@dataclass
class _Ledger:
    """Entries by issue number (or key for new issues), first-seen order; the strongest kind wins."""

    seen: dict[int | str, Entry] = field(default_factory=dict)
    order: list[int | str] = field(default_factory=list)

    def put(self, ident: int | str, entry: Entry, strength: int) -> None:
        old = self.seen.get(ident)
        if old is None:
            self.order.append(ident)
        if old is None or _strength(old.kind) < strength:
            self.seen[ident] = entry


def _done_entry(
    op: Operation, number: int | None, titles: Mapping[int, str], urls: Mapping[int, str]
) -> tuple[int | str, Entry, int] | None:
    """(identity, entry, strength) for one planned or applied operation; None for labels."""
    if isinstance(op, EnsureLabel):
        return None
    if isinstance(op, CreateIssue):
        return op.key, Entry("opened", op.title, number, urls.get(number) if number else None), 5
    n = op.number
    title = titles.get(n, f"#{n}")
    url = urls.get(n)
    if isinstance(op, CloseIssue):
        detail = op.detail or {"completed": "done in the notes", "not_planned": "removed from the notes", "duplicate": "duplicate"}[op.reason]
        return n, Entry("closed", title, n, url, detail), 4
    if isinstance(op, Comment):
        kind = "carried_over" if op.kind == "carried-over" else "removed" if op.kind == "removed" else "updated"
        return n, Entry(kind, title, n, url), 3
    if isinstance(op, UpdateIssue):
        return n, Entry("updated", op.title or title, n, url, ", ".join(op.changed)), 2
    return None


def _strength(kind: str) -> int:
    return {"unchanged": 0, "deferred": 1, "updated": 2, "carried_over": 3, "removed": 3, "closed": 4, "opened": 5, "failed": 9}.get(kind, 0)


def _link(e: Entry) -> str:
    ref = f"[#{e.number}]({e.url})" if e.number and e.url else f"#{e.number}" if e.number else ""
    title = one_line(e.title)  # never a mention, image or HTML from a check
    text = f"{ref} {title}".strip()
    return f"{text} ({e.detail})" if e.detail else text


def unsure_lines(unsure: Iterable[Unsure]) -> list[str]:
    """The "not opened (unsure)" list: lines that might be tasks, with why none was opened."""
    found = list(unsure)
    if not found:
        return []
    out = [f"### Not opened (unsure) ({len(found)})",
           "Add `TODO:` before a line, or make it a list item under an actions label, to open an issue for it."]
    # the line in a code span: no markup, link or mention from the notes is rendered
    for u in found:
        text = _cut(" ".join(u.text.split()).replace("`", "'"), 120)
        out.append(f"- {code(f'{u.path}:{u.line}')} `{text}` ({u.reason})")
    return [*out, ""]


def _where(p: Problem) -> str:
    return code(f"{p.path}:{p.line}") if p.line else code(p.path)


def _annotations(problems: Iterable[Problem], level: str = "warning") -> list[dict[str, Any]]:
    return [
        {"path": p.path, "start_line": p.line or 1, "end_line": p.line or 1,
         "annotation_level": level, "message": p.message}
        for p in islice(problems, MAX_ANNOTATIONS)
    ]


def _cut(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
