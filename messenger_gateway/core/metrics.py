"""Prometheus metrics of one node (prometheus-client, one registry per app so several apps share a process).

Hot paths never touch a metric per socket: the bus and the presence engine keep plain integer counters that
this module reads when /metrics is scraped (`Metrics.gauge` / `Metrics.counter` take a function), and only the
HTTP middleware and the bus lag observe histograms, once per request or per event.
"""
from __future__ import annotations

from bisect import bisect_left
from typing import Callable, Iterable, Mapping

from prometheus_client import CollectorRegistry, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
Reading = Callable[[], float | Mapping[tuple[str, ...], float]]
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LAG_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0)


class _ReadAtScrape(Collector):
    """Metrics whose values are read from the running node when scraped."""

    def __init__(self) -> None:
        self._families: list[tuple[str, str, str, tuple[str, ...], Reading]] = []

    def add(self, kind: str, name: str, documentation: str, labels: tuple[str, ...], read: Reading) -> None:
        self._families.append((kind, name, documentation, labels, read))

    def collect(self) -> Iterable[Metric]:
        for kind, name, documentation, labels, read in self._families:
            family: GaugeMetricFamily | CounterMetricFamily
            if kind == "gauge":
                family = GaugeMetricFamily(name, documentation, labels=list(labels))
            else:
                family = CounterMetricFamily(name, documentation, labels=list(labels))
            value = read()
            if isinstance(value, Mapping):
                for label_values, number in value.items():
                    family.add_metric(list(label_values), number)
            else:
                family.add_metric([], value)
            yield family


class _HttpStats(Collector):
    """Requests by (route, method, status) and their latency histogram by (route, method).

    Kept in plain lists (one event loop, no locks) and turned into Prometheus families when scraped: observing
    one request is a dict lookup, a bisect and three additions, about a fifth of prometheus-client's
    Counter.inc + Histogram.observe, which take a lock per increment."""

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        # (route, method, status) -> [count, seconds in all, one count per bucket, then +Inf]
        self.series: dict[tuple[str, str, int], list[float]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = [0, 0.0] + [0] * (len(self.bounds) + 1)
        series[0] += 1
        series[1] += seconds
        series[2 + bisect_left(self.bounds, seconds)] += 1

    def collect(self) -> Iterable[Metric]:
        requests = CounterMetricFamily("messenger_http_requests",
                                       "HTTP requests answered, by route template, method and status",
                                       labels=["route", "method", "status"])
        by_route: dict[tuple[str, str], list[float]] = {}
        for (route, method, status), series in self.series.items():
            requests.add_metric([route, method, str(status)], series[0])
            total = by_route.setdefault((route, method), [0.0] * len(series))
            for i, value in enumerate(series):
                total[i] += value
        yield requests
        durations = HistogramMetricFamily("messenger_http_request_duration_seconds",
                                          "Time to answer an HTTP request, by route template and method",
                                          labels=["route", "method"])
        for (route, method), total in by_route.items():
            cumulative, buckets = 0.0, []
            for bound, count in zip((*self.bounds, float("inf")), total[2:]):
                cumulative += count
                buckets.append(("+Inf" if bound == float("inf") else repr(bound), cumulative))
            durations.add_metric([route, method], buckets, sum_value=total[1])
        yield durations


class Metrics:
    def __init__(self) -> None:
        # `_created` series double every counter's output and nobody graphs them (the function has no annotations)
        disable_created_metrics()  # type: ignore[no-untyped-call]
        self.registry = CollectorRegistry(auto_describe=False)
        self._scraped = _ReadAtScrape()
        self.registry.register(self._scraped)
        self._http = _HttpStats(HTTP_BUCKETS)
        self.registry.register(self._http)
        self.observe_request = self._http.observe  # (route, method, status, seconds), once per request
        self.bus_lag = Histogram(
            "messenger_bus_lag_seconds", "Time from a publish on another node to its delivery here (Redis bus)",
            buckets=LAG_BUCKETS, registry=self.registry)

    def gauge(self, name: str, documentation: str, read: Reading, labels: tuple[str, ...] = ()) -> None:
        self._scraped.add("gauge", name, documentation, labels, read)

    def counter(self, name: str, documentation: str, read: Reading, labels: tuple[str, ...] = ()) -> None:
        """`name` without `_total` (the client adds it); `read` returns the count so far."""
        self._scraped.add("counter", name, documentation, labels, read)

    def render(self) -> bytes:
        return generate_latest(self.registry)
