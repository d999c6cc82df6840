"""Self-healing: start-up and periodic resync of the service over the HTTP fake GitHub (its app
tokens, ETags and request costs are part of the subject) with a clock the test controls, missed
deliveries repaired, installation events, errors that never stop the service; the engine's
per-repository pass and a new installation's first reconcile over the in-memory GitHub."""

from __future__ import annotations

import asyncio
import copy
from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from actionbot.core.render import parse_marker
from actionbot.engine.reconcile import reconcile
from actionbot.engine.resync import bound_since, resync_repository
from actionbot.github.app import AppClients
from actionbot.service.app import make_app, service_of
from actionbot.service.settings import Settings
from tests import syncenv
from tests.deliveries import deliver, load_example
from tests.fakestore import MemoryStore
from tests.handlerenv import Handlers
from tests.helpers import APP_ID, service_settings
from tests.webhooks import OPERATOR, STATUS_TOKEN

SECRET = "s3cret"
REPO = "octo-org/notes"
HOURS = 6


def test_bound_since_is_30_days_or_the_oldest_tracked_meeting() -> None:
    assert bound_since("2025-03-31", []) == "2025-03-01"
    assert bound_since("2025-03-31", ["2025-03-20", None]) == "2025-03-01"
    assert bound_since("2025-03-31", ["2024-06-01", "2025-03-20"]) == "2024-06-01"
    assert bound_since("2025-03-31", [], days=0) == "2025-03-31"


def day(days_ago: int) -> str:
    return (date.today() - timedelta(days=days_ago)).isoformat()


def meeting(days_ago: int, *items: str) -> tuple[str, str]:
    d = day(days_ago)
    text = f"# Team meeting, {d}\n\nAttendees: Carol\n\n## Next actions\n\n" + "".join(f"- {i}\n" for i in items)
    return f"docs/meetings/{d}-team-meeting.md", text


def items(fake: Any, repo: str = REPO) -> list[str]:
    return sorted(i["title"] for i in fake.issues(repo) if parse_marker(i.get("body")) is not None)


class Clock:
    """The service's clock: real time at the start (the fake checks JWTs against it), moved by the test."""

    def __init__(self) -> None:
        import time

        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class GatedSleep:
    """Short waits (pacing, backoff) pass at once; the resync's long wait blocks until the test says go."""

    def __init__(self, clock: Clock, fake: Any) -> None:
        self.clock = clock
        self.fake = fake
        self.long_waits: list[float] = []
        self.short_waits: list[float] = []
        self.asleep = asyncio.Event()
        self.go = asyncio.Event()

    async def __call__(self, seconds: float) -> None:
        if seconds < 3600:
            self.short_waits.append(seconds)
            self.clock.now += seconds
            self.fake.clock.advance(seconds)
            await asyncio.sleep(0)
            return
        self.long_waits.append(seconds)
        self.asleep.set()
        await self.go.wait()
        self.go.clear()
        self.clock.now += seconds
        self.fake.clock.advance(seconds)  # GitHub's time moves too (token expiry)

    async def pass_done(self) -> None:
        await asyncio.wait_for(self.asleep.wait(), 20)

    def next_pass(self) -> None:
        self.asleep.clear()
        self.go.set()


def settings(fake: Any) -> Settings:
    return service_settings(SECRET, app_id=str(APP_ID), api_url=fake.url, status_token=STATUS_TOKEN)


@pytest.fixture
def world(fake_github: Any, app_key: tuple[str, str]) -> Any:
    fake_github.set_app(APP_ID, app_key[1])
    return installation_42(fake_github)


def installation_42(fake: Any) -> Any:
    """Installation 42 of octo-org on the notes repository (a meeting 3 days ago, one 400 days ago)
    and on a repository without notes, in either fake."""
    fake.add_installation(42, "octo-org")
    path, text = meeting(3, "Write the incident report (Carol)", "Update the contributing guide")
    old_path, old_text = meeting(400, "Something from last year")
    fake.add_repo(REPO, {"README.md": "hi\n", path: text, old_path: old_text}, installation_id=42)
    fake.add_repo("octo-org/code", {"README.md": "no notes here\n"}, installation_id=42)
    fake.add_assignable(REPO, "carol")
    return fake


