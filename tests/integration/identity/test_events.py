"""Identity events through the outbox relay and a real broker: ids and facts, never PII."""

from __future__ import annotations

from typing import Any, cast

import httpx
import pytest
from cloudevents.core.bindings.kafka import KafkaMessage, from_kafka_event

from services.identity.main import create_app
from shared.contracts.topics import IDENTITY_CUSTOMERS
from tests.integration.identity.builders import id_card, person, same_person_elsewhere
from tests.integration.identity.conftest import Api
from tests.support import read_topic, running_worker, settings_for

pytestmark = [pytest.mark.postgres, pytest.mark.broker, pytest.mark.xdist_group("broker")]


async def test_registration_link_and_merge_reach_the_broker_without_pii(
    identity_db: str, broker: str
) -> None:
    app = create_app(settings_for("identity", database_url=identity_db, broker=broker))
    container = app.state.container
    transport = httpx.ASGITransport(app=app)
    card = id_card()
    record = person(identifiers=[{"type": "id_card", "value": card}], branch="0707")
    async with (
        httpx.AsyncClient(transport=transport, base_url="http://identity") as http,
        running_worker(container, {}),
    ):
        api = Api(http, container)
        first = await api.identify(record)
        await api.identify(same_person_elsewhere(record, channel="mobile"))
        other = await api.identify(person())
        survivor = first["customer_id"]
        await api.call(
            "POST", f"/v1/customers/{survivor}/merge", json={"other_id": other["customer_id"]}
        )
        records = await read_topic(broker, IDENTITY_CUSTOMERS, keys={survivor}, count=4)
    await container.runtime.close()
    events = [
        from_kafka_event(KafkaMessage(headers=dict(r.headers), key=r.key, value=r.value))
        for r in records
    ]
    assert [e.get_type() for e in events] == [
        "identity.customer.registered.v1",
        "identity.customer.updated.v1",
        "identity.customer.merged.v1",
        "identity.customer.updated.v1",
    ]
    data = [cast(dict[str, Any], e.get_data()) for e in events]
    assert (data[0]["customer_id"], data[0]["home_branch"]) == (survivor, "0707")
    assert data[1]["channels"] == ["counter", "mobile"]
    assert data[2]["merged_id"] == other["customer_id"]
    for raw in records:
        for secret in (
            card,
            record["attributes"]["given_name"],
            record["attributes"]["birth_date"],
        ):
            assert secret.encode() not in raw.value
