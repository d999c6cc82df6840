"""Reading and planning run in worker processes with a time budget: the service never waits on them.

Within the reading limits every notes file reads in about a second, so the
jobs cut off here are stand-ins that report a line and then never finish
(tests/slowjobs.py); nothing asserts how long anything took.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from actionbot.engine import read, worker
from actionbot.engine.worker import TooComplex, run_bounded
from actionbot.notes.parse import MAX_LINES
from tests import slowjobs
from tests.fakestore import MemoryGitHub
from tests.handlerenv import Handlers
from tests.syncenv import EXAMPLE, NOTES, REPO, action_issues, head, pr_payload


async def test_a_job_past_its_budget_is_stopped_and_the_next_job_runs() -> None:
    with pytest.raises(TooComplex) as caught:
        await run_bounded("sleeping", time.sleep, 60, budget=0.5)
    assert caught.value.budget == 0.5
    assert await run_bounded("adding", sum, [1, 2, 3], budget=30) == 6  # a fresh worker took over


async def test_a_job_stopped_past_its_budget_says_the_line_it_had_reached() -> None:
    with pytest.raises(TooComplex) as caught:
        await run_bounded("reading", slowjobs.stuck_at, 4321, budget=0.5)
    assert caught.value.line == 4321
    with pytest.raises(TooComplex) as caught:
        await run_bounded("sleeping", time.sleep, 60, budget=0.5)
    assert caught.value.line is None  # a job that reports nothing: no line left over from the last one


async def test_the_reading_reports_its_progress_to_the_worker() -> None:
    text = "# Team meeting, 2025-05-12\n\n## Next actions\n\n- Fix the build (Ana)\n- Ship the release (Ben)\n"
    with pytest.raises(TooComplex) as caught:
        await run_bounded("reading", slowjobs.read_then_stuck, text, budget=2)
    assert caught.value.line == 6  # the last item read


def test_the_problem_names_the_line_and_the_fix() -> None:
    message = read.too_complex(TooComplex("reading n.md", 10, 812))
    assert message.startswith("notes too complex to read: line 812;") and "split the file" in message
    assert read.too_complex(TooComplex("planning", 10)).startswith("notes too complex to read: reading stopped after 10 s;")


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
    monkeypatch.setenv("ACTIONBOT_PARSE_BUDGET", "1")  # the stand-in job never finishes
    monkeypatch.setattr(read, "_read_job", slowjobs.stuck_reading)
    fake = service.fake
    first = head(fake)
    pr_head = fake.commit(REPO, {NOTES: EXAMPLE + "\n- Review the budget\n"}, branch="notes-update")
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
    output = json.dumps(run["output"])
    assert f"notes too complex to read: line {slowjobs.STUCK_LINE};" in output and NOTES in output
    assert len(action_issues(fake)) == before  # nothing opened, nothing closed


async def test_notes_past_a_reading_limit_are_a_problem_naming_the_line(memory_github: MemoryGitHub, handlers: Handlers) -> None:
    fake = memory_github.store
    first = head(fake)
    too_long = EXAMPLE + "\n" * MAX_LINES
    pr_head = fake.commit(REPO, {NOTES: too_long}, branch="notes-update")
    before = len(action_issues(fake))
    await handlers.send("pull_request", pr_payload(fake, "opened", first, pr_head))
    run = fake.check_runs(REPO)[-1]
    assert run["head_sha"] == pr_head
    output = json.dumps(run["output"])
    assert f"{NOTES}:{MAX_LINES + 1}" in output and "too many lines" in output and "split the file" in output
    assert len(action_issues(fake)) == before  # the file was not read, so nothing looks removed
