"""The notes at a commit: which files and meetings a run reads, and the issues they want.

A reconcile reads only what it must: a full sync reads every notes file, a
push only the meetings whose text changed since `before` (each meeting section
of a changed file compared with that file's `before` version), the meetings a
renamed file's issues point at, and, when the configuration changed, the
meetings that already have issues. What was read in full is the `scope`: only
its items can be "removed from the notes". Files too big, binary or not UTF-8
become problems with the file and the fix, never a failed run.

The only I/O here is reading contents at a commit (`gh.get_tree_entries`,
`gh.get_content`); splitting a file into meetings and keeping permalinks are
pure.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from actionbot.core.config import CONFIG_PATH, Config
from actionbot.core.desired import DesiredIssue, NotesContext, desired_issues, scope_of
from actionbot.core.existing import ExistingIssue
from actionbot.core.render import BEGIN, END
from actionbot.core.review import ReviewLine, review_lines
from actionbot.engine.port import GitHub, Json
from actionbot.engine.worker import TooComplex, progress, run_bounded
from actionbot.notes.model import Notes, Problem, TooLarge, Unsure
from actionbot.notes.parse import parse_notes


@dataclass(frozen=True)
class Changed:
    """A notes-relevant path changed by a push: its previous path when it was renamed."""

    path: str
    status: str = "modified"  # added | modified | removed | renamed
    previous: str | None = None


@dataclass(frozen=True)
class Reading:
    """What one run read: the issues the notes want, what was read in full, and what went wrong."""

    desired: list[DesiredIssue]
    scope: set[tuple[str, str | None]]  # (path, meeting date) pairs read in full
    files: list[str]  # notes files read
    problems: list[Problem]  # files too big or not text, and the parser's problems
    unsure: list[Unsure] = field(default_factory=list)  # lines the parser would not call tasks
    reviews: list[ReviewLine] = field(default_factory=list)  # review-section lines of the meetings read
    gone: frozenset[str] = frozenset()  # paths existing issues name that the commit no longer has


async def read_notes(
    gh: GitHub,
    repo: str,
    html_url: str,
    sha: str,
    before: str | None,
    changed: Collection[Changed] | None,
    config: Config,
    existing: tuple[ExistingIssue, ...],
    *,
    config_changed: bool = False,
    only_meetings: set[str | None] | None = None,
) -> Reading:
    """Desired issues and the (path, meeting) pairs read in full, for a full sync or a push.

    Full sync (`before` None): every meeting of every notes file. Push: the
    meetings whose text differs from `before`; plus, for a renamed file, the
    meetings whose issues point at its old path; plus, when the configuration
    changed, every meeting that already has an issue (a roster fix reaches
    them; no meeting of the past opens new issues because of it).
    """
    entries = {e["path"]: e for e in await gh.get_tree_entries(repo, sha)}
    todo = [Changed(p) for p in sorted(entries) if config.matches(p)] if changed is None else list(changed)
    has_issues = meetings_with_issues(existing)
    extra: dict[str, set[str | None]] = {}
    if before is not None and config_changed:
        # the meetings with issues, of the notes files still at the commit
        extra = {path: dates for path, dates in has_issues.items() if path in entries and config.matches(path)}
        listed = {c.path for c in todo}
        todo += [Changed(path, status="config") for path in extra if path not in listed]
    run = _Run(gh, repo, html_url, sha, before, entries, config, has_issues, extra, only_meetings)
    for c in todo:
        await _read_changed(run, c)
    named = {e.marker.path for e in existing if e.marker is not None and e.marker.repo.casefold() == repo.casefold()}
    return Reading(run.desired, run.scope, run.files, run.problems, run.unsure, run.reviews, frozenset(named - set(entries)))


def meetings_with_issues(existing: Collection[ExistingIssue]) -> dict[str, set[str | None]]:
    """Meetings that already have issues, by the path their marker names."""
    has_issues: dict[str, set[str | None]] = {}
    for e in existing:
        if e.marker is not None:
            has_issues.setdefault(e.marker.path, set()).update({e.marker.meeting, *e.marker.meetings})
    return has_issues


def meetings_to_read(
    c: Changed,
    diff: set[str | None] | None,
    has_issues: Mapping[str, set[str | None]],
    extra: Mapping[str, set[str | None]],
    only_meetings: set[str | None] | None,
) -> set[str | None] | None:
    """The meetings of one changed file a run reads in full; None: all of them.

    `diff` is the meetings whose text changed (None on a full sync, empty for
    a file re-read only because the configuration changed). A rename brings the
    meetings whose issues point at the old path; `extra` the configuration's
    re-reads; `only_meetings` narrows the lot.
    """
    meetings = diff
    if meetings is not None:
        meetings = set(meetings)
        if c.previous and c.previous != c.path:
            meetings |= has_issues.get(c.previous, set())  # a rename: the issues follow the file
        meetings |= extra.get(c.path, set())
    if only_meetings is not None:
        meetings = set(only_meetings) if meetings is None else meetings & only_meetings
    return meetings


@dataclass
class _Run:
    """One `read_notes` call: what reading each changed file needs, and what it collects."""

    gh: GitHub
    repo: str
    html_url: str
    sha: str
    before: str | None
    entries: dict[str, Json]
    config: Config
    has_issues: dict[str, set[str | None]]
    extra: dict[str, set[str | None]]
    only_meetings: set[str | None] | None
    desired: list[DesiredIssue] = field(default_factory=list)
    scope: set[tuple[str, str | None]] = field(default_factory=set)
    files: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    reviews: list[ReviewLine] = field(default_factory=list)
    unsure: list[Unsure] = field(default_factory=list)


async def _read_changed(run: _Run, c: Changed) -> None:
    """Read one changed file (and, on a push, its `before` version) into `run`."""
    gh, repo, sha, config, problems = run.gh, run.repo, run.sha, run.config, run.problems
    present = c.status != "removed" and c.path in run.entries
    after = await _read(gh, repo, c.path, sha, run.entries.get(c.path), config, problems) if present else None
    if after is not None:
        run.files.append(c.path)
    context = NotesContext(repo=repo, html_url=run.html_url, sha=sha, path=c.path)
    read_after = await _read_file(after, config, context, problems) if after is not None else None
    if after is not None and read_after is None:
        return  # too complex to read: a problem says so, and none of its issues is touched
    notes_after = read_after.notes if read_after is not None else None
    old_path = c.previous or c.path
    notes_before = None
    diff: set[str | None] | None = None
    if run.before is not None:
        old = None
        if c.status not in ("added", "config"):
            old = await _read(gh, repo, old_path, run.before, None, config, problems, quiet=True)
        notes_before = await _parse(old, old_path, repo, config) if old is not None else None
        diff = _changed_meetings(after, notes_after, old, notes_before) if c.status != "config" else set()
    meetings = meetings_to_read(c, diff, run.has_issues, run.extra, run.only_meetings)
    if read_after is not None and notes_after is not None:
        run.desired += [d for d in read_after.desired if meetings is None or d.meeting_date in meetings]
        run.scope |= {(p, date) for p, date in scope_of(notes_after, config) if meetings is None or date in meetings}
        run.reviews += [r for r in read_after.reviews if meetings is None or r.date in meetings]
        run.unsure += _unsure_in(notes_after, meetings)
    if meetings is not None and notes_before is not None:
        # Meetings gone from the file (or the file deleted): their items left the notes.
        gone = {m.date for m in notes_before.meetings} - {m.date for m in (notes_after.meetings if notes_after else ())}
        run.scope |= {(old_path, date) for date in gone if date in meetings and not config.before_since(date)}


def _unsure_in(notes: Notes, meetings: set[str | None] | None) -> list[Unsure]:
    """The unsure lines of the meetings this run reads (all of them on a full sync)."""
    if meetings is None:
        return list(notes.unsure)
    starts = sorted((m.line, m.date) for m in notes.meetings)
    out = []
    for u in notes.unsure:
        date = next((d for line, d in reversed(starts) if line <= u.line), starts[0][1] if starts else None)
        if date in meetings:
            out.append(u)
    return out


def keep_permalinks(
    desired: list[DesiredIssue], existing: tuple[ExistingIssue, ...], gone: Collection[str] = frozenset()
) -> list[DesiredIssue]:
    """Items whose text did not change keep the permalink their issue already has.

    A permalink names a commit and a line, and stays true for ever: the old
    one still shows exactly this item. Rewriting every issue below an edited
    line (their line numbers moved) would be writes, and notifications, that
    tell nobody anything. The same holds when the item's file moved (`gone`:
    paths the issues name that the commit no longer has): the issue keeps its
    link, and its path, until the item itself changes. An undated item is found
    across the move by its text, its key naming the path it was first seen at.
    A changed text, or a different meeting, gets a fresh permalink.
    """
    by_key = {e.marker.key: e for e in existing if e.marker is not None}
    by_text = {(e.marker.path, e.marker.text): e for e in existing if e.marker is not None and e.is_open}
    moved: dict[str, list[ExistingIssue]] = {}  # text -> open issues whose file is gone, oldest first
    for issue in sorted(existing, key=lambda i: i.number):
        if issue.marker is not None and issue.is_open and issue.marker.path in gone:
            moved.setdefault(issue.marker.text, []).append(issue)
    out = []
    for d in desired:
        e: ExistingIssue | None = by_key.get(d.key) or by_text.get((d.path, d.norm_text))  # edited items keep their first key
        if e is None and d.meeting_date is None:
            twins = [t for t in moved.get(d.norm_text, ()) if t.marker and t.marker.repo.casefold() == d.repo.casefold()]
            if twins:
                e = twins[0]
                moved[d.norm_text].remove(e)
        m = e.marker if e is not None else None
        if e is None or m is None or m.text != d.norm_text or (m.path != d.path and m.path not in gone):
            out.append(d)
            continue
        links = re.findall(r"/blob/([0-9a-f]{40})/" + re.escape(quote(m.path)) + r"#L(\d+)\)", render_block_of(e.body))
        if not links or len({sha for sha, _ in links}) != 1 or len(links) != (2 if d.meeting_line else 1):
            out.append(d)
            continue
        d = dataclasses.replace(
            d,
            context=dataclasses.replace(d.context, sha=links[0][0], path=m.path),
            line=int(links[0][1]),
            meeting_line=int(links[1][1]) if d.meeting_line else d.meeting_line,
        )
        out.append(d)
    return out


def scope_after_moves(
    read: list[DesiredIssue], kept: list[DesiredIssue], scope: set[tuple[str, str | None]],
    existing: Collection[ExistingIssue] = (), gone: Collection[str] = frozenset(),
) -> set[tuple[str, str | None]]:
    """`scope` plus the moved-away paths whose items were all found in one file that was read.

    `kept` is `keep_permalinks(read, ...)`: an item shown at its old path moved
    from there to the path it was read at. When a gone path's items all went
    to one file, a meeting of that file read in full is that meeting of the old
    path read in full, so an item deleted after the move is still "removed".
    """
    targets: dict[str, set[str]] = {}
    for r, k in zip(read, kept, strict=True):
        if k.path != r.path:
            targets.setdefault(k.path, set()).add(r.path)
    out = set(scope)
    for old, new in targets.items():
        if len(new) == 1:
            [path] = new
            out |= {(old, date) for p, date in scope if p == path}
    # A dated meeting (a month is a date too) read in full in one file that has the
    # name of a gone path: the file moved folders, that meeting of the old path was read.
    dated: dict[str | None, set[str]] = {}
    for p, date in scope:
        if date is not None:
            dated.setdefault(date, set()).add(p)
    for e in existing:
        m = e.marker
        if m is None or m.path not in gone or len(dated.get(m.meeting, ())) != 1:
            continue
        [path] = dated[m.meeting]
        if path.rsplit("/", 1)[-1] == m.path.rsplit("/", 1)[-1]:
            out.add((m.path, m.meeting))
    return out


def render_block_of(body: str) -> str:
    """The bot's own block of an issue body (links a human wrote outside it do not count)."""
    start = body.find(BEGIN)
    end = body.find(END, start)
    return body[start:end] if start >= 0 and end >= 0 else ""


