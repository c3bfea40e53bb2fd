"""Master-key rotation: data keys are re-wrapped, records stay readable, the old key can go."""

from __future__ import annotations

import base64
import os

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import select

from services.identity.adapters.orm import customer_key
from services.identity.main import create_app
from services.identity.rotation import rewrap_all
from services.identity.settings import LOCAL_MASTER_KEY, VaultSettings
from tests.integration.identity.builders import id_card, person
from tests.integration.identity.conftest import Api
from tests.support import settings_for

pytestmark = pytest.mark.postgres


async def test_after_rotation_every_record_reads_under_the_new_master_key_alone(
    fresh_api: Api, fresh_database: str
) -> None:
    card = id_card()
    created = await fresh_api.identify(person(identifiers=[{"type": "id_card", "value": card}]))
    new_key = SecretStr(base64.b64encode(os.urandom(32)).decode())
    rotating = VaultSettings(master_key=new_key, retired_master_keys=[SecretStr(LOCAL_MASTER_KEY)])
    during = create_app(settings_for("identity", database_url=fresh_database, vault=rotating))
    assert await rewrap_all(during.state.container) == 1
    key_ids = await _key_ids(during)
    assert key_ids == {during.state.container.vault.master_key_id}
    await during.state.container.runtime.close()

    after = create_app(
        settings_for(
            "identity", database_url=fresh_database, vault=VaultSettings(master_key=new_key)
        )
    )
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=after), base_url="http://identity"
    ) as http:
        api = Api(http, after.state.container)
        golden = await api.customer(created["customer_id"], "customers:read", "pii:read")
    await after.state.container.runtime.close()
    assert golden["identifiers"] == [{"type": "id_card", "value": card}]


async def _key_ids(app: object) -> set[str]:
    runtime = app.state.container.runtime  # type: ignore[attr-defined]
    async with runtime.sessions() as session:
        return set(await session.scalars(select(customer_key.c.master_key_id)))
