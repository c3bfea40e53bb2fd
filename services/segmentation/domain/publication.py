"""What changed since the last publication: classifications and segment memberships.

A customer's *classification* is their tier, ABC class and value categories; a change of any
of them (or a first classification) is published as ``segmentation.value.changed.v1``. A
membership is a (segment id, customer id) pair; pairs that appear are published as
``segment.entered``, pairs that disappear as ``segment.exited``. All frames, so the same code
serves a batch of a few customers and a recompute of millions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl

from services.segmentation.domain.rules import segment_column

CLASSIFICATION = ("tier", "abc_class", "categories")
BASELINES = ("baseline_tier", "baseline_abc_class")
STORED = (*CLASSIFICATION, *BASELINES, "baseline_period")
_SEGMENT_PREFIX = segment_column("")
PAIR_SCHEMA: dict[str, pl.DataType] = {"segment_id": pl.String(), "customer_id": pl.String()}


def pair_frame(pairs: Iterable[tuple[str, str]]) -> pl.DataFrame:
    """(segment_id, customer_id) pairs as a frame, in the order given."""
    return pl.DataFrame(list(pairs), schema=PAIR_SCHEMA, orient="row")


def classification(valued: pl.DataFrame, inputs: pl.DataFrame) -> pl.DataFrame:
    """New classification rows (categories comma-joined) beside the published ones (``old_*``)."""
    new = valued.select("customer_id", "tier", "abc_class", pl.col("categories").list.join(","))
    old = inputs.select(
        "customer_id",
        *(pl.col(c).alias(f"old_{c}") for c in CLASSIFICATION),
        *BASELINES,
        "baseline_period",
    )
    return new.join(old, on="customer_id", how="left", maintain_order="left")


def changed(rows: pl.DataFrame) -> pl.DataFrame:
    """Rows of `classification` whose classification differs from the published one."""
    differs = [pl.col(c).ne_missing(pl.col(f"old_{c}")) for c in CLASSIFICATION]
    return rows.filter(pl.any_horizontal(differs))


def period_of(now: dt.datetime) -> str:
    """The month a classification is published in, like ``2026-06``: baselines last a month."""
    return now.strftime("%Y-%m")


def current_baselines(inputs: pl.DataFrame, period: str) -> pl.DataFrame:
    """Inputs with the baselines of ``period``: each customer's classification at its start.

    A value last written in ``period`` holds that month's baselines; one last written earlier
    has not changed since, so its own tier and class are where the month started.
    """
    stale = pl.col("baseline_period").ne_missing(pl.lit(period))
    return inputs.with_columns(
        *(
            pl.when(stale).then(pl.col(published)).otherwise(pl.col(baseline)).alias(baseline)
            for published, baseline in zip(("tier", "abc_class"), BASELINES, strict=True)
        ),
        pl.lit(period).alias("baseline_period"),
    )


def memberships(valued_ids: pl.Series, members: pl.DataFrame) -> pl.DataFrame:
    """(segment_id, customer_id) pairs from boolean ``segment:<id>`` columns."""
    if members.width == 0:
        return pl.DataFrame(schema=PAIR_SCHEMA)
    wide = members.with_columns(valued_ids.alias("customer_id"))
    long = wide.unpivot(index="customer_id", variable_name="segment_id", value_name="member")
    return long.filter(pl.col("member")).select(
        pl.col("segment_id").str.strip_prefix(_SEGMENT_PREFIX), "customer_id"
    )


@dataclass(frozen=True, slots=True)
class MembershipChanges:
    """Pairs that entered and pairs that exited."""

    entered: pl.DataFrame
    exited: pl.DataFrame


def membership_changes(old: pl.DataFrame, new: pl.DataFrame) -> MembershipChanges:
    """Difference between published and current (segment_id, customer_id) pairs."""
    keys = ["segment_id", "customer_id"]
    return MembershipChanges(
        entered=new.join(old, on=keys, how="anti"), exited=old.join(new, on=keys, how="anti")
    )
