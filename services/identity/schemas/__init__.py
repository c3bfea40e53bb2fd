"""Request and response models of the identity service (the public HTTP contract)."""

from services.identity.schemas.customers import (
    CustomerList,
    CustomerRead,
    SourceRecordList,
    SourceRecordRead,
)
from services.identity.schemas.operations import (
    AuditCheckRead,
    DecisionIn,
    FitIn,
    HistoryEntryRead,
    HistoryPage,
    MergeIn,
    MergeRead,
    ModelRead,
    ReviewPage,
    ReviewRead,
    UnmergeIn,
)
from services.identity.schemas.records import (
    BatchIn,
    BatchItemRead,
    BatchRead,
    IdentifyRead,
    SourceRecordIn,
    record_errors,
)

__all__ = [
    "AuditCheckRead",
    "BatchIn",
    "BatchItemRead",
    "BatchRead",
    "CustomerList",
    "CustomerRead",
    "DecisionIn",
    "FitIn",
    "HistoryEntryRead",
    "HistoryPage",
    "IdentifyRead",
    "MergeIn",
    "MergeRead",
    "ModelRead",
    "ReviewPage",
    "ReviewRead",
    "SourceRecordIn",
    "SourceRecordList",
    "SourceRecordRead",
    "UnmergeIn",
    "record_errors",
]
