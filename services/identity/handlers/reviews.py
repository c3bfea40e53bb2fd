"""The clerical-review queue: list pending pairs, and decide link or separate."""

from __future__ import annotations

from typing import Any, Literal

from services.identity.adapters.uow import IdentityUnitOfWork
from services.identity.handlers.common import Actor, IdentityConfig, history_row, now
from services.identity.handlers.customers import survivor
from services.identity.handlers.merging import merge
from shared.errors import Conflict, NotFound


async def pending_reviews(
    *, uow: IdentityUnitOfWork, after: int | None, limit: int
) -> tuple[list[Any], int | None]:
    """A page of pending reviews, oldest first, and the cursor of the next page."""
    rows = await uow.reviews.pending(after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (int(rows[-1].id) if more else None)


async def decide_review(
    review_id: int,
    decision: Literal["link", "separate"],
    *,
    uow: IdentityUnitOfWork,
    config: IdentityConfig,
    actor: Actor,
) -> Any:
    """Link (merge the record's customer into the suggested one) or keep them apart."""
    await uow.lock_registry()
    review = await uow.reviews.get(review_id, for_update=True)
    if review is None:
        raise NotFound(f"no review {review_id}")
    if review.status != "pending":
        raise Conflict(f"review {review_id} was already decided: {review.status}")
    at = now()
    if decision == "link":
        await _link(review, review_id, uow=uow, config=config, actor=actor)
    else:
        pairs = (
            (review.customer_id, review.candidate_id),
            (review.candidate_id, review.customer_id),
        )
        await uow.history.add(
            [
                history_row(a, "review_separated", actor=actor, at=at, other_id=b,
                            review_id=review_id)
                for a, b in pairs
            ]
        )  # fmt: skip
    status = "linked" if decision == "link" else "separated"
    await uow.reviews.decide(review_id, status=status, by=actor.subject, at=at)
    return await uow.reviews.get(review_id)


async def _link(
    review: Any,
    review_id: int,
    *,
    uow: IdentityUnitOfWork,
    config: IdentityConfig,
    actor: Actor,
) -> None:
    """Merge the record's customer into the suggested one (both as they stand now)."""
    record_side = await survivor(uow, review.customer_id)
    suggested = await survivor(uow, review.candidate_id)
    if record_side.id != suggested.id:
        reason = f"review:{review_id}"
        await merge(
            suggested.id, record_side.id, reason=reason, uow=uow, config=config, actor=actor
        )
