"""The segmentation service's Kafka boundary: which event types it handles, and with what."""

from __future__ import annotations

from services.segmentation.handlers import folding
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
from shared.messaging import Subscriptions

SUBSCRIPTIONS: Subscriptions = {
    TransactionPosted.event_type: [folding.when_transaction_posted_fold_activity],
    ProductOpened.event_type: [folding.when_product_opened_fold_holding],
    ProductClosed.event_type: [folding.when_product_closed_fold_holding],
    BalanceSnapshotted.event_type: [folding.when_balance_snapshotted_fold_balances],
    StageChanged.event_type: [folding.when_stage_changed_note_stage],
    CustomerRegistered.event_type: [folding.when_customer_registered_note_identity],
    CustomerUpdated.event_type: [folding.when_customer_registered_note_identity],
    CustomerMerged.event_type: [folding.when_customer_merged_fold_into_survivor],
    CustomerUnmerged.event_type: [folding.when_customer_unmerged_restore_id],
    CustomerErased.event_type: [folding.when_customer_erased_delete_data],
}
