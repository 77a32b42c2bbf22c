"""Every metric of the watch service beyond the messaging kernel's, declared once per app."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter

from services.watch.domain.deliveries import AttemptResult, DeliveryStatus, Outcome
from services.watch.domain.emails import OutgoingEmail
from services.watch.domain.mailings import DeliveryFailed
from services.watch.service_layer.deliveries import Sender
from services.watch.service_layer.mailings import MailSender

EMAIL_OUTCOMES = ("sent", "refused_transient", "refused_permanent")


class WatchMetrics:
    """Webhook attempts and e-mails by outcome: what delivery alerts read."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.webhook_attempts = Counter(
            "dimm_webhook_attempts_total",
            "Webhook delivery attempts, by outcome (delivered, failed, gone, refused, timeout, …).",
            ["outcome"],
            registry=registry,
        )
        self.emails = Counter(
            "dimm_emails_total",
            "E-mails handed to the SMTP server, by outcome.",
            ["outcome"],
            registry=registry,
        )
        self.webhook_deliveries = Counter(
            "dimm_webhook_deliveries_total",
            "Webhook deliveries that ended, by status (delivered, exhausted: every retry failed, cancelled).",
            ["status"],
            registry=registry,
        )
        self.endpoints_disabled = Counter(
            "dimm_webhook_endpoints_disabled_total",
            "Webhook endpoints disabled (gone, or failing for the whole window).",
            registry=registry,
        )
        # Present at 0 from the start, so an increase() alert sees the very first one.
        for status in (DeliveryStatus.DELIVERED, DeliveryStatus.EXHAUSTED, DeliveryStatus.CANCELLED):
            self.webhook_deliveries.labels(status.value)
        for outcome in Outcome:
            self.webhook_attempts.labels(outcome.value)
        for name in EMAIL_OUTCOMES:
            self.emails.labels(name)

    def delivery_closed(self, status: DeliveryStatus) -> None:
        """Count a delivery that ended."""
        self.webhook_deliveries.labels(status.value).inc()

    def endpoint_disabled(self) -> None:
        """Count an endpoint disabled."""
        self.endpoints_disabled.inc()


@dataclass(frozen=True)
class CountingSender:
    """The webhook client, each attempt counted by outcome."""

    sender: Sender
    metrics: WatchMetrics

    async def deliver(
        self, endpoint_url: str, headers: Mapping[str, str], body: bytes, *, redact: Sequence[str] = ()
    ) -> AttemptResult:
        """Make one attempt and count its outcome."""
        result = await self.sender.deliver(endpoint_url, headers, body, redact=redact)
        self.metrics.webhook_attempts.labels(result.outcome.value).inc()
        return result


@dataclass(frozen=True)
class CountingMailer:
    """The SMTP sender, each e-mail counted by outcome."""

    mailer: MailSender
    metrics: WatchMetrics

    async def send(self, message: OutgoingEmail) -> None:
        """Send one e-mail and count how it went."""
        try:
            await self.mailer.send(message)
        except DeliveryFailed as exc:
            self.metrics.emails.labels("refused_transient" if exc.transient else "refused_permanent").inc()
            raise
        self.metrics.emails.labels("sent").inc()