async def _read(
    gh: GitHub, repo: str, path: str, ref: str, entry: Mapping[str, Any] | None, config: Config,
    problems: list[Problem], *, quiet: bool = False,
) -> str | None:
    """The text of a notes file at `ref`, or None (absent, too big, not text: a problem is reported)."""
    limit = config.max_file_bytes
    too_big = "is {} bytes, over max_file_bytes ({}); split the notes or raise max_file_bytes in {}"

    def refuse(line: int | None, message: str) -> None:
        if not quiet:
            problems.append(Problem(path, line, message))

    size = (entry or {}).get("size")
    if isinstance(size, int) and size > limit:
        refuse(None, too_big.format(size, limit, CONFIG_PATH))
        return None
    data = await gh.get_content(repo, path, ref=ref)
    if data is None:
        return None
    if len(data) > limit:
        refuse(None, too_big.format(len(data), limit, CONFIG_PATH))
        return None
    if b"\x00" in data[:8192]:
        refuse(None, "is a binary file, not markdown notes; exclude it from `notes:`")
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        refuse(data.count(b"\n", 0, exc.start) + 1, "is not valid UTF-8 text; re-save it as UTF-8")
        return None


@dataclass(frozen=True)
class _FileReading:
    """One notes file read: what the parser found, the issues it wants, its review lines."""

    notes: Notes
    desired: list[DesiredIssue]
    reviews: list[ReviewLine]


