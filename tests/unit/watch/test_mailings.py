"""E-mail use cases on the fakes: an alert's own e-mail, digests once per period, reminders, milestones."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pytest

from services.watch.adapters.memory import MemoryWatchUnitOfWork
from services.watch.domain.deliveries import Delivery, Message
from services.watch.domain.digests import digest_period
from services.watch.domain.emails import OutgoingEmail
from services.watch.domain.mailings import DeliveryFailed
from services.watch.domain.preferences import Preferences
from services.watch.domain.rules import parse_rule
from services.watch.service_layer import consuming, mailings, notices, reminders
from services.watch.service_layer.mailings import MailLinks
from shared.events.contracts.assessment import AccountOpened, OrganisationErased
from shared.model.editions import shipped_edition
from tests.unit.benchmark.events import registered, scored
from tests.unit.watch import notice
from tests.unit.watch.test_use_cases import SCHEDULE

pytestmark = pytest.mark.asyncio
LINKS = MailLinks("https://dimm.example.org")
T0 = datetime(2026, 11, 1, tzinfo=UTC)


@dataclass
class FakeMail:
    """Accepts or refuses e-mails from a script."""

    refusals: list[DeliveryFailed] = field(default_factory=list)
    sent: list[OutgoingEmail] = field(default_factory=list)

    async def send(self, message: OutgoingEmail) -> None:
        if self.refusals:
            raise self.refusals.pop(0)
        self.sent.append(message)


async def _world(*, email_cadence: str, severity: str = "warning") -> MemoryWatchUnitOfWork:
    uow = MemoryWatchUnitOfWork()
    await uow.model_versions.keep(shipped_edition("2.0.0"))
    await consuming.account_opened(AccountOpened(account_id="acc_1", plan="premium", opened_at=T0), uow)
    preferences = Preferences("acc_1", email="dpo@example.org")
    preferences.choose("email", email_cadence)
    await uow.preferences.save("acc_1", preferences)
    await consuming.organisation_registered(registered("org_a"), uow)
    await consuming.diagnostic_scored(SCHEDULE, LINKS)(scored("org_a", 1), uow)
    draft = notice(rule=parse_rule("TIO2 < 3"), severity=severity)
    await notices.create_notice(draft, uow=uow)
    await notices.publish_notice(draft.id, uow=uow)
    await notices.fan_out(draft.id, uow=uow, schedule=SCHEDULE, batch=10, links=LINKS)
    return uow


class TestAlertEmails:
    async def test_an_immediate_subscriber_gets_the_alert_by_email_at_once(self) -> None:
        uow = await _world(email_cadence="immediately")
        mail = FakeMail()
        assert await mailings.send_due(unit_of_work=lambda: uow, sender=mail) == 1
        (message,) = mail.sent
        assert message.to == "dpo@example.org"
        assert "/watch/v1/organisations/org_a/veille" in message.text

    async def test_a_digest_subscriber_gets_nothing_at_once_except_a_critical_notice(self) -> None:
        assert not (await _world(email_cadence="daily")).mails.items
        assert len((await _world(email_cadence="daily", severity="critical")).mails.items) == 1

    async def test_a_transient_refusal_is_retried_and_a_permanent_one_given_up(self) -> None:
        uow = await _world(email_cadence="immediately")
        mail = FakeMail(
            [DeliveryFailed("busy", transient=True), DeliveryFailed("no such user", transient=False)]
        )
        await mailings.send_due(unit_of_work=lambda: uow, sender=mail, compress=1e9)
        (staged,) = uow.mails.items.values()
        assert staged.status == "pending"
        await mailings.send_due(unit_of_work=lambda: uow, sender=mail, compress=1e9)
        assert next(iter(uow.mails.items.values())).status == "failed"
        assert mail.sent == []


class TestDigests:
    async def test_one_digest_per_subscriber_and_period_whatever_the_runs(self) -> None:
        uow = await _world(email_cadence="daily")
        created = next(iter(uow.inbox.items.values())).created_at
        for _ in range(2):
            await mailings.send_digests("daily", uow=uow, links=LINKS, at=created + timedelta(days=1))
        (digest,) = uow.mails.items.values()
        assert "Veille DIMM" in digest.message.subject or digest.message.subject

    async def test_no_digest_for_a_period_without_items(self) -> None:
        uow = await _world(email_cadence="daily")
        created = next(iter(uow.inbox.items.values())).created_at
        await mailings.send_digests("daily", uow=uow, links=LINKS, at=created + timedelta(days=3))
        assert not uow.mails.items


class TestReminders:
    async def test_an_old_diagnostic_is_reminded_once_then_every_three_months(self) -> None:
        uow = await _world(email_cadence="weekly")
        scored_at = next(iter(uow.diagnostics.watched.values())).scored_at
        after, every = timedelta(days=365), timedelta(days=91)
        runs = [scored_at + timedelta(days=d) for d in (100, 366, 367, 400, 458, 459)]
        counts = [
            await reminders.remind(uow=uow, links=LINKS, at=at, after=after, every=every) for at in runs
        ]
        assert counts == [0, 1, 0, 0, 1, 0]
        assert sum(1 for i in uow.inbox.items.values() if i.notice_id == reminders.REMINDER_NOTICE) == 2


class TestMilestones:
    async def test_the_deadline_day_puts_one_item_in_the_inbox(self) -> None:
        uow = await _world(email_cadence="weekly")
        published = next(iter(uow.notices.items.values()))
        published.deadline = T0.date() + timedelta(days=30)
        await uow.notices.save(published)
        for _ in range(2):
            await reminders.milestones(uow=uow, today=published.deadline, at=T0)
        titles = [i.title for i in uow.inbox.items.values()]
        assert sum(t.startswith("Échéance aujourd'hui") for t in titles) == 1


class TestErasure:
    async def test_an_erased_organisation_leaves_alerts_inbox_emails_and_webhook_messages(self) -> None:
        uow = await _world(email_cadence="immediately")
        await uow.deliveries.add(*_message_about("org_a"), organisation_id="org_a")
        erased = OrganisationErased(organisation_id="org_a", account_id="acc_1", erased_at=T0)
        await consuming.organisation_erased(erased, uow)
        assert not uow.alerts.items
        assert not uow.inbox.items
        assert not uow.mails.items
        assert not uow.deliveries.items
        assert not uow.deliveries.messages
        assert await uow.diagnostics.latest("org_a") is None


def _message_about(organisation_id: str) -> tuple[Delivery, Message]:
    message = Message.new(endpoint_id="ep_1", event_type="watch.organisation.affected", payload=b"{}", at=T0)
    return Delivery.start(message, SCHEDULE), message


class TestMissedPeriods:
    @pytest.mark.parametrize(
        ("cadence", "day"),
        [("daily", date(2026, 3, 29)), ("daily", date(2026, 10, 25)), ("weekly", date(2026, 11, 25))],
    )
    async def test_the_moment_given_stages_the_period_holding_the_day(self, cadence: str, day: date) -> None:
        period = digest_period(cadence, mailings.sent_after(cadence, day))  # type: ignore[arg-type]
        assert period.first_day <= day <= period.last_day
