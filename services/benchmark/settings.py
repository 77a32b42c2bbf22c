"""Settings of the benchmark service (environment prefix DIMM_BENCHMARK_)."""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import MIN_SECRET_LENGTH, ServiceSettings, is_weak_secret


class BenchmarkSettings(ServiceSettings):
    """Settings of the benchmark service."""

    model_config = SettingsConfigDict(
        env_prefix="DIMM_BENCHMARK_", extra="ignore", frozen=True, populate_by_name=True
    )

    service_name: str = "benchmark"
    admin_token: SecretStr | None = None
    min_cohort_size: int = Field(
        5,
        ge=3,
        le=1000,
        description="k: a cohort is shown only with at least k organisations (never below 3).",
    )
    snapshot_cron: str = Field(
        "0 2 * * *", description="When snapshots are taken (crontab, UTC): daily at 02:00 by default."
    )
    study_check_seconds: int = Field(60, ge=5, le=3600, description="How often due studies are closed.")

    @field_validator("snapshot_cron")
    @classmethod
    def _a_crontab(cls, value: str) -> str:
        try:
            CronTrigger.from_crontab(value, timezone="UTC")
        except ValueError as exc:
            raise ValueError(f"not a crontab expression: {exc}") from exc
        return value

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> BenchmarkSettings:
        if (
            self.environment != "development"
            and self.admin_token is not None
            and is_weak_secret(self.admin_token)
        ):
            raise ValueError(
                f"DIMM_BENCHMARK_ADMIN_TOKEN must be a random secret of {MIN_SECRET_LENGTH}+ characters"
            )
        return self
