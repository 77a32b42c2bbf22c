"""Settings of the assessment service (environment prefix DIMM_ASSESSMENT_)."""

from __future__ import annotations

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from shared.auth import load_private_key
from shared.settings import MIN_SECRET_LENGTH, ServiceSettings, is_weak_secret, unescape_pem


class AssessmentSettings(ServiceSettings):
    """Settings of the assessment service."""

    model_config = SettingsConfigDict(
        env_prefix="DIMM_ASSESSMENT_", extra="ignore", frozen=True, populate_by_name=True
    )

    service_name: str = "assessment"
    admin_token: SecretStr | None = None
    probe_burst_max: int = Field(1000, ge=1, le=10_000)
    # A probe through every service on this interval (0: never), so an alert sees events stop
    # flowing even when nobody calls; probes are forgotten after the retention.
    probe_interval_seconds: float = Field(60.0, ge=0.0, le=3600.0)
    probe_retention_days: int = Field(7, ge=1, le=365)
    # A diagnostic submitted but not scored after this long has its submitted event sent again
    # (same id: scoring skips it if it had it), then again each time the same delay passes.
    resend_unscored_after_minutes: int = Field(10, ge=1, le=24 * 60)
    jwt_private_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("jwt_private_key", "DIMM_ASSESSMENT_JWT_PRIVATE_KEY")
    )
    access_token_ttl_seconds: int = Field(900, ge=60, le=86_400)
    respondent_token_ttl_days: int = Field(30, ge=1, le=365)
    # A report link opens one report for anyone holding it: short-lived, a fresh one on demand.
    report_link_ttl_seconds: int = Field(3600, ge=60, le=86_400)
    idempotency_ttl_hours: int = Field(24, ge=1, le=24 * 30)

    @field_validator("jwt_private_key", mode="before")
    @classmethod
    def _unescape_private_pem(cls, value: object) -> object:
        return unescape_pem(value)

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> AssessmentSettings:
        if self.environment != "development" and is_weak_secret(self.admin_token):
            raise ValueError(
                "DIMM_ASSESSMENT_ADMIN_TOKEN must be set to a random secret of at least "
                f"{MIN_SECRET_LENGTH} characters outside development"
            )
        if self.environment != "development" and self.jwt_private_key is None:
            raise ValueError(
                "DIMM_ASSESSMENT_JWT_PRIVATE_KEY (Ed25519 private key, PEM) is required outside development"
            )
        if self.jwt_private_key is not None:
            try:
                load_private_key(self.jwt_private_key.get_secret_value())
            except ValueError as exc:
                raise ValueError(
                    "DIMM_ASSESSMENT_JWT_PRIVATE_KEY is not an Ed25519 private key in PEM"
                ) from exc
        return self
