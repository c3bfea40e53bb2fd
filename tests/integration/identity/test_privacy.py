"""Scopes, masking, the audit log of unmasked reads, and its tamper evidence."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from services.identity.adapters.orm import audit_log
from tests.integration.identity.builders import id_card, mobile, person
from tests.integration.identity.conftest import Api

pytestmark = pytest.mark.postgres


async def audit_rows(api: Api, customer_id: str) -> list[dict[str, object]]:
    async with api.container.runtime.sessions() as session:
        rows = await session.execute(
            select(audit_log)
            .where(audit_log.c.customer_id == customer_id)
            .order_by(audit_log.c.seq)
        )
        return [dict(r._mapping) for r in rows]


async def test_routes_need_a_token_and_the_right_scope(api: Api) -> None:
    record = person()
    assert (await api.http.post("/v1/customers/identify", json=record)).status_code == 401
    reader = await api.call("POST", "/v1/customers/identify", "customers:read", json=record)
    assert reader.status_code == 403
    created = await api.identify(record)
    url = f"/v1/customers/{created['customer_id']}"
    assert (await api.call("GET", url, "pii:read")).status_code == 403
    assert (await api.call("DELETE", url, "customers:read")).status_code == 403
    assert (await api.call("GET", "/v1/audit/verify", "customers:read")).status_code == 403
    assert (await api.call("POST", "/v1/model/fit", "customers:write")).status_code == 403


async def test_pii_is_masked_without_pii_read_and_nothing_is_audited(api: Api) -> None:
    card, phone = id_card(), mobile()
    record = person(
        identifiers=[{"type": "id_card", "value": card}, {"type": "phone", "value": phone}]
    )
    created = await api.identify(record)
    masked = await api.customer(created["customer_id"], "customers:read")
    text = str(masked)
    for secret in (
        card,
        phone,
        record["attributes"]["given_name"],
        record["attributes"]["birth_date"],
    ):
        assert secret not in text
    assert masked["masked"] is True
    assert {i["value"] for i in masked["identifiers"]} == {
        f"{card[:6]}********{card[-4:]}",
        f"{phone[3:6]}****{phone[-4:]}",
    }
    assert (
        masked["display_name"]
        == f"{record['attributes']['given_name'][0]}*** " + record["attributes"]["family_name"]
    )
    records = await api.call("GET", f"/v1/customers/{created['customer_id']}/records")
    assert card not in records.text and phone not in records.text
    assert await audit_rows(api, created["customer_id"]) == []


async def test_an_unmasked_read_is_audited_with_who_what_and_the_correlation_id(api: Api) -> None:
    card = id_card()
    created = await api.identify(person(identifiers=[{"type": "id_card", "value": card}]))
    customer = created["customer_id"]
    headers = {
        **api.headers("customers:read", "pii:read", subject="clerk-7"),
        "x-correlation-id": "corr-42",
    }
    response = await api.http.get(f"/v1/customers/{customer}", headers=headers)
    assert response.json()["identifiers"][0]["value"] == card
    [row] = await audit_rows(api, customer)
    assert (row["actor"], row["action"], row["correlation_id"]) == (
        "clerk-7",
        "pii.read",
        "corr-42",
    )
    assert row["resource"] == f"GET /v1/customers/{customer}"
    assert card not in str(row)
    check = await api.call("GET", "/v1/audit/verify", "admin")
    assert check.json()["ok"] is True
    assert check.json()["rows"] >= 1


async def test_changing_an_audit_row_breaks_the_chain_at_that_row(fresh_api: Api) -> None:
    api = fresh_api
    created = await api.identify(person())
    for _ in range(3):
        await api.customer(created["customer_id"], "customers:read", "pii:read")
    assert (await api.call("GET", "/v1/audit/verify", "admin")).json()["ok"] is True
    async with api.container.runtime.sessions() as session:
        await session.execute(update(audit_log).where(audit_log.c.seq == 2).values(actor="nobody"))
        await session.commit()
    check = (await api.call("GET", "/v1/audit/verify", "admin")).json()
    assert (check["ok"], check["first_bad_seq"], check["rows"]) == (False, 2, 1)
