"""The declared catalogue of fields a segment condition may read.

Each field is one record key / DataFrame column (a windowed field one per window, named by
`column_name`, e.g. ``txn_count_90d``). Column types the vectorized evaluator expects:
number → any numeric dtype; string and enum → String or Categorical; bool → Boolean;
set → List(String).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from services.segmentation.domain.rules.ast import FieldKind, Op, column_name
from services.segmentation.domain.vocabulary import (
    AbcClass,
    LifecycleStage,
    Tier,
    ValueCategory,
    Window,
)

_EQUALITY = frozenset({Op.EQ, Op.NE, Op.IN, Op.NOT_IN, Op.EXISTS})
OPS_BY_KIND: Mapping[FieldKind, frozenset[Op]] = MappingProxyType(
    {
        FieldKind.NUMBER: _EQUALITY | {Op.LT, Op.LTE, Op.GT, Op.GTE, Op.BETWEEN},
        FieldKind.STRING: _EQUALITY,
        FieldKind.ENUM: _EQUALITY,
        FieldKind.BOOL: frozenset({Op.EQ, Op.NE, Op.EXISTS}),
        FieldKind.SET: frozenset({Op.CONTAINS, Op.EXISTS}),
    }
)


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One catalogue field: its type, whether it takes a window, and what values are valid."""

    name: str
    kind: FieldKind
    description: str
    windowed: bool = False
    choices: tuple[str, ...] = ()  # enum values, or allowed set elements (empty: any string)
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None  # regular expression a string value must match in full

    def columns(self) -> tuple[str, ...]:
        """Record keys / columns of this field (one per window when windowed)."""
        if not self.windowed:
            return (self.name,)
        return tuple(column_name(self.name, window) for window in Window)


class Catalogue:
    """A set of field specs, looked up by name."""

    def __init__(self, fields: Iterable[FieldSpec]) -> None:
        self._fields = {spec.name: spec for spec in fields}

    def __iter__(self) -> Iterator[FieldSpec]:
        return iter(self._fields.values())

    def get(self, name: str) -> FieldSpec | None:
        """The spec of `name`, or None when the catalogue does not declare it."""
        return self._fields.get(name)

    def names(self) -> tuple[str, ...]:
        """Declared field names, in declaration order."""
        return tuple(self._fields)

    def with_fields(self, *fields: FieldSpec) -> Catalogue:
        """A copy with more fields (e.g. a bank's own profile attributes)."""
        return Catalogue([*self._fields.values(), *fields])


def _enum(name: str, values: Iterable[str], description: str) -> FieldSpec:
    return FieldSpec(name, FieldKind.ENUM, description, choices=tuple(values))


def _number(
    name: str, description: str, *, minimum: float | None = None, maximum: float | None = None
) -> FieldSpec:
    return FieldSpec(name, FieldKind.NUMBER, description, minimum=minimum, maximum=maximum)


def _aggregate(name: str, description: str) -> FieldSpec:
    return FieldSpec(name, FieldKind.NUMBER, description, windowed=True)


_PROFILE = (
    _enum("customer_type", ("individual", "corporate", "institutional"), "kind of customer"),
    _enum("gender", ("female", "male", "unknown"), "gender of an individual"),
    _number("age", "age in years", minimum=0),
    _number("city_tier", "tier of the customer's city (1 = largest)", minimum=1),
    FieldSpec("occupation", FieldKind.STRING, "occupation"),
    FieldSpec("industry_code", FieldKind.STRING, "industry of a corporate customer"),
    FieldSpec("home_branch_id", FieldKind.STRING, "account-opening branch"),
    _number("tenure_days", "days since the relationship began", minimum=0),
    FieldSpec("vip", FieldKind.BOOL, "approved VIP status"),
)
_AGGREGATES = (
    _aggregate("txn_count", "number of transactions in the window"),
    _aggregate("txn_amount", "amount transacted in the window (yuan)"),
    _aggregate("fee_income", "fee income in the window (yuan)"),
    _aggregate("contribution", "contribution in the window (yuan)"),
)
_VALUES = (
    _number("recency_days", "days since the last transaction", minimum=0),
    _number("rfm_r", "RFM recency score", minimum=1, maximum=5),
    _number("rfm_f", "RFM frequency score", minimum=1, maximum=5),
    _number("rfm_m", "RFM monetary score", minimum=1, maximum=5),
    FieldSpec("rfm_code", FieldKind.STRING, "RFM code like 545", pattern="[1-5]{3}"),
    _enum("abc_class", (c.value for c in AbcClass), "ABC class"),
    _enum("tier", (t.value for t in Tier), "wealth tier"),
    FieldSpec("pb_borderline", FieldKind.BOOL, "within the borderline band below PB"),
    FieldSpec("pb_stable", FieldKind.BOOL, "private banking above the stable minimum"),
    FieldSpec("categories", FieldKind.SET, "value categories", choices=tuple(ValueCategory)),
    _enum("lifecycle_stage", (s.value for s in LifecycleStage), "lifecycle stage"),
    _number("clv", "predicted customer lifetime value (yuan)"),
    _number("expected_transactions", "expected transactions over the horizon", minimum=0),
    _number("p_alive", "probability the customer is still active", minimum=0, maximum=1),
    _number("financial_assets", "financial assets (yuan)"),
    _number("deposits", "deposit balances (yuan)"),
    _number("investments", "investment balances (yuan)"),
    _number("loans_outstanding", "loans outstanding (yuan)"),
    FieldSpec("products", FieldKind.SET, "codes of the products held"),
    FieldSpec(
        "product_kinds",
        FieldKind.SET,
        "kinds of products held",
        choices=("deposit", "loan", "card", "wealth"),
    ),
)

DEFAULT_CATALOGUE = Catalogue((*_PROFILE, *_AGGREGATES, *_VALUES))