def _read_job(text: str, config: Config, context: NotesContext) -> _FileReading:
    """In the worker: parse one file and derive what it asks for (all of it linear, none of it I/O)."""
    notes = _parse_job(text, context.path, context.repo, config)
    return _FileReading(notes, list(desired_issues(notes, config, context)), list(review_lines(text, notes, config, context)))


def _parse_job(text: str, path: str, repo: str, config: Config) -> Notes:
    return parse_notes(text, path=path, repo=repo, phrases=config.sections, people=config.people, progress=progress)


async def _read_file(text: str, config: Config, context: NotesContext, problems: list[Problem]) -> _FileReading | None:
    """The file read in a worker within the time budget and the reading limits; None (and a
    problem naming the file and the line) past either: none of its issues is touched."""
    try:
        found = await run_bounded(f"reading {context.path}", _read_job, text, config, context)
    except TooComplex as exc:
        problems.append(Problem(context.path, exc.line, too_complex(exc)))
        return None
    except TooLarge as exc:
        problems.append(Problem(exc.path, exc.line, exc.message))
        return None
    problems.extend(found.notes.problems)
    return found


async def _parse(text: str, path: str, repo: str, config: Config) -> Notes | None:
    """An earlier version of a file (only compared with the new one): None when too complex to read."""
    try:
        return await run_bounded(f"reading {path}", _parse_job, text, path, repo, config)
    except (TooComplex, TooLarge):
        return None


