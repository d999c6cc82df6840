"""Notes landing on the default branch become issues; a notes pull request gets a preview.

`push` to the default branch: the files changed in the whole `before..after`
range (the payload's commit list, or the compare API when that list may be
incomplete: GitHub puts at most 20 commits in a push payload) go to
`sync.reconcile`, which acts only on the meetings whose text changed. Other
branches, tags and deleted branches are ignored before any GitHub request.

Pushes coalesce in the service's queue: a push that arrives while a reconcile
of its repository still waits joins it (`join_pushes`): the range becomes
`before` of the first push .. `after` of the latest when they chain, and a
force-push or a gap in the chain turns it into a full reconcile of the
default branch's head bounded by `since`, which converges to the same issues.

`pull_request` opened / synchronize / reopened against the default branch: the
same reconcile as a dry run on the head commit, whose only write is the
`actionbot` check run previewing what merging will do. The preview reads the
base branch's configuration: the pull request's own `.github/actionbot.yml`
is only validated (its errors are shown), so nobody can raise the limits that
keep reading bounded by proposing a change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from gidgethub.routing import Router
from gidgethub.sansio import Event

from actionbot.engine.read import Changed
from actionbot.engine.reconcile import ZERO_SHA, reconcile
from actionbot.engine.resync import resync_repository
from actionbot.service.context import Context, GitHub

router = Router()

PAYLOAD_COMMIT_CAP = 20  # GitHub lists at most this many commits in a push payload
COALESCED = "actionbot_coalesced"  # our key in a joined payload (GitHub's own keys never start so)


class Coalesced(TypedDict):
    deliveries: int  # how many push deliveries the payload stands for
    full: bool  # the pushes did not chain: reconcile the whole default branch


def join_pushes(first: Mapping[str, Any], later: Mapping[str, Any]) -> Mapping[str, Any]:
    """Pure: one push payload standing for `first` then `later` (the queue's merge for pushes).

    Chained pushes (`later.before == first.after`, no force) keep `first`'s
    `before` and both commit lists, so the reconcile reads the files changed
    over the whole range (the compare API once the list reaches GitHub's cap of
    20). Anything else is marked `full`. An ignored push (another branch, a
    deletion) adds nothing.
    """
    if ignored_push(later):
        return first
    if ignored_push(first):
        return later
    was: Coalesced = first.get(COALESCED) or Coalesced(deliveries=1, full=False)
    chained = not was["full"] and not later.get("forced") and later.get("before") == first.get("after")
    joined: Coalesced = {"deliveries": was["deliveries"] + 1, "full": not chained}
    if not chained:
        return {**later, "before": ZERO_SHA, "commits": [], COALESCED: joined}
    commits = [*(first.get("commits") or ()), *(later.get("commits") or ())]
    sizes = [first.get("distinct_size"), later.get("distinct_size")]
    merged = {**later, "before": first.get("before") or ZERO_SHA, "commits": commits[:PAYLOAD_COMMIT_CAP], COALESCED: joined}
    if len(commits) >= PAYLOAD_COMMIT_CAP:
        merged["distinct_size"] = len(commits)  # past the cap: payload_is_complete says no, compare reads the range
    elif all(isinstance(n, int) for n in sizes):
        merged["distinct_size"] = sum(n for n in sizes if isinstance(n, int))
    else:
        merged.pop("distinct_size", None)
    return merged


def changed_from_commits(commits: Sequence[Mapping[str, Any]]) -> list[Changed]:
    """Paths touched by the payload's commits, in their final status over the range."""
    status: dict[str, str] = {}
    for c in commits:
        for key, what in (("added", "added"), ("modified", "modified"), ("removed", "removed")):
            for path in c.get(key) or ():
                prev = status.get(path)
                if what == "removed":
                    status[path] = "removed"
                elif prev == "removed" or prev is None:
                    status[path] = "modified" if prev == "removed" else what
                # added then modified stays added
    return [Changed(p, s) for p, s in sorted(status.items())]


def changed_from_compare(files: Sequence[Mapping[str, Any]]) -> list[Changed]:
    """Paths from the compare API's `files` (it knows renames)."""
    out = []
    for f in files:
        status = f.get("status") or "modified"
        status = {"changed": "modified", "copied": "added"}.get(status, status)
        out.append(Changed(f["filename"], status, f.get("previous_filename") if status == "renamed" else None))
    return out


def payload_is_complete(data: Mapping[str, Any]) -> bool:
    commits = data.get("commits") or []
    if len(commits) >= PAYLOAD_COMMIT_CAP:
        return False
    distinct = data.get("distinct_size")
    if isinstance(distinct, int) and distinct != sum(1 for c in commits if c.get("distinct", True)):
        return False
    return bool(commits) or data.get("before") == data.get("after")


def ignored_push(data: Mapping[str, Any]) -> str | None:
    """Why a push is none of our business (None: it is)."""
    ref = data.get("ref") or ""
    default = (data.get("repository") or {}).get("default_branch")
    if not ref.startswith("refs/heads/"):
        return "not a branch"
    if data.get("deleted") or (data.get("after") or ZERO_SHA) == ZERO_SHA:
        return "branch deleted"
    if not default or ref != f"refs/heads/{default}":
        return "not the default branch"
    return None


@router.register("push")
async def on_push(event: Event, gh: GitHub, ctx: Context) -> None:
    data = event.data
    why = ignored_push(data)
    repo = (data.get("repository") or {}).get("full_name") or ""
    if why:
        ctx.note(f"push ignored: {why}")
        return
    joined: Coalesced | None = data.get(COALESCED)
    if joined is not None and ctx is not None:
        ctx.note(f"{joined['deliveries']} pushes coalesced")
    if joined is not None and joined["full"]:
        # Pushes that do not chain (a force-push, a lost delivery): the head, bounded by `since`.
        await resync_repository(gh, repo, ctx=ctx, check=True, references=False)
        return
    before, after = data.get("before") or ZERO_SHA, data["after"]
    if before == ZERO_SHA:
        changed = None  # a new default branch: read everything (bounded by `since`)
    elif payload_is_complete(data):
        changed = changed_from_commits(data.get("commits") or [])
    else:
        changed = changed_from_compare((await gh.compare(repo, before, after)).get("files") or [])
    # Renames are only visible in the compare API: a payload that removes and adds files may hold one.
    if changed is not None and payload_is_complete(data) and _maybe_rename(changed):
        changed = changed_from_compare((await gh.compare(repo, before, after)).get("files") or [])
    report = await reconcile(gh, repo, ref=after, before=None if before == ZERO_SHA else before, changed=changed, ctx=ctx)
    ctx.note(_note(report))


@router.register("pull_request", action="opened")
@router.register("pull_request", action="synchronize")
@router.register("pull_request", action="reopened")
async def on_pull_request(event: Event, gh: GitHub, ctx: Context) -> None:
    data = event.data
    pr = data.get("pull_request") or {}
    repo = (data.get("repository") or {}).get("full_name") or ""
    default = (data.get("repository") or {}).get("default_branch")
    base, head = pr.get("base") or {}, pr.get("head") or {}
    if not default or base.get("ref") != default or not head.get("sha"):
        ctx.note("pull request ignored: not against the default branch")
        return
    compared = await gh.compare(repo, base.get("sha") or default, head["sha"])
    changed = changed_from_compare(compared.get("files") or [])
    if not changed:
        return
    merge_base = (compared.get("merge_base_commit") or {}).get("sha") or base.get("sha")
    # The base branch's configuration: a pull request can not raise its own limits (max_file_bytes).
    config_ref = base.get("sha") or merge_base
    report = await reconcile(
        gh, repo, ref=head["sha"], before=merge_base, changed=changed, preview=True, config_ref=config_ref, ctx=ctx
    )
    ctx.note(_note(report))


def _maybe_rename(changed: Sequence[Changed]) -> bool:
    return any(c.status == "removed" for c in changed) and any(c.status == "added" for c in changed)


def _note(report: Any) -> str:
    if report.skipped:
        return f"{report.repo}: {report.skipped}"
    if report.config_error is not None:
        return f"{report.repo}@{(report.sha or '')[:7]}: invalid configuration"
    plan = report.plan
    what = "preview" if report.preview else f"{len(report.applied)} applied, {len(report.failed)} failed"
    return (
        f"{report.repo}@{(report.sha or '')[:7]}: {len(plan.ops) if plan else 0} ops ({what}), "
        f"{len(report.deferred)} deferred, check {report.check}"
    )
