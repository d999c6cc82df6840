"""`actionbot agenda OWNER/NAME`: the review list for the next meeting, from the issues alone.

Prints the open action items grouped by owner (needs owner last), each as a
task-list line a note-taker can paste into the notes' review section, then
the items closed since the last meeting and who closed them. OWNER/NAME is the
repository holding the notes (its `.github/actionbot.yml` names the tracking
repository and the labels); no notes are read. Exit 0 on success; 2 for a
usage problem; 1 for an invalid configuration; 3 when GitHub refused or failed
a read.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as _dt
import json
import sys
from typing import Any

import aiohttp
from gidgethub import BadRequest, GitHubException

from actionbot.cli._github import REPO_NAME, credentials
from actionbot.core import agenda
from actionbot.core.config import ConfigError
from actionbot.engine.agenda import review_list
from actionbot.engine.apply import LOST, describe_error
from actionbot.engine.items import read_config
from actionbot.github.client import GitHubClient, track_usage
from actionbot.logs import register_secret


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "agenda",
        help="print the review list for the next meeting: open action items by owner, what closed since",
        description=(
            "Print the open action items of OWNER/NAME grouped by owner, as task-list lines to paste into "
            "the next meeting's notes, then the items closed since the last meeting. Reads issues only."
        ),
    )
    p.add_argument("repo", metavar="OWNER/NAME", help="the repository holding the notes (its configuration names the tracking repository)")
    p.add_argument("--token", help="GitHub token (default: $GITHUB_TOKEN)")
    p.add_argument("--api-url", help="API root (default: $GITHUB_API_URL or https://api.github.com; GHES: https://HOST/api/v3)")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="list items closed after this date (default: the newest meeting's date)")
    p.set_defaults(run=run)


def _usage(message: str) -> int:
    sys.stderr.write(f"actionbot agenda: {message}\n")
    return 2


def run(args: argparse.Namespace) -> int:
    token, api_url = credentials(args)
    if not token.strip():
        return _usage("no token: pass --token or set GITHUB_TOKEN (a token that can read the repository's issues)")
    if not REPO_NAME.fullmatch(args.repo):
        return _usage(f"the repository must be OWNER/NAME, not {args.repo!r}")
    if args.since:
        try:
            _dt.date.fromisoformat(args.since)
        except ValueError:
            return _usage(f"--since must be a date written YYYY-MM-DD, not {args.since!r}")
    if not api_url.startswith(("http://", "https://")):
        return _usage(f"--api-url must be an http(s) URL, not {api_url!r}")
    register_secret(token)
    return asyncio.run(_main(args, token, api_url))


async def _main(args: argparse.Namespace, token: str, api_url: str) -> int:
    usage = track_usage()
    async with aiohttp.ClientSession() as session:
        gh = GitHubClient.from_token(session, token, api_url)
        try:
            config = await read_config(gh, args.repo)
            tracking = config.tracking_repo or args.repo
            result = await review_list(gh, tracking, config, since=args.since)
        except ConfigError as exc:
            sys.stderr.write(f"actionbot agenda: {exc}\n")
            return 1
        except BadRequest as exc:
            status = int(exc.status_code)
            hint = {401: "the token is invalid or expired", 404: f"repository {args.repo} not found, or the token can not see it"}
            sys.stderr.write(f"actionbot agenda: {hint.get(status, 'GitHub refused a request')} (GitHub answered {status}: {exc})\n")
            return 3
        except (GitHubException, *LOST) as exc:
            sys.stderr.write(f"actionbot agenda: GitHub could not be read: {describe_error(exc)}; run again later\n")
            return 3
    if args.format == "json":
        data = agenda.to_json(result)
        data["requests"] = usage.requests
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(agenda.markdown(result))
    return 0
