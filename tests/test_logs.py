"""logfmt lines with secrets removed."""

from __future__ import annotations

import io
import logging

import pytest

from actionbot import logs


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
        (1_700_000_000.999, "2023-11-14T22:13:20.999Z"),
        (1_700_000_001.0, "2023-11-14T22:13:21.000Z"),
        (1_600_000_000.5, "2020-09-13T12:26:40.500Z"),
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


def test_the_plain_line_is_the_one_logging_formatter_would_write():
    f = logs.RedactingFormatter()
    for args in [("d-1",), None]:
        record = logging.LogRecord("actionbot.x", logging.WARNING, "p", 1, "delivery %s" if args else "plain", args, None)
        ours = f.format(record)
        assert ours == logs.redact(logging.Formatter.format(f, record))
        assert record.message == ("delivery d-1" if args else "plain") and ours.startswith(record.asctime)


def test_the_handler_writes_each_line_to_its_stream(stream):
    logging.getLogger("actionbot.test").info("one %s", logs.kv(a=1))
    logging.getLogger("actionbot.test").info("two")
    assert [line.split(" ", 1)[1] for line in stream.getvalue().splitlines()] == [
        "level=INFO logger=actionbot.test one a=1",
        "level=INFO logger=actionbot.test two",
    ]
