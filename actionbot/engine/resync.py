"""One repository's run without a push: the periodic resync and a new installation's first run.

The notes are reconciled with no push to scope them, then the references of
the open items are polled and the dashboard kept current (its ages move on
quiet days too). How far back such a run looks (`since`): the
configuration's `since` when set; otherwise the older of "30 days ago" and
the oldest meeting that already has an issue. So a repository seen for the
first time (app just installed, years of notes) opens issues for the last
month only, and later passes keep every meeting already tracked in line
without reaching further back. Set `since:` in `.github/actionbot.yml` (or
run `actionbot sync --since`) to widen it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from gidgethub import BadRequest

from actionbot.core.ages import Clock
from actionbot.core.commands import DEFAULT_HANDLE
from actionbot.core.config import CONFIG_PATH, DEFAULT_CONFIG, Config, ConfigError
from actionbot.core.existing import existing_issues
from actionbot.engine.items import check_references, keep_dashboard_current, read_config
from actionbot.engine.meetings import refresh_meeting_issues
from actionbot.engine.port import GitHub, Runner
from actionbot.engine.reconcile import reconcile
from actionbot.engine.reminders import send_reminders

FIRST_RUN_DAYS = 30


def bound_since(today: str, tracked_meetings: Iterable[str | None], days: int = FIRST_RUN_DAYS) -> str:
    """Pure: the `since` of a run without a push when the configuration has none (ISO dates)."""
    floor = (datetime.fromisoformat(today) - timedelta(days=days)).date().isoformat()
    dates = [d for d in tracked_meetings if d]
    return min([floor, *dates])


def today_of(clock: Clock) -> str:
    return datetime.fromtimestamp(clock(), tz=UTC).date().isoformat()


async def repository_config(gh: GitHub, repo: str) -> tuple[Config | None, str]:
    """The repository's configuration, or None and why it is skipped (no notes, invalid configuration).

    Read the way the reconcile reads it (the default branch's head commit, its
    tree, the file at that sha), so that on an unchanged repository every one of
    these reads is a free 304 the reconcile then repeats for free; and the
    configuration is read only when the tree has one: a 404 has no ETag, so
    asking for an absent file would count against the rate limit on every pass.
    """
    data = await gh.get_repo(repo)
    branch = data.get("default_branch")
    if not branch:
        return None, "empty repository"
    try:
        sha = (await gh.get_commit(repo, branch))["sha"]
        paths = await gh.get_tree(repo, sha)
    except BadRequest as exc:
        if int(exc.status_code) in (404, 409):  # no commit yet
            return None, "empty repository"
        raise
    if CONFIG_PATH in paths:
        try:
            return await read_config(gh, repo, ref=sha), ""
        except ConfigError as exc:
            # The next push reports it on its check run, at the line at fault.
            return None, f"invalid {CONFIG_PATH}: {exc}"
    if not any(DEFAULT_CONFIG.matches(p) for p in paths):
        return None, f"no {CONFIG_PATH} and no file matches {', '.join(DEFAULT_CONFIG.notes)}"
    return DEFAULT_CONFIG, ""


async def tracked_meetings(gh: GitHub, repo: str, config: Config) -> list[str | None]:
    """Meeting dates of the issues that already track items of `repo` (ETag-cached: reconcile lists them too)."""
    tracking = config.tracking_repo or repo
    listing = await gh.list_issues(tracking, labels=[config.labels.action_item], state="all")
    out: list[str | None] = []
    for issue in existing_issues(listing):
        m = issue.marker
        if m is not None and m.repo.casefold() == repo.casefold():
            out += [m.meeting, *m.meetings]
    return out


@dataclass
class RepoResync:
    repo: str
    skipped: str = ""
    since: str | None = None
    applied: int = 0
    failed: int = 0
    notices: int = 0
    error: str = ""

    def summary(self) -> str:
        if self.error:
            return f"{self.repo}: error {self.error}"
        if self.skipped:
            return f"{self.repo}: skipped ({self.skipped})"
        return f"{self.repo}: since {self.since or 'config'}, {self.applied} applied, {self.failed} failed, {self.notices} notices"


async def resync_repository(
    gh: GitHub,
    repo: str,
    *,
    ctx: Runner | None = None,
    clock: Clock = time.time,
    first_run_days: int = FIRST_RUN_DAYS,
    check: bool = False,
    references: bool = True,
) -> RepoResync:
    """Reconcile one repository's notes (bounded as the module says) and poll its items' references.

    `check=False`: a resync writes issues, not check runs (the head commit of a
    repository is often not about notes; pushes write the checks).
    """
    result = RepoResync(repo)
    config, why = await repository_config(gh, repo)
    if config is None:
        result.skipped = why
        return result
    if not config.since:
        result.since = bound_since(today_of(clock), await tracked_meetings(gh, repo, config), first_run_days)
    report = await reconcile(gh, repo, since=result.since, check=check, ctx=ctx)
    result.applied, result.failed = len(report.applied), len(report.failed)
    if references:
        result.notices = await check_references(gh, config.tracking_repo or repo, config, ctx)
    handle = ctx.handle if ctx is not None else DEFAULT_HANDLE
    if config.dashboard and not report.applied and report.config_error is None:
        # A run that wrote refreshed it already; otherwise its ages (in days) would go
        # stale on quiet days. Rewritten only when its text changed: at most daily.
        await keep_dashboard_current(
            gh, config.tracking_repo or repo, config, handle=handle,
            now=datetime.fromtimestamp(clock(), UTC), create=False,
        )
    if config.reminders is not None and report.config_error is None:
        await send_reminders(
            gh, config.tracking_repo or repo, config, datetime.fromtimestamp(clock(), UTC),
            handle=handle,
        )
    if config.meeting_issues is not None and not report.applied and report.config_error is None:
        # ages and states move on quiet days too (a sync that wrote refreshed them already)
        await refresh_meeting_issues(
            gh, repo, config, now=datetime.fromtimestamp(clock(), UTC), handle=handle
        )
    if ctx is not None:
        ctx.note(result.summary())
    return result
