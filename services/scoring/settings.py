"""Settings of the scoring service (environment prefix DIMM_SCORING_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ScoringSettings(ServiceSettings):
    """Settings of the scoring service."""

    model_config = SettingsConfigDict(
        env_prefix="DIMM_SCORING_", extra="ignore", frozen=True, populate_by_name=True
    )

    service_name: str = "scoring"
