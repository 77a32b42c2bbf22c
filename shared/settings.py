"""Settings shared by every service: one env prefix per service, validated once at start."""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Largest request body a service accepts by default: a model document is a few hundred kB.
DEFAULT_MAX_BODY_BYTES = 5 * 1024 * 1024

Environment = Literal["development", "test", "production"]

_WEAK_SECRETS = frozenset({"", "changeme", "change-me", "secret", "admin", "password", "dimm"})
MIN_SECRET_LENGTH = 24


def unescape_pem(value: object) -> object:
    """Accept a PEM written on one line with literal \\n (as in a .env file)."""
    return value.replace("\\n", "\n") if isinstance(value, str) else value


def is_weak_secret(value: SecretStr | None) -> bool:
    """Tell whether a secret is missing, a known default or too short to be trusted."""
    if value is None:
        return True
    raw = value.get_secret_value()
    return raw.strip().lower() in _WEAK_SECRETS or len(raw) < MIN_SECRET_LENGTH


class ServiceSettings(BaseSettings):
    """What every service needs: where the bus and the database are, and how to consume."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    service_name: str = "service"
    environment: Environment = Field(
        "development", validation_alias=AliasChoices("environment", "DIMM_ENVIRONMENT")
    )
    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:19092",
        validation_alias=AliasChoices("kafka_bootstrap_servers", "KAFKA_BOOTSTRAP_SERVERS"),
    )
    mongodb_url: SecretStr = Field(
        SecretStr("mongodb://127.0.0.1:27117/?directConnection=true"),
        validation_alias=AliasChoices("mongodb_url", "MONGODB_URL"),
    )
    #: How long a request waits for an unreachable database before it is answered 503.
    mongodb_timeout_seconds: float = Field(
        3.0,
        gt=0.0,
        le=120.0,
        validation_alias=AliasChoices("mongodb_timeout_seconds", "DIMM_MONGODB_TIMEOUT_SECONDS"),
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias=AliasChoices("log_level", "DIMM_LOG_LEVEL")
    )
    log_json: bool = Field(True, validation_alias=AliasChoices("log_json", "DIMM_LOG_JSON"))
    jwt_public_key: str | None = Field(
        None, validation_alias=AliasChoices("jwt_public_key", "DIMM_JWT_PUBLIC_KEY")
    )
    jwt_issuer: str = Field("dimm", validation_alias=AliasChoices("jwt_issuer", "DIMM_JWT_ISSUER"))
    mongodb_database: str = ""
    http_host: str = "127.0.0.1"
    http_port: int = Field(8000, ge=1, le=65535)
    topic_partitions: int = Field(
        3, ge=1, le=64, validation_alias=AliasChoices("topic_partitions", "DIMM_TOPIC_PARTITIONS")
    )
    topic_retention_hours: int = Field(
        168, ge=1, validation_alias=AliasChoices("topic_retention_hours", "DIMM_TOPIC_RETENTION_HOURS")
    )
    consumer_batch_size: int = Field(200, ge=1, le=5000)
    consumer_max_attempts: int = Field(5, ge=1, le=50)
    consumer_retry_base_seconds: float = Field(0.2, ge=0.0, le=60.0)
    consumer_retry_max_seconds: float = Field(5.0, ge=0.0, le=600.0)
    consumer_park_max_seconds: float = Field(900.0, gt=0.0, le=7 * 24 * 3600)
    consumer_park_sweep_seconds: float = Field(5.0, gt=0.0, le=600.0)
    # How often the consumer group's lag is measured for /metrics (one scrape interval is plenty).
    consumer_lag_interval_seconds: float = Field(15.0, gt=0.0, le=600.0)
    # Published events stay in the outbox this long, for `dimm replay` and for the replay after a
    # broker that lost its topics; that replay re-sends what was published in the last window.
    outbox_retention_hours: int = Field(168, ge=1, le=24 * 90)
    outbox_replay_window_minutes: int = Field(60, ge=1, le=24 * 60 * 7)
    # How often the service checks that its topics exist on the broker (and provisions them).
    topic_check_seconds: float = Field(10.0, gt=0.0, le=600.0)
    relay_batch_size: int = Field(500, ge=1, le=10000)
    relay_poll_seconds: float = Field(0.2, gt=0.0, le=10.0)
    #: How long a dead replica's relay lease blocks the others: it is renewed every third of it.
    relay_lease_seconds: float = Field(10.0, ge=1.0, le=300.0)
    #: Where traces go over OTLP/HTTP (base URL, e.g. http://jaeger:4318); none: nothing exported.
    otel_exporter_otlp_endpoint: str | None = Field(
        None, validation_alias=AliasChoices("otel_exporter_otlp_endpoint", "OTEL_EXPORTER_OTLP_ENDPOINT")
    )

    #: Larger request bodies get 413 before anything parses them (the gateway has the same limit).
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, ge=1024, le=1024**3)
    #: Failed authentications per client id or address within the window before attempts get 429.
    auth_max_failures: int = Field(10, ge=1, le=10_000)
    auth_failure_window_seconds: float = Field(300.0, ge=1.0, le=86_400.0)
    #: Proxies (addresses or networks) whose X-Forwarded-For names the caller; none by default.
    trusted_proxies: tuple[str, ...] = Field(
        (), validation_alias=AliasChoices("trusted_proxies", "DIMM_TRUSTED_PROXIES")
    )
    #: A separate port for /<service>/metrics (then absent from the public port); none: on the app.
    metrics_port: int | None = Field(None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError as exc:
                raise ValueError(f"{entry!r} is not an IP address or network") from exc
        return value

    @field_validator("jwt_public_key", mode="before")
    @classmethod
    def _unescape_pem(cls, value: object) -> object:
        return unescape_pem(value)

    @field_validator("otel_exporter_otlp_endpoint")
    @classmethod
    def _http_endpoint(cls, value: str | None) -> str | None:
        if not value or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("the OTLP endpoint must be an http:// or https:// URL")
        return value.strip()

    @model_validator(mode="after")
    def _default_database(self) -> ServiceSettings:
        if not self.mongodb_database:
            object.__setattr__(self, "mongodb_database", f"dimm_{self.service_name}")
        return self

    @property
    def trusted_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """Return the trusted proxies as networks."""
        return tuple(ipaddress.ip_network(entry, strict=False) for entry in self.trusted_proxies)

    @property
    def is_production(self) -> bool:
        """Tell whether defaults that are only safe for development must be refused."""
        return self.environment == "production"

    @property
    def consumer_group(self) -> str:
        """Name the one consumer group of this service."""
        return f"dimm.{self.service_name}"