def too_complex(exc: TooComplex) -> str:
    """The problem's text: where the reading was cut off and what the author can do about it."""
    where = f"line {exc.line}; reading stopped there" if exc.line else "reading stopped"
    return (
        f"notes too complex to read: {where} after {exc.budget:g} s; "
        "split the file or shorten its longest lines and lists"
    )


def meeting_texts(text: str, notes: Notes) -> dict[str | None, str]:
    """Each meeting's section of the file (date -> its lines), the text before the first included."""
    lines = text.replace("\r\n", "\n").split("\n")
    meetings = sorted(notes.meetings, key=lambda m: m.line)
    out: dict[str | None, str] = {}
    if not meetings:
        return {None: "\n".join(lines)}
    for i, m in enumerate(meetings):
        start = 1 if i == 0 else m.line
        end = meetings[i + 1].line - 1 if i + 1 < len(meetings) else len(lines)
        chunk = "\n".join(line.rstrip() for line in lines[start - 1 : end]).strip()
        out[m.date] = out[m.date] + "\n" + chunk if m.date in out else chunk
    return out


def _changed_meetings(after: str | None, notes_after: Notes | None, old: str | None, notes_before: Notes | None) -> set[str | None]:
    a = meeting_texts(after, notes_after) if after is not None and notes_after is not None else {}
    b = meeting_texts(old, notes_before) if old is not None and notes_before is not None else {}
    return {d for d in set(a) | set(b) if a.get(d) != b.get(d)}
