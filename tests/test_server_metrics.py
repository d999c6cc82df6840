"""The service's /metrics: every delivery outcome, GitHub requests by status, rate limit per installation.

The service and the GitHub clients share one `Metrics` (as `actionbot serve`
wires them), so one scrape shows both sides of a delivery.
"""

from __future__ import annotations

from typing import Any

import aiohttp
from gidgethub import routing, sansio
from prometheus_client.parser import text_string_to_metric_families

from actionbot.github.app import AppClients
from actionbot.service.app import make_app, service_of
from actionbot.service.metrics import Metrics
from tests.deliveries import deliver
from tests.helpers import APP_ID, Sleeper, service_settings
from tests.webhooks import OPERATOR, STATUS_TOKEN

SECRET = "s3cret"


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


async def test_metrics_count_outcomes_requests_and_rate_limit(
    fake_github: Any, app_key: tuple[str, str], aiohttp_client: Any
) -> None:
    fake = fake_github
    fake.set_app(APP_ID, app_key[1])
    fake.add_installation(42, "octo-org")
    fake.add_repo("octo-org/notes", {"README.md": "hi\n"}, installation_id=42)
    router = routing.Router()

    @router.register("issues", action="closed")
    async def read_repo(event: sansio.Event, gh: Any, ctx: Any) -> None:
        await gh.get_repo("octo-org/notes")

    settings = service_settings(SECRET, app_id=str(APP_ID), api_url=fake.url, status_token=STATUS_TOKEN)
    metrics = Metrics()
    async with aiohttp.ClientSession() as session:
        clients = AppClients(session, app_id=str(APP_ID), private_key=app_key[0], api_url=fake.url, sleep=Sleeper(), metrics=metrics)
        app = make_app(settings, clients=clients, router=router, metrics=metrics, redeliver_on_startup=False)
        client = await aiohttp_client(app)
        payload = {
            "action": "closed",
            "issue": {"number": 1},
            "repository": {"full_name": "octo-org/notes"},
            "installation": {"id": 42},
            "sender": {"login": "alice", "type": "User"},
        }
        assert (await deliver(client, "issues", payload, secret=SECRET, delivery_id="d1")).status == 202
        assert (await deliver(client, "issues", payload, secret=SECRET, delivery_id="d1")).status == 200  # duplicate
        assert (await deliver(client, "issues", {**payload, "action": "opened"}, secret=SECRET)).status == 200  # ignored
        assert (await deliver(client, "issues", payload, secret="wrong")).status == 401
        await service_of(app).queue.join()
        resp = await client.get("/metrics", headers=OPERATOR)
        assert resp.status == 200 and resp.headers["Content-Type"].startswith("text/plain")
        got = samples(await resp.text())

    def delivered(outcome: str) -> float:
        return got.get(("actionbot_deliveries_total", (("event", "issues"), ("outcome", outcome))), 0)

    assert [delivered(o) for o in ("processed", "duplicate", "ignored", "rejected")] == [1, 1, 1, 1]
    assert got[("actionbot_delivery_processing_seconds_count", (("event", "issues"),))] == 1
    assert got[("actionbot_github_requests_total", (("status", "201"),))] == 1  # the installation token
    assert got[("actionbot_github_requests_total", (("status", "200"),))] == 1  # GET /repos/octo-org/notes
    assert got[("actionbot_github_writes_total", ())] == 0  # minting a token is not a content write
    assert got[("actionbot_rate_limit_remaining", (("installation", "42"),))] == fake.rate_bucket("installation:42").remaining == 4999
    assert got[("actionbot_queue_depth", ())] == 0
    assert service_of(app).rate_limits[42] == got[("actionbot_rate_limit_remaining", (("installation", "42"),))]
