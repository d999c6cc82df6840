"""What a handler gets besides the event and the client: `router.dispatch(event, gh, ctx)`.

Small on purpose. Handlers report what they did through `ctx.note(...)`, which
ends up in the delivery's log line (every reconcile also leaves its report in
`ctx.syncs`, so `handle-event` can exit non-zero when one failed), and schedule
follow-up work with `ctx.enqueue(key, job)` (behind other work for the same
key). The GitHub Actions mode (`handle-event`) builds one without a server:
`enqueue` then runs the job at once, after the handler, and forgetting an
installation has nothing to forget.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from actionbot.core.ages import Clock
from actionbot.core.commands import DEFAULT_HANDLE
from actionbot.engine import port
from actionbot.engine.port import Job, Json
from actionbot.engine.report import SyncReport


class GitHub(port.GitHub, Protocol):
    """The engine's calls and the few more the handlers make (the client implements both)."""

    async def compare(self, repo: str, base: str, head: str) -> Json: ...
    async def timeline(self, repo: str, number: int) -> list[Json]: ...
    async def add_reaction(self, repo: str, comment_id: int, content: str = "+1") -> Json: ...
    async def add_labels(self, repo: str, number: int, labels: list[str]) -> list[Json]: ...
    async def remove_label(self, repo: str, number: int, name: str) -> None: ...
    async def add_assignees(self, repo: str, number: int, logins: list[str]) -> Json: ...
    async def remove_assignees(self, repo: str, number: int, logins: list[str]) -> None: ...
    async def permission(self, repo: str, login: str) -> str: ...
    async def list_installation_repos(self) -> list[Json]: ...


def _nothing_to_forget(installation_id: int) -> None:
    return None


def _no_cached_answers(installation_id: int, repos: list[str]) -> int:
    return 0


@dataclass
class Context:
    handle: str = DEFAULT_HANDLE  # the @name commands are addressed to
    clock: Clock = time.time
    delivery_id: str = ""
    log: list[str] = field(default_factory=list)
    enqueue_fn: Callable[[str, Job], bool] | None = None
    # An installation gone (or repositories removed from it): drop what this process cached.
    forget_installation: Callable[[int], None] = _nothing_to_forget
    forget_repositories: Callable[[int, list[str]], int] = _no_cached_answers
    syncs: list[SyncReport] = field(default_factory=list)  # the report of every reconcile run with this context
    _later: list[Job] = field(default_factory=list)

    @property
    def queued(self) -> bool:
        """Follow-up work goes to the service's queue (False: it runs after the handler, here)."""
        return self.enqueue_fn is not None

    def note(self, message: str) -> None:
        """Record what the handler did (a few words; shows in the delivery log line)."""
        self.log.append(message)

    def record(self, report: SyncReport) -> None:
        self.syncs.append(report)

    def enqueue(self, key: str, job: Job) -> bool:
        """Schedule follow-up work behind other work for `key` (usually 'owner/name')."""
        if self.enqueue_fn is not None:
            return self.enqueue_fn(key, job)
        self._later.append(job)
        return True

    async def run_later(self) -> None:
        """Without a queue (CLI/Actions mode): run what handlers enqueued, in order."""
        while self._later:
            await self._later.pop(0)()
