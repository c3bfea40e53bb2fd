"""Demo data for ``idic run``: customers and two years of banking, so every service has some.

Customers are identified through the identity API, as a branch system would; their accounts,
balances and transactions are published to the broker as core banking would. Once segmentation
has folded them, a CLV model is fitted and a recompute values everyone. Seeded once per data
directory (``IDIC_DEMO=0``: never).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from shared.contracts import BalanceSnapshotted, EventPayload, ProductOpened, TransactionPosted
from shared.db.uow import build_envelope
from shared.envelope import headers
from shared.messaging.kafka import ensure_topics, make_producer
from shared.settings import KafkaSettings, ServiceSettings
from shared.web.auth import mint_token

CUSTOMERS = 300
MARKER = "demo-seeded"
SOURCE = "/idic/demo"
FAMILY = ("Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou")
GIVEN = ("Wei", "Fang", "Min", "Jing", "Lei", "Yan", "Jun", "Hui", "Ping", "Xin", "Tao", "Hong")
CHANNELS = ("mobile_banking", "online_banking", "atm", "branch", "pos")


async def seed(
    data: Path, *, broker: str, identity: str, segmentation: str, customers: int = CUSTOMERS
) -> int:
    """Seed the platform unless this data directory already was; the customers seeded."""
    marker = data / MARKER
    if marker.exists():
        return 0
    token = mint_token(ServiceSettings().auth, subject="idic-demo", scopes=["admin"])
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=auth, timeout=60.0) as client:
        ids = await _identify(client, identity, customers, random.Random(7))
        await _publish(broker, list(_banking(ids, random.Random(11))))
        await _recompute_when_folded(client, segmentation, len(ids))
    marker.write_text(f"{len(ids)} customers\n")
    return len(ids)


async def _identify(
    client: httpx.AsyncClient, identity: str, count: int, rng: random.Random
) -> list[str]:
    records = [_record(i, rng) for i in range(count)]
    answer = await client.post(f"{identity}/v1/customers/identify/batch", json={"records": records})
    answer.raise_for_status()
    return sorted({r["result"]["customer_id"] for r in answer.json()["results"] if r["ok"]})


def _record(i: int, rng: random.Random) -> dict[str, Any]:
    birth = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 55))
    return {
        "source_system": "demo-core",
        "source_record_id": str(i),
        "attributes": {
            "given_name": rng.choice(GIVEN),
            "family_name": rng.choice(FAMILY),
            "birth_date": birth.isoformat(),
        },
        "identifiers": [{"type": "email", "value": f"customer{i}@demo.example"}],
        "branch": f"{rng.randrange(1, 9):04d}",
        "channel": "counter",
    }


def _banking(ids: list[str], rng: random.Random) -> Iterator[EventPayload]:
    """An account, a balance and up to two years of transactions per customer."""
    today = dt.datetime.now(dt.UTC).replace(microsecond=0)
    for customer in ids:
        account = f"acct-{customer}"
        opened = today - dt.timedelta(days=rng.randrange(60, 730))
        yield ProductOpened(
            customer_id=customer,
            account_id=account,
            product="current_account",
            kind="deposit",
            occurred_at=opened,
        )
        assets = Decimal(f"{rng.lognormvariate(11.5, 1.9):.2f}")
        yield BalanceSnapshotted(
            customer_id=customer, as_of=today.date(), deposits=assets, financial_assets=assets
        )
        for _ in range(int(rng.expovariate(1 / 25))):
            yield TransactionPosted(
                transaction_id=f"{customer}-{rng.getrandbits(64):016x}",
                customer_id=customer,
                account_id=account,
                product="current_account",
                direction=rng.choice(("debit", "credit")),
                amount=Decimal(f"{rng.lognormvariate(5.5, 1.2):.2f}"),
                channel=rng.choice(CHANNELS),
                fee_income=Decimal(rng.choice(("0", "0", "2.50", "15.00"))),
                occurred_at=opened + (today - opened) * rng.random(),
            )


async def _publish(broker: str, events: list[EventPayload]) -> None:
    kafka = KafkaSettings(bootstrap_servers=broker)
    await ensure_topics(kafka, {e.topic for e in events})
    producer = make_producer(kafka, client_id="idic-demo")
    await producer.start()
    try:
        for event in events:
            envelope = build_envelope(event, source=SOURCE)
            await producer.send(
                event.topic, value=envelope.encode(), key=envelope.key, headers=headers()
            )
        await producer.flush()
    finally:
        await producer.stop()


async def _recompute_when_folded(
    client: httpx.AsyncClient, segmentation: str, customers: int, *, timeout_s: float = 90.0
) -> None:
    """Fit CLV and recompute once segmentation holds every customer (or ``timeout_s`` is over)."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while asyncio.get_running_loop().time() < deadline:
        tiers = (await client.get(f"{segmentation}/v1/reports/tiers")).json()
        if sum(t["customers"] for t in tiers["tiers"]) >= customers:
            break
        await asyncio.sleep(1.0)
    # a CLV model fitted on the demo's purchases, so values carry P(alive) and CLV
    (await client.post(f"{segmentation}/v1/clv/fit", json={"time_unit": "week"})).raise_for_status()
    (await client.post(f"{segmentation}/v1/recompute")).raise_for_status()
