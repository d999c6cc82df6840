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

import asyncio
import logging
import re
import weakref
from collections.abc import Mapping
from typing import Any

from gidgethub import BadRequest
from gidgethub.routing import Router
from gidgethub.sansio import Event

from actionbot.core.config import CONFIG_PATH, DEFAULT_CONFIG, Config, ConfigError, load_config
from actionbot.core.refstate import (
    OPEN,
    RefEvent,
    RefState,
    already_reported,
    body_with_refs,
    changes,
    duplicates,
    event_from_payload,
    notice,
    refs_in_body,
    refs_label_plan,
    state_from_issue,
)
from actionbot.core.render import parse_marker

log = logging.getLogger(__name__)
router = Router()

_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def lock_for(key: str) -> asyncio.Lock:
    """One lock per notice (or per item) in this process: two handlers never check-then-post together."""
    lock = _locks.get(key)
    if lock is None:
        lock = asyncio.Lock()
        _locks[key] = lock
    return lock


def split_ref(ref: str) -> tuple[str, int]:
    repo, _, number = ref.rpartition("#")
    return repo, int(number)


def repo_of(issue: Mapping[str, Any]) -> str | None:
    """owner/name of an issue object (timeline sources carry `repository` or only `repository_url`)."""
    repository = issue.get("repository")
    if isinstance(repository, Mapping) and repository.get("full_name"):
        return str(repository["full_name"])
    url = issue.get("repository_url") or ""
    m = re.search(r"/repos/([^/]+/[^/]+)$", url)
    return m.group(1) if m else None


async def read_config(gh: Any, repo: str) -> Config:
    """The notes repository's configuration (defaults when absent or invalid: labels still need names)."""
    try:
        raw = await gh.get_content(repo, CONFIG_PATH)
    except BadRequest:
        return DEFAULT_CONFIG
    if raw is None:
        return DEFAULT_CONFIG
    try:
        return load_config(raw.decode("utf-8", "replace"), CONFIG_PATH)
    except ConfigError as exc:
        log.warning("%s: invalid configuration, using defaults for labels: %s", repo, exc)
        return DEFAULT_CONFIG


async def ref_states(gh: Any, refs: list[str], known: Mapping[str, str] | None = None) -> dict[str, str | None]:
    """Current state of each reference: `known` first, else one ETag-cached `get_issue`."""
    known_l = {k.lower(): v for k, v in (known or {}).items()}
    out: dict[str, str | None] = {}
    for ref in refs:
        if ref.lower() in known_l:
            out[ref] = known_l[ref.lower()]
            continue
        repo, number = split_ref(ref)
        try:
            out[ref] = state_from_issue(repo, await gh.get_issue(repo, number)).state
        except BadRequest:  # gone, or not readable with this installation's token
            out[ref] = None
    return out


def _label_names(issue: Mapping[str, Any]) -> list[str]:
    return [lab["name"] if isinstance(lab, Mapping) else str(lab) for lab in issue.get("labels") or []]


async def settle_item(
    gh: Any, repo: str, issue: Mapping[str, Any], config: Config, known: Mapping[str, str] | None = None
) -> list[str]:
    """Bring an item's reference list, `refs closed` label and (option) state in line. Returns what it did."""
    body = issue.get("body") or ""
    listed = refs_in_body(body)
    refs = list(listed)
    if not refs:
        return []
    states = await ref_states(gh, refs, known)
    labels = _label_names(issue)
    label = config.labels.refs_closed
    plan = refs_label_plan(
        refs,
        {r: s for r, s in states.items() if s},
        has_label=label in labels,
        issue_open=issue.get("state") == "open",
        close_when_refs_closed=config.close_when_refs_closed,
    )
    did: list[str] = []
    fields: dict[str, Any] = {}
    if any(listed[r] != states[r] for r in refs):
        fields["body"] = body_with_refs(body, states)
    if plan.add_label:
        fields["labels"] = [*labels, label]
    elif plan.remove_label:
        fields["labels"] = [n for n in labels if n != label]
    number = int(issue["number"])
    if plan.close and plan.comment:
        await gh.create_comment(repo, number, plan.comment)
        fields.update(state="closed", state_reason="completed")
        did.append("closed (refs closed)")
    if fields:
        await gh.update_issue(repo, number, **fields)
        did += [f"{k} updated" for k in fields if k in ("body", "labels")]
    return did


