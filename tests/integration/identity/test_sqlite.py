"""The embedded default: the same story on SQLite (``make run``), end to end through the API."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from services.identity.main import create_app
from tests.integration.identity.builders import id_card, mobile, person, same_person_elsewhere
from tests.integration.identity.conftest import Api
from tests.support import migrate, settings_for


@pytest.fixture
async def sqlite_api(tmp_path: Path) -> AsyncIterator[Api]:
    url = f"sqlite+aiosqlite:///{tmp_path}/identity.db"
    await migrate("identity", url)
    app = create_app(settings_for("identity", database_url=url))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://identity"
    ) as http:
        yield Api(http, app.state.container)
    await app.state.container.runtime.close()


async def test_identify_lookup_merge_unmerge_and_erase_on_sqlite(sqlite_api: Api) -> None:
    api = sqlite_api
    phone = mobile()
    alice = person(identifiers=[{"type": "id_card", "value": id_card()}])
    batch = [
        alice,
        same_person_elsewhere(alice),
        person(identifiers=[{"type": "phone", "value": phone}]),
    ]
    answers = (
        await api.call("POST", "/v1/customers/identify/batch", json={"records": batch})
    ).json()
    first, second, bob = (r["result"]["customer_id"] for r in answers["results"])
    assert first == second != bob
    found = await api.call(
        "GET", "/v1/customers", params={"identifier_type": "phone", "value": phone}
    )
    assert [c["customer_id"] for c in found.json()["items"]] == [bob]
    before = await api.customer(first, "customers:read", "pii:read")
    await api.call("POST", f"/v1/customers/{first}/merge", json={"other_id": bob})
    assert (await api.customer(bob))["customer_id"] == first
    await api.call("POST", f"/v1/customers/{first}/unmerge", json={"restore_id": bob})
    after = await api.customer(first, "customers:read", "pii:read")
    assert after["identifiers"] == before["identifiers"]
    assert (await api.call("DELETE", f"/v1/customers/{bob}", "customers:write")).status_code == 204
    assert (await api.customer(bob))["status"] == "erased"
    assert (await api.call("GET", "/v1/audit/verify", "admin")).json()["ok"] is True
