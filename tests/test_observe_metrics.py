"""Request metrics keep the Prometheus shape of a Counter and a Histogram by route template."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from service.observe import LATENCY_BUCKETS, _RequestMetrics


def _exposition(metrics: _RequestMetrics) -> str:
    registry = CollectorRegistry()
    registry.register(metrics)
    return generate_latest(registry).decode()


def test_counts_and_latency_buckets_by_route_template() -> None:
    metrics = _RequestMetrics()
    metrics.record("GET", "/api/v1/org", 200, 0.003)
    metrics.record("GET", "/api/v1/org", 200, 0.002)  # a bucket's bound is inclusive
    metrics.record("GET", "/api/v1/org", 404, 7.0)  # beyond the last bound: only +Inf
    text = _exposition(metrics)

    assert "# TYPE candor_http_requests_total counter" in text
    assert 'candor_http_requests_total{method="GET",route="/api/v1/org",status="200"} 2.0' in text
    assert 'candor_http_requests_total{method="GET",route="/api/v1/org",status="404"} 1.0' in text
    assert "# TYPE candor_http_request_duration_seconds histogram" in text
    bucket = (
        'candor_http_request_duration_seconds_bucket{{le="{}",method="GET",route="/api/v1/org"}} {}'
    )
    assert bucket.format("0.002", "1.0") in text
    assert bucket.format("0.005", "2.0") in text
    assert bucket.format("5.0", "2.0") in text
    assert bucket.format("+Inf", "3.0") in text
    assert (
        'candor_http_request_duration_seconds_count{method="GET",route="/api/v1/org"} 3.0' in text
    )
    assert (
        'candor_http_request_duration_seconds_sum{method="GET",route="/api/v1/org"} 7.005' in text
    )
    assert text.count("_bucket{") == len(LATENCY_BUCKETS) + 1


def test_the_respondents_routes_are_never_counted() -> None:
    from service.observe import UNCOUNTED

    metrics = _RequestMetrics()
    for route in ("/s/{token:str}", "/api/v1/respond/{token:str}", "/optout/{token:str}"):
        assert route.startswith(UNCOUNTED)
        metrics.record("POST", route, 200, 0.01)
    assert metrics.counts == {} and metrics.latency == {}
