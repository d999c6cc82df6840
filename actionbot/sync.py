"""The one reconcile: notes at a commit -> issues in the tracking repository.

Every path into the engine calls `reconcile`: a push to the default branch
(scoped to the meetings the push changed), a pull request's preview (a dry
run whose only write is its check run), `actionbot sync` from the command line
or a GitHub Actions workflow (a full sync, bounded by `since`), and follow-up
runs for work over the per-run write cap. Because the plan is computed from
GitHub's own state each time, running it twice, or after a crash, or
concurrently, converges to the same issues.

Scope of a push: only the meetings whose text changed between `before` and
`after` are acted on (each meeting section of a changed file is compared with
the `before` version of that file), so that enabling actionbot on a repository
with years of notes, or editing one meeting of a yearly file, touches only
what the push touched. A renamed file also re-reads the meetings whose issues
point at its old path, so their permalinks follow the file.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import weakref
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from gidgethub import BadRequest, GitHubException

from . import checks
from .apply import LOST, Applied, ApplyResult, Failed, apply_plan, describe_error
from .config import CONFIG_PATH, Config, ConfigError, load_config
from .desired import DesiredIssue, NotesContext, desired_issues, scope_of
from .lock import LockBusy, new_holder, repo_lock
from .model import Notes, Problem
from .notes import parse_notes
from .operations import CloseIssue, Comment, CreateIssue, EnsureLabel, Operation, Plan, UpdateIssue, op_to_dict
from .plan import ExistingIssue, existing_issues
from .plan import plan as make_plan
from .render import duplicate_comment, parse_marker

log = logging.getLogger(__name__)
ZERO_SHA = "0" * 40
MAX_FOLLOW_UPS = 25  # a chain of deferred runs never loops for ever
LOCK_WAIT = 60.0  # seconds a run waits for another replica's creates before deferring

_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def lock_for(tracking_repo: str) -> asyncio.Lock:
    """One reconcile at a time per tracking repository in this process (no two runs race to create)."""
    key = tracking_repo.casefold()
    lock = _locks.get(key)
    if lock is None:
        lock = _locks[key] = asyncio.Lock()
    return lock


@dataclass(frozen=True)
class Changed:
    """A notes-relevant path changed by a push: its previous path when it was renamed."""

    path: str
    status: str = "modified"  # added | modified | removed | renamed
    previous: str | None = None


@dataclass
class SyncReport:
    """What one reconcile found and did: the CLI prints it, the check run summarises it."""

    repo: str
    tracking_repo: str = ""
    sha: str | None = None
    dry_run: bool = False
    preview: bool = False
    plan: Plan | None = None
    applied: list[Applied] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)
    deferred: tuple[Operation, ...] = ()
    problems: list[Problem] = field(default_factory=list)
    config_error: Problem | None = None
    files: list[str] = field(default_factory=list)  # notes files read
    entries: list[checks.Entry] = field(default_factory=list)
    check: str = "not written"  # created | already there | not written | failed: ...
    follow_up: bool = False  # a run was scheduled for the deferred operations
    skipped: str = ""  # why nothing was read (e.g. "no notes changed")
    lock_busy: str = ""  # another replica held the lock label: nothing applied, all deferred

    @property
    def ok(self) -> bool:
        """The whole plan was applied (or, for a dry run, could be computed)."""
        return self.config_error is None and not self.failed and not self.deferred

    def to_dict(self) -> dict[str, Any]:
        return {
            "repo": self.repo,
            "tracking_repo": self.tracking_repo,
            "sha": self.sha,
            "dry_run": self.dry_run,
            "ok": self.ok,
            "skipped": self.skipped or None,
            "files": self.files,
            "plan": [op_to_dict(op) for op in (self.plan.ops if self.plan else ())],
            "applied": [{**op_to_dict(a.op), "number": a.number, "url": a.url, "note": a.note or None} for a in self.applied],
            "failed": [{**op_to_dict(f.op), "error": f.error} for f in self.failed],
            "deferred": [op_to_dict(op) for op in self.deferred],
            "unchanged": list(self.plan.unchanged) if self.plan else [],
            "problems": [{"path": p.path, "line": p.line, "message": p.message} for p in self.problems],
            "config_error": (
                {"path": self.config_error.path, "line": self.config_error.line, "message": self.config_error.message}
                if self.config_error else None
            ),
            "check": self.check,
            "lock_busy": self.lock_busy or None,
        }


async def reconcile(
    gh: Any,
    repo: str,
    *,
    ref: str | None = None,
    before: str | None = None,
    changed: Collection[Changed] | None = None,
    since: str | None = None,
    dry_run: bool = False,
    preview: bool = False,
    check: bool = True,
    dashboard: bool = True,
    meetings: Collection[str | None] | None = None,
    ctx: Any = None,
    lock_wait: float = LOCK_WAIT,
    _depth: int = 0,
) -> SyncReport:
    """Make the tracking repository's issues match the notes of `repo` at `ref`.

    `ref`: a branch, tag or sha (default: the default branch). `before`: the
    commit a push started from; with it, only meetings whose text changed are
    acted on, in the files of `changed` (None: every notes file, compared with
    `before`). `since`: ignore meetings dated earlier (overrides the
    configuration's). `dry_run`: plan only; `preview` (a pull request) also
    writes the check run saying what merging would do. `check`: write the
    `actionbot` check run on the commit. `meetings`: act only on these meeting
    dates of the files read (`@actionbot sync` re-reads one item's meetings:
    the rest of a yearly file is not swept in). `ctx`: the service's Context, used to
    schedule a follow-up run when the write cap deferred work, or when another
    replica held the lock label past `lock_wait` seconds (see actionbot.lock):
    a plan that creates issues is applied only under that lock, re-planned
    from a fresh listing once it is held; a plan without creates takes no lock.
    """
    report = SyncReport(repo=repo, dry_run=dry_run or preview, preview=preview)
    check = check and (preview or not dry_run)  # a dry run writes nothing; a preview only its check run
    repo_data: dict[str, Any] | None = None
    if _is_sha(ref):
        sha = str(ref)
    else:
        repo_data = await gh.get_repo(repo)
        sha = (await gh.get_commit(repo, ref or repo_data.get("default_branch") or "main"))["sha"]
    report.sha = sha
    if before == ZERO_SHA:
        before = None

    raw = await gh.get_content(repo, CONFIG_PATH, ref=sha)
    try:
        config = load_config(None if raw is None else raw.decode("utf-8-sig", "replace"), CONFIG_PATH)
    except ConfigError as exc:
        report.config_error = Problem(exc.path, exc.line, exc.message)
        report.tracking_repo = repo
        if check:
            await _write_check(gh, repo, sha, checks.summarise([], preview=preview, config_error=report.config_error), report, applied_anything=False)
        return _recorded(ctx, report)
    if since:
        config = dataclasses.replace(config, since=since)
    tracking = config.tracking_repo or repo
    report.tracking_repo = tracking

    config_changed = False
    if changed is not None:
        config_changed = any(c.path == CONFIG_PATH for c in changed)
        changed = [c for c in changed if config.matches(c.path) or (c.previous and config.matches(c.previous))]
        if not changed and not config_changed:
            report.skipped = "no notes file changed"
            return _recorded(ctx, report)

    if repo_data is None:
        repo_data = await gh.get_repo(repo)
    html_url = repo_data.get("html_url") or f"https://github.com/{repo}"

    async with lock_for(tracking):
        existing_raw = await gh.list_issues(tracking, labels=[config.labels.action_item], state="all")
        existing = existing_issues(existing_raw)
        read, scope = await _read_notes(
            gh, repo, html_url, sha, before, changed, config, existing, report, config_changed=config_changed,
            only_meetings=None if meetings is None else set(meetings),
        )
        known_labels = [lb["name"] for lb in await gh.list_labels(tracking)]
        run = _Run(gh, tracking, config, read, scope, known_labels, report, dashboard=dashboard, ctx=ctx)
        result = await run.plan(existing_raw)
        applied_anything = False
        if report.dry_run:
            report.entries = _entries(result, run.existing, run.desired, None, run.urls, preview=True)
        elif not any(isinstance(op, CreateIssue) for op in result.ops):
            applied_anything = await run.apply(result)  # nothing to create, nothing to duplicate: no lock
        else:
            # Another replica may be creating the same items right now: creates happen
            # under the lock label, planned from a listing read once it is held.
            try:
                async with repo_lock(gh, tracking, holder=new_holder(), wait_seconds=lock_wait, sleep=_sleep_of(gh)):
                    fresh = await gh.list_issues(tracking, labels=[config.labels.action_item], state="all")
                    applied_anything = await run.apply(await run.plan(fresh))
            except LockBusy as exc:
                report.deferred = (*result.ops, *result.deferred)
                report.lock_busy = str(exc)
                log.warning("creates deferred repo=%s: %s", tracking, exc)

    if check and not report.lock_busy:  # the run that gets the lock writes the check
        output = checks.summarise(report.entries, report.problems, preview=preview)
        await _write_check(gh, repo, sha, output, report, applied_anything=applied_anything)
    if report.deferred and not report.dry_run and ctx is not None and _depth < MAX_FOLLOW_UPS:
        args = dict(ref=sha, before=before, changed=changed, since=since, check=check, dashboard=dashboard, meetings=meetings, ctx=ctx,
                    lock_wait=lock_wait)

        async def follow_up() -> None:
            await reconcile(gh, repo, **args, _depth=_depth + 1)

        report.follow_up = bool(ctx.enqueue(repo, follow_up))
    return _recorded(ctx, report)


def _recorded(ctx: Any, report: SyncReport) -> SyncReport:
    """Leave the report in the context too: a caller that ran handlers learns what every reconcile did."""
    syncs = getattr(ctx, "syncs", None)
    if isinstance(syncs, list):
        syncs.append(report)
    return report


class _Run:
    """Plan and apply for one reconcile: planned once, and again from a fresh listing under the lock."""

    def __init__(
        self, gh: Any, tracking: str, config: Config, read: list[DesiredIssue], scope: set[tuple[str, str | None]],
        known_labels: list[str], report: SyncReport, *, dashboard: bool, ctx: Any,
    ):
        self.gh, self.tracking, self.config, self.read, self.scope = gh, tracking, config, read, scope
        self.known_labels, self.report, self.dashboard, self.ctx = known_labels, report, dashboard, ctx
        self.existing: tuple[ExistingIssue, ...] = ()
        self.desired: list[DesiredIssue] = []
        self.urls: dict[int, str] = {}
        self.raw: dict[int, dict[str, Any]] = {}  # the listing planned from: issue number -> issue

    async def plan(self, existing_raw: list[dict[str, Any]]) -> Plan:
        gh, tracking = self.gh, self.tracking
        self.existing = existing_issues(existing_raw)
        self.raw = {int(i["number"]): i for i in existing_raw}
        self.urls = {int(i["number"]): i.get("html_url", "") for i in existing_raw}
        self.desired = desired = keep_permalinks(self.read, self.existing)
        logins = {login for d in desired for login in d.logins()}
        assignable = {login for login in sorted(logins) if await gh.is_assignable(tracking, login)}
        states = await _ref_states(gh, desired, existing_raw)
        result = make_plan(
            desired,
            self.existing,
            self.config,
            tracking_repo=tracking,
            assignable=assignable,
            scope=self.scope,
            ref_states=states,
            known_labels=self.known_labels,
        )
        self.report.plan = result
        self.report.deferred = result.deferred
        return result

    async def apply(self, result: Plan) -> bool:
        """Apply the plan (and close racing twins, refresh the dashboard); True when anything was written."""
        gh, tracking, config, report = self.gh, self.tracking, self.config, self.report
        outcome = await apply_plan(gh, tracking, result, action_label=config.labels.action_item, issue_urls=self.urls)
        await _close_racing_twins(gh, tracking, config, outcome)
        await self.link_sub_issues(outcome)
        report.applied, report.failed = outcome.applied, outcome.failed
        report.entries = _entries(result, self.existing, self.desired, outcome, self.urls, preview=False)
        if self.dashboard and config.dashboard and outcome.applied:
            await _refresh_dashboard(gh, tracking, config, self.known_labels, self.ctx)
        return bool(outcome.applied)

    async def link_sub_issues(self, outcome: ApplyResult) -> None:
        """Owned sub-items' issues become the parent's sub-issues (best effort, never a failure;
        decided from the listing already read, so an unchanged run makes no request here)."""
        from .subissues import link_sub_issues

        families = [(d.key, [s.key for s in d.sub_items]) for d in self.desired if d.sub_items]
        if not families:
            return
        twins = {
            a.number
            for a in outcome.applied
            if isinstance(a.op, CloseIssue) and a.op.reason == "duplicate" and a.number is not None
        }
        linked = await link_sub_issues(
            self.gh, self.tracking, families, outcome.numbers, {**self.raw, **outcome.created}, skip=twins
        )
        if linked.added:
            log.info("sub-issues added repo=%s: %s", self.tracking, ", ".join(f"#{ln.child} under #{ln.parent}" for ln in linked.added))


def _sleep_of(gh: Any) -> Any:
    """The client's own (injectable) sleep paces the wait for the lock."""
    return getattr(getattr(gh, "api", None), "sleep", None) or asyncio.sleep


# ---------------------------------------------------------------- reading the notes


async def _read_notes(
    gh: Any,
    repo: str,
    html_url: str,
    sha: str,
    before: str | None,
    changed: Collection[Changed] | None,
    config: Config,
    existing: tuple[ExistingIssue, ...],
    report: SyncReport,
    *,
    config_changed: bool = False,
    only_meetings: set[str | None] | None = None,
) -> tuple[list[DesiredIssue], set[tuple[str, str | None]]]:
    """Desired issues and the (path, meeting) pairs read in full, for a full sync or a push.

    Full sync (`before` None): every meeting of every notes file. Push: the
    meetings whose text differs from `before`; plus, for a renamed file, the
    meetings whose issues point at its old path; plus, when the configuration
    changed, every meeting that already has an issue (a roster fix reaches
    them; no meeting of the past opens new issues because of it).
    """
    entries = {e["path"]: e for e in await gh.get_tree_entries(repo, sha)}
    todo = [Changed(p) for p in sorted(entries) if config.matches(p)] if changed is None else list(changed)
    # Meetings that already have issues, by the path their marker names.
    has_issues: dict[str, set[str | None]] = {}
    for e in existing:
        if e.marker is not None:
            has_issues.setdefault(e.marker.path, set()).update({e.marker.meeting, *e.marker.meetings})
    extra: dict[str, set[str | None]] = {}
    if before is not None and config_changed:
        listed = {c.path for c in todo}
        for path, dates in has_issues.items():
            if path in entries and config.matches(path):
                extra[path] = dates
                if path not in listed:
                    todo.append(Changed(path, status="config"))

    desired: list[DesiredIssue] = []
    scope: set[tuple[str, str | None]] = set()
    for c in todo:
        present = c.status != "removed" and c.path in entries
        after = await _read(gh, repo, c.path, sha, entries.get(c.path), config, report) if present else None
        if after is not None:
            report.files.append(c.path)
        notes_after = _parse(after, c.path, repo, config, report) if after is not None else None
        old_path = c.previous or c.path
        notes_before = None
        meetings: set[str | None] | None = None  # None: all
        if before is not None:
            old = None
            if c.status not in ("added", "config"):
                old = await _read(gh, repo, old_path, before, None, config, report, quiet=True)
            notes_before = _parse(old, old_path, repo, config, None) if old is not None else None
            meetings = _changed_meetings(after, notes_after, old, notes_before) if c.status != "config" else set()
            if c.previous and c.previous != c.path:
                meetings |= has_issues.get(c.previous, set())  # a rename: the issues follow the file
            meetings |= extra.get(c.path, set())
        if only_meetings is not None:
            meetings = set(only_meetings) if meetings is None else meetings & only_meetings
        if notes_after is not None:
            context = NotesContext(repo=repo, html_url=html_url, sha=sha, path=c.path)
            desired += [d for d in desired_issues(notes_after, config, context) if meetings is None or d.meeting_date in meetings]
            scope |= {(p, date) for p, date in scope_of(notes_after, config) if meetings is None or date in meetings}
        if meetings is not None and notes_before is not None:
            # Meetings gone from the file (or the file deleted): their items left the notes.
            gone = {m.date for m in notes_before.meetings} - {m.date for m in (notes_after.meetings if notes_after else ())}
            scope |= {
                (old_path, date) for date in gone
                if date in meetings and not (config.since and date and date < config.since)
            }  # fmt: skip
    return desired, scope


def keep_permalinks(desired: list[DesiredIssue], existing: tuple[ExistingIssue, ...]) -> list[DesiredIssue]:
    """Items whose text did not change keep the permalink their issue already has.

    A permalink names a commit and a line, and stays true for ever: the old
    one still shows exactly this item. Rewriting every issue below an edited
    line (their line numbers moved) would be writes, and notifications, that
    tell nobody anything. A changed text, a renamed file or a different
    meeting gets a fresh permalink.
    """
    by_key = {e.marker.key: e for e in existing if e.marker is not None}
    by_text = {(e.marker.path, e.marker.text): e for e in existing if e.marker is not None and e.is_open}
    out = []
    for d in desired:
        e = by_key.get(d.key) or by_text.get((d.path, d.norm_text))  # edited items keep their first key
        if e is None or e.marker is None or e.marker.path != d.path or e.marker.text != d.norm_text:
            out.append(d)
            continue
        links = re.findall(r"/blob/([0-9a-f]{40})/" + re.escape(quote(d.path)) + r"#L(\d+)\)", render_block_of(e.body))
        if not links or len({sha for sha, _ in links}) != 1 or len(links) != (2 if d.meeting_line else 1):
            out.append(d)
            continue
        sha = links[0][0]
        d = dataclasses.replace(
            d,
            context=dataclasses.replace(d.context, sha=sha),
            line=int(links[0][1]),
            meeting_line=int(links[1][1]) if d.meeting_line else d.meeting_line,
        )
        out.append(d)
    return out


def render_block_of(body: str) -> str:
    """The bot's own block of an issue body (links a human wrote outside it do not count)."""
    from .render import BEGIN, END

    start = body.find(BEGIN)
    end = body.find(END, start)
    return body[start:end] if start >= 0 and end >= 0 else ""


async def _read(
    gh: Any, repo: str, path: str, ref: str, entry: Mapping[str, Any] | None, config: Config,
    report: SyncReport, *, quiet: bool = False,
) -> str | None:
    """The text of a notes file at `ref`, or None (absent, too big, not text: a problem is reported)."""
    size = (entry or {}).get("size")
    if isinstance(size, int) and size > config.max_file_bytes:
        if not quiet:
            report.problems.append(Problem(path, None, f"is {size} bytes, over max_file_bytes ({config.max_file_bytes}); split the notes or raise max_file_bytes in {CONFIG_PATH}"))
        return None
    data = await gh.get_content(repo, path, ref=ref)
    if data is None:
        return None
    if len(data) > config.max_file_bytes:
        if not quiet:
            report.problems.append(Problem(path, None, f"is {len(data)} bytes, over max_file_bytes ({config.max_file_bytes}); split the notes or raise max_file_bytes in {CONFIG_PATH}"))
        return None
    if b"\x00" in data[:8192]:
        if not quiet:
            report.problems.append(Problem(path, None, "is a binary file, not markdown notes; exclude it from `notes:`"))
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if not quiet:
            line = data.count(b"\n", 0, exc.start) + 1
            report.problems.append(Problem(path, line, "is not valid UTF-8 text; re-save it as UTF-8"))
        return None


def _parse(text: str, path: str, repo: str, config: Config, report: SyncReport | None) -> Notes:
    notes = parse_notes(text, path=path, repo=repo, phrases=config.sections, people=config.people)
    if report is not None:
        report.problems.extend(notes.problems)
    return notes


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


async def _ref_states(gh: Any, desired: list[DesiredIssue], existing_raw: list[dict[str, Any]]) -> dict[str, str | None]:
    """Reference states: the ones already listed in issue bodies (kept current by the
    references handler), else one ETag-cached read each, so sync and handler write the same text."""
    from .handlers.references import ref_states
    from .references import refs_in_body

    known: dict[str, str] = {}
    for issue in existing_raw:
        for ref, state in refs_in_body(issue.get("body")).items():
            if state:
                known[ref] = state
    wanted = sorted({r for d in desired for r in d.refs})
    # References an `@actionbot link` added are rendered too: their state must be known.
    from .render import parse_marker

    linked = {r for issue in existing_raw if (m := parse_marker(issue.get("body"))) for r in m.links_added}
    wanted = sorted({*wanted, *linked})
    if not wanted:
        return {}
    try:
        return await ref_states(gh, wanted, known)
    except (GitHubException, *LOST) as exc:
        log.warning("reference states unavailable: %s", describe_error(exc))
        return {r: known.get(r) for r in wanted}


async def _close_racing_twins(gh: Any, tracking: str, config: Config, outcome: ApplyResult) -> None:
    """Another replica may have created the same items at the same moment: the creator
    of the younger issue notices at once (one listing, only after creating) and closes
    it as a duplicate of the older, so a race never outlives the run that lost it."""
    created = {a.op.key: a.number for a in outcome.applied if isinstance(a.op, CreateIssue) and a.number}
    if not created:
        return
    listing = await gh.list_issues(tracking, labels=[config.labels.action_item], state="all")
    oldest: dict[str, int] = {}
    for issue in listing:
        marker = parse_marker(issue.get("body"))
        if marker is not None and marker.key in created:
            oldest[marker.key] = min(oldest.get(marker.key, int(issue["number"])), int(issue["number"]))
    ops = tuple(
        CloseIssue(number, "duplicate", duplicate_comment(key, oldest[key]), key)
        for key, number in created.items()
        if oldest.get(key, number) < number
    )
    if ops:
        log.info("closing %d issue(s) a concurrent run also created repo=%s", len(ops), tracking)
        twins = await apply_plan(gh, tracking, Plan(ops), action_label=config.labels.action_item, issue_urls=outcome.urls)
        outcome.applied += twins.applied
        outcome.failed += twins.failed


# ---------------------------------------------------------------- check run and dashboard


def _entries(
    result: Plan,
    existing: tuple[ExistingIssue, ...],
    desired: list[DesiredIssue],
    outcome: ApplyResult | None,
    urls: Mapping[int, str],
    *,
    preview: bool,
) -> list[checks.Entry]:
    """One line per issue for the check run, from the plan (preview) or from what was applied."""
    titles = {e.number: e.title for e in existing}
    all_urls = {**urls, **(outcome.urls if outcome else {})}
    ops: list[tuple[Operation, int | None]] = (
        [(op, None) for op in result.ops] if outcome is None else [(a.op, a.number) for a in outcome.applied]
    )
    seen: dict[int | str, checks.Entry] = {}
    order: list[int | str] = []

    def put(ident: int | str, entry: checks.Entry, strength: int) -> None:
        old = seen.get(ident)
        if old is None:
            order.append(ident)
        if old is None or _strength(old.kind) < strength:
            seen[ident] = entry

    for op, number in ops:
        if isinstance(op, EnsureLabel):
            continue
        if isinstance(op, CreateIssue):
            put(op.key, checks.Entry("opened", op.title, number, all_urls.get(number) if number else None), 5)
            continue
        n = op.number
        title = titles.get(n, f"#{n}")
        url = all_urls.get(n)
        if isinstance(op, CloseIssue):
            detail = {"completed": "done in the notes", "not_planned": "removed from the notes", "duplicate": "duplicate"}[op.reason]
            put(n, checks.Entry("closed", title, n, url, detail), 4)
        elif isinstance(op, Comment):
            kind = "carried_over" if op.kind == "carried-over" else "removed" if op.kind == "removed" else "updated"
            put(n, checks.Entry(kind, title, n, url), 3)
        elif isinstance(op, UpdateIssue):
            put(n, checks.Entry("updated", op.title or title, n, url, ", ".join(op.changed)), 2)
    if outcome is not None:
        for f in outcome.failed:
            if isinstance(f.op, EnsureLabel):
                put(f"label:{f.op.name}", checks.Entry("failed", f"label {f.op.name!r}", None, None, f.error), 9)
                continue
            fn: Any = getattr(f.op, "number", None)
            title = f.op.title if isinstance(f.op, CreateIssue) else titles.get(fn, f"#{fn}")
            put(f.op.key if isinstance(f.op, CreateIssue) else fn,
                checks.Entry("failed", title or "", fn, all_urls.get(fn) if fn else None, f.error), 9)
    for op in result.deferred:
        if isinstance(op, EnsureLabel):
            continue
        if isinstance(op, CreateIssue):
            put(op.key, checks.Entry("deferred", op.title), 1)
        else:
            put(op.number, checks.Entry("deferred", titles.get(op.number, f"#{op.number}"), op.number, all_urls.get(op.number)), 1)
    for n in result.unchanged:
        if n not in seen:
            put(n, checks.Entry("unchanged", titles.get(n, f"#{n}"), n, all_urls.get(n)), 0)
    return [seen[i] for i in order]


def _strength(kind: str) -> int:
    return {"unchanged": 0, "deferred": 1, "updated": 2, "carried_over": 3, "removed": 3, "closed": 4, "opened": 5, "failed": 9}.get(kind, 0)


async def _write_check(gh: Any, repo: str, sha: str, output: checks.CheckOutput, report: SyncReport, *, applied_anything: bool) -> None:
    """Write the check run unless one on this commit already says the same (zero writes on a re-run)."""
    try:
        runs = await gh.list_check_runs(repo, sha, name=checks.CHECK_NAME)
        quiet_rerun = not applied_anything and not report.failed and output.external_id == checks.SYNC_ID
        for run in runs:
            same_kind = (run.get("external_id") or checks.SYNC_ID) == output.external_id
            if output.same_as(run) or (quiet_rerun and same_kind and run.get("conclusion") == output.conclusion):
                # Nothing changed since a check that already tells the story of this commit.
                report.check = "already there"
                return
        await gh.create_check_run(
            repo,
            name=checks.CHECK_NAME,
            head_sha=sha,
            status="completed",
            conclusion=output.conclusion,
            output=output.output(),
            external_id=output.external_id,
        )
        report.check = "created"
    except (BadRequest, *LOST) as exc:
        # A personal token can not write check runs (only apps and GITHUB_TOKEN can): say so, go on.
        report.check = f"failed: {describe_error(exc)}"
        log.warning("check run not written repo=%s sha=%s: %s", repo, sha, describe_error(exc))


async def _refresh_dashboard(gh: Any, tracking: str, config: Config, known_labels: list[str], ctx: Any) -> None:
    """Keep the dashboard issue current after a run that changed issues (errors never fail the sync)."""
    from .handlers.commands import refresh_dashboard
    from .render import LABEL_STYLES

    try:
        name = config.labels.dashboard
        if name.casefold() not in {n.casefold() for n in known_labels}:
            style = LABEL_STYLES["dashboard"]
            try:
                await gh.create_label(tracking, name, style.color, style.description)
            except BadRequest as exc:
                if int(exc.status_code) != 422:
                    raise
        await refresh_dashboard(gh, tracking, config, handle=getattr(ctx, "handle", "actionbot"))
    except (GitHubException, *LOST) as exc:
        log.warning("dashboard not refreshed repo=%s: %s", tracking, describe_error(exc))


def _is_sha(ref: str | None) -> bool:
    return ref is not None and len(ref) == 40 and all(c in "0123456789abcdef" for c in ref.lower())
