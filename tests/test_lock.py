"""The lock label over the fake GitHub: taken, released, contended, taken over, busy, never stolen."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import aiohttp
import pytest

from actionbot.engine.lock import (
    LOCK_LABEL,
    MAX_DESCRIPTION,
    SENTENCE,
    LockBusy,
    describe,
    new_holder,
    parse,
    repo_lock,
)
from tests.syncenv import REPO, client, setup_repo


class FakeTime:
    """A clock the test moves, and a sleep that moves it (recording each pause) without waiting."""

    def __init__(self, now: float = 1_700_000_000.0):
        self.now = now
        self.pauses: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.pauses.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


@pytest.fixture
def fake(fake_github: Any) -> Any:
    setup_repo(fake_github)
    return fake_github


def lock_label(fake: Any) -> dict[str, Any] | None:
    return next((lb for lb in fake.labels(REPO) if lb["name"] == LOCK_LABEL), None)


def test_description_says_who_until_when_and_that_deleting_is_safe() -> None:
    holder = new_holder("a-very-long-host-name.example.org")
    text = describe(holder, 1_700_000_123)
    assert len(text) <= MAX_DESCRIPTION and SENTENCE in text
    assert parse(text).holder == holder and parse(text).until == 1_700_000_123
    assert new_holder() != new_holder()  # one name per acquisition, even within a process
    assert parse("made by hand").until is None and parse("made by hand").expired(0)
    assert parse(None).holder is None


async def test_acquire_and_release(fake: Any) -> None:
    t = FakeTime()
    async with aiohttp.ClientSession() as session:
        gh = client(session, fake)
        fake.reset_log()
        async with repo_lock(gh, REPO, holder="one", clock=t.clock, sleep=t.sleep) as held:
            label = lock_label(fake)
            assert label is not None and parse(label["description"]).holder == "one"
            assert parse(label["description"]).until == held.until == int(t.now + 120) + 1
            assert SENTENCE in label["description"]
        assert lock_label(fake) is None
    # create, then (a read to check it is still ours) delete: two writes in all
    assert [(w.method, w.path.rsplit("/", 1)[-1]) for w in fake.writes()] == [("POST", "labels"), ("DELETE", LOCK_LABEL)]
    assert t.pauses == []


async def test_released_when_the_body_fails(fake: Any) -> None:
    t = FakeTime()
    async with aiohttp.ClientSession() as session:
        gh = client(session, fake)
        with pytest.raises(RuntimeError):
            async with repo_lock(gh, REPO, holder="one", clock=t.clock, sleep=t.sleep):
                raise RuntimeError("boom")
    assert lock_label(fake) is None


async def test_two_holders_never_overlap(fake: Any) -> None:
    t = FakeTime()
    inside: list[str] = []
    overlaps: list[tuple[str, ...]] = []
    order: list[str] = []

    async def run(name: str) -> None:
        async with aiohttp.ClientSession() as session:
            gh = client(session, fake)  # a client each: as two replicas would
            async with repo_lock(gh, REPO, holder=name, clock=t.clock, sleep=t.sleep, rng=random.Random(1)):
                inside.append(name)
                if len(inside) > 1:
                    overlaps.append(tuple(inside))
                for _ in range(3):
                    await gh.list_labels(REPO)  # real I/O while held: the other one gets to run
                order.append(name)
                inside.remove(name)

    await asyncio.gather(*(run(f"holder{i}") for i in range(3)))
    assert overlaps == []
    assert sorted(order) == ["holder0", "holder1", "holder2"]
    assert lock_label(fake) is None
    assert t.pauses  # the losers waited (with the fake sleep: no real waiting)


async def test_stale_lock_of_a_crashed_holder_is_taken_over(fake: Any) -> None:
    t = FakeTime()
    fake.add_label(REPO, LOCK_LABEL, "cccccc", describe("crashed-1", int(t.now) - 5))
    async with aiohttp.ClientSession() as session:
        gh = client(session, fake)
        async with repo_lock(gh, REPO, holder="two", clock=t.clock, sleep=t.sleep) as held:
            assert held.taken_over
            assert parse(lock_label(fake)["description"]).holder == "two"
    assert lock_label(fake) is None


async def test_a_hand_made_label_of_that_name_is_taken_over(fake: Any) -> None:
    t = FakeTime()
    fake.add_label(REPO, LOCK_LABEL, "ededed", "something a human wrote")
    async with aiohttp.ClientSession() as session, repo_lock(client(session, fake), REPO, holder="two", clock=t.clock, sleep=t.sleep) as held:
        assert held.taken_over


async def test_busy_lock_gives_up_after_the_bounded_wait(fake: Any) -> None:
    t = FakeTime()
    fake.add_label(REPO, LOCK_LABEL, "cccccc", describe("alive-1", int(t.now) + 600))
    async with aiohttp.ClientSession() as session:
        gh = client(session, fake)
        entered = False
        with pytest.raises(LockBusy) as err:
            async with repo_lock(gh, REPO, holder="two", wait_seconds=30, clock=t.clock, sleep=t.sleep):
                entered = True
    assert not entered
    assert err.value.holder == "alive-1" and err.value.waited == pytest.approx(30)
    assert sum(t.pauses) == pytest.approx(30) and max(t.pauses) <= 5.0  # bounded backoff
    assert "alive-1" in str(err.value) and "deleting the label is safe" in str(err.value)
    assert parse(lock_label(fake)["description"]).holder == "alive-1"  # untouched
    # only the first look was a write attempt; the watching was reads
    assert len(fake.writes("/labels")) == 1


async def test_waiter_gets_the_lock_once_the_holder_releases(fake: Any) -> None:
    t = FakeTime()
    fake.add_label(REPO, LOCK_LABEL, "cccccc", describe("alive-1", int(t.now) + 600))

    async def sleep(seconds: float) -> None:
        await t.sleep(seconds)
        if len(t.pauses) == 3:
            fake.repo(REPO).labels.pop(LOCK_LABEL)  # the holder releases

    async with aiohttp.ClientSession() as session, repo_lock(client(session, fake), REPO, holder="two", clock=t.clock, sleep=sleep) as held:
        assert not held.taken_over and parse(lock_label(fake)["description"]).holder == "two"


async def test_release_never_deletes_someone_elses_lock(fake: Any) -> None:
    t = FakeTime()
    async with aiohttp.ClientSession() as session:
        gh = client(session, fake)
        async with repo_lock(gh, REPO, holder="one", clock=t.clock, sleep=t.sleep):
            # Meanwhile someone deemed us dead and took the label over.
            await gh.update_label(REPO, LOCK_LABEL, description=describe("other-2", int(t.now) + 600))
        assert parse(lock_label(fake)["description"]).holder == "other-2"
        fake.repo(REPO).labels.pop(LOCK_LABEL)
        # A lock deleted by hand while held, and a new one made by another run: left alone.
        async with repo_lock(gh, REPO, holder="three", clock=t.clock, sleep=t.sleep, wait_seconds=0):
            fake.repo(REPO).labels.pop(LOCK_LABEL)
            fake.add_label(REPO, LOCK_LABEL, "cccccc", describe("four", int(t.now) + 600))
        assert parse(lock_label(fake)["description"]).holder == "four"
    assert fake.writes(f"/labels/{LOCK_LABEL}") == [] or all(w.method != "DELETE" for w in fake.writes(f"/labels/{LOCK_LABEL}"))


async def test_keep_alive_moves_until_forward_while_held(fake: Any) -> None:
    t = FakeTime()
    ticks = asyncio.Queue[None]()
    beats: list[float] = []

    async def beat(seconds: float) -> None:
        beats.append(seconds)
        await ticks.get()
        t.now += seconds

    async with aiohttp.ClientSession() as session:
        gh = client(session, fake)
        async with repo_lock(gh, REPO, holder="one", ttl_seconds=90, clock=t.clock, sleep=t.sleep, keep_alive=beat) as held:
            first = held.until
            ticks.put_nowait(None)
            for _ in range(50):
                if held.until != first:
                    break
                await gh.list_labels(REPO)
            assert held.until == first + 30
            assert parse(lock_label(fake)["description"]).until == held.until
            assert beats[0] == 30  # ttl / 3
    assert lock_label(fake) is None


async def test_wait_zero_with_a_free_lock_still_takes_it(fake: Any) -> None:
    async with aiohttp.ClientSession() as session, repo_lock(client(session, fake), REPO, holder="one", wait_seconds=0, keep_alive=None):
        assert lock_label(fake) is not None


def test_holder_names_are_checked() -> None:
    with pytest.raises(ValueError):
        asyncio.run(repo_lock(None, REPO, holder="has a space").__aenter__())


async def test_a_lost_answer_to_the_create_is_read_back_not_repeated(fake: Any) -> None:
    t = FakeTime()
    fake.fault("POST", rf"^/repos/{REPO}/labels$", "lost_answer", answer="502")
    async with aiohttp.ClientSession() as session, repo_lock(client(session, fake), REPO, holder="one", clock=t.clock, sleep=t.sleep) as held:
        assert not held.taken_over and parse(lock_label(fake)["description"]).holder == "one"
    assert lock_label(fake) is None
    assert len(fake.writes("/labels")) == 2  # the create (applied, answer lost) and the delete
