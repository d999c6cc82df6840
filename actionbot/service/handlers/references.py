"""A referenced PR or issue closed, merged or reopened: tell the action items that reference it.

The items are found through the closed item's timeline (`cross-referenced`
events: every action-item issue lists its references in its body, so GitHub
records the mention), never by scanning the installation's issues. For each
item: one notice, posted only if no comment carries its marker yet (checked
under a per-notice lock in this process; across replicas, a second look after
posting deletes all but the oldest copy), then the `refs closed` label or, with
`close_when_refs_closed`, a close as completed. The reference list in the
item's body is brought up to date in the same edit, exactly as the next sync
would render it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from gidgethub.routing import Router
from gidgethub.sansio import Event

from actionbot.core.config import Config
from actionbot.core.refstate import (
    OPEN,
    RefEvent,
    event_from_payload,
    notice_for,
    refs_in_body,
)
from actionbot.core.render import parse_marker
from actionbot.engine.items import config_or_defaults, is_private, post_once, settle_item, split_ref
from actionbot.service.context import Context, GitHub

log = logging.getLogger(__name__)
router = Router()


def repo_of(issue: Mapping[str, Any]) -> str | None:
    """owner/name of an issue object (timeline sources carry `repository` or only `repository_url`)."""
    repository = issue.get("repository")
    if isinstance(repository, Mapping) and repository.get("full_name"):
        return str(repository["full_name"])
    url = issue.get("repository_url") or ""
    m = re.search(r"/repos/([^/]+/[^/]+)$", url)
    return m.group(1) if m else None


async def items_referencing(gh: GitHub, repo: str, number: int) -> list[tuple[str, dict[str, Any]]]:
    """Action-item issues that mention `repo#number`, from its timeline's cross-references."""
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for entry in await gh.timeline(repo, number):
        if entry.get("event") != "cross-referenced":
            continue
        source = (entry.get("source") or {}).get("issue") or {}
        if not source or "pull_request" in source:
            continue
        source_repo = repo_of(source)
        if source_repo is None:
            continue
        if "body" not in source or "labels" not in source:
            source = await gh.get_issue(source_repo, int(source["number"]))
        if parse_marker(source.get("body")) is None:
            continue
        found.setdefault(f"{source_repo.lower()}#{source['number']}", (source_repo, source))
    return list(found.values())


async def tell_items(gh: GitHub, event: RefEvent, ctx: Context) -> int:
    """Notices for every open item that lists the reference; label and body updates for all of them.

    An item already closed gets no notice (its work is over: nobody needs a
    notification about it), but its reference list and `refs closed` label are
    still brought in line, so labels stay true and a reopened item shows the
    truth. Returns notices posted.
    """
    repo, number = split_ref(event.target.ref)
    posted = 0
    configs: dict[str, Config] = {}  # one read per notes repository per delivery, not per item
    for item_repo, item in await items_referencing(gh, repo, number):
        listed = {r.lower() for r in refs_in_body(item.get("body"))}
        if event.target.ref.lower() not in listed:
            continue
        item_number = int(item["number"])
        hidden = event.target.private and not await is_private(gh, item_repo, item)
        text, key = notice_for(event, hidden=hidden)
        if item.get("state") == "open" and await post_once(gh, item_repo, item_number, text, key):
            posted += 1
        marker = parse_marker(item.get("body"))
        config_repo = marker.repo if marker and marker.repo else item_repo
        if config_repo.lower() not in configs:
            configs[config_repo.lower()] = await config_or_defaults(gh, config_repo)
        config = configs[config_repo.lower()]
        fresh = await gh.get_issue(item_repo, item_number)
        did = await settle_item(gh, item_repo, fresh, config, known={event.target.ref: event.target.state})
        ctx.note(f"{item_repo}#{item_number}: {event.action} {event.target.ref}" + (f", {', '.join(did)}" if did else ""))
    return posted


@router.register("issues", action="closed")
@router.register("issues", action="reopened")
@router.register("pull_request", action="closed")
@router.register("pull_request", action="reopened")
async def reference_changed(event: Event, gh: GitHub, ctx: Context) -> None:
    ref_event = event_from_payload(event.event, event.data)
    if ref_event is None or (ref_event.action == "reopened" and ref_event.target.state != OPEN):
        return
    await tell_items(gh, ref_event, ctx)
