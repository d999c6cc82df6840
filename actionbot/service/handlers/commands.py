"""`@actionbot` commands in new comments on action-item issues.

Parsing, rules and wording are in `actionbot.core.commands` (pure); this module only
asks GitHub what it must (the sender's access, once, only when a rule needs
it), applies each command, acknowledges success with a 👍 on the comment, and
posts one reply when there is something to say (help, status, refusals,
unknown or malformed commands). Edits to comments never re-run commands
(only `created` is routed); comments by bots, this one included, are ignored.

State a command changes lives in the issue itself: `link`/`unlink` in the
marker's `links_added`/`links_removed` (which the sync engine honours), `done`
and `drop` as the issue's state, `track` as a marker plus the action-item label.
"""

from __future__ import annotations

import logging
from typing import Any

from gidgethub.routing import Router
from gidgethub.sansio import Event

from actionbot.core import agenda
from actionbot.core.commands import (
    MAX_ASSIGNEES,
    Command,
    Malformed,
    Unknown,
    has_triage,
    help_text,
    malformed_text,
    may_run,
    not_an_action_item_text,
    parse_commands,
    permission_needed,
    refusal_text,
    reply,
    unknown_text,
)
from actionbot.core.config import Config
from actionbot.core.refstate import body_with_refs, refs_in_body, state_text
from actionbot.core.render import Marker, parse_marker, replace_marker_state, with_marker
from actionbot.core.safe_text import code, one_line
from actionbot.engine.agenda import review_list
from actionbot.engine.items import (
    check_item,
    config_or_defaults,
    is_private,
    keep_dashboard_current,
    ref_states,
    refresh_dashboard,
    settle_item,
)
from actionbot.engine.meetings import refresh_meeting_issues
from actionbot.engine.read import Changed
from actionbot.engine.reconcile import reconcile
from actionbot.service.context import Context, GitHub

log = logging.getLogger(__name__)
router = Router()
REPLY_LIMIT = 60_000  # GitHub takes at most 65536 characters in a comment


def _login(user: Any) -> str:
    return (user or {}).get("login") or ""


class Item:
    """The issue a command acts on, kept current as commands in one comment run in order."""

    def __init__(self, repo: str, issue: dict[str, Any]):
        self.repo = repo
        self.issue = issue
        self.number = int(issue["number"])

    @property
    def marker(self) -> Marker | None:
        return parse_marker(self.issue.get("body"))

    def owners(self) -> list[str]:
        """Who may done/drop/reopen/link: the notes' owners and the assignees a triager chose.

        Anyone assignable may `assign me`, so an assignee who took the item that way
        (the marker's `self_assigned`) is not an owner until someone with triage
        access assigns them.
        """
        marker = self.marker
        took = {lg.lower() for lg in (marker.self_assigned if marker else ())}
        assigned = [lg for lg in (_login(a) for a in self.issue.get("assignees") or []) if lg.lower() not in took]
        logins = [*(marker.owners if marker else ()), *assigned]
        return list(dict.fromkeys(login for login in logins if login))

    def is_owner(self, login: str) -> bool:
        return login.lower() in (o.lower() for o in self.owners())

    async def update(self, gh: GitHub, **fields: Any) -> None:
        self.issue = await gh.update_issue(self.repo, self.number, **fields)


async def _config(gh: GitHub, item: Item) -> Config:
    marker = item.marker
    return await config_or_defaults(gh, marker.repo if marker and marker.repo else item.repo)


