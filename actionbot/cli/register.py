"""`actionbot register`: create the GitHub App from its manifest and write a `.env`."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from actionbot.setup.register import RegisterError, RegisterOptions, Registration, next_steps


def add_parser(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = subparsers.add_parser(
        "register",
        help="create the GitHub App from its manifest (opens a local page) and write .env",
        description=(
            "Serve GitHub's app-manifest flow on localhost: open the printed URL, confirm the "
            "app on GitHub, and the app id, private key and webhook secret are written to a "
            "0600 .env file (the key to actionbot-private-key.pem beside it). Nothing secret is printed."
        ),
    )
    p.add_argument("--org", help="create the app in this organization instead of your account")
    p.add_argument(
        "--webhook-url",
        help="public URL of the service's webhook, e.g. https://bot.example.org/webhook "
        "(without it the app's webhook is created inactive)",
    )
    p.add_argument("--port", type=int, default=3000, help="local port for the flow (default 3000)")
    p.add_argument("--env-file", type=Path, default=Path(".env"), help="file to write (default .env)")
    p.add_argument("--github-url", default="https://github.com", help="GitHub or GitHub Enterprise Server URL")
    p.add_argument("--api-url", help="API root (default: derived from --github-url)")
    p.add_argument("--name", default="actionbot", help="the app's name on GitHub (default actionbot)")
    p.add_argument("--public", action="store_true", help="let any account install the app")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    options = RegisterOptions(
        webhook_url=args.webhook_url, org=args.org, port=args.port, env_file=args.env_file,
        github_url=args.github_url, api_url=args.api_url, name=args.name, public=args.public,
    )

    def ready(url: str) -> None:
        where = f"the organization {options.org}" if options.org else "your account"
        print(f"Open {url} in a browser to create the GitHub App in {where}.", flush=True)
        print("Waiting for GitHub to send you back here (Ctrl-C to give up)...", flush=True)

    try:
        creds, env_path, key_path = asyncio.run(Registration(options).run(ready))
    except RegisterError as exc:
        print(f"actionbot register: error: {exc}", file=sys.stderr)
        return 1
    print(next_steps(options, creds, env_path, key_path))
    return 0
