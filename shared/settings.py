"""Settings base every service extends: environment variables, nested with ``__``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The development signing key. Accepted only when ``IDIC_ENV=local`` (or ``test``).
LOCAL_DEV_SECRET = "idic-local-development-signing-key-do-not-use-in-production"

Environment = Literal["local", "test", "production"]


class KafkaSettings(BaseModel):
    """Where the broker is and how this service talks to it."""

    bootstrap_servers: str = "127.0.0.1:9092"
    client_id: str = ""
    partitions: int = Field(default=3, ge=1)
    replication_factor: int = Field(default=1, ge=1)
    consumer_batch_size: int = Field(default=500, ge=1)
    # Transactions a worker applies at once per fetched batch (split by record key); SQLite: 1.
    consumer_concurrency: int = Field(default=2, ge=1, le=16)
    max_retries: int = Field(default=3, ge=0)
    retry_backoff_s: float = Field(default=0.2, ge=0)
    outbox_poll_interval_s: float = Field(default=0.1, gt=0)
    outbox_batch_size: int = Field(default=500, ge=1)


class AuthSettings(BaseModel):
    """Bearer-token checks: a shared secret (HS256) locally, a public key or JWKS in production."""

    secret: SecretStr = SecretStr(LOCAL_DEV_SECRET)
    public_key: str = ""
    jwks_url: str = ""
    algorithm: str = "HS256"
    issuer: str = "idic"
    audience: str = "idic"
    token_ttl_s: int = Field(default=3600, gt=0)

    def uses_default_secret(self) -> bool:
        """Whether verification would rest on the published development key."""
        if self.public_key or self.jwks_url:
            return False
        return self.secret.get_secret_value() in ("", LOCAL_DEV_SECRET)


class ServiceSettings(BaseSettings):
    """What every service is configured with; services subclass it to add their own fields."""

    model_config = SettingsConfigDict(
        env_prefix="IDIC_", env_nested_delimiter="__", extra="ignore", frozen=True
    )

    service: str = "idic"
    env: Environment = "local"
    database_url: str = "sqlite+aiosqlite:///.data/idic.db"
    database_pool_size: int = Field(default=10, ge=1)
    database_echo: bool = False
    # A liveness ping per pool checkout survives database fail-overs at one round trip a call;
    # turn it off for latency when connections are recycled often enough instead.
    database_pre_ping: bool = True
    database_recycle_s: int = Field(default=1800, ge=-1)
    log_level: str = "INFO"
    log_json: bool = True
    worker_port: int = Field(default=0, ge=0, le=65535)
    inbox_retention_days: int = Field(default=14, ge=1)
    idempotency_retention_hours: int = Field(default=24, ge=1)
    kafka: KafkaSettings = KafkaSettings()
    auth: AuthSettings = AuthSettings()

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> ServiceSettings:
        if self.env == "production" and self.auth.uses_default_secret():
            raise ValueError(
                "IDIC_AUTH__SECRET is unset or the development key: set a real secret, "
                "IDIC_AUTH__PUBLIC_KEY or IDIC_AUTH__JWKS_URL outside local mode"
            )
        return self

    @property
    def is_local(self) -> bool:
        """Whether this is a developer's machine (or a test run)."""
        return self.env in ("local", "test")
