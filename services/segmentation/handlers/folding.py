"""Event handlers: fold banking, identity and lifecycle events into customer profiles.

Each handler records a fold in the unit of work's activity buffer; the folds of a consumer batch
are applied together when the unit of work commits, and the customers they touched are re-valued
then (``handlers.valuation.settle``). Merges and erasures apply at once, in event order.
"""

from __future__ import annotations

from services.segmentation.adapters.merging import (
    erase_customer,
    merge_customers,
    unmerge_customer,
)
from services.segmentation.adapters.uow import SegmentationUoW
from services.segmentation.domain.contribution import transaction_cost
from services.segmentation.domain.profile import Balances
from shared.contracts import (
    BalanceSnapshotted,
    CustomerErased,
    CustomerMerged,
    CustomerRegistered,
    CustomerUnmerged,
    CustomerUpdated,
    ProductClosed,
    ProductOpened,
    StageChanged,
    TransactionPosted,
)


async def when_transaction_posted_fold_activity(
    event: TransactionPosted, *, uow: SegmentationUoW
) -> None:
    """Count the transaction in its day's bucket and the customer's totals and windows."""
    carried = float(event.cost_to_serve)
    cost = transaction_cost(
        uow.params.contribution, channel=event.channel, carried=carried if carried > 0 else None
    )
    uow.activity.record(
        "transaction",
        event.customer_id,
        occurred_at=event.occurred_at,
        amount=float(event.amount),
        fee_income=float(event.fee_income),
        cost_to_serve=cost,
    )


async def when_product_opened_fold_holding(event: ProductOpened, *, uow: SegmentationUoW) -> None:
    """Record that the customer holds the product."""
    _record_product(event, uow=uow, opened=True)


async def when_product_closed_fold_holding(event: ProductClosed, *, uow: SegmentationUoW) -> None:
    """Record that the customer no longer holds the product."""
    _record_product(event, uow=uow, opened=False)


def _record_product(
    event: ProductOpened | ProductClosed, *, uow: SegmentationUoW, opened: bool
) -> None:
    uow.activity.record(
        "product",
        event.customer_id,
        account_id=event.account_id,
        product=event.product,
        kind=event.kind,
        opened=opened,
        occurred_at=event.occurred_at,
    )


async def when_balance_snapshotted_fold_balances(
    event: BalanceSnapshotted, *, uow: SegmentationUoW
) -> None:
    """Fold the balances (financial assets drive the tier; balances the contribution)."""
    balances = Balances(
        deposits=float(event.deposits),
        investments=float(event.investments),
        loans_outstanding=float(event.loans_outstanding),
        financial_assets=float(event.financial_assets),
    )
    uow.activity.record("balance", event.customer_id, as_of=event.as_of, balances=balances)


async def when_stage_changed_note_stage(event: StageChanged, *, uow: SegmentationUoW) -> None:
    """Keep the customer's lifecycle stage (no below-zero in development, segment rules)."""
    uow.activity.record(
        "stage", event.customer_id, stage=event.to_stage, occurred_at=event.occurred_at
    )


async def when_customer_registered_note_identity(
    event: CustomerRegistered | CustomerUpdated, *, uow: SegmentationUoW
) -> None:
    """Keep the customer's kind and home branch (segment rules read them)."""
    uow.activity.record(
        "identity",
        event.customer_id,
        kind=event.kind,
        home_branch=event.home_branch,
        occurred_at=event.occurred_at,
    )


async def when_customer_merged_fold_into_survivor(
    event: CustomerMerged, *, uow: SegmentationUoW
) -> None:
    """Fold the merged customer's activity, balances and products into the survivor."""
    await merge_customers(
        uow.activity,
        survivor_id=event.survivor_id,
        merged_id=event.merged_id,
        at=event.occurred_at,
    )


async def when_customer_unmerged_restore_id(
    event: CustomerUnmerged, *, uow: SegmentationUoW
) -> None:
    """Stop redirecting the restored id's events to the survivor."""
    await unmerge_customer(uow.activity, restored_id=event.restored_id)


async def when_customer_erased_delete_data(event: CustomerErased, *, uow: SegmentationUoW) -> None:
    """Delete everything segmentation holds about the customer."""
    await erase_customer(uow.activity, customer_id=event.customer_id)
