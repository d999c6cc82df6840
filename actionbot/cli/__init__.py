"""Command-line entry points, one module per sub-command.

Each module has `add_parser(subparsers)` (which calls `set_defaults(run=run)`)
and `run(args) -> int`. `__main__` loads only the module of the sub-command
asked for (so `actionbot parse` never imports the web service), and every
module, in the order below first, for `--help` or a word it does not know.
"""

from __future__ import annotations

import pkgutil

ORDER = ("parse", "plan", "sync", "serve", "worker", "handle_event", "redeliver", "register")


def command_modules() -> list[str]:
    present = {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}
    return [n for n in ORDER if n in present] + sorted(present - set(ORDER))
