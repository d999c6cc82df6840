"""Pushes coalesce per repository: through the real service, its queue and the real reconcile, in memory.

Deliveries enter at `Service.accept` (what `POST /webhook` calls once a delivery
is verified: the answers are the service's own) and the handlers' client is the
in-memory GitHub; the HTTP in front is test_server.py's and test_ingress.py's.

The push handler is wrapped with a gate, so a test decides when the first
reconcile may go on: what arrives meanwhile is what a burst looks like.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from gidgethub import routing, sansio

from actionbot.service.deliveries import Service
from actionbot.service.handlers import router as real_router
from actionbot.service.handlers.push import COALESCED, join_pushes, on_push
from tests.deliveries import payload_for
from tests.fakestore import MemoryStore
from tests.handlerenv import MemoryClients, make_event
from tests.helpers import service_settings
from tests.syncenv import EXAMPLE, NOTES, REPO, by_title, head, no_wait, push_payload

SECRET = "s3cret"
ZERO = "0" * 40


class Gate:
    """Holds the first push reconcile until released; records what each handler saw, in order."""

    def __init__(self) -> None:
        self.started = asyncio.Event()
        self.release = asyncio.Event()
        self.seen: list[tuple[str, Any]] = []

    async def push(self, event: sansio.Event, gh: Any, ctx: Any) -> None:
        self.seen.append(("push", (event.data.get("after"), (event.data.get(COALESCED) or {}).get("deliveries", 1))))
        self.started.set()
        await self.release.wait()
        await on_push(event, gh, ctx)

    async def comment(self, event: sansio.Event, gh: Any, ctx: Any) -> None:
        self.seen.append(("comment", event.data["comment"]["id"]))
        await real_router.dispatch(event, gh, ctx)


@pytest.fixture
async def service(memory_github: Any, memory_store: MemoryStore) -> Any:
    memory_store.add_collaborator(REPO, "carol", "write")
    gate = Gate()
    router = routing.Router()
    router.add(gate.push, "push")
    router.add(gate.comment, "issue_comment", action="created")
    clients: Any = MemoryClients(memory_store)
    service = Service(service_settings(SECRET), clients=clients, router=router, sleep=no_wait)
    yield SimpleNamespace(fake=memory_store, service=service, gate=gate)
    gate.release.set()  # a failed test leaves no handler waiting
    await service.queue.join()


def deliver(s: Any, event: str, payload: dict[str, Any]) -> int:
    """The service's answer to one verified delivery (its work runs in the service's queue)."""
    return s.service.accept(make_event(event, payload)).status


def add_item(fake: Any, text: str) -> tuple[str, str]:
    """Commit one more action item to the notes; the push's (before, after)."""
    before = head(fake)
    notes = fake.file(REPO, NOTES)
    fake.commit(REPO, {NOTES: notes.rstrip("\n") + f"\n- {text} (Carol)\n"}, message=text)
    return before, head(fake)


def push(s: Any, before: str, after: str) -> int:
    return deliver(s, "push", push_payload(s.fake, before, after))


def checks_on(fake: Any, sha: str) -> list[dict[str, Any]]:
    return [r for r in fake.check_runs(REPO) if r["name"] == "actionbot" and r["head_sha"] == sha]


async def test_a_burst_of_pushes_is_two_reconciles_the_last_on_the_newest_commit(service: Any) -> None:
    fake, gate = service.fake, service.gate
    first = head(fake)
    assert push(service, ZERO, first) == 202
    await gate.started.wait()  # the first reconcile runs (held): the burst arrives meanwhile
    answers = []
    for i in range(8):
        answers.append(push(service, *add_item(fake, f"Burst item number {i}")))
    assert answers == [202] * 8
    assert service.service.queue.depth == 2  # one running, one waiting: the 8 pushes are one job
    gate.release.set()
    await service.service.queue.join()
    newest = head(fake)
    assert gate.seen == [("push", (first, 1)), ("push", (newest, 8))]
    assert {f"Burst item number {i}" for i in range(8)} <= set(by_title(fake))  # no push lost
    assert len(checks_on(fake, newest)) == 1  # the joined range's check, on its newest commit
    counts = service.service.counts
    assert (counts["accepted"], counts["coalesced"], counts["processed"]) == (9, 7, 2)
    assert not service.service.in_flight and len(service.service.seen) == 9  # every joined delivery is done


