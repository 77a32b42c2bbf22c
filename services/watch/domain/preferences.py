"""Delivery preferences per channel and notice kind, and the routing of one alert to the channels.

Routing rules (decided here, tested table by table):
- `off` is always honoured, whatever the severity.
- `critical` bypasses digests on every channel: a daily or weekly cadence becomes `immediately`.
- Webhooks carry one event per alert: their cadence is `immediately` or `off`, never a digest.
- A free account has no preferences: it gets critical regulatory notices in its inbox, at once,
  and nothing else on any channel (stored preferences of a former premium account are ignored).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, get_args

from services.watch.domain.inbox import NOTICE_KINDS, NoticeKind, Severity
from shared.errors import InvalidInput
from shared.events.contracts.assessment import Plan as Plan

Channel = Literal["inbox", "email", "webhook"]
Cadence = Literal["immediately", "daily", "weekly", "off"]

CHANNELS: tuple[Channel, ...] = ("inbox", "email", "webhook")
CADENCES: tuple[Cadence, ...] = get_args(Cadence)
DEFAULTS: Mapping[Channel, Cadence] = {"inbox": "immediately", "email": "weekly", "webhook": "immediately"}
DIGESTS: frozenset[Cadence] = frozenset({"daily", "weekly"})
_WITHOUT_DIGEST: frozenset[Channel] = frozenset({"webhook"})

Table = dict[Channel, dict[NoticeKind, Cadence]]


@dataclass
class Preferences:
    """How often an account wants to hear about each kind of notice on each channel."""

    account_id: str
    choices: dict[tuple[Channel, NoticeKind], Cadence] = field(default_factory=dict)
    email: str | None = None
    """Where e-mail alerts go; none set, no e-mail is sent."""

    def cadence(self, channel: Channel, kind: NoticeKind) -> Cadence:
        """Give the chosen cadence of a channel for a kind of notice, or the channel's default."""
        return self.choices.get((channel, kind), DEFAULTS[channel])

    def choose(self, channel: str, cadence: str, *, kind: str | None = None) -> None:
        """Set the cadence of a channel for one kind of notice, or for every kind when none is given."""
        checked_channel, checked_cadence = _checked(channel, cadence)
        kinds = NOTICE_KINDS if kind is None else (_checked_kind(kind),)
        for each in kinds:
            self.choices[(checked_channel, each)] = checked_cadence

    def reset(self) -> None:
        """Go back to the defaults on every channel."""
        self.choices.clear()

    def table(self) -> Table:
        """Give every channel's cadence for every kind of notice, defaults filled in."""
        return {channel: {kind: self.cadence(channel, kind) for kind in NOTICE_KINDS} for channel in CHANNELS}

    def stored(self) -> dict[str, dict[str, str]]:
        """Give the explicit choices only, as a table (the defaults may change later)."""
        table: dict[str, dict[str, str]] = {}
        for (channel, kind), cadence in self.choices.items():
            table.setdefault(channel, {})[kind] = cadence
        return table

    @classmethod
    def from_table(
        cls,
        account_id: str,
        table: Table | Mapping[str, Mapping[str, str]],
        *,
        email: str | None = None,
    ) -> Preferences:
        """Rebuild preferences from a table of cadences (unknown entries are refused)."""
        preferences = cls(account_id, email=email)
        for channel, by_kind in table.items():
            for kind, cadence in by_kind.items():
                preferences.choose(channel, cadence, kind=kind)
        return preferences


def route(
    plan: Plan, severity: Severity, kind: NoticeKind, preferences: Preferences
) -> dict[Channel, Cadence]:
    """Decide, per channel, when an alert of a severity and kind reaches an account."""
    if plan == "free":
        return _free(severity, kind)
    routes: dict[Channel, Cadence] = {}
    for channel in CHANNELS:
        cadence = preferences.cadence(channel, kind)
        routes[channel] = "immediately" if severity == "critical" and cadence in DIGESTS else cadence
    return routes


def _free(severity: Severity, kind: NoticeKind) -> dict[Channel, Cadence]:
    legal_emergency = severity == "critical" and kind == "regulatory"
    return {"inbox": "immediately" if legal_emergency else "off", "email": "off", "webhook": "off"}


def _checked(channel: str, cadence: str) -> tuple[Channel, Cadence]:
    if channel not in CHANNELS:
        raise InvalidInput(f"Unknown channel {channel!r}; expected one of {', '.join(CHANNELS)}.")
    if cadence not in CADENCES:
        raise InvalidInput(f"Unknown cadence {cadence!r}; expected one of {', '.join(CADENCES)}.")
    if channel in _WITHOUT_DIGEST and cadence in DIGESTS:
        raise InvalidInput(f"The {channel} channel sends each alert on its own: choose immediately or off.")
    return channel, cadence


def _checked_kind(kind: str) -> NoticeKind:
    if kind not in NOTICE_KINDS:
        raise InvalidInput(f"Unknown notice kind {kind!r}; expected one of {', '.join(NOTICE_KINDS)}.")
    return kind
