"""logfmt lines with secrets removed: the cheap paths must not let anything through."""

from __future__ import annotations

import asyncio
import io
import logging
import threading
import time

import pytest

from actionbot.service import logs


@pytest.fixture
def stream():
    s = io.StringIO()
    handler = logs.configure("DEBUG", s)
    yield s
    logging.getLogger().removeHandler(handler)


def test_kv_quotes_what_a_logfmt_parser_would_split_on():
    line = logs.kv(a=1, b="two words", c=None, d="", e='say "hi"', f="x=y", g="l1\nl2", h=0.5)
    assert line == 'a=1 b="two words" d="" e="say \\"hi\\"" f="x=y" g="l1\\nl2" h=0.5'


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: token ghs_abcdefghijklmnop1234567890",
        "auth: Bearer abcdefghijklmnopqrstuvwxyz123456",
        "TOKEN abcdefghijklmnopqrstuvwxyz123456",
        "jwt eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjEyMzQ1Njc4OTB9.c2lnbmF0dXJl",
        "x=ghs_1_eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOjEyMzQ1Njc4OTB9",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
    ],
)
def test_secret_shaped_text_is_redacted(text):
    out = logs.redact(text)
    assert logs.REDACTED in out
    for secret in ("abcdefghijklmnop1234567890", "abcdefghijklmnopqrstuvwxyz123456", "c2lnbmF0dXJl", "MIIEow"):
        assert secret not in out


def test_a_registered_key_does_not_hide_another_keys_block_from_the_pattern():
    logs.register_secret("-----BEGIN RSA PRIVATE KEY-----\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldY\n-----END RSA PRIVATE KEY-----")
    out = logs.redact("key: -----BEGIN RSA PRIVATE KEY-----\nT1RIRVJLRVlCT0RZ\n-----END RSA PRIVATE KEY-----")
    assert "T1RIRVJLRVlCT0RZ" not in out and "QUJDREVGR0hJSktMTU5PUFFSU1RVVldY" not in out


def test_registered_values_are_redacted_in_every_line_whatever_their_shape(stream):
    logs.register_secret("plain-webhook-secret-value")
    logs.register_secret("opaque-rotating-value-0123456789", rotating=True)
    log = logging.getLogger("actionbot.test")
    log.info("delivery %s", logs.kv(secret="plain-webhook-secret-value", other="opaque-rotating-value-0123456789"))
    text = stream.getvalue()
    assert "plain-webhook-secret-value" not in text and "opaque-rotating-value-0123456789" not in text
    assert text.count(logs.REDACTED) == 2


def test_timestamps_are_utc_with_milliseconds_and_follow_the_clock():
    f = logs.RedactingFormatter()
    record = logging.LogRecord("n", logging.INFO, "p", 1, "m", None, None)
    for created, expected in [
        (1_700_000_000.25, "2023-11-14T22:13:20.250Z"),
        (1_700_000_000.999, "2023-11-14T22:13:20.999Z"),  # same second: the cached text
        (1_700_000_001.0, "2023-11-14T22:13:21.000Z"),  # next second: a new one
        (1_600_000_000.5, "2020-09-13T12:26:40.500Z"),  # backwards too
    ]:
        record.created, record.msecs = created, (created - int(created)) * 1000
        assert f.formatTime(record) == expected


def test_a_line_is_time_level_logger_message_then_any_traceback(stream):
    log = logging.getLogger("actionbot.test")
    try:
        raise ValueError("bad value")
    except ValueError:
        log.exception("failed %s", logs.kv(delivery="d-1"))
    first, *rest = stream.getvalue().splitlines()
    stamp, line = first.split(" ", 1)
    assert stamp.endswith("Z") and "T" in stamp
    assert line == "level=ERROR logger=actionbot.test failed delivery=d-1"
    assert rest[0] == "Traceback (most recent call last):" and rest[-1] == "ValueError: bad value"


def test_line_emitter_makes_the_record_logger_log_would(stream, caplog):
    log = logging.getLogger("actionbot.test")
    emit = logs.LineEmitter(log, pathname="/x/server.py", lineno=12, func="_finish")
    caplog.set_level(logging.INFO, logger="actionbot.test")
    logs.register_secret("s3cret-for-tests")
    before = time.time()
    emit(logging.INFO, "delivery %s", logs.kv(delivery="d-1", token_like="s3cret-for-tests"))
    emit(logging.ERROR, "delivery %s", "outcome=failed")
    log.setLevel(logging.ERROR)
    try:
        emit(logging.INFO, "delivery %s", "not shown")  # below the logger's level: nothing at all
    finally:
        log.setLevel(logging.NOTSET)
    ok, failed = [r for r in caplog.records if r.name == "actionbot.test"]
    assert ok.getMessage() == "delivery delivery=d-1 token_like=s3cret-for-tests"
    assert (ok.levelname, ok.levelno, failed.levelname) == ("INFO", logging.INFO, "ERROR")
    assert (ok.pathname, ok.filename, ok.module, ok.lineno, ok.funcName) == ("/x/server.py", "server.py", "server", 12, "_finish")
    assert before <= ok.created <= time.time() and ok.msecs == int((ok.created % 1) * 1000)
    lines = stream.getvalue().splitlines()
    assert [line.split(" ", 1)[1] for line in lines] == [
        f"level=INFO logger=actionbot.test delivery delivery=d-1 token_like={logs.REDACTED}",  # still redacted
        "level=ERROR logger=actionbot.test delivery outcome=failed",
    ]


