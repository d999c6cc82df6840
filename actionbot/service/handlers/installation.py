"""The app installed on new repositories: a first reconcile; uninstalled: forget them.

`installation.created` and `installation_repositories.added` schedule, for
each new repository, the resync's per-repository run (`resync_repository`):
the notes are reconciled with no push to scope them, so the run is bounded
by `since` (the configuration's, else the last 30 days: see actionbot.resync)
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

from actionbot.logs import kv

log = logging.getLogger(__name__)
router = Router()


def _names(repos: Iterable[Any]) -> list[str]:
    return sorted(r["full_name"] for r in repos or () if isinstance(r, dict) and r.get("full_name"))


def schedule_first_runs(gh: Any, repos: list[str], ctx: Any) -> int:
    """Queue a bounded first reconcile of each repository; returns how many were queued."""
    from actionbot.engine.resync import resync_repository

    clock = getattr(ctx, "clock", None)
    queued = 0
    for repo in repos:

        async def first_run(repo: str = repo) -> None:
            kw = {"clock": clock} if clock is not None else {}
            await resync_repository(gh, repo, ctx=ctx, **kw)

        if ctx is not None and ctx.enqueue(repo, first_run):
            queued += 1
        else:
            log.warning("first reconcile not queued (the next resync does it) %s", kv(repository=repo))
    if ctx is not None:
        ctx.note(f"first reconcile queued for {queued} repositor{'y' if queued == 1 else 'ies'}")
    return queued


@router.register("installation", action="created")
@router.register("installation", action="unsuspend")
async def installed(event: Event, gh: Any, ctx: Any = None, *args: Any, **kwargs: Any) -> None:
    repos = _names(event.data.get("repositories") or [])
    if not repos and gh is not None:  # not listed in the payload: ask
        repos = sorted(r["full_name"] for r in await gh.list_installation_repos())
    schedule_first_runs(gh, repos, ctx)


@router.register("installation_repositories", action="added")
async def repositories_added(event: Event, gh: Any, ctx: Any = None, *args: Any, **kwargs: Any) -> None:
    schedule_first_runs(gh, _names(event.data.get("repositories_added") or []), ctx)


@router.register("installation", action="deleted")
@router.register("installation", action="suspend")
async def uninstalled(event: Event, gh: Any, ctx: Any = None, *args: Any, **kwargs: Any) -> None:
    installation_id = int(event.data["installation"]["id"])
    clients = getattr(ctx, "clients", None)
    if clients is not None and hasattr(clients, "forget"):
        clients.forget(installation_id)
    service = getattr(ctx, "service", None)
    if service is not None:
        service.forget_installation(installation_id)
    elif clients is not None and getattr(clients, "metrics", None) is not None:
        clients.metrics.forget_installation(installation_id)
    if ctx is not None:
        ctx.note(f"installation {installation_id} {event.data.get('action')}: caches dropped")


@router.register("installation_repositories", action="removed")
async def repositories_removed(event: Event, gh: Any, ctx: Any = None, *args: Any, **kwargs: Any) -> None:
    installation_id = int(event.data["installation"]["id"])
    repos = _names(event.data.get("repositories_removed") or [])
    clients = getattr(ctx, "clients", None)
    forget = getattr(clients, "forget_repositories", None)
    dropped = forget(installation_id, repos) if forget is not None else 0
    service = getattr(ctx, "service", None)
    resyncer = getattr(service, "resyncer", None)
    info = resyncer.installations.get(installation_id) if resyncer is not None else None
    if info is not None:
        info.repositories = [r for r in info.repositories if r not in repos]
    if ctx is not None:
        ctx.note(f"{len(repos)} repositories removed: {dropped} cached answers dropped")
