"""The service's configuration: environment variables, read once and validated.

Every problem is found in one pass and reported together, each line naming the
variable and the fix, so an operator fixes a Heroku config in one round trip
instead of one restart per mistake. Secrets are kept out of `repr()` so that a
settings object can be logged or shown in a traceback without leaking them.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import aiohttp
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_private_key

from actionbot.core.commands import DEFAULT_HANDLE
from actionbot.github.app import AppClients
from actionbot.github.client import DEFAULT_API_URL
from actionbot.notes.model import InputError


class SettingsError(InputError):
    """One or more environment variables are missing or malformed."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("environment", "\n  " + "\n  ".join(problems))


@dataclass(frozen=True)
class Settings:
    app_id: str
    private_key: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    port: int = 8080
    host: str = "0.0.0.0"
    api_url: str = DEFAULT_API_URL
    log_level: str = "INFO"
    write_interval: float = 1.0
    grace_seconds: float = 25.0
    handle: str = DEFAULT_HANDLE
    resync_hours: float = 6.0  # full resync every N hours (and at start-up); 0 turns it off
    resync_pause: float = 1.0  # seconds between two repositories of a resync
    redis_url: str = field(default="", repr=False)  # Redis mode when set: queue, de-duplication, schedule shared
    worker: bool = True  # with redis_url, `serve` also runs a worker (ACTIONBOT_WORKER=0: web only)
    job_timeout: float = 600.0  # Redis mode: a job running longer is cancelled and run again; a dead worker's job waits this long
    job_grace: float = 10.0  # ... plus this: how long past its timeout a job stays its worker's
    # Bearer token for the full status page and metrics (unset: anyone sees counts only).
    status_token: str = field(default="", repr=False)
    # One-process mode: where accepted deliveries are recorded until done (unset: in memory only).
    state_dir: str = ""

    @property
    def key_fingerprint(self) -> str:
        """GitHub's way of naming a key (App settings page): SHA-256 of the public key."""
        return key_fingerprint(self.private_key)

    def app_clients(self, session: aiohttp.ClientSession, metrics: Any = None) -> AppClients:
        """The process's GitHub clients: these credentials, API root and pacing."""
        return AppClients(
            session, app_id=self.app_id, private_key=self.private_key, api_url=self.api_url,
            write_interval=self.write_interval, metrics=metrics,
        )

    def with_overrides(self, **changes: Any) -> Settings:
        """Command-line flags win over the environment; None means 'not given'."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, *, need_webhook_secret: bool = True) -> Settings:
        """Read and validate; raise SettingsError naming every bad variable.

        `need_webhook_secret=False` is for app-level commands (`redeliver`) that
        receive no deliveries. Each group reader adds its problems to one list,
        in the order the variables are listed here, so all are reported at once.
        """
        env = os.environ if env is None else env
        problems: list[str] = []
        values: dict[str, Any] = {
            **_credentials(env, problems, need_webhook_secret),
            **_server(env, problems),
            **_pacing(env, problems),
            **_redis(env, problems),
            **_identity(env, problems),
        }
        if problems:
            raise SettingsError(problems)
        return cls(**values)


def _get(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip()


def _credentials(env: Mapping[str, str], problems: list[str], need_webhook_secret: bool) -> dict[str, Any]:
    """The App's id, private key and webhook secret."""
    app_id = _get(env, "GITHUB_APP_ID")
    if not app_id:
        problems.append("GITHUB_APP_ID is missing or empty: set it to your GitHub App's numeric App ID")
    elif not app_id.isdigit():
        problems.append(f"GITHUB_APP_ID must be the numeric App ID (the App's settings page), not {app_id!r}")

    private_key = ""
    raw_key = env.get("GITHUB_PRIVATE_KEY", "")
    if not raw_key.strip():
        problems.append(
            "GITHUB_PRIVATE_KEY is missing or empty: set it to the App's private key (PEM text) or a path to the .pem file"
        )
    else:
        try:
            private_key = load_private_key(raw_key)
        except ValueError as exc:
            problems.append(f"GITHUB_PRIVATE_KEY {exc}")

    secret = env.get("GITHUB_WEBHOOK_SECRET", "")
    if not secret.strip() and need_webhook_secret:
        problems.append(
            "GITHUB_WEBHOOK_SECRET is missing or empty: set it to the webhook secret of your GitHub App"
            " (actionbot never accepts unsigned deliveries)"
        )
    return {"app_id": app_id, "private_key": private_key, "webhook_secret": secret}


