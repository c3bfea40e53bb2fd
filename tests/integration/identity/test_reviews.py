"""The clerical-review queue: listing with a cursor, and link / separate decisions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.identity.builders import person, same_person_elsewhere, word
from tests.integration.identity.conftest import Api

pytestmark = pytest.mark.postgres


async def open_review(api: Api) -> dict[str, Any]:
    """Identify a person, then a near-miss of them: the second answer opens a review."""
    record = person()
    await api.identify(record)
    cousin = same_person_elsewhere(
        record, given_name=word(), gender="F", address={"postcode": word(4), "locality": word()}
    )
    answer = await api.identify(cousin)
    assert answer["decision"] == "review"
    return answer


async def all_pending(api: Api, limit: int) -> list[dict[str, Any]]:
    """Every pending review, page by page."""
    items, cursor = [], None
    while True:
        params = {"limit": limit, **({"cursor": cursor} if cursor else {})}
        page = (await api.call("GET", "/v1/reviews", params=params)).json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_pending_reviews_are_listed_with_evidence_page_by_page(api: Api) -> None:
    opened = [await open_review(api) for _ in range(3)]
    pending = await all_pending(api, limit=2)
    ids = [r["id"] for r in pending]
    assert ids == sorted(set(ids))
    mine = [r for r in pending if r["id"] in {o["review_id"] for o in opened}]
    assert [r["customer_id"] for r in mine] == [o["customer_id"] for o in opened]
    assert [r["candidate_id"] for r in mine] == [o["candidate_id"] for o in opened]
    assert {"field": "birth_date", "level": "exact"}.items() <= mine[0]["evidence"][2].items()


async def test_linking_a_review_merges_the_record_into_the_suggested_customer(api: Api) -> None:
    opened = await open_review(api)
    decided = await api.call(
        "POST", f"/v1/reviews/{opened['review_id']}/decision", json={"decision": "link"}
    )
    assert decided.status_code == 200
    assert decided.json()["status"] == "linked"
    golden = await api.customer(opened["customer_id"])
    assert golden["customer_id"] == opened["candidate_id"]
    assert golden["record_count"] == 2
    again = await api.call(
        "POST", f"/v1/reviews/{opened['review_id']}/decision", json={"decision": "separate"}
    )
    assert again.status_code == 409
    assert opened["review_id"] not in {r["id"] for r in await all_pending(api, limit=500)}


async def test_separating_a_review_keeps_both_customers(api: Api) -> None:
    opened = await open_review(api)
    decided = await api.call(
        "POST", f"/v1/reviews/{opened['review_id']}/decision", json={"decision": "separate"}
    )
    assert decided.json()["status"] == "separated"
    assert (await api.customer(opened["customer_id"]))["customer_id"] == opened["customer_id"]
    assert (await api.customer(opened["candidate_id"]))["record_count"] == 1
