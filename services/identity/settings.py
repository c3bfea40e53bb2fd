"""Settings of the identity service (``IDIC_*`` environment variables)."""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from shared.settings import ServiceSettings

# Development keys: published here, so accepted only when IDIC_ENV is local or test.
LOCAL_MASTER_KEY = "PoHwlZZuJfXKWavQ0EzCkw+gkvT3ekorz8SjFbFqWKQ="
LOCAL_INDEX_KEY = "DpdWq93urDRosYMrtrwqApliPDOupMj0+ZI5WNaV3gI="


def decode_key(value: str) -> bytes:
    """A 256-bit key from its base64 text; ValueError when it is anything else."""
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("a vault key is base64 text (openssl rand -base64 32)") from None
    if len(raw) != 32:
        raise ValueError(f"a vault key is 32 bytes, got {len(raw)}")
    return raw


class VaultSettings(BaseModel):
    """Keys of the PII vault, each base64 of 32 random bytes (``openssl rand -base64 32``).

    ``master_key`` wraps every customer's data key; ``retired_master_keys`` still unwrap
    (during a rotation) but never wrap. ``index_key`` keys the blind indexes (HMAC-SHA256).
    """

    master_key: SecretStr = SecretStr(LOCAL_MASTER_KEY)
    retired_master_keys: list[SecretStr] = Field(default_factory=list)
    index_key: SecretStr = SecretStr(LOCAL_INDEX_KEY)

    @field_validator("master_key", "index_key")
    @classmethod
    def _one_key(cls, value: SecretStr) -> SecretStr:
        decode_key(value.get_secret_value())
        return value

    @field_validator("retired_master_keys")
    @classmethod
    def _many_keys(cls, values: list[SecretStr]) -> list[SecretStr]:
        for value in values:
            decode_key(value.get_secret_value())
        return values

    def uses_default_keys(self) -> bool:
        """Whether a published development key is configured."""
        return self.master_key.get_secret_value() == LOCAL_MASTER_KEY or (
            self.index_key.get_secret_value() == LOCAL_INDEX_KEY
        )


DEFAULT_SOURCE_TRUST = {
    "core": 0,
    "kyc": 0,
    "counter": 1,
    "branch": 1,
    "mobile": 2,
    "online": 2,
    "call_center": 3,
    "marketing": 5,
}


class MatchingSettings(BaseModel):
    """Identity resolution and survivorship knobs."""

    source_trust: dict[str, int] = Field(default_factory=lambda: dict(DEFAULT_SOURCE_TRUST))
    link_threshold: float | None = None  # overrides the stored model's, in bits
    review_threshold: float | None = None
    max_postings: int = Field(default=1000, ge=1)  # blocks larger than this are skipped
    max_candidates: int = Field(default=50, ge=1)  # records compared per incoming record
    max_batch: int = Field(default=10_000, ge=1, le=100_000)
    tf_min_count: int = Field(default=10, ge=1)  # k-anonymity of stored name frequencies
    fit_sample_records: int = Field(default=20_000, ge=10)
    fit_random_pairs: int = Field(default=50_000, ge=0)

    @model_validator(mode="after")
    def _ordered_thresholds(self) -> MatchingSettings:
        link, review = self.link_threshold, self.review_threshold
        if link is not None and review is not None and review > link:
            raise ValueError("matching.review_threshold must not exceed matching.link_threshold")
        return self


class Settings(ServiceSettings):
    """The identity service's settings."""

    service: str = "identity"
    database_url: str = "sqlite+aiosqlite:///.data/identity.db"
    vault: VaultSettings = VaultSettings()
    matching: MatchingSettings = MatchingSettings()

    @model_validator(mode="after")
    def _refuse_default_vault_keys(self) -> Settings:
        if not self.is_local and self.vault.uses_default_keys():
            raise ValueError(
                "IDIC_VAULT__MASTER_KEY / IDIC_VAULT__INDEX_KEY are the development keys: "
                "set real keys outside local mode"
            )
        if self.vault.master_key.get_secret_value() == self.vault.index_key.get_secret_value():
            raise ValueError("the vault's master key and index key must differ")
        return self


@lru_cache
def get_settings() -> Settings:
    """The settings read from the environment, once per process."""
    return Settings()
