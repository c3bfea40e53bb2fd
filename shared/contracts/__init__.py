"""Event contracts (DESIGN §3): one pydantic model per event type, with its topic."""

from __future__ import annotations

from shared.contracts._base import EventPayload
from shared.contracts.banking import (
    BalanceSnapshotted,
    ProductClosed,
    ProductOpened,
    TransactionPosted,
)
from shared.contracts.identity import (
    CustomerErased,
    CustomerMerged,
    CustomerRegistered,
    CustomerUnmerged,
    CustomerUpdated,
)
from shared.contracts.interaction import (
    ComplaintOpened,
    ComplaintResolved,
    InteractionRecorded,
    OfferResponded,
    SurveyAnswered,
)
from shared.contracts.lifecycle import AlertRaised, StageChanged
from shared.contracts.segmentation import SegmentEntered, SegmentExited, ValueChanged
from shared.contracts.topics import ALL_TOPICS, dlq

CONTRACTS: dict[str, type[EventPayload]] = {
    model.event_type: model
    for model in (
        TransactionPosted,
        ProductOpened,
        ProductClosed,
        BalanceSnapshotted,
        CustomerRegistered,
        CustomerUpdated,
        CustomerMerged,
        CustomerUnmerged,
        CustomerErased,
        ValueChanged,
        SegmentEntered,
        SegmentExited,
        StageChanged,
        AlertRaised,
        InteractionRecorded,
        SurveyAnswered,
        ComplaintOpened,
        ComplaintResolved,
        OfferResponded,
    )
}

__all__ = [
    "ALL_TOPICS",
    "CONTRACTS",
    "AlertRaised",
    "BalanceSnapshotted",
    "ComplaintOpened",
    "ComplaintResolved",
    "CustomerErased",
    "CustomerMerged",
    "CustomerRegistered",
    "CustomerUnmerged",
    "CustomerUpdated",
    "EventPayload",
    "InteractionRecorded",
    "OfferResponded",
    "ProductClosed",
    "ProductOpened",
    "SegmentEntered",
    "SegmentExited",
    "StageChanged",
    "SurveyAnswered",
    "TransactionPosted",
    "ValueChanged",
    "dlq",
]
