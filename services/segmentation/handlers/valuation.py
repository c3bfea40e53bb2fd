"""Settling: re-value the customers a transaction touched and publish what changed.

Runs inside `SegmentationUoW.commit`, after the batch's folds: the touched customers are valued
against the population figures of the last recompute and the current CLV model, their published
classification and segment memberships are compared with the new ones, and the differences are
written with their events (``value.changed``, ``segment.entered`` / ``.exited``) in the same
transaction. Customers merged away leave their segments (``exited``); erased ones just vanish.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import polars as pl

from services.segmentation.adapters.frames import inputs_from_profiles
from services.segmentation.adapters.uow import SegmentationUoW
from services.segmentation.domain import publication
from services.segmentation.domain.needs import needed_window_sums
from services.segmentation.domain.rules import Node, evaluate_segments_frame, parse_condition
from services.segmentation.domain.valuation import ClvModel, Figures, valuate
from services.segmentation.handlers.publishing import (
    publish_membership_changes,
    publish_value_changes,
)
from shared.db.timestamps import instant


@dataclass(frozen=True, slots=True)
class Context:
    """What valuing a few customers between recomputes needs."""

    figures: Figures
    model: ClvModel | None
    definitions: dict[str, Node]
    names: dict[str, str]


async def load_context(uow: SegmentationUoW) -> Context:
    """Figures of the last recompute, the current CLV model and every segment definition."""
    document = await uow.figures.get("valuation")
    figures = Figures() if document is None else Figures.from_dict(document["figures"])
    stored = await uow.models.current()
    segments = await uow.segments.all()
    return Context(
        figures=figures,
        model=None if stored is None else stored.model,
        definitions={s.id: parsed(json.dumps(s.condition)) for s in segments},
        names={s.id: s.name for s in segments},
    )


@lru_cache(maxsize=1024)
def parsed(condition: str) -> Node:
    """A stored (already validated) condition, parsed once per process."""
    return parse_condition(json.loads(condition))


async def settle(uow: SegmentationUoW) -> None:
    """Re-value the customers the transaction touched; publish changes."""
    buffer = uow.activity
    context = await load_context(uow)
    merged = sorted(cid for cid, why in buffer.removed.items() if why == "merged")
    if merged:
        await retire(uow, merged, names=context.names)
    ids = sorted(buffer.touched)
    if not ids:
        return
    stored = await uow.values.stored(ids)
    sums = needed_window_sums(
        context.definitions.values(),
        abc_window=uow.params.abc_window,
        rfm_window=uow.params.rfm_window,
    )
    inputs = inputs_from_profiles((buffer.profiles[cid] for cid in ids), stored, sums=sums)
    inputs = publication.current_baselines(inputs, publication.period_of(uow.now()))
    valued = valuate(
        inputs, uow.params, today=uow.today(), model=context.model, figures=context.figures
    ).frame
    await publish_classification(uow, publication.classification(valued, inputs))
    await publish_memberships(uow, context, valued, ids)


async def retire(uow: SegmentationUoW, ids: list[str], *, names: dict[str, str]) -> None:
    """Take customers merged away out of their segments and forget their values."""
    pairs = sorted(await uow.values.memberships(ids))
    await uow.values.leave(pairs)
    await uow.values.delete(ids)
    await publish_membership_changes(
        uow, entered=publication.pair_frame([]), exited=publication.pair_frame(pairs), names=names
    )


async def publish_classification(uow: SegmentationUoW, rows: pl.DataFrame) -> None:
    """Store changed classifications and publish one ``value.changed`` per customer."""
    changes = publication.changed(rows)
    if changes.is_empty():
        return
    now = uow.now()
    stored = changes.select(
        "customer_id",
        *publication.STORED,
        instant(now).alias("valued_at"),
    )
    await uow.values.save(stored.to_dicts())
    await publish_value_changes(uow, changes)


async def publish_memberships(
    uow: SegmentationUoW, context: Context, valued: pl.DataFrame, ids: Iterable[str]
) -> None:
    """Re-evaluate every segment for the valued customers; record and publish the changes."""
    if not context.definitions:
        return
    members = evaluate_segments_frame(context.definitions, valued)
    new = publication.memberships(valued["customer_id"], members)
    old = publication.pair_frame(sorted(await uow.values.memberships(list(ids))))
    changes = publication.membership_changes(old, new)
    await uow.values.enter(changes.entered.rows(), at=uow.now())
    await uow.values.leave(changes.exited.rows())
    await publish_membership_changes(
        uow, entered=changes.entered, exited=changes.exited, names=context.names
    )
