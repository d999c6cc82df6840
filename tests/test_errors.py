"""Secret scrubbing for error reports (pure, no sentry-sdk needed) and the opt-in wiring."""

from __future__ import annotations

import json
import logging
import sys
import types

import pytest

from actionbot.service import errors
from actionbot.service.errors import FILTERED, make_before_send, scrub, scrub_text

INSTALLATION_TOKEN = "ghs_16C7e42F292c6912E7710c838347Ae178B4a"
PAT = "ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
FINE_GRAINED = "github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV"
JWT = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJpYXQiOjE3MDAwMDAwMDAsImlzcyI6IjQyNDIifQ.c2lnbmF0dXJlLWJ5dGVz_-x"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx1y2\nabcDEF+/==\n-----END RSA PRIVATE KEY-----"
WEBHOOK_SECRET = "It's a Secret to Everybody"


@pytest.mark.parametrize("secret", [INSTALLATION_TOKEN, PAT, FINE_GRAINED, JWT, "gho_" + "x" * 36, "v1." + "a" * 40])
def test_token_shapes_are_removed_from_text(secret):
    out = scrub_text(f"POST /repos/o/r/issues failed with {secret} (retrying)")
    assert secret not in out and FILTERED in out
    assert out.startswith("POST /repos/o/r/issues failed with ") and out.endswith(" (retrying)")


def test_pem_blocks_real_escaped_and_truncated():
    assert scrub_text(f"key={PEM} end") == f"key={FILTERED} end"
    escaped = PEM.replace("\n", "\\n")
    assert scrub_text(f"Settings(private_key='{escaped}')") == f"Settings(private_key='{FILTERED}')"
    assert "MIIEow" not in scrub_text("-----BEGIN PRIVATE KEY-----\nMIIEowIBAAKCAQEA")


def test_authorization_headers_and_url_credentials():
    assert scrub_text("Authorization: token abc") == f"Authorization: {FILTERED}"
    assert scrub_text("headers {'authorization': 'Bearer x.y.z', 'accept': 'json'}") == (
        f"headers {{'authorization': {FILTERED}, 'accept': 'json'}}"
    )
    assert scrub_text("git clone https://x-access-token:s3cr3tvalue@github.com/o/r") == (
        f"git clone https://x-access-token:{FILTERED}@github.com/o/r"
    )
    # ordinary words after "token" stay readable
    assert scrub_text("token expired, minting a new one") == "token expired, minting a new one"


def test_known_secret_values_are_removed_wherever_they_appear():
    text = f"hmac key was {WEBHOOK_SECRET!r}"
    assert WEBHOOK_SECRET not in scrub_text(text, [WEBHOOK_SECRET])
    assert scrub_text("short abc", ["abc"]) == "short abc"  # too short to replace blindly


def sentry_like_event() -> dict:
    """The parts of a Sentry event where secrets end up: request, frame locals, breadcrumbs, extra."""
    return {
        "message": f"delivery failed for token {INSTALLATION_TOKEN}",
        "request": {
            "url": "https://bot.example.org/webhook",
            "headers": {
                "Authorization": f"token {INSTALLATION_TOKEN}",
                "X-Hub-Signature-256": "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17",
                "X-GitHub-Event": "push",
            },
            "data": json.dumps({"pusher": "willingc", "note": f"see {PAT}"}),
        },
        "exception": {
            "values": [
                {
                    "type": "BadRequest",
                    "value": f"401 for JWT {JWT}",
                    "stacktrace": {
                        "frames": [
                            {
                                "function": "mint",
                                "vars": {
                                    "jwt": JWT,
                                    "private_key": PEM,
                                    "settings": f"Settings(app_id='4242', key={PEM!r})",
                                    "installation_id": 1234,
                                    "webhook_secret": WEBHOOK_SECRET,
                                    "secret_len": 26,
                                    "repo": "jupyterhub/team-compass",
                                },
                            }
                        ]
                    },
                }
            ]
        },
        "breadcrumbs": {"values": [{"message": f"GET /app -> 200 with {FINE_GRAINED}", "category": "log"}]},
        "extra": {"headers_list": [["Authorization", "Bearer zzz"], ["Accept", "application/json"]]},
        "tags": {"event": "push"},
    }


