"""Settings of the watch service (environment prefix DIMM_WATCH_)."""

from __future__ import annotations

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from shared.settings import MIN_SECRET_LENGTH, ServiceSettings, is_weak_secret


class WatchSettings(ServiceSettings):
    """Settings of the watch service."""

    model_config = SettingsConfigDict(
        env_prefix="DIMM_WATCH_", extra="ignore", frozen=True, populate_by_name=True
    )

    service_name: str = "watch"
    admin_token: SecretStr | None = None
    load_catalogue: bool = Field(True, description="Load the shipped catalogue of real changes as drafts.")
    fanout_batch: int = Field(500, ge=1, le=10_000, description="Organisations alerted per transaction.")
    webhook_timeout_seconds: float = Field(15.0, gt=0, le=30)
    webhook_retry_compress: float = Field(
        1.0, ge=1.0, description="Divide every retry delay (tests compress the Svix schedule)."
    )
    webhook_disable_after_days: float = Field(
        5.0, gt=0, description="An endpoint failing continuously this long is disabled."
    )
    webhook_allow_hosts: tuple[str, ...] = Field(
        (), description="Addresses exempt from the SSRF guard (tests only, e.g. 127.0.0.1)."
    )
    public_url: str = Field(
        "http://127.0.0.1:8000", description="Base URL of the platform, for the links of e-mails."
    )
    smtp_host: str = Field("127.0.0.1", description="SMTP server of the e-mail alerts.")
    smtp_port: int = Field(2525, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = False
    smtp_sender: str = Field("veille@dimm.local", description="From address of the e-mail alerts.")
    email_retry_compress: float = Field(1.0, ge=1.0, description="Divide every e-mail retry delay (tests).")
    digest_hour: int = Field(7, ge=0, le=23, description="Hour (Europe/Paris) digests and reminders go out.")
    reminder_after_days: int = Field(365, ge=1, description="A latest diagnostic this old gets a reminder.")
    reminder_every_days: int = Field(91, ge=1, description="Then one reminder this often.")
    work_interval_seconds: float = Field(
        5.0, gt=0, le=3600, description="How often the scheduler holder looks for due work."
    )

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> WatchSettings:
        if (
            self.environment != "development"
            and self.admin_token is not None
            and is_weak_secret(self.admin_token)
        ):
            raise ValueError(
                f"DIMM_WATCH_ADMIN_TOKEN must be a random secret of {MIN_SECRET_LENGTH}+ characters"
            )
        if self.environment == "production" and self.webhook_allow_hosts:
            raise ValueError("DIMM_WATCH_WEBHOOK_ALLOW_HOSTS is for tests: it is refused in production")
        return self
