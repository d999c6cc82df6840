"""What the commands that call GitHub with a token share: the token, the API root and OWNER/NAME."""

from __future__ import annotations

import argparse
import os
import re

from actionbot.github.client import DEFAULT_API_URL

REPO_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")


def credentials(args: argparse.Namespace) -> tuple[str, str]:
    """The token (--token, else $GITHUB_TOKEN) and the API root (--api-url, else $GITHUB_API_URL, else github.com's)."""
    token = args.token or os.environ.get("GITHUB_TOKEN") or ""
    api_url = (args.api_url or os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
    return token, api_url
