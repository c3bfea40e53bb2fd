"""Fixtures of the identity integration tests: the app on the session's PostgreSQL database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from services.identity.bootstrap import Container
from services.identity.main import create_app
from shared.web import mint_token
from tests.support import migrate, settings_for


class Api:
    """An HTTP client of the identity app, with a token per scope set."""

    def __init__(self, http: httpx.AsyncClient, container: Container) -> None:
        self.http = http
        self.container = container

    def headers(self, *scopes: str, subject: str | None = None) -> dict[str, str]:
        """Authorization for a caller holding ``scopes``."""
        token = mint_token(
            self.container.runtime.settings.auth,
            subject=subject or f"app-{uuid.uuid4().hex[:6]}",
            scopes=list(scopes),
        )
        return {"Authorization": f"Bearer {token}"}

    async def call(self, method: str, url: str, *scopes: str, **kwargs: Any) -> httpx.Response:
        """One request as a caller with ``scopes`` (default: read and write, no PII)."""
        headers = self.headers(*(scopes or ("customers:read", "customers:write")))
        return await self.http.request(method, url, headers=headers, **kwargs)

    async def identify(self, record: dict[str, Any]) -> dict[str, Any]:
        """Identify one record; fail unless it was accepted."""
        response = await self.call("POST", "/v1/customers/identify", json=record)
        assert response.status_code == 200, response.text
        return dict(response.json())

    async def customer(self, customer_id: str, *scopes: str) -> dict[str, Any]:
        """A customer's golden record."""
        response = await self.call("GET", f"/v1/customers/{customer_id}", *scopes)
        assert response.status_code == 200, response.text
        return dict(response.json())


@pytest.fixture(scope="session")
async def identity_db(databases: dict[str, str]) -> str:
    """The session's identity database, migrated once."""
    await migrate("identity", databases["identity"])
    return databases["identity"]


@pytest.fixture
async def api(identity_db: str) -> AsyncIterator[Api]:
    """The identity app over ASGI, on the shared identity database."""
    app = create_app(settings_for("identity", database_url=identity_db))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://identity"
    ) as http:
        yield Api(http, app.state.container)
    await app.state.container.runtime.close()


async def outbox_types(container: Container, customer_id: str) -> list[str]:
    """Event types queued in the outbox for one customer, oldest first."""
    outbox = container.runtime.tables.outbox
    async with container.runtime.sessions() as session:
        rows = await session.execute(
            select(outbox.c.event_type).where(outbox.c.key == customer_id).order_by(outbox.c.id)
        )
        return [str(t) for (t,) in rows]


@pytest.fixture
async def fresh_api(fresh_database: str) -> AsyncIterator[Api]:
    """The identity app on a database of its own (for tests that tamper with tables)."""
    await migrate("identity", fresh_database)
    app = create_app(settings_for("identity", database_url=fresh_database))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://identity"
    ) as http:
        yield Api(http, app.state.container)
    await app.state.container.runtime.close()
