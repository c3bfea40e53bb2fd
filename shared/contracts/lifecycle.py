"""Events of the lifecycle service: stage changes and early-warning alerts."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import Field

from shared.contracts._base import AwareDatetime, CustomerId, EventPayload
from shared.contracts.topics import LIFECYCLE_STAGES

Stage = Literal["prospect", "development", "growth", "maturity", "decline", "terminated"]
STAGES: tuple[Stage, ...] = (
    "prospect",
    "development",
    "growth",
    "maturity",
    "decline",
    "terminated",
)


class StageChanged(EventPayload):
    """The customer moved to another lifecycle stage; says which rule fired and why."""

    event_type: ClassVar[str] = "lifecycle.stage.changed.v1"
    topic: ClassVar[str] = LIFECYCLE_STAGES

    customer_id: CustomerId
    from_stage: Stage | None = Field(default=None, alias="from")
    to_stage: Stage = Field(alias="to")
    reason: str = ""
    signals: dict[str, Any] = Field(default_factory=dict)
    rule_version: str = ""
    occurred_at: AwareDatetime


class AlertRaised(EventPayload):
    """An early warning that a relationship may be declining, with a recommended strategy."""

    event_type: ClassVar[str] = "lifecycle.alert.raised.v1"
    topic: ClassVar[str] = LIFECYCLE_STAGES

    customer_id: CustomerId
    kind: str = Field(min_length=1, max_length=64)
    severity: Literal["low", "medium", "high"]
    recommended_strategy: str = Field(min_length=1, max_length=64)
    evidence: dict[str, Any] = Field(default_factory=dict)
    occurred_at: AwareDatetime