async def run_command(gh: GitHub, item: Item, cmd: Command, sender: str, ctx: Context, *, triage: bool = False) -> str | None:
    """Apply one allowed command. Returns a reply text, or None when the 👍 says it all.

    `triage`: the sender has triage access or more (an assignment they make confers ownership).
    """
    handle = ctx.handle
    state = item.issue.get("state")
    if cmd.name == "help":
        return help_text(handle)
    if cmd.name in ("done", "drop"):
        reason = "completed" if cmd.name == "done" else "not_planned"
        if state == "closed" and item.issue.get("state_reason") == reason:
            return None
        await item.update(gh, state="closed", state_reason=reason)
        return None
    if cmd.name == "reopen":
        if state != "open":
            await item.update(gh, state="open", state_reason="reopened")
        return None
    if cmd.name in ("assign", "unassign"):
        said = await _assign(gh, item, cmd, sender)
        await _record_self_assigned(gh, item, cmd.logins(sender), took=cmd.name == "assign" and not triage)
        return said
    if cmd.name in ("link", "unlink"):
        return await _link(gh, item, cmd)
    if cmd.name == "status":
        return await _status(gh, item)
    if cmd.name == "sync":
        return await _sync(gh, item, cmd, sender, ctx)
    if cmd.name == "dashboard":
        config = await _config(gh, item)
        await refresh_dashboard(gh, item.repo, config, requested=True, handle=handle)
        return None
    if cmd.name == "track":
        return await _track(gh, item)
    if cmd.name == "agenda":
        return await _agenda(gh, item)
    raise AssertionError(cmd.name)  # every row of the table is handled above


async def _agenda(gh: GitHub, item: Item) -> str:
    """The review list of this repository's action items (owners in code spans: nobody is notified)."""
    listing = await review_list(gh, item.repo, await _config(gh, item))
    text = agenda.clip(agenda.markdown(listing, mentions=False, heading="###"), REPLY_LIMIT)
    return f"the review list for the next meeting (paste it into the notes' review section):\n\n{text}"


async def _assign(gh: GitHub, item: Item, cmd: Command, sender: str) -> str | None:
    logins = cmd.logins(sender)
    current = [_login(a) for a in item.issue.get("assignees") or []]
    current_l = {c.lower() for c in current}
    if cmd.name == "unassign":
        targets = [lg for lg in logins if lg.lower() in current_l]
        if targets:
            await gh.remove_assignees(item.repo, item.number, targets)  # answers nothing (see the client)
            gone = {t.lower() for t in targets}
            item.issue = {
                **item.issue,
                "assignees": [a for a in item.issue.get("assignees") or [] if _login(a).lower() not in gone],
            }
            await _settle_needs_owner(gh, item)
        return None
    wanted = [lg for lg in logins if lg.lower() not in current_l]
    assignable = [lg for lg in wanted if await gh.is_assignable(item.repo, lg)]
    refused = [lg for lg in wanted if lg not in assignable]
    room = MAX_ASSIGNEES - len(current)
    over = assignable[room:] if room < len(assignable) else []
    assignable = assignable[: max(room, 0)]
    if assignable:
        item.issue = await gh.add_assignees(item.repo, item.number, assignable)
        await _settle_needs_owner(gh, item)
    notes = []
    if refused:
        names = ", ".join(f"`{lg}`" for lg in refused)
        notes.append(
            f"{names} cannot be assigned in {item.repo} (only people with access to the repository, "
            "or who took part in this issue, can be)."
        )
    if over:
        notes.append(f"an issue takes at most {MAX_ASSIGNEES} assignees: {', '.join(f'`{lg}`' for lg in over)} left out.")
    return " ".join(notes) or None


async def _record_self_assigned(gh: GitHub, item: Item, logins: tuple[str, ...], *, took: bool) -> None:
    """Keep the marker's `self_assigned` list: add who took the item without triage access,
    drop whoever a triager assigned or anyone unassigned."""
    marker = item.marker
    if marker is None:
        return
    current = {lg.lower() for lg in (_login(a) for a in item.issue.get("assignees") or [])}
    targets = {lg.lower() for lg in logins}
    kept = [lg for lg in marker.self_assigned if lg.lower() not in targets]
    if took:
        kept += [lg for lg in logins if lg.lower() in current]
    if tuple(kept) != marker.self_assigned:
        body = with_marker(item.issue.get("body"), replace_marker_state(marker, self_assigned=kept))
        await item.update(gh, body=body)


