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
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from actionbot import __version__

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

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # PEM blocks, with real or escaped newlines; a truncated one up to the end.
    (re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?(?:-----END [A-Z0-9 ]+-----|\Z)", re.S), FILTERED),
    # GitHub tokens: personal (ghp_), OAuth (gho_), user-to-server (ghu_),
    # installation (ghs_), refresh (ghr_), fine-grained (github_pat_), old v1.
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9_]{16,}"), FILTERED),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"), FILTERED),
    (re.compile(r"\bv1\.[0-9a-f]{40}\b"), FILTERED),
    # JWTs (the app's RS256 token): base64url header.payload.signature.
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), FILTERED),
    # Header lines and auth schemes written into messages.
    (re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*)[^\r\n,;}]+"), r"\1" + FILTERED),
    (re.compile(r"(?i)\b(bearer|token)(\s+)[A-Za-z0-9._~+/-]{20,}=*"), r"\1\2" + FILTERED),
    # Credentials in URLs: https://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+@"), r"\1" + FILTERED + "@"),
]


def is_sensitive_key(key: object) -> bool:
    if not isinstance(key, str):
        return False
    k = key.lower().replace("-", "_")
    return any(part in k for part in SENSITIVE_KEY_PARTS)


def scrub_text(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with every known secret value and every secret-shaped string replaced."""
    for secret in secrets:
        if secret and len(secret) >= 8:
            text = text.replace(secret, FILTERED)
            escaped = secret.replace("\n", "\\n")  # a PEM as it appears inside a repr()
            if escaped != secret:
                text = text.replace(escaped, FILTERED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


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


def make_before_send(
    secrets: Iterable[str] = (), also: Callable[[str], str] | None = None
) -> Callable[[dict[str, Any], dict[str, Any]], dict[str, Any]]:
    """Sentry's `before_send` hook, closing over the values known to be secret.

    `also`: a further redaction applied to every string, such as
    `actionbot.logs.redact`, which knows the installation tokens minted since
    start-up (values no pattern can guess).
    """
    known = tuple(s for s in secrets if s)

    def before_send(event: dict[str, Any], hint: dict[str, Any]) -> dict[str, Any]:
        clean = scrub(event, known)
        return _map_strings(clean, also) if also is not None else clean

    return before_send


def _map_strings(value: Any, fn: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return fn(value)
    if isinstance(value, dict):
        return {k: _map_strings(v, fn) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(v, fn) for v in value]
    return value


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
    from actionbot.service.logs import redact  # also knows the installation tokens minted so far

    known = [*secrets, dsn]
    before_send = make_before_send(known, also=redact)
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
