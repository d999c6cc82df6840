"""Memory of `actionbot serve` under held 25 MB uploads (unsigned, then with a forged signature).

    .venv/bin/python benchmarks/held_uploads.py              # 30 connections of each kind
    .venv/bin/python benchmarks/held_uploads.py --connections 10

Starts `actionbot serve` on loopback (a throwaway key, the resync off, the API
URL a closed loopback port: nothing is processed), reads its RSS from
/proc/PID/status, then:

1. opens N connections that each send `POST /webhook` without
   `X-Hub-Signature-256`, announce a 26,214,300-byte body, send all of it but
   the last byte and hold the connection; counts the 401s and prints the
   largest RSS seen while they are held (the service answers before reading
   a body, so the target is less than 50 MB above idle);
2. the same with a well-formed but forged signature: those bodies are read,
   at most MAX_BODIES at once (the rest wait for a slot and time out: 408),
   so the growth is bounded by about MAX_BODIES x 25 MB whatever N is.

3. MAX_BODIES + 2 connections with a forged signature that send 64 KB of a
   25 MB body and stop, then one genuine, signed 1.5 MB delivery (a `ping`):
   its answer and how long it took. A large body must keep coming (BODY_RATE after
   BODY_GRACE seconds), so the holders are cut off and the genuine delivery
   gets a slot; without that pace it waited out BODY_TIMEOUT and got a 408.

Measured on the 2-core VM, 30 connections: idle 58 MB; unsigned peak +23 MB
(all 401); forged peak +74 MB (2 read, 28 answered 408). Round 3: 200
after 4.2 s, inside the 10 s GitHub waits for an answer.

Figures are printed, never asserted (this 2-core VM drifts).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from actionbot.service.ingress import MAX_BODIES, SMALL_BODY

LENGTH = 26_214_300
CHUNK = 1024 * 1024


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def key_file(folder: str) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = Path(folder) / "app.pem"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    return str(path)


async def hold(port: int, signature: str | None, answers: list[str], release: asyncio.Event) -> None:
    """Send everything but the last byte, note the answer if one comes, hold until `release`."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = ["POST /webhook HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json",
            "X-GitHub-Event: push", "X-GitHub-Delivery: held", f"Content-Length: {LENGTH}"]
    if signature:
        head.append(f"X-Hub-Signature-256: {signature}")
    try:
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        left = LENGTH - 1
        while left > 0:
            writer.write(b" " * min(CHUNK, left))
            left -= min(CHUNK, left)
            await writer.drain()
    except (ConnectionError, OSError):
        pass  # answered and closed before the whole body went out
    try:
        line = await asyncio.wait_for(reader.readline(), 0.5)
        answers.append(line.decode().split(" ")[1] if line else "closed")
    except (TimeoutError, ConnectionError, IndexError):
        answers.append("none yet")
    await release.wait()
    writer.close()


async def round_of(port: int, pid: int, n: int, signature: str | None) -> tuple[float, dict[str, int]]:
    answers: list[str] = []
    release = asyncio.Event()
    tasks = [asyncio.ensure_future(hold(port, signature, answers, release)) for _ in range(n)]
    peak = 0.0
    while len(answers) < n:
        peak = max(peak, rss_mb(pid))
        await asyncio.sleep(0.05)
    peak = max(peak, rss_mb(pid))
    release.set()
    await asyncio.gather(*tasks, return_exceptions=True)
    counts: dict[str, int] = {}
    for a in answers:
        counts[a] = counts.get(a, 0) + 1
    return peak, counts


async def starved(port: int) -> str:
    """Round 3: the large slots held by stalled forged uploads, then a genuine large delivery."""
    import hashlib
    import hmac
    import json

    held = []
    for _ in range(MAX_BODIES + 2):  # both slots taken, two more waiting for one
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = ["POST /webhook HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", "X-GitHub-Event: push",
                "X-GitHub-Delivery: held", f"Content-Length: {LENGTH}", "X-Hub-Signature-256: sha256=" + "0" * 64]
        writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + b" " * 65536)
        await writer.drain()
        held.append(writer)
    await asyncio.sleep(0.3)  # the holders reach their slots first
    body = json.dumps({"zen": " " * (3 * SMALL_BODY // 2), "hook_id": 1}).encode()
    signature = "sha256=" + hmac.new(b"bench", body, hashlib.sha256).hexdigest()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    head = ["POST /webhook HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", "X-GitHub-Event: ping",
            "X-GitHub-Delivery: genuine", f"Content-Length: {len(body)}", f"X-Hub-Signature-256: {signature}"]
    start = time.monotonic()
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()
    line = (await asyncio.wait_for(reader.readline(), 30)).decode().split(" ")[1]
    took = time.monotonic() - start
    for w in (*held, writer):
        w.close()
    return f"genuine 1.5 MB delivery behind {len(held)} stalled forged uploads: {line} after {took:.1f} s"


async def main(n: int) -> None:
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "ACTIONBOT_"))}
        env.update({"GITHUB_APP_ID": "1", "GITHUB_PRIVATE_KEY": key_file(folder), "GITHUB_WEBHOOK_SECRET": "bench",
                    "GITHUB_API_URL": f"http://127.0.0.1:{free_port()}", "ACTIONBOT_RESYNC_HOURS": "0",
                    "LOG_LEVEL": "WARNING"})
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "actionbot", "serve", "--host", "127.0.0.1", "--port", str(port),
            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    await asyncio.sleep(0.1)
            await asyncio.sleep(1)  # start-up tasks settle
            idle = rss_mb(proc.pid)
            print(f"idle RSS: {idle:.0f} MB (MAX_BODIES={MAX_BODIES})")
            for label, signature in (("unsigned", None), ("forged sha256", "sha256=" + "0" * 64)):
                peak, answers = await round_of(port, proc.pid, n, signature)
                after = rss_mb(proc.pid)
                print(f"{n} held 25 MB uploads, {label}: answers {answers}, peak RSS {peak:.0f} MB "
                      f"(+{peak - idle:.0f} MB), after {after:.0f} MB")
            print(await starved(port))
        finally:
            proc.terminate()
            await proc.wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=30)
    asyncio.run(main(parser.parse_args().connections))