async def _settle_needs_owner(gh: GitHub, item: Item) -> None:
    """`needs owner` exactly when nobody is assigned, as the sync would label it (so it has nothing to fix)."""
    if item.marker is None:
        return
    name = (await _config(gh, item)).labels.needs_owner
    has = any(n.casefold() == name.casefold() for n in (lab["name"] for lab in item.issue.get("labels") or []))
    if item.issue.get("assignees") and has:
        await gh.remove_label(item.repo, item.number, name)
    elif not item.issue.get("assignees") and not has:
        await gh.add_labels(item.repo, item.number, [name])
    else:
        return
    item.issue = await gh.get_issue(item.repo, item.number)


async def _link(gh: GitHub, item: Item, cmd: Command) -> str | None:
    marker = item.marker
    assert marker is not None
    body = item.issue.get("body") or ""
    listed = refs_in_body(body)
    refs = cmd.refs(item.repo)
    added = list(marker.links_added)
    removed = list(marker.links_removed)
    for ref in refs:
        key = ref.lower()
        if cmd.name == "link":
            removed = [r for r in removed if r.lower() != key]
            if key not in (r.lower() for r in listed) and key not in (r.lower() for r in added):
                added.append(ref)
            listed.setdefault(ref, None)
        else:
            added = [r for r in added if r.lower() != key]
            if key not in (r.lower() for r in removed):
                removed.append(ref)
            listed = {r: s for r, s in listed.items() if r.lower() != key}
    if cmd.name == "link":
        public = not await is_private(gh, item.repo, item.issue)
        listed.update(await ref_states(gh, [r for r in listed if listed[r] is None], public=public))
    new_marker = replace_marker_state(marker, links_added=added, links_removed=removed)
    new_body = body_with_refs(with_marker(body, new_marker), listed)
    if new_body != body:
        await item.update(gh, body=new_body)
    config = await _config(gh, item)
    await settle_item(gh, item.repo, item.issue, config)
    return None


async def _sync(gh: GitHub, item: Item, cmd: Command, sender: str, ctx: Context) -> str | None:
    """Re-read the item's notes and references: in the service, as a job of the notes
    repository's queue (behind pushes to it: one reconcile at a time); elsewhere, now."""
    repo, number = item.repo, item.number
    if not ctx.queued:  # CLI / Actions mode: no queue
        said = await sync_item(gh, repo, number, ctx)
        item.issue = await gh.get_issue(repo, number)
        return " ".join(said) or None

    async def job() -> None:
        said = await sync_item(gh, repo, number, ctx)
        if said:
            await gh.create_comment(repo, number, reply(sender, cmd.line, " ".join(said)))

    marker = item.marker
    if not ctx.enqueue(marker.repo if marker and marker.repo else repo, job):
        return "too much work is queued right now; try `sync` again in a few minutes."
    return None


async def sync_item(gh: GitHub, repo: str, number: int, ctx: Context) -> list[str]:
    """`@actionbot sync`: the same reconcile as a push, for this item's notes file and meetings
    (at the default branch's head), then its references. Returns what is worth saying (problems)."""
    issue = await gh.get_issue(repo, number)
    marker = parse_marker(issue.get("body"))
    if marker is None:
        return []
    said: list[str] = []
    notes_repo = marker.repo or repo
    if marker.path:  # `track`ed issues have no notes: references only
        report = await reconcile(
            gh,
            notes_repo,
            changed=[Changed(marker.path)],
            meetings={marker.meeting, *marker.meetings},
            check=False,  # pushes write the checks; this answer goes to the issue
            ctx=ctx,
        )
        if report.config_error is not None:
            e = report.config_error
            said.append(
                f"the notes were not re-read: `{e.path}` line {e.line}: {one_line(e.message)}. "
                "Fix the configuration and run `sync` again."
            )
        elif marker.path not in report.files:
            said.append(
                f"{code(marker.path)} is not a notes file of {notes_repo} at its default branch any more "
                "(moved, deleted, or outside `notes:`), so the notes were not re-read. "
                "If the file moved, this issue keeps its link to the old commit, which still shows the item, "
                "until the item changes in its new file; a push or the periodic resync finds it there."
            )
        problems = [p for p in report.problems if p.path == marker.path]
        if problems:
            said.append(
                f"{code(marker.path)} has {len(problems)} problem(s), first: line {problems[0].line}: {one_line(problems[0].message)}."
            )
        if report.failed or report.deferred:
            said.append("some changes could not be written yet; the next run retries them.")
        issue = await gh.get_issue(repo, number)
    config = await config_or_defaults(gh, notes_repo)
    await check_item(gh, repo, issue, config, ctx)
    return said


