"""Redelivery of failed deliveries: GitHub's documented procedure, against the fake."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import aiohttp
import pytest

from actionbot.github.app import AppClients
from actionbot.github.redeliver import redeliver_failed, to_redeliver
from tests.clirun import as_process
from tests.helpers import APP_ID, Sleeper


def test_to_redeliver_picks_newest_attempt_of_guids_that_never_succeeded() -> None:
    deliveries = [
        {"id": 5, "guid": "a", "status_code": 502, "delivered_at": "2025-01-01T10:05:00Z"},
        {"id": 4, "guid": "b", "status_code": 200, "delivered_at": "2025-01-01T10:04:00Z"},
        {"id": 3, "guid": "a", "status_code": 0, "delivered_at": "2025-01-01T10:03:00Z"},
        {"id": 2, "guid": "b", "status_code": 503, "delivered_at": "2025-01-01T10:02:00Z"},
        {"id": 1, "guid": "c", "status_code": 200, "delivered_at": "2025-01-01T10:01:00Z"},
    ]
    assert to_redeliver(deliveries) == [5]
    assert to_redeliver([]) == []


@pytest.fixture
def app(fake_github: Any, app_key: tuple[str, str]) -> Any:
    fake_github.set_app(APP_ID, app_key[1])
    fake_github.add_installation(42, "octo-org")
    return fake_github


def seed(fake: Any) -> dict[str, int]:
    now = fake.clock.now()
    ids = {}
    ids["old_failure"] = fake.add_hook_delivery("push", status_code=502, delivered_at=now - timedelta(hours=100))["id"]
    first = fake.add_hook_delivery("push", status_code=502, guid="g-fail", delivered_at=now - timedelta(hours=2))
    ids["failed_twice"] = fake.add_hook_delivery("push", status_code=0, guid="g-fail", delivered_at=now - timedelta(hours=1))["id"]
    fake.add_hook_delivery("issues", "closed", status_code=503, guid="g-ok", delivered_at=now - timedelta(hours=3))
    fake.add_hook_delivery("issues", "closed", status_code=202, guid="g-ok", delivered_at=now - timedelta(hours=2))
    for i in range(110):  # more than one page
        fake.add_hook_delivery("push", status_code=202, delivered_at=now - timedelta(minutes=30 + i % 20))
    ids["single"] = fake.add_hook_delivery("issue_comment", "created", status_code=503, delivered_at=now - timedelta(hours=5))["id"]
    assert first["id"] not in ids.values()
    return ids


async def test_redeliver_failed_against_the_fake(app: Any, app_key: tuple[str, str]) -> None:
    ids = seed(app)
    async with aiohttp.ClientSession() as session:
        clients = AppClients(session, app_id=str(APP_ID), private_key=app_key[0], api_url=app.url, sleep=Sleeper())
        report = await redeliver_failed(clients, since_hours=72)
    assert sorted(app.redelivery_attempts) == sorted([ids["failed_twice"], ids["single"]])
    assert report.redelivered and not report.errors
    pages = [r for r in app.requests if r.path == "/app/hook/deliveries"]
    assert len(pages) == 2 and all(r.identity == "app" for r in pages)


async def test_one_failed_redelivery_does_not_stop_the_others(app: Any, app_key: tuple[str, str]) -> None:
    ids = seed(app)
    app.fault("POST", f"/app/hook/deliveries/{ids['single']}/attempts", "status", status=422, message="nope")
    async with aiohttp.ClientSession() as session:
        clients = AppClients(session, app_id=str(APP_ID), private_key=app_key[0], api_url=app.url, sleep=Sleeper())
        report = await redeliver_failed(clients, since_hours=72)
    assert app.redelivery_attempts == [ids["failed_twice"]]
    assert len(report.errors) == 1 and str(ids["single"]) in report.errors[0]


async def test_cli_redeliver(app: Any, app_key: tuple[str, str], tmp_path: Any) -> None:
    ids = seed(app)
    key = tmp_path / "app.pem"
    key.write_text(app_key[0])
    # As a process (the command's smoke test); no GITHUB_WEBHOOK_SECRET: not needed to redeliver.
    env = {"GITHUB_APP_ID": str(APP_ID), "GITHUB_PRIVATE_KEY": str(key), "GITHUB_API_URL": app.url}
    code, out, err = await as_process("redeliver", "--since", "4", env=env)
    assert code == 0, err
    assert app.redelivery_attempts == [ids["failed_twice"]]  # the 5-hour-old one is outside --since 4
    assert "redelivered 1" in out
