"""One line per event, `key=value` pairs (logfmt), with secrets removed last.

Heroku, journald and most log services index logfmt without configuration.
Redaction happens in the formatter, on the final text, so that nothing (our
messages, a library's DEBUG line, a traceback that prints a header) can slip a
secret through: the known values (webhook secret, private key, tokens as they
are minted) are replaced, and so is anything shaped like a GitHub token, a JWT
or a PEM block.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import time
import traceback
from collections import deque
from threading import get_ident
from typing import Any

_known: set[str] = set()  # configured secrets: kept for the life of the process
_rotating: deque[str] = deque(maxlen=256)  # tokens as they are minted (they expire)
_values: tuple[str, ...] = ()  # both, as one snapshot: redact() reads it from any thread, lock-free
REDACTED = "[redacted]"
# Each pattern runs only when its cheap literal is in the line: the common line
# (no secret-shaped text at all) costs a few substring tests, no regex scan.
_PEM = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)", re.S)
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+")
# GitHub tokens (ghs_ = installation), also the stateless ghs_APPID_JWT form
_GH_TOKEN = re.compile(r"\bgh[pousr]_[A-Za-z0-9_.\-]{16,}")
_AUTH = re.compile(r"(?i)\b((?:token|bearer)\s+)[A-Za-z0-9_.\-]{20,}")  # "token X" / "bearer X" of any shape


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
            # it would keep _PEM from recognising (and removing) another key's block.
            if len(line.strip()) >= 16 and not line.strip().startswith("-----"):
                _known.add(line.strip())
    _values = (*_known, *_rotating)


def redact(text: str) -> str:
    for secret in _values:
        if secret in text:
            text = text.replace(secret, REDACTED)
    if "-----BEGIN" in text:
        text = _PEM.sub(REDACTED, text)
    if "eyJ" in text:
        text = _JWT.sub(REDACTED, text)
    if "gh" in text and "_" in text:
        text = _GH_TOKEN.sub(REDACTED, text)
    lower = text.lower()
    if "token" in lower or "bearer" in lower:
        text = _AUTH.sub(r"\1" + REDACTED, text)
    return text


_NEEDS_QUOTES = re.compile('[ "=\n\t]').search


def _value(v: Any) -> str:
    s = v if type(v) is str else "" if v is None else str(v)
    if s == "" or _NEEDS_QUOTES(s) is not None:
        return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
    return s


logfmt_value = _value  # one value as kv() writes it, for callers that build a hot line's fields directly


def kv(**fields: Any) -> str:
    """`a=1 b="two words"`: the structured part of a line (None values left out)."""
    return " ".join([f"{k}={_value(v)}" for k, v in fields.items() if v is not None])


_START = getattr(logging, "_startTime", time.time())  # what LogRecord.relativeCreated counts from


def _task_name() -> str | None:
    """What LogRecord puts in `taskName` (Python 3.12+): the current asyncio task's name."""
    if not getattr(logging, "logAsyncioTasks", False):
        return None
    asyncio = sys.modules.get("asyncio")
    try:
        return asyncio.current_task().get_name() if asyncio is not None else None
    except Exception:
        return None


class LineEmitter:
    """`logger.log(level, msg, arg)` for one hot call site, at a fraction of the cost.

    The service logs one line per delivery. `Logger.log` walks the stack for the
    caller (`findCaller`) and builds a `LogRecord` attribute by attribute, about
    half of the line's cost; this fills a record from a per-level template (the
    call site, the process, the thread: the same every time) and stamps the time,
    then hands it to `logger.handle`, so levels, filters, handlers, the redacting
    formatter, pytest's caplog and Sentry's integration see an ordinary record.
    """

    def __init__(self, logger: logging.Logger, *, pathname: str, lineno: int, func: str) -> None:
        self.logger = logger
        self._site = (pathname, lineno, func)
        self._templates: dict[int, dict[str, Any]] = {}
        self._task_names = False

    def _template(self, level: int) -> dict[str, Any]:
        pathname, lineno, func = self._site
        rec = logging.LogRecord(self.logger.name, level, pathname, lineno, "", None, None, func)
        template = dict(rec.__dict__)
        self._templates[level] = template
        self._task_names = "taskName" in template  # Python 3.12+: the asyncio task, per record
        return template

    def __call__(self, level: int, msg: str, arg: Any) -> None:
        logger = self.logger
        if not logger.isEnabledFor(level):
            return
        template = self._templates.get(level) or self._template(level)
        record = logging.LogRecord.__new__(logging.LogRecord)
        d = record.__dict__
        d.update(template)
        ct = time.time()
        d["msg"] = msg
        d["args"] = (arg,)
        d["created"] = ct
        d["msecs"] = int((ct - int(ct)) * 1000) + 0.0
        d["relativeCreated"] = (ct - _START) * 1000
        if self._task_names:
            d["taskName"] = _task_name()
        logger.handle(record)


class RedactingFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s level=%(levelname)s logger=%(name)s %(message)s")
        self.converter = time.gmtime
        # The whole second last formatted and its text, as one tuple (one atomic swap):
        # a busy service logs many lines a second, and strftime once a second is enough.
        self._second: tuple[int, str] = (-1, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        second, text = self._second
        if int(record.created) != second:
            second = int(record.created)
            text = time.strftime("%Y-%m-%dT%H:%M:%S", self.converter(second))
            self._second = (second, text)
        return f"{text}.{int(record.msecs):03d}Z"

    def usesTime(self) -> bool:
        return True

    def formatMessage(self, record: logging.LogRecord) -> str:
        # The format string above, without %-formatting over the record's whole __dict__.
        return f"{record.asctime} level={record.levelname} logger={record.name} {record.message}"

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.exc_text or record.stack_info:
            return redact(super().format(record))
        # logging.Formatter.format without a traceback or stack to append (every
        # delivery's line): the same attributes set, the same text, fewer calls.
        record.message = message = record.getMessage()
        record.asctime = asctime = self.formatTime(record)
        return redact(f"{asctime} level={record.levelname} logger={record.name} {message}")


class TurnBufferedHandler(logging.StreamHandler):
    """A stream handler that writes the lines of one event-loop turn in one write.

    The service logs one line per delivery, and one `write` system call per line
    cost more CPU than the line itself: lines logged while an event loop runs
    are kept and written together by a callback that runs once in the loop's
    next turn. Nothing waits longer than that: a WARNING or worse record, a record
    logged where no loop runs (start-up, shutdown, another thread), `flush()`
    and `close()` (logging's exit hook calls both) write everything kept so far
    and the record at once, in order. Lines are formatted (and redacted) when
    logged, exactly as `logging.StreamHandler` would; only the write is deferred.
    """

    def __init__(self, stream: Any = None) -> None:
        super().__init__(stream)
        self._lines: list[str] = []
        self._scheduled: asyncio.AbstractEventLoop | None = None  # the loop that will write _lines
        self._thread = 0  # the thread that loop runs in

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + self.terminator
            if record.levelno < logging.WARNING:
                scheduled = self._scheduled
                # This thread's loop has the write scheduled already: the common case, decided
                # without asyncio._get_running_loop (which makes a getpid system call).
                if scheduled is not None and self._thread == get_ident() and scheduled.is_running():
                    self._lines.append(line)
                    return
                loop = asyncio._get_running_loop()
                if loop is not None:
                    self._lines.append(line)
                    if scheduled is not loop:  # none yet, or one on a loop that has since gone
                        self._scheduled, self._thread = loop, get_ident()
                        loop.call_soon(self._turn_ended)
                    return
            self._lines.append(line)
            self._write()
        except RecursionError:  # as logging.StreamHandler.emit does
            raise
        except Exception:
            self.handleError(record)

    def _turn_ended(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._scheduled = None
            try:
                self._write()
            except Exception:  # a broken stream: reported as logging.Handler.handleError would
                self._lines.clear()
                if logging.raiseExceptions and sys.stderr:
                    traceback.print_exc(file=sys.stderr)

    def _write(self) -> None:
        """Everything kept so far, in one write (the caller holds the handler's lock)."""
        if self._lines:
            text = "".join(self._lines)
            self._lines.clear()
            self.stream.write(text)
        super().flush()

    def flush(self) -> None:
        with self.lock:  # type: ignore[union-attr]
            self._write()

    def close(self) -> None:
        try:
            self.flush()
        finally:
            super().close()


def configure(level: str = "INFO", stream: Any = None) -> logging.Handler:
    """Root logging for the service: one redacting handler, nothing else."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_actionbot", False):
            root.removeHandler(h)
            h.flush()
    handler = TurnBufferedHandler(stream or sys.stderr)
    handler.setFormatter(RedactingFormatter())
    handler._actionbot = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)
    # The line shows none of these; not looking them up saves a few microseconds on
    # every record (the logging HOWTO's "Optimization"), i.e. on every delivery.
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    return handler
