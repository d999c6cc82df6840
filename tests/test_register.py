"""`actionbot register`: the manifest flow over real HTTP, files 0600, secrets never shown.

GitHub's side is a tiny aiohttp server that answers the conversions endpoint
the way the REST description says (201 with id, pem, webhook_secret, ...); the
browser's side is driven with real requests to the local register server.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import socket
import stat
import threading
from html.parser import HTMLParser
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web

from actionbot.__main__ import main
from actionbot.service.settings import Settings
from actionbot.setup.register import (
    AppCredentials,
    RegisterError,
    RegisterOptions,
    Registration,
    api_url_for,
    exchange_code,
    new_app_url,
)
from tests.clirun import as_process

SECRET = "whsec-6f1d0c2a9b8e7d6c5b4a39281706f5e4"


class FakeConversions:
    """GitHub's `POST /app-manifests/{code}/conversions`, one valid code, usable once."""

    def __init__(self, pem: str, code: str = "c0de", secret: str | None = SECRET):
        self.pem, self.code, self.secret = pem, code, secret
        self.requests: list[tuple[str, dict]] = []

    async def convert(self, request: web.Request) -> web.Response:
        code = request.match_info["code"]
        self.requests.append((code, dict(request.headers)))
        if "Authorization" in request.headers:
            return web.json_response({"message": "no auth expected"}, status=400)
        if code != self.code:
            return web.json_response({"message": "Not Found"}, status=404)
        self.code = None  # a code works once
        return web.json_response(
            {
                "id": 4242,
                "slug": "actionbot-test",
                "name": "actionbot-test",
                "html_url": "https://github.com/apps/actionbot-test",
                "client_id": "Iv1.0123456789abcdef",
                "client_secret": "client-secret-not-to-be-written",
                "webhook_secret": self.secret,
                "pem": self.pem,
            },
            status=201,
        )


@pytest.fixture
async def fake_api(aiohttp_server, pem):
    fake = FakeConversions(pem)
    app = web.Application()
    app.router.add_post("/app-manifests/{code}/conversions", fake.convert)
    server = await aiohttp_server(app)
    fake.url = str(server.make_url("")).rstrip("/")
    return fake


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.action = ""
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.action = a.get("action", "")
        if tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value", "")


async def begin(reg: Registration) -> tuple[asyncio.Task[tuple[AppCredentials, Path, Path]], str]:
    """Run the registration flow in the background; (its task, the start URL it announced)."""
    ready: asyncio.Future[str] = asyncio.get_running_loop().create_future()
    flow = asyncio.create_task(reg.run(ready.set_result))
    return flow, await asyncio.wait_for(ready, 5)


def read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if line and not line.startswith("#"))
    return {k: v for k, v in pairs}


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask():
    """Prove 0600 comes from the code, not from a careful umask."""
    old = os.umask(0)
    yield
    os.umask(old)


