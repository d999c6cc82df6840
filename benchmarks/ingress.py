"""Webhook ingress: `actionbot serve` vs the gidgethub reference receiver vs Probot, in one run.

    .venv/bin/python benchmarks/ingress.py                 # full run (~1-2 min)
    .venv/bin/python benchmarks/ingress.py --quick         # 2 rounds of 1000, for a smoke check

What it does, all on loopback:

1. Starts the project's fake GitHub (tests/fakegithub, schema validation off)
   with a throwaway App key, installation 1 and `Codertocat/Hello-World`, so
   that accepted deliveries are really processed in the background (token
   minted once, the push reconciled, the comment parsed for commands) instead
   of failing against an absent API. That work shares the machine with the
   ingress being measured; the peers only count in the request.
2. Measures the idle RSS of `actionbot serve` (target < 80 MB).
3. Runs ../shared/bench/compare_ingress.sh (see its README) with actionbot as
   the third server. With `--handlers real` the exact invocation of actionbot
   by the harness is

       TARGET_NAME=actionbot TARGET_PATH=/webhook compare_ingress.sh \\
         sh -c 'GITHUB_WEBHOOK_SECRET="$WEBHOOK_SECRET" exec "$0" -m actionbot serve \\
                --host 127.0.0.1 --port "$PORT"' .venv/bin/python

   and with the default `--handlers count` it is the same service started by
   `benchmarks/ingress.py --serve-count-only PORT`, whose router has
   count-only handlers for the same events as the peers' (push,
   issue_comment.created, issues.closed): everything else is actionbot's
   ingress path unchanged (verify, parse, dedupe, route, queue, installation
   token, dispatch, one log line per delivery). The peers only count, so this
   is the like-for-like figure; `real` shows what the features' work costs.

   (the harness puts the secret in WEBHOOK_SECRET and the port in PORT; the
   other GITHUB_* variables come from this script's environment), with
   PYTHON pointing at a venv that has ../shared/bench/requirements-ingress.txt
   (made in /tmp on first use) for the load generator and the reference peer,
   and PROBOT_DIR at a copy of the Probot peer with `npm ci` done (in /tmp).
4. Prints the harness's table, then actionbot's figures against the targets
   (>= the reference's deliveries/s, p99 < 50 ms at concurrency 32) and how
   the background work went (deliveries processed/failed, from its log).

Figures are printed, never asserted: this 2-core VM drifts +-30 %.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("ACTIONBOT_SHARED", ROOT.parent / "shared")).resolve()
BENCH = SHARED / "bench"

FAKE = r"""
import asyncio, sys
sys.path.insert(0, sys.argv[2])
from tests.fakegithub import FakeGitHub

async def main():
    fake = FakeGitHub(validate=False)
    fake.set_app(1, open(sys.argv[1]).read())
    fake.add_installation(1, "Codertocat", account_type="User")
    repo = fake.add_repo("Codertocat/Hello-World", {"README.md": "hi"}, installation_id=1, owner_type="User",
                         default_branch="master")
    # The harness's push creates master at this sha: let it name the fake's head commit,
    # so pushes are reconciled for real (a repository without notes: a few reads).
    repo.commits["6113728f27ae82c7b1a177c8d03f9e96e0adf246"] = repo.head()
    await fake.start()
    print(fake.url, flush=True)
    await asyncio.Event().wait()

asyncio.run(main())
"""


def make_key(tmp: Path) -> tuple[Path, Path]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = tmp / "app.pem"
    public = tmp / "app.pub.pem"
    private.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    )
    private.chmod(0o600)
    public.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return private, public


def bench_python(explicit: str | None) -> str:
    """A Python with the harness's pinned aiohttp, gidgethub and uvloop (load generator, reference peer)."""
    if explicit:
        return explicit
    venv = Path(tempfile.gettempdir()) / "actionbot-ingress-venv"
    py = venv / "bin" / "python"
    if not py.exists() or subprocess.run([str(py), "-c", "import aiohttp, gidgethub, uvloop"], capture_output=True).returncode:
        print(f"making {venv} with {BENCH / 'requirements-ingress.txt'} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run([str(py), "-m", "pip", "install", "-q", "-r", str(BENCH / "requirements-ingress.txt")], check=True)
    return str(py)


def probot_dir(explicit: str | None) -> tuple[str | None, str]:
    """A Probot peer with node_modules, or None and why not."""
    if explicit:
        return explicit, "given"
    shipped = BENCH / "peers" / "probot_app"
    if (shipped / "node_modules" / ".bin" / "probot").exists():
        return str(shipped), "shipped"
    copy = Path(tempfile.gettempdir()) / "actionbot-probot-peer"
    if not (copy / "node_modules" / ".bin" / "probot").exists():
        if not shutil.which("npm"):
            return None, "npm is not installed"
        shutil.rmtree(copy, ignore_errors=True)
        shutil.copytree(shipped, copy)
        print(f"npm ci in {copy} ...", flush=True)
        r = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=copy, capture_output=True, text=True)
        if r.returncode:
            return None, "npm ci failed: " + (r.stderr.strip().splitlines() or ["?"])[-1]
    return str(copy), "npm ci in /tmp"


