"""The app installed on new repositories: a first reconcile; uninstalled: forget them.

`installation.created` and `installation_repositories.added` schedule, for
each new repository, the resync's per-repository run (`resync_repository`):
the notes are reconciled with no push to scope them, so the run is bounded
by `since` (the configuration's, else the last 30 days: see actionbot.engine.resync)
and installing the app on a repository with years of notes opens issues for
the last month only. Each run is queued behind other work for its repository.

`installation.deleted` / `suspend` and `installation_repositories.removed`
drop what this process cached about them (token, client, ETags) and their
metrics series; nothing on GitHub changes. No token is minted for a deleted
installation (the service dispatches those with `gh=None`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from gidgethub.routing import Router
from gidgethub.sansio import Event

from actionbot.engine.resync import resync_repository
from actionbot.logs import kv
from actionbot.service.context import Context, GitHub

log = logging.getLogger(__name__)
router = Router()


def _names(repos: Iterable[Any]) -> list[str]:
    return sorted(r["full_name"] for r in repos or () if isinstance(r, dict) and r.get("full_name"))


def schedule_first_runs(gh: GitHub, repos: list[str], ctx: Context) -> int:
    """Queue a bounded first reconcile of each repository; returns how many were queued."""
    queued = 0
    for repo in repos:

        async def first_run(repo: str = repo) -> None:
            await resync_repository(gh, repo, ctx=ctx, clock=ctx.clock)

        if ctx.enqueue(repo, first_run):
            queued += 1
        else:
            log.warning("first reconcile not queued (the next resync does it) %s", kv(repository=repo))
    ctx.note(f"first reconcile queued for {queued} repositor{'y' if queued == 1 else 'ies'}")
    return queued


@router.register("installation", action="created")
@router.register("installation", action="unsuspend")
async def installed(event: Event, gh: GitHub, ctx: Context) -> None:
    repos = _names(event.data.get("repositories") or [])
    if not repos:  # not listed in the payload: ask
        repos = sorted(r["full_name"] for r in await gh.list_installation_repos())
    schedule_first_runs(gh, repos, ctx)


@router.register("installation_repositories", action="added")
async def repositories_added(event: Event, gh: GitHub, ctx: Context) -> None:
    schedule_first_runs(gh, _names(event.data.get("repositories_added") or []), ctx)


@router.register("installation", action="deleted")
@router.register("installation", action="suspend")
async def uninstalled(event: Event, gh: GitHub | None, ctx: Context) -> None:
    installation_id = int(event.data["installation"]["id"])
    ctx.forget_installation(installation_id)
    ctx.note(f"installation {installation_id} {event.data.get('action')}: caches dropped")


@router.register("installation_repositories", action="removed")
async def repositories_removed(event: Event, gh: GitHub, ctx: Context) -> None:
    installation_id = int(event.data["installation"]["id"])
    repos = _names(event.data.get("repositories_removed") or [])
    dropped = ctx.forget_repositories(installation_id, repos)
    ctx.note(f"{len(repos)} repositories removed: {dropped} cached answers dropped")
