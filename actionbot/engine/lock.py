"""A lock kept in GitHub itself, so that replicas never create the same issue twice.

GitHub is actionbot's only shared state (no database: any replica handles any
delivery), and a per-process `asyncio.Lock` does not reach another process.
What GitHub does offer atomically is creating a label: `POST /labels` answers
201 to exactly one of two racing callers and 422 `already_exists` to the
other. So the lock is a label, `actionbot-lock`, in the tracking repository,
whose description says who holds it and until when:

    holder=web1-9f3a1c0d until=1767225600; held by actionbot while it creates issues; safe to delete

- 201: held. 422: someone holds it; read it (ETag-cached, so polling an
  unchanged label is free) with bounded, jittered backoff until it is gone
  (then create it again) or its `until` has passed, which means its holder
  crashed: take it over by rewriting the description, then read it back
  after a short settle to confirm (two takers: the last writer wins and both
  see it). Past `wait_seconds`: `LockBusy`, and the caller defers its run.
- While held, a keep-alive pushes `until` forward every `ttl/3` seconds, so a
  long run (pacing, retry-after waits) is never taken over while alive, and a
  crashed one blocks others for at most `ttl`.
- Release deletes the label, only if it still names us.

Takeover has no compare-and-swap on GitHub, so two takers of the same stale
lock could in theory both believe they won; the sync's twin check (the
creator of a younger duplicate closes it in the same run) stays as the net.
Deleting the label by hand is always safe: at worst a running sync and a new
one both create, and the twin check cleans up.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import re
import secrets
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from gidgethub import BadRequest, GitHubException

log = logging.getLogger(__name__)

LOCK_LABEL = "actionbot-lock"
LOCK_COLOR = "cccccc"
SENTENCE = "held by actionbot while it creates issues; safe to delete"
MAX_DESCRIPTION = 100  # GitHub's limit for a label description
MAX_HOLDER = MAX_DESCRIPTION - len("holder= until=1767225600; ") - len(SENTENCE)
MIN_DELAY = 0.25  # first pause between looks at a held lock
MAX_DELAY = 5.0  # pauses double up to this
SETTLE = 1.0  # after a takeover, before reading back who won

Sleep = Callable[[float], Awaitable[None]]
Clock = Callable[[], float]


class LockBusy(Exception):
    """Another run holds the lock and did not let go within the wait: try again later."""

    def __init__(self, repo: str, holder: str | None, until: int | None, waited: float):
        self.repo, self.holder, self.until, self.waited = repo, holder, until, waited
        when = time.strftime("%H:%M:%S UTC", time.gmtime(until)) if until else "an unknown time"
        super().__init__(
            f"{repo}: another actionbot run is creating issues (label {LOCK_LABEL!r} held by {holder or 'someone'} "
            f"until {when}); waited {waited:.0f} s. Run again later; if no actionbot run is active, deleting the "
            f"label is safe"
        )


@dataclass(frozen=True)
class LockState:
    """What a lock label's description says (None: absent or unreadable, e.g. a hand-made label)."""

    holder: str | None
    until: int | None

    def expired(self, now: float) -> bool:
        return self.until is None or self.until < now


@dataclass
class HeldLock:
    repo: str
    holder: str
    until: int
    taken_over: bool = False  # from a crashed holder
    lost: bool = False  # the keep-alive found someone else's name on it


def new_holder(prefix: str | None = None) -> str:
    """A name unique to one acquisition (two runs in one process never share it): host-nonce,
    short enough that the description stays within GitHub's 100 characters."""
    host = re.sub(r"[^A-Za-z0-9-]", "", prefix if prefix is not None else socket.gethostname().split(".")[0])[:8]
    return f"{host or 'actionbot'}-{secrets.token_hex(4)}"


def describe(holder: str, until: int) -> str:
    return f"holder={holder} until={until}; {SENTENCE}"


def parse(description: str | None) -> LockState:
    text = description or ""
    holder = re.search(r"\bholder=(\S+)", text)
    until = re.search(r"\buntil=(\d+)", text)
    return LockState(holder.group(1) if holder else None, int(until.group(1)) if until else None)


@contextlib.asynccontextmanager
async def repo_lock(
    gh: Any,
    repo: str,
    *,
    holder: str,
    ttl_seconds: float = 120.0,
    wait_seconds: float = 60.0,
    clock: Clock = time.time,
    sleep: Sleep = asyncio.sleep,
    rng: random.Random | None = None,
    keep_alive: Sleep | None = asyncio.sleep,
) -> AsyncIterator[HeldLock]:
    """Hold `actionbot-lock` in `repo` for the body; `LockBusy` if it stays held past `wait_seconds`.

    `sleep` paces the waits for a held lock (tests pass one that does not wait);
    `keep_alive` is the sleep of the renewal every `ttl/3` seconds, real time by
    default even when `sleep` is not (None: no renewal).
    """
    if not re.fullmatch(rf"\S{{1,{MAX_HOLDER}}}", holder):
        raise ValueError(f"a lock holder is 1 to {MAX_HOLDER} characters without spaces, not {holder!r}")
    held = await acquire(gh, repo, holder=holder, ttl_seconds=ttl_seconds, wait_seconds=wait_seconds,
                         clock=clock, sleep=sleep, rng=rng or random.Random())
    keeper = None if keep_alive is None else asyncio.create_task(_keep_alive(gh, held, ttl_seconds, clock, keep_alive))
    try:
        yield held
    finally:
        if keeper is not None:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        await release(gh, held)


