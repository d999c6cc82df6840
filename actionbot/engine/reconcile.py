"""The one reconcile: notes at a commit -> issues in the tracking repository.

Every path into the engine calls `reconcile`: a push to the default branch
(scoped to the meetings the push changed), a pull request's preview (a dry
run whose only write is its check run), `actionbot sync` from the command line
or a GitHub Actions workflow (a full sync, bounded by `since`), and follow-up
runs for work over the per-run write cap. Because the plan is computed from
GitHub's own state each time, running it twice, or after a crash, or
concurrently, converges to the same issues.

Scope of a push: only the meetings whose text changed between `before` and
`after` are acted on (see actionbot.engine.read), so that enabling actionbot on a
repository with years of notes, or editing one meeting of a yearly file,
touches only what the push touched. This module is the I/O shell around the
pure steps: it reads (read.py), plans (core/plan.py), applies (apply.py), and
writes the check run whose text core/checkrun.py makes.

Two runs for one tracking repository never overlap in this process
(`lock_for`); the service runs one process, and a GitHub Actions workflow
uses a `concurrency` group per repository. Should two runs still race (a workflow without one), each closes the
younger of any twin it created as a duplicate of the older.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from gidgethub import BadRequest, GitHubException

from actionbot.core import checkrun
from actionbot.core.commands import DEFAULT_HANDLE
from actionbot.core.config import CONFIG_PATH, Config, ConfigError
from actionbot.core.desired import DesiredIssue
from actionbot.core.existing import ExistingIssue, existing_issues
from actionbot.core.names import is_full_sha
from actionbot.core.operations import ApplyResult, CloseIssue, CreateIssue, Plan
from actionbot.core.plan import plan as make_plan
from actionbot.core.refstate import refs_in_body
from actionbot.core.render import duplicate_comment, parse_marker
from actionbot.core.review import unmatched as unmatched_reviews
from actionbot.engine.apply import LOST, apply_plan, describe_error
from actionbot.engine.items import is_private, keep_dashboard_current, lock_for, read_config, ref_states
from actionbot.engine.meetings import refresh_meeting_issues
from actionbot.engine.port import GitHub, Runner
from actionbot.engine.read import Changed, Reading, keep_permalinks, read_notes, scope_after_moves, too_complex
from actionbot.engine.report import SyncReport
from actionbot.engine.subissues import link_sub_issues
from actionbot.engine.worker import TooComplex, run_bounded
from actionbot.notes.model import Problem

log = logging.getLogger(__name__)
ZERO_SHA = "0" * 40
MAX_FOLLOW_UPS = 25  # a chain of deferred runs never loops for ever

@dataclass(frozen=True)
class Request:
    """What one reconcile is asked to do (see `reconcile` for each field)."""

    repo: str
    ref: str | None = None
    before: str | None = None
    changed: Collection[Changed] | None = None
    since: str | None = None
    dry_run: bool = False
    preview: bool = False
    check: bool = True
    dashboard: bool = True
    meetings: Collection[str | None] | None = None
    config_ref: str | None = None  # read the configuration there (a preview: the base branch's)
    follow_ups: int = 0  # how many deferred runs led to this one

    @property
    def writes_check(self) -> bool:
        return self.check and (self.preview or not self.dry_run)  # a dry run writes nothing; a preview only its check


@dataclass
class _Target:
    """What the read step learned: the commit, its configuration and the notes files to read."""

    sha: str
    config: Config
    tracking: str
    changed: list[Changed] | None
    config_changed: bool
    html_url: str


async def reconcile(
    gh: GitHub,
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
    config_ref: str | None = None,
    ctx: Runner | None = None,
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
    the rest of a yearly file is not swept in). `config_ref`: read the configuration
    there instead (a pull request's preview: the base branch's, so a pull request
    can not raise its own limits; its own file is only validated). `ctx`: who runs
    it, used to schedule a follow-up run when the write cap deferred work.
    """
    request = Request(
        repo, ref=ref, before=None if before == ZERO_SHA else before, changed=changed, since=since, dry_run=dry_run,
        preview=preview, check=check, dashboard=dashboard, meetings=meetings, config_ref=config_ref,
    )
    return await run(gh, request, ctx)


