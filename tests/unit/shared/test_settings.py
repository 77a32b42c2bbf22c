"""Settings: prefixes, platform-wide variables, and refusal of default secrets."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from services.assessment.settings import AssessmentSettings
from services.scoring.settings import ScoringSettings
from shared.auth import generate_key_pair

STRONG = "k7Vq2pX9rT4mW8zL1nB5cY3hJ6"
PRIVATE_KEY, _ = generate_key_pair()


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URL", "DIMM_ENVIRONMENT", "DIMM_ASSESSMENT_ADMIN_TOKEN"):
        monkeypatch.delenv(name, raising=False)


class TestDefaults:
    def test_defaults_point_at_the_embedded_stack(self) -> None:
        settings = ScoringSettings()
        assert settings.kafka_bootstrap_servers == "127.0.0.1:19092"
        assert "127.0.0.1:27117" in settings.mongodb_url.get_secret_value()
        assert settings.environment == "development"

    def test_each_service_has_its_own_database_and_consumer_group(self) -> None:
        assert ScoringSettings().mongodb_database == "dimm_scoring"
        assert AssessmentSettings().mongodb_database == "dimm_assessment"
        assert ScoringSettings().consumer_group == "dimm.scoring"


class TestEnvironment:
    def test_platform_wide_variables_have_no_prefix(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka:9092")
        monkeypatch.setenv("MONGODB_URL", "mongodb://mongo:27017/?replicaSet=rs0")
        settings = ScoringSettings()
        assert settings.kafka_bootstrap_servers == "kafka:9092"
        assert settings.mongodb_url.get_secret_value() == "mongodb://mongo:27017/?replicaSet=rs0"

    def test_service_settings_read_their_own_prefix(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DIMM_SCORING_MONGODB_DATABASE", "scores")
        monkeypatch.setenv("DIMM_ASSESSMENT_MONGODB_DATABASE", "elsewhere")
        assert ScoringSettings().mongodb_database == "scores"

    def test_an_invalid_value_is_refused_at_start(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("DIMM_SCORING_CONSUMER_MAX_ATTEMPTS", "0")
        with pytest.raises(ValidationError, match="consumer_max_attempts"):
            ScoringSettings()

    def test_the_database_url_never_shows_in_a_repr(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("MONGODB_URL", "mongodb://user:hunter2@db:27017/")
        assert "hunter2" not in repr(ScoringSettings())


class TestRelayLease:
    def test_the_relay_lease_lasts_ten_seconds_unless_told(self, monkeypatch: pytest.MonkeyPatch) -> None:
        assert ScoringSettings().relay_lease_seconds == 10.0
        monkeypatch.setenv("DIMM_SCORING_RELAY_LEASE_SECONDS", "30")
        assert ScoringSettings().relay_lease_seconds == 30.0

    @pytest.mark.parametrize("seconds", ["0.5", "301"])
    def test_a_lease_too_short_to_renew_or_too_long_to_wait_for_is_refused(
        self, monkeypatch: pytest.MonkeyPatch, seconds: str
    ) -> None:
        monkeypatch.setenv("DIMM_SCORING_RELAY_LEASE_SECONDS", seconds)
        with pytest.raises(ValidationError):
            ScoringSettings()


class TestOperatorToken:
    @pytest.mark.parametrize("token", [None, "", "changeme", "admin", "short-token"])
    def test_outside_development_a_weak_or_missing_token_is_refused(self, token: str | None) -> None:
        with pytest.raises(ValidationError, match="ADMIN_TOKEN"):
            AssessmentSettings(environment="production", admin_token=token, jwt_private_key=PRIVATE_KEY)

    def test_outside_development_a_strong_token_is_accepted(self) -> None:
        settings = AssessmentSettings(
            environment="production", admin_token=STRONG, jwt_private_key=PRIVATE_KEY
        )
        assert settings.admin_token is not None
        assert settings.admin_token.get_secret_value() == STRONG

    def test_development_may_run_without_a_token(self) -> None:
        assert AssessmentSettings().admin_token is None

    def test_the_token_never_shows_in_a_repr(self) -> None:
        settings = AssessmentSettings(environment="test", admin_token=STRONG, jwt_private_key=PRIVATE_KEY)
        assert STRONG not in repr(settings)
        assert "PRIVATE KEY" not in repr(settings)


class TestSigningKey:
    def test_outside_development_a_signing_key_is_required(self) -> None:
        with pytest.raises(ValidationError, match="JWT_PRIVATE_KEY"):
            AssessmentSettings(environment="production", admin_token=STRONG)

    def test_a_signing_key_that_is_not_ed25519_pem_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="not an Ed25519 private key"):
            AssessmentSettings(environment="test", admin_token=STRONG, jwt_private_key="-----BEGIN nonsense")


class TestTraceExport:
    def test_nothing_is_exported_by_default(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
        assert ScoringSettings().otel_exporter_otlp_endpoint is None

    def test_the_standard_variable_switches_it_on(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://jaeger:4318")
        assert ScoringSettings().otel_exporter_otlp_endpoint == "http://jaeger:4318"

    def test_an_empty_value_switches_it_off(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
        assert ScoringSettings().otel_exporter_otlp_endpoint is None

    def test_an_endpoint_that_is_not_http_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "jaeger:4317")
        with pytest.raises(ValidationError, match="OTLP endpoint"):
            ScoringSettings()
