"""Use cases of the watch service on the in-memory fakes: fan-out, following diagnostics, deliveries."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pytest
from prometheus_client import CollectorRegistry

from services.watch.adapters.memory import MemoryWatchUnitOfWork
from services.watch.domain.deliveries import AttemptResult, DeliveryStatus, Outcome, RetrySchedule
from services.watch.domain.endpoints import Endpoint
from services.watch.domain.rules import parse_rule
from services.watch.metrics import WatchMetrics
from services.watch.service_layer import consuming, deliveries, notices, subscriptions
from services.watch.service_layer.alerting import AFFECTED_WEBHOOK_TYPE
from shared.auth import SCOPES, Principal
from shared.errors import Conflict, NotFound
from shared.events.contracts.assessment import AccountOpened
from shared.events.contracts.watch import OrganisationAffected, WebhookEndpointDisabled
from shared.model.editions import shipped_edition
from tests.unit.benchmark.events import registered, scored
from tests.unit.watch import notice

pytestmark = pytest.mark.asyncio
SCHEDULE = RetrySchedule(jitter=0.0)
NOW = datetime(2026, 11, 29, tzinfo=UTC)


def _principal(account: str) -> Principal:
    return Principal(account, frozenset(SCOPES), "premium", "token")


async def _world(levels: dict[str, int]) -> MemoryWatchUnitOfWork:
    """Organisations of acc_1 scored at each level (all indicators), a premium plan, edition 2.0.0."""
    uow = MemoryWatchUnitOfWork()
    await uow.model_versions.keep(shipped_edition("2.0.0"))
    await consuming.account_opened(AccountOpened(account_id="acc_1", plan="premium", opened_at=NOW), uow)
    for org, level in levels.items():
        await consuming.organisation_registered(registered(org), uow)
        await consuming.diagnostic_scored(SCHEDULE)(scored(org, level), uow)
    return uow


async def _publish(uow: MemoryWatchUnitOfWork, rule: str = "TIO2 < 3") -> str:
    draft = notice(rule=parse_rule(rule))
    await notices.create_notice(draft, uow=uow)
    await notices.publish_notice(draft.id, uow=uow)
    await notices.fan_out(draft.id, uow=uow, schedule=SCHEDULE, batch=1)
    return draft.id


class TestFanOut:
    async def test_only_the_organisations_the_rule_targets_are_alerted(self) -> None:
        uow = await _world({"org_low": 1, "org_high": 4})
        notice_id = await _publish(uow)
        assert {a.organisation_id for a in uow.alerts.items.values()} == {"org_low"}
        affected = [e for e in uow.published if isinstance(e, OrganisationAffected)]
        assert [(e.organisation_id, e.notice_id) for e in affected] == [("org_low", notice_id)]
        assert [i.organisation_id for i in uow.inbox.items.values()] == ["org_low"]

    async def test_a_second_fan_out_has_no_effect(self) -> None:
        uow = await _world({"org_low": 1})
        notice_id = await _publish(uow)
        events = len(uow.events)
        assert await notices.fan_out(notice_id, uow=uow, schedule=SCHEDULE, batch=10) == 0
        assert len(uow.events) == events

    async def test_a_published_notice_cannot_be_published_again(self) -> None:
        uow = await _world({"org_low": 1})
        notice_id = await _publish(uow)
        with pytest.raises(Conflict):
            await notices.publish_notice(notice_id, uow=uow)

    async def test_withdrawing_closes_the_alerts(self) -> None:
        uow = await _world({"org_low": 1})
        notice_id = await _publish(uow)
        await notices.withdraw_notice(notice_id, "date erronée", uow=uow)
        assert {a.status for a in uow.alerts.items.values()} == {"closed"}


class TestFollowingDiagnostics:
    async def test_a_later_diagnostic_resolves_then_a_worse_one_reopens(self) -> None:
        uow = await _world({"org_a": 1})
        await _publish(uow)
        await consuming.diagnostic_scored(SCHEDULE)(scored("org_a", 4, days=10), uow)
        assert [a.status for a in uow.alerts.items.values()] == ["resolved"]
        await consuming.diagnostic_scored(SCHEDULE)(scored("org_a", 0, days=20), uow)
        assert [a.status for a in uow.alerts.items.values()] == ["open"]

    async def test_a_new_organisation_matching_a_published_notice_is_alerted(self) -> None:
        uow = await _world({"org_a": 4})
        await _publish(uow)
        await consuming.diagnostic_scored(SCHEDULE)(scored("org_b", 1), uow)
        assert {a.organisation_id for a in uow.alerts.items.values()} == {"org_b"}

    async def test_a_repeated_scored_event_has_one_effect(self) -> None:
        uow = await _world({"org_a": 4})
        await _publish(uow)
        event = scored("org_b", 1)
        await consuming.diagnostic_scored(SCHEDULE)(event, uow)
        count = len(uow.events)
        await consuming.diagnostic_scored(SCHEDULE)(event, uow)
        assert len(uow.events) == count


class TestTenantIsolation:
    async def test_another_account_is_told_the_organisation_does_not_exist(self) -> None:
        uow = await _world({"org_a": 1})
        await _publish(uow)
        with pytest.raises(NotFound):
            await subscriptions.alerts(_principal("acc_2"), "org_a", status=None, uow=uow)
        alert_id = next(iter(uow.alerts.items))
        with pytest.raises(NotFound):
            await subscriptions.change_alert(
                _principal("acc_2"), "org_a", alert_id, lambda a, at: a.acknowledge(at), uow=uow
            )


@dataclass
class FakeSender:
    """Answers attempts from a script of outcomes."""

    outcomes: list[Outcome]
    sent: list[tuple[str, Mapping[str, str], bytes]] = field(default_factory=list)

    async def deliver(
        self, endpoint_url: str, headers: Mapping[str, str], body: bytes, *, redact: Sequence[str] = ()
    ) -> AttemptResult:
        self.sent.append((endpoint_url, headers, body))
        outcome = self.outcomes.pop(0)
        return AttemptResult(outcome, 204 if outcome is Outcome.DELIVERED else 500)


async def _with_endpoint() -> tuple[MemoryWatchUnitOfWork, Endpoint]:
    uow = await _world({"org_a": 1})
    endpoint = await subscriptions.create_endpoint(
        _principal("acc_1"),
        url="https://hooks.example.com/dimm",
        organisation_id=None,
        description="",
        event_types=[AFFECTED_WEBHOOK_TYPE],
        uow=uow,
    )
    await _publish(uow)
    return uow, endpoint


class TestDeliveries:
    async def test_a_failure_is_retried_then_delivered_and_the_endpoint_is_healthy(self) -> None:
        uow, endpoint = await _with_endpoint()
        sender = FakeSender([Outcome.FAILED, Outcome.DELIVERED])
        fast = RetrySchedule(jitter=0.0, compress=1_000_000)
        metrics = WatchMetrics(CollectorRegistry())
        for _ in range(2):
            for delivery in await uow.deliveries.due(datetime.now(UTC) + fast.first_delay * 10**6, limit=10):
                await deliveries.attempt(
                    delivery, uow=uow, sender=sender, schedule=fast, disable_after=5, observer=metrics
                )
        # The retried failure closed nothing; the success closed the delivery, counted once.
        assert metrics.webhook_deliveries.labels("delivered")._value.get() == 1
        assert metrics.webhook_deliveries.labels("exhausted")._value.get() == 0
        (delivery,) = await uow.deliveries.of_endpoint(endpoint.id)
        assert delivery.status is DeliveryStatus.DELIVERED
        assert [a.outcome for a in delivery.attempts] == [Outcome.FAILED, Outcome.DELIVERED]
        assert sender.sent[0][1]["webhook-id"] == sender.sent[1][1]["webhook-id"]
        stored = await uow.endpoints.get(endpoint.id)
        assert stored is not None
        assert stored.enabled
        assert stored.failing_since is None

    async def test_a_410_disables_the_endpoint_and_says_so(self) -> None:
        uow, endpoint = await _with_endpoint()
        (delivery,) = await uow.deliveries.of_endpoint(endpoint.id)
        metrics = WatchMetrics(CollectorRegistry())
        await deliveries.attempt(
            delivery,
            uow=uow,
            sender=FakeSender([Outcome.GONE]),
            schedule=SCHEDULE,
            disable_after=5,
            observer=metrics,
        )
        stored = await uow.endpoints.get(endpoint.id)
        assert stored is not None
        assert not stored.enabled
        assert metrics.endpoints_disabled._value.get() == 1
        assert metrics.webhook_deliveries.labels("cancelled")._value.get() == 1
        assert any(isinstance(e, WebhookEndpointDisabled) for e in uow.published)
