"""Keeping the review-list comment on meeting issues current (the text and decisions: core/meeting.py).

Called when a meeting issue is opened, labelled or retitled (one issue), and
after a sync that changed action items and by the periodic resync (every open
meeting issue of the repository). Reads are ETag-cached, so a pass over an
unchanged repository costs 304s; a comment is written only when its text
changed, and never a second one.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gidgethub import GitHubException

from actionbot.core import meeting
from actionbot.core.agenda import Agenda
from actionbot.core.commands import DEFAULT_HANDLE
from actionbot.core.config import Config
from actionbot.engine.agenda import review_list
from actionbot.engine.apply import LOST, describe_error
from actionbot.engine.items import is_private
from actionbot.engine.port import GitHub

log = logging.getLogger(__name__)


async def keep_meeting_issue(
    gh: GitHub, repo: str, issue: Mapping[str, Any], config: Config, *,
    now: datetime | None = None, handle: str = DEFAULT_HANDLE, listing: Agenda | None = None,
) -> meeting.Upkeep:
    """Post or edit the review-list comment of one meeting issue of `repo` (nothing if it is not one)."""
    if not meeting.is_meeting_issue(issue, config):
        return meeting.Upkeep("none")
    if await _list_hidden(gh, repo, config, issue):
        body, is_frozen = meeting.PRIVATE_BODY, issue.get("state") == "closed"
    else:
        if listing is None:
            listing = await review_list(gh, config.tracking_repo or repo, config, now=now or datetime.now(UTC))
        body, is_frozen = meeting.comment_body(listing, handle), meeting.frozen(issue, listing)
    number = int(issue["number"])
    comments = await gh.list_comments(repo, number)  # always read: a payload's count may be stale
    decision = meeting.upkeep(comments, body, is_frozen=is_frozen)
    if decision.action == "create":
        await gh.create_comment(repo, number, decision.body)
    elif decision.action == "update" and decision.comment_id is not None:
        await gh.update_comment(repo, decision.comment_id, decision.body)
    return decision


async def refresh_meeting_issues(
    gh: GitHub, repo: str, config: Config, *, now: datetime | None = None, handle: str = DEFAULT_HANDLE
) -> int:
    """Bring every open meeting issue of `repo` up to date; returns how many comments were written.

    Failures are logged, never raised: the sync or resync that calls this has done its work.
    """
    if config.meeting_issues is None:
        return 0
    written = 0
    try:
        candidates = await _open_candidates(gh, repo, config)
        if not candidates:
            return 0
        listing = None
        if not await _list_hidden(gh, repo, config):
            listing = await review_list(gh, config.tracking_repo or repo, config, now=now or datetime.now(UTC))
        for issue in candidates:
            decision = await keep_meeting_issue(gh, repo, issue, config, handle=handle, listing=listing)
            written += decision.action != "none"
    except (GitHubException, *LOST) as exc:
        log.warning("meeting issues not refreshed repo=%s: %s", repo, describe_error(exc))
    return written


async def _list_hidden(gh: GitHub, repo: str, config: Config, issue: Mapping[str, Any] | None = None) -> bool:
    """Whether the items live in a private repository and the meeting issue is public: then their
    titles and states (and their references') stay out of it. ETag-cached reads of both repositories."""
    tracking = config.tracking_repo or repo
    if tracking.casefold() == repo.casefold() or not await is_private(gh, tracking):
        return False
    return not await is_private(gh, repo, issue)


async def _open_candidates(gh: GitHub, repo: str, config: Config) -> list[dict[str, Any]]:
    """Open meeting issues: by label (one listing each), and by title when a glob is set (every open issue)."""
    rule = config.meeting_issues
    assert rule is not None
    found: dict[int, dict[str, Any]] = {}
    if rule.title:
        listings = [await gh.list_issues(repo, state="open")]
    else:
        listings = [await gh.list_issues(repo, labels=[label], state="open") for label in rule.labels]
    for listing in listings:
        for issue in listing:
            if meeting.is_meeting_issue(issue, config):
                found.setdefault(int(issue["number"]), issue)
    return [found[n] for n in sorted(found)]
