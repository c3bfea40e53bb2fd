"""The match model: refit by EM on the data held (admin), versioned, used by later answers."""

from __future__ import annotations

import random
from typing import Any

import pytest
from sqlalchemy import select

from services.identity.adapters.orm import match_model
from tests.integration.identity.builders import person, same_person_elsewhere
from tests.integration.identity.conftest import Api

pytestmark = pytest.mark.postgres


def people_with_duplicates(n: int) -> list[dict[str, Any]]:
    """``n`` people, each also held by a second source, some with a typo in the given name."""
    rng = random.Random(5)
    records = []
    for _ in range(n):
        core = person(family_name=rng.choice(["smith", "jones", "brown", "wilson", "taylor"]))
        given = core["attributes"]["given_name"]
        typo = given[:-1] + "x" if rng.random() < 0.3 else given
        records += [core, same_person_elsewhere(core, given_name=typo)]
    return records


async def test_a_refit_learns_from_the_data_held_and_becomes_the_model_in_use(
    fresh_api: Api,
) -> None:
    api = fresh_api
    records = people_with_duplicates(700)
    for start in range(0, len(records), 1000):
        batch = {"records": records[start : start + 1000]}
        assert (await api.call("POST", "/v1/customers/identify/batch", json=batch)).is_success
    before = (await api.call("GET", "/v1/model", "admin")).json()
    assert (before["version"], before["summary"]) == (0, {"source": "default_priors"})

    fitted = await api.call("POST", "/v1/model/fit", "admin", json={"sample_records": 1400})
    assert fitted.status_code == 200, fitted.text
    body = fitted.json()
    assert body["version"] == 1
    assert body["summary"]["candidate_pairs"] >= 500
    assert body["summary"]["iterations"] > 0
    assert body["fields"]["given_name"]["m"] != before["fields"]["given_name"]["m"]
    assert (await api.call("GET", "/v1/model", "admin")).json()["version"] == 1
    assert (await api.identify(person()))["model_version"] == 1

    async with api.container.runtime.sessions() as session:
        stored = await session.scalar(select(match_model.c.model))
    assert '"smith"' in stored  # held by hundreds: a useful frequency, not personal data
    for record in records[:50]:  # names held by one person never reach the stored model
        assert record["attributes"]["given_name"] not in stored


async def test_a_refit_without_enough_data_is_refused_and_the_model_stays(fresh_api: Api) -> None:
    api = fresh_api
    await api.identify(person())
    refused = await api.call("POST", "/v1/model/fit", "admin")
    assert refused.status_code == 409
    assert "candidate pairs" in refused.json()["detail"]
    assert (await api.call("GET", "/v1/model", "admin")).json()["version"] == 0
