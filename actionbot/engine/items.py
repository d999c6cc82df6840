"""What handlers and the periodic resync both do to one action item or one tracking repository.

Reading a repository's configuration (one reader; each caller decides what
an invalid file means for it), the current state of references, settling an
item's reference list and `refs closed` label, noticing references that
changed without a webhook, and keeping the dashboard issue current.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gidgethub import BadRequest, GitHubException

from actionbot.core import dashboard
from actionbot.core.commands import DEFAULT_HANDLE
from actionbot.core.config import CONFIG_PATH, DEFAULT_CONFIG, Config, ConfigError, load_config
from actionbot.core.refstate import (
    PRIVATE,
    RefState,
    already_reported,
    body_with_refs,
    changes,
    duplicates,
    notice_for,
    refs_in_body,
    refs_label_plan,
    state_from_issue,
    state_text,
)
from actionbot.core.render import LABEL_STYLES, parse_marker
from actionbot.engine.apply import LOST, describe_error
from actionbot.engine.port import GitHub, Runner

log = logging.getLogger(__name__)

_locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()


def lock_for(key: str) -> asyncio.Lock:
    """One lock per key in this process: a tracking repository's reconcile, an item's notice."""
    return _locks.setdefault(key, asyncio.Lock())


def split_ref(ref: str) -> tuple[str, int]:
    repo, _, number = ref.rpartition("#")
    return repo, int(number)


async def read_config(gh: GitHub, repo: str, ref: str | None = None) -> Config:
    """`.github/actionbot.yml` of `repo` at `ref` (default branch: None); defaults when absent.

    Raises ConfigError (with the line at fault) when the file is invalid.
    """
    raw = await gh.get_content(repo, CONFIG_PATH, ref=ref)
    return load_config(None if raw is None else raw.decode("utf-8-sig", "replace"), CONFIG_PATH)


async def config_or_defaults(gh: GitHub, repo: str) -> Config:
    """The configuration an item's handler works with: defaults when unreadable or invalid (labels still need names)."""
    try:
        return await read_config(gh, repo)
    except BadRequest:
        return DEFAULT_CONFIG
    except ConfigError as exc:
        log.warning("%s: invalid configuration, using defaults for labels: %s", repo, exc)
        return DEFAULT_CONFIG


async def ref_states(
    gh: GitHub, refs: list[str], known: Mapping[str, str] | None = None, *, public: bool
) -> dict[str, str | None]:
    """Current state of each reference: `known` first, else one ETag-cached `get_issue`.

    For a `public` item (one anybody can read), a reference in a private
    repository reads PRIVATE, never its state: the item must not tell what
    only that repository's readers may know. A repository that can not be read
    is not asked about at all (its state is unknown either way).
    """
    known_l = {k.lower(): v for k, v in (known or {}).items() if v != PRIVATE}
    private: dict[str, bool | None] = {}  # repo -> private? (None: unreadable), one read per repository
    out: dict[str, str | None] = {}
    for ref in refs:
        repo, number = split_ref(ref)
        if public:
            if repo.lower() not in private:
                private[repo.lower()] = await _private_or_none(gh, repo)
            hide = private[repo.lower()]
            if hide is not False:
                out[ref] = PRIVATE if hide else None
                continue
        if ref.lower() in known_l:
            out[ref] = known_l[ref.lower()]
            continue
        try:
            out[ref] = state_from_issue(repo, await gh.get_issue(repo, number)).state
        except BadRequest:  # gone, or not readable with this installation's token
            out[ref] = None
    return out


async def _private_or_none(gh: GitHub, repo: str) -> bool | None:
    """Whether `repo` is private; None when it can not be read (gone, or not this installation's)."""
    try:
        return bool((await gh.get_repo(repo)).get("private"))
    except BadRequest:
        return None


async def settle_item(
    gh: GitHub, repo: str, issue: Mapping[str, Any], config: Config, known: Mapping[str, str] | None = None
) -> list[str]:
    """Bring an item's reference list, `refs closed` label and (option) state in line. Returns what it did."""
    body = issue.get("body") or ""
    listed = refs_in_body(body)
    refs = list(listed)
    if not refs:
        return []
    states = await ref_states(gh, refs, known, public=not await is_private(gh, repo, issue))
    labels = [lab["name"] if isinstance(lab, Mapping) else str(lab) for lab in issue.get("labels") or []]
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


async def is_private(gh: GitHub, repo: str, issue: Mapping[str, Any] | None = None) -> bool:
    """Whether `repo` is private: from `issue`'s `repository` when it carries one (webhooks and
    timeline sources do), else one ETag-cached read of the repository."""
    repository = (issue or {}).get("repository")
    if isinstance(repository, Mapping) and isinstance(repository.get("private"), bool):
        return bool(repository["private"])
    return bool((await gh.get_repo(repo)).get("private"))


async def post_once(gh: GitHub, repo: str, number: int, text: str, marker: str) -> bool:
    """Post `text` unless a comment already carries `marker`. True when this call posted it."""
    async with lock_for(f"{repo.lower()}#{number}:{marker}"):
        if already_reported(await gh.list_comments(repo, number), marker):
            return False
        await gh.create_comment(repo, number, text)
        # Another replica may have raced us: keep the oldest copy only.
        for comment_id in duplicates(await gh.list_comments(repo, number), marker):
            await gh.delete_comment(repo, comment_id)  # gone already (the other replica was first): fine
        return True


