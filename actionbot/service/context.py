"""What a handler gets besides the event and the client: `router.dispatch(event, gh, ctx)`.

Small on purpose. Handlers report what they did through `ctx.note(...)`, which
ends up in the delivery's log line (every reconcile also leaves its report in
`ctx.syncs`, so `handle-event` can exit non-zero when one failed), and schedule follow-up work with
`ctx.enqueue(key, job)` (behind other work for the same key). The GitHub
Actions mode (`handle-event`) builds one without a server: `enqueue` then runs
the job at once, after the handler.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

Job = Callable[[], Awaitable[None]]


@dataclass(slots=True)  # one per delivery: no per-instance __dict__
class Context:
    handle: str = "actionbot"  # the @name commands are addressed to
    settings: Any = None  # actionbot.settings.Settings in the service, None in CLI/Actions mode
    clients: Any = None  # actionbot.auth.AppClients in the service
    clock: Callable[[], float] = time.time
    delivery_id: str = ""
    log: list[str] = field(default_factory=list)
    enqueue_fn: Callable[[str, Job], bool] | None = None
    service: Any = None  # actionbot.server.Service in the service (installations, resync state); None elsewhere
    syncs: list[Any] = field(default_factory=list)  # actionbot.sync.SyncReport of every reconcile run with this context
    _later: list[Job] = field(default_factory=list)

    def note(self, message: str) -> None:
        """Record what the handler did (a few words; shows in the delivery log line)."""
        self.log.append(message)

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
