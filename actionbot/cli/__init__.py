"""Command-line entry points, one module per sub-command.

Each module has `add_parser(subparsers)` (which calls `set_defaults(run=run)`)
and `run(args) -> int`, and keeps heavy imports inside `run` so that
`actionbot --help` stays fast. `__main__` loads every module of this package,
in the order below first.
"""

from __future__ import annotations

import pkgutil

ORDER = ("parse", "plan", "sync", "serve", "worker", "handle_event", "redeliver", "register")


def command_modules() -> list[str]:
    present = {m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")}
    return [n for n in ORDER if n in present] + sorted(present - set(ORDER))
