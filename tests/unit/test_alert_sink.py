"""The operator's alert sink: Alertmanager's webhooks change the state, the file and the page."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from dimm.alert_sink import ALERTS_FILE, MAX_BODY_BYTES, create_app

TOKEN = "s3cret-alert-sink-token-for-tests"


def an_alert(
    *,
    name: str = "ServiceDown",
    service: str = "scoring",
    severity: str = "page",
    status: str = "firing",
    fingerprint: str | None = None,
    annotations: dict[str, str] | None = None,
    starts_at: str = "2025-06-01T10:00:00Z",
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": name, "service": service, "severity": severity},
        "annotations": {"summary": f"{name} on {service}"} if annotations is None else annotations,
        "startsAt": starts_at,
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2025-06-01T10:05:00Z",
        "generatorURL": "http://prometheus:9090/graph",
        "fingerprint": fingerprint or uuid.uuid4().hex[:16],
    }


def a_notification(*alerts: dict[str, Any], receiver: str = "operator-page") -> dict[str, Any]:
    statuses = {alert["status"] for alert in alerts}
    return {
        "version": "4",
        "groupKey": '{}:{alertname="ServiceDown"}',
        "truncatedAlerts": 0,
        "status": "firing" if "firing" in statuses else "resolved",
        "receiver": receiver,
        "groupLabels": {"alertname": alerts[0]["labels"]["alertname"]},
        "commonLabels": alerts[0]["labels"],
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "sink"


@pytest.fixture
def client(data_dir: Path) -> Iterator[TestClient]:
    with TestClient(create_app(data_dir)) as test_client:
        yield test_client


def states(client: TestClient, **params: str) -> dict[str, str]:
    """Map each known fingerprint to its status, as GET /alerts shows it."""
    response = client.get("/alerts", params=params)
    assert response.status_code == 200
    return {alert["fingerprint"]: alert["status"] for alert in response.json()["alerts"]}


def file_lines(data_dir: Path) -> list[dict[str, Any]]:
    path = data_dir / ALERTS_FILE
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


class TestANotificationChangesTheState:
    def test_a_firing_alert_is_listed_as_firing(self, client: TestClient) -> None:
        alert = an_alert()
        assert client.post("/alerts", json=a_notification(alert)).status_code == 200
        assert states(client) == {alert["fingerprint"]: "firing"}

    def test_its_resolution_turns_it_resolved(self, client: TestClient) -> None:
        alert = an_alert()
        client.post("/alerts", json=a_notification(alert))
        resolved = {**alert, "status": "resolved"}
        assert client.post("/alerts", json=a_notification(resolved)).status_code == 200
        assert states(client) == {alert["fingerprint"]: "resolved"}

    def test_firing_alerts_come_first_pages_before_tickets(self, client: TestClient) -> None:
        done = an_alert(status="resolved")
        ticket = an_alert(name="DeadLettersIncreasing", severity="ticket")
        page = an_alert(starts_at="2025-06-02T10:00:00Z")
        client.post("/alerts", json=a_notification(done, ticket, page))
        assert list(states(client)) == [page["fingerprint"], ticket["fingerprint"], done["fingerprint"]]

    def test_the_receiver_and_the_last_notification_time_are_kept(self, client: TestClient) -> None:
        client.post("/alerts", json=a_notification(an_alert(), receiver="operator-ticket"))
        (alert,) = client.get("/alerts").json()["alerts"]
        assert alert["receiver"] == "operator-ticket"
        assert alert["lastSeen"]


class TestEachNotificationIsAppendedToTheFile:
    def test_the_file_grows_by_one_line_per_notification(self, client: TestClient, data_dir: Path) -> None:
        alert = an_alert()
        client.post("/alerts", json=a_notification(alert))
        client.post("/alerts", json=a_notification({**alert, "status": "resolved"}))
        lines = file_lines(data_dir)
        assert [line["notification"]["alerts"][0]["status"] for line in lines] == ["firing", "resolved"]
        assert all(line["received_at"] for line in lines)

    def test_it_keeps_alertmanagers_field_names(self, client: TestClient, data_dir: Path) -> None:
        client.post("/alerts", json=a_notification(an_alert()))
        (line,) = file_lines(data_dir)
        assert {"startsAt", "endsAt", "fingerprint"} <= set(line["notification"]["alerts"][0])
        assert "commonLabels" in line["notification"]


class TestEachAlertIsLoggedOnOneLine:
    def test_firing_and_resolved_alerts_are_logged_with_their_labels(
        self, client: TestClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        alert = an_alert(annotations={"summary": "scoring is down\nFORGED line"})
        with caplog.at_level(logging.INFO, logger="dimm.alert_sink"):
            client.post("/alerts", json=a_notification(alert))
            client.post("/alerts", json=a_notification({**alert, "status": "resolved"}))
        messages = [r.getMessage() for r in caplog.records if r.name == "dimm.alert_sink"]
        assert messages == [
            "FIRING page ServiceDown service=scoring: scoring is down FORGED line",
            "RESOLVED page ServiceDown service=scoring: scoring is down FORGED line",
        ]


class TestThePage:
    def test_it_lists_firing_and_resolved_alerts(self, client: TestClient) -> None:
        firing = an_alert(annotations={"summary": "watch down", "runbook_url": "https://runbooks/down"})
        done = an_alert(name="ScoringFailures", severity="ticket", status="resolved")
        client.post("/alerts", json=a_notification(firing, done))
        response = client.get("/")
        assert response.headers["content-type"].startswith("text/html")
        firing_part, resolved_part = response.text.split("Recently resolved")
        assert "watch down" in firing_part
        assert '<a href="https://runbooks/down">' in firing_part
        assert "ScoringFailures" in resolved_part
        assert "ScoringFailures" not in firing_part

    def test_it_reloads_itself_only_when_asked(self, client: TestClient) -> None:
        assert 'http-equiv="refresh"' not in client.get("/").text
        page = client.get("/", params={"refresh": 30}).text
        assert '<meta http-equiv="refresh" content="30">' in page
        assert '(<a href="?">stop</a>)' in page
        assert client.get("/", params={"refresh": -1}).status_code == 422

    def test_annotations_are_escaped(self, client: TestClient) -> None:
        summary = "<script>alert(1)</script>"
        client.post("/alerts", json=a_notification(an_alert(annotations={"summary": summary})))
        page = client.get("/").text
        assert "<script>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

    def test_a_runbook_that_is_not_a_web_address_is_not_a_link(self, client: TestClient) -> None:
        runbook = "javascript:alert(1)"
        client.post("/alerts", json=a_notification(an_alert(annotations={"runbook_url": runbook})))
        page = client.get("/").text
        assert runbook in page
        assert 'href="javascript' not in page

    def test_it_forbids_scripts_in_the_browser_too(self, client: TestClient) -> None:
        assert "default-src 'none'" in client.get("/").headers["content-security-policy"]

    def test_it_says_when_nothing_fires(self, client: TestClient) -> None:
        assert "No alert is firing." in client.get("/").text


BAD_BODIES = {
    "not JSON": b"{not json",
    "empty": b"",
    "no alerts": json.dumps({**a_notification(an_alert()), "alerts": []}).encode(),
    "alerts not a list": json.dumps({**a_notification(an_alert()), "alerts": {"a": 1}}).encode(),
    "unknown status": json.dumps(a_notification({**an_alert(), "status": "burning"})).encode(),
    "no fingerprint": json.dumps(a_notification({**an_alert(), "fingerprint": ""})).encode(),
    "time without zone": json.dumps(a_notification(an_alert(starts_at="2025-06-01T10:00:00"))).encode(),
}


class TestABadBodyIsRefusedAndChangesNothing:
    @pytest.fixture
    def before(self, client: TestClient, data_dir: Path) -> tuple[dict[str, str], int]:
        client.post("/alerts", json=a_notification(an_alert()))
        return states(client), len(file_lines(data_dir))

    @pytest.mark.parametrize("body", BAD_BODIES.values(), ids=BAD_BODIES.keys())
    def test_a_malformed_notification_gets_a_400_problem(
        self, client: TestClient, data_dir: Path, before: tuple[dict[str, str], int], body: bytes
    ) -> None:
        response = client.post("/alerts", content=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 400
        assert (states(client), len(file_lines(data_dir))) == before

    def test_a_declared_oversized_body_gets_a_413_problem(
        self, client: TestClient, data_dir: Path, before: tuple[dict[str, str], int]
    ) -> None:
        response = client.post("/alerts", content=b" " * (MAX_BODY_BYTES + 1))
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert (states(client), len(file_lines(data_dir))) == before

    def test_an_oversized_chunked_body_is_cut_off_with_a_413(
        self, client: TestClient, data_dir: Path, before: tuple[dict[str, str], int]
    ) -> None:
        def chunks() -> Iterator[bytes]:
            for _ in range(MAX_BODY_BYTES // 65536 + 2):
                yield b" " * 65536

        response = client.post("/alerts", content=chunks())
        assert "content-length" not in response.request.headers
        assert response.status_code == 413
        assert (states(client), len(file_lines(data_dir))) == before


class TestTheTokenIsEnforcedWhenSet:
    @pytest.fixture
    def guarded(self, data_dir: Path) -> Iterator[TestClient]:
        with TestClient(create_app(data_dir, token=TOKEN)) as test_client:
            yield test_client

    @pytest.mark.parametrize("header", [None, "Bearer wrong-token", f"Basic {TOKEN}"])
    def test_a_post_without_the_right_token_is_refused(
        self, guarded: TestClient, data_dir: Path, header: str | None
    ) -> None:
        headers = {"Authorization": header} if header else {}
        response = guarded.post("/alerts", json=a_notification(an_alert()), headers=headers)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert file_lines(data_dir) == []

    def test_a_post_with_the_token_is_taken(self, guarded: TestClient) -> None:
        alert = an_alert()
        response = guarded.post(
            "/alerts", json=a_notification(alert), headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert response.status_code == 200
        assert states(guarded, access_token=TOKEN) == {alert["fingerprint"]: "firing"}

    def test_reading_needs_it_too_a_browser_may_pass_it_in_the_url(self, guarded: TestClient) -> None:
        assert guarded.get("/").status_code == 401
        assert guarded.get("/alerts").status_code == 401
        assert guarded.get("/", params={"access_token": TOKEN}).status_code == 200

    def test_the_health_check_needs_no_token(self, guarded: TestClient) -> None:
        assert guarded.get("/healthz").status_code == 200

    def test_the_token_never_reaches_the_logs(
        self, guarded: TestClient, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.DEBUG):
            guarded.post("/alerts", json=a_notification(an_alert()), headers={"Authorization": "Bearer x"})
            guarded.post(
                "/alerts", json=a_notification(an_alert()), headers={"Authorization": f"Bearer {TOKEN}"}
            )
        assert caplog.records
        assert not [r for r in caplog.records if TOKEN in r.getMessage()]


class TestTheStateSurvivesARestart:
    def test_a_new_app_on_the_same_directory_shows_the_same_alerts(
        self, client: TestClient, data_dir: Path
    ) -> None:
        kept, gone = an_alert(), an_alert(name="ProbeStale")
        client.post("/alerts", json=a_notification(kept, gone))
        client.post("/alerts", json=a_notification({**gone, "status": "resolved"}))
        with TestClient(create_app(data_dir)) as restarted:
            assert states(restarted) == states(client)
            assert states(restarted) == {kept["fingerprint"]: "firing", gone["fingerprint"]: "resolved"}

    def test_a_line_cut_short_by_a_crash_is_skipped(self, client: TestClient, data_dir: Path) -> None:
        alert = an_alert()
        client.post("/alerts", json=a_notification(alert))
        with (data_dir / ALERTS_FILE).open("a") as file:
            file.write('{"received_at": "2025-06-01T10:00:00+00:00", "notif')
        with TestClient(create_app(data_dir)) as restarted:
            assert states(restarted) == {alert["fingerprint"]: "firing"}
            later = an_alert()
            restarted.post("/alerts", json=a_notification(later))
        with TestClient(create_app(data_dir)) as again:
            assert states(again) == {alert["fingerprint"]: "firing", later["fingerprint"]: "firing"}