def _server(env: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    """Where the service listens, which GitHub it talks to, and how much it logs."""
    port = _number(_get(env, "PORT") or "8080", "PORT", int, problems, lo=1, hi=65535)
    host = _get(env, "HOST") or "0.0.0.0"

    api_url = (_get(env, "GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
    if not re.match(r"^https?://[^/\s]+", api_url):
        problems.append(
            f"GITHUB_API_URL must be an http(s) URL such as {DEFAULT_API_URL} or https://HOST/api/v3, not {api_url!r}"
        )

    log_level = (_get(env, "LOG_LEVEL") or "INFO").upper()
    if log_level not in logging.getLevelNamesMapping():
        problems.append(f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL, not {log_level!r}")
    return {"port": int(port), "host": host, "api_url": api_url, "log_level": log_level}


# (field, variable, default): seconds or hours, none negative.
_PACING = (
    ("write_interval", "ACTIONBOT_WRITE_INTERVAL", "1"),
    ("grace_seconds", "ACTIONBOT_GRACE_SECONDS", "25"),
    ("resync_hours", "ACTIONBOT_RESYNC_HOURS", "6"),
    ("resync_pause", "ACTIONBOT_RESYNC_PAUSE", "1"),
)


def _pacing(env: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    """How fast it writes, how long it drains on shutdown, how often it resyncs."""
    return {
        name: float(_number(_get(env, var) or default, var, float, problems, lo=0))
        for name, var, default in _PACING
    }


def _redis(env: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    """Where queued work survives: Redis mode (the URL, whether `serve` also runs a worker, the job
    timeout and grace) or, in one process, the state directory that records accepted deliveries."""
    redis_url = _get(env, "REDIS_URL")
    if redis_url and not redis_url.startswith(("redis://", "rediss://", "unix://")):
        problems.append("REDIS_URL must be a redis://, rediss:// or unix:// URL (Heroku Redis sets it)")
    worker = _get(env, "ACTIONBOT_WORKER") or "1"
    if worker not in ("0", "1"):
        problems.append(f"ACTIONBOT_WORKER must be 1 (serve also runs a worker) or 0 (web only), not {worker!r}")
    job_timeout = _number(_get(env, "ACTIONBOT_JOB_TIMEOUT") or "600", "ACTIONBOT_JOB_TIMEOUT", float, problems, lo=1)
    job_grace = _number(_get(env, "ACTIONBOT_JOB_GRACE") or "10", "ACTIONBOT_JOB_GRACE", float, problems, lo=0)
    return {
        "redis_url": redis_url, "worker": worker == "1", "job_timeout": float(job_timeout), "job_grace": float(job_grace),
        "state_dir": _get(env, "ACTIONBOT_STATE_DIR"),
    }


def _identity(env: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    """The handle commands are addressed to, and the status page's token."""
    handle = (_get(env, "ACTIONBOT_HANDLE") or DEFAULT_HANDLE).lstrip("@")
    if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\[bot\])?", handle):
        problems.append(f"ACTIONBOT_HANDLE must be a GitHub login such as 'actionbot', not {handle!r}")

    status_token = _get(env, "ACTIONBOT_STATUS_TOKEN")
    if status_token and len(status_token) < 16:
        problems.append(
            "ACTIONBOT_STATUS_TOKEN must be at least 16 characters (e.g. `openssl rand -hex 20`), or unset"
        )
    return {"handle": handle, "status_token": status_token}


def _number(raw: str, name: str, kind: type, problems: list[str], lo: float | None = None, hi: float | None = None) -> float:
    try:
        value = kind(raw)
    except ValueError:
        problems.append(f"{name} must be a {'whole ' if kind is int else ''}number, not {raw!r}")
        return 0
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        bounds = f">= {lo}" if hi is None else f"between {lo} and {hi}"
        problems.append(f"{name} must be {bounds}, not {raw!r}")
        return 0
    return value


def load_private_key(raw: str) -> str:
    """The PEM text, from the variable itself or from the file it names.

    Heroku users often paste the key with literal '\\n' sequences; those are
    turned back into newlines. The key is parsed so that a truncated or wrong
    file fails at start-up, not at the first delivery an hour later.
    """
    text = raw.strip()
    if "-----BEGIN" not in text:
        path = Path(text).expanduser()
        if not path.is_file():
            raise ValueError("is neither PEM text (-----BEGIN ...) nor the path of an existing file")
        try:
            text = path.read_text().strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"names {str(path)!r}, which cannot be read ({type(exc).__name__})") from None
    text = text.replace("\\n", "\n").strip()
    try:
        key = load_pem_private_key(text.encode(), password=None)
    except (ValueError, TypeError):
        raise ValueError("is not a valid unencrypted PEM private key: download a new one from the App's settings") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("must be an RSA key (GitHub Apps sign their JWT with RS256)")
    return text + "\n"


def key_fingerprint(pem: str) -> str:
    """`SHA256:<base64>` of the DER public key, as GitHub shows it next to the key."""
    key = load_pem_private_key(pem.encode(), password=None)
    der = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return "SHA256:" + base64.b64encode(hashlib.sha256(der).digest()).decode()
