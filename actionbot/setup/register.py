"""`actionbot register`: create the GitHub App from its manifest, from nothing to a `.env`.

GitHub's manifest flow is a three-step handshake: the browser POSTs the
manifest to GitHub, GitHub redirects back with a one-hour `code`, and the code
is exchanged (`POST /app-manifests/{code}/conversions`, no authentication) for
the app's id, private key and webhook secret. This module serves the two pages
of that flow on localhost and writes what the exchange returns where
`actionbot serve` reads it: the key in its own 0600 file, the rest in a 0600
`.env`. Neither the key nor the secret is ever printed or logged; the
one-time code is kept out of the access log too.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import logging
import os
import re
import secrets
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import aiohttp
from aiohttp import web
from gidgethub import BadRequest, GitHubException
from gidgethub.aiohttp import GitHubAPI

from actionbot.notes.model import InputError
from actionbot.setup.manifest import PLACEHOLDER_WEBHOOK_URL, manifest

log = logging.getLogger(__name__)

DEFAULT_GITHUB_URL = "https://github.com"
KEY_FILE_NAME = "actionbot-private-key.pem"


class RegisterError(Exception):
    """The flow could not finish; the message says what to do."""


@dataclass(frozen=True)
class AppCredentials:
    """What GitHub returns for a newly created app. Secrets stay out of repr()."""

    id: int
    slug: str
    html_url: str
    pem: str = field(repr=False)
    webhook_secret: str | None = field(repr=False)
    secret_generated: bool = False  # True when GitHub returned none and we made one


@dataclass(frozen=True)
class RegisterOptions:
    webhook_url: str | None = None
    org: str | None = None
    port: int = 3000
    env_file: Path = Path(".env")
    github_url: str = DEFAULT_GITHUB_URL
    api_url: str | None = None  # derived from github_url when None
    name: str = "actionbot"
    public: bool = False
    host: str = "127.0.0.1"

    @property
    def key_file(self) -> Path:
        return self.env_file.parent / KEY_FILE_NAME

    @property
    def resolved_api_url(self) -> str:
        return (self.api_url or api_url_for(self.github_url)).rstrip("/")


def api_url_for(github_url: str) -> str:
    """github.com's API lives on api.github.com; GitHub Enterprise Server's under /api/v3."""
    parts = urlsplit(github_url.rstrip("/"))
    if parts.netloc.lower() in ("github.com", "www.github.com"):
        return "https://api.github.com"
    return f"{parts.scheme}://{parts.netloc}/api/v3"


def new_app_url(github_url: str, org: str | None, state: str) -> str:
    """Where the manifest form is posted: the user's or the organization's new-app page."""
    base = github_url.rstrip("/")
    path = f"/organizations/{org}/settings/apps/new" if org else "/settings/apps/new"
    return f"{base}{path}?{urlencode({'state': state})}"


def start_page(app_manifest: dict[str, Any], action_url: str) -> str:
    """A page that posts the manifest to GitHub by itself (with a button if scripts are off)."""
    value = html.escape(json.dumps(app_manifest), quote=True)
    action = html.escape(action_url, quote=True)
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Register actionbot on GitHub</title></head>
<body>
<p>Sending the actionbot app manifest to GitHub&hellip;</p>
<form id="manifest-form" method="post" action="{action}">
<input type="hidden" name="manifest" value="{value}">
<button type="submit">Create the GitHub App</button>
</form>
<script>document.getElementById("manifest-form").submit();</script>
</body></html>
"""


def _page(title: str, body: str, status: int = 200) -> web.Response:
    text = (
        f'<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title></head>'
        f"<body><h1>{html.escape(title)}</h1>{body}</body></html>\n"
    )
    return web.Response(status=status, text=text, content_type="text/html")


