"""Events of the interaction service: contacts, surveys, complaints and offer responses."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from shared.contracts._base import AwareDatetime, CustomerId, EventPayload
from shared.contracts.topics import INTERACTION_EVENTS


class _InteractionEvent(EventPayload):
    topic: ClassVar[str] = INTERACTION_EVENTS

    customer_id: CustomerId
    occurred_at: AwareDatetime


class InteractionRecorded(_InteractionEvent):
    """A contact with the customer on any channel."""

    event_type: ClassVar[str] = "interaction.recorded.v1"

    interaction_id: str = Field(min_length=1, max_length=64)
    channel: str = Field(min_length=1, max_length=32)
    direction: Literal["inbound", "outbound"]
    initiated_by: Literal["customer", "bank"]
    purpose: str = ""
    outcome: str = ""
    relationship_manager_id: str | None = None


class SurveyAnswered(_InteractionEvent):
    """The customer answered a satisfaction survey."""

    event_type: ClassVar[str] = "interaction.survey.answered.v1"

    survey_id: str = Field(min_length=1, max_length=64)
    kind: Literal["csat", "nps"]
    score: int = Field(ge=0, le=10)
    dissatisfied: bool


class ComplaintOpened(_InteractionEvent):
    """The customer complained."""

    event_type: ClassVar[str] = "interaction.complaint.opened.v1"

    complaint_id: str = Field(min_length=1, max_length=64)
    category: str = ""
    severity: Literal["low", "medium", "high"] = "medium"


class ComplaintResolved(_InteractionEvent):
    """A complaint was resolved."""

    event_type: ClassVar[str] = "interaction.complaint.resolved.v1"

    complaint_id: str = Field(min_length=1, max_length=64)
    outcome: str = ""


class OfferResponded(_InteractionEvent):
    """The customer responded to an offer."""

    event_type: ClassVar[str] = "interaction.offer.responded.v1"

    offer_id: str = Field(min_length=1, max_length=64)
    response: Literal["accepted", "declined", "ignored"]
    channel: str = ""
