"""Every feature's router, composed in one place.

Each module of this package (`push.py`, `references.py`, `commands.py`,
`installation.py`, ...) exposes `router = gidgethub.routing.Router()` with its
handlers, each called as `await handler(event, gh, ctx)` (gh: the
installation's `actionbot.github.client.GitHubClient`; ctx: `actionbot.service.context.Context`).
Modules are discovered, so adding a feature touches no other file.
"""

from __future__ import annotations

import importlib
import pkgutil

from gidgethub.routing import Router


def feature_routers() -> list[Router]:
    routers = []
    for module in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if module.name.startswith("_"):
            continue
        feature = importlib.import_module(f"{__name__}.{module.name}")
        r = getattr(feature, "router", None)
        if isinstance(r, Router):
            routers.append(r)
    return routers


router = Router(*feature_routers())