async def _status(gh: GitHub, item: Item) -> str:
    marker = item.marker
    owners = ", ".join(f"`{o}`" for o in item.owners()) or "nobody (needs an owner)"
    listed = refs_in_body(item.issue.get("body"))
    states = await ref_states(gh, list(listed), public=not await is_private(gh, item.repo, item.issue))
    refs = "; ".join(f"{r} {state_text(states[r])}" for r in listed) or "none"
    meeting = (marker.meeting if marker else None) or "unknown"
    where = f" ({code(marker.path)})" if marker and marker.path else ""
    return (
        f"this item is **{item.issue.get('state', 'open')}**. Owners: {owners}. Meeting: {meeting}{where}. "
        f"References: {refs}."
    )


async def _track(gh: GitHub, item: Item) -> str | None:
    if item.marker is not None:
        return "this issue is already an action item."
    config = await _config(gh, item)
    marker = Marker(
        key=f"tracked:{item.repo.lower()}#{item.number}",
        repo=item.repo,
        path="",
        meeting=None,
        owners=tuple(_login(a) for a in item.issue.get("assignees") or []),
        extra={"tracked": True},  # not from notes: a sync must never call it removed
    )
    labels = [lab["name"] for lab in item.issue.get("labels") or []]
    if config.labels.action_item not in labels:
        labels.append(config.labels.action_item)
    await item.update(gh, body=with_marker(item.issue.get("body"), marker), labels=labels)
    return None


# Commands whose effect the dashboard shows (state, owners, references, membership).
DASHBOARD_SHOWS = frozenset({"done", "drop", "reopen", "assign", "unassign", "link", "unlink", "track"})


@router.register("issue_comment", action="created")
async def comment_created(event: Event, gh: GitHub, ctx: Context) -> None:
    data = event.data
    sender = data.get("sender") or {}
    comment = data.get("comment") or {}
    if sender.get("type") == "Bot" or (comment.get("user") or {}).get("type") == "Bot":
        return
    handle = ctx.handle
    parsed = parse_commands(comment.get("body") or "", handle)
    if not parsed:
        return
    repo = data["repository"]["full_name"]
    who = _login(sender)
    item = Item(repo, data["issue"])
    permission = await gh.permission(repo, who) if permission_needed(parsed) else "none"
    replies: list[str] = []
    succeeded = False
    ran: set[str] = set()
    for entry in parsed:
        if isinstance(entry, Unknown):
            replies.append(reply(who, entry.line, unknown_text(entry, handle)))
            continue
        if isinstance(entry, Malformed):
            replies.append(reply(who, entry.line, malformed_text(entry, handle)))
            continue
        if item.marker is None and not entry.spec.any_issue and entry.name != "help":
            replies.append(reply(who, entry.line, not_an_action_item_text(entry, handle)))
            continue
        decision = may_run(entry, permission=permission, is_owner=item.is_owner(who), sender=who)
        if not decision.allowed:
            replies.append(reply(who, entry.line, refusal_text(entry, decision, handle)))
            continue
        said = await run_command(gh, item, entry, who, ctx, triage=has_triage(permission))
        succeeded = True
        ran.add(entry.name)
        if said:
            replies.append(reply(who, entry.line, said))
        ctx.note(f"{repo}#{item.number}: {entry.name} by {who}")
    if succeeded:
        await gh.add_reaction(repo, int(comment["id"]), "+1")
    if ran & DASHBOARD_SHOWS and item.marker is not None:
        config = await _config(gh, item)
        await keep_dashboard_current(gh, repo, config, handle=handle)
        if config.meeting_issues is not None:  # the review list on an open meeting issue shows it too
            await refresh_meeting_issues(gh, item.marker.repo or repo, config, handle=handle)
    if replies:
        await gh.create_comment(repo, item.number, "\n\n---\n\n".join(replies))
