"""Topic names (DESIGN §3); every topic is partitioned by customer id."""

from __future__ import annotations

BANKING_TRANSACTIONS = "banking.transactions"
BANKING_ACCOUNTS = "banking.accounts"
IDENTITY_CUSTOMERS = "identity.customers"
SEGMENTATION_VALUES = "segmentation.values"
LIFECYCLE_STAGES = "lifecycle.stages"
INTERACTION_EVENTS = "interaction.events"

ALL_TOPICS = (
    BANKING_TRANSACTIONS,
    BANKING_ACCOUNTS,
    IDENTITY_CUSTOMERS,
    SEGMENTATION_VALUES,
    LIFECYCLE_STAGES,
    INTERACTION_EVENTS,
)

DLQ_SUFFIX = ".dlq"


def dlq(topic: str) -> str:
    """The dead-letter topic of ``topic``."""
    return topic + DLQ_SUFFIX
