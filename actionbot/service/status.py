"""The operator's pages: `GET /` (counts for anyone, everything with the status token),
`GET /metrics` (the per-installation series only for the operator) and `GET /healthz`."""

from __future__ import annotations

import hmac
import html
from typing import Any

from aiohttp import web
from prometheus_client.exposition import choose_encoder

from actionbot import __version__
from actionbot.service.deliveries import DeliveryRecord, Service

# Metrics that name installations: shown on `/metrics` to the operator only.
_OPERATOR_METRICS = frozenset({"actionbot_rate_limit_remaining"})


def status_of(service: Service) -> dict[str, Any]:
    """Everything the operator sees on `GET /` (with the status token)."""
    resync = service.resyncer
    return {
        "name": "actionbot",
        "version": __version__,
        "app_id": service.settings.app_id,
        "api_url": service.settings.api_url,
        "uptime_seconds": round(service.clock() - service.started_at, 1),
        "accepting": service.accepting,
        "deliveries": {
            k: service.counts[k]
            for k in ("accepted", "coalesced", "processed", "failed", "ignored", "duplicate", "rejected", "refused", "ping")
        },
        "queue_depth": service.queue.depth,
        "bodies_waiting": service.bodies_waiting,
        "last_deliveries": [_record_json(r) for r in reversed(service.recent)],
        "failures": [_record_json(r) for r in reversed(service.failures)],
        "installations": [
            {"id": i.id, "account": i.account, "repositories": len(i.repositories), "suspended": i.suspended,
             "error": i.error or None, "rate_limit_remaining": service.rate_limits.get(i.id)}
            for i in (resync.installations.values() if resync is not None else ())
        ],
        "rate_limit_remaining": {str(k): v for k, v in sorted(service.rate_limits.items())},
        "resync": resync.status() if resync is not None else {"interval_hours": 0, "last_full_resync": None},
        "last_full_resync": resync.last_full_resync if resync is not None else None,
    }


def is_operator(service: Service, request: web.Request) -> bool:
    """Whether the caller gave `ACTIONBOT_STATUS_TOKEN` as `Authorization: Bearer ...` (never without one set)."""
    token = service.settings.status_token
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return bool(token) and scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode())


def public_status(service: Service) -> dict[str, Any]:
    """What anyone may see: counts only (no repository, account, delivery id or app id)."""
    full = status_of(service)
    return {k: full[k] for k in ("name", "version", "uptime_seconds", "accepting", "deliveries", "queue_depth")} | {
        "installations": len(full["installations"]),
        "failures": len(full["failures"]),
        "details": "send the status token (ACTIONBOT_STATUS_TOKEN) as 'Authorization: Bearer TOKEN' for the rest",
    }


async def index(service: Service, request: web.Request) -> web.Response:
    """`GET /`: counts for anyone, everything for the operator (the status token)."""
    operator = is_operator(service, request)
    status = status_of(service) if operator else public_status(service)
    shared = await service.shared_status()  # Redis mode: the shared queue's figures (counts only)
    if shared is not None:
        status["redis_queue"] = shared
        status["queue_depth"] = shared.get("depth", status["queue_depth"])
    if "application/json" in request.headers.get("Accept", ""):
        return web.json_response(status)
    return web.Response(text=_html(status) if operator else _public_html(status), content_type="text/html")


async def metrics_page(service: Service, request: web.Request) -> web.Response:
    """`GET /metrics`: counts for anyone; the per-installation series only for the operator."""
    await service.shared_status()  # the shared queue's gauges, read from Redis at each scrape
    if is_operator(service, request):
        return await service.metrics.handler(request)
    registry = service.metrics.registry
    names = {s.name for m in registry.collect() if m.name not in _OPERATOR_METRICS for s in m.samples}
    encoder, content_type = choose_encoder(request.headers.get("Accept") or "")
    return web.Response(body=encoder(registry.restricted_registry(names)), headers={"Content-Type": content_type})


async def healthz(service: Service, request: web.Request) -> web.Response:
    """`GET /healthz`: up, and whether it accepts deliveries (a load balancer's check)."""
    return web.json_response({"ok": True, "accepting": service.accepting, "queue_depth": service.queue.depth})


