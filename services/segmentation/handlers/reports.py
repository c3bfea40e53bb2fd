"""Reports: the ABC/Pareto curve (from the last recompute), tiers and categories (live)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import case, func, literal, select

from services.segmentation.adapters.orm import customer_profile, customer_value
from services.segmentation.adapters.uow import SegmentationUoW
from services.segmentation.domain.pareto import pareto_report
from services.segmentation.domain.vocabulary import ABC_ORDER, TIER_ORDER, ValueCategory
from shared.errors import NotFound


def pareto_document(contribution: pl.Series, abc_classes: pl.Series) -> dict[str, Any]:
    """The Pareto report of a population as a JSON-ready document."""
    codes = abc_classes.replace_strict(
        {c.value: i for i, c in enumerate(ABC_ORDER)}, default=len(ABC_ORDER) - 1
    )
    report = pareto_report(
        contribution.to_numpy().astype(np.float64), abc_codes=codes.to_numpy().astype(np.int8)
    )
    document = asdict(report)
    document["class_counts"] = {c.value: n for c, n in report.class_counts.items()}
    document["class_contribution"] = {c.value: v for c, v in report.class_contribution.items()}
    return document


async def pareto(*, uow: SegmentationUoW) -> dict[str, Any]:
    """The Pareto report of the last recompute."""
    document = await uow.figures.get("pareto")
    if document is None:
        raise NotFound("no recompute has run yet: POST /v1/recompute, or wait for the worker's")
    return document


async def tiers(*, uow: SegmentationUoW) -> dict[str, Any]:
    """Customers and financial assets per tier, with the private-banking watch figures."""
    p, v = customer_profile, customer_value
    params = uow.params.tiers
    pb_min = params.private_banking_min
    assets = func.coalesce(p.c.financial_assets, 0.0)
    borderline = (assets >= pb_min - params.borderline_band) & (assets < pb_min)
    stable = (v.c.tier == "private_banking") & (assets > params.stable_min)
    query = (
        select(
            v.c.tier,
            func.count().label("customers"),
            func.sum(assets).label("financial_assets"),
            func.sum(case((borderline, 1), else_=0)).label("borderline"),
            func.sum(case((stable, 1), else_=0)).label("stable"),
        )
        .select_from(v.join(p, p.c.customer_id == v.c.customer_id))
        .group_by(v.c.tier)
    )
    found = {row.tier: row for row in await uow.session.execute(query)}
    rows = []
    for tier in TIER_ORDER:
        row = found.get(tier.value)
        rows.append(
            {
                "tier": tier.value,
                "customers": int(row.customers) if row else 0,
                "financial_assets": float(row.financial_assets or 0.0) if row else 0.0,
                "borderline": int(row.borderline or 0) if row else 0,
                "stable": int(row.stable or 0) if row else 0,
            }
        )
    return {"thresholds": asdict(params), "tiers": rows}


async def categories(*, uow: SegmentationUoW) -> dict[str, Any]:
    """Customers per value category, among the customers valued so far."""
    v = customer_value
    padded = literal(",") + v.c.categories + literal(",")
    counts = [
        func.sum(case((padded.like(f"%,{c.value},%"), 1), else_=0)).label(c.value)
        for c in ValueCategory
    ]
    row = (await uow.session.execute(select(func.count().label("customers"), *counts))).one()
    return {
        "customers": int(row.customers),
        "categories": {c.value: int(row._mapping[c.value] or 0) for c in ValueCategory},
    }