def early_today() -> float:
    """00:30 UTC today: passes 6 hours apart stay within one day (the dashboard's ages do not move)."""
    now = datetime.now(UTC)
    return now.replace(hour=0, minute=30, second=0, microsecond=0).timestamp()


async def start(world: Any, app_key: tuple[str, str], session: Any, aiohttp_client: Any, *,
                at: float | None = None, **kw: Any) -> Any:
    clock = Clock()
    if at is not None:  # the service's clock and GitHub's agree (token expiry, timestamps)
        clock.now = at
        world.clock.freeze(datetime.fromtimestamp(at, UTC))
    sleeper = GatedSleep(clock, world)
    clients = AppClients(session, app_id=str(APP_ID), private_key=app_key[0], api_url=world.url,
                         write_interval=0, sleep=sleeper, clock=clock)
    app = make_app(settings(world), clients=clients, clock=clock, sleep=sleeper, resync_hours=HOURS, resync_pause=0.5, **kw)
    client = await aiohttp_client(app)
    return SimpleNamespace(app=app, client=client, clock=clock, sleeper=sleeper, service=service_of(app), clients=clients)


async def start_unscheduled(world: Any, app_key: tuple[str, str], session: Any, aiohttp_client: Any) -> tuple[AppClients, Any, Any]:
    """(clients, app, test client) of a service with no periodic resync and no start-up redelivery:
    only the deliveries a test posts do anything."""
    clients = AppClients(session, app_id=str(APP_ID), private_key=app_key[0], api_url=world.url, write_interval=0)
    app = make_app(settings(world), clients=clients, resync_hours=0, redeliver_on_startup=False)
    return clients, app, await aiohttp_client(app)


async def test_startup_and_periodic_resync_repair_missed_deliveries(
    world: Any, app_key: tuple[str, str], aiohttp_client: Any
) -> None:
    fake = world
    async with aiohttp.ClientSession() as session:
        bot = await start(fake, app_key, session, aiohttp_client, at=early_today())
        await bot.sleeper.pass_done()  # the start-up pass, then asleep for 6 h
        assert bot.sleeper.long_waits == [HOURS * 3600]
        # First run without `since`: the last 30 days only, never last year's meeting.
        assert items(fake) == ["Update the contributing guide", "Write the incident report"]
        assert not [i for i in fake.issues(REPO) if "last year" in i["title"]]
        assert 0.5 in bot.sleeper.short_waits  # paced between the two repositories
        first = bot.service.resyncer.last_full_resync
        assert first is not None

        status = await (await bot.client.get("/", headers={"Accept": "application/json", **OPERATOR})).json()
        assert status["last_full_resync"] == first
        assert [(i["id"], i["repositories"]) for i in status["installations"]] == [(42, 2)]
        assert abs(status["rate_limit_remaining"]["42"] - fake.rate_bucket("installation:42").remaining) <= 1
        page = await (await bot.client.get("/", headers=OPERATOR)).text()
        assert "Last full resync" in page and "octo-org" in page
        scrape = await (await bot.client.get("/metrics", headers=OPERATOR)).text()
        stamps = [s.value for f in text_string_to_metric_families(scrape) for s in f.samples
                  if s.name == "actionbot_last_full_resync_timestamp_seconds"]
        assert stamps == [first]

        # A push GitHub never delivered (dropped): the next periodic pass repairs it.
        path, text = meeting(1, "Book the room for the sprint (Carol)")
        fake.commit(REPO, files={path: text}, message="notes of yesterday")
        bot.sleeper.next_pass()
        await bot.sleeper.pass_done()
        assert any("Book the room" in t for t in items(fake))
        assert bot.service.resyncer.last_full_resync == first + HOURS * 3600 + 0.5

        # Nothing changed: a pass writes nothing and costs few rate-limited requests (ETag 304s are free).
        fake.reset_log()
        bot.sleeper.next_pass()
        await bot.sleeper.pass_done()
        # The only write: a fresh installation token (the last one expired 5 h ago).
        assert [w.path for w in fake.writes()] == ["/app/installations/42/access_tokens"]
        counted = [r for r in fake.requests if r.counted and r.identity != "app"]
        print(f"\nunchanged pass: {len(fake.requests)} requests, {len(counted)} counted:", sorted((r.method, r.path, r.status) for r in counted))
        assert len(counted) <= 12
        assert bot.service.resyncer.passes == 3


