"""One line per event, `key=value` pairs (logfmt), with secrets removed last.

Heroku, journald and most log services index logfmt without configuration.
Redaction happens in the formatter, on the final text, so that nothing (our
messages, a library's DEBUG line, a traceback that prints a header) can slip a
secret through: the known values (webhook secret, private key, tokens as they
are minted) are replaced, and so is anything shaped like a GitHub token, a JWT
or a PEM block.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections import deque
from typing import Any

_known: set[str] = set()  # configured secrets: kept for the life of the process
_rotating: deque[str] = deque(maxlen=256)  # tokens as they are minted (they expire)
REDACTED = "[redacted]"
# (cheap substring that must be present, pattern, replacement): the substring
# test keeps the common line (no secret-shaped text at all) to a few microseconds.
_PATTERNS = [
    (("-----BEGIN",), re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S), REDACTED),
    (("eyJ",), re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+"), REDACTED),  # JWT
    # GitHub tokens (ghs_ = installation), also the stateless ghs_APPID_JWT form
    (("ghp_", "gho_", "ghu_", "ghs_", "ghr_"), re.compile(r"\bgh[pousr]_[A-Za-z0-9_.\-]{16,}"), REDACTED),
]
_AUTH = re.compile(r"(?i)\b((?:token|bearer)\s+)[A-Za-z0-9_.\-]{20,}")  # "token X" / "bearer X" of any shape


def register_secret(value: str | None, *, rotating: bool = False) -> None:
    """Never print this value (and each line of it, for multi-line keys).

    `rotating` values (installation tokens) are kept only while they can be
    valid; those with GitHub's token prefixes are caught by the patterns anyway.
    """
    if not value:
        return
    value = value.strip()
    if rotating:
        if not value.startswith(("ghp_", "gho_", "ghu_", "ghs_", "ghr_")):
            _rotating.append(value)
        return
    if len(value) >= 4:
        _known.add(value)
    for line in value.splitlines():
        if len(line.strip()) >= 16:
            _known.add(line.strip())


def redact(text: str) -> str:
    for secret in (*_known, *_rotating):
        if secret in text:
            text = text.replace(secret, REDACTED)
    for needles, pattern, replacement in _PATTERNS:
        if any(n in text for n in needles):
            text = pattern.sub(replacement, text)
    lower = text.lower()
    if "token" in lower or "bearer" in lower:
        text = _AUTH.sub(r"\1" + REDACTED, text)
    return text


def _value(v: Any) -> str:
    s = "" if v is None else str(v)
    if s == "" or any(c in s for c in ' "=\n\t'):
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return s


def kv(**fields: Any) -> str:
    """`a=1 b="two words"`: the structured part of a line (None values left out)."""
    return " ".join(f"{k}={_value(v)}" for k, v in fields.items() if v is not None)


class RedactingFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s")
        self.converter = time.gmtime

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%S", self.converter(record.created)) + f".{int(record.msecs):03d}Z"

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def configure(level: str = "INFO", stream: Any = None) -> logging.Handler:
    """Root logging for the service: one redacting handler, nothing else."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_actionbot", False):
            root.removeHandler(h)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter())
    handler._actionbot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    return handler
