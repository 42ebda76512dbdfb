"""A small Prometheus text-format registry (counters, gauges, histograms with labels).

The bot exposes a handful of series; a dependency for that is not worth it.
"""

from __future__ import annotations

import bisect
from collections import defaultdict

Labels = tuple[tuple[str, str], ...]

DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


def _labels(labels: dict[str, str]) -> Labels:
    return tuple(sorted((k, str(v)) for k, v in labels.items()))


def _fmt(labels: Labels, extra: tuple[tuple[str, str], ...] = ()) -> str:
    items = labels + extra
    if not items:
        return ""
    body = ",".join(f'{k}="{_escape(v)}"' for k, v in items)
    return "{" + body + "}"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


class Metric:
    def __init__(self, name: str, help: str, kind: str) -> None:
        self.name, self.help, self.kind = name, help, kind

    def header(self) -> list[str]:
        return [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} {self.kind}"]


class Counter(Metric):
    def __init__(self, name: str, help: str) -> None:
        super().__init__(name, help, "counter")
        self.values: dict[Labels, float] = defaultdict(float)

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        self.values[_labels(labels)] += amount

    def get(self, **labels: str) -> float:
        return self.values.get(_labels(labels), 0.0)

    def render(self) -> list[str]:
        return self.header() + [f"{self.name}{_fmt(k)} {v:g}" for k, v in sorted(self.values.items())]


class Gauge(Metric):
    def __init__(self, name: str, help: str) -> None:
        super().__init__(name, help, "gauge")
        self.values: dict[Labels, float] = {}

    def set(self, value: float, **labels: str) -> None:
        self.values[_labels(labels)] = value

    def get(self, **labels: str) -> float | None:
        return self.values.get(_labels(labels))

    def render(self) -> list[str]:
        return self.header() + [f"{self.name}{_fmt(k)} {v:g}" for k, v in sorted(self.values.items())]


class Histogram(Metric):
    def __init__(self, name: str, help: str, buckets: tuple[float, ...] = DURATION_BUCKETS) -> None:
        super().__init__(name, help, "histogram")
        self.buckets = buckets
        self.counts: dict[Labels, list[int]] = {}
        self.sums: dict[Labels, float] = defaultdict(float)

    def observe(self, value: float, **labels: str) -> None:
        key = _labels(labels)
        counts = self.counts.setdefault(key, [0] * (len(self.buckets) + 1))
        counts[bisect.bisect_left(self.buckets, value)] += 1
        self.sums[key] += value

    def count(self, **labels: str) -> int:
        return sum(self.counts.get(_labels(labels), []))

    def render(self) -> list[str]:
        lines = self.header()
        for key, counts in sorted(self.counts.items()):
            running = 0
            for bound, n in zip((*self.buckets, float("inf")), counts, strict=True):
                running += n
                le = "+Inf" if bound == float("inf") else f"{bound:g}"
                lines.append(f"{self.name}_bucket{_fmt(key, (('le', le),))} {running}")
            lines.append(f"{self.name}_sum{_fmt(key)} {self.sums[key]:g}")
            lines.append(f"{self.name}_count{_fmt(key)} {running}")
        return lines


class BotMetrics:
    """Every series the bot exposes at /metrics."""

    def __init__(self) -> None:
        self.deliveries = Counter("asyncguard_webhook_deliveries_total", "Webhook deliveries by event and outcome.")
        self.jobs = Histogram("asyncguard_job_duration_seconds", "Duration of background jobs by kind and outcome.")
        self.api_calls = Counter("asyncguard_github_api_calls_total", "GitHub API calls by method and status.")
        self.rate_remaining = Gauge(
            "asyncguard_github_rate_limit_remaining", "x-ratelimit-remaining last seen, by installation."
        )
        self.queue_depth = Gauge("asyncguard_queue_depth", "Jobs in the store by status (queued, running, dead).")
        self.oldest_job_age = Gauge("asyncguard_queue_oldest_age_seconds", "Age of the oldest queued job.")
        self.job_age = Histogram("asyncguard_job_wait_seconds", "Time from enqueue to claim, by kind.")
        self.job_retries = Counter("asyncguard_job_retries_total", "Job attempts after the first, by kind.")
        self.dead_jobs = Counter("asyncguard_jobs_dead_total", "Jobs that ran out of attempts, by kind.")
        self.runs = Counter("asyncguard_pr_runs_total", "PR runs by conclusion.")

    def render(self) -> str:
        out: list[str] = []
        for metric in (self.deliveries, self.jobs, self.api_calls, self.rate_remaining, self.queue_depth,
                       self.oldest_job_age, self.job_age, self.job_retries, self.dead_jobs, self.runs):
            out.extend(metric.render())
        return "\n".join(out) + "\n"