async def exchange_code(api_url: str, code: str) -> AppCredentials:
    """Trade the manifest flow's temporary code for the new app's credentials."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,200}", code):
        raise RegisterError("GitHub's redirect carried a malformed code: run `actionbot register` again")
    async with aiohttp.ClientSession() as session:
        gh = GitHubAPI(session, "actionbot-register", base_url=api_url.rstrip("/"))
        try:
            data = await gh.post("/app-manifests/{code}/conversions", {"code": code}, data={})
        except BadRequest as exc:
            raise RegisterError(
                f"GitHub refused the code ({exc.status_code}): it is valid for one hour and only once; "
                "run `actionbot register` again"
            ) from None
        except (GitHubException, aiohttp.ClientError) as exc:
            raise RegisterError(
                f"could not reach {api_url} to finish the registration ({type(exc).__name__}): "
                "check --github-url / --api-url and run `actionbot register` again"
            ) from None
    try:
        secret = data.get("webhook_secret")
        return AppCredentials(
            id=int(data["id"]),
            slug=str(data.get("slug") or data.get("name") or ""),
            html_url=str(data.get("html_url") or ""),
            pem=str(data["pem"]),
            webhook_secret=str(secret) if secret else None,
        )
    except (KeyError, TypeError, ValueError, AttributeError):
        raise RegisterError(
            f"{api_url}/app-manifests/.../conversions answered without the app's id and key: "
            "create the app again or download a key from its settings page"
        ) from None


def _create_private(path: Path, text: str) -> None:
    """Create `path` readable by its owner only, from the first byte; never overwrite."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # the umask can only narrow 0o600, but be explicit
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def check_targets(options: RegisterOptions) -> None:
    """Refuse before anything happens on GitHub if the files would clobber existing ones."""
    for path in (options.env_file, options.key_file):
        if path.exists():
            raise InputError(
                str(path),
                "already exists; actionbot register never overwrites credentials: "
                "move it away or pass --env-file with another path",
            )
    if not options.env_file.parent.is_dir():
        raise InputError(str(options.env_file.parent), "is not a directory: create it or choose another --env-file")


def _env_value(value: str) -> str:
    return value if re.fullmatch(r"[A-Za-z0-9_@%+=:,./-]+", value) else shlex.quote(value)


def write_credentials(options: RegisterOptions, creds: AppCredentials) -> tuple[Path, Path]:
    """Write the key file and the `.env`, both 0600; return their paths.

    GITHUB_PRIVATE_KEY holds the key file's absolute path (settings accept a
    PEM or a path), which keeps the `.env` one value per line for `source`,
    `docker --env-file` and systemd alike.
    """
    if creds.webhook_secret is None:
        raise RegisterError("no webhook secret to write")
    key_path = options.key_file.resolve()
    env_path = options.env_file.resolve()
    _create_private(key_path, creds.pem if creds.pem.endswith("\n") else creds.pem + "\n")
    lines = [
        f"# Written by `actionbot register` for the GitHub App {creds.slug} ({creds.html_url}).",
        "# Keep this file private: it holds the app's webhook secret.",
        f"GITHUB_APP_ID={creds.id}",
        f"GITHUB_PRIVATE_KEY={_env_value(str(key_path))}",
        f"GITHUB_WEBHOOK_SECRET={_env_value(creds.webhook_secret)}",
    ]
    if options.resolved_api_url != "https://api.github.com":
        lines.append(f"GITHUB_API_URL={_env_value(options.resolved_api_url)}")
    try:
        _create_private(env_path, "\n".join(lines) + "\n")
    except OSError:
        key_path.unlink(missing_ok=True)
        raise
    return env_path, key_path


Exchange = Callable[[str, str], Awaitable[AppCredentials]]


