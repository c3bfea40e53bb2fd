"""The batch form: per-record answers in order, a bad record does not fail the others."""

from __future__ import annotations

import pytest

from tests.integration.identity.builders import id_card, person, same_person_elsewhere
from tests.integration.identity.conftest import Api

pytestmark = pytest.mark.postgres


async def test_a_bad_record_in_the_middle_gets_its_own_error_and_the_rest_are_stored(
    api: Api,
) -> None:
    alice = person()
    bad_card = person(identifiers=[{"type": "id_card", "value": "110105198004120000"}])
    records = [alice, {"source_system": "core"}, bad_card, same_person_elsewhere(alice), person()]
    response = await api.call("POST", "/v1/customers/identify/batch", json={"records": records})
    assert response.status_code == 200
    results = response.json()["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3, 4]
    assert [r["ok"] for r in results] == [True, False, False, True, True]
    assert results[1]["errors"][0] == {
        "field": "source_record_id",
        "rule": "missing",
        "message": "Field required",
    }
    assert results[2]["errors"][0]["rule"] == "id_card.check_digit"
    decisions = [r["result"]["decision"] for r in results if r["ok"]]
    assert decisions == ["created", "linked", "created"]
    assert results[3]["result"]["customer_id"] == results[0]["result"]["customer_id"]
    assert response.json()["counts"] == {"created": 2, "linked": 1, "error": 2}
    golden = await api.customer(results[0]["result"]["customer_id"])
    assert golden["record_count"] == 2


async def test_a_batch_gives_the_answers_of_one_call_per_record(api: Api) -> None:
    card = id_card()
    base = person(identifiers=[{"type": "id_card", "value": card}])
    records = [base, same_person_elsewhere(base), person(), same_person_elsewhere(base)]
    singles_api = [await api.identify(r) for r in records[:1]]
    # the stored record is now a candidate for the batch, as it would be for single calls
    response = await api.call("POST", "/v1/customers/identify/batch", json={"records": records[1:]})
    batch = [r["result"] for r in response.json()["results"]]
    assert [b["decision"] for b in batch] == ["linked", "created", "linked"]
    assert batch[0]["customer_id"] == batch[2]["customer_id"] == singles_api[0]["customer_id"]


async def test_a_batch_above_the_limit_is_refused_whole(api: Api) -> None:
    response = await api.call(
        "POST", "/v1/customers/identify/batch", json={"records": [{}] * 10_001}
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "records"


async def test_a_large_batch_is_stored_as_completely_as_single_calls_store(api: Api) -> None:
    # Above ONE_STATEMENT_MAX records a batch draws record ids first and COPYs every table.
    card = id_card()
    first = person(identifiers=[{"type": "id_card", "value": card}], branch="0303")
    records = [first, *(person() for _ in range(150)), same_person_elsewhere(first)]
    response = await api.call("POST", "/v1/customers/identify/batch", json={"records": records})
    results = [r["result"] for r in response.json()["results"]]
    assert response.json()["counts"] == {"created": 151, "linked": 1}
    survivor = results[0]["customer_id"]
    assert results[-1]["customer_id"] == survivor
    lookup = {"identifier_type": "id_card", "value": card}
    found = await api.call("GET", "/v1/customers", params=lookup)
    assert [c["customer_id"] for c in found.json()["items"]] == [survivor]
    golden = await api.customer(survivor)
    assert golden["record_count"] == 2 and golden["home_branch"] == "0303"
    history = await api.call("GET", f"/v1/customers/{results[75]['customer_id']}/history")
    assert [e["kind"] for e in history.json()["items"]] == ["registered"]
    # a later single call finds the batch's records through their key rows
    again = await api.identify(same_person_elsewhere(records[75]))
    assert again["decision"] == "linked" and again["customer_id"] == results[75]["customer_id"]
