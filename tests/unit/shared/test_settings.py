"""Settings: environment variables, nesting, and no development key in production."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.settings import LOCAL_DEV_SECRET, ServiceSettings


def test_nested_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDIC_KAFKA__BOOTSTRAP_SERVERS", "kafka-0:9092,kafka-1:9092")
    monkeypatch.setenv("IDIC_KAFKA__MAX_RETRIES", "7")
    monkeypatch.setenv("IDIC_DATABASE_URL", "postgresql+asyncpg://db/x")
    settings = ServiceSettings()
    assert settings.kafka.bootstrap_servers == "kafka-0:9092,kafka-1:9092"
    assert settings.kafka.max_retries == 7
    assert settings.database_url == "postgresql+asyncpg://db/x"


def test_local_mode_accepts_the_development_key() -> None:
    settings = ServiceSettings(env="local")
    assert settings.auth.secret.get_secret_value() == LOCAL_DEV_SECRET
    assert settings.is_local


@pytest.mark.parametrize("secret", [LOCAL_DEV_SECRET, ""])
def test_production_refuses_a_default_or_empty_secret(
    monkeypatch: pytest.MonkeyPatch, secret: str
) -> None:
    monkeypatch.setenv("IDIC_ENV", "production")
    monkeypatch.setenv("IDIC_AUTH__SECRET", secret)
    with pytest.raises(ValidationError, match="IDIC_AUTH__SECRET"):
        ServiceSettings()


def test_production_starts_with_a_real_secret_or_a_public_key(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IDIC_ENV", "production")
    monkeypatch.setenv("IDIC_AUTH__SECRET", "s3cr3t-from-the-vault-" + "x" * 20)
    assert not ServiceSettings().is_local
    monkeypatch.delenv("IDIC_AUTH__SECRET")
    monkeypatch.setenv("IDIC_AUTH__PUBLIC_KEY", "-----BEGIN PUBLIC KEY-----...")
    monkeypatch.setenv("IDIC_AUTH__ALGORITHM", "RS256")
    assert ServiceSettings().auth.public_key.startswith("-----BEGIN")


def test_invalid_values_are_refused() -> None:
    with pytest.raises(ValidationError, match="env"):
        ServiceSettings(env="staging")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="partitions"):
        ServiceSettings.model_validate({"kafka": {"partitions": 0}})
