"""Meeting issues: the review list posted on the issue a team opens per meeting, and kept current.

An issue opened (or reopened) as a meeting issue, or made one later by a label
or a new title, gets the review list as one comment (`engine/meetings.py`).
The configuration is the repository's own; without `meeting_issues:` nothing
happens. Issues opened by bots (this one's dashboard and action items
included) are left alone.
"""

from __future__ import annotations

import logging

from gidgethub.routing import Router
from gidgethub.sansio import Event

from actionbot.engine.items import config_or_defaults
from actionbot.engine.meetings import keep_meeting_issue
from actionbot.service.context import Context, GitHub

log = logging.getLogger(__name__)
router = Router()


@router.register("issues", action="opened")
@router.register("issues", action="reopened")
@router.register("issues", action="labeled")
@router.register("issues", action="edited")
async def meeting_issue(event: Event, gh: GitHub, ctx: Context) -> None:
    data = event.data
    issue = data.get("issue") or {}
    if (issue.get("user") or {}).get("type") == "Bot" or issue.get("state") != "open":
        return
    if data.get("action") == "edited" and "title" not in (data.get("changes") or {}):
        return  # a body edit changes nothing about being a meeting issue
    repo = data["repository"]["full_name"]
    config = await config_or_defaults(gh, repo)
    if config.meeting_issues is None:
        return
    decision = await keep_meeting_issue(gh, repo, issue, config, handle=ctx.handle)
    if decision.action != "none" and ctx is not None:
        ctx.note(f"{repo}#{issue.get('number')}: review list {decision.action}d")
