"""Ask GitHub to redeliver the app's failed deliveries (it never does so by itself).

GitHub's procedure (FACTS.md §11): list `GET /app/hook/deliveries` newest
first back to the window, group the attempts by `guid` (constant across
redeliveries), and for every guid that never succeeded, redeliver its newest
attempt once. Run at start-up (deliveries refused while the service was down
or restarting) and by `actionbot redeliver`. Each failure is logged and the
rest go on: this is a repair path, it must not take the service down.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from actionbot.github.app import AppClients
from actionbot.logs import kv

log = logging.getLogger("actionbot.github.redeliver")


@dataclass
class RedeliveryReport:
    examined: int = 0
    failed_guids: int = 0
    redelivered: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def _succeeded(d: dict[str, Any]) -> bool:
    code = d.get("status_code")
    if isinstance(code, int) and code:
        return 200 <= code < 400
    return str(d.get("status", "")).upper() == "OK"


def to_redeliver(deliveries: list[dict[str, Any]]) -> list[int]:
    """Pure: the delivery ids to redeliver, one per guid that never succeeded (its newest attempt)."""
    by_guid: dict[str, list[dict[str, Any]]] = {}
    for d in deliveries:
        by_guid.setdefault(str(d.get("guid") or d.get("id")), []).append(d)
    ids = []
    for attempts in by_guid.values():
        if any(_succeeded(d) for d in attempts):
            continue
        newest = max(attempts, key=lambda d: (str(d.get("delivered_at") or ""), int(d.get("id") or 0)))
        ids.append(int(newest["id"]))
    return sorted(ids)


async def redeliver_failed(clients: AppClients, *, since_hours: float = 72, clock: Callable[[], float] = time.time) -> RedeliveryReport:
    """List the window's deliveries and redeliver the failed ones; never raises for one bad id."""
    app = await clients.app_client()
    deliveries = await app.list_hook_deliveries(since=clock() - since_hours * 3600)
    report = RedeliveryReport(examined=len(deliveries))
    ids = to_redeliver(deliveries)
    report.failed_guids = len(ids)
    for delivery_id in ids:
        try:
            await app.redeliver(delivery_id)
            report.redelivered.append(delivery_id)
        except Exception as exc:
            report.errors.append(f"{delivery_id}: {type(exc).__name__}: {exc}")
            log.warning("redelivery failed %s", kv(delivery_id=delivery_id, error=f"{type(exc).__name__}: {exc}"))
    log.info(
        "redeliver %s",
        kv(since_hours=since_hours, examined=report.examined, never_succeeded=report.failed_guids,
           redelivered=len(report.redelivered), errors=len(report.errors)),
    )
    return report
