"""Settings of the watch service (environment prefix DIMM_WATCH_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class WatchSettings(ServiceSettings):
    """Settings of the watch service."""

    model_config = SettingsConfigDict(
        env_prefix="DIMM_WATCH_", extra="ignore", frozen=True, populate_by_name=True
    )

    service_name: str = "watch"
