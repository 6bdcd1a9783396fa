"""The hub's Prometheus metrics (docs/operations.md lists them with the alert rules).

Each hub has a registry of its own (a test runs several hubs in one process). Counters
and histograms are observed where the thing happens: calls at the gate, lateness when a
deadline fires, the group size when the writer commits. What the database holds
(handoffs, duty alerts, inbox backlog) is counted from it at each scrape
(hub/store/census.py): every replica reads the same rows, so each answers for all.
"""

from __future__ import annotations

import datetime as dt

from lifeline.hub.v1 import handoff_pb2
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from hub.store.census import Census

H = handoff_pb2.Handoff


class HubMetrics:
    def __init__(self, replica: str) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.calls = Counter(
            "lifeline_calls",
            "gRPC calls answered, by method and status code",
            ["method", "code"],
            registry=r,
        )
        self.signals = Counter(
            "lifeline_signals", "Signals the hub took in, by source", ["source"], registry=r
        )
        self.lateness = Histogram(
            "lifeline_deadline_lateness_seconds",
            "How long after its due time each deadline fired",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
            registry=r,
        )
        self.group_size = Histogram(
            "lifeline_group_commit_units",
            "Units of work committed together by one fsync",
            buckets=(1, 2, 4, 8, 16, 32, 64, 128),
            registry=r,
        )
        self.open_streams = Gauge(
            "lifeline_open_streams", "Inbox streams open on this replica", registry=r
        )
        self.handoffs = Gauge(
            "lifeline_handoffs", "Handoffs, by kind and state", ["kind", "state"], registry=r
        )
        self.duty_alerts_waiting = Gauge(
            "lifeline_duty_alerts_open", "Duty alerts nobody has taken yet", registry=r
        )
        self.oldest_alert = Gauge(
            "lifeline_duty_alert_oldest_open_seconds",
            "Age of the oldest duty alert nobody has taken (0: none)",
            registry=r,
        )
        self.oldest_imminent_dispatch = Gauge(
            "lifeline_imminent_dispatch_oldest_unacknowledged_seconds",
            "Age of the oldest unacknowledged DISPATCH of an IMMINENT case (0: none)",
            registry=r,
        )
        self.backlog = Gauge(
            "lifeline_inbox_backlog_messages",
            "Messages written to parties' inboxes and not yet acknowledged, by role",
            ["role"],
            registry=r,
        )
        self.replica = Gauge(
            "lifeline_replica_info",
            "This replica's id (the value is always 1)",
            ["replica"],
            registry=r,
        )
        self.replica.labels(replica).set(1)

    def observe_lateness(self, late_seconds: list[float]) -> None:
        for late in late_seconds:
            self.lateness.observe(max(0.0, late))

    def take_census(self, census: Census, now: dt.datetime) -> None:
        """Sets the gauges counted from the database."""
        self.handoffs.clear()
        waiting = 0
        for (kind, state), n in census.handoffs.items():
            kind_name = handoff_pb2.HandoffKind.Name(kind).removeprefix("HANDOFF_KIND_")
            state_name = H.State.Name(state).removeprefix("STATE_")
            self.handoffs.labels(kind_name, state_name).set(n)
            if kind == handoff_pb2.HANDOFF_KIND_DUTY_ALERT and state in (
                H.STATE_PENDING,
                H.STATE_DELIVERED,
            ):
                waiting += n
        self.duty_alerts_waiting.set(waiting)
        self.oldest_alert.set(_age(census.oldest_waiting_alert, now))
        self.oldest_imminent_dispatch.set(_age(census.oldest_waiting_imminent_dispatch, now))
        self.backlog.clear()
        for role, n in census.inbox_backlog.items():
            self.backlog.labels(role).set(n)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def _age(since: dt.datetime | None, now: dt.datetime) -> float:
    return 0.0 if since is None else max(0.0, (now - since).total_seconds())
