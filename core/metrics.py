"""Prometheus metrics of one node (prometheus-client, one registry per app so several apps share a process).

Hot paths never touch a metric per socket: the bus and the presence engine keep plain integer counters that
this module reads when /metrics is scraped (`Metrics.gauge` / `Metrics.counter` take a function), and only the
HTTP middleware and the bus lag observe histograms, once per request or per event.
"""
from __future__ import annotations

from typing import Callable, Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram, disable_created_metrics, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
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


class Metrics:
    def __init__(self) -> None:
        disable_created_metrics()  # `_created` series double every counter's output and nobody graphs them
        self.registry = CollectorRegistry(auto_describe=False)
        self._scraped = _ReadAtScrape()
        self.registry.register(self._scraped)
        self.http_requests = Counter(
            "messenger_http_requests", "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"], registry=self.registry)
        self.http_duration = Histogram(
            "messenger_http_request_duration_seconds", "Time to answer an HTTP request, by route template and method",
            ["route", "method"], buckets=HTTP_BUCKETS, registry=self.registry)
        self.bus_lag = Histogram(
            "messenger_bus_lag_seconds", "Time from a publish on another node to its delivery here (Redis bus)",
            buckets=LAG_BUCKETS, registry=self.registry)
        # (route, method, status) -> (counter child, histogram child): labels() costs a lock and a hash each time
        self._http_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}

    def gauge(self, name: str, documentation: str, read: Reading, labels: tuple[str, ...] = ()) -> None:
        self._scraped.add("gauge", name, documentation, labels, read)

    def counter(self, name: str, documentation: str, read: Reading, labels: tuple[str, ...] = ()) -> None:
        """`name` without `_total` (the client adds it); `read` returns the count so far."""
        self._scraped.add("counter", name, documentation, labels, read)

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        children = self._http_children.get(key)
        if children is None:
            children = (self.http_requests.labels(route, method, str(status)), self.http_duration.labels(route, method))
            self._http_children[key] = children
        children[0].inc()
        children[1].observe(seconds)

    def render(self) -> bytes:
        return generate_latest(self.registry)
