"""Deliveries handed straight to the handlers, as the service hands them over, with the in-memory GitHub.

Once the service has verified and queued a delivery it calls
`router.dispatch(event, gh, ctx)` with the installation's client and a fresh
`Context`, and follow-up work the handlers schedule runs after them.
`Handlers.send` does the same in process, with `tests/fakestore.MemoryGitHub`
as the client: no HTTP, no token, no queue. What happens before dispatch
(signatures, answers, the queue) has its own tests, and test_server.py one
end-to-end test of the whole path over HTTP.

    async def test_something(handlers):               # the fixture, tests/conftest.py
        fake = handlers.store
        await handlers.send("issue_comment", payload)
        assert fake.writes() == [...]
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from gidgethub import routing, sansio

from actionbot.service import handlers
from actionbot.service.context import Context
from tests.deliveries import payload_for
from tests.fakegithub.state import Comment
from tests.fakestore import MemoryGitHub, MemoryStore


@dataclass
class Handlers:
    """Every feature's handlers (or `router`'s) over `store`."""

    store: MemoryStore
    router: routing.Router = field(default_factory=lambda: handlers.router)

    def client_for(self, payload: dict[str, Any]) -> MemoryGitHub:
        """The client the service would hand over: the installation's when the delivery names one."""
        installation = (payload.get("installation") or {}).get("id")
        return self.store.gh if installation is None else self.store.client(installation_id=int(installation))

    async def send(
        self, event: str, payload: dict[str, Any], *, ctx: Context | None = None, delivery_id: str | None = None
    ) -> Context:
        """Dispatch one delivery, then run what the handlers scheduled (unless `ctx` queues it elsewhere)."""
        ctx = ctx if ctx is not None else Context()
        await self.router.dispatch(make_event(event, payload, delivery_id), self.client_for(payload), ctx)
        await ctx.run_later()
        return ctx

    async def comment(
        self, repo: str, number: int, body: str, *, who: str, user_type: str = "User", ctx: Context | None = None
    ) -> Comment:
        """A new comment by `who` on issue `number`, delivered as GitHub sends it (`issue_comment.created`)."""
        comment = self.store.add_comment(repo, number, body, user=who, user_type=user_type)
        data = payload_for(
            self.store, "issue_comment", "created", repo, number=number, comment_id=comment.id, sender=who, sender_type=user_type
        )
        await self.send("issue_comment", data, ctx=ctx)
        return comment


class MemoryClients:
    """Stands in for the service's `AppClients`: every installation's client is the in-memory GitHub's.

    For tests of the service's own work (its queue, coalescing, counts) fed with
    `Service.accept(event)`, the in-process half of `POST /webhook`.
    """

    def __init__(self, store: MemoryStore) -> None:
        self.store = store

    async def for_installation(self, installation_id: int) -> MemoryGitHub:
        return self.store.client(installation_id=int(installation_id))

    def forget(self, installation_id: int) -> None:
        return None

    def forget_repositories(self, installation_id: int, repos: list[str]) -> int:
        return 0


def make_event(name: str, payload: dict[str, Any], delivery_id: str | None = None) -> sansio.Event:
    """The `sansio.Event` the service builds from a verified delivery (a new delivery id unless given)."""
    return sansio.Event(payload, event=name, delivery_id=delivery_id or str(uuid.uuid4()))
