#!/usr/bin/env python3
"""GitHub requests and writes the sync engine spends, next to the minimum possible.

Runs the real reconcile against the fake GitHub (tests/fakegithub, on
loopback) for the example notes, in four scenarios: the first sync, an
unchanged re-run at the same commit, a push editing one item, and a push
adding one item. The minimum: one write per new or changed item, the labels
on the first run, the check run when something changed, zero writes for an
unchanged re-run; the dashboard issue (on by default) adds its own. No run
writes anything to coordinate with other runs: one reconcile of a repository
at a time is the queue's job (in process, or in Redis across processes), not
GitHub's.

Then references: a referenced PR merges and its `pull_request`
delivery reaches the references handler (requests per affected item; the
minimum is the notice and one edit for the body's state and the `refs closed`
label), and a periodic reference check (`check_references`, what the resync
and `@actionbot sync` run for repositories without the app) with nothing
changed, whose every read must be a 304: zero requests counted against the
rate limit.

Then the review list (`actionbot agenda`, `@actionbot agenda`, meeting
issues) for a repository with 200 open action items and 10 closed since the
last meeting: the requests a first build costs, and a second build with the
same client, whose reads must all be answered 304 (not counted against the
rate limit).

    .venv/bin/python benchmarks/api_economy.py [--no-dashboard]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp
from gidgethub.sansio import Event

from actionbot.core.config import DEFAULT_CONFIG
from actionbot.core.render import BEGIN, END, Marker, marker_comment
from actionbot.engine.agenda import review_list
from actionbot.engine.items import check_references
from actionbot.engine.read import Changed
from actionbot.engine.reconcile import reconcile
from actionbot.service.context import Context
from actionbot.service.handlers.references import router as references_router
from tests.deliveries import payload_for
from tests.fakegithub import FakeGitHub
from tests.syncenv import CONFIG, EXAMPLE, NOTES, REPO, client, setup_repo

EDITED = EXAMPLE.replace("February outage", "February 2025 outage")
ADDED = EDITED.replace(
    "- Please add yourself to the team list\n",
    "- Please add yourself to the team list\n- Book the room for the sprint (Carol)\n",
)


async def measure(dashboard: bool) -> list[tuple[str, int, int, Counter[str], str]]:
    fake = FakeGitHub(validate=False)
    await fake.start()
    rows = []
    try:
        setup_repo(fake, config=CONFIG + ("" if dashboard else "dashboard: false\n"))
        async with aiohttp.ClientSession() as session:
            gh = client(session, fake)

            async def step(name: str, minimum: str, **kw: object) -> None:
                fake.reset_log()
                report = await reconcile(gh, REPO, **kw)  # type: ignore[arg-type]
                assert report.ok, report.to_dict()
                kinds: Counter[str] = Counter(f"{w.method} {_kind(w.path)}" for w in fake.writes())
                rows.append((name, len(fake.requests), len(fake.writes()), kinds, minimum))

            n_items = 9
            extra = " + dashboard label and issue 2" if dashboard else ""
            await step("first sync", f"{n_items} issues + 3 labels + 1 check run{extra} + sub-issues 2 = {n_items + 6 + (2 if dashboard else 0)}")
            await step("unchanged re-run", "0")
            before = fake.repo(REPO).head().sha
            after = fake.commit(REPO, {NOTES: EDITED})
            extra = " + dashboard 1 (title shown there)" if dashboard else ""
            await step("one-item edit", f"1 PATCH + 1 check run{extra} = {2 + (1 if dashboard else 0)}",
                       ref=after, before=before, changed=[Changed(NOTES)])
            before, after = after, fake.commit(REPO, {NOTES: ADDED})
            extra = " + dashboard 1" if dashboard else ""
            await step("one-item addition", f"1 POST + 1 check run{extra} = {2 + (1 if dashboard else 0)}",
                       ref=after, before=before, changed=[Changed(NOTES)])
    finally:
        await fake.stop()
    return rows


UPSTREAM = "upstream/lib"  # the referenced repository: PR #1 merges, issue #2 stays open
REFERENCING = (  # items that will reference the PR (the first one also the open issue)
    "- Write the incident report for the February outage (Carol)",
    "- Update the contributing guide (Sylvain?)",
    "- Ask Dana about the conference budget (Dana)",
)


async def measure_references(dashboard: bool) -> list[tuple[str, int, int, int, Counter[str], str]]:
    """(scenario, requests, counted against the rate limit, writes, writes by kind, minimum)."""
    fake = FakeGitHub(validate=False)
    await fake.start()
    rows = []
    try:
        notes = EXAMPLE.replace("jupyterhub/binderhub#379", f"{UPSTREAM}#2")
        for line in REFERENCING:
            notes = notes.replace(line, f"{line}, after {UPSTREAM}#1")
        setup_repo(fake, config=CONFIG + ("" if dashboard else "dashboard: false\n"), notes=notes)
        fake.add_repo(UPSTREAM)
        pr = fake.add_pull(UPSTREAM, "Fix the build")
        fake.add_issue(UPSTREAM, "Upstream bug")
        async with aiohttp.ClientSession() as session:
            gh = client(session, fake)
            report = await reconcile(gh, REPO)
            assert report.ok, report.to_dict()
            await check_references(gh, REPO)  # a first poll, as the service's resync would have done

            def row(name: str, minimum: str) -> None:
                kinds: Counter[str] = Counter(f"{w.method} {_kind(w.path)}" for w in fake.writes())
                counted = sum(1 for r in fake.requests if r.counted)
                rows.append((name, len(fake.requests), counted, len(fake.writes()), kinds, minimum))

            n = len(REFERENCING)
            fake.merge_pull(UPSTREAM, pr.number, by="dev")
            data = payload_for(fake, "pull_request", "closed", UPSTREAM, number=pr.number, sender="dev")
            fake.reset_log()
            await references_router.dispatch(Event(data, event="pull_request", delivery_id="bench"), gh, Context())
            row(f"PR merged, {n} items", f"{n} notices + {n} edits = {2 * n}")
            name, requests, counted, writes, kinds, minimum = rows[-1]
            rows[-1] = (f"{name} (per item: {requests / n:.1f} req)", requests, counted, writes, kinds, minimum)

            await check_references(gh, REPO)  # the merge changed the items: this poll reads them anew
            fake.reset_log()
            posted = await check_references(gh, REPO)
            assert posted == 0
            row("periodic ref check, unchanged", "0 writes, 0 counted")
    finally:
        await fake.stop()
    return rows


OPEN_ITEMS, CLOSED_ITEMS = 200, 10


async def measure_review_list() -> list[tuple[str, int, int, float, int]]:
    """(build, requests, counted against the rate limit, seconds, lines) for the review list."""
    fake = FakeGitHub(validate=False)
    await fake.start()
    rows = []
    try:
        setup_repo(fake)
        for n in range(OPEN_ITEMS + CLOSED_ITEMS):
            meeting = f"2025-{1 + n % 6:02d}-{1 + n % 28:02d}"
            marker = Marker(key=f"k{n}", repo=REPO, path=NOTES, meeting=meeting, meetings=(meeting,), owners=(f"user{n % 7}",))
            body = f"{BEGIN}\n{marker_comment(marker)}\n> Item {n}\n\n**References:**\n- {REPO}#{n + 1} (open)\n{END}"
            issue = fake.add_issue(REPO, f"Action item number {n}", body, labels=["action item"])
            if n >= OPEN_ITEMS:
                fake.set_state(issue, "closed", "completed", actor=f"user{n % 7}")
        async with aiohttp.ClientSession() as session:
            gh = client(session, fake)
            for name in ("first build", "second build (same client)"):
                fake.reset_log()
                started = time.perf_counter()
                listing = await review_list(gh, REPO, DEFAULT_CONFIG, since="2025-01-01")
                elapsed = time.perf_counter() - started
                counted = sum(1 for r in fake.requests if r.counted)
                lines = listing.open_count + len(listing.closed)
                rows.append((name, len(fake.requests), counted, elapsed, lines))
    finally:
        await fake.stop()
    return rows


def _kind(path: str) -> str:
    parts = path.split("/")[4:]
    return "/".join("N" if p.isdigit() else p for p in parts) or path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-dashboard", action="store_true", help="configuration with `dashboard: false`")
    args = parser.parse_args()
    rows = asyncio.run(measure(dashboard=not args.no_dashboard))
    print(f"example notes: {NOTES} (9 issues), dashboard {'off' if args.no_dashboard else 'on'}")
    print(f"{'scenario':<20}{'requests':>9}{'writes':>8}   minimum writes      writes by kind")
    for name, requests, writes, kinds, minimum in rows:
        detail = ", ".join(f"{k} x{v}" for k, v in sorted(kinds.items()))
        print(f"{name:<20}{requests:>9}{writes:>8}   {minimum:<19} {detail}")
    refs = asyncio.run(measure_references(dashboard=not args.no_dashboard))
    print()
    print(f"references: {UPSTREAM}#1 (a PR) is referenced by {len(REFERENCING)} items; {UPSTREAM}#2 stays open")
    print(f"{'scenario':<42}{'requests':>9}{'counted':>8}{'writes':>8}   minimum writes      writes by kind")
    for name, requests, counted, writes, kinds, minimum in refs:
        detail = ", ".join(f"{k} x{v}" for k, v in sorted(kinds.items()))
        print(f"{name:<42}{requests:>9}{counted:>8}{writes:>8}   {minimum:<19} {detail}")
    review = asyncio.run(measure_review_list())
    print()
    print(f"review list: {OPEN_ITEMS} open action items, {CLOSED_ITEMS} closed since the last meeting")
    print(f"{'build':<30}{'requests':>9}{'counted':>8}{'seconds':>9}{'items':>7}")
    for name, requests, counted, seconds, lines in review:
        print(f"{name:<30}{requests:>9}{counted:>8}{seconds:>9.3f}{lines:>7}")


if __name__ == "__main__":
    main()
