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
import json
import sys
from typing import Any

import aiohttp

from actionbot.cli._github import READ_ERRORS, add_github_arguments, credentials, read_failed, usage_problem
from actionbot.core import agenda
from actionbot.core.config import ConfigError
from actionbot.engine.agenda import review_list
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
    add_github_arguments(p, repo_help="the repository holding the notes (its configuration names the tracking repository)")
    p.add_argument("--format", choices=("markdown", "json"), default="markdown")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="list items closed after this date (default: the newest meeting's date)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    token, api_url = credentials(args)
    problem = usage_problem(args, token, api_url, token_for="read the repository's issues")
    if problem:
        sys.stderr.write(f"actionbot agenda: {problem}\n")
        return 2
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
        except READ_ERRORS as exc:
            return read_failed("agenda", args.repo, exc)
    if args.format == "json":
        data = agenda.to_json(result)
        data["requests"] = usage.requests
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(agenda.markdown(result))
    return 0