class Registration:
    """The local web flow: one start page, one callback, one result."""

    def __init__(self, options: RegisterOptions, exchange: Exchange = exchange_code):
        self.options = options
        self.state = secrets.token_urlsafe(24)
        self.exchange = exchange
        self.port = options.port
        self.result: asyncio.Future[tuple[AppCredentials, Path, Path]] | None = None
        self._busy = False

    @property
    def local_url(self) -> str:
        return f"http://localhost:{self.port}/"

    @property
    def redirect_url(self) -> str:
        return f"http://localhost:{self.port}/callback"

    def app_manifest(self) -> dict[str, Any]:
        return manifest(
            self.options.webhook_url or PLACEHOLDER_WEBHOOK_URL,
            name=self.options.name,
            public=self.options.public,
            redirect_url=self.redirect_url,
            active=self.options.webhook_url is not None,
        )

    def make_app(self) -> web.Application:
        routes = web.RouteTableDef()

        @routes.get("/")
        async def start(request: web.Request) -> web.Response:
            action = new_app_url(self.options.github_url, self.options.org, self.state)
            return web.Response(text=start_page(self.app_manifest(), action), content_type="text/html")

        @routes.get("/callback")
        async def callback(request: web.Request) -> web.Response:
            assert self.result is not None
            if self.result.done() or self._busy:
                return _page("Already done", "<p>This registration is finished; you can close this page.</p>", 410)
            state = request.query.get("state", "")
            if not hmac.compare_digest(state.encode(), self.state.encode()):
                log.warning("register: callback with a wrong state ignored (not from this flow)")
                start_again = f'Start again at <a href="/">{html.escape(self.local_url)}</a>.'
                return _page("Wrong state", f"<p>This link is not from this registration. {start_again}</p>", 400)
            code = request.query.get("code", "")
            self._busy = True
            try:
                creds = await self.exchange(self.options.resolved_api_url, code)
                if creds.webhook_secret is None:
                    creds = replace(creds, webhook_secret=secrets.token_hex(32), secret_generated=True)
                env_path, key_path = write_credentials(self.options, creds)
            except (RegisterError, OSError) as exc:
                self.result.set_exception(exc if isinstance(exc, RegisterError) else RegisterError(f"could not write the credentials: {exc}"))
                status = 502 if isinstance(exc, RegisterError) else 500
                return _page("Registration failed", f"<p>{html.escape(str(exc))}</p>", status)
            finally:
                self._busy = False
            self.result.set_result((creds, env_path, key_path))
            link = html.escape(creds.html_url, quote=True)
            return _page(
                "actionbot is registered",
                f'<p>The GitHub App <a href="{link}">{html.escape(creds.slug)}</a> exists. '
                f"Its credentials are in <code>{html.escape(str(env_path))}</code>. "
                "Install it on your repositories from its page, then go back to the terminal.</p>",
            )

        app = web.Application()
        app.add_routes(routes)
        return app

    async def run(self, on_ready: Callable[[str], None]) -> tuple[AppCredentials, Path, Path]:
        """Serve until the callback has written the credentials (or failed)."""
        check_targets(self.options)
        self.result = asyncio.get_running_loop().create_future()
        runner = web.AppRunner(self.make_app(), access_log=None)  # the query holds the code
        await runner.setup()
        try:
            site = web.TCPSite(runner, self.options.host, self.options.port)
            try:
                await site.start()
            except OSError as exc:
                raise RegisterError(
                    f"cannot listen on {self.options.host}:{self.options.port} ({exc.strerror}): pass --port with a free port"
                ) from None
            if self.options.port == 0:  # tests: the OS picked the port
                self.port = runner.addresses[0][1]
            on_ready(self.local_url)
            return await self.result
        finally:
            await runner.cleanup()


def next_steps(options: RegisterOptions, creds: AppCredentials, env_path: Path, key_path: Path) -> str:
    """What the operator reads after a successful registration (no secret in it)."""
    lines = [
        f"Created the GitHub App {creds.slug!r} (id {creds.id}): {creds.html_url}",
        f"Wrote {env_path} (GITHUB_APP_ID, GITHUB_PRIVATE_KEY, GITHUB_WEBHOOK_SECRET) and {key_path}, both mode 0600.",
        "",
        "Next steps:",
        f"  1. Install the app on the repositories that hold your notes: {creds.html_url.rstrip('/')}/installations/new",
        "  2. Run the service with those variables:  set -a; . ./" + env_path.name + "; set +a; actionbot serve",
        "     Heroku: heroku config:set GITHUB_APP_ID=... GITHUB_WEBHOOK_SECRET=... "
        f'GITHUB_PRIVATE_KEY="$(cat {key_path.name})" (values from {env_path.name})',
    ]
    if options.webhook_url is None:
        lines.append(
            "  3. No --webhook-url was given, so the app's webhook is inactive: set its URL "
            "(https://YOUR-HOST/webhook) and tick 'Active' on the app's settings page."
        )
    if creds.secret_generated:
        lines.append(
            f"  GitHub returned no webhook secret: one was generated into {env_path.name}; "
            "paste it as the webhook secret on the app's settings page."
        )
    return "\n".join(lines)
