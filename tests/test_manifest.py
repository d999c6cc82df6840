"""The app manifest: minimal permissions, the right events, and the committed file in sync."""

from __future__ import annotations

import json
from pathlib import Path

from actionbot.setup.manifest import EVENTS, PERMISSIONS, manifest, manifest_json

ROOT = Path(__file__).resolve().parent.parent


def test_committed_manifest_matches_the_code():
    committed = (ROOT / "app-manifest.json").read_text()
    assert committed == manifest_json(), (
        "app-manifest.json is stale: regenerate it with "
        "`python -m actionbot.manifest > app-manifest.json`"
    )


def test_minimal_permissions_and_events():
    m = manifest("https://bot.example.org/webhook")
    assert m["default_permissions"] == {
        "contents": "read",
        "issues": "write",
        "pull_requests": "read",
        "checks": "write",
        "metadata": "read",
    }
    assert m["default_events"] == ["push", "pull_request", "issues", "issue_comment"]
    # delivered to every app without subscribing: listing them is not needed
    assert "installation" not in m["default_events"]
    assert "installation_repositories" not in m["default_events"]
    assert m["default_permissions"] == PERMISSIONS and m["default_events"] == EVENTS


def test_urls_name_and_visibility():
    m = manifest(
        "https://bot.example.org:8443/webhook",
        name="notes-bot",
        public=True,
        redirect_url="http://localhost:4000/callback",
    )
    assert m["hook_attributes"]["url"] == "https://bot.example.org:8443/webhook"
    assert m["url"] == "https://bot.example.org:8443/"
    assert m["redirect_url"] == "http://localhost:4000/callback"
    assert m["name"] == "notes-bot" and m["public"] is True
    assert manifest("https://x.example/webhook")["public"] is False


def test_manifest_is_a_fresh_copy():
    a = manifest("https://x.example/webhook")
    a["default_permissions"]["contents"] = "write"
    a["default_events"].append("installation")
    assert manifest("https://x.example/webhook")["default_permissions"]["contents"] == "read"
    assert json.loads(manifest_json())["default_events"] == EVENTS
