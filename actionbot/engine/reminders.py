"""Sending the reminders that are due (which ones, and their text: core/reminders.py).

Run by the periodic resync of each repository: one listing of the action items
(the one the reconcile just read, so a 304) and, only when something is due,
a comment and a marker update per reminder, through the same apply layer as a
sync (paced, retried, a lost comment never posted twice).
"""

from __future__ import annotations

import logging
from datetime import datetime

from gidgethub import GitHubException

from actionbot.core.commands import DEFAULT_HANDLE
from actionbot.core.config import Config
from actionbot.core.operations import Comment
from actionbot.core.reminders import plan_reminders
from actionbot.engine.apply import LOST, apply_plan, describe_error
from actionbot.engine.port import GitHub

log = logging.getLogger(__name__)


async def send_reminders(gh: GitHub, tracking: str, config: Config, now: datetime, *, handle: str = DEFAULT_HANDLE) -> int:
    """Post the reminders due in `tracking`; returns how many were posted (errors are logged, not raised)."""
    if config.reminders is None:
        return 0
    try:
        listing = await gh.list_issues(tracking, labels=[config.labels.action_item], state="all")
        plan = plan_reminders(listing, config, now, handle)
        if not plan.ops:
            return 0
        outcome = await apply_plan(gh, tracking, plan, action_label=config.labels.action_item)
    except (GitHubException, *LOST) as exc:
        log.warning("reminders not sent repo=%s: %s", tracking, describe_error(exc))
        return 0
    sent = sum(1 for a in outcome.applied if isinstance(a.op, Comment))
    if sent:
        log.info("reminders sent repo=%s count=%d", tracking, sent)
    return sent
