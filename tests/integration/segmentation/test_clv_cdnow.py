"""CLV fitted on the CDNOW sample after it went through the broker and the worker.

The sample's 6,919 purchases become ``banking.transaction.posted.v1`` events (amount = the file's
dollar amount, occurred_at = the date); the fit must reproduce Fader, Hardie & Lee (2005).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from importlib.resources import files
from typing import Any

import pytest
from sqlalchemy import func, select

from services.segmentation.adapters.orm import customer_profile
from tests.integration.segmentation.kit import send, transaction
from tests.support import eventually

pytestmark = pytest.mark.xdist_group("segmentation")


def cdnow_events(prefix: str) -> list[Any]:
    """One event per line of the CDNOW sample, ids prefixed so the run's customers are its own."""
    path = files("lifetimes") / "datasets" / "CDNOW_sample.txt"
    events = []
    for line in path.read_text().splitlines():
        _, customer, date, _quantity, amount = line.split()
        day = dt.datetime.strptime(date, "%Y%m%d").replace(tzinfo=dt.UTC)
        events.append(transaction(f"{prefix}{customer}", occurred_at=day, amount=Decimal(amount)))
    return events


async def test_the_fit_on_cdnow_through_the_broker_reproduces_the_published_estimates(
    worker: Any, api: Any, producer: Any
) -> None:
    prefix = f"cdnow-{uuid.uuid4().hex[:6]}-"
    events = cdnow_events(prefix)
    assert len(events) == 6919

    await send(producer, *events)
    await eventually(lambda: _folded(worker, prefix, 6919), timeout_s=120)
    response = await api.post(
        "/v1/clv/fit", json={"calibration_end": "1997-09-30", "time_unit": "week"}
    )

    assert response.status_code == 200, response.text
    body = response.json()
    bg, gg = body["bgnbd"], body["gamma_gamma"]
    assert body["customers"] == 2357
    assert (round(bg["r"], 3), round(bg["alpha"], 3)) == (0.243, 4.414)
    assert (round(bg["a"], 3), round(bg["b"], 3)) == (0.793, 2.426)
    assert round(bg["log_likelihood"], 1) == -9582.4
    assert (round(gg["p"], 2), round(gg["q"], 2), round(gg["gamma"], 2)) == (6.25, 3.74, 15.44)
    value = (await api.get(f"/v1/customers/{prefix}0001/value")).json()
    assert value["clv"]["model_version"] == body["model_version"]
    assert 0 < value["clv"]["p_alive"] <= 1 and value["clv"]["value"] >= 0


async def test_a_fit_without_data_in_its_calibration_period_is_a_422_problem(api: Any) -> None:
    response = await api.post("/v1/clv/fit", json={"calibration_end": "1900-01-01"})

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == "calibration_end"


async def _folded(worker: Any, prefix: str, expected: int) -> bool:
    query = select(func.sum(customer_profile.c.txn_count_all)).where(
        customer_profile.c.customer_id.startswith(prefix)
    )
    async with worker.runtime.sessions() as session:
        return (await session.scalar(query) or 0) == expected
