"""Events of the segmentation service: value changes and segment membership."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from shared.contracts._base import AwareDatetime, CustomerId, EventPayload
from shared.contracts.topics import SEGMENTATION_VALUES

Tier = Literal["mass", "affluent", "private_banking"]
AbcClass = Literal["A", "B", "C"]


class ValueState(BaseModel):
    """A customer's tier, ABC class and value categories at one moment."""

    model_config = ConfigDict(frozen=True)

    tier: Tier | None = None
    abc_class: AbcClass | None = None
    categories: list[str] = Field(default_factory=list)


class ValueChanged(EventPayload):
    """The customer's tier, ABC class or value categories changed."""

    event_type: ClassVar[str] = "segmentation.value.changed.v1"
    topic: ClassVar[str] = SEGMENTATION_VALUES

    customer_id: CustomerId
    tier: Tier | None = None
    abc_class: AbcClass | None = None
    categories: list[str] = Field(default_factory=list)
    old: ValueState = ValueState()
    new: ValueState = ValueState()
    occurred_at: AwareDatetime


class _SegmentEvent(EventPayload):
    topic: ClassVar[str] = SEGMENTATION_VALUES

    customer_id: CustomerId
    segment_id: str = Field(min_length=1, max_length=64)
    segment_name: str = ""
    occurred_at: AwareDatetime


class SegmentEntered(_SegmentEvent):
    """The customer now meets a rule segment's condition."""

    event_type: ClassVar[str] = "segmentation.segment.entered.v1"


class SegmentExited(_SegmentEvent):
    """The customer no longer meets a rule segment's condition."""

    event_type: ClassVar[str] = "segmentation.segment.exited.v1"