async def run(gh: GitHub, request: Request, ctx: Runner | None) -> SyncReport:
    """read -> plan -> apply -> report."""
    report = SyncReport(repo=request.repo, dry_run=request.dry_run or request.preview, preview=request.preview)
    target = await _read(gh, request, report)
    applied_anything = False
    if target is not None:
        async with lock_for(report.tracking_repo.casefold()):  # one reconcile per tracking repository
            applied_anything = await _plan_and_apply(gh, request, target, report, ctx)
    await _report(gh, request, target, report, ctx, applied_anything=applied_anything)
    return report


async def _read(gh: GitHub, request: Request, report: SyncReport) -> _Target | None:
    """The commit, its configuration and which notes files to read; None when there is nothing to do."""
    repo = request.repo
    repo_data: dict[str, Any] | None = None
    if is_full_sha(request.ref):
        report.sha = str(request.ref)
    else:
        repo_data = await gh.get_repo(repo)
        report.sha = (await gh.get_commit(repo, request.ref or repo_data.get("default_branch") or "main"))["sha"]
    report.tracking_repo = repo
    try:
        config = await read_config(gh, repo, ref=request.config_ref or report.sha)
    except ConfigError as exc:
        report.config_error = Problem(exc.path, exc.line, exc.message)
        return None
    if request.config_ref and request.config_ref != report.sha:
        report.problems += await _unapplied_config(gh, repo, report.sha)
    if request.since:
        config = dataclasses.replace(config, since=request.since)
    report.tracking_repo = config.tracking_repo or repo
    changed, config_changed = None, False
    if request.changed is not None:
        config_changed = any(c.path == CONFIG_PATH for c in request.changed)
        changed = [c for c in request.changed if config.matches(c.path) or (c.previous and config.matches(c.previous))]
        if not changed and not config_changed:
            report.skipped = "no notes file changed"
            return None
    if repo_data is None:
        repo_data = await gh.get_repo(repo)
    html_url = repo_data.get("html_url") or f"https://github.com/{repo}"
    return _Target(str(report.sha), config, report.tracking_repo, changed, config_changed, html_url)


async def _plan_and_apply(gh: GitHub, request: Request, target: _Target, report: SyncReport, ctx: Runner | None) -> bool:
    """Read the notes and the issues, plan, and apply unless dry; True when anything was written."""
    config, tracking = target.config, target.tracking
    try:
        existing_raw = await gh.list_issues(tracking, labels=[config.labels.action_item], state="all")
    except BadRequest as exc:
        if int(exc.status_code) != 404 or tracking.casefold() == request.repo.casefold():
            raise
        missing = f"`tracking_repo` {tracking} was not found, or actionbot can not see it; fix `tracking_repo` or install the app there"
        report.config_error = Problem(CONFIG_PATH, None, missing)
        return False
    existing = existing_issues(existing_raw)
    reading = await read_notes(
        gh, request.repo, target.html_url, target.sha, request.before, target.changed, config, existing,
        config_changed=target.config_changed, only_meetings=None if request.meetings is None else set(request.meetings),
    )
    report.files += reading.files
    report.problems += reading.problems
    report.unsure += reading.unsure
    known_labels = [lb["name"] for lb in await gh.list_labels(tracking)]
    handle = ctx.handle if ctx is not None else DEFAULT_HANDLE
    steps = _Run(gh, tracking, config, reading, known_labels, report, dashboard=request.dashboard, handle=handle)
    report.problems += unmatched_reviews(reading.reviews, existing, tracking)
    result = await steps.plan(existing_raw)
    if report.dry_run:
        report.entries = checkrun.entries_for(result, steps.existing, None, steps.urls)
        return False
    return await steps.apply(result)


