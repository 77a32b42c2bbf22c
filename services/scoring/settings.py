"""Settings of the scoring service (environment prefix DIMM_SCORING_)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class ScoringSettings(ServiceSettings):
    """Settings of the scoring service."""

    model_config = SettingsConfigDict(
        env_prefix="DIMM_SCORING_", extra="ignore", frozen=True, populate_by_name=True
    )

    service_name: str = "scoring"
    # The report's PDF is printed by headless Chromium (Debian's `chromium`); absent, the PDF is a 503.
    pdf_browser: str = "chromium"
    pdf_timeout_seconds: float = Field(60.0, gt=0.0, le=600.0)
    pdf_concurrency: int = Field(2, ge=1, le=16)
