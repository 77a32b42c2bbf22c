"""Webhook endpoints: where an account receives its alerts, with secrets that rotate and a failure streak."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from services.watch.domain.ssrf import check_url
from services.watch.domain.webhooks import new_secret, parse_secret
from shared.aggregate import Aggregate
from shared.errors import InvalidInput
from shared.events.contracts.watch import DisabledReason, WebhookEndpointDisabled

ROTATION_OVERLAP = timedelta(hours=24)
FAILURE_WINDOW = timedelta(days=5)
_EVENT_TYPE = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")


class EndpointStatus(StrEnum):
    ENABLED = "enabled"
    DISABLED = "disabled"


@dataclass(frozen=True)
class EndpointSecret:
    """One signing secret; a replaced one keeps signing until `expires_at`."""

    value: str = field(repr=False)
    created_at: datetime
    expires_at: datetime | None = None

    def valid_at(self, at: datetime) -> bool:
        """Tell whether messages sent at `at` are still signed with this secret."""
        return self.expires_at is None or at < self.expires_at


@dataclass
class Endpoint(Aggregate):
    """A URL an account registered for its alerts (all its organisations, or one)."""

    id: str
    account_id: str
    url: str
    secrets: list[EndpointSecret]
    created_at: datetime
    organisation_id: str | None = None
    description: str = ""
    event_types: tuple[str, ...] = ()
    status: EndpointStatus = EndpointStatus.ENABLED
    disabled_reason: DisabledReason | None = None
    disabled_at: datetime | None = None
    failing_since: datetime | None = None

    @classmethod
    def create(
        cls,
        *,
        endpoint_id: str,
        account_id: str,
        url: str,
        at: datetime,
        organisation_id: str | None = None,
        description: str = "",
        event_types: Iterable[str] = (),
        secret: str | None = None,
    ) -> Endpoint:
        """Register an endpoint after checking its URL and filters; a secret is made unless given."""
        check_url(url)
        value = secret or new_secret()
        parse_secret(value)
        return cls(
            id=endpoint_id,
            account_id=account_id,
            url=url,
            secrets=[EndpointSecret(value, created_at=at)],
            created_at=at,
            organisation_id=organisation_id,
            description=description,
            event_types=_checked_event_types(event_types),
        )

    @property
    def enabled(self) -> bool:
        """Tell whether messages are delivered to this endpoint."""
        return self.status is EndpointStatus.ENABLED

    @property
    def secret(self) -> str:
        """Give the current secret (the one shown to the owner)."""
        return self.secrets[-1].value

    def signing_secrets(self, at: datetime) -> list[str]:
        """List the secrets a message sent at `at` is signed with, the current one first."""
        return [s.value for s in reversed(self.secrets) if s.valid_at(at)]

    def accepts(self, event_type: str) -> bool:
        """Tell whether this endpoint wants events of this type (no filter: every type)."""
        return not self.event_types or event_type in self.event_types

    def rotate(
        self, at: datetime, *, keep_previous_for: timedelta = ROTATION_OVERLAP, secret: str | None = None
    ) -> str:
        """Replace the secret; the previous one signs on for `keep_previous_for` for receivers to switch."""
        if keep_previous_for < timedelta(0):
            raise InvalidInput("The previous secret cannot stay valid for a negative time.")
        value = secret or new_secret()
        parse_secret(value)
        expires = at + keep_previous_for
        kept = [
            s if s.expires_at is not None else EndpointSecret(s.value, s.created_at, expires)
            for s in self.secrets
        ]
        self.secrets = [s for s in kept if s.valid_at(at)] + [EndpointSecret(value, created_at=at)]
        return value

    def record_success(self, at: datetime) -> None:
        """End the failure streak, unless the success is older than the streak (attempts may finish late)."""
        if self.failing_since is not None and at >= self.failing_since:
            self.failing_since = None

    def record_failure(self, at: datetime, *, window: timedelta = FAILURE_WINDOW) -> bool:
        """Extend the failure streak; True when this failure disables the endpoint (failing for `window`)."""
        if not self.enabled:
            return False
        if self.failing_since is None or at < self.failing_since:
            self.failing_since = at
        if at - self.failing_since < window:
            return False
        self._disable(at, DisabledReason.FAILING)
        return True

    def gone(self, at: datetime) -> bool:
        """Disable the endpoint at once because the receiver answered 410 Gone; True if it was enabled."""
        if not self.enabled:
            return False
        self._disable(at, DisabledReason.GONE)
        return True

    def disable(self, at: datetime) -> bool:
        """Disable the endpoint at its owner's request; True if it was enabled."""
        if not self.enabled:
            return False
        self._disable(at, DisabledReason.MANUAL)
        return True

    def enable(self, at: datetime) -> bool:
        """Enable the endpoint again with a clean failure streak; True if it was disabled."""
        if self.enabled:
            return False
        self.status, self.disabled_reason, self.disabled_at = EndpointStatus.ENABLED, None, None
        self.failing_since = None
        return True

    def _disable(self, at: datetime, reason: DisabledReason) -> None:
        self.status, self.disabled_reason, self.disabled_at = EndpointStatus.DISABLED, reason, at
        self.record(
            WebhookEndpointDisabled(
                endpoint_id=self.id,
                account_id=self.account_id,
                organisation_id=self.organisation_id,
                reason=reason,
                failing_since=self.failing_since,
                disabled_at=at,
            ),
            subject=self.account_id,
        )


def _checked_event_types(event_types: Iterable[str]) -> tuple[str, ...]:
    """Refuse a filter that is not a dotted event type; keep the first occurrence of each."""
    checked = tuple(dict.fromkeys(event_types))
    wrong = [t for t in checked if not _EVENT_TYPE.match(t)]
    if wrong:
        raise InvalidInput(f"Not an event type (like 'watch.alert.opened'): {', '.join(map(repr, wrong))}.")
    return checked
