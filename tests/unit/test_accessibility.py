"""Every other HTML page of the platform passes axe-core's WCAG 2.1 AA rules in headless Chromium.

The report and the study results page are audited beside their own tests; here: the pages a report
link shows when it is refused, the watch service's Veille page, the operator's alert sink and the
watch e-mails' HTML. Swagger UI (`/docs`) is a third-party page and is not audited here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dimm.alert_sink import create_app as create_alert_sink
from services.scoring.entrypoints.report_access import refusal_page
from services.watch.domain.alerts import Alert
from services.watch.entrypoints.page import render_veille
from shared.auth import ExpiredToken
from shared.errors import DomainError, Forbidden, NotFound, ServiceUnavailable, Unauthorized
from tests.a11y import audit
from tests.unit.test_alert_sink import a_notification, an_alert
from tests.unit.watch import notice
from tests.unit.watch_subscribers.test_emails import MODEL, NIS2, digest

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "refusal",
    [
        ExpiredToken("The token has expired."),
        Unauthorized("The token is not valid."),
        Forbidden("This token is a report link."),
        NotFound("No scorecard."),
        ServiceUnavailable("The database is away."),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_refused_report_link_page(refusal: DomainError, tmp_path: Path) -> None:
    result = audit(refusal_page(refusal, "dg_0123456789abcdef"), tmp_path)
    assert result.clean, result.report()


def _impact() -> dict[str, Any]:
    return {
        "indicators": [{"code": "TIO2", "level": 2, "target": 3}, {"code": "ORS3", "level": None}],
        "impact": {
            "to_version": "2.1.0",
            "overall_before": 2.31,
            "overall_after": 2.18,
            "levers": [{"code": "TI", "before": 2.4, "after": 2.1}],
            "advice_changes": [{"code": "TIO2", "before": "attention", "after": "improve"}],
            "roadmap_head": [{"code": "TIO2", "next_level": 3, "criteria": [{"text": "Audit RGAA publié"}]}],
        },
    }


@pytest.mark.parametrize("alerts", [0, 3], ids=["no-alert", "three-alerts"])
def test_the_veille_page(alerts: int, tmp_path: Path) -> None:
    entries = []
    for index, severity in enumerate(("critical", "warning", "info")[:alerts]):
        alert = Alert.open(organisation_id="org_1", notice_id=f"ntc_{index}", diagnostic_id="dg_1", at=NOW)
        entries.append((alert, notice(severity=severity, deadline=date(2027, 1, 1)), _impact()))
    result = audit(render_veille("Boulangerie Martin", entries), tmp_path)
    assert result.clean, result.report()


@pytest.mark.parametrize("alerts", [0, 3], ids=["quiet", "firing-and-resolved"])
def test_the_operator_alert_sink_page(alerts: int, tmp_path: Path) -> None:
    with TestClient(create_alert_sink(tmp_path / "sink")) as client:
        if alerts:
            resolved = an_alert(name="QueueLag", severity="ticket", status="resolved")
            client.post("/alerts", json=a_notification(an_alert(), an_alert(severity="ticket"), resolved))
        page = client.get("/").text
    result = audit(page, tmp_path)
    assert result.clean, result.report()


def test_the_digest_email(tmp_path: Path) -> None:
    result = audit(digest(MODEL, NIS2).html, tmp_path)
    assert result.clean, result.report()