def test_the_plain_line_is_the_one_logging_formatter_would_write():
    f = logs.RedactingFormatter()
    for args in [("d-1",), None]:
        record = logging.LogRecord("actionbot.x", logging.WARNING, "p", 1, "delivery %s" if args else "plain", args, None)
        ours = f.format(record)
        assert ours == logs.redact(logging.Formatter.format(f, record))
        assert record.message == ("delivery d-1" if args else "plain") and ours.startswith(record.asctime)


class _Writes(io.StringIO):
    """A stream that remembers each write: the handler's point is how many there are."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, s: str) -> int:
        self.writes.append(s)
        return super().write(s)


@pytest.fixture
def writes():
    s = _Writes()
    handler = logs.configure("INFO", s)  # not DEBUG: asyncio's "Using selector" line would come first
    yield s
    logging.getLogger().removeHandler(handler)


def _messages(text: str) -> list[str]:
    return [line.split(" ", 1)[1] for line in text.splitlines()]


async def test_lines_of_one_loop_turn_are_written_together_in_the_next_turn(writes):
    log = logging.getLogger("actionbot.test")
    logs.register_secret("turn-secret-value-123")
    log.info("delivery %s", logs.kv(delivery="d-1"))
    log.info("delivery %s", logs.kv(delivery="d-2", secret="turn-secret-value-123"))
    assert writes.getvalue() == ""  # kept until this turn ends
    await asyncio.sleep(0)
    assert len(writes.writes) == 1  # one write for the turn's lines
    assert _messages(writes.getvalue()) == [
        "level=INFO logger=actionbot.test delivery delivery=d-1",
        f"level=INFO logger=actionbot.test delivery delivery=d-2 secret={logs.REDACTED}",  # one line each, redacted
    ]
    log.info("next turn")
    await asyncio.sleep(0)
    assert len(writes.writes) == 2 and _messages(writes.getvalue())[-1] == "level=INFO logger=actionbot.test next turn"


async def test_a_warning_writes_at_once_after_the_lines_kept_before_it(writes):
    log = logging.getLogger("actionbot.test")
    log.info("first")
    log.warning("second")
    assert _messages(writes.getvalue()) == ["level=INFO logger=actionbot.test first", "level=WARNING logger=actionbot.test second"]
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("third")
    assert writes.getvalue().rstrip().endswith("ValueError: boom")
    await asyncio.sleep(0)
    assert len(_messages(writes.getvalue())) == len(writes.getvalue().splitlines())  # nothing written twice


async def test_flush_and_close_write_what_the_turn_kept(writes):
    log = logging.getLogger("actionbot.test")
    log.info("before shutdown")
    handler = next(h for h in logging.getLogger().handlers if getattr(h, "_actionbot", False))
    handler.flush()  # what serve does once its loop is gone, and logging's exit hook too
    assert _messages(writes.getvalue()) == ["level=INFO logger=actionbot.test before shutdown"]
    log.info("at close")
    handler.close()
    assert _messages(writes.getvalue())[-1] == "level=INFO logger=actionbot.test at close"
    await asyncio.sleep(0)
    assert len(writes.getvalue().splitlines()) == 2


def test_without_a_running_loop_each_line_is_written_at_once(writes):
    logging.getLogger("actionbot.test").info("no loop")
    assert _messages(writes.getvalue()) == ["level=INFO logger=actionbot.test no loop"]


def test_a_loop_closed_before_its_turn_ended_does_not_stop_the_next_loop_s_lines(writes):
    log = logging.getLogger("actionbot.test")
    first = asyncio.new_event_loop()
    first.call_soon(log.info, "in a loop that stops")
    first.call_soon(first.stop)
    first.run_forever()  # the write was scheduled after stop: this loop never runs it
    first.close()
    assert writes.getvalue() == ""

    async def later() -> None:
        log.info("in the next loop")
        await asyncio.sleep(0)

    asyncio.run(later())
    assert _messages(writes.getvalue()) == [
        "level=INFO logger=actionbot.test in a loop that stops",
        "level=INFO logger=actionbot.test in the next loop",
    ]


async def test_a_line_from_another_thread_is_written_at_once_after_the_loop_s_kept_lines(writes):
    log = logging.getLogger("actionbot.test")
    log.info("in the loop")
    worker = threading.Thread(target=log.info, args=("in a thread",))
    worker.start()
    worker.join()  # no await: the loop's turn has not ended
    assert _messages(writes.getvalue()) == [
        "level=INFO logger=actionbot.test in the loop",
        "level=INFO logger=actionbot.test in a thread",
    ]
    log.info("in the loop again")
    await asyncio.sleep(0)
    assert _messages(writes.getvalue())[-1] == "level=INFO logger=actionbot.test in the loop again"
