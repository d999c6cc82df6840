"""Two `actionbot serve` processes in Redis mode behind a real nginx: any replica can handle any delivery.

With REDIS_URL the replicas share one queue: a delivery id is claimed once
for the whole deployment, and one repository's work runs on one worker at a
time. So two replicas that receive the same push at once (a redelivery racing
the original) and a stream of mixed deliveries spread round-robin by nginx
must leave GitHub exactly as one process would: one issue per action item
(open or closed: no twin is ever made), one notice per closed reference.

Real processes, real HTTP: the fake GitHub runs in this test's event loop on a
loopback port (every subprocess reaches it), redis-server is a real one
(tests/redisserver.py), the replicas are `python -m actionbot serve` with
the variables an operator sets (each also runs a worker), and nginx
(Debian's package; installed here with apt-get when missing and running as
root, skipped with the reason otherwise) runs with its own prefix and config
under the test's temporary directory, `daemon off`.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any

import aiohttp

from tests.deliveries import deliver, payload_for, push_payload
from tests.fakegithub import FakeGitHub
from tests.redisserver import RedisServer, redis_server  # noqa: F401  (fixture)
from tests.syncenv import action_issues, head
from tests.sysserver import find_binary, free_port
from tests.webhooks import OPERATOR, STATUS_TOKEN

APP_ID = 4242
SECRET = "replicas-secret"
REPO = "octo-org/notes"
NOTES = "docs/meetings/2025-03-06-team-meeting.md"


def find_nginx() -> str:
    return find_binary("nginx", "nginx-light", also=("/usr/sbin/nginx", "/usr/local/sbin/nginx"))


def nginx_conf(prefix: Path, port: int, upstreams: list[int]) -> str:
    """A self-contained config: every path under `prefix`, nothing of the system's."""
    servers = "".join(f"    server 127.0.0.1:{p};\n" for p in upstreams)
    return f"""daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 256; }}
http {{
  access_log {prefix}/access.log;
  client_body_temp_path {prefix}/body;
  proxy_temp_path {prefix}/proxy;
  fastcgi_temp_path {prefix}/fastcgi;
  uwsgi_temp_path {prefix}/uwsgi;
  scgi_temp_path {prefix}/scgi;
  client_max_body_size 25m;
  client_body_buffer_size 1m;
  upstream actionbot {{
{servers}  }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://actionbot;
      proxy_buffering off;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }}
  }}
}}
"""


async def wait_ready(session: aiohttp.ClientSession, url: str, proc: Any, what: str) -> None:
    for _ in range(400):
        if proc.returncode is not None:
            raise AssertionError(f"{what} exited with {proc.returncode}")
        try:
            async with session.get(url + "/healthz") as r:
                if r.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.025)
    raise AssertionError(f"{what} not ready at {url}")


