"""Golden records, merge and unmerge with history, on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.identity.builders import id_card, mobile, person, same_person_elsewhere
from tests.integration.identity.conftest import Api, outbox_types

pytestmark = pytest.mark.postgres
PII = ("customers:read", "pii:read")


def _stable(golden: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in golden.items() if k not in ("updated_at", "requested_id")}


async def test_the_golden_record_takes_the_trusted_source_then_the_recent_one(api: Api) -> None:
    core = person(identifiers=[{"type": "id_card", "value": id_card()}], observed_at="2020-01-01")
    moved = {**same_person_elsewhere(core, observed_at="2023-01-01"), "source_system": "core"}
    moved["attributes"]["address"] = {**core["attributes"]["address"], "line1": "new street"}
    app = same_person_elsewhere(
        core, given_name="nickname", observed_at="2024-01-01", branch="0909", channel="app"
    )
    app["attributes"]["address"] = {**core["attributes"]["address"], "line1": "app street"}
    first = await api.identify(core)
    for later in (moved, app):
        assert (await api.identify(later))["customer_id"] == first["customer_id"]
    golden = await api.customer(first["customer_id"], *PII)
    assert golden["given_name"] == core["attributes"]["given_name"]  # core outranks the app
    assert golden["address"]["line1"] == "new street"  # the most recent core record
    assert golden["provenance"]["address"]["source_record_id"] == moved["source_record_id"]
    assert golden["home_branch"] == "0101"  # where the earliest record was taken
    assert golden["branches"] == ["0101", "0909"]
    assert golden["channels"] == ["app", "counter"]


async def test_merge_then_unmerge_restores_both_golden_records_exactly(api: Api) -> None:
    a = await api.identify(person(identifiers=[{"type": "phone", "value": mobile()}]))
    a2 = person(identifiers=[{"type": "id_card", "value": id_card()}])
    b = await api.identify(a2)
    await api.identify(same_person_elsewhere(a2, channel="mobile", branch="0303"))
    survivor, other = a["customer_id"], b["customer_id"]
    before = (await api.customer(survivor, *PII), await api.customer(other, *PII))

    merged = await api.call("POST", f"/v1/customers/{survivor}/merge", json={"other_id": other})
    assert merged.json() == {"survivor_id": survivor, "other_id": other, "records_moved": 2}
    via_old_id = await api.customer(other, *PII)
    assert (via_old_id["customer_id"], via_old_id["merged_into"]) == (survivor, survivor)
    assert via_old_id["record_count"] == 3
    assert {i["type"] for i in via_old_id["identifiers"]} == {"phone", "id_card"}
    assert (await api.customer(survivor))["merged_ids"] == [other]

    undone = await api.call("POST", f"/v1/customers/{survivor}/unmerge", json={"restore_id": other})
    assert undone.status_code == 200
    after = (await api.customer(survivor, *PII), await api.customer(other, *PII))
    assert [_stable(g) for g in after] == [_stable(g) for g in before]
    history = await api.call("GET", f"/v1/customers/{survivor}/history")
    assert [h["kind"] for h in history.json()["items"]][:2] == ["unmerged", "merged"]
    assert "identity.customer.merged.v1" in await outbox_types(api.container, survivor)
    assert "identity.customer.unmerged.v1" in await outbox_types(api.container, survivor)


async def test_unmerge_gives_back_what_was_merged_into_the_restored_customer_before(
    api: Api,
) -> None:
    a, b, c = [await api.identify(person()) for _ in range(3)]
    ids = [x["customer_id"] for x in (a, b, c)]
    await api.call("POST", f"/v1/customers/{ids[1]}/merge", json={"other_id": ids[2]})
    await api.call("POST", f"/v1/customers/{ids[0]}/merge", json={"other_id": ids[1]})
    assert (await api.customer(ids[0]))["record_count"] == 3
    await api.call("POST", f"/v1/customers/{ids[0]}/unmerge", json={"restore_id": ids[1]})
    assert (await api.customer(ids[0]))["record_count"] == 1
    restored = await api.customer(ids[1])
    assert (restored["record_count"], restored["merged_ids"]) == (2, [ids[2]])
    assert (await api.customer(ids[2]))["customer_id"] == ids[1]


async def test_merges_that_make_no_sense_are_refused(api: Api) -> None:
    a, b = [(await api.identify(person()))["customer_id"] for _ in range(2)]
    itself = await api.call("POST", f"/v1/customers/{a}/merge", json={"other_id": a})
    unknown = await api.call("POST", f"/v1/customers/{a}/merge", json={"other_id": "nobody"})
    assert (itself.status_code, unknown.status_code) == (409, 404)
    await api.call("POST", f"/v1/customers/{a}/merge", json={"other_id": b})
    twice = await api.call("POST", f"/v1/customers/{a}/merge", json={"other_id": b})
    assert twice.status_code == 409
    assert "merged into" in twice.json()["detail"]
    wrong = await api.call("POST", f"/v1/customers/{b}/unmerge", json={"restore_id": a})
    assert wrong.status_code == 409
