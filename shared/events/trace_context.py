"""W3C trace context as CloudEvents carry it (distributed-tracing extension: traceparent, tracestate).

Pure values, no tracing library: the envelope, the outbox and the unit of work keep them as
strings, and `shared.tracing` turns them into OpenTelemetry contexts and back.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Version 00 exactly, as producers write it; lowercase hex only (W3C Trace Context §3.2).
_VERSION_00 = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}")
# A later version may append fields after the four we know: a reader keeps what it understands.
_LATER_VERSION = re.compile(r"([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(?:-.*)?")
_MAX_TRACESTATE = 512
_INVALID_TRACE_ID = "0" * 32
_INVALID_SPAN_ID = "0" * 16


def _valid_ids(trace_id: str, span_id: str) -> bool:
    return trace_id != _INVALID_TRACE_ID and span_id != _INVALID_SPAN_ID


def _valid_tracestate(value: str) -> bool:
    return 0 < len(value) <= _MAX_TRACESTATE and all(" " <= c <= "~" for c in value)


@dataclass(frozen=True)
class TraceContext:
    """The trace an event was staged in: `traceparent` (version 00) and an optional `tracestate`."""

    traceparent: str
    tracestate: str | None = None

    def __post_init__(self) -> None:
        # Producers are strict: only a well-formed version-00 value is ever written.
        match = _VERSION_00.fullmatch(self.traceparent)
        if match is None or not _valid_ids(match[1], match[2]):
            raise ValueError(f"not a W3C version-00 traceparent: {self.traceparent!r}")
        if self.tracestate is not None and not _valid_tracestate(self.tracestate):
            raise ValueError("tracestate is empty, too long or not printable ASCII")

    @classmethod
    def read(cls, traceparent: str | None, tracestate: str | None = None) -> TraceContext | None:
        """Read received values as a tolerant reader: None for a missing or malformed traceparent."""
        if not traceparent:
            return None
        value = traceparent.strip()
        match = _LATER_VERSION.fullmatch(value)
        if match is None or match[1] == "ff" or not _valid_ids(match[2], match[3]):
            return None
        if match[1] == "00" and len(value) != 55:
            return None
        # Rewritten as version 00 with the fields we understand, so what we pass on stays valid.
        normalised = f"00-{match[2]}-{match[3]}-{match[4]}"
        state = tracestate.strip() if tracestate else None
        return cls(normalised, state if state and _valid_tracestate(state) else None)

    @property
    def trace_id(self) -> str:
        """Return the trace id (32 hex digits)."""
        return self.traceparent[3:35]

    @property
    def span_id(self) -> str:
        """Return the id of the span the event was staged in (16 hex digits)."""
        return self.traceparent[36:52]