async def _report(
    gh: GitHub, request: Request, target: _Target | None, report: SyncReport, ctx: Runner | None, *, applied_anything: bool
) -> None:
    """The check run, a follow-up run for deferred work, and the report left with whoever ran it."""
    if request.writes_check and report.sha and not report.skipped:
        if report.config_error is not None:  # a configuration that can not be worked with: one line
            output = checkrun.summarise([], preview=request.preview, config_error=report.config_error)
        else:
            output = checkrun.summarise(report.entries, report.problems, preview=request.preview, unsure=report.unsure)
        await _write_check(gh, request.repo, report.sha, output, report, applied_anything=applied_anything)
    if report.deferred and not report.dry_run and ctx is not None and target is not None and request.follow_ups < MAX_FOLLOW_UPS:
        later = dataclasses.replace(request, ref=target.sha, changed=target.changed, follow_ups=request.follow_ups + 1)

        async def follow_up() -> None:
            await run(gh, later, ctx)

        report.follow_up = bool(ctx.enqueue(request.repo, follow_up))
    if ctx is not None:
        ctx.record(report)


async def _unapplied_config(gh: GitHub, repo: str, sha: str) -> list[Problem]:
    """A preview's own configuration: validated, its errors shown, never applied."""
    try:
        await read_config(gh, repo, ref=sha)
    except ConfigError as exc:
        note = "in this pull request's version, which the preview does not use (it uses the base branch's); fix it before merging"
        return [Problem(exc.path, exc.line, f"{exc.message} ({note})")]
    return []


class _Run:
    """Plan and apply for one reconcile."""

    def __init__(
        self, gh: GitHub, tracking: str, config: Config, reading: Reading,
        known_labels: list[str], report: SyncReport, *, dashboard: bool, handle: str,
    ):
        self.gh, self.tracking, self.config = gh, tracking, config
        self.read, self.scope = reading.desired, reading.scope
        self.reviews = reading.reviews  # review-section lines: they close and carry over issues
        self.gone = reading.gone  # paths the issues name that the commit no longer has
        self.known_labels, self.report, self.dashboard, self.handle = known_labels, report, dashboard, handle
        self.existing: tuple[ExistingIssue, ...] = ()
        self.desired: list[DesiredIssue] = []
        self.urls: dict[int, str] = {}
        self.raw: dict[int, dict[str, Any]] = {}  # the listing planned from: issue number -> issue

    async def plan(self, existing_raw: list[dict[str, Any]]) -> Plan:
        gh, tracking = self.gh, self.tracking
        self.existing = existing_issues(existing_raw)
        self.raw = {int(i["number"]): i for i in existing_raw}
        self.urls = {int(i["number"]): i.get("html_url", "") for i in existing_raw}
        self.desired = desired = keep_permalinks(self.read, self.existing, self.gone)
        logins = {login for d in desired for login in d.logins()}
        assignable = {login for login in sorted(logins) if await gh.is_assignable(tracking, login)}
        states = await _ref_states(gh, tracking, desired, existing_raw)
        options = dict(
            tracking_repo=tracking,
            assignable=assignable,
            scope=scope_after_moves(self.read, desired, self.scope, self.existing, self.gone),
            ref_states=states,
            known_labels=self.known_labels,
            reviews=self.reviews,
            gone=self.gone,
        )
        try:
            result = await run_bounded("planning", _plan_job, desired, self.existing, self.config, options)
        except TooComplex as exc:
            files = ", ".join(self.report.files) or "the notes"
            self.report.problems.append(Problem(files, None, too_complex(exc)))
            result = Plan()
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
        report.entries = checkrun.entries_for(result, self.existing, outcome, self.urls)
        if self.dashboard and config.dashboard and outcome.applied:
            await keep_dashboard_current(gh, tracking, config, handle=self.handle, known_labels=self.known_labels)
        if outcome.applied and config.meeting_issues is not None:
            await refresh_meeting_issues(gh, report.repo, config, handle=self.handle)
        return bool(outcome.applied)

    async def link_sub_issues(self, outcome: ApplyResult) -> None:
        """Owned sub-items' issues become the parent's sub-issues (best effort, never a failure;
        decided from the listing already read, so an unchanged run makes no request here)."""
        families = [(d.key, [s.key for s in d.sub_items]) for d in self.desired if d.sub_items]
        if not families:
            return
        closed_twins = (a for a in outcome.applied if isinstance(a.op, CloseIssue) and a.op.reason == "duplicate")
        twins = {a.number for a in closed_twins if a.number is not None}
        linked = await link_sub_issues(
            self.gh, self.tracking, families, outcome.numbers, {**self.raw, **outcome.created}, skip=twins
        )
        if linked.added:
            log.info("sub-issues added repo=%s: %s", self.tracking, ", ".join(f"#{ln.child} under #{ln.parent}" for ln in linked.added))


