"""Alertmanager's configuration: valid for amtool, every severity routed, causes inhibiting symptoms."""

from __future__ import annotations

import subprocess
from functools import cache
from typing import Any

import pytest
import yaml

from dimm.monitoring import ALERTMANAGER_CONFIG, find_tool

AMTOOL = find_tool("amtool")
needs_amtool = pytest.mark.skipif(
    AMTOOL is None, reason="amtool is not installed: run `make monitoring` (Debian's Alertmanager package)"
)
SINK_URL = "http://alert-sink:9095/alerts"
RECEIVERS = ("operator-page", "operator-ticket", "operator-default")


@cache
def config() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(ALERTMANAGER_CONFIG.read_text(encoding="utf-8"))
    return data


def amtool(*arguments: str) -> subprocess.CompletedProcess[str]:
    assert AMTOOL is not None
    return subprocess.run([str(AMTOOL), *arguments], capture_output=True, text=True, timeout=30, check=False)


def inhibit_rules_whose_source_has(matcher: str) -> list[dict[str, Any]]:
    return [rule for rule in config().get("inhibit_rules", []) if matcher in rule.get("source_matchers", [])]


@needs_amtool
class TestAmtoolAcceptsTheConfiguration:
    def test_check_config_succeeds(self) -> None:
        result = amtool("check-config", str(ALERTMANAGER_CONFIG))
        assert result.returncode == 0, result.stdout + result.stderr
        assert "SUCCESS" in result.stdout


ROUTES = [
    ("ServiceDown", "severity=page alertname=ServiceDown service=scoring", "operator-page"),
    ("a burn-rate page", "severity=page alertname=HttpErrorBudgetBurn slo=availability", "operator-page"),
    (
        "DeadLettersIncreasing",
        "severity=ticket alertname=DeadLettersIncreasing service=watch",
        "operator-ticket",
    ),
    (
        "a burn-rate ticket",
        "severity=ticket alertname=ScoringLatencyBudgetBurn slo=latency",
        "operator-ticket",
    ),
    ("an unknown severity", "severity=info alertname=Watchdog", "operator-default"),
    ("no severity at all", "alertname=SomethingNew service=assessment", "operator-default"),
    ("a near-miss severity", "severity=Page alertname=ServiceDown", "operator-default"),
]


@needs_amtool
class TestEverySeverityReachesItsReceiver:
    @pytest.mark.parametrize(
        ("labels", "receiver"), [case[1:] for case in ROUTES], ids=[c[0] for c in ROUTES]
    )
    def test_the_alert_is_routed_to_the_expected_receiver(self, labels: str, receiver: str) -> None:
        result = amtool(
            "config",
            "routes",
            "test",
            f"--config.file={ALERTMANAGER_CONFIG}",
            f"--verify.receivers={receiver}",
            *labels.split(),
        )
        assert result.returncode == 0, f"{labels} went to {result.stdout.strip()}, not {receiver}"

    def test_a_wrong_expectation_fails(self) -> None:
        # amtool's verdict is what the table relies on: a mismatch must make it fail.
        result = amtool(
            "config",
            "routes",
            "test",
            f"--config.file={ALERTMANAGER_CONFIG}",
            "--verify.receivers=operator-ticket",
            "severity=page",
        )
        assert result.returncode != 0


class TestTheRoutingTree:
    def test_the_root_groups_by_alert_name_and_service(self) -> None:
        assert config()["route"]["group_by"] == ["alertname", "service"]

    def test_pages_repeat_every_one_to_four_hours_tickets_every_twelve_to_twenty_four(self) -> None:
        routes = {route["receiver"]: route for route in config()["route"]["routes"]}
        assert routes["operator-page"]["repeat_interval"] in {"1h", "2h", "3h", "4h"}
        assert routes["operator-ticket"]["repeat_interval"] in {"12h", "24h", "1d"}

    def test_every_receiver_posts_to_the_sink_and_sends_resolutions(self) -> None:
        receivers = {receiver["name"]: receiver for receiver in config()["receivers"]}
        assert set(receivers) == set(RECEIVERS)
        for name, receiver in receivers.items():
            (webhook,) = receiver["webhook_configs"]
            assert webhook["url"] == SINK_URL, name
            assert webhook["send_resolved"] is True, name


class TestInhibition:
    def test_service_down_silences_the_other_alerts_of_its_service(self) -> None:
        (rule,) = inhibit_rules_whose_source_has('alertname="ServiceDown"')
        assert rule["equal"] == ["service"]
        assert rule["target_matchers"] == ['alertname!="ServiceDown"']
        # Without a service label, `equal` would match every alert lacking one too.
        assert 'service=~".+"' in rule["source_matchers"]

    def test_a_burn_rate_page_silences_the_ticket_of_the_same_slo(self) -> None:
        (rule,) = inhibit_rules_whose_source_has('severity="page"')
        assert 'slo=~".+"' in rule["source_matchers"]
        assert set(rule["target_matchers"]) == {'severity="ticket"', 'slo=~".+"'}
        assert "slo" in rule["equal"]