async def test_flow_end_to_end_over_http(fake_api, tmp_path, pem, open_umask, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    options = RegisterOptions(
        webhook_url="https://bot.example.org/webhook",
        org="jupyterhub",
        port=0,
        env_file=tmp_path / ".env",
        api_url=fake_api.url,
    )
    reg = Registration(options)
    flow, start = await begin(reg)
    assert re.fullmatch(r"http://localhost:\d+/", start) and not start.endswith(":0/")

    async with aiohttp.ClientSession() as browser:
        async with browser.get(start) as r:
            assert r.status == 200
            form = _FormReader()
            form.feed(await r.text())
        # the page posts the manifest to the organization's new-app page, with state
        assert form.action.startswith("https://github.com/organizations/jupyterhub/settings/apps/new?state=")
        state = form.action.split("state=", 1)[1]
        assert len(state) >= 24
        sent = json.loads(form.fields["manifest"])
        assert sent["redirect_url"] == start + "callback"
        assert sent["hook_attributes"] == {"url": "https://bot.example.org/webhook", "active": True}
        assert sent["default_permissions"]["issues"] == "write"

        # a callback that is not from this flow is refused and changes nothing
        async with browser.get(start + "callback", params={"code": "c0de", "state": "forged"}) as r:
            assert r.status == 400
        assert fake_api.requests == [] and not flow.done()
        assert not (tmp_path / ".env").exists()

        async with browser.get(start + "callback", params={"code": "c0de", "state": state}) as r:
            assert r.status == 200
            page = await r.text()
        assert "https://github.com/apps/actionbot-test" in page
        assert pem.splitlines()[1] not in page and SECRET not in page

    creds, env_path, key_path = await asyncio.wait_for(flow, 5)
    assert creds.id == 4242 and creds.html_url == "https://github.com/apps/actionbot-test"
    assert [code for code, _ in fake_api.requests] == ["c0de"]

    assert mode(env_path) == 0o600 and mode(key_path) == 0o600
    assert key_path == (tmp_path / "actionbot-private-key.pem").resolve()
    assert key_path.read_text() == pem
    env = read_env(env_path)
    assert env["GITHUB_APP_ID"] == "4242"
    assert env["GITHUB_WEBHOOK_SECRET"] == SECRET
    assert env["GITHUB_PRIVATE_KEY"] == str(key_path)
    assert env["GITHUB_API_URL"] == fake_api.url  # not github.com: the service must use it too
    assert "client-secret-not-to-be-written" not in env_path.read_text()
    # what register wrote is exactly what `actionbot serve` accepts
    settings = Settings.from_env(env)
    assert settings.app_id == "4242" and settings.webhook_secret == SECRET
    assert settings.private_key.strip() == pem.strip()

    # the server is gone once the flow is done
    with pytest.raises(aiohttp.ClientConnectionError):
        async with aiohttp.ClientSession() as s:
            await s.get(start)

    shown = capsys.readouterr()
    for text in (shown.out, shown.err, caplog.text):
        assert SECRET not in text
        assert "PRIVATE KEY" not in text
        assert "code=c0de" not in text  # the one-time code stays out of the access log


async def test_exchange_rejects_used_or_expired_code(fake_api):
    with pytest.raises(RegisterError, match="one hour and only once"):
        await exchange_code(fake_api.url, "expired")
    assert fake_api.requests[0][0] == "expired"
    assert "Authorization" not in fake_api.requests[0][1]


async def test_exchange_unreachable_names_the_fix():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(RegisterError, match="--api-url"):
        await exchange_code(f"http://127.0.0.1:{port}", "c0de")


async def test_failed_exchange_writes_nothing_and_ends_the_flow(fake_api, tmp_path):
    options = RegisterOptions(port=0, env_file=tmp_path / ".env", api_url=fake_api.url)
    reg = Registration(options)
    flow, start = await begin(reg)
    async with (
        aiohttp.ClientSession() as browser,
        browser.get(start + "callback", params={"code": "wrong", "state": reg.state}) as r,
    ):
        assert r.status == 502
        assert "register` again" in await r.text()
    with pytest.raises(RegisterError):
        await asyncio.wait_for(flow, 5)
    assert list(tmp_path.iterdir()) == []


async def test_missing_webhook_secret_is_generated_and_webhook_inactive(aiohttp_server, pem, tmp_path):
    fake = FakeConversions(pem, secret=None)
    app = web.Application()
    app.router.add_post("/app-manifests/{code}/conversions", fake.convert)
    server = await aiohttp_server(app)
    options = RegisterOptions(port=0, env_file=tmp_path / "bot.env", api_url=str(server.make_url("")))
    reg = Registration(options)
    assert reg.app_manifest()["hook_attributes"]["active"] is False
    flow, start = await begin(reg)
    async with (
        aiohttp.ClientSession() as browser,
        browser.get(start + "callback", params={"code": "c0de", "state": reg.state}) as r,
    ):
        assert r.status == 200
    creds, env_path, _ = await asyncio.wait_for(flow, 5)
    assert creds.secret_generated
    assert re.fullmatch(r"[0-9a-f]{64}", read_env(env_path)["GITHUB_WEBHOOK_SECRET"])


async def test_refuses_to_overwrite_existing_credentials(tmp_path):
    """As a process: the command's smoke test."""
    env = tmp_path / ".env"
    env.write_text("GITHUB_APP_ID=1\n")
    code, _, err = await as_process("register", "--port", "0", "--env-file", str(env))
    assert code == 2
    assert str(env) in err and "--env-file" in err
    assert env.read_text() == "GITHUB_APP_ID=1\n"


def test_urls():
    assert new_app_url("https://github.com", None, "s1") == "https://github.com/settings/apps/new?state=s1"
    assert (
        new_app_url("https://ghe.example.org/", "acme", "s 2")
        == "https://ghe.example.org/organizations/acme/settings/apps/new?state=s+2"
    )
    assert api_url_for("https://github.com") == "https://api.github.com"
    assert api_url_for("https://ghe.example.org/") == "https://ghe.example.org/api/v3"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_cli_prints_url_and_next_steps_never_secrets(fake_api, tmp_path, pem, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    port = _free_port()
    env_file = tmp_path / ".env"
    argv = ["register", "--port", str(port), "--env-file", str(env_file), "--api-url", fake_api.url,
            "--webhook-url", "https://bot.example.org/webhook"]
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(main(argv)))
    thread.start()
    start = f"http://localhost:{port}/"
    async with aiohttp.ClientSession() as browser:
        for delay in [0.01 * 2**i for i in range(10)]:  # wait for the CLI's server to listen
            try:
                async with browser.get(start) as r:
                    form = _FormReader()
                    form.feed(await r.text())
                break
            except aiohttp.ClientConnectionError:
                await asyncio.sleep(delay)
        assert form.action.startswith("https://github.com/settings/apps/new?state=")
        state = form.action.split("state=", 1)[1]
        async with browser.get(start + "callback", params={"code": "c0de", "state": state}) as r:
            assert r.status == 200
    await asyncio.to_thread(thread.join, 10)
    assert codes == [0]
    shown = capsys.readouterr()
    assert f"Open {start}" in shown.out
    assert "https://github.com/apps/actionbot-test" in shown.out
    assert "installations/new" in shown.out and str(env_file.resolve()) in shown.out
    for text in (shown.out, shown.err, caplog.text):
        assert SECRET not in text
        assert "PRIVATE KEY" not in text and pem.splitlines()[1] not in text
        assert "client-secret-not-to-be-written" not in text
    assert mode(env_file) == 0o600


async def test_against_the_fake_github(fake_github, tmp_path, pem, open_umask):
    """The same flow against the project's fake GitHub, whose answers are checked against GitHub's schema."""
    fake_github.manifest_codes["f4ke-code"] = {"pem": pem, "webhook_secret": SECRET, "id": 777}
    options = RegisterOptions(
        webhook_url="https://bot.example.org/webhook", port=0, env_file=tmp_path / ".env", api_url=fake_github.url
    )
    reg = Registration(options)
    flow, start = await begin(reg)
    async with (
        aiohttp.ClientSession() as browser,
        browser.get(start + "callback", params={"code": "f4ke-code", "state": reg.state}) as r,
    ):
        assert r.status == 200
    creds, env_path, key_path = await asyncio.wait_for(flow, 5)
    assert creds.id == 777 and creds.html_url.endswith(f"/apps/{creds.slug}")
    assert "f4ke-code" not in fake_github.manifest_codes
    assert mode(env_path) == 0o600 and mode(key_path) == 0o600
    settings = Settings.from_env(read_env(env_path))
    assert settings.app_id == "777" and settings.webhook_secret == SECRET
