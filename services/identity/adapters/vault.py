"""The PII vault: envelope encryption per customer and keyed hashes for lookups.

* Each customer has a random 256-bit **data key**; it encrypts that customer's source records
  with AES-256-GCM (random 96-bit nonce, the record's identity as associated data, so a
  ciphertext moved to another row fails to decrypt).
* The data key is stored only **wrapped** by the master key (AES key wrap, RFC 3394, which is
  integrity-checked). Destroying the wrapped key makes every ciphertext of the customer
  unreadable: erasure is crypto-shredding.
* **Blind indexes** are HMAC-SHA256 under a separate index key, truncated to 128 bits: equal
  values give equal hashes for lookups, and nobody without the index key can test a guess.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.keywrap import InvalidUnwrap, aes_key_unwrap, aes_key_wrap

from services.identity.settings import VaultSettings, decode_key

FORMAT = b"\x01"  # ciphertext layout version: FORMAT + nonce (12) + ciphertext + tag (16)
_NONCE = 12
BLIND_INDEX_BYTES = 16


class VaultError(Exception):
    """A key or ciphertext failed its integrity check (wrong key, tampered or truncated)."""


def key_id(master_key: bytes) -> str:
    """A short public name of a master key, stored beside each key it wrapped."""
    return hashlib.sha256(b"idic/master-key-id/" + master_key).hexdigest()[:16]


class Vault:
    """Wraps and unwraps data keys, and computes blind indexes."""

    def __init__(self, settings: VaultSettings) -> None:
        self._master = decode_key(settings.master_key.get_secret_value())
        self.master_key_id = key_id(self._master)
        retired = [decode_key(k.get_secret_value()) for k in settings.retired_master_keys]
        self._unwrapping = {key_id(k): k for k in (*retired, self._master)}
        # Keyed once: copying the keyed state costs a third of a fresh HMAC per value.
        self._index = hmac.new(decode_key(settings.index_key.get_secret_value()), None, "sha256")

    def new_data_key(self) -> tuple[bytes, bytes]:
        """A fresh data key and its wrapped form (to store)."""
        data_key = os.urandom(32)
        return data_key, self.wrap(data_key)

    def wrap(self, data_key: bytes) -> bytes:
        """Wrap a data key under the current master key."""
        return aes_key_wrap(self._master, data_key)

    def unwrap(self, wrapped: bytes, master_key_id: str) -> bytes:
        """Recover a data key; VaultError if the master key is unknown or the wrap was altered."""
        master = self._unwrapping.get(master_key_id)
        if master is None:
            raise VaultError(f"master key {master_key_id} is not configured")
        try:
            return aes_key_unwrap(master, bytes(wrapped))
        except InvalidUnwrap:
            raise VaultError("a wrapped data key failed its integrity check") from None

    def blind(self, value: str) -> bytes:
        """The blind index of a normalized value (a blocking key or an identifier key)."""
        mac = self._index.copy()
        mac.update(value.encode())
        return mac.digest()[:BLIND_INDEX_BYTES]


def encrypt(data_key: bytes, plaintext: bytes, *, aad: bytes) -> bytes:
    """AES-256-GCM with a random nonce; ``aad`` binds the ciphertext to its row."""
    nonce = os.urandom(_NONCE)
    return FORMAT + nonce + AESGCM(data_key).encrypt(nonce, plaintext, aad)


def decrypt(data_key: bytes, blob: bytes, *, aad: bytes) -> bytes:
    """The inverse of `encrypt`; VaultError when the key, the row or a byte is wrong."""
    blob = bytes(blob)
    if blob[:1] != FORMAT or len(blob) < 1 + _NONCE + 16:
        raise VaultError("not a vault ciphertext")
    try:
        return AESGCM(data_key).decrypt(blob[1 : 1 + _NONCE], blob[1 + _NONCE :], aad)
    except InvalidTag:
        raise VaultError("a ciphertext failed its integrity check") from None
