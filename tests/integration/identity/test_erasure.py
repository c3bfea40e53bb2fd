"""Erasure: after DELETE nothing of the customer is readable anywhere in the database."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import JSON, LargeBinary, String, Text, inspect, select, text

from services.identity.adapters.orm import customer_key, record_key, source_record
from services.identity.adapters.vault import VaultError, decrypt
from tests.integration.identity.builders import id_card, mobile, person, same_person_elsewhere, word
from tests.integration.identity.conftest import Api, outbox_types

pytestmark = pytest.mark.postgres


async def every_value(api: Api) -> list[str | bytes]:
    """Every text, JSON and bytes value in every table of the service's database, as stored."""
    async with api.container.runtime.engine.connect() as connection:
        tables = await connection.run_sync(_text_columns)
        values: list[str | bytes] = []
        for name, wanted in tables.items():
            if wanted:
                rows = await connection.execute(text(f'SELECT {", ".join(wanted)} FROM "{name}"'))
                values += [_raw(v) for row in rows for v in row if v is not None]
        return values


def _text_columns(connection: Any) -> dict[str, list[str]]:
    """Per table, the quoted names of its text, JSON and bytes columns."""
    inspector = inspect(connection)
    kinds = String | Text | LargeBinary | JSON
    return {
        name: [
            f'"{c["name"]}"' for c in inspector.get_columns(name) if isinstance(c["type"], kinds)
        ]
        for name in inspector.get_table_names()
    }


def _raw(value: object) -> str | bytes:
    return bytes(value) if isinstance(value, bytes | memoryview) else str(value)


async def ciphertexts_of(api: Api, customer_id: str) -> list[tuple[bytes, bytes]]:
    """(payload, associated data) of a customer's records: what a backup would hold."""
    async with api.container.runtime.sessions() as session:
        rows = await session.execute(
            select(source_record).where(source_record.c.customer_id == customer_id)
        )
        return [
            (bytes(r.payload), f"{r.source_system}\x1f{r.source_record_id}".encode()) for r in rows
        ]


async def remaining_data_keys(api: Api) -> list[bytes]:
    vault = api.container.vault
    async with api.container.runtime.sessions() as session:
        rows = await session.execute(select(customer_key))
        return [vault.unwrap(r.wrapped_key, r.master_key_id) for r in rows]


async def test_erasure_leaves_no_plaintext_and_nothing_decryptable(api: Api) -> None:
    card, phone, name = id_card(), mobile(), word(10)
    alice = person(
        family_name=name,
        identifiers=[{"type": "id_card", "value": card}, {"type": "phone", "value": phone}],
    )
    kept = await api.identify(alice)
    customer = kept["customer_id"]
    await api.identify(same_person_elsewhere(alice, identifiers=alice["identifiers"][:1]))
    other = await api.identify(person(family_name=name))  # a second id, merged into the first
    await api.call(
        "POST", f"/v1/customers/{customer}/merge", json={"other_id": other["customer_id"]}
    )
    await api.customer(customer, "customers:read", "pii:read")  # an audited read
    backup = await ciphertexts_of(api, customer)
    assert len(backup) == 3

    erased = await api.call("DELETE", f"/v1/customers/{customer}", "customers:write")
    assert erased.status_code == 204

    gone = await api.customer(customer)
    assert (gone["status"], gone["record_count"], gone["display_name"]) == ("erased", 0, None)
    assert (await api.customer(other["customer_id"]))["status"] == "erased"
    lookup = await api.call(
        "GET", "/v1/customers", params={"identifier_type": "phone", "value": phone}
    )
    assert lookup.json()["items"] == []
    values = await every_value(api)
    assert len(values) > 100  # the scan reads the whole database, not an empty corner
    for value in values:
        for secret in (card, phone, name, card[6:14]):
            if isinstance(value, bytes):
                assert secret.encode() not in value
            else:
                assert secret not in value
    keys = await remaining_data_keys(api)
    for payload, aad in backup:
        for key in keys:
            with pytest.raises(VaultError):
                decrypt(key, payload, aad=aad)
    await assert_no_blind_index_left(api, [f"id:id_card:{card}", f"ph:{phone}"])
    assert "identity.customer.erased.v1" in await outbox_types(api.container, customer)
    again = await api.call("DELETE", f"/v1/customers/{customer}", "customers:write")
    assert again.status_code == 204


async def assert_no_blind_index_left(api: Api, keys: list[str]) -> None:
    hashes = [api.container.vault.blind(k) for k in keys]
    async with api.container.runtime.sessions() as session:
        found = await session.scalar(
            select(record_key.c.record_id).where(record_key.c.key_hash.in_(hashes)).limit(1)
        )
    assert found is None


async def test_a_merged_id_is_not_erased_by_itself(api: Api) -> None:
    a, b = [(await api.identify(person()))["customer_id"] for _ in range(2)]
    await api.call("POST", f"/v1/customers/{a}/merge", json={"other_id": b})
    refused = await api.call("DELETE", f"/v1/customers/{b}", "customers:write")
    assert refused.status_code == 409
    assert a in refused.json()["detail"]
