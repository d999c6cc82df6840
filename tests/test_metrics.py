"""Prometheus metrics: names, values, isolation between apps, and the /metrics route."""

from __future__ import annotations

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from actionbot.service.metrics import Metrics


def samples(m: Metrics) -> dict[tuple[str, tuple], float]:
    body, content_type = m.render()
    assert content_type.startswith("text/plain; version=0.0.4")
    out = {}
    for family in text_string_to_metric_families(body.decode()):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_every_metric_is_named_actionbot():
    m = Metrics()
    names = {family.name for family in m.registry.collect()}
    assert names >= {
        "actionbot_deliveries",
        "actionbot_delivery_processing_seconds",
        "actionbot_github_requests",
        "actionbot_github_writes",
        "actionbot_queue_depth",
        "actionbot_rate_limit_remaining",
        "actionbot_last_full_resync_timestamp_seconds",
    }
    assert all(n.startswith("actionbot_") for n in names)


def test_recorded_values_show_in_the_exposition():
    m = Metrics()
    m.record_delivery("push", "processed", 0.2)
    m.record_delivery("push", "processed", 3.0)
    m.record_delivery("issue_comment", "failed", 0.01)
    m.record_delivery("push", "duplicate", None)  # counted, not timed
    m.record_request(200, is_write=False)
    m.record_request(201, is_write=True)
    m.record_request(None, is_write=True)
    m.track_queue_depth(lambda: 7)
    m.set_rate_limit(1234, 4990)
    m.set_rate_limit(1234, 4980)
    m.set_rate_limit(99, None)  # no header: nothing recorded
    m.mark_full_resync(1_700_000_000)
    s = samples(m)
    assert s[("actionbot_deliveries_total", (("event", "push"), ("outcome", "processed")))] == 2
    assert s[("actionbot_deliveries_total", (("event", "issue_comment"), ("outcome", "failed")))] == 1
    assert s[("actionbot_deliveries_total", (("event", "push"), ("outcome", "duplicate")))] == 1
    assert s[("actionbot_delivery_processing_seconds_count", (("event", "push"),))] == 2
    assert s[("actionbot_delivery_processing_seconds_sum", (("event", "push"),))] == 3.2
    assert s[("actionbot_delivery_processing_seconds_bucket", (("event", "push"), ("le", "0.25")))] == 1
    assert s[("actionbot_github_requests_total", (("status", "200"),))] == 1
    assert s[("actionbot_github_requests_total", (("status", "error"),))] == 1
    assert s[("actionbot_github_writes_total", ())] == 2
    assert s[("actionbot_queue_depth", ())] == 7
    assert s[("actionbot_rate_limit_remaining", (("installation", "1234"),))] == 4980
    assert ("actionbot_rate_limit_remaining", (("installation", "99"),)) not in s
    assert s[("actionbot_last_full_resync_timestamp_seconds", ())] == 1_700_000_000
    m.forget_installation(1234)
    m.forget_installation(1234)  # twice is harmless
    assert ("actionbot_rate_limit_remaining", (("installation", "1234"),)) not in samples(m)
    m.set_rate_limit(1234, 4000)  # reinstalled: a new series, not the forgotten (cached) one
    assert samples(m)[("actionbot_rate_limit_remaining", (("installation", "1234"),))] == 4000


def test_two_apps_in_one_process_do_not_collide_or_touch_the_global_registry():
    a, b = Metrics(), Metrics()  # the global registry would raise "Duplicated timeseries"
    a.record_delivery("push", "processed", 0.1)
    assert samples(b).get(("actionbot_deliveries_total", (("event", "push"), ("outcome", "processed")))) is None
    assert not [f for f in REGISTRY.collect() if f.name.startswith("actionbot_")]


def test_queue_depth_can_follow_the_queue():
    m = Metrics()
    queue = [1, 2, 3]
    m.track_queue_depth(lambda: len(queue))
    assert samples(m)[("actionbot_queue_depth", ())] == 3
    queue.clear()
    assert samples(m)[("actionbot_queue_depth", ())] == 0


def test_openmetrics_when_asked():
    m = Metrics()
    body, content_type = m.render("application/openmetrics-text; version=1.0.0")
    assert content_type.startswith("application/openmetrics-text")
    assert body.rstrip().endswith(b"# EOF")
