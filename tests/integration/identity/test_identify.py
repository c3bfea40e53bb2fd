"""Identify over HTTP on PostgreSQL: link, new customer, review, validation, re-submission."""

from __future__ import annotations

import asyncio
import json

import pytest
from sqlalchemy import select

from services.identity.adapters.orm import customer
from tests.integration.identity.builders import (
    id_card,
    mobile,
    person,
    same_person_elsewhere,
    word,
)
from tests.integration.identity.conftest import Api, outbox_types

pytestmark = pytest.mark.postgres


async def test_a_shared_id_number_links_a_second_source_to_the_same_customer(api: Api) -> None:
    card = id_card()
    first = await api.identify(person(identifiers=[{"type": "id_card", "value": card}]))
    other = same_person_elsewhere(
        person(identifiers=[{"type": "id_card", "value": card}]), channel="mobile", branch="0202"
    )
    second = await api.identify(other)
    assert first["decision"] == "created"
    assert second["decision"] == "linked"
    assert second["customer_id"] == first["customer_id"]
    assert second["reason"] == "identifier:id_card"
    golden = await api.customer(first["customer_id"])
    assert golden["record_count"] == 2
    assert golden["channels"] == ["counter", "mobile"]
    assert golden["branches"] == ["0101", "0202"]


async def test_the_same_person_without_identifiers_links_by_score_with_evidence(api: Api) -> None:
    record = person()
    first = await api.identify(record)
    birth = record["attributes"]["birth_date"]
    typo = birth[:-1] + ("1" if birth[-1] != "1" else "2")
    moved = same_person_elsewhere(record, birth_date=typo)
    second = await api.identify(moved)
    assert second["decision"] == "linked"
    assert second["customer_id"] == first["customer_id"]
    assert second["score"] >= 16
    fields = {e["field"]: e["level"] for e in second["evidence"]}
    assert fields["birth_date"] == "typo"
    assert fields["family_name"] == "exact"


async def test_a_borderline_match_goes_to_review_as_a_new_customer(api: Api) -> None:
    record = person()
    first = await api.identify(record)
    cousin = same_person_elsewhere(
        record,
        given_name=word(),
        gender="F",
        address={"postcode": word(4), "locality": word()},
    )
    answer = await api.identify(cousin)
    assert answer["decision"] == "review"
    assert answer["customer_id"] != first["customer_id"]
    assert answer["candidate_id"] == first["customer_id"]
    assert answer["review_id"] is not None
    assert 8 <= answer["score"] < 16


async def test_two_different_id_numbers_never_link_whatever_the_score(api: Api) -> None:
    record = person(identifiers=[{"type": "id_card", "value": id_card()}])
    first = await api.identify(record)
    twin = same_person_elsewhere(record, identifiers=[{"type": "id_card", "value": id_card()}])
    answer = await api.identify(twin)
    assert answer["decision"] == "created"
    assert answer["customer_id"] != first["customer_id"]
    assert answer["reason"] == "conflict:id_card"


async def test_an_invalid_identifier_is_a_422_naming_field_and_rule_and_nothing_is_kept(
    api: Api,
) -> None:
    card = id_card()
    broken = card[:-1] + ("0" if card[-1] != "0" else "1")
    record = person(identifiers=[{"type": "id_card", "value": broken}])
    response = await api.call("POST", "/v1/customers/identify", json=record)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"] == [
        {"field": "id_card", "rule": "id_card.check_digit", "message": "check digit does not match"}
    ]
    fixed = await api.identify({**record, "identifiers": [{"type": "id_card", "value": card}]})
    assert fixed["record_status"] == "new"  # the refused attempt left nothing behind


async def test_resubmitting_a_record_updates_it_in_place(api: Api) -> None:
    record = person(identifiers=[{"type": "phone", "value": mobile()}])
    first = await api.identify(record)
    same = await api.identify(record)
    changed = await api.identify({**record, "channel": "atm"})
    assert same["customer_id"] == changed["customer_id"] == first["customer_id"]
    assert (same["record_status"], changed["record_status"]) == ("unchanged", "updated")
    records = await api.call("GET", f"/v1/customers/{first['customer_id']}/records")
    assert [r["channel"] for r in records.json()["items"]] == ["atm"]
    assert await outbox_types(api.container, first["customer_id"]) == [
        "identity.customer.registered.v1",
        "identity.customer.updated.v1",
    ]


async def test_lookup_by_identifier_finds_the_customer_in_any_notation(api: Api) -> None:
    phone = mobile()
    first = await api.identify(person(identifiers=[{"type": "phone", "value": phone}]))
    spaced = f"{phone[3:6]} {phone[6:10]} {phone[10:]}"  # national notation with spaces
    found = await api.call(
        "GET", "/v1/customers", params={"identifier_type": "phone", "value": spaced}
    )
    assert found.status_code == 200
    assert [c["customer_id"] for c in found.json()["items"]] == [first["customer_id"]]
    nobody = await api.call(
        "GET", "/v1/customers", params={"identifier_type": "phone", "value": mobile()}
    )
    assert nobody.json()["items"] == []
    bad = await api.call("GET", "/v1/customers", params={"identifier_type": "phone", "value": "1"})
    assert bad.status_code == 422


async def test_a_retried_identify_with_the_same_idempotency_key_replays_the_answer(
    api: Api,
) -> None:
    record = person()
    headers = {**api.headers("customers:write"), "Idempotency-Key": f"k-{word()}"}
    first = await api.http.post("/v1/customers/identify", json=record, headers=headers)
    again = await api.http.post("/v1/customers/identify", json=record, headers=headers)
    assert first.json() == again.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await outbox_types(api.container, first.json()["customer_id"]) == [
        "identity.customer.registered.v1"
    ]


async def test_concurrent_calls_about_one_new_person_create_one_customer(api: Api) -> None:
    record = person(identifiers=[{"type": "id_card", "value": id_card()}])
    copies = [same_person_elsewhere(record, channel=f"c{n}") for n in range(6)]
    answers = await asyncio.gather(*(api.identify(copy) for copy in copies))
    assert len({a["customer_id"] for a in answers}) == 1
    assert sorted(a["decision"] for a in answers) == ["created"] + ["linked"] * 5


async def test_a_link_stores_and_publishes_the_summary_with_the_new_record_in_it(api: Api) -> None:
    # The one-statement write hands the linked customer's records to the summary refresh.
    card = id_card()
    first = person(identifiers=[{"type": "id_card", "value": card}], branch="0101")
    first["observed_at"] = "2024-05-01T08:00:00Z"
    created = await api.identify(first)
    earlier = same_person_elsewhere(first, branch="0404", channel="mobile")
    earlier["observed_at"] = "2019-03-01T08:00:00Z"
    linked = await api.identify(earlier)
    assert linked["customer_id"] == created["customer_id"]
    container, customer_id = api.container, created["customer_id"]
    outbox = container.runtime.tables.outbox
    async with container.runtime.sessions() as session:
        row = (await session.execute(select(customer).where(customer.c.id == customer_id))).one()
        values = await session.scalars(
            select(outbox.c.value).where(outbox.c.key == customer_id).order_by(outbox.c.id)
        )
        updated = json.loads(list(values)[-1])["data"]
    assert (row.home_branch, row.branches) == ("0404", ["0101", "0404"])
    assert row.channels == ["counter", "mobile"]
    assert updated["home_branch"] == "0404" and updated["branches"] == ["0101", "0404"]
    assert {"home_branch", "branches", "channels"} <= set(updated["changed"])
