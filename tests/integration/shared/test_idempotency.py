"""``Idempotency-Key`` on a create endpoint, on PostgreSQL: a retry gets the first answer back."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import func, select

from services.lifecycle.bootstrap import bootstrap
from shared.contracts import CustomerRegistered
from shared.envelope import decode
from shared.web import (
    IdempotencyKey,
    Principal,
    create_service_app,
    fingerprint,
    mint_token,
    require,
    run_once,
)
from tests.support import migrate, settings_for

TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


class Create(BaseModel):
    customer_id: str


class Created(BaseModel):
    customer_id: str
    event_id: str


def make_app(container: Any) -> Any:
    router = APIRouter(prefix="/v1", dependencies=[require()])

    @router.post("/registrations", status_code=201)
    async def register(
        body: Create, key: IdempotencyKey = None, user: Principal = require()
    ) -> Any:
        async def action() -> tuple[int, BaseModel]:
            envelope = uow.publish(
                CustomerRegistered(
                    customer_id=body.customer_id, kind="person", occurred_at=datetime.now(UTC)
                )
            )
            return 201, Created(customer_id=body.customer_id, event_id=envelope.id)

        uow = container.uow()
        return await run_once(
            uow, key=key, principal=user, request_hash=fingerprint("POST", body), action=action
        )

    return create_service_app(container.runtime, title="t", description="t", routers=[router])


@pytest.fixture
async def client(databases: dict[str, str]) -> Any:
    await migrate("lifecycle", databases["lifecycle"])
    container = bootstrap(settings_for("lifecycle", database_url=databases["lifecycle"]))
    token = mint_token(
        container.runtime.settings.auth, subject=f"app-{uuid.uuid4().hex}", scopes=["admin"]
    )
    transport = httpx.ASGITransport(app=make_app(container))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://t", headers={"Authorization": f"Bearer {token}"}
    ) as http:
        yield http, container
    await container.runtime.close()


async def events_for(container: Any, customer: str) -> int:
    outbox = container.runtime.tables.outbox
    async with container.runtime.sessions() as session:
        query = select(func.count()).select_from(outbox).where(outbox.c.key == customer)
        return int(await session.scalar(query) or 0)


async def test_a_retry_with_the_same_key_replays_the_first_response(client: Any) -> None:
    http, container = client
    customer = f"c-{uuid.uuid4().hex[:8]}"
    headers = {"Idempotency-Key": "k-1"}
    first = await http.post("/v1/registrations", json={"customer_id": customer}, headers=headers)
    again = await http.post("/v1/registrations", json={"customer_id": customer}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await events_for(container, customer) == 1


async def test_the_request_correlation_and_trace_ride_on_the_event(client: Any) -> None:
    http, container = client
    customer = f"c-{uuid.uuid4().hex[:8]}"
    response = await http.post(
        "/v1/registrations",
        json={"customer_id": customer},
        headers={"X-Correlation-ID": "corr-from-the-app", "traceparent": TRACE},
    )
    assert response.headers["x-correlation-id"] == "corr-from-the-app"
    outbox = container.runtime.tables.outbox
    async with container.runtime.sessions() as session:
        value = await session.scalar(select(outbox.c.value).where(outbox.c.key == customer))
    envelope = decode(str(value).encode())
    assert envelope.correlationid == "corr-from-the-app"
    assert envelope.traceparent == TRACE


async def test_the_same_key_with_another_body_is_refused(client: Any) -> None:
    http, _ = client
    headers = {"Idempotency-Key": "k-2"}
    await http.post("/v1/registrations", json={"customer_id": "a-1"}, headers=headers)
    clash = await http.post("/v1/registrations", json={"customer_id": "b-2"}, headers=headers)
    assert clash.status_code == 422
    assert clash.json()["errors"][0]["field"] == "Idempotency-Key"


async def test_without_a_key_each_request_creates(client: Any) -> None:
    http, container = client
    customer = f"c-{uuid.uuid4().hex[:8]}"
    for _ in range(2):
        assert (
            await http.post("/v1/registrations", json={"customer_id": customer})
        ).status_code == 201
    assert await events_for(container, customer) == 2