async def status(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(url + "/", headers={"Accept": "application/json", **OPERATOR}) as r:
        return await r.json()


async def settle(session: aiohttp.ClientSession, urls: list[str]) -> list[dict[str, Any]]:
    """Until the shared queue is empty and the replicas' workers processed all the replicas accepted."""
    for _ in range(600):
        states = [await status(session, u) for u in urls]
        total = {k: sum(s["deliveries"][k] for s in states) for k in ("accepted", "processed", "failed", "coalesced")}
        if all(s["redis_queue"]["depth"] == 0 for s in states) and total["accepted"] == total["processed"] + total["failed"] + total["coalesced"]:
            return states
        await asyncio.sleep(0.05)
    raise AssertionError(f"replicas did not settle: {states}")


def notices(fake: FakeGitHub, number: int) -> dict[str, int]:
    """Closed-reference notices on an item's issue, counted by reference."""
    counts: dict[str, int] = {}
    for c in fake.comments(REPO, number):
        for ref in re.findall(r"actionbot:ref-closed (\S+#\d+)", c.get("body") or ""):
            counts[ref] = counts.get(ref, 0) + 1
    return counts


async def test_two_replicas_with_redis_behind_nginx_converge(
    fake_github: FakeGitHub, fake_app_key: tuple[str, str], tmp_path: Path, redis_server: RedisServer  # noqa: F811
) -> None:
    nginx = find_nginx()
    fake = fake_github
    fake.set_app(APP_ID, fake_app_key[1])
    fake.add_installation(42, "octo-org")
    fake.add_repo(REPO, {"README.md": "hi\n", ".github/actionbot.yml": "people:\n  Carol: carol\n"}, installation_id=42)
    fake.add_assignable(REPO, "carol")
    fake.add_collaborator(REPO, "carol", "write")
    bug = fake.add_issue(REPO, "The build is red").number
    fix = fake.add_pull(REPO, "Make the build green").number
    other = fake.add_issue(REPO, "Docs are stale").number
    notes = (
        "# Team meeting, 2025-03-06\n\n## Next actions\n\n"
        f"- Follow the red build, see #{bug} and #{fix} (Carol)\n"
        f"- Review the build fix #{fix}\n"
        f"- Rewrite the docs, see #{other} (Carol)\n"
        "- Book the room for the sprint\n"
    )
    before = head(fake, REPO)
    fake.commit(REPO, files={NOTES: notes}, message="notes")
    first_push = push_payload(fake, REPO, before=before, after=head(fake, REPO))

    key = tmp_path / "app.pem"
    key.write_text(fake_app_key[0])
    ports = [free_port(), free_port()]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "ACTIONBOT_"))}
    env.update(GITHUB_APP_ID=str(APP_ID), GITHUB_PRIVATE_KEY=str(key), GITHUB_WEBHOOK_SECRET=SECRET,
               GITHUB_API_URL=fake.url, ACTIONBOT_WRITE_INTERVAL="0", ACTIONBOT_RESYNC_HOURS="0",
               ACTIONBOT_STATUS_TOKEN=STATUS_TOKEN,
               HOST="127.0.0.1", LOG_LEVEL="INFO", REDIS_URL=redis_server.url)
    replicas: list[asyncio.subprocess.Process] = []
    for i, p in enumerate(ports):
        # The child keeps its own descriptor; the parent's copy is closed once the child has started.
        with open(tmp_path / f"replica{i}.log", "wb") as log:  # noqa: ASYNC230  (a local temp file)
            replicas.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "actionbot", "serve", env={**env, "PORT": str(p)},
                stdout=asyncio.subprocess.DEVNULL, stderr=log))
    prefix = tmp_path / "nginx"
    prefix.mkdir()
    proxy_port = free_port()
    (prefix / "nginx.conf").write_text(nginx_conf(prefix, proxy_port, ports))
    proxy = await asyncio.create_subprocess_exec(nginx, "-p", str(prefix), "-c", str(prefix / "nginx.conf"), "-e", str(prefix / "error.log"),
                                                 stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    direct = [f"http://127.0.0.1:{p}" for p in ports]
    proxied = f"http://127.0.0.1:{proxy_port}"
    try:
        async with aiohttp.ClientSession() as session:
            for url, proc, what in [*zip(direct, replicas, ("replica 0", "replica 1"), strict=True), (proxied, proxy, "nginx")]:
                await wait_ready(session, url, proc, what)

            # 1. The same push to both replicas at once: a redelivery racing the original.
            answers = await asyncio.gather(*(deliver((session, u), "push", first_push, secret=SECRET, delivery_id="push-1") for u in direct))
            assert sorted(a.status for a in answers) == [200, 202], [a.text for a in answers]  # claimed once, deployment-wide
            await settle(session, direct)
            assert sorted(open_items(fake)) == sorted(ITEMS[:4])
            assert len(action_issues(fake)) == 4, [i["title"] for i in action_issues(fake)]  # no twin, not even a closed one

            # 2. A stream of mixed deliveries through nginx (round robin): closes of referenced
            #    issues and PRs, each also redelivered, comments, a command, and a second push.
            fake.close_issue(REPO, bug, actor="carol")
            fake.merge_pull(REPO, fix, by="carol")
            item = next(i for i in action_issues(fake) if i["title"].startswith("Follow the red build"))
            chat = fake.add_comment(REPO, item["number"], "Looking into it today.", user="carol")
            command = fake.add_comment(REPO, item["number"], "@actionbot status", user="carol")
            before = head(fake, REPO)
            fake.commit(REPO, files={NOTES: notes + "- Order the stickers (Carol)\n"}, message="one more item")
            stream = [
                ("issues", payload_for(fake, "issues", "closed", REPO, number=bug, sender="carol"), "close-bug"),
                ("pull_request", payload_for(fake, "pull_request", "closed", REPO, number=fix, sender="carol"), "merge-fix"),
                ("issue_comment", payload_for(fake, "issue_comment", "created", REPO, number=item["number"], comment_id=chat.id, sender="carol"), "chat"),
                ("issue_comment", payload_for(fake, "issue_comment", "created", REPO, number=item["number"], comment_id=command.id, sender="carol"), "status"),
                ("push", push_payload(fake, REPO, before=before, after=head(fake, REPO)), "push-2"),
            ]
            sends = [deliver(proxied, e, p, secret=SECRET, delivery_id=d) for e, p, d in stream]
            sends += [deliver(proxied, e, p, secret=SECRET, delivery_id=d) for e, p, d in stream if d in ("close-bug", "merge-fix", "push-2")]
            answers = await asyncio.gather(*sends)
            assert all(a.status in (200, 202) for a in answers), [(a.status, a.text) for a in answers]
            states = await settle(session, direct)

        by_replica = [sum(s["deliveries"].values()) for s in states]  # answered, whoever's worker ran them
        assert all(n > 0 for n in by_replica), f"nginx sent everything to one replica: {by_replica}"
        assert [s["failures"] for s in states] == [[], []]
        kept = open_items(fake)
        assert sorted(kept) == sorted(ITEMS), sorted(kept)  # exactly one open issue per item
        extra = [i for i in action_issues(fake) if i["number"] not in kept.values()]
        assert extra == [], extra  # exactly one issue per item, open or closed: no twin was ever created
        assert [s["redis_queue"]["workers"] for s in states] == [2, 2]  # each replica's worker, seen by both
        assert len([i for i in fake.issues(REPO) if i["title"] == "Action items"]) == 1  # one dashboard
        assert notices(fake, kept["Follow the red build"]) == {f"{REPO}#{bug}": 1, f"{REPO}#{fix}": 1}
        assert notices(fake, kept["Review the build fix"]) == {f"{REPO}#{fix}": 1}
        assert notices(fake, kept["Rewrite the docs"]) == {}
        print(f"\nreplicas answered {by_replica}, their workers processed {[s['deliveries']['processed'] for s in states]};"
              f" {len(action_issues(fake))} issues for {len(ITEMS)} items;"
              f" GitHub requests {len(fake.requests)}, writes {len(fake.writes())}")
    finally:
        for proc in replicas:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        if proxy.returncode is None:
            proxy.send_signal(signal.SIGQUIT)
        for proc in [*replicas, proxy]:
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
    assert [p.returncode for p in replicas] == [0, 0], [(tmp_path / f"replica{i}.log").read_text()[-2000:] for i in range(2)]


ITEMS = ["Follow the red build", "Review the build fix", "Rewrite the docs", "Book the room for the sprint", "Order the stickers"]


def open_items(fake: FakeGitHub) -> dict[str, int]:
    """Action-item issues by item (a duplicate closed as such is left out: the counts above catch it);
    an item with two other issues fails the test."""
    out: dict[str, int] = {}
    for i in action_issues(fake):
        if i["state"] == "closed" and i.get("state_reason") == "duplicate":
            continue
        name = next((t for t in ITEMS if i["title"].startswith(t)), i["title"])
        assert name not in out, f"two issues for {name!r}: #{out[name]} and #{i['number']}"
        out[name] = i["number"]
    return out