async def test_a_push_during_a_running_reconcile_makes_one_more_run(service: Any) -> None:
    fake, gate = service.fake, service.gate
    push(service, ZERO, head(fake))
    await gate.started.wait()
    before, after = add_item(fake, "Arrived while the first ran")
    assert push(service, before, after) == 202
    gate.release.set()
    await service.service.queue.join()
    assert [after_sha for _, (after_sha, _n) in gate.seen][-1] == after
    assert "Arrived while the first ran" in by_title(fake)
    assert len(checks_on(fake, after)) == 1


async def test_commands_keep_their_order_behind_the_repositorys_reconcile(service: Any) -> None:
    fake, gate = service.fake, service.gate
    gate.release.set()
    push(service, ZERO, head(fake))
    await service.service.queue.join()
    number = by_title(fake)[next(iter(by_title(fake)))]["number"]
    gate.release.clear()
    gate.started.clear()
    b1, a1 = add_item(fake, "First of the second burst")
    push(service, b1, a1)
    await gate.started.wait()  # this reconcile runs, held
    comments = [fake.add_comment(REPO, number, f"@actionbot status {i}", user="carol") for i in range(2)]
    b2, a2 = add_item(fake, "Second of the second burst")
    deliver(service, "issue_comment",
            payload_for(fake, "issue_comment", "created", REPO, number=number, comment_id=comments[0].id, sender="carol"))
    push(service, b2, a2)
    b3, a3 = add_item(fake, "Third of the second burst")
    push(service, b3, a3)  # joins the waiting reconcile (queued after the first command)
    deliver(service, "issue_comment",
            payload_for(fake, "issue_comment", "created", REPO, number=number, comment_id=comments[1].id, sender="carol"))
    gate.release.set()
    await service.service.queue.join()
    assert gate.seen[1:] == [("push", (a1, 1)), ("comment", comments[0].id), ("push", (a3, 2)), ("comment", comments[1].id)]
    assert {"Second of the second burst", "Third of the second burst"} <= set(by_title(fake))


def test_join_pushes_chains_ranges_and_falls_back_to_full_on_a_gap_or_force() -> None:
    base = {"ref": "refs/heads/main", "repository": {"full_name": REPO, "default_branch": "main"}}
    one = base | {"before": "a" * 40, "after": "b" * 40, "commits": [{"id": "b" * 40, "modified": [NOTES]}], "distinct_size": 1}
    two = base | {"before": "b" * 40, "after": "c" * 40, "commits": [{"id": "c" * 40, "added": ["x.md"]}], "distinct_size": 1}
    chained = join_pushes(one, two)
    assert (chained["before"], chained["after"], len(chained["commits"]), chained["distinct_size"]) == ("a" * 40, "c" * 40, 2, 2)
    assert chained[COALESCED] == {"deliveries": 2, "full": False}
    gap = join_pushes(one, base | {"before": "e" * 40, "after": "f" * 40, "commits": []})
    assert gap[COALESCED] == {"deliveries": 2, "full": True} and gap["after"] == "f" * 40
    forced = join_pushes(one, two | {"forced": True})
    assert forced[COALESCED]["full"]
    assert join_pushes(gap, two)[COALESCED] == {"deliveries": 3, "full": True}  # once full, stays full
    other_branch = two | {"ref": "refs/heads/feature"}
    assert join_pushes(one, other_branch) is one and join_pushes(other_branch, one) is one
    many = one
    for i in range(1, 31):
        many = join_pushes(many, base | {"before": many["after"], "after": f"{i:040x}", "commits": [{"id": f"{i:040x}"}], "distinct_size": 1})
    assert len(many["commits"]) == 20 and many[COALESCED] == {"deliveries": 31, "full": False}  # the compare API reads the range


async def test_a_gap_reconciles_the_whole_head_once(service: Any) -> None:
    fake, gate = service.fake, service.gate
    push(service, ZERO, head(fake))
    await gate.started.wait()
    _, a1 = add_item(fake, "Before the force-push")
    fake.commit(REPO, {NOTES: EXAMPLE.rstrip("\n") + "\n- After the force-push (Carol)\n"}, message="rewritten")
    newest = head(fake)
    push(service, head(fake), a1)  # a push whose range does not start where the first ended
    deliver(service, "push", push_payload(fake, a1, newest) | {"forced": True})
    gate.release.set()
    await service.service.queue.join()
    assert "After the force-push" in by_title(fake)
    assert len(checks_on(fake, newest)) == 1  # the full run's check is on the head