def start_fake(public_key: Path) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", FAKE, str(public_key), str(ROOT)], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    assert proc.stdout is not None
    url = proc.stdout.readline().strip()
    if not url.startswith("http"):
        proc.kill()
        raise SystemExit("the fake GitHub did not start")
    return proc, url


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def idle_rss(env: dict[str, str]) -> float:
    """MiB resident after start-up (start-up redelivery done), before any delivery."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [sys.executable, "-m", "actionbot", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env={**env, "GITHUB_WEBHOOK_SECRET": "idle-rss-secret"}, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        time.sleep(2)
        return rss_kb(proc.pid) / 1024
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


def summarize(output: str, out_dir: str | None) -> None:
    rows = {}
    for line in output.splitlines():
        m = re.match(r"^(gidgethub-ref|actionbot|probot \(LOG_LEVEL=\S+\))\s+(\d+)\s+\(\S+\)\s+([\d.]+)\s+([\d.]+)\s+(\d+)", line)
        if m:
            rows[m.group(1)] = (float(m.group(2)), float(m.group(3)), float(m.group(4)), int(m.group(5)))
    if "actionbot" not in rows or "gidgethub-ref" not in rows:
        print("could not read the harness's table (see above)")
        return
    a, ref = rows["actionbot"], rows["gidgethub-ref"]
    print("\nactionbot against the targets (concurrency as run):")
    print(f"  deliveries/s  {a[0]:.0f}  vs reference {ref[0]:.0f}  ->  {a[0] / ref[0]:.2f}x  (target >= 1.00x)")
    print(f"  p50 {a[1]:.2f} ms, p99 {a[2]:.2f} ms  (target p99 < 50 ms)  errors {a[3]}")
    for label, r in rows.items():
        if label.startswith("probot"):
            print(f"  {label}: {r[0]:.0f}/s, p50 {r[1]:.2f} ms, p99 {r[2]:.2f} ms  ->  actionbot {a[0] / r[0]:.2f}x its throughput")
    if out_dir:
        logs = sorted(Path(out_dir).glob("server-*.log"))
        for log in logs:
            text = log.read_text(errors="replace")
            if "logger=actionbot" not in text:
                continue
            outcomes: dict[str, int] = {}
            for m in re.finditer(r"logger=actionbot\.server delivery .*? outcome=(\w+)", text):
                outcomes[m.group(1)] = outcomes.get(m.group(1), 0) + 1
            print(f"  background work (from {log.name}): {outcomes or 'no delivery processed'}")


def serve_count_only(port: str) -> int:
    """`actionbot serve` with count-only handlers, like the peers': the whole ingress path
    (verify, parse, dedupe, route, queue, token, dispatch, log line) without feature work."""
    sys.path.insert(0, str(ROOT))
    from gidgethub.routing import Router

    import actionbot.service.handlers
    from actionbot.__main__ import main as actionbot_main

    router = Router()

    async def count(event: object, gh: object, ctx: object) -> None:
        return None

    router.add(count, "push")
    router.add(count, "issue_comment", action="created")
    router.add(count, "issues", action="closed")
    actionbot.handlers.router = router
    return actionbot_main(["serve", "--host", "127.0.0.1", "--port", port])


def main() -> int:
    if sys.argv[1:2] == ["--serve-count-only"]:
        return serve_count_only(sys.argv[2])
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="2 rounds of 1000 after 1000 warm-up")
    ap.add_argument("--bench-python", help="Python with requirements-ingress.txt (default: a venv made in /tmp)")
    ap.add_argument("--probot-dir", help="Probot peer with node_modules (default: shipped, else npm ci into /tmp)")
    ap.add_argument(
        "--handlers",
        choices=("count", "real"),
        default="count",
        help="count: actionbot with count-only handlers, like the peers (default: the like-for-like ingress figure); "
        "real: actionbot's own handlers, whose background work (push reconcile against the fake) shares the CPU",
    )
    args = ap.parse_args()
    if not (BENCH / "compare_ingress.sh").exists():
        print(f"{BENCH} is absent: this benchmark needs ../shared/bench beside the checkout")
        return 2

    env = dict(os.environ)
    py = bench_python(args.bench_python)
    probot, how = probot_dir(args.probot_dir)
    if probot is None:
        print(f"Probot is not available ({how}): the harness needs it; install node/npm or pass --probot-dir")
        return 2
    with tempfile.TemporaryDirectory(prefix="actionbot-ingress-") as tmp:
        private, public = make_key(Path(tmp))
        fake, url = start_fake(public)
        try:
            env.update(
                GITHUB_APP_ID="1",
                GITHUB_PRIVATE_KEY=str(private),
                GITHUB_API_URL=url,
                LOG_LEVEL="INFO",
                ACTIONBOT_WRITE_INTERVAL="0",
                PYTHON=py,
                PROBOT_DIR=probot,
                TARGET_NAME="actionbot",
                TARGET_PATH="/webhook",
            )
            if args.quick:
                env.update(ROUNDS="2", REQUESTS="1000", WARMUP="1000")
            rss = idle_rss(env)
            print(f"actionbot serve idle RSS: {rss:.1f} MiB (target < 80 MiB)", flush=True)
            serve = (
                '"$0" -m actionbot serve --host 127.0.0.1 --port "$PORT"'
                if args.handlers == "real"
                else f'"$0" {Path(__file__).resolve()} --serve-count-only "$PORT"'
            )
            cmd = [
                str(BENCH / "compare_ingress.sh"),
                "sh", "-c", f'GITHUB_WEBHOOK_SECRET="$WEBHOOK_SECRET" exec {serve}',
                sys.executable,
            ]
            print(f"actionbot handlers: {args.handlers}", flush=True)
            proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            assert proc.stdout is not None
            lines = []
            for line in proc.stdout:
                print(line, end="", flush=True)
                lines.append(line)
            proc.wait()
            output = "".join(lines)
            m = re.search(r"out: (\S+)", output)
            summarize(output, m.group(1) if m else None)
            print(f"actionbot serve idle RSS: {rss:.1f} MiB (target < 80 MiB); Probot from: {how}")
            return proc.returncode
        finally:
            os.killpg(fake.pid, signal.SIGTERM)
            fake.wait(timeout=10)


if __name__ == "__main__":
    sys.exit(main())