def _plan_job(
    desired: list[DesiredIssue], existing: tuple[ExistingIssue, ...], config: Config, options: dict[str, Any]
) -> Plan:
    """In the worker: the pure planner (linear, but seconds for a 1 MB history: off the event loop)."""
    return make_plan(desired, existing, config, **options)


async def _ref_states(
    gh: GitHub, tracking: str, desired: list[DesiredIssue], existing_raw: list[dict[str, Any]]
) -> dict[str, str | None]:
    """Reference states: the ones already listed in issue bodies (kept current by the
    references handler), else one ETag-cached read each, so sync and handler write the same text.
    In a public tracking repository a private repository's reference shows no state."""
    known: dict[str, str] = {}
    for issue in existing_raw:
        for ref, state in refs_in_body(issue.get("body")).items():
            if state:
                known[ref] = state
    # References an `@actionbot link` added are rendered too: their state must be known.
    linked = {r for issue in existing_raw if (m := parse_marker(issue.get("body"))) for r in m.links_added}
    wanted = sorted({r for d in desired for r in d.refs} | linked)
    if not wanted:
        return {}
    try:
        return await ref_states(gh, wanted, known, public=not await is_private(gh, tracking))
    except (GitHubException, *LOST) as exc:
        log.warning("reference states unavailable: %s", describe_error(exc))
        return {r: known.get(r) for r in wanted}


async def _close_racing_twins(gh: GitHub, tracking: str, config: Config, outcome: ApplyResult) -> None:
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


# ---------------------------------------------------------------- check run (its text: checkrun.py)


async def _write_check(gh: GitHub, repo: str, sha: str, output: checkrun.CheckOutput, report: SyncReport, *, applied_anything: bool) -> None:
    """Write the check run unless one on this commit already says the same (zero writes on a re-run)."""
    try:
        runs = await gh.list_check_runs(repo, sha, name=checkrun.CHECK_NAME)
        quiet_rerun = not applied_anything and not report.failed and output.external_id == checkrun.SYNC_ID
        for run in runs:
            same_kind = (run.get("external_id") or checkrun.SYNC_ID) == output.external_id
            if output.same_as(run) or (quiet_rerun and same_kind and run.get("conclusion") == output.conclusion):
                # Nothing changed since a check that already tells the story of this commit.
                report.check = "already there"
                return
        await gh.create_check_run(
            repo, name=checkrun.CHECK_NAME, head_sha=sha, status="completed",
            conclusion=output.conclusion, output=output.output(), external_id=output.external_id,
        )
        report.check = "created"
    except (BadRequest, *LOST) as exc:
        # A personal token can not write check runs (only apps and GITHUB_TOKEN can): say so, go on.
        report.check = f"failed: {describe_error(exc)}"
        log.warning("check run not written repo=%s sha=%s: %s", repo, sha, describe_error(exc))
