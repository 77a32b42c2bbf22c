"""JSON-line logs that carry the correlation id."""

from __future__ import annotations

import json
import logging

from opentelemetry.sdk.trace import TracerProvider

from shared.logging import (
    JsonFormatter,
    reset_correlation_id,
    reset_service,
    set_correlation_id,
    set_service,
)


def _record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("dimm.test", logging.INFO, __file__, 1, message, args, None)


class TestJsonFormatter:
    def test_a_record_is_one_json_object_with_the_service(self) -> None:
        line = JsonFormatter("scoring").format(_record("scored %s", "d-1"))
        entry = json.loads(line)
        assert entry["message"] == "scored d-1"
        assert entry["service"] == "scoring"
        assert entry["level"] == "INFO"
        assert "correlation_id" not in entry

    def test_the_current_service_wins_over_the_process_s(self) -> None:
        token = set_service("watch")
        try:
            entry = json.loads(JsonFormatter("platform").format(_record("x")))
        finally:
            reset_service(token)
        assert entry["service"] == "watch"

    def test_outside_any_service_s_work_a_service_module_names_its_service(self) -> None:
        record = logging.LogRecord("services.benchmark.adapters", logging.INFO, __file__, 1, "x", (), None)
        assert json.loads(JsonFormatter("platform").format(record))["service"] == "benchmark"
        assert json.loads(JsonFormatter("platform").format(_record("x")))["service"] == "platform"

    def test_the_current_correlation_id_is_added(self) -> None:
        token = set_correlation_id("corr-9")
        try:
            entry = json.loads(JsonFormatter("scoring").format(_record("x")))
        finally:
            reset_correlation_id(token)
        assert entry["correlation_id"] == "corr-9"

    def test_a_line_logged_under_a_span_names_its_trace(self) -> None:
        with TracerProvider().get_tracer("dimm.test").start_as_current_span("work") as span:
            entry = json.loads(JsonFormatter("scoring").format(_record("x")))
        context = span.get_span_context()
        assert entry["trace_id"] == f"{context.trace_id:032x}"
        assert entry["span_id"] == f"{context.span_id:016x}"

    def test_a_line_logged_outside_any_span_names_no_trace(self) -> None:
        entry = json.loads(JsonFormatter("scoring").format(_record("x")))
        assert "trace_id" not in entry


def test_repeated_broker_lines_are_summarised_once_per_interval() -> None:
    from shared.logging import RepeatSummary

    summary = RepeatSummary(interval_seconds=60)

    def record(name: str, msg: str, *args: object, level: int = logging.WARNING) -> logging.LogRecord:
        return logging.LogRecord(name, level, __file__, 1, msg, args, None)

    first = record("aiokafka.conn", "Unable to connect to %s", "127.0.0.1:9092")
    assert summary.filter(first)
    held = [record("aiokafka.conn", "Unable to connect to %s", "127.0.0.1:9092") for _ in range(500)]
    assert not any(summary.filter(r) for r in held)
    # Another kind of line, an INFO line and our own services' lines pass.
    assert summary.filter(record("aiokafka.conn", "Metadata for %s is missing", "t"))
    assert summary.filter(record("aiokafka.conn", "Unable to connect to %s", "x", level=logging.INFO))
    assert summary.filter(record("services.scoring", "Unable to connect to %s", "x"))
    summary._last[("aiokafka.conn", "Unable to connect to %s")] -= 61  # the interval has passed
    later = record("aiokafka.conn", "Unable to connect to %s", "127.0.0.1:9092")
    assert summary.filter(later)
    assert later.getMessage() == "Unable to connect to 127.0.0.1:9092 (and 500 more like it in the last 60 s)"