def _record_json(r: DeliveryRecord) -> dict[str, Any]:
    return {
        "delivery_id": r.delivery_id,
        "event": r.event,
        "action": r.action,
        "repository": r.repository,
        "installation": r.installation,
        "outcome": r.outcome,
        "ms": r.ms,
        "github_requests": r.requests,
        "rate_limit_remaining": r.rate_limit_remaining,
        "received_at": r.received_at,
    }


def _html(status: dict[str, Any]) -> str:
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(str(d['delivery_id']))}</td><td>{e(str(d['event']))}.{e(str(d['action'] or ''))}</td>"
        f"<td>{e(str(d['repository'] or ''))}</td><td>{e(d['outcome'])}</td><td>{d['ms']}</td></tr>"
        for d in status["last_deliveries"]
    )
    return _page(
        status,
        f"App {e(str(status['app_id']))} · up {status['uptime_seconds']:.0f} s · queue {status['queue_depth']}",
        "<table><tr><th>delivery</th><th>event</th><th>repository</th><th>outcome</th><th>ms</th></tr>"
        f"{rows}</table>"
        f"{_html_operations(status)}"
        "<p>JSON: send <code>Accept: application/json</code>. Prometheus: <a href=metrics>/metrics</a>.</p>",
    )


def _public_html(status: dict[str, Any]) -> str:
    return _page(
        status,
        f"up {status['uptime_seconds']:.0f} s · queue {status['queue_depth']} · "
        f"{status['installations']} installations · {status['failures']} recent failures",
        f"<p>{html.escape(status['details'])}.</p>",
    )


def _page(status: dict[str, Any], summary: str, rest: str) -> str:
    """What both views show first: the version, a summary line, the shared queue and the counts."""
    counts = " · ".join(f"{k} {v}" for k, v in status["deliveries"].items())
    return (
        "<!doctype html><meta charset=utf-8><title>actionbot</title>"
        f"<h1>actionbot {html.escape(status['version'])}</h1><p>{summary}</p>"
        f"{_html_shared(status.get('redis_queue'))}<p>{html.escape(counts)}</p>{rest}"
    )


def _html_shared(shared: dict[str, Any] | None) -> str:
    """Redis mode: the shared queue and its workers (nothing in one-process mode)."""
    if shared is None:
        return ""
    if "error" in shared:
        return f"<p>Redis: {html.escape(str(shared['error']))}</p>"
    return (
        f"<p>Redis queue: {shared['depth']} jobs, {shared['running']} running, oldest waiting "
        f"{shared['oldest_waiting_seconds']:g} s · {shared['workers']} workers</p>"
    )


def _html_operations(status: dict[str, Any]) -> str:
    """Failures, installations with their rate limit, and the last full resync."""
    e = html.escape
    failures = "".join(
        f"<tr><td>{e(str(d['delivery_id']))}</td><td>{e(str(d['event']))}.{e(str(d['action'] or ''))}</td>"
        f"<td>{e(str(d['repository'] or ''))}</td><td>{e(str(d['outcome']))}</td></tr>"
        for d in status.get("failures", [])
    ) or "<tr><td colspan=4>none</td></tr>"
    installations = "".join(
        f"<tr><td>{i['id']}</td><td>{e(str(i['account']))}</td><td>{i['repositories']}</td>"
        f"<td>{e(str(i['rate_limit_remaining'] if i['rate_limit_remaining'] is not None else '?'))}</td>"
        f"<td>{'suspended' if i['suspended'] else e(str(i['error'] or 'ok'))}</td></tr>"
        for i in status.get("installations", [])
    ) or "<tr><td colspan=5>none seen yet</td></tr>"
    resync = status.get("resync") or {}
    when = resync.get("last_full_resync_iso") or "never"
    every = f"every {resync['interval_hours']:g} h" if resync.get("interval_hours") else "off"
    return (
        "<h2>Failures</h2><p>Redeliver them with <code>actionbot redeliver</code> (the next resync repairs them too).</p>"
        f"<table><tr><th>delivery</th><th>event</th><th>repository</th><th>outcome</th></tr>{failures}</table>"
        "<h2>Installations</h2><table><tr><th>id</th><th>account</th><th>repositories</th>"
        f"<th>rate limit remaining</th><th>state</th></tr>{installations}</table>"
        f"<p>Last full resync: {e(when)} ({e(every)}).</p>"
    )