async def check_item(gh: GitHub, repo: str, issue: Mapping[str, Any], config: Config, ctx: Runner | None = None) -> int:
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
    for ref in (r for r, s in listed.items() if s != PRIVATE):
        ref_repo, number = split_ref(ref)
        try:
            current.append(state_from_issue(ref_repo, await gh.get_issue(ref_repo, number)))
        except BadRequest:
            continue
    # A private reference on a public item lists no state, so there is no "before" to compare
    # with: its changes reach the item through the webhooks of its repository only.
    previous = {r.lower(): RefState(r, s) for r, s in listed.items() if s and s != PRIVATE}
    posted = 0
    number = int(issue["number"])
    if issue.get("state") == "open":
        for ref_event in changes(previous, current):
            ref_repo, _ = split_ref(ref_event.target.ref)
            hidden = await is_private(gh, ref_repo) and not await is_private(gh, repo, issue)
            text, key = notice_for(ref_event, hidden=hidden)
            if await post_once(gh, repo, number, text, key):
                posted += 1
    did = await settle_item(gh, repo, issue, config, known={c.ref: c.state for c in current})
    if ctx is not None and (posted or did):
        ctx.note(f"{repo}#{number}: {posted} reference notice(s)" + (f", {', '.join(did)}" if did else ""))
    return posted


async def check_references(gh: GitHub, repo: str, config: Config | None = None, ctx: Runner | None = None) -> int:
    """`check_item` for every open action item of a tracking repository (one ETag-cached list)."""
    config = config or await config_or_defaults(gh, repo)
    posted = 0
    for issue in await gh.list_issues(repo, labels=[config.labels.action_item], state="open"):
        if parse_marker(issue.get("body")) is not None:
            posted += await check_item(gh, repo, issue, config, ctx)
    return posted


async def refresh_dashboard(
    gh: GitHub,
    repo: str,
    config: Config,
    *,
    requested: bool = False,
    now: datetime | None = None,
    handle: str = DEFAULT_HANDLE,
    create: bool = True,
) -> dashboard.Upkeep:
    """Create, reopen, rewrite or leave the "Action items" issue of `repo` (writes only on change).

    `create=False` only keeps an existing dashboard current (the periodic resync).
    """
    now = now or datetime.now(UTC)
    # Every item, closed ones too: the chart counts the done items of the last meetings.
    # The reconcile reads the same listing, so after a sync this is a free 304.
    issues = await gh.list_issues(repo, labels=[config.labels.action_item], state="all")
    items = []
    for issue in issues:
        marker = parse_marker(issue.get("body"))
        if marker is None:
            continue
        assignees = tuple(_login(a) for a in issue.get("assignees") or [])
        items.append(
            dashboard.DashItem(
                number=int(issue["number"]),
                title=issue.get("title", ""),
                html_url=issue.get("html_url", ""),
                owners=assignees or marker.owners,
                meeting=marker.meeting,
                meeting_date=marker.meeting,
                created_at=issue.get("created_at"),
                state=issue.get("state", "open"),
                closed_at=issue.get("closed_at"),
                state_reason=issue.get("state_reason"),
                refs=tuple((r, state_text(s)) for r, s in refs_in_body(issue.get("body")).items()),
            )
        )
    body = dashboard.render(items, now, handle=handle)
    existing = await gh.list_issues(repo, labels=[config.labels.dashboard], state="all")
    decision = dashboard.upkeep(existing, body, enabled=config.dashboard, requested=requested)
    if decision.action == "create" and not create:
        return dashboard.Upkeep("none")
    if decision.action == "create":
        await gh.create_issue(repo, title=dashboard.TITLE, body=body, labels=[config.labels.dashboard])
    elif decision.number is not None and decision.action == "reopen":
        await gh.update_issue(repo, decision.number, state="open", body=body)
    elif decision.number is not None and decision.action == "update":
        await gh.update_issue(repo, decision.number, body=body)
    return decision


async def keep_dashboard_current(
    gh: GitHub,
    repo: str,
    config: Config,
    *,
    handle: str,
    known_labels: list[str] | None = None,
    now: datetime | None = None,
    create: bool = True,
) -> None:
    """Refresh the dashboard after a change it shows; a failure here never fails the change itself.

    `known_labels`: the repository's labels when the caller listed them (the
    dashboard label is created when missing); `create=False` only keeps an
    existing dashboard current (the periodic resync).
    """
    try:
        name = config.labels.dashboard
        if known_labels is not None and name.casefold() not in {n.casefold() for n in known_labels}:
            style = LABEL_STYLES["dashboard"]
            try:
                await gh.create_label(repo, name, style.color, style.description)
            except BadRequest as exc:
                if int(exc.status_code) != 422:
                    raise
        await refresh_dashboard(gh, repo, config, now=now, handle=handle, create=create)
    except (GitHubException, *LOST) as exc:
        log.warning("dashboard not refreshed repo=%s: %s", repo, describe_error(exc))


def _login(user: Any) -> str:
    return (user or {}).get("login") or ""
