"""The operator's alert sink: Alertmanager's webhooks logged, kept in a JSON-lines file and shown.

`dimm alert-sink` serves it alone (compose service alert-sink); `serve_forever` or `build_server`
run it from a thread. The state (each alert by fingerprint, firing or resolved) is rebuilt from
`<data_dir>/operator-alerts.jsonl` at start, so a restart loses nothing that was received.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

import uvicorn
from fastapi import Depends, FastAPI, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from dimm.alert_sink_page import render_page
from shared.errors import DomainError, Unauthorized, schema_issues
from shared.problems import install_error_handlers
from shared.security_headers import SecurityHeadersMiddleware
from shared.serve import server_config

logger = logging.getLogger(__name__)

ALERTS_FILE = "operator-alerts.jsonl"
DEFAULT_PORT = 9095
TOKEN_ENV = "DIMM_ALERT_SINK_TOKEN"
#: Alertmanager sends every alert of a group in one body; a thousand alerts fit well within this.
MAX_BODY_BYTES = 1024 * 1024
#: Resolved alerts stay on the page this long after their last notification (the file keeps all).
RESOLVED_KEPT = timedelta(days=7)
SEVERITY_ORDER = {"page": 0, "ticket": 1}


class BodyTooLarge(DomainError):
    status, title, type_slug = 413, "Payload too large", "payload-too-large"


class AlertmanagerAlert(BaseModel):
    """One alert of a notification; unknown fields are ignored (a tolerant reader)."""

    model_config = ConfigDict(extra="ignore")

    status: Literal["firing", "resolved"]
    labels: dict[str, str]
    annotations: dict[str, str] = Field(default_factory=dict)
    starts_at: AwareDatetime = Field(alias="startsAt")
    ends_at: AwareDatetime | None = Field(default=None, alias="endsAt")
    fingerprint: str = Field(min_length=1, max_length=128)
    generator_url: str = Field(default="", alias="generatorURL")


class Notification(BaseModel):
    """Alertmanager's webhook body (version 4)."""

    model_config = ConfigDict(extra="ignore")

    version: str = "4"
    status: Literal["firing", "resolved"]
    receiver: str
    group_labels: dict[str, str] = Field(default_factory=dict, alias="groupLabels")
    common_labels: dict[str, str] = Field(default_factory=dict, alias="commonLabels")
    common_annotations: dict[str, str] = Field(default_factory=dict, alias="commonAnnotations")
    external_url: str = Field(default="", alias="externalURL")
    alerts: list[AlertmanagerAlert] = Field(min_length=1)


@dataclass
class AlertState:
    """What the sink knows of one alert: its last notification and when it came."""

    alert: AlertmanagerAlert
    receiver: str
    last_seen: datetime

    @property
    def firing(self) -> bool:
        return self.alert.status == "firing"

    def to_json(self) -> dict[str, Any]:
        """Return the alert as `GET /alerts` shows it."""
        return {
            **self.alert.model_dump(mode="json", by_alias=True),
            "receiver": self.receiver,
            "lastSeen": self.last_seen.isoformat(),
        }


@dataclass
class AlertStore:
    """Every alert by fingerprint, kept in step with the JSON-lines file it appends to."""

    path: Path
    alerts: dict[str, AlertState] = field(default_factory=dict)

    @classmethod
    def open(cls, data_dir: Path) -> AlertStore:
        """Return the store of a data directory, its state replayed from the file."""
        data_dir.mkdir(parents=True, exist_ok=True)
        store = cls(data_dir / ALERTS_FILE)
        if store.path.exists():
            with store.path.open(encoding="utf-8") as lines:
                for number, line in enumerate(lines, start=1):
                    store._replay(line, number)
            store._end_last_line()
        return store

    def _end_last_line(self) -> None:
        """End a line cut short by a crash, so the next record starts a line of its own."""
        with self.path.open("rb+") as file:
            if file.seek(0, os.SEEK_END) == 0:
                return
            file.seek(-1, os.SEEK_END)
            if file.read(1) != b"\n":
                file.write(b"\n")

    def _replay(self, line: str, number: int) -> None:
        try:
            record = json.loads(line)
            notification = Notification.model_validate(record["notification"])
            received = datetime.fromisoformat(record["received_at"])
        except (ValueError, KeyError, TypeError) as exc:
            # A line cut short by a crash: the others still hold the state.
            logger.warning("%s line %d is skipped: %s", self.path.name, number, exc)
            return
        self._apply(notification, received)

    def record(self, notification: Notification, *, received: datetime) -> None:
        """Append a notification to the file, then to the state."""
        entry = {
            "received_at": received.isoformat(),
            "notification": notification.model_dump(mode="json", by_alias=True),
        }
        with self.path.open("a", encoding="utf-8") as file:
            file.write(json.dumps(entry, ensure_ascii=False) + "\n")
        self._apply(notification, received)

    def _apply(self, notification: Notification, received: datetime) -> None:
        for alert in notification.alerts:
            self.alerts[alert.fingerprint] = AlertState(alert, notification.receiver, received)
        horizon = received - RESOLVED_KEPT
        for fingerprint in [f for f, s in self.alerts.items() if not s.firing and s.last_seen < horizon]:
            del self.alerts[fingerprint]

    def firing(self) -> list[AlertState]:
        """Return the firing alerts, pages first, then the oldest first."""
        states = [state for state in self.alerts.values() if state.firing]
        return sorted(states, key=lambda s: (_severity_rank(s), s.alert.starts_at))

    def resolved(self) -> list[AlertState]:
        """Return the resolved alerts, the latest first."""
        states = [state for state in self.alerts.values() if not state.firing]
        return sorted(states, key=lambda s: s.last_seen, reverse=True)


