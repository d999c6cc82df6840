"""`actionbot handle-event`: one GitHub Actions event through the service's own handlers.

No arguments: GitHub Actions describes the event in the environment
(`GITHUB_EVENT_PATH`, `GITHUB_EVENT_NAME`, `GITHUB_REPOSITORY`, `GITHUB_TOKEN`,
`GITHUB_API_URL`). The event goes through the same composed router as
`actionbot serve` (`actionbot.service.handlers.router`), with a client made from the
workflow's token instead of an installation, so a command in an issue comment
behaves the same whichever way actionbot is deployed. Work the handlers
schedule for later runs right after them, before the process exits.

`schedule` and `workflow_dispatch` events have no handler in the service (it
has its own periodic resync): here they run that resync for the workflow's
repository (reconcile + reference polling), which is how a serverless
deployment heals missed runs and notices references in other repositories.

Exit codes: 0 done (or nothing to do: an event no handler wants, a bot's
event), 1 GitHub failed, or a reconcile the event ran did not apply its whole
plan (a write still failed, work left deferred, an invalid configuration: the
same rule as `actionbot sync`), 2 the environment or the event file is
unusable. Every failure is one line on stderr naming what to fix.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field

import aiohttp
from gidgethub import GitHubException
from gidgethub.routing import Router
from gidgethub.sansio import Event

from actionbot import logs
from actionbot.core.commands import DEFAULT_HANDLE
from actionbot.engine.apply import describe_error
from actionbot.engine.report import SyncReport
from actionbot.engine.resync import resync_repository
from actionbot.github.client import DEFAULT_API_URL, GitHubClient
from actionbot.logs import redact
from actionbot.service import handlers
from actionbot.service.context import Context, GitHub

REQUIRED = ("GITHUB_EVENT_PATH", "GITHUB_EVENT_NAME", "GITHUB_REPOSITORY", "GITHUB_TOKEN")
RESYNC_EVENTS = ("schedule", "workflow_dispatch")


class ActionEnvError(Exception):
    """The environment or event file GitHub Actions should have provided is unusable (exit 2)."""


@dataclass(frozen=True)
class ActionEnv:
    event_name: str
    event_path: str
    repository: str
    token: str = field(repr=False)
    api_url: str = DEFAULT_API_URL
    handle: str = DEFAULT_HANDLE
    write_interval: float = 1.0
    delivery_id: str = "action"


def read_env(env: Mapping[str, str]) -> ActionEnv:
    """Validate what GitHub Actions provides; one message names every missing variable."""
    missing = [name for name in REQUIRED if not env.get(name, "").strip()]
    if missing:
        raise ActionEnvError(
            f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not set: run `actionbot handle-event` "
            "in a GitHub Actions step with `env: GITHUB_TOKEN: ${{ github.token }}` (GitHub sets the others)"
        )
    repository = env["GITHUB_REPOSITORY"].strip()
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repository):
        raise ActionEnvError(f"GITHUB_REPOSITORY must be 'owner/name', not {repository!r}")
    api_url = (env.get("GITHUB_API_URL") or DEFAULT_API_URL).strip().rstrip("/")
    if not re.match(r"^https?://[^/\s]+", api_url):
        raise ActionEnvError(f"GITHUB_API_URL must be an http(s) URL such as {DEFAULT_API_URL}, not {api_url!r}")
    raw_interval = (env.get("ACTIONBOT_WRITE_INTERVAL") or "1").strip()
    try:
        write_interval = float(raw_interval)
        if write_interval < 0:
            raise ValueError
    except ValueError:
        raise ActionEnvError(f"ACTIONBOT_WRITE_INTERVAL must be a number of seconds >= 0, not {raw_interval!r}") from None
    run_id = env.get("GITHUB_RUN_ID", "").strip()
    attempt = env.get("GITHUB_RUN_ATTEMPT", "").strip()
    return ActionEnv(
        event_name=env["GITHUB_EVENT_NAME"].strip(),
        event_path=env["GITHUB_EVENT_PATH"].strip(),
        repository=repository,
        token=env["GITHUB_TOKEN"].strip(),
        api_url=api_url,
        handle=(env.get("ACTIONBOT_HANDLE") or DEFAULT_HANDLE).strip().lstrip("@"),
        write_interval=write_interval,
        delivery_id=f"action-{run_id}-{attempt or 1}" if run_id else "action",
    )


def load_event(action: ActionEnv) -> Event:
    """The event as a `gidgethub.sansio.Event`, its repository filled from GITHUB_REPOSITORY if absent."""
    try:
        with open(action.event_path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as exc:
        raise ActionEnvError(f"GITHUB_EVENT_PATH {action.event_path!r} cannot be read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ActionEnvError(f"GITHUB_EVENT_PATH {action.event_path!r} is not a JSON event payload: {exc}") from None
    if not isinstance(data, dict):
        raise ActionEnvError(f"GITHUB_EVENT_PATH {action.event_path!r} holds {type(data).__name__}, not a JSON object")
    repository = data.get("repository")
    if not isinstance(repository, dict):
        repository = data["repository"] = {}
    repository.setdefault("full_name", action.repository)
    return Event(data, event=action.event_name, delivery_id=action.delivery_id)


@dataclass
class Outcome:
    status: str  # "handled" | "ignored"
    why: str = ""
    did: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # what the reconciles it ran left undone


def sync_failures(reports: list[SyncReport]) -> list[str]:
    """What keeps the reconciles an event ran from counting as done (`actionbot sync`'s rule).

    Work deferred to a follow-up run is not a failure: that run's own report is
    judged (in this mode follow-ups run before the process exits).
    """
    out: list[str] = []
    for r in reports:
        where = r.tracking_repo or r.repo
        if r.config_error is not None:
            p = r.config_error
            out.append(f"{r.repo}: invalid configuration {p.path}:{p.line or ''}: {p.message}")
        if r.failed:
            first = r.failed[0]
            more = f" and {len(r.failed) - 1} more" if len(r.failed) > 1 else ""
            out.append(f"{where}: {len(r.failed)} write(s) failed ({first.op.describe()}: {first.error}{more})")
        if r.deferred and not r.dry_run and not r.follow_up:
            out.append(f"{where}: {len(r.deferred)} operation(s) not applied (over the write cap)")
    return out


async def handle(event: Event, gh: GitHub, *, handle: str = DEFAULT_HANDLE, router: Router | None = None) -> Outcome:
    """Dispatch like the service does (bots ignored, same router), then run the follow-up work."""
    router = router or handlers.router
    data = event.data
    if (data.get("sender") or {}).get("type") == "Bot":
        return Outcome("ignored", "sent by a bot")
    ctx = Context(handle=handle, delivery_id=event.delivery_id)
    if router.fetch(event):
        await router.dispatch(event, gh, ctx)
    elif event.event in RESYNC_EVENTS:
        await resync_repository(gh, data["repository"]["full_name"], ctx=ctx)
    else:
        return Outcome("ignored", f"no handler for {event.event}.{data.get('action') or '-'}")
    await ctx.run_later()
    return Outcome("handled", did=ctx.log, failures=sync_failures(ctx.syncs))


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "handle-event",
        help="handle the current GitHub Actions event (issue comment commands, pushes, closes) with the workflow's token",
        description="Read the event GitHub Actions describes in GITHUB_EVENT_PATH / GITHUB_EVENT_NAME and handle it "
        "with the service's handlers, using GITHUB_TOKEN against GITHUB_API_URL (default "
        f"{DEFAULT_API_URL}). schedule/workflow_dispatch: resync GITHUB_REPOSITORY. Optional: ACTIONBOT_HANDLE, "
        "ACTIONBOT_WRITE_INTERVAL, LOG_LEVEL. Exit 0 when handled or ignored, 1 when GitHub failed or a "
        "reconcile did not apply its whole plan, 2 when the "
        "environment or event file is unusable.",
    )
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    env = os.environ
    logs.register_secret(env.get("GITHUB_TOKEN"))
    level = (env.get("LOG_LEVEL") or "INFO").upper()
    logs.configure(level if level in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL") else "INFO")
    try:
        action = read_env(env)
        event = load_event(action)
    except ActionEnvError as exc:
        print(f"actionbot handle-event: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(_run(action, event))


async def _run(action: ActionEnv, event: Event) -> int:
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60, connect=10)) as session:
            gh = GitHubClient.from_token(session, action.token, action.api_url, write_interval=action.write_interval)
            outcome = await handle(event, gh, handle=action.handle)
    except (TimeoutError, GitHubException, aiohttp.ClientError) as exc:
        print(redact(f"actionbot handle-event: {event.event} failed: {describe_error(exc)}"), file=sys.stderr)
        return 1
    label = f"{event.event}.{event.data.get('action')}" if event.data.get("action") else event.event
    if outcome.status == "ignored":
        print(f"{label}: ignored ({outcome.why})")
    else:
        print(f"{label}: handled" + (f": {'; '.join(outcome.did)}" if outcome.did else ""))
    if outcome.failures:
        print(redact(f"actionbot handle-event: {label} not fully applied: {'; '.join(outcome.failures)}; "
                     "run again to finish (nothing is duplicated)").replace("\n", " "), file=sys.stderr)
        return 1
    return 0
