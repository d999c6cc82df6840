"""Optional error reporting to Sentry, with every secret scrubbed before it leaves.

Sentry is opt-in twice: `SENTRY_DSN` must be set and the `sentry` extra
(`pip install 'actionbot[sentry]'`) installed; otherwise this module does
nothing, so the service never depends on it. An error report carries local
variables, request headers and log breadcrumbs, which is exactly where an
installation token, the app's JWT, the private key or the webhook secret
would sit: `scrub` removes them by key name, by shape and by value. It is a
pure function over plain data, tested without sentry-sdk.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from actionbot import __version__
from actionbot.logs import redact

log = logging.getLogger(__name__)

FILTERED = "[Filtered]"

#: Keys whose values are secret whatever they look like (compared lower-case, '-' as '_').
SENSITIVE_KEY_PARTS = (
    "authorization",
    "token",
    "secret",
    "password",
    "passwd",
    "private_key",
    "privatekey",
    "signature",
    "cookie",
    "jwt",
    "pem",
    "api_key",
    "apikey",
    "dsn",
    "credential",
)

def is_sensitive_key(key: object) -> bool:
    if not isinstance(key, str):
        return False
    k = key.lower().replace("-", "_")
    return any(part in k for part in SENSITIVE_KEY_PARTS)


def scrub_text(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every known secret value and every secret-shaped string replaced (the log redactor's rules)."""
    return redact(text, secrets, mark=FILTERED)


def scrub(value: Any, secrets: Iterable[str] = ()) -> Any:
    """A copy of `value` (dicts, lists, strings: a Sentry event) with secrets removed.

    Mappings lose the values of sensitive keys; header lists of `[name, value]`
    pairs likewise; every string is scrubbed by value and by shape.
    """
    secrets = tuple(s for s in secrets if s)
    return _scrub(value, secrets)


def _scrub(value: Any, secrets: tuple[str, ...]) -> Any:
    if isinstance(value, str):
        return scrub_text(value, secrets)
    if isinstance(value, bytes):
        return scrub_text(value.decode("utf-8", "replace"), secrets)
    if isinstance(value, Mapping):
        return {k: (FILTERED if is_sensitive_key(k) and v not in (None, "") else _scrub(v, secrets)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        if len(value) == 2 and is_sensitive_key(value[0]) and isinstance(value[1], (str, bytes)):
            return [value[0], FILTERED]  # a ("Authorization", "token ...") header pair
        return [_scrub(v, secrets) for v in value]
    return value


def make_before_send(secrets: Iterable[str] = ()) -> Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]:
    """Sentry's `before_send` hook, closing over the values known to be secret (the redactor
    also knows the installation tokens minted since start-up: values no pattern can guess)."""
    known = tuple(s for s in secrets if s)

    def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
        return scrub(event, known)

    return before_send


def init_sentry(secrets: Iterable[str] = (), env: Mapping[str, str] | None = None) -> bool:
    """Start Sentry when SENTRY_DSN is set and sentry-sdk is installed; say why not otherwise.

    `secrets`: values to scrub wherever they appear (the webhook secret, the
    private key). Returns True when reporting is on.
    """
    env = os.environ if env is None else env
    dsn = env.get("SENTRY_DSN", "").strip()
    if not dsn:
        return False
    try:
        import sentry_sdk
        from sentry_sdk.integrations.aiohttp import AioHttpIntegration
    except ImportError:
        log.warning(
            "SENTRY_DSN is set but sentry-sdk is not installed: errors are not reported. "
            "Install it with: pip install 'actionbot[sentry]'"
        )
        return False
    before_send = make_before_send([*secrets, dsn])
    sentry_sdk.init(
        dsn=dsn,
        integrations=[AioHttpIntegration()],
        before_send=before_send,
        before_breadcrumb=before_send,
        send_default_pii=False,
        release=f"actionbot@{__version__}",
        environment=env.get("SENTRY_ENVIRONMENT") or None,
    )
    log.info("error reporting to Sentry is on")
    return True