def _severity_rank(state: AlertState) -> int:
    return SEVERITY_ORDER.get(state.alert.labels.get("severity", ""), len(SEVERITY_ORDER))


def _one_line(text: str) -> str:
    """Keep a label or annotation on one log line, whatever it holds."""
    return " ".join(text.split())


def log_notification(notification: Notification) -> None:
    """Log one line per alert: FIRING or RESOLVED, severity, name, service and summary."""
    for alert in notification.alerts:
        labels, annotations = alert.labels, alert.annotations
        logger.log(
            logging.WARNING if alert.status == "firing" else logging.INFO,
            "%s %s %s service=%s: %s",
            alert.status.upper(),
            _one_line(labels.get("severity", "-")),
            _one_line(labels.get("alertname", "-")),
            _one_line(labels.get("service", "-")),
            _one_line(annotations.get("summary", "")),
        )


async def read_body(request: Request) -> bytes:
    """Read the request body, refusing it (413) beyond MAX_BODY_BYTES without reading it all."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BodyTooLarge(f"The body exceeds {MAX_BODY_BYTES} bytes.")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise BodyTooLarge(f"The body exceeds {MAX_BODY_BYTES} bytes.")
    return bytes(body)


def parse_notification(body: bytes) -> Notification:
    """Parse Alertmanager's webhook body; a 400 problem for bad JSON or a wrong shape."""
    try:
        return Notification.model_validate_json(body)
    except ValidationError as exc:
        errors = schema_issues(exc.errors(include_url=False, include_input=False))
        raise DomainError("The body is not an Alertmanager webhook notification.", errors=errors) from exc


_bearer = HTTPBearer(auto_error=False)


def _guard(token: str | None) -> Any:
    """Build the dependency requiring the token (header, or `access_token` for a browser) when set."""

    def check(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        access_token: str | None = None,
    ) -> None:
        if token is None:
            return
        given = credentials.credentials if credentials else access_token
        if given is None:
            raise Unauthorized("A bearer token is required.")
        if not hmac.compare_digest(given.encode(), token.encode()):
            raise Unauthorized("The bearer token is not valid.")

    return Depends(check)


def create_app(data_dir: Path, token: str | None = None) -> FastAPI:
    """Build the sink's app over a data directory; with a token, every route but /healthz needs it."""
    store = AlertStore.open(data_dir)
    app = FastAPI(title="DIMM operator alert sink", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(SecurityHeadersMiddleware)
    app.state.store = store
    install_error_handlers(app)
    guarded = [_guard(token or None)]

    @app.post("/alerts", status_code=200, dependencies=guarded)
    async def receive(request: Request) -> dict[str, int]:
        """Take one Alertmanager notification: log it, append it to the file, update the state."""
        notification = parse_notification(await read_body(request))
        log_notification(notification)
        store.record(notification, received=datetime.now(UTC))
        return {"received": len(notification.alerts)}

    @app.get("/alerts", dependencies=guarded)
    async def alerts() -> dict[str, list[dict[str, Any]]]:
        """Return every known alert, the firing ones first."""
        return {"alerts": [state.to_json() for state in (*store.firing(), *store.resolved())]}

    @app.get("/", response_class=HTMLResponse, dependencies=guarded)
    async def page(
        refresh: Annotated[
            int, Query(ge=0, le=3600, description="Reload every so many seconds (0: never).")
        ] = 0,
        access_token: str | None = None,
    ) -> HTMLResponse:
        """Show the firing alerts and the recently resolved ones (reloaded on its own only if asked)."""
        return HTMLResponse(
            render_page(
                store.firing(),
                store.resolved(),
                now=datetime.now(UTC),
                refresh_seconds=refresh,
                access_token=access_token,
            )
        )

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Say the sink is alive."""
        return {"status": "ok", "service": "alert-sink"}

    return app


def build_server(host: str, port: int, data_dir: Path, token: str | None = None) -> uvicorn.Server:
    """Return a uvicorn server of the sink: `.run()` blocks, `.should_exit = True` stops it."""
    if not token:
        logger.warning("the alert sink has no token: anyone reaching %s:%d may post alerts", host, port)
    return uvicorn.Server(server_config(create_app(data_dir, token), host=host, port=port))


def serve_forever(host: str, port: int, data_dir: Path, token: str | None = None) -> None:
    """Serve the sink until the process ends (in the main thread or another one)."""
    logger.info("operator alerts on http://%s:%d/, kept in %s", host, port, data_dir / ALERTS_FILE)
    build_server(host, port, data_dir, token).run()
