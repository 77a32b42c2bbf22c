"""JSON-line logging with a correlation id carried from request to event to the next event."""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time
import uuid
from datetime import UTC, datetime

from opentelemetry import trace

_correlation_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("correlation_id", default=None)
#: The service whose work is in progress, where one process runs several (`dimm up`).
_service: contextvars.ContextVar[str | None] = contextvars.ContextVar("service", default=None)


def get_correlation_id() -> str | None:
    """Return the correlation id of the work in progress, if any."""
    return _correlation_id.get()


def set_correlation_id(value: str | None) -> contextvars.Token[str | None]:
    """Make a correlation id current; keep the token to reset it."""
    return _correlation_id.set(value)


def reset_correlation_id(token: contextvars.Token[str | None]) -> None:
    """Restore the correlation id that was current before `set_correlation_id`."""
    _correlation_id.reset(token)


def set_service(name: str | None) -> contextvars.Token[str | None]:
    """Make a service current: the log lines of its work (and of the tasks it starts) name it."""
    return _service.set(name)


def reset_service(token: contextvars.Token[str | None]) -> None:
    """Restore the service that was current before `set_service`."""
    _service.reset(token)


def service_of(record: logging.LogRecord, default: str) -> str:
    """Name the service that wrote a log line: the current one, its module's, else the process's."""
    current = _service.get()
    if current:
        return current
    if record.name.startswith("services."):
        return record.name.split(".", 2)[1]
    return default


def new_correlation_id() -> str:
    """Make a fresh correlation id."""
    return uuid.uuid4().hex


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object per line."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": service_of(record, self._service),
            "logger": record.name,
            "message": record.getMessage(),
        }
        correlation_id = get_correlation_id()
        if correlation_id:
            entry["correlation_id"] = correlation_id
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            # The same ids as the trace backend shows, to go from a log line to its trace.
            entry["trace_id"], entry["span_id"] = f"{span.trace_id:032x}", f"{span.span_id:016x}"
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


#: Loggers whose repeated lines (a broker away: one per reconnection attempt) are summarised.
REPEATING = ("aiokafka", "kafka", "faststream", "pymongo", "shared.messaging")


class OccasionalWarning:
    """Warn about a recurring failure at most once per interval, saying how many came since the last."""

    def __init__(self, logger: logging.Logger, *, every_seconds: float = 300.0) -> None:
        self._logger = logger
        self._every = every_seconds
        self._count = 0
        self._last = float("-inf")

    def failed(self, what: str, error: BaseException) -> None:
        """Count one failure; log `what` with the count and the error if the interval has passed."""
        self._count += 1
        now = time.monotonic()
        if now - self._last >= self._every:
            reason = str(error) or type(error).__name__
            self._logger.warning("%s (%d failures since the last warning): %s", what, self._count, reason)
            self._last, self._count = now, 0


class RepeatSummary(logging.Filter):
    """Let one line of a kind through per interval; the next one says how many were held back.

    A kind is the logger and the message's template (not its arguments), so "connection to
    127.0.0.1:9092 refused" said a thousand times a minute becomes one line a minute with a count.
    """

    def __init__(self, *, interval_seconds: float = 60.0, prefixes: tuple[str, ...] = REPEATING) -> None:
        super().__init__()
        self._interval = interval_seconds
        self._prefixes = prefixes
        self._last: dict[tuple[str, str], float] = {}
        self._held: dict[tuple[str, str], int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.WARNING or not record.name.startswith(self._prefixes):
            return True
        key = (record.name, str(record.msg))
        now = time.monotonic()
        if now - self._last.get(key, float("-inf")) < self._interval:
            self._held[key] = self._held.get(key, 0) + 1
            return False
        self._last[key] = now
        held = self._held.pop(key, 0)
        if held:
            record.msg = f"{record.msg} (and {held} more like it in the last {self._interval:.0f} s)"
        return True


def configure_logging(*, service: str, level: str = "INFO", json_lines: bool = True) -> None:
    """Configure the root logger once for the process."""
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(JsonFormatter(service))
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    handler.addFilter(RepeatSummary())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("aiokafka", "kafka", "pymongo", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # FastStream installs its own coloured handler at import: route it through ours instead.
    faststream_logger = logging.getLogger("faststream")
    faststream_logger.handlers.clear()
    faststream_logger.propagate = True
