"""The channels a bank reaches its customers through (DOMAIN.md §5.1)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Channel:
    """A contact channel: whether it is personal, and whether the bank may initiate on it."""

    name: str
    description: str
    personal: bool
    outbound: bool


CHANNELS: tuple[Channel, ...] = (
    Channel("branch", "A visit to a branch counter or a relationship manager.", True, False),
    Channel("phone", "A call between the customer and a relationship manager.", True, True),
    Channel("call_center", "The bank's call center (95xxx line).", True, True),
    Channel("mobile_app", "The mobile-banking app, including push notifications.", False, True),
    Channel("online_banking", "Internet banking on the web.", False, True),
    Channel("letter", "A posted letter or statement.", False, True),
    Channel("email", "E-mail.", False, True),
    Channel("sms", "Text message.", False, True),
    Channel("wechat", "The bank's WeChat official account or mini-program.", False, True),
    Channel("event", "A customer event, salon or club gathering.", True, True),
)
