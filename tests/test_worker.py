"""Reading and planning run in worker processes with a time budget: the service never waits on them.

The slow inputs here are genuinely slow (a notes file of 450,000 empty list
items takes tens of seconds to read), cut off by a budget of a second or two;
nothing asserts how long anything took.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from actionbot.engine import worker
from actionbot.engine.worker import TooComplex, run_bounded
from tests.syncenv import NOTES, REPO, action_issues, head, pr_payload

SLOW_NOTES = "# Team meeting, 2025-05-12\n\n## Next actions\n\n" + "-\n" * 450_000  # 900 KB, seconds to read


async def test_a_job_past_its_budget_is_stopped_and_the_next_job_runs() -> None:
    with pytest.raises(TooComplex) as caught:
        await run_bounded("sleeping", time.sleep, 60, budget=0.5)
    assert caught.value.budget == 0.5
    assert await run_bounded("adding", sum, [1, 2, 3], budget=30) == 6  # a fresh worker took over


async def test_an_error_in_the_job_is_raised_to_the_caller() -> None:
    with pytest.raises(ValueError, match="invalid literal"):
        await run_bounded("converting", int, "not a number", budget=30)


async def test_two_jobs_run_at_once_on_the_two_workers() -> None:
    slow = asyncio.ensure_future(run_bounded("sleeping", time.sleep, 60, budget=2))
    assert await run_bounded("adding", sum, [1, 2], budget=30) == 3  # answered while the other still sleeps
    assert not slow.done()
    with pytest.raises(TooComplex):
        await slow


def test_the_budget_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACTIONBOT_PARSE_BUDGET", "2.5")
    assert worker.budget_s() == 2.5
    for bad in ("soon", "0", "-1"):
        monkeypatch.setenv("ACTIONBOT_PARSE_BUDGET", bad)
        assert worker.budget_s() == worker.BUDGET_S


async def test_notes_too_complex_to_read_are_a_problem_and_healthz_answers_meanwhile(
    service: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACTIONBOT_PARSE_BUDGET", "1")  # the reading takes far longer (tens of seconds)
    fake = service.fake
    first = head(fake)
    pr_head = fake.commit(REPO, {NOTES: SLOW_NOTES}, branch="notes-update")
    before = len(action_issues(fake))
    delivery = asyncio.ensure_future(service.send("pull_request", pr_payload(fake, "opened", first, pr_head)))
    for _ in range(3000):  # until the reading is in a worker (bounded: the delivery itself fails the test)
        if any(w.lock.locked() for w in worker._WORKERS) or delivery.done():
            break
        await asyncio.sleep(0.01)
    assert not delivery.done(), "the reading should still be running"
    answer = await service.client.get("/healthz")
    assert answer.status == 200
    assert any(w.lock.locked() for w in worker._WORKERS), "healthz answered while the reading ran"
    await delivery
    run = fake.check_runs(REPO)[-1]
    assert run["head_sha"] == pr_head
    assert "notes too complex to read" in json.dumps(run["output"]) and NOTES in json.dumps(run["output"])
    assert len(action_issues(fake)) == before  # nothing opened, nothing closed
