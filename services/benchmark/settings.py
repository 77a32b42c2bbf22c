"""Settings of the benchmark service (environment prefix DIMM_BENCHMARK_)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import ServiceSettings


class BenchmarkSettings(ServiceSettings):
    """Settings of the benchmark service."""

    model_config = SettingsConfigDict(
        env_prefix="DIMM_BENCHMARK_", extra="ignore", frozen=True, populate_by_name=True
    )

    service_name: str = "benchmark"
