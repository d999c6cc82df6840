"""`actionbot` / `python -m actionbot`: parse, plan, sync, serve, ...

Composes the sub-commands of `actionbot.cli` and does nothing else.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from actionbot import __version__
from actionbot.cli import command_modules
from actionbot.notes.model import InputError


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The whole command line; with `command` naming a sub-command, only that one's module is loaded.

    `actionbot parse` runs once per notes file in editors' hooks and scripts: it
    should not pay for importing the web service, Redis and the GitHub client.
    """
    names = command_modules()
    if command in names:
        names = [command]
    parser = argparse.ArgumentParser(
        prog="actionbot",
        description="Turn the action items of meeting notes into tracked GitHub issues.",
    )
    parser.add_argument("--version", action="version", version=f"actionbot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in names:
        # The package's one import at run time besides the optional sentry-sdk: each command's
        # module imports what it needs at the top, so loading only the one asked for is what
        # keeps `actionbot parse` from importing aiohttp, Redis and the service.
        module = importlib.import_module(f"actionbot.cli.{name}")
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """The exit code of `actionbot ARGV`; callable in process (tests), `python -m actionbot` exits with it."""
    words = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(next((w for w in words if not w.startswith("-")), None))
    try:
        args = parser.parse_args(words)
    except SystemExit as exc:  # argparse exits after --help, --version or a usage error: its code is ours
        return exc.code if isinstance(exc.code, int) else int(exc.code is not None)
    if not getattr(args, "run", None):
        parser.print_help(sys.stderr)
        return 2
    try:
        return int(args.run(args) or 0)
    except InputError as exc:
        print(f"actionbot: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
