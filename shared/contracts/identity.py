"""Events of the identity service: customers registered, updated, merged, unmerged, erased.

Payloads carry ids and the facts consumers need (kind, branches, channels), never plaintext PII.
"""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from shared.contracts._base import AwareDatetime, CustomerId, EventPayload
from shared.contracts.topics import IDENTITY_CUSTOMERS

CustomerKind = Literal["person", "organization"]


class _CustomerEvent(EventPayload):
    topic: ClassVar[str] = IDENTITY_CUSTOMERS


class _CustomerFacts(_CustomerEvent):
    """What consumers may know of a customer: the kind and where the bank has seen them."""

    customer_id: CustomerId
    kind: CustomerKind
    home_branch: str | None = None
    branches: list[str] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=list)
    occurred_at: AwareDatetime


class CustomerRegistered(_CustomerFacts):
    """A new customer was recognised."""

    event_type: ClassVar[str] = "identity.customer.registered.v1"

    # True when the record behind it waits for a clerk, who may still merge it into another.
    pending_review: bool = False


class CustomerUpdated(_CustomerFacts):
    """The customer's golden record changed (a new source record, a correction)."""

    event_type: ClassVar[str] = "identity.customer.updated.v1"

    changed: list[str] = Field(default_factory=list)


class _SurvivorEvent(_CustomerEvent):
    survivor_id: CustomerId
    reason: str = ""
    occurred_at: AwareDatetime

    def subject(self) -> str | None:
        """Keyed by the survivor, so its merges and unmerges stay in order."""
        return self.survivor_id


class CustomerMerged(_SurvivorEvent):
    """Two customer ids turned out to be one person: fold ``merged_id`` into ``survivor_id``."""

    event_type: ClassVar[str] = "identity.customer.merged.v1"

    merged_id: CustomerId


class CustomerUnmerged(_SurvivorEvent):
    """A merge was undone: ``restored_id`` exists again beside ``survivor_id``."""

    event_type: ClassVar[str] = "identity.customer.unmerged.v1"

    restored_id: CustomerId


class CustomerErased(_CustomerEvent):
    """The customer's personal data was erased: delete or anonymize everything about them."""

    event_type: ClassVar[str] = "identity.customer.erased.v1"

    customer_id: CustomerId
    occurred_at: AwareDatetime
