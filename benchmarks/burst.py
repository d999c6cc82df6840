#!/usr/bin/env python3
"""A burst of signed push deliveries: one embedded process, then two replicas with Redis.

    .venv/bin/python benchmarks/burst.py                       # 3,000 pushes over 30 repositories
    .venv/bin/python benchmarks/burst.py --pushes 600 --repos 12   # a quicker look

What it does, all on loopback: the project's fake GitHub (tests/fakegithub,
schema validation off) runs in this process with one installation and M
repositories, each seeded with notes of our own (a team meeting dated today,
four action items) and N/M further commits, as a meeting's notes grow: one
in ten adds an action item, the others a line of discussion. Then
every commit's `push` delivery, signed as GitHub signs them, is sent with 32
in flight, repositories interleaved (the load after an outage or a mass
redelivery), to:

1. one `actionbot serve` process (no Redis: the embedded queue);
2. two `actionbot serve` processes with `REDIS_URL` (each also running a
   worker), deliveries alternating between them; redis-server is Debian's,
   started here on a free port in a temporary folder.

Printed per mode: deliveries refused (503), reconciles per repository (mean
and max: a reconcile reads the configuration at its commit once), GitHub
requests per delivery, seconds from the first delivery until the last item
is an issue, the peak RSS of the service processes (VmHWM), and whether every
repository has each item's issue exactly once. Targets: 0 refused, at most 3
reconciles per repository, at most 1 GitHub request per delivery on average,
every issue exactly once. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp

from actionbot.core.render import parse_marker
from tests.deliveries import deliver, push_payload
from tests.fakegithub import FakeGitHub

APP_ID = 777
SECRET = "burst-secret"
OWNER = "burst-org"
CONFIG = "people:\n  Carol: carol\n  Min: minrk\n"
ITEM_EVERY = 10  # one commit in ten adds an action item; the others add discussion (as notes grow in a meeting)
SEED_ITEMS = [
    "Write the release notes for 2.0 (Carol)",
    "Book the room for the spring sprint (Min)",
    "Send the survey to the user list (Carol)",
    "Review the governance draft (Min)",
]


@dataclass
class Result:
    mode: str
    deliveries: int
    refused: int
    other_errors: int
    reconciles: list[int]
    requests: int
    seconds: float
    peak_rss_mib: list[float]
    exactly_once: bool
    missing: int

    def lines(self) -> list[str]:
        mean = sum(self.reconciles) / max(1, len(self.reconciles))
        return [
            f"{self.mode}",
            f"  deliveries refused (503)      {self.refused} of {self.deliveries} (other errors {self.other_errors})   target 0",
            f"  reconciles per repository     mean {mean:.1f}, max {max(self.reconciles, default=0)}   target <= 3",
            f"  GitHub requests per delivery  {self.requests / max(1, self.deliveries):.2f} ({self.requests} requests)   target <= 1",
            f"  until the last item is issue  {self.seconds:.1f} s",
            f"  peak RSS (VmHWM) per process  {', '.join(f'{r:.0f} MiB' for r in self.peak_rss_mib)}",
            f"  every issue exactly once      {'yes' if self.exactly_once else 'NO'} ({self.missing} items missing)",
        ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_key(tmp: Path) -> tuple[str, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    (tmp / "app.pem").write_bytes(pem)
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return str(tmp / "app.pem"), public.decode()


def notes(day: str, discussion: list[str], items: list[str]) -> str:
    return (f"# Team meeting, {day}\n\n## Discussion\n\n" + "\n".join(discussion)
            + "\n\n## Next actions\n\n" + "".join(f"- {i}\n" for i in items))


def seed(fake: FakeGitHub, repos: int, pushes: int) -> tuple[list[tuple[str, dict[str, Any]]], dict[str, set[str]]]:
    """Repositories with notes and new commits; the push deliveries, interleaved; each repository's items."""
    today = datetime.now(UTC).date().isoformat()
    notes_path = f"docs/meetings/{today}-team-meeting.md"
    per_repo = pushes // repos
    chains: list[list[dict[str, Any]]] = []
    expected: dict[str, set[str]] = {}
    for r in range(repos):
        name = f"{OWNER}/notes-{r:02d}"
        items = list(SEED_ITEMS)
        discussion = ["- We looked at the numbers of the last release."]
        fake.add_repo(name, {"README.md": "notes\n", ".github/actionbot.yml": CONFIG, notes_path: notes(today, discussion, items)},
                      installation_id=42)
        for login in ("carol", "minrk"):
            fake.add_assignable(name, login)
        chain = []
        for k in range(per_repo):
            before = fake.repo(name).head().sha
            if k % ITEM_EVERY == ITEM_EVERY - 1:
                items.append(f"Follow up on topic {k} of repository {r} (Carol)")
            else:
                discussion.append(f"- Point {k}: the notes taker adds what was said.")
            fake.commit(name, {notes_path: notes(today, discussion, items)}, message=f"notes: {k}")
            chain.append(push_payload(fake, name, before=before, after=fake.repo(name).head().sha))
        chains.append(chain)
        expected[name] = {i.rsplit(" (", 1)[0] for i in items}
    interleaved = [("push", chain[k]) for k in range(per_repo) for chain in chains]
    return interleaved, expected


