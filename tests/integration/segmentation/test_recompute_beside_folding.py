"""The recompute reads and values without the exclusive lock, so folding goes on meanwhile:
what was folded or erased in between is left as folding left it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from services.segmentation.adapters.orm import customer_value, messaging, segment_member
from services.segmentation.bootstrap import bootstrap
from services.segmentation.handlers import recompute as recompute_module
from services.segmentation.handlers.recompute import recompute_and_store
from services.segmentation.handlers.segments import CreateSegment, create_segment
from shared.envelope import decode
from tests.integration.segmentation.kit import NOW, balance, customer_id, erased
from tests.integration.segmentation.test_passing_time import Clock, fold
from tests.support import migrate, settings_for

pytestmark = pytest.mark.xdist_group("segmentation")


@pytest.mark.parametrize("erase", [True, False], ids=["folded and erased", "folded"])
async def test_customers_folded_or_erased_during_a_recompute_are_left_to_folding(
    erase: bool, fresh_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await migrate("segmentation", fresh_database)
    container = bootstrap(
        settings_for("segmentation", database_url=fresh_database), clock=Clock(NOW)
    )
    try:
        riser, leaver, steady = customer_id("r"), customer_id("l"), customer_id("s")
        await fold(container, *(balance(c, 100_000.0) for c in (riser, leaver, steady)))
        async with container.uow() as uow:
            condition = {"field": "financial_assets", "op": "gt", "value": 0}
            await create_segment(CreateSegment("holders", "", condition, "test"), uow=uow)
            await uow.commit()

        real_lock = recompute_module.hold_valuation_lock

        async def fold_then_lock(session: Any, *, exclusive: bool) -> None:
            if exclusive:  # between the recompute's read and its writes
                await fold(container, balance(riser, 7_000_000.0), *([erased(leaver)] * erase))
            await real_lock(session, exclusive=exclusive)

        monkeypatch.setattr(recompute_module, "hold_valuation_lock", fold_then_lock)
        last = await last_outbox_id(container)
        report = await recompute_and_store(container.uow())

        assert report.folded_meanwhile == 1 + erase
        stayed = {riser, steady} | (set() if erase else {leaver})
        assert await tiers(container) == {c: "mass" for c in stayed} | {riser: "private_banking"}
        assert await members(container) == stayed
        events = await events_since(container, last)
        assert not erase or leaver not in {e.subject for e in events}
        # the riser's only value event is folding's: the recompute valued the old profile
        riser_tiers = [e.data["tier"] for e in events if e.subject == riser and "tier" in e.data]
        assert riser_tiers == ["private_banking"]
    finally:
        await container.runtime.close()


async def tiers(container: Any) -> dict[str, str]:
    v = customer_value
    async with container.runtime.sessions() as session:
        return {r[0]: r[1] for r in await session.execute(select(v.c.customer_id, v.c.tier))}


async def members(container: Any) -> set[str]:
    async with container.runtime.sessions() as session:
        return set((await session.scalars(select(segment_member.c.customer_id))).all())


async def last_outbox_id(container: Any) -> int:
    outbox = messaging.outbox
    async with container.runtime.sessions() as session:
        return int(await session.scalar(select(outbox.c.id).order_by(outbox.c.id.desc())) or 0)


async def events_since(container: Any, last: int) -> list[Any]:
    outbox = messaging.outbox
    async with container.runtime.sessions() as session:
        query = select(outbox.c.value).where(outbox.c.id > last).order_by(outbox.c.id)
        return [decode(value.encode()) for value in (await session.scalars(query)).all()]
