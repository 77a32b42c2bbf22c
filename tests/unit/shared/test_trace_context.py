"""W3C trace context in CloudEvents: strict when written, tolerant when read."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from shared.events.contracts.probe import ProbeRequested
from shared.events.envelope import decode, encode, new_envelope
from shared.events.trace_context import TraceContext

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{SPAN_ID}-01"
NOW = datetime(2026, 11, 29, tzinfo=UTC)


def _traced_record(trace: TraceContext | None) -> list[tuple[str, bytes]]:
    envelope = new_envelope(
        ProbeRequested(probe_id="p", requested_at=NOW), source="/dimm/test", subject="p", trace=trace
    )
    return encode(envelope).headers


def _with_header(headers: list[tuple[str, bytes]], name: str, value: bytes) -> list[tuple[str, bytes]]:
    return [*(h for h in headers if h[0] != name), (name, value)]


class TestWriting:
    def test_a_version_00_traceparent_is_accepted(self) -> None:
        context = TraceContext(TRACEPARENT, "congo=t61rcWkgMzE")
        assert (context.trace_id, context.span_id) == (TRACE_ID, SPAN_ID)

    @pytest.mark.parametrize(
        "value",
        [
            "",
            "garbage",
            f"01-{TRACE_ID}-{SPAN_ID}-01",
            f"00-{TRACE_ID.upper()}-{SPAN_ID}-01",
            f"00-{'0' * 32}-{SPAN_ID}-01",
            f"00-{TRACE_ID}-{'0' * 16}-01",
            f"00-{TRACE_ID}-{SPAN_ID}-01-extra",
        ],
    )
    def test_anything_else_is_never_written(self, value: str) -> None:
        with pytest.raises(ValueError, match="traceparent"):
            TraceContext(value)

    def test_a_tracestate_that_is_not_printable_ascii_is_refused(self) -> None:
        with pytest.raises(ValueError, match="tracestate"):
            TraceContext(TRACEPARENT, "vendor=é")

    def test_the_context_travels_as_ce_traceparent_and_ce_tracestate(self) -> None:
        headers = dict(_traced_record(TraceContext(TRACEPARENT, "congo=t61rcWkgMzE")))
        assert headers["ce_traceparent"] == TRACEPARENT.encode()
        assert headers["ce_tracestate"] == b"congo=t61rcWkgMzE"

    def test_an_untraced_event_has_no_trace_headers(self) -> None:
        names = {name for name, _ in _traced_record(None)}
        assert not names & {"ce_traceparent", "ce_tracestate"}


class TestReading:
    def test_decode_restores_the_context(self) -> None:
        headers = _traced_record(TraceContext(TRACEPARENT, "congo=t61rcWkgMzE"))
        assert decode(headers, b"{}").trace == TraceContext(TRACEPARENT, "congo=t61rcWkgMzE")

    @pytest.mark.parametrize(
        "value",
        [
            b"",
            b"not-a-traceparent",
            f"ff-{TRACE_ID}-{SPAN_ID}-01".encode(),
            f"00-{'0' * 32}-{SPAN_ID}-01".encode(),
            f"00-{TRACE_ID}-{SPAN_ID}-01-extra".encode(),
            b"\xff\xfe",
        ],
    )
    def test_a_malformed_traceparent_is_ignored_not_refused(self, value: bytes) -> None:
        headers = _with_header(_traced_record(None), "ce_traceparent", value)
        envelope = decode(headers, b"{}")
        assert envelope.trace is None
        assert envelope.type == ProbeRequested.event_type

    def test_a_later_version_is_read_as_far_as_version_00_goes(self) -> None:
        read = TraceContext.read(f"cc-{TRACE_ID}-{SPAN_ID}-01-what-the-future-adds")
        assert read == TraceContext(TRACEPARENT)

    def test_a_malformed_tracestate_is_dropped_and_the_traceparent_kept(self) -> None:
        headers = _with_header(_traced_record(TraceContext(TRACEPARENT)), "ce_tracestate", b"x" * 600)
        assert decode(headers, b"{}").trace == TraceContext(TRACEPARENT)

    def test_a_tracestate_without_traceparent_is_ignored(self) -> None:
        headers = _with_header(_traced_record(None), "ce_tracestate", b"congo=t61rcWkgMzE")
        assert decode(headers, b"{}").trace is None
