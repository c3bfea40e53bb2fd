"""Events from core banking (outside IDIC): transactions, products and balances."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal

from pydantic import Field

from shared.contracts._base import AwareDatetime, CustomerId, EventPayload
from shared.contracts.topics import BANKING_ACCOUNTS, BANKING_TRANSACTIONS

Money = Decimal
ProductKind = Literal["deposit", "loan", "card", "wealth"]


class TransactionPosted(EventPayload):
    """A transaction posted on one of the customer's accounts."""

    event_type: ClassVar[str] = "banking.transaction.posted.v1"
    topic: ClassVar[str] = BANKING_TRANSACTIONS

    transaction_id: str = Field(min_length=1, max_length=64)
    customer_id: CustomerId
    account_id: str = Field(min_length=1, max_length=64)
    product: str = Field(min_length=1, max_length=64)
    direction: Literal["credit", "debit"]
    amount: Money = Field(ge=0, max_digits=18, decimal_places=4)
    currency: str = Field(default="CNY", pattern=r"^[A-Z]{3}$")
    channel: str = Field(default="branch", min_length=1, max_length=32)
    fee_income: Money = Field(default=Decimal(0), max_digits=18, decimal_places=4)
    cost_to_serve: Money = Field(default=Decimal(0), ge=0, max_digits=18, decimal_places=4)
    occurred_at: AwareDatetime


class _ProductEvent(EventPayload):
    topic: ClassVar[str] = BANKING_ACCOUNTS

    customer_id: CustomerId
    account_id: str = Field(min_length=1, max_length=64)
    product: str = Field(min_length=1, max_length=64)
    kind: ProductKind
    occurred_at: AwareDatetime


class ProductOpened(_ProductEvent):
    """The customer opened a product (an account, a loan, a card, a wealth plan)."""

    event_type: ClassVar[str] = "banking.product.opened.v1"


class ProductClosed(_ProductEvent):
    """The customer closed a product."""

    event_type: ClassVar[str] = "banking.product.closed.v1"


class BalanceSnapshotted(EventPayload):
    """The customer's balances as of a date (financial assets drive the tier)."""

    event_type: ClassVar[str] = "banking.balance.snapshotted.v1"
    topic: ClassVar[str] = BANKING_ACCOUNTS

    customer_id: CustomerId
    as_of: date
    deposits: Money = Field(default=Decimal(0), ge=0, max_digits=20, decimal_places=4)
    investments: Money = Field(default=Decimal(0), ge=0, max_digits=20, decimal_places=4)
    loans_outstanding: Money = Field(default=Decimal(0), ge=0, max_digits=20, decimal_places=4)
    financial_assets: Money = Field(ge=0, max_digits=20, decimal_places=4)
