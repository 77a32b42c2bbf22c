"""Every event contract: an example exists, and a reader ignores what a newer producer adds."""

from __future__ import annotations

import pytest

from shared.events.contracts import build_registry
from shared.events.envelope import Event, InvalidEvent, decode, encode, new_envelope
from tests.contracts import examples, with_additions


class TestExamples:
    def test_every_registered_event_type_has_an_example(self) -> None:
        registry = build_registry()
        known = {type(e).event_type for e in examples()}
        assert all(registry.knows(t) for t in known)
        assert known == set(registry._models)

    @pytest.mark.parametrize("event", examples(), ids=lambda e: type(e).event_type)
    def test_producers_stay_strict(self, event: Event) -> None:
        with pytest.raises(ValueError, match="x_added_later"):
            type(event).model_validate({**event.model_dump(mode="json"), "x_added_later": 1})


class TestTolerantReaders:
    @pytest.mark.parametrize("event", examples(), ids=lambda e: type(e).event_type)
    def test_fields_and_attributes_added_by_a_newer_producer_are_ignored(self, event: Event) -> None:
        headers, value = with_additions(event)
        read = build_registry().payload(decode(headers, value))
        assert read == event

    def test_a_missing_required_field_is_still_refused(self) -> None:
        event = examples()[0]
        record = encode(new_envelope(event, source="/dimm/x", subject=None))
        with pytest.raises(InvalidEvent):
            build_registry().payload(decode(record.headers, b"{}"))
