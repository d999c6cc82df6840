"""Shared fixtures: the fake GitHubs the project's tests run against.

`memory_store` is an empty in-memory GitHub (`tests/fakestore.MemoryStore`:
the HTTP fake's state and inspection calls, a call log, and `.gh`, the client
over it); `memory_github` is that client over a store set up as
`tests/syncenv.setup_repo` does (installation 42), the store at `.store`;
`handlers` hands deliveries to the handlers over `memory_store` as the service
does (`tests/handlerenv.py`). Engine and handler tests use these.

`fake_github` starts `tests.fakegithub.FakeGitHub` on 127.0.0.1 with a random
port (milliseconds), yields it, stops it, and fails the test when any request
the bot sent or any response the fake gave did not match GitHub's official
schema (`fake.schema_errors`), unless the test called
`fake.allow_schema_errors()` or carries `@pytest.mark.fake_github_schema_errors_ok`.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace
from typing import Any

import aiohttp
import pytest

from actionbot.github.app import AppClients
from actionbot.service.app import make_app, service_of
from tests.clirun import InProcessCLI
from tests.deliveries import deliver
from tests.fakegithub import FakeGitHub
from tests.fakestore import MemoryGitHub, MemoryStore
from tests.handlerenv import Handlers
from tests.helpers import APP_ID, service_settings
from tests.syncenv import FAST, no_wait, setup_repo

PUSH_SECRET = "s3cret"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "fake_github_schema_errors_ok: the test sends requests GitHub's schema rejects on purpose"
    )


@pytest.fixture(autouse=True)
def root_logging_restored() -> Iterator[None]:
    """Each test leaves the root logger's level and handlers as it found them.

    `logs.configure` (the CLI's commands and a few tests call it) sets the root
    level. Left at DEBUG, every later test paid for markdown-it's debug record
    per block rule, captured by pytest: a corpus parse took 10 times as long.
    """
    root = logging.getLogger()
    level, before = root.level, set(root.handlers)
    yield
    root.setLevel(level)
    for handler in list(root.handlers):
        if getattr(handler, "_actionbot", False) and handler not in before:
            root.removeHandler(handler)


@pytest.fixture
def cli_main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> InProcessCLI:
    """`actionbot ...` in this process: `.run(*argv, env=, cwd=)`, `await .arun(...)` (tests/clirun.py)."""
    return InProcessCLI(monkeypatch, capsys)


@pytest.fixture(scope="session")
def pem() -> str:
    """A private RS256 key in the PKCS#1 PEM form GitHub hands out for an app ("BEGIN RSA PRIVATE KEY")."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


@pytest.fixture(scope="session")
def app_key() -> tuple[str, str]:
    """(private PKCS#1 PEM, public PEM) of an RS256 app key, made once per session."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private, public


@pytest.fixture(scope="session")
def fake_app_key() -> tuple[str, str]:
    """(private PEM, public PEM) of an RS256 app key, made once per session:
    `fake_github.set_app(APP_ID, public)` and give the bot `private`."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private, public


@pytest.fixture
def memory_store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def memory_github(memory_store: MemoryStore) -> MemoryGitHub:
    memory_store.add_installation(42, "octo-org")
    setup_repo(memory_store, installation_id=42)
    return memory_store.gh


@pytest.fixture
def handlers(memory_store: MemoryStore) -> Handlers:
    """Every handler over `memory_store` (`handlers.store`): `await handlers.send(event, payload)`
    dispatches as the service does and runs the follow-up work."""
    return Handlers(memory_store)


@pytest.fixture
async def fake_github(request: pytest.FixtureRequest) -> AsyncIterator[FakeGitHub]:
    fake = FakeGitHub()
    await fake.start()
    try:
        yield fake
    finally:
        await fake.stop()
    allowed = fake.schema_errors_allowed or request.node.get_closest_marker("fake_github_schema_errors_ok")
    if fake.schema_errors and not allowed:
        shown = "\n  ".join(fake.schema_errors[:20])
        pytest.fail(
            f"{len(fake.schema_errors)} exchange(s) with the fake GitHub do not match GitHub's "
            f"official schema (rest/operations.json):\n  {shown}\n"
            "Fix the request (or the fake's response); for a deliberately malformed request "
            "call fake.allow_schema_errors().",
            pytrace=False,
        )


@pytest.fixture
async def service(fake_github: Any, aiohttp_client: Any, app_key: tuple[str, str]) -> AsyncIterator[SimpleNamespace]:
    """The real service over the fake GitHub, with a notes repository set up; `send` delivers and waits."""
    fake_github.set_app(APP_ID, app_key[1])
    fake_github.add_installation(42, "octo-org")
    setup_repo(fake_github, installation_id=42)
    settings = service_settings(PUSH_SECRET, app_id=str(APP_ID), api_url=fake_github.url)
    async with aiohttp.ClientSession() as session:
        clients = AppClients(session, app_id=str(APP_ID), private_key=app_key[0], api_url=fake_github.url,
                             write_interval=0, sleep=no_wait, policy=FAST)
        app = make_app(settings, clients=clients, sleep=no_wait, redeliver_on_startup=False)
        client = await aiohttp_client(app)

        async def send(event: str, payload: dict[str, Any]) -> Any:
            answer = await deliver(client, event, payload, secret=PUSH_SECRET)
            await service_of(app).queue.join()
            return answer

        yield SimpleNamespace(fake=fake_github, send=send, service=service_of(app), client=client)