async def acquire(
    gh: Any, repo: str, *, holder: str, ttl_seconds: float, wait_seconds: float, clock: Clock, sleep: Sleep,
    rng: random.Random,
) -> HeldLock:
    waited = 0.0
    delay = MIN_DELAY
    rounds = 0
    while True:
        rounds += 1
        if rounds > 2:
            # Released and at once taken by another run again (or a 422 that is not
            # `already_exists`): from the third round on, that waiting counts too.
            if waited >= wait_seconds:
                raise LockBusy(repo, None, None, waited)
            pause = min(rng.uniform(delay / 2, delay), wait_seconds - waited)
            await sleep(pause)
            waited += pause
        until = _until(clock, ttl_seconds)
        try:
            await gh.create_label(repo, LOCK_LABEL, LOCK_COLOR, describe(holder, until))
            log.debug("lock taken repo=%s holder=%s", repo, holder)
            return HeldLock(repo, holder, until)
        except BadRequest as exc:
            if int(exc.status_code) != 422:
                raise
        except _lost():
            pass  # the answer was lost, not necessarily the create: the label says whose it is
        # Held by someone: watch it (reads only, ETag-cached) until it goes or its holder is found dead.
        while True:
            label = await gh.get_label(repo, LOCK_LABEL)
            if label is None:
                break  # released meanwhile: create it again
            state = parse(label.get("description"))
            if state.holder == holder:
                return HeldLock(repo, holder, state.until or until)  # ours: made by the lost create
            if state.expired(clock()):
                held = await _take_over(gh, repo, holder, state, ttl_seconds, clock, sleep)
                if held is not None:
                    return held
                continue  # someone else took it over, or it went away: look again
            if waited >= wait_seconds:
                raise LockBusy(repo, state.holder, state.until, waited)
            pause = min(rng.uniform(delay / 2, delay), wait_seconds - waited)
            await sleep(pause)
            waited += pause
            delay = min(delay * 2, MAX_DELAY)


async def _take_over(
    gh: Any, repo: str, holder: str, stale: LockState, ttl_seconds: float, clock: Clock, sleep: Sleep
) -> HeldLock | None:
    """A crashed holder's lock: write our name on it, let racing takers write theirs, read who won."""
    until = _until(clock, ttl_seconds)
    try:
        await gh.update_label(repo, LOCK_LABEL, description=describe(holder, until))
    except BadRequest as exc:
        if int(exc.status_code) == 404:
            return None  # gone: the caller creates it
        raise
    await sleep(SETTLE)
    label = await gh.get_label(repo, LOCK_LABEL)
    if label is None or parse(label.get("description")).holder != holder:
        return None
    log.warning("lock of a crashed run taken over repo=%s stale_holder=%s expired=%s holder=%s",
                repo, stale.holder, stale.until, holder)
    return HeldLock(repo, holder, until, taken_over=True)


async def _keep_alive(gh: Any, held: HeldLock, ttl_seconds: float, clock: Clock, sleep: Sleep) -> None:
    """Push `until` forward while the body runs, as long as the label still names us."""
    while True:
        await sleep(ttl_seconds / 3)
        try:
            label = await gh.get_label(held.repo, LOCK_LABEL)
            if label is None or parse(label.get("description")).holder != held.holder:
                held.lost = True
                log.warning("lock lost while held repo=%s holder=%s (deleted or taken over)", held.repo, held.holder)
                return
            until = _until(clock, ttl_seconds)
            await gh.update_label(held.repo, LOCK_LABEL, description=describe(held.holder, until))
            held.until = until
        except _failures() as exc:
            log.warning("lock not renewed repo=%s: %s", held.repo, exc)


async def release(gh: Any, held: HeldLock) -> bool:
    """Delete the label if it still names us (never someone else's lock); errors only logged:
    an unreleased lock expires after its ttl."""
    try:
        label = await gh.get_label(held.repo, LOCK_LABEL)
        if label is None or parse(label.get("description")).holder != held.holder:
            log.warning("lock not ours any more at release repo=%s holder=%s", held.repo, held.holder)
            return False
        return bool(await gh.delete_label(held.repo, LOCK_LABEL))
    except _failures() as exc:
        log.warning("lock not released repo=%s (it expires by itself): %s", held.repo, exc)
        return False


def _until(clock: Clock, ttl_seconds: float) -> int:
    return int(clock() + ttl_seconds) + 1


def _lost() -> tuple[type[BaseException], ...]:
    from actionbot.engine.apply import LOST

    return LOST


def _failures() -> tuple[type[BaseException], ...]:
    """GitHub's refusals and a lost answer: what renewing or releasing the lock logs and survives."""
    return (GitHubException, *_lost())
