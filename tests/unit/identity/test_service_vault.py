"""The PII vault's crypto: key wrapping, record encryption, blind indexes, key settings."""

from __future__ import annotations

import base64
import hmac
import os

import pytest
from pydantic import SecretStr, ValidationError

from services.identity.adapters.vault import Vault, VaultError, decrypt, encrypt
from services.identity.settings import Settings, VaultSettings


def new_key() -> SecretStr:
    return SecretStr(base64.b64encode(os.urandom(32)).decode())


def vault(**overrides: object) -> Vault:
    fields = {"master_key": new_key(), "index_key": new_key(), **overrides}
    return Vault(VaultSettings(**fields))


def test_a_wrapped_data_key_unwraps_to_itself_and_only_under_its_master_key() -> None:
    mine, theirs = vault(), vault()
    data_key, wrapped = mine.new_data_key()
    assert wrapped != data_key and len(data_key) == 32
    assert mine.unwrap(wrapped, mine.master_key_id) == data_key
    with pytest.raises(VaultError, match="not configured"):
        theirs.unwrap(wrapped, mine.master_key_id)
    with pytest.raises(VaultError, match="integrity"):
        theirs.unwrap(wrapped, theirs.master_key_id)


def test_a_tampered_wrapped_key_is_detected() -> None:
    v = vault()
    _, wrapped = v.new_data_key()
    tampered = bytes([wrapped[0] ^ 1]) + wrapped[1:]
    with pytest.raises(VaultError):
        v.unwrap(tampered, v.master_key_id)


def test_a_retired_master_key_still_unwraps_during_a_rotation() -> None:
    old_key = new_key()
    old = vault(master_key=old_key)
    data_key, wrapped = old.new_data_key()
    rotated = vault(retired_master_keys=[old_key])
    assert rotated.master_key_id != old.master_key_id
    assert rotated.unwrap(wrapped, old.master_key_id) == data_key
    assert rotated.unwrap(rotated.wrap(data_key), rotated.master_key_id) == data_key


def test_records_decrypt_only_with_their_key_their_row_and_every_byte_intact() -> None:
    key, other = os.urandom(32), os.urandom(32)
    blob = encrypt(key, "张伟 110105194912310021".encode(), aad=b"core\x1f42")
    assert "张伟".encode() not in blob
    assert decrypt(key, blob, aad=b"core\x1f42").decode() == "张伟 110105194912310021"
    for wrong_key, aad, data in (
        (other, b"core\x1f42", blob),
        (key, b"core\x1f43", blob),  # the ciphertext copied into another row
        (key, b"core\x1f42", blob[:-1] + bytes([blob[-1] ^ 1])),
        (key, b"core\x1f42", blob[:10]),
    ):
        with pytest.raises(VaultError):
            decrypt(wrong_key, data, aad=aad)


def test_the_same_plaintext_encrypts_differently_each_time() -> None:
    key = os.urandom(32)
    assert encrypt(key, b"same", aad=b"") != encrypt(key, b"same", aad=b"")


def test_blind_indexes_are_stable_per_index_key_and_reveal_nothing_without_it() -> None:
    index_key = new_key()
    one, two, stranger = vault(index_key=index_key), vault(index_key=index_key), vault()
    assert one.blind("ph:+8613800138000") == two.blind("ph:+8613800138000")
    assert len(one.blind("ph:+8613800138000")) == 16
    assert one.blind("ph:+8613800138000") != one.blind("ph:+8613800138001")
    assert stranger.blind("ph:+8613800138000") != one.blind("ph:+8613800138000")


def test_a_blind_index_is_the_truncated_hmac_sha256_stored_rows_were_written_with() -> None:
    index_key = new_key()
    raw = base64.b64decode(index_key.get_secret_value())
    expected = hmac.digest(raw, b"id:id_card:X", "sha256")[:16]
    assert vault(index_key=index_key).blind("id:id_card:X") == expected


@pytest.mark.parametrize("bad", ["not base64!", base64.b64encode(b"short").decode()])
def test_a_key_that_is_not_32_bytes_of_base64_is_refused(bad: str) -> None:
    with pytest.raises(ValidationError, match="vault key"):
        VaultSettings(master_key=SecretStr(bad))


def test_outside_local_mode_the_development_vault_keys_are_refused() -> None:
    with pytest.raises(ValidationError, match="IDIC_VAULT__MASTER_KEY"):
        Settings(env="production", auth={"secret": "x" * 40})
    real = {"master_key": new_key(), "index_key": new_key()}
    settings = Settings(env="production", auth={"secret": "x" * 40}, vault=real)
    assert not settings.vault.uses_default_keys()
    assert Settings(env="test").vault.uses_default_keys()