async def test_a_second_unchanged_pass_costs_only_the_token(
    world: Any, app_key: tuple[str, str], aiohttp_client: Any
) -> None:
    """Every read of an unchanged pass is conditional (304, free), the app's own included,
    and no read asks for a file that is absent (a 404 has no ETag, so it would count)."""
    fake = world
    async with aiohttp.ClientSession() as session:
        bot = await start(fake, app_key, session, aiohttp_client, at=early_today())
        await bot.sleeper.pass_done()  # start-up: opens the issues
        assert items(fake)
        bot.sleeper.next_pass()  # the first pass after those writes still sees them (new ETags)
        await bot.sleeper.pass_done()
        fake.reset_log()
        bot.sleeper.next_pass()
        await bot.sleeper.pass_done()
        assert bot.service.resyncer.passes == 3
        counted = sorted((r.method, r.path, r.status) for r in fake.requests if r.counted)
        # The installation token expired (1 h) since the last pass: minting one is the only cost.
        assert counted == [("POST", "/app/installations/42/access_tokens", 201)]
        assert fake.writes() and all(w.identity == "app" for w in fake.writes())
        reads = [r for r in fake.requests if r.method == "GET"]
        assert reads and all(r.status == 304 for r in reads), [(r.path, r.status) for r in reads if r.status != 304]


async def test_the_periodic_pass_keeps_the_dashboards_ages_current(
    world: Any, app_key: tuple[str, str], aiohttp_client: Any
) -> None:
    """Quiet days: no push, no command, yet the age column moves, rewritten once a day at most."""
    fake = world

    def dashboard() -> dict[str, Any]:
        [issue] = [i for i in fake.issues(REPO) if "actionbot:dashboard" in (i.get("body") or "")]
        return issue

    async with aiohttp.ClientSession() as session:
        bot = await start(fake, app_key, session, aiohttp_client, at=early_today())
        await bot.sleeper.pass_done()  # 00:30: the items and their dashboard are made
        before = dashboard()["body"]
        assert "| 3 days |" in before  # the meeting was 3 days ago
        fake.reset_log()
        for _ in range(3):  # 06:30, 12:30, 18:30: the same day, nothing to write
            bot.sleeper.next_pass()
            await bot.sleeper.pass_done()
        assert all(w.identity == "app" for w in fake.writes())  # token mints only
        assert dashboard()["body"] == before
        fake.reset_log()
        bot.sleeper.next_pass()  # 00:30 the next day: one day older
        await bot.sleeper.pass_done()
        assert [(w.method, w.path) for w in fake.writes() if w.identity != "app"] == [
            ("PATCH", f"/repos/{REPO}/issues/{dashboard()['number']}")
        ]
        assert "| 4 days |" in dashboard()["body"] and "| 3 days |" not in dashboard()["body"]


async def test_the_periodic_pass_never_creates_a_dashboard(memory_store: MemoryStore) -> None:
    """It keeps an existing dashboard current; making one is the sync's job (at its first write)."""
    fake = memory_store
    syncenv.setup_repo(fake)
    assert (await reconcile(fake.gh, syncenv.REPO, dashboard=False, check=False)).applied
    fake.reset_log()
    result = await resync_repository(fake.gh, syncenv.REPO)
    assert result.applied == 0 and not result.error
    assert fake.writes() == []
    assert not [i for i in fake.issues(syncenv.REPO) if "actionbot:dashboard" in (i.get("body") or "")]


