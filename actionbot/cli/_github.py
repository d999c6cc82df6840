"""What the commands that read GitHub with a token share: their flags, checks and read errors."""

from __future__ import annotations

import argparse
import datetime as _dt
import os
import sys
from collections.abc import Mapping
from typing import Any

from gidgethub import BadRequest, GitHubException

from actionbot.core.names import REPO_NAME
from actionbot.engine.apply import LOST, describe_error
from actionbot.github.client import DEFAULT_API_URL

# What a read may raise that the command reports (exit 3) instead of a traceback.
READ_ERRORS = (GitHubException, *LOST)
_HINTS = {401: "the token is invalid or expired", 404: "repository {repo} not found, or the token can not see it"}


def add_github_arguments(p: Any, *, repo_help: str) -> None:
    """OWNER/NAME, --token and --api-url: what `credentials` and `usage_problem` read."""
    p.add_argument("repo", metavar="OWNER/NAME", help=repo_help)
    p.add_argument("--token", help="GitHub token (default: $GITHUB_TOKEN)")
    p.add_argument("--api-url", help="API root (default: $GITHUB_API_URL or https://api.github.com; GHES: https://HOST/api/v3)")


def credentials(args: argparse.Namespace) -> tuple[str, str]:
    """The token (--token, else $GITHUB_TOKEN) and the API root (--api-url, else $GITHUB_API_URL, else github.com's)."""
    token = args.token or os.environ.get("GITHUB_TOKEN") or ""
    api_url = (args.api_url or os.environ.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
    return token, api_url


def usage_problem(args: argparse.Namespace, token: str, api_url: str, *, token_for: str) -> str | None:
    """What is wrong with the token, OWNER/NAME, --since or the API root, in that order; None when nothing."""
    if not token.strip():
        return f"no token: pass --token or set GITHUB_TOKEN (a token that can {token_for})"
    if not REPO_NAME.fullmatch(args.repo):
        return f"the repository must be OWNER/NAME, not {args.repo!r}"
    if args.since:
        try:
            _dt.date.fromisoformat(args.since)
        except ValueError:
            return f"--since must be a date written YYYY-MM-DD, not {args.since!r}"
    if not api_url.startswith(("http://", "https://")):
        return f"--api-url must be an http(s) URL, not {api_url!r}"
    return None


def read_failed(command: str, repo: str, exc: BaseException, hints: Mapping[int, str] | None = None) -> int:
    """One line on stderr saying why GitHub refused (with a hint by status) or failed a read; exit code 3."""
    if isinstance(exc, BadRequest):
        status = int(exc.status_code)
        hint = {**_HINTS, **(hints or {})}.get(status, "GitHub refused a request").format(repo=repo)
        sys.stderr.write(f"actionbot {command}: {hint} (GitHub answered {status}: {exc})\n")
    else:
        sys.stderr.write(f"actionbot {command}: GitHub could not be read: {describe_error(exc)}; run again later\n")
    return 3
