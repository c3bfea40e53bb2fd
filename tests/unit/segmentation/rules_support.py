"""Builders shared by the rule-segment tests: frames from records, random data and conditions."""

import math
import random
from typing import Any

import polars as pl

from services.segmentation.domain.rules import DEFAULT_CATALOGUE, FieldKind, FieldSpec
from services.segmentation.domain.rules.catalogue import OPS_BY_KIND
from services.segmentation.domain.vocabulary import Window

DTYPES = {
    FieldKind.NUMBER: pl.Float64,
    FieldKind.STRING: pl.String,
    FieldKind.ENUM: pl.String,
    FieldKind.BOOL: pl.Boolean,
    FieldKind.SET: pl.List(pl.String),
}
NUMBERS = (0, 1, 2, 2.5, 3, 5, -4, 100, 1_000_000)
STRINGS = ("a", "b", "c", "555", "545", "111")
PRODUCTS = ("card-1", "fund-7", "loan-2")


def schema():
    return {column: DTYPES[spec.kind] for spec in DEFAULT_CATALOGUE for column in spec.columns()}


def frame_of(records, extra_columns=()):
    """A DataFrame with one row per record and a column per catalogue column (nulls if absent)."""
    columns = schema()
    data = {c: [_cell(r.get(c), columns[c]) for r in records] for c in columns}
    frame = pl.DataFrame(data, schema=columns, strict=False)
    for name in extra_columns:
        frame = frame.with_columns(pl.Series(name, [r.get(name) for r in records], pl.Boolean))
    return frame


def _cell(value, dtype):
    if isinstance(value, set | frozenset | tuple):
        return sorted(value)
    if dtype == pl.Float64 and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return value


def random_value(rng: random.Random, spec: FieldSpec):
    """A value a customer record might hold, missing values included."""
    if rng.random() < 0.15:
        return None
    if spec.kind is FieldKind.NUMBER:
        return rng.choice((*NUMBERS, math.nan, rng.uniform(-10, 10), rng.randint(0, 6)))
    if spec.kind is FieldKind.BOOL:
        return rng.random() < 0.5
    pool = spec.choices or (PRODUCTS if spec.kind is FieldKind.SET else STRINGS)
    if spec.kind is FieldKind.SET:
        return frozenset(rng.sample(pool, rng.randint(0, len(pool))))
    return rng.choice(pool)


def random_record(rng: random.Random):
    record = {}
    for spec in DEFAULT_CATALOGUE:
        for column in spec.columns():
            if rng.random() < 0.9:
                record[column] = random_value(rng, spec)
    return record


def random_condition(rng: random.Random, depth: int = 0, segments=()):
    """A random valid condition in JSON form, referring to `segments` now and then."""
    roll = rng.random()
    if depth < 4 and roll < 0.3:
        key = rng.choice(("all", "any"))
        return {key: [random_condition(rng, depth + 1, segments) for _ in range(rng.randint(1, 3))]}
    if depth < 4 and roll < 0.4:
        return {"not": random_condition(rng, depth + 1, segments)}
    if segments and roll < 0.5:
        return {"segment": rng.choice(segments), "op": "member"}
    return random_leaf(rng)


def random_leaf(rng: random.Random):
    spec = rng.choice(list(DEFAULT_CATALOGUE))
    op = rng.choice(sorted(OPS_BY_KIND[spec.kind]))
    leaf: dict[str, Any] = {"field": spec.name, "op": op.value}
    if spec.windowed:
        leaf["window"] = rng.choice(list(Window)).value
    if op.value == "exists":
        if rng.random() < 0.7:
            leaf["value"] = rng.random() < 0.6
        return leaf
    if op.value in ("in", "not_in"):
        leaf["value"] = [_condition_value(rng, spec) for _ in range(rng.randint(1, 3))]
    elif op.value == "between":
        low, high = sorted(_condition_value(rng, spec) for _ in range(2))
        leaf["value"] = [low, high]
    else:
        leaf["value"] = _condition_value(rng, spec)
    return leaf


def _condition_value(rng: random.Random, spec: FieldSpec):
    """A value valid in a condition on `spec` (inside its limits, a real number)."""
    if spec.kind is FieldKind.NUMBER:
        low = spec.minimum if spec.minimum is not None else -math.inf
        high = spec.maximum if spec.maximum is not None else math.inf
        pool = [v for v in (*NUMBERS, 0.5, 4) if low <= v <= high]
        return rng.choice(pool)
    if spec.kind is FieldKind.BOOL:
        return rng.random() < 0.5
    if spec.pattern:
        return rng.choice(("555", "545", "111"))
    return rng.choice(spec.choices or (PRODUCTS if spec.kind is FieldKind.SET else STRINGS))
