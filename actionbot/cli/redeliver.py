"""`actionbot redeliver [--since HOURS]`: redeliver the app's failed webhook deliveries."""

from __future__ import annotations

import argparse
import asyncio

import aiohttp

from actionbot import logs
from actionbot.github.redeliver import redeliver_failed
from actionbot.service.settings import Settings


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "redeliver",
        help="ask GitHub to redeliver the app's failed deliveries",
        description="For every delivery of the last HOURS that never succeeded, ask GitHub to deliver it again "
        "(once). Needs GITHUB_APP_ID and GITHUB_PRIVATE_KEY (and GITHUB_API_URL for GitHub Enterprise Server).",
    )
    p.add_argument("--since", type=float, default=72, metavar="HOURS", help="how far back to look (default 72: GitHub keeps 3 days)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    settings = Settings.from_env(need_webhook_secret=False)
    logs.register_secret(settings.private_key)
    logs.configure(settings.log_level)
    return asyncio.run(_run(settings, args.since))


async def _run(settings: Settings, since: float) -> int:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as session:
        report = await redeliver_failed(settings.app_clients(session), since_hours=since)
    print(
        f"examined {report.examined} deliveries of the last {since:g} h; "
        f"{report.failed_guids} never succeeded; redelivered {len(report.redelivered)}"
        + (f"; {len(report.errors)} failed:" if report.errors else "")
    )
    for err in report.errors:
        print(f"  {err}")
    return 1 if report.errors else 0
