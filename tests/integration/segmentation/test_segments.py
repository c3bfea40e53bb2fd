"""Rule segments: create, preview, read, page members, membership kept current with events."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.contracts import SegmentEntered, SegmentExited
from tests.integration.segmentation.kit import (
    balance,
    customer_id,
    published_of,
    registered,
    send,
    value_of,
)
from tests.support import eventually

pytestmark = pytest.mark.xdist_group("segmentation")


def branch_rule(branch: str, *more: dict[str, Any]) -> dict[str, Any]:
    """Customers of one (random, so this test's own) home branch, and more conditions."""
    return {"all": [{"field": "home_branch_id", "op": "eq", "value": branch}, *more]}


async def branch_customers(api: Any, producer: Any, count: int) -> tuple[str, list[str]]:
    """A fresh branch with ``count`` registered customers, folded."""
    branch = f"b-{uuid.uuid4().hex[:8]}"
    customers = sorted(customer_id() for _ in range(count))
    await send(producer, *(registered(c, branch) for c in customers))
    for customer in customers:
        await eventually(lambda c=customer: value_of(api, c))
    return branch, customers


async def test_a_new_segment_takes_in_everyone_who_meets_it_and_pages_them(
    worker: Any, api: Any, producer: Any, published: Any
) -> None:
    branch, customers = await branch_customers(api, producer, 3)
    rule = branch_rule(branch)

    preview = (await api.post("/v1/segments/preview", json={"condition": rule})).json()
    created = await api.post("/v1/segments", json={"name": f"Branch {branch}", "condition": rule})

    assert preview == {"count": 3, "sample": customers}
    assert created.status_code == 201, created.text
    segment = created.json()
    assert segment["member_count"] == 3
    assert (await api.get(f"/v1/segments/{segment['id']}")).json() == segment
    first = (await api.get(f"/v1/segments/{segment['id']}/members?limit=2")).json()
    rest = (
        await api.get(
            f"/v1/segments/{segment['id']}/members",
            params={"limit": 2, "cursor": first["next_cursor"]},
        )
    ).json()
    assert first["customer_ids"] + rest["customer_ids"] == customers
    assert rest["next_cursor"] is None
    for customer in customers:
        entered = await eventually(lambda c=customer: published_of(published, c, SegmentEntered))
        assert entered[0].segment_id == segment["id"]
        assert entered[0].segment_name == f"Branch {branch}"


async def test_membership_follows_events_with_entered_and_exited(
    worker: Any, api: Any, producer: Any, published: Any
) -> None:
    branch, _ = await branch_customers(api, producer, 1)
    rule = branch_rule(branch, {"field": "tier", "op": "eq", "value": "affluent"})
    segment = (await api.post("/v1/segments", json={"name": branch, "condition": rule})).json()
    assert segment["member_count"] == 0
    newcomer = customer_id()

    await send(producer, registered(newcomer, branch), balance(newcomer, 800_000.0))
    [entered] = await eventually(lambda: published_of(published, newcomer, SegmentEntered))
    await send(producer, balance(newcomer, 100_000.0))  # down to mass
    [exited] = await eventually(lambda: published_of(published, newcomer, SegmentExited))

    assert entered.segment_id == exited.segment_id == segment["id"]
    value = await value_of(api, newcomer)
    assert value is not None and value["segments"] == []
    page = (await api.get(f"/v1/segments/{segment['id']}/members")).json()
    assert page["customer_ids"] == []


async def test_a_segment_can_build_on_another(api: Any, worker: Any, producer: Any) -> None:
    branch, customers = await branch_customers(api, producer, 2)
    await send(producer, balance(customers[0], 900_000.0))
    await eventually(lambda: _assets(api, customers[0]))
    base = (
        await api.post(
            "/v1/segments", json={"name": f"{branch}-all", "condition": branch_rule(branch)}
        )
    ).json()
    rule = {
        "all": [
            {"segment": base["id"], "op": "member"},
            {"not": {"field": "tier", "op": "eq", "value": "mass"}},
        ]
    }

    built = await api.post("/v1/segments", json={"name": f"{branch}-rich", "condition": rule})

    assert built.status_code == 201, built.text
    members = (await api.get(f"/v1/segments/{built.json()['id']}/members")).json()
    assert members["customer_ids"] == [customers[0]]


async def _assets(api: Any, customer: str) -> bool:
    value = await value_of(api, customer)
    return bool(value and value["balances"])


async def test_creating_with_an_idempotency_key_twice_creates_once(api: Any) -> None:
    body = {"name": f"idem-{uuid.uuid4().hex[:8]}", "condition": branch_rule("nowhere")}
    headers = {"Idempotency-Key": uuid.uuid4().hex}

    first = await api.post("/v1/segments", json=body, headers=headers)
    again = await api.post("/v1/segments", json=body, headers=headers)
    other = await api.post("/v1/segments", json={**body, "description": "x"}, headers=headers)
    unkeyed = await api.post("/v1/segments", json=body)

    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers["idempotent-replayed"] == "true"
    assert other.status_code == 422
    assert unkeyed.status_code == 409


async def test_an_invalid_condition_is_a_422_listing_every_problem_with_its_path(api: Any) -> None:
    rule = {
        "all": [
            {"field": "txn_cnt", "window": "90d", "op": "gte", "value": 5},
            {"field": "tier", "op": "eq", "value": "platinum"},
            {"segment": "seg-missing", "op": "member"},
        ]
    }

    response = await api.post("/v1/segments", json={"name": "broken", "condition": rule})

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    fields = [e["field"] for e in response.json()["errors"]]
    assert fields == [
        "condition.all[0].field",
        "condition.all[1].value",
        "condition.all[2].segment",
    ]
    assert "did you mean 'txn_count'" in response.json()["errors"][0]["message"]


async def test_unknown_segments_and_bad_cursors_are_problems(api: Any) -> None:
    segment = (
        await api.post(
            "/v1/segments", json={"name": uuid.uuid4().hex, "condition": branch_rule("x")}
        )
    ).json()

    missing = await api.get("/v1/segments/seg-nope/members")
    bad = await api.get(f"/v1/segments/{segment['id']}/members", params={"cursor": "%%%"})

    assert missing.status_code == 404
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"
