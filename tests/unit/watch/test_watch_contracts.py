"""The watch event contracts: valid examples, strict producers, tolerant readers, no personal data."""

from __future__ import annotations

import json

import pytest

from shared.events.contracts import watch
from shared.events.contracts.watch import (
    AFFECTED_EXAMPLE,
    NOTICE_EXAMPLE,
    AlertChanged,
    DisabledReason,
    NoticePublished,
    NoticeWithdrawn,
    OrganisationAffected,
    WebhookEndpointDisabled,
)
from shared.events.envelope import Event, EventRegistry, decode, encode, new_envelope
from tests.unit.watch import NOW

EXAMPLES: list[Event] = [
    NoticePublished.model_validate(NOTICE_EXAMPLE),
    NoticeWithdrawn(notice_id="ntc_eaa_2025", reason="date erronée", withdrawn_at=NOW),
    OrganisationAffected.model_validate(AFFECTED_EXAMPLE),
    AlertChanged(
        alert_id="alr_1",
        organisation_id="org_1",
        notice_id="ntc_1",
        diagnostic_id="dg_1",
        status="resolved",
        previous_status="open",
        reason="diagnostic_no_longer_matches",
        changed_at=NOW,
    ),
    WebhookEndpointDisabled(
        endpoint_id="whe_1",
        account_id="acc_1",
        organisation_id=None,
        reason=DisabledReason.FAILING,
        failing_since=NOW,
        disabled_at=NOW,
    ),
]


def _registry() -> EventRegistry:
    registry = EventRegistry()
    watch.register(registry)
    return registry


class TestRegistration:
    def test_every_watch_event_is_registered_under_its_type(self) -> None:
        assert set(_registry()._models) == {
            "dimm.watch.notice.published.v1",
            "dimm.watch.notice.withdrawn.v1",
            "dimm.watch.organisation.affected.v1",
            "dimm.watch.alert.changed.v1",
            "dimm.watch.webhook_endpoint.disabled.v1",
        }


class TestExamples:
    @pytest.mark.parametrize("model", [NoticePublished, OrganisationAffected])
    def test_the_schema_carries_its_example(self, model: type[Event]) -> None:
        [example] = model.model_json_schema()["examples"]
        assert model.model_validate(example) == model.model_validate(
            NOTICE_EXAMPLE if model is NoticePublished else AFFECTED_EXAMPLE
        )

    @pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: type(e).event_type)
    def test_producers_stay_strict(self, event: Event) -> None:
        with pytest.raises(ValueError, match="x_added_later"):
            type(event).model_validate({**event.model_dump(mode="json"), "x_added_later": 1})


class TestTolerantReaders:
    @pytest.mark.parametrize("event", EXAMPLES, ids=lambda e: type(e).event_type)
    def test_a_record_round_trips_and_ignores_additions(self, event: Event) -> None:
        record = encode(new_envelope(event, source="/dimm/watch", subject="org_1"))
        data = {**json.loads(record.value), "x_added_later": True}
        read = _registry().payload(decode(record.headers, json.dumps(data).encode()))
        assert read == event


class TestNoPersonalData:
    def test_the_affected_event_has_no_account_or_name(self) -> None:
        fields = set(OrganisationAffected.model_fields)
        assert not {"account_id", "name", "email"} & fields

    def test_a_notice_published_has_no_affected_count(self) -> None:
        assert not any("affected" in name for name in NoticePublished.model_fields)
