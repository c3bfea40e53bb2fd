"""Changing and deleting rule segments: members follow the new rule, with their events."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.contracts import SegmentEntered, SegmentExited
from tests.integration.segmentation.kit import balance, published_of, send, value_of
from tests.integration.segmentation.test_segments import branch_customers, branch_rule
from tests.support import eventually

pytestmark = pytest.mark.xdist_group("segmentation")

AFFLUENT = {"field": "tier", "op": "eq", "value": "affluent"}


async def members_of(api: Any, segment_id: str) -> list[str]:
    return list((await api.get(f"/v1/segments/{segment_id}/members")).json()["customer_ids"])


async def affluent(api: Any, customer: str) -> bool:
    value = await value_of(api, customer)
    return bool(value and value["tier"]["tier"] == "affluent")


async def base_and_reader(api: Any, branch: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A segment of the branch's customers, and a segment ("<branch>-r") of its members."""
    base = (
        await api.post("/v1/segments", json={"name": branch, "condition": branch_rule(branch)})
    ).json()
    reader_rule = {"segment": base["id"], "op": "member"}
    reader = (
        await api.post("/v1/segments", json={"name": f"{branch}-r", "condition": reader_rule})
    ).json()
    return base, reader


async def test_a_new_condition_moves_members_in_and_out_with_events(
    worker: Any, api: Any, producer: Any, published: Any
) -> None:
    branch, customers = await branch_customers(api, producer, 3)
    rich, *others = customers
    await send(producer, balance(rich, 800_000.0))
    await eventually(lambda: affluent(api, rich))
    created = await api.post(
        "/v1/segments", json={"name": branch, "condition": branch_rule(branch)}
    )
    segment = created.json()

    changed = await api.patch(
        f"/v1/segments/{segment['id']}",
        json={"name": f"{branch} affluent", "condition": branch_rule(branch, AFFLUENT)},
    )

    assert changed.status_code == 200, changed.text
    body = changed.json()
    assert body["name"] == f"{branch} affluent" and body["member_count"] == 1
    assert body["condition"] == branch_rule(branch, AFFLUENT)
    assert body["description"] == segment["description"]
    assert await members_of(api, segment["id"]) == [rich]
    for customer in others:
        [exited] = await eventually(lambda c=customer: published_of(published, c, SegmentExited))
        assert exited.segment_id == segment["id"]
        assert exited.segment_name == f"{branch} affluent"
    assert published.of(rich, SegmentExited) == []


async def test_a_segment_read_by_another_is_deleted_only_after_its_reader(
    worker: Any, api: Any, producer: Any, published: Any
) -> None:
    branch, customers = await branch_customers(api, producer, 2)
    base, reader = await base_and_reader(api, branch)
    assert reader["member_count"] == 2

    refused = await api.delete(f"/v1/segments/{base['id']}")
    first = await api.delete(f"/v1/segments/{reader['id']}")
    second = await api.delete(f"/v1/segments/{base['id']}")

    assert refused.status_code == 409 and f"{branch}-r" in refused.json()["detail"]
    assert first.status_code == second.status_code == 204
    assert (await api.get(f"/v1/segments/{base['id']}")).status_code == 404
    assert (await api.get(f"/v1/segments/{base['id']}/members")).status_code == 404
    for customer in customers:
        exits = await eventually(
            lambda c=customer: _both(published.of(c, SegmentExited), base["id"], reader["id"])
        )
        assert sorted(e.segment_id for e in exits) == sorted([base["id"], reader["id"]])
        value = await value_of(api, customer)
        assert value is not None and value["segments"] == []


async def _both(events: list[Any], *segment_ids: str) -> list[Any] | None:
    """The events, once they name every one of the segments (a probe for `eventually`)."""
    return events if {e.segment_id for e in events} >= set(segment_ids) else None


async def test_changing_the_base_segment_carries_through_to_its_reader(
    worker: Any, api: Any, producer: Any, published: Any
) -> None:
    branch, customers = await branch_customers(api, producer, 2)
    rich, plain = customers
    await send(producer, balance(rich, 800_000.0))
    await eventually(lambda: affluent(api, rich))
    base, reader = await base_and_reader(api, branch)

    await api.patch(f"/v1/segments/{base['id']}", json={"condition": branch_rule(branch, AFFLUENT)})

    assert await members_of(api, reader["id"]) == [rich]
    exits = await eventually(lambda: published_of(published, plain, SegmentExited))
    assert sorted(e.segment_id for e in exits) == sorted([base["id"], reader["id"]])
    assert {e.segment_id for e in published.of(rich, SegmentEntered)} >= {base["id"], reader["id"]}


async def test_bad_changes_are_problems_and_change_nothing(api: Any) -> None:
    name = uuid.uuid4().hex
    segment = (
        await api.post("/v1/segments", json={"name": name, "condition": branch_rule("x")})
    ).json()
    other = (
        await api.post(
            "/v1/segments", json={"name": uuid.uuid4().hex, "condition": branch_rule("y")}
        )
    ).json()
    url = f"/v1/segments/{segment['id']}"

    taken = await api.patch(url, json={"name": other["name"]})
    broken = await api.patch(url, json={"condition": {"field": "tier", "op": "eq", "value": "x"}})
    itself = await api.patch(url, json={"condition": {"segment": segment["id"], "op": "member"}})
    missing = await api.patch("/v1/segments/seg-nope", json={"description": "x"})
    gone = await api.delete("/v1/segments/seg-nope")

    assert taken.status_code == 409
    assert broken.status_code == 422 and broken.json()["errors"][0]["field"] == "condition.value"
    assert itself.status_code == 422
    assert missing.status_code == gone.status_code == 404
    assert (await api.get(url)).json() == segment
