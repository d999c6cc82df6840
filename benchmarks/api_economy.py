#!/usr/bin/env python3
"""GitHub requests and writes the sync engine spends, next to the minimum possible.

Runs the real reconcile against the fake GitHub (tests/fakegithub, on
loopback) for the example notes, in four scenarios: the first sync, an
unchanged re-run at the same commit, a push editing one item, and a push
adding one item. The minimum: one write per new or changed item, the labels
on the first run, the check run when something changed, zero writes for an
unchanged re-run; the dashboard issue (on by default) adds its own.

    .venv/bin/python benchmarks/api_economy.py [--no-dashboard]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp

from actionbot.sync import Changed, reconcile
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
            await step("first sync", f"{n_items} issues + 3 labels + 1 check run{extra} = {n_items + 4 + (2 if dashboard else 0)}")
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


if __name__ == "__main__":
    main()
