"""`actionbot sync OWNER/NAME`: the service's reconcile, once, with a token.

This is also how actionbot runs without a server, from a GitHub Actions
workflow (`GITHUB_TOKEN`, `GITHUB_API_URL` are set there). It reads the
configuration and every notes file at REF and reconciles; work over the
per-run write cap is done by further runs within this command. Exit 0 only
when the whole plan was applied (the client's retries and `retry-after` waits
included); 1 when a write still failed or the configuration is invalid; 2 for
a usage problem (no token, bad arguments); 3 when GitHub refused or failed a
read (bad token, unknown repository, outage).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import aiohttp

from actionbot.cli._github import READ_ERRORS, add_github_arguments, credentials, read_failed, usage_problem
from actionbot.engine.reconcile import reconcile
from actionbot.github.client import GitHubClient, track_usage
from actionbot.logs import register_secret

MAX_RUNS = 50  # write-cap follow-ups within one command


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "sync",
        help="reconcile a repository's notes with its issues once, with a token (also the GitHub Actions mode)",
        description=(
            "Read .github/actionbot.yml and every notes file of OWNER/NAME at REF and make the "
            "action-item issues match them. Exit 0 only when the whole plan was applied."
        ),
    )
    add_github_arguments(p, repo_help="the repository holding the notes")
    p.add_argument("--ref", help="branch, tag or commit to read (default: the default branch)")
    p.add_argument("--since", metavar="YYYY-MM-DD", help="ignore meetings dated before this (overrides `since:`)")
    p.add_argument("--write-interval", type=float, default=1.0, metavar="SECONDS",
                   help="seconds between writes (default 1; 0 turns pacing off)")
    p.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    p.add_argument("--no-check", action="store_true", help="do not write the `actionbot` check run")
    p.add_argument("--format", choices=("text", "json"), default="text")
    p.set_defaults(run=run)


def usage_error(message: str) -> int:
    sys.stderr.write(f"actionbot sync: {message}\n")
    return 2


def run(args: argparse.Namespace) -> int:
    token, api_url = credentials(args)
    problem = usage_problem(args, token, api_url, token_for="write issues of the repository")
    if problem:
        return usage_error(problem)
    if args.write_interval < 0:
        return usage_error("--write-interval must be 0 or more seconds")
    register_secret(token)
    return asyncio.run(_main(args, token, api_url))


async def _main(args: argparse.Namespace, token: str, api_url: str) -> int:
    usage = track_usage()
    reports = []
    async with aiohttp.ClientSession() as session:
        gh = GitHubClient.from_token(session, token, api_url, write_interval=args.write_interval)
        try:
            for _ in range(MAX_RUNS):
                report = await reconcile(gh, args.repo, ref=args.ref, since=args.since, dry_run=args.dry_run, check=not args.no_check)
                reports.append(report)
                if args.dry_run or not report.deferred or report.failed or not report.applied:
                    break
        except READ_ERRORS as exc:
            return read_failed("sync", args.repo, exc, {403: "the token may not read this repository (or a rate limit ran out)"})
    last = reports[-1]
    if args.format == "json":
        data = last.to_dict()
        data["runs"] = len(reports)
        data["applied"] = [a for r in reports for a in r.to_dict()["applied"]]
        data["failed"] = [f for r in reports for f in r.to_dict()["failed"]]
        data["requests"], data["writes"] = usage.requests, usage.writes
        json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(render_text(reports, usage))
    if last.config_error is not None:
        p = last.config_error
        sys.stderr.write(f"actionbot sync: {p.path}:{p.line or ''}: {p.message}\n")
        return 1
    failed = [f for r in reports for f in r.failed]
    if failed:
        sys.stderr.write(f"actionbot sync: {len(failed)} write(s) failed; run again to finish (nothing is duplicated)\n")
        return 1
    if last.deferred and not args.dry_run:
        sys.stderr.write(f"actionbot sync: {len(last.deferred)} operation(s) still deferred by the write cap; run again\n")
        return 1
    return 0


def render_text(reports: list[Any], usage: Any) -> str:
    last = reports[-1]
    out = [f"{last.repo} at {(last.sha or '?')[:12]} -> issues in {last.tracking_repo or last.repo}"]
    if last.config_error is not None:
        p = last.config_error
        out.append(f"invalid configuration: {p.path}:{p.line or ''}: {p.message}")
        return "\n".join(out) + "\n"
    if last.skipped:
        out.append(last.skipped)
    out.append(f"notes files read: {len(last.files)}")
    if last.dry_run:
        out.append("dry run: nothing written. The plan:")
        out += [f"  {line}" for line in (last.plan.describe() if last.plan else "nothing to do").split("\n")]
    else:
        for r in reports:
            for a in r.applied:
                where = f" -> #{a.number}" if a.number else ""
                note = f" ({a.note})" if a.note else ""
                out.append(f"  done: {a.op.describe()}{where}{note}")
            for f in r.failed:
                out.append(f"  FAILED: {f.op.describe()}: {f.error}")
        if last.plan and last.plan.unchanged:
            out.append(f"  unchanged: {len(last.plan.unchanged)} issue(s)")
        if not any(r.applied or r.failed for r in reports):
            out.append("  nothing to change")
        out.append(f"check run: {last.check}")
    for p in last.problems:
        out.append(f"warning: {p.path}:{p.line or ''}: {p.message}")
    out.append(f"GitHub requests: {usage.requests} ({usage.writes} writes)")
    return "\n".join(out) + "\n"