async def test_installation_created_runs_a_bounded_first_reconcile(memory_store: MemoryStore, handlers: Handlers) -> None:
    fake = installation_42(memory_store)
    fake.add_repo("octo-org/minutes", {meeting(200, "An old thing")[0]: meeting(200, "An old thing")[1],
                                        ".github/actionbot.yml": f"since: {day(365)}\n"}, installation_id=42)
    payload = load_example("installation", "created")
    payload["installation"]["id"] = 42
    payload["repositories"] = [
        {"id": 1, "node_id": "R_1", "name": "notes", "full_name": REPO, "private": False},
        {"id": 2, "node_id": "R_2", "name": "minutes", "full_name": "octo-org/minutes", "private": False},
    ]
    await handlers.send("installation", payload)
    assert len(items(fake)) == 2 and not any("last year" in t for t in items(fake))
    assert items(fake, "octo-org/minutes") == ["An old thing"]  # `since` in the configuration widens it
    assert fake.check_runs(REPO) == []  # a resync writes issues, not check runs


async def test_repositories_added_and_uninstall(
    world: Any, app_key: tuple[str, str], aiohttp_client: Any
) -> None:
    fake = world
    async with aiohttp.ClientSession() as session:
        clients, app, client = await start_unscheduled(fake, app_key, session, aiohttp_client)
        service = service_of(app)
        added = copy.deepcopy(load_example("installation", "created"))
        added.update(action="added", repository_selection="selected", repositories_removed=[],
                     repositories_added=[{"id": 1, "node_id": "R_1", "name": "notes", "full_name": REPO, "private": False}])
        added.pop("repositories")
        added["installation"]["id"] = 42
        assert (await deliver(client, "installation_repositories", added, secret=SECRET)).status == 202
        await service.queue.join()
        assert len(items(fake)) == 2
        assert await clients.installation_token(42)
        service.metrics.set_rate_limit(42, 4321)  # as a delivery would have
        service.rate_limits[42] = 4321
        tokens_before = list(fake.token_requests)

        deleted = copy.deepcopy(load_example("installation", "created"))
        deleted["action"] = "deleted"
        deleted["installation"]["id"] = 42
        fake.installations.pop(42)  # GitHub no longer mints tokens for it
        assert (await deliver(client, "installation", deleted, secret=SECRET)).status == 202
        await service.queue.join()
        assert service.recent[-1].outcome == "ok"
        assert fake.token_requests == tokens_before  # nothing minted for a deleted installation
        assert 42 not in clients._tokens and 42 not in service.rate_limits
        scrape = await (await client.get("/metrics", headers=OPERATOR)).text()
        assert 'actionbot_rate_limit_remaining{installation="42"}' not in scrape


async def test_resync_errors_are_logged_and_the_service_serves(
    world: Any, app_key: tuple[str, str], aiohttp_client: Any, caplog: Any
) -> None:
    fake = world
    fake.fault("GET", r"^/app/installations$", "status", status=500, times=100)
    async with aiohttp.ClientSession() as session:
        bot = await start(fake, app_key, session, aiohttp_client)
        await bot.sleeper.pass_done()
        report = bot.service.resyncer.last_pass
        assert report is not None and any("listing installations" in e for e in report.errors)
        assert bot.service.resyncer.last_full_resync is None  # not a full pass
        assert (await bot.client.get("/healthz")).status == 200
        assert any("cannot list installations" in r.getMessage() for r in caplog.records)


async def test_repositories_removed_drops_their_cached_answers(
    world: Any, app_key: tuple[str, str], aiohttp_client: Any
) -> None:
    fake = world
    async with aiohttp.ClientSession() as session:
        clients, app, client = await start_unscheduled(fake, app_key, session, aiohttp_client)
        gh = await clients.for_installation(42)
        await gh.get_repo(REPO)
        await gh.get_repo("octo-org/code")
        cached = lambda: sorted(k.split("/repos/")[1] for k in clients._etags if "/repos/" in k)  # noqa: E731
        assert cached() == ["octo-org/code", "octo-org/notes"]
        removed = copy.deepcopy(load_example("installation", "created"))
        removed.update(action="removed", repository_selection="selected", repositories_added=[],
                       repositories_removed=[{"id": 1, "node_id": "R_1", "name": "notes", "full_name": REPO, "private": False}])
        removed.pop("repositories")
        removed["installation"]["id"] = 42
        assert (await deliver(client, "installation_repositories", removed, secret=SECRET)).status == 202
        await service_of(app).queue.join()
        assert cached() == ["octo-org/code"]
        assert service_of(app).recent[-1].notes == ["1 repositories removed: 1 cached answers dropped"]
