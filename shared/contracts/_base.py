"""The base of every event payload: its CloudEvents type and its topic ride on the class."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

CustomerId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:\-]+$")]


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("timestamp must carry a UTC offset")
    return value


AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


class EventPayload(BaseModel):
    """The ``data`` of one event type; subclasses set ``event_type`` and ``topic``."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    event_type: ClassVar[str]
    topic: ClassVar[str]

    def subject(self) -> str | None:
        """The customer the event is about (the Kafka key), if any."""
        return getattr(self, "customer_id", None)
