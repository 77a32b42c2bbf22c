"""Settings of the assessment service (environment prefix DIMM_ASSESSMENT_)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import MIN_SECRET_LENGTH, ServiceSettings, is_weak_secret


class AssessmentSettings(ServiceSettings):
    """Settings of the assessment service."""

    model_config = SettingsConfigDict(
        env_prefix="DIMM_ASSESSMENT_", extra="ignore", frozen=True, populate_by_name=True
    )

    service_name: str = "assessment"
    admin_token: SecretStr | None = None
    probe_burst_max: int = Field(1000, ge=1, le=10_000)

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> AssessmentSettings:
        if self.environment != "development" and is_weak_secret(self.admin_token):
            raise ValueError(
                "DIMM_ASSESSMENT_ADMIN_TOKEN must be set to a random secret of at least "
                f"{MIN_SECRET_LENGTH} characters outside development"
            )
        return self
