"""CloudEvents binary-mode codec, payload validation and upcasting."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.events.contracts import build_registry
from shared.events.contracts.probe import ProbeRequested
from shared.events.envelope import Envelope, Event, EventRegistry, InvalidEvent, decode, encode, new_envelope


class NoteTakenV1(Event):
    """Test event, first version."""

    event_type = "dimm.test.note.taken.v1"
    text: str


class NoteTakenV2(Event):
    """Test event, second version: the text became a title and a body."""

    event_type = "dimm.test.note.taken.v2"
    title: str
    body: str


class NoteTakenV3(Event):
    """Test event, third version: notes carry a language."""

    event_type = "dimm.test.note.taken.v3"
    title: str
    body: str
    language: str


def _registry() -> EventRegistry:
    registry = EventRegistry()
    registry.register(NoteTakenV3)

    @registry.upcaster(NoteTakenV1.event_type, NoteTakenV2.event_type)
    def upcast_v1_v2(data: dict[str, Any]) -> dict[str, Any]:
        title, _, body = data["text"].partition("\n")
        return {"title": title, "body": body}

    @registry.upcaster(NoteTakenV2.event_type, NoteTakenV3.event_type)
    def upcast_v2_v3(data: dict[str, Any]) -> dict[str, Any]:
        return {**data, "language": "fr"}

    return registry


def _envelope(event: Event, subject: str | None = "org-1") -> Envelope:
    return new_envelope(event, source="/dimm/test", subject=subject, correlation_id="corr-1")


class TestBinaryMode:
    def test_attributes_travel_as_ce_headers_and_data_as_value(self) -> None:
        envelope = _envelope(NoteTakenV3(title="a", body="b", language="fr"))
        record = encode(envelope)
        headers = dict(record.headers)
        assert headers["ce_specversion"] == b"1.0"
        assert headers["ce_id"] == envelope.id.encode()
        assert headers["ce_source"] == b"/dimm/test"
        assert headers["ce_type"] == b"dimm.test.note.taken.v3"
        assert headers["ce_subject"] == b"org-1"
        assert headers["ce_correlationid"] == b"corr-1"
        assert headers["content-type"] == b"application/json"
        assert json.loads(record.value) == {"title": "a", "body": "b", "language": "fr"}

    def test_the_organisation_is_the_record_key(self) -> None:
        assert encode(_envelope(NoteTakenV1(text="x"), subject="org-42")).key == b"org-42"

    def test_decode_restores_what_encode_wrote(self) -> None:
        envelope = _envelope(NoteTakenV1(text="x"))
        record = encode(envelope)
        assert decode(record.headers, record.value) == envelope

    def test_dedupe_key_is_source_and_id(self) -> None:
        envelope = _envelope(NoteTakenV1(text="x"))
        assert envelope.dedupe_key == f"/dimm/test#{envelope.id}"


class TestUndecodableRecords:
    @pytest.mark.parametrize("missing", ["ce_id", "ce_source", "ce_type", "ce_time", "ce_specversion"])
    def test_a_missing_required_attribute_is_refused(self, missing: str) -> None:
        record = encode(_envelope(NoteTakenV1(text="x")))
        with pytest.raises(InvalidEvent, match=missing.removeprefix("ce_")):
            decode([h for h in record.headers if h[0] != missing], record.value)

    def test_a_value_that_is_not_json_is_refused(self) -> None:
        record = encode(_envelope(NoteTakenV1(text="x")))
        with pytest.raises(InvalidEvent):
            decode(record.headers, b"\x00\xffnot json")

    def test_data_that_is_not_an_object_is_refused(self) -> None:
        record = encode(_envelope(NoteTakenV1(text="x")))
        with pytest.raises(InvalidEvent, match="object"):
            decode(record.headers, b"[1, 2]")

    def test_another_spec_version_is_refused(self) -> None:
        record = encode(_envelope(NoteTakenV1(text="x")))
        headers = [(k, b"0.3" if k == "ce_specversion" else v) for k, v in record.headers]
        with pytest.raises(InvalidEvent, match="specversion"):
            decode(headers, record.value)

    def test_a_non_json_content_type_is_refused(self) -> None:
        record = encode(_envelope(NoteTakenV1(text="x")))
        headers = [(k, b"application/avro" if k == "content-type" else v) for k, v in record.headers]
        with pytest.raises(InvalidEvent, match="content-type"):
            decode(headers, record.value)

    def test_a_time_without_zone_is_read_as_utc(self) -> None:
        record = encode(_envelope(NoteTakenV1(text="x")))
        headers = [(k, b"2026-01-02T03:04:05" if k == "ce_time" else v) for k, v in record.headers]
        assert decode(headers, record.value).time == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


class TestPayloads:
    def test_a_payload_that_breaks_its_schema_is_refused_with_the_reason(self) -> None:
        envelope = Envelope(id="1", source="/s", type=NoteTakenV3.event_type, time=datetime.now(UTC), data={})
        with pytest.raises(InvalidEvent, match="title"):
            _registry().payload(envelope)

    def test_an_unknown_type_is_refused(self) -> None:
        envelope = Envelope(id="1", source="/s", type="dimm.test.unknown.v1", time=datetime.now(UTC), data={})
        with pytest.raises(InvalidEvent, match="unknown event type"):
            _registry().payload(envelope)

    def test_events_are_frozen(self) -> None:
        event = NoteTakenV1(text="x")
        with pytest.raises(ValueError, match="frozen"):
            event.text = "y"  # type: ignore[misc]

    def test_the_platform_registry_knows_the_probe(self) -> None:
        registry = build_registry()
        envelope = _envelope(ProbeRequested(probe_id="p", requested_at=datetime.now(UTC)))
        assert registry.payload(envelope) == ProbeRequested(
            probe_id="p", requested_at=envelope.data["requested_at"]
        )


class TestUpcasting:
    def test_upcast_v1_v2_splits_the_text(self) -> None:
        envelope = _envelope(NoteTakenV1(text="Title\nBody"))
        upcast = _registry().upcast(envelope)
        assert upcast.type == NoteTakenV3.event_type
        assert upcast.data == {"title": "Title", "body": "Body", "language": "fr"}
        assert upcast.id == envelope.id

    def test_upcast_v2_v3_adds_the_language(self) -> None:
        envelope = _envelope(NoteTakenV2(title="t", body="b"))
        assert _registry().payload(envelope) == NoteTakenV3(title="t", body="b", language="fr")

    def test_the_current_version_is_left_alone(self) -> None:
        envelope = _envelope(NoteTakenV3(title="t", body="b", language="en"))
        assert _registry().upcast(envelope) is envelope

    def test_an_old_type_is_known_through_its_chain(self) -> None:
        registry = _registry()
        assert registry.knows(NoteTakenV1.event_type)
        assert registry.current_type(NoteTakenV1.event_type) == NoteTakenV3.event_type

    def test_a_cycle_of_upcasters_is_refused(self) -> None:
        registry = EventRegistry()
        registry.upcaster("a.v1", "a.v2")(lambda d: d)
        registry.upcaster("a.v2", "a.v1")(lambda d: d)
        with pytest.raises(InvalidEvent, match="cycle"):
            registry.current_type("a.v1")
