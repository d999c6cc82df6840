"""Ask GitHub to redeliver the app's failed deliveries (it never does so by itself).

GitHub's procedure: list `GET /app/hook/deliveries` newest first back to the
window, group the attempts by `guid` (constant across redeliveries), and for
every guid whose newest attempt failed, redeliver that attempt once. Run at start-up (deliveries refused while the service was down
or restarting) and by `actionbot redeliver`. Each failure is logged and the
rest go on: this is a repair path, it must not take the service down.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from actionbot.core.ages import Clock
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
    """Pure: the delivery ids to redeliver, one per guid whose newest attempt failed (that attempt).

    A guid whose first attempt succeeded (202) and whose newest failed was put
    back for redelivery by a service that stopped before finishing it.
    """
    newest: dict[str, dict[str, Any]] = {}
    for d in deliveries:
        guid = str(d.get("guid") or d.get("id"))
        if guid not in newest or _order(d) > _order(newest[guid]):
            newest[guid] = d
    return sorted(int(d["id"]) for d in newest.values() if not _succeeded(d))


def newest_attempts(deliveries: list[dict[str, Any]], guids: set[str]) -> list[int]:
    """Pure: the id of the newest attempt of each of `guids` (what a redelivery request names)."""
    newest: dict[str, dict[str, Any]] = {}
    for d in deliveries:
        guid = str(d.get("guid") or "")
        if guid in guids and (guid not in newest or _order(d) > _order(newest[guid])):
            newest[guid] = d
    return sorted(int(d["id"]) for d in newest.values())


def _order(d: dict[str, Any]) -> tuple[str, int]:
    return (str(d.get("delivered_at") or ""), int(d.get("id") or 0))


async def redeliver_failed(
    clients: AppClients, *, since_hours: float = 72, clock: Clock = time.time, unfinished: Collection[str] = ()
) -> RedeliveryReport:
    """List the window's deliveries and redeliver the failed ones; never raises for one bad id.

    `unfinished`: guids this service accepted (GitHub saw them succeed) and never
    finished, e.g. cut off by a crash: their newest attempts are redelivered too.
    """
    app = await clients.app_client()
    deliveries = await app.list_hook_deliveries(since=clock() - since_hours * 3600)
    report = RedeliveryReport(examined=len(deliveries))
    failed = to_redeliver(deliveries)
    report.failed_guids = len(failed)
    ids = sorted({*failed, *newest_attempts(deliveries, set(unfinished))})
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
           cut_off=len(unfinished), redelivered=len(report.redelivered), errors=len(report.errors)),
    )
    return report
