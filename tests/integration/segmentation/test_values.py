"""Tiers, ABC, categories and their ``value.changed`` events; the recompute and the reports."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from shared.contracts import ValueChanged
from tests.integration.segmentation.kit import (
    NOW,
    balance,
    customer_id,
    send,
    stage,
    transaction,
    value_of,
)
from tests.support import eventually

pytestmark = pytest.mark.xdist_group("segmentation")


async def test_a_tier_change_is_published_with_the_old_and_new_values(
    worker: Any, api: Any, producer: Any, published: Any
) -> None:
    customer = customer_id()
    await send(producer, balance(customer, 100_000.0))
    [first] = await eventually(lambda: _changes(published, customer, 1))
    assert (first.old.tier, first.new.tier) == (None, "mass")

    await send(producer, balance(customer, 7_000_000.0))

    second = (await eventually(lambda: _changes(published, customer, 2)))[1]
    assert (second.old.tier, second.new.tier, second.tier) == (
        "mass",
        "private_banking",
        "private_banking",
    )


async def test_hysteresis_keeps_a_customer_in_tier_near_the_threshold(
    worker: Any, api: Any, producer: Any, published: Any
) -> None:
    customer = customer_id()
    await send(producer, balance(customer, 6_500_000.0))
    await eventually(lambda: _changes(published, customer, 1))

    await send(producer, balance(customer, 5_900_000.0))  # within 5 % below ¥6M: stays
    value = await eventually(lambda: _assets(api, customer, 5_900_000.0))

    assert value["tier"] == {"tier": "private_banking", "borderline": True, "stable": False}
    # its value now sits across the boundary from its tier: a migrator, still private banking
    assert "migrator" in value["categories"]
    changes = await eventually(lambda: _changes(published, customer, 2))
    assert [c.tier for c in changes] == ["private_banking", "private_banking"]
    assert changes[1].new.categories == ["migrator"]


async def _changes(published: Any, customer: str, count: int) -> list[Any] | None:
    events = published.of(customer, ValueChanged)
    return events if len(events) >= count else None


async def _assets(api: Any, customer: str, assets: float) -> dict[str, Any] | None:
    value = await value_of(api, customer)
    if value and value["balances"] and value["balances"]["financial_assets"] == assets:
        return value
    return None


async def test_below_zero_is_never_given_in_the_development_stage(
    worker: Any, api: Any, producer: Any
) -> None:
    developing, grown = customer_id("d"), customer_id("g")
    for customer, to in ((developing, "development"), (grown, "growth")):
        # branch transactions without fees: the customer costs more than they bring
        await send(producer, stage(customer, to), transaction(customer, 50.0, channel="branch"))

    dev = await eventually(lambda: _staged(api, developing))
    grew = await eventually(lambda: _staged(api, grown))

    assert dev["activity"]["365d"]["contribution"] < 0
    assert grew["activity"]["365d"]["contribution"] < 0
    assert "below_zero" not in dev["categories"]
    assert "below_zero" in grew["categories"]


async def _staged(api: Any, customer: str) -> dict[str, Any] | None:
    value = await value_of(api, customer)
    return value if value and value["lifecycle_stage"] and value["active_days"] else None


async def test_a_recompute_ranks_the_population_and_fills_the_reports(
    worker: Any, api: Any, producer: Any, published: Any
) -> None:
    whale, stale = customer_id("w"), customer_id("s")
    # Quintiles rank the customers active in the window, and which other tests share this
    # database depends on how pytest-xdist spreads them: alone, the whale ties with itself on
    # every cut and scores the neutral 3. A few ordinary customers of its own put it on top.
    ordinary = [customer_id("o") for _ in range(4)]
    await send(producer, *(transaction(c, 100.0 * n) for n, c in enumerate(ordinary, 1)))
    await send(producer, transaction(whale, 1_000_000.0, fee_income=50_000_000, channel="branch"))
    await send(producer, transaction(stale, 10.0, occurred_at=NOW - timedelta(days=365 * 40)))
    await eventually(lambda: _known(api, [*ordinary, whale, stale]))

    response = await api.post("/v1/recompute")

    assert response.status_code == 200, response.text
    report = response.json()
    assert report["customers"] >= 1 and "valuate" in report["seconds"]
    value = await value_of(api, whale)
    assert value is not None
    assert value["abc_class"] == "A"
    assert {"most_valuable", "gold"} <= set(value["categories"])
    # No other test sends a transaction near a million, so the whale tops every population;
    # a customer last seen forty years ago ranks below today's whatever the population.
    old = await value_of(api, stale)
    assert old is not None
    assert value["rfm"]["monetary"] == 5 and value["rfm"]["recency"] > old["rfm"]["recency"]
    events = await eventually(lambda: _abc(published, whale, "A"))
    assert events[-1].old.abc_class == "C"
    pareto = (await api.get("/v1/reports/pareto")).json()
    assert pareto["customers"] == report["customers"]
    assert pareto["points"][0] == {"customer_share": 0.0, "contribution_share": 0.0}
    assert pareto["class_counts"]["A"] >= 1
    tiers = (await api.get("/v1/reports/tiers")).json()
    assert [t["tier"] for t in tiers["tiers"]] == ["mass", "affluent", "private_banking"]
    assert sum(t["customers"] for t in tiers["tiers"]) >= report["customers"] - 1
    categories = (await api.get("/v1/reports/categories")).json()
    assert categories["categories"]["gold"] >= 1


async def _known(api: Any, customers: list[str]) -> bool:
    """Whether segmentation knows every one of ``customers``."""
    return all([await value_of(api, customer) for customer in customers])


async def _abc(published: Any, customer: str, abc_class: str) -> list[Any] | None:
    events = published.of(customer, ValueChanged)
    return events if events and events[-1].abc_class == abc_class else None
