"""The GitHub App manifest: the app's minimal permissions and events, in one place.

`actionbot register` posts it to GitHub's manifest flow and `app-manifest.json`
at the repository root is generated from it (`python -m actionbot.setup.manifest
URL > app-manifest.json`; a test keeps the two in agreement), so the
permissions an operator grants are exactly the ones the code asks for.

`installation` and `installation_repositories` are not listed in
`default_events`: GitHub delivers them to every app and one cannot subscribe
to them ("All GitHub Apps receive this event by default. You cannot manually
subscribe to this event.", GitHub's webhook events reference).
"""

from __future__ import annotations

import json
import sys
from typing import Any
from urllib.parse import urlsplit

#: What the app may do. Each permission is the least that a feature needs.
PERMISSIONS: dict[str, str] = {
    "contents": "read",  # read notes files and .github/actionbot.yml
    "issues": "write",  # open, update, label and comment on item issues
    "pull_requests": "read",  # preview checks on notes PRs; state of referenced PRs
    "checks": "write",  # the check run on each notes commit and PR
    "metadata": "read",  # mandatory for every app
}

#: The events the app subscribes to (installation events come without asking).
EVENTS: list[str] = ["push", "pull_request", "issues", "issue_comment"]

PLACEHOLDER_WEBHOOK_URL = "https://actionbot.example.com/webhook"
#: Where `actionbot register` listens by default for GitHub's redirect.
DEFAULT_REDIRECT_URL = "http://localhost:3000/callback"


def manifest(
    webhook_url: str,
    *,
    name: str = "actionbot",
    public: bool = False,
    redirect_url: str = DEFAULT_REDIRECT_URL,
    active: bool = True,
) -> dict[str, Any]:
    """The manifest GitHub's app-registration flow accepts.

    `redirect_url` is where GitHub sends the browser back with the code
    (`actionbot register` passes its own localhost callback). The homepage
    `url` is the service's own root, whose `GET /` is the operator's status
    page, so the manifest names no site the operator does not run.
    `active=False` registers the webhook switched off, for when the service's
    address is not known yet (set it on the app's settings page later).
    """
    parts = urlsplit(webhook_url)
    return {
        "name": name,
        "url": f"{parts.scheme}://{parts.netloc}/",
        "hook_attributes": {"url": webhook_url, "active": active},
        "redirect_url": redirect_url,
        "public": public,
        "default_permissions": dict(PERMISSIONS),
        "default_events": list(EVENTS),
    }


def manifest_json(webhook_url: str = PLACEHOLDER_WEBHOOK_URL) -> str:
    """The text of `app-manifest.json`: stable key order, trailing newline."""
    return json.dumps(manifest(webhook_url), indent=2) + "\n"


if __name__ == "__main__":  # pragma: no cover - regenerates the committed file
    sys.stdout.write(manifest_json(*sys.argv[1:2]))