def vm_hwm_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def issues_by_repo(fake: FakeGitHub, expected: dict[str, set[str]]) -> tuple[int, bool]:
    """Items still without an issue, and whether no item has two."""
    missing, once = 0, True
    for name, titles in expected.items():
        counts = Counter(i["title"] for i in fake.issues(name) if parse_marker(i.get("body")) is not None)
        missing += len([t for t in titles if counts[t] == 0])
        once = once and all(n <= 1 for n in counts.values())
    return missing, once


def start_services(env: dict[str, str], ports: list[int], logs: Path) -> list[subprocess.Popen[bytes]]:
    """`actionbot serve` on each port, its log in a file beside the others."""
    procs = []
    for i, port in enumerate(ports):
        with open(f"{logs}-{i}.log", "wb") as log:
            procs.append(subprocess.Popen([sys.executable, "-m", "actionbot", "serve"], env={**env, "PORT": str(port)},
                                          stdout=subprocess.DEVNULL, stderr=log))
    return procs


async def run_mode(mode: str, fake: FakeGitHub, env: dict[str, str], replicas: int, deliveries: list[tuple[str, dict[str, Any]]],
                   expected: dict[str, set[str]], tmp: Path) -> Result:
    ports = [free_port() for _ in range(replicas)]
    procs = start_services(env, ports, tmp / mode)
    urls = [f"http://127.0.0.1:{p}" for p in ports]
    try:
        async with aiohttp.ClientSession() as session:
            for url in urls:
                for _ in range(300):
                    try:
                        async with session.get(url + "/healthz") as r:
                            if r.status == 200:
                                break
                    except aiohttp.ClientError:
                        await asyncio.sleep(0.05)
            fake.reset_log()
            start = time.monotonic()
            statuses: Counter[int] = Counter()
            gate = asyncio.Semaphore(32)

            async def send(i: int, event: str, payload: dict[str, Any]) -> None:
                async with gate:
                    answer = await deliver((session, urls[i % len(urls)]), event, payload, secret=SECRET)
                    statuses[answer.status] += 1

            await asyncio.gather(*(send(i, e, p) for i, (e, p) in enumerate(deliveries)))
            deadline = time.monotonic() + 900
            while time.monotonic() < deadline:
                if not issues_by_repo(fake, expected)[0]:
                    break
                await asyncio.sleep(0.2)
            seconds = time.monotonic() - start
            await asyncio.sleep(1)  # work still queued behind the last item (a last coalesced run) is counted too
        missing, once = issues_by_repo(fake, expected)
        reconciles = Counter(r.path.split("/")[3] for r in fake.requests
                             if r.method == "GET" and r.path.endswith("/contents/.github/actionbot.yml"))
        rss = [vm_hwm_mib(p.pid) for p in procs]
        return Result(mode, len(deliveries), statuses[503], sum(n for s, n in statuses.items() if s not in (202, 503)),
                      [reconciles.get(name.split("/")[1], 0) for name in expected], len(fake.requests), seconds, rss, once, missing)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()


def start_redis(tmp: Path) -> tuple[subprocess.Popen[bytes], str] | None:
    binary = shutil.which("redis-server") or ("/usr/bin/redis-server" if os.access("/usr/bin/redis-server", os.X_OK) else None)
    if binary is None:
        return None
    port = free_port()
    proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(tmp), "--save", "", "--appendonly", "no"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.02)
    proc.kill()
    return None


async def main(pushes: int, repos: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="actionbot-burst-"))
    key_path, public = make_key(tmp)
    results = []
    for mode, replicas in (("one embedded process", 1), ("two replicas with Redis", 2)):
        fake = FakeGitHub(validate=False)
        url = await fake.start()
        fake.set_app(APP_ID, public)
        fake.add_installation(42, OWNER)
        deliveries, expected = seed(fake, repos, pushes)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "ACTIONBOT_", "REDIS_"))}
        env.update(GITHUB_APP_ID=str(APP_ID), GITHUB_PRIVATE_KEY=key_path, GITHUB_WEBHOOK_SECRET=SECRET, GITHUB_API_URL=url,
                   ACTIONBOT_WRITE_INTERVAL="0", ACTIONBOT_RESYNC_HOURS="0", HOST="127.0.0.1", LOG_LEVEL="WARNING")
        redis = None
        if replicas > 1:
            redis = start_redis(tmp)
            if redis is None:
                print("redis-server not found (apt-get install redis-server): the Redis mode is skipped")
                await fake.stop()
                break
            env["REDIS_URL"] = redis[1]
        try:
            print(f"{mode}: {len(deliveries)} pushes over {repos} repositories ...", flush=True)
            results.append(await run_mode(mode.split()[0], fake, env, replicas, deliveries, expected, tmp))
            results[-1].mode = mode
        finally:
            if redis is not None:
                redis[0].terminate()
                redis[0].wait()
            await fake.stop()
    for r in results:
        print("\n".join(r.lines()))
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pushes", type=int, default=3000, help="push deliveries in all (default 3000)")
    parser.add_argument("--repos", type=int, default=30, help="repositories they go to (default 30)")
    args = parser.parse_args()
    asyncio.run(main(args.pushes, args.repos))