def test_before_send_scrubs_a_whole_event_and_keeps_the_useful_parts():
    event = sentry_like_event()
    original = json.dumps(event)
    out = make_before_send([WEBHOOK_SECRET])(event, {})
    text = json.dumps(out)
    for secret in (INSTALLATION_TOKEN, PAT, FINE_GRAINED, JWT, "MIIEow", WEBHOOK_SECRET, "zzz", "757107ea"):
        assert secret not in text, secret
    assert json.dumps(event) == original  # the input is not mutated
    frame = out["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]
    assert frame["repo"] == "jupyterhub/team-compass" and frame["installation_id"] == 1234
    assert frame["secret_len"] == FILTERED  # by key name: over-scrubbing is the safe side
    assert out["request"]["headers"]["X-GitHub-Event"] == "push"
    assert out["extra"]["headers_list"][1] == ["Accept", "application/json"]
    assert out["tags"] == {"event": "push"}
    assert "willingc" in out["request"]["data"]


def test_scrub_leaves_non_strings_alone():
    assert scrub({"n": 3, "ok": True, "none": None, "token": None}) == {"n": 3, "ok": True, "none": None, "token": None}
    assert scrub(b"ghs_" + b"a" * 36) == FILTERED


def test_no_dsn_means_no_sentry(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentry_sdk", None)  # would fail if imported
    assert errors.init_sentry(env={}) is False
    assert errors.init_sentry(env={"SENTRY_DSN": "  "}) is False


def test_dsn_without_the_extra_warns_and_carries_on(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "sentry_sdk", None)  # import sentry_sdk -> ImportError
    with caplog.at_level(logging.WARNING):
        assert errors.init_sentry(env={"SENTRY_DSN": "https://k@sentry.example.org/1"}) is False
    assert "actionbot[sentry]" in caplog.text
    assert "https://k@" not in caplog.text


def test_dsn_with_sentry_installed_wires_aiohttp_and_the_scrubber(monkeypatch):
    calls = {}
    sdk = types.ModuleType("sentry_sdk")
    sdk.init = lambda **kw: calls.update(kw)
    integrations = types.ModuleType("sentry_sdk.integrations")
    aiohttp_mod = types.ModuleType("sentry_sdk.integrations.aiohttp")

    class AioHttpIntegration:
        pass

    aiohttp_mod.AioHttpIntegration = AioHttpIntegration
    monkeypatch.setitem(sys.modules, "sentry_sdk", sdk)
    monkeypatch.setitem(sys.modules, "sentry_sdk.integrations", integrations)
    monkeypatch.setitem(sys.modules, "sentry_sdk.integrations.aiohttp", aiohttp_mod)
    dsn = "https://publickey@sentry.example.org/7"
    assert errors.init_sentry([WEBHOOK_SECRET], env={"SENTRY_DSN": dsn, "SENTRY_ENVIRONMENT": "staging"}) is True
    assert calls["dsn"] == dsn and calls["environment"] == "staging"
    assert calls["send_default_pii"] is False
    assert [type(i) for i in calls["integrations"]] == [AioHttpIntegration]
    scrubbed = calls["before_send"]({"message": f"secret {WEBHOOK_SECRET} token {INSTALLATION_TOKEN}"}, {})
    assert WEBHOOK_SECRET not in scrubbed["message"] and INSTALLATION_TOKEN not in scrubbed["message"]
    crumb = calls["before_breadcrumb"]({"message": f"Authorization: Bearer {JWT}"}, {})
    assert JWT not in crumb["message"]


def test_tokens_registered_with_the_log_redactor_are_scrubbed_too(monkeypatch):
    from actionbot import logs

    calls = {}
    sdk = types.ModuleType("sentry_sdk")
    sdk.init = lambda **kw: calls.update(kw)
    aiohttp_mod = types.ModuleType("sentry_sdk.integrations.aiohttp")
    aiohttp_mod.AioHttpIntegration = object
    monkeypatch.setitem(sys.modules, "sentry_sdk", sdk)
    monkeypatch.setitem(sys.modules, "sentry_sdk.integrations", types.ModuleType("sentry_sdk.integrations"))
    monkeypatch.setitem(sys.modules, "sentry_sdk.integrations.aiohttp", aiohttp_mod)
    assert errors.init_sentry(env={"SENTRY_DSN": "https://k@sentry.example.org/1"})
    odd = "Zq9-not-a-known-token-shape-77"
    logs.register_secret(odd, rotating=True)
    assert odd not in json.dumps(calls["before_send"]({"message": f"used {odd}"}, {}))
