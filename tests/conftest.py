"""Fixtures for the whole suite: a fresh PostgreSQL database per service, a real Tansu broker."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator

import pytest

from bench.pg import PG_SERVER, admin
from idic.broker import TansuBroker

SERVICES = ("identity", "segmentation", "lifecycle", "interaction")


@pytest.fixture(scope="session")
def postgres() -> str:
    """The PostgreSQL server URL; unreachable fails the run under CI and skips elsewhere."""
    try:
        asyncio.run(asyncio.wait_for(admin("SELECT 1"), 10))
    except Exception as exc:
        message = f"PostgreSQL unreachable at {PG_SERVER}: {exc!r}"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return PG_SERVER


@pytest.fixture(scope="session")
def databases(postgres: str) -> Iterator[dict[str, str]]:
    """One fresh, empty database per service for this test run (dropped at the end)."""
    run = uuid.uuid4().hex[:8]
    names = {service: f"idic_test_{run}_{service}" for service in SERVICES}
    for name in names.values():
        asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    yield {service: f"{postgres}/{name}" for service, name in names.items()}
    for name in names.values():
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def fresh_database(postgres: str) -> AsyncIterator[str]:
    """A database of its own for one test (migrations, schema comparisons)."""
    name = f"idic_test_{uuid.uuid4().hex[:12]}"
    await admin(f'CREATE DATABASE "{name}"')
    yield f"{postgres}/{name}"
    await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def broker() -> Iterator[str]:
    """A real Tansu broker process on a free port, shared by the run; yields its address."""
    with TansuBroker() as running:
        yield running.bootstrap_servers


@pytest.fixture
def own_broker() -> Iterator[str]:
    """A broker of the test's own (Tansu starts in milliseconds): no other test's records."""
    with TansuBroker() as running:
        yield running.bootstrap_servers