async def post_once(gh: Any, repo: str, number: int, text: str, marker: str) -> bool:
    """Post `text` unless a comment already carries `marker`. True when this call posted it."""
    async with lock_for(f"{repo.lower()}#{number}:{marker}"):
        if already_reported(await gh.list_comments(repo, number), marker):
            return False
        await gh.create_comment(repo, number, text)
        # Another replica may have raced us: keep the oldest copy only.
        for comment_id in duplicates(await gh.list_comments(repo, number), marker):
            await gh.delete_comment(repo, comment_id)  # gone already (the other replica was first): fine
        return True


async def items_referencing(gh: Any, repo: str, number: int) -> list[tuple[str, dict[str, Any]]]:
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


async def tell_items(gh: Any, event: RefEvent, ctx: Any = None) -> int:
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
        if item.get("state") == "open" and await post_once(gh, item_repo, item_number, notice(event), event.marker):
            posted += 1
        marker = parse_marker(item.get("body"))
        config_repo = marker.repo if marker and marker.repo else item_repo
        if config_repo.lower() not in configs:
            configs[config_repo.lower()] = await read_config(gh, config_repo)
        config = configs[config_repo.lower()]
        fresh = await gh.get_issue(item_repo, item_number)
        did = await settle_item(gh, item_repo, fresh, config, known={event.target.ref: event.target.state})
        if ctx is not None:
            ctx.note(f"{item_repo}#{item_number}: {event.action} {event.target.ref}" + (f", {', '.join(did)}" if did else ""))
    return posted


@router.register("issues", action="closed")
@router.register("issues", action="reopened")
@router.register("pull_request", action="closed")
@router.register("pull_request", action="reopened")
async def reference_changed(event: Event, gh: Any, ctx: Any = None, *args: Any, **kwargs: Any) -> None:
    ref_event = event_from_payload(event.event, event.data)
    if ref_event is None or (ref_event.action == "reopened" and ref_event.target.state != OPEN):
        return
    await tell_items(gh, ref_event, ctx)


async def check_item(gh: Any, repo: str, issue: Mapping[str, Any], config: Config, ctx: Any = None) -> int:
    """Re-read one item's references (conditional requests) and report what changed since its body said.

    For references in repositories without the app (no webhook ever comes),
    run periodically and by `@actionbot sync`. The state listed in the item's
    body is the "previous" reading, so no cache has to survive a restart; an
    unchanged reference is a 304, which costs nothing against the rate limit.
    """
    listed = refs_in_body(issue.get("body"))
    if not listed:
        return 0
    current = []
    for ref in listed:
        ref_repo, number = split_ref(ref)
        try:
            current.append(state_from_issue(ref_repo, await gh.get_issue(ref_repo, number)))
        except BadRequest:
            continue
    previous = {r.lower(): RefState(r, s) for r, s in listed.items() if s}
    posted = 0
    number = int(issue["number"])
    if issue.get("state") == "open":
        for ref_event in changes(previous, current):
            if await post_once(gh, repo, number, notice(ref_event), ref_event.marker):
                posted += 1
    known = {c.ref: c.state for c in current}
    did = await settle_item(gh, repo, issue, config, known=known)
    if ctx is not None and (posted or did):
        ctx.note(f"{repo}#{number}: {posted} reference notice(s)" + (f", {', '.join(did)}" if did else ""))
    return posted


async def check_references(gh: Any, repo: str, config: Config | None = None, ctx: Any = None) -> int:
    """`check_item` for every open action item of a tracking repository (one ETag-cached list)."""
    config = config or await read_config(gh, repo)
    posted = 0
    for issue in await gh.list_issues(repo, labels=[config.labels.action_item], state="open"):
        if parse_marker(issue.get("body")) is not None:
            posted += await check_item(gh, repo, issue, config, ctx)
    return posted
