"""One line per event, `key=value` pairs (logfmt), with secrets removed last.

Heroku, journald and most log services index logfmt without configuration.
Redaction happens in the formatter, on the final text, so that nothing (our
messages, a library's DEBUG line, a traceback that prints a header) can slip a
secret through. The one redactor (`redact`) is shared with the Sentry hook:
known values (the webhook secret, the private key and each of its lines,
tokens as they are minted) are replaced wherever they appear, and so is
anything shaped like a secret: PEM blocks, GitHub tokens, JWTs, `token X` /
`bearer X`, `Authorization:` values and passwords in URLs.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections import deque
from collections.abc import Iterable
from typing import Any, TextIO

REDACTED = "[redacted]"

_known: set[str] = set()  # configured secrets: kept for the life of the process
_rotating: deque[str] = deque(maxlen=256)  # tokens as they are minted (they expire)
_values: tuple[str, ...] = ()  # both, as one snapshot: redact() reads it from any thread, lock-free

# Each pattern with its replacement, `{mark}` standing for the caller's mark.
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # PEM blocks, with real or escaped newlines; a truncated one up to the end.
    (re.compile(r"-----BEGIN [A-Z0-9 ]+-----.*?(?:-----END [A-Z0-9 ]+-----|\Z)", re.S), "{mark}"),
    # GitHub tokens: personal (ghp_), OAuth (gho_), user-to-server (ghu_), installation (ghs_,
    # also the stateless ghs_APPID_JWT form), refresh (ghr_), fine-grained (github_pat_), old v1.
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9_.\-]{16,}"), "{mark}"),
    (re.compile(r"\bgithub_pat_[A-Za-z0-9_]{20,}"), "{mark}"),
    (re.compile(r"\bv1\.[0-9a-f]{40}\b"), "{mark}"),
    # JWTs (the app's RS256 token): base64url header.payload.signature.
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "{mark}"),
    # Header lines and auth schemes written into messages.
    (re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*)[^\r\n,;}]+"), r"\1{mark}"),
    (re.compile(r"(?i)\b(bearer|token)(\s+)[A-Za-z0-9._~+/-]{20,}=*"), r"\1\2{mark}"),
    # Credentials in URLs: https://user:password@host
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+@"), r"\1{mark}@"),
)


def register_secret(value: str | None, *, rotating: bool = False) -> None:
    """Never print this value (and each line of it, for multi-line keys).

    `rotating` values (installation tokens) are kept only while they can be
    valid; those with GitHub's token prefixes are caught by the patterns anyway.
    """
    global _values
    if not value:
        return
    value = value.strip()
    if rotating:
        if not value.startswith(("ghp_", "gho_", "ghu_", "ghs_", "ghr_")):
            _rotating.append(value)
    else:
        if len(value) >= 4:
            _known.add(value)
        for line in value.splitlines():
            # PEM armour ("-----BEGIN RSA PRIVATE KEY-----") is no secret, and replacing
            # it would keep the PEM pattern from recognising (and removing) another key's block.
            if len(line.strip()) >= 16 and not line.strip().startswith("-----"):
                _known.add(line.strip())
    _values = (*_known, *_rotating)


def redact(text: str, secrets: Iterable[str] = (), *, mark: str = REDACTED) -> str:
    """`text` with every registered secret, every one of `secrets` (8+ characters) and every
    secret-shaped string replaced by `mark`."""
    for secret in _values:
        if secret in text:
            text = text.replace(secret, mark)
    for secret in secrets:
        if secret and len(secret) >= 8:
            text = text.replace(secret, mark)
            escaped = secret.replace("\n", "\\n")  # a PEM as it appears inside a repr()
            if escaped != secret:
                text = text.replace(escaped, mark)
    for pattern, template in _PATTERNS:
        text = pattern.sub(template.format(mark=mark), text)
    return text


_NEEDS_QUOTES = re.compile('[ "=\n\t]').search


def _value(v: Any) -> str:
    s = "" if v is None else str(v)
    if s == "" or _NEEDS_QUOTES(s) is not None:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return s


def kv(**fields: Any) -> str:
    """`a=1 b="two words"`: the structured part of a line (None values left out)."""
    return " ".join(f"{k}={_value(v)}" for k, v in fields.items() if v is not None)


class RedactingFormatter(logging.Formatter):
    """`2024-05-01T12:00:00.250Z level=INFO logger=actionbot.x message`, redacted (tracebacks too)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(record.created))}.{int(record.msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(level: str = "INFO", stream: TextIO | None = None) -> logging.Handler:
    """Root logging for the service: one redacting handler, nothing else."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_actionbot", False):
            root.removeHandler(h)
            h.flush()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter())
    handler._actionbot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return handler
