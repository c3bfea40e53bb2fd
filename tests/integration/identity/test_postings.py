"""The candidate queries on PostgreSQL: ids under every key, stop keys, records with data keys."""

from __future__ import annotations

import httpx

from services.identity.domain.blocking import blocking_keys, key_weight, name_code, shortlist
from services.identity.domain.features import PreparedRecord
from services.identity.handlers.identify import candidate_index, parse
from services.identity.main import create_app
from services.identity.settings import MatchingSettings
from tests.integration.identity.builders import id_card, person, same_person_elsewhere, word
from tests.integration.identity.conftest import Api
from tests.support import settings_for


async def test_candidates_come_under_every_key_they_share_and_big_keys_stop(
    fresh_api: Api,
) -> None:
    family, born = word(), "1971-03-09"
    # Four ID numbers (odd sequences: men), so no two of them can be scored as one person.
    cards = [id_card("19710309", sequence=sequence) for sequence in (1, 3, 5, 7)]
    customers = {
        (await fresh_api.identify(person(family_name=family, birth_date=born, identifiers=[
            {"type": "id_card", "value": card}
        ])))["customer_id"]
        for card in cards
    }  # fmt: skip
    [probe] = parse([person(family_name=family, birth_date=born)])
    assert isinstance(probe, PreparedRecord) and probe.family is not None
    container = fresh_api.container
    hashes = {key: container.vault.blind(key) for key in blocking_keys(probe)}
    shared = hashes[f"dn:{probe.dob}:{name_code(probe.family)}"]

    async with container.uow() as uow:
        roomy = await uow.records.postings(list(hashes.values()), max_postings=10)
        tight = await uow.records.postings(list(hashes.values()), max_postings=3)
        listed = {i for ids in roomy.by_hash.values() for i in ids}
        assert not roomy.records  # ids only, until fetched
        await uow.records.fetch(roomy, listed)

    assert len(customers) == 4
    assert {r.customer_id for r in roomy.records.values()} == customers
    assert len(roomy.records) == 4 and set(roomy.wrapped) == customers
    assert sorted(roomy.by_hash[shared]) == sorted(roomy.records)
    several = [h for h, ids in roomy.by_hash.items() if len(ids) == 4]
    assert len(several) >= 2  # the four share more than one key
    assert all(roomy.sizes[h] == len(ids) for h, ids in roomy.by_hash.items())
    assert not roomy.stop
    assert set(several) <= tight.stop and not set(several) & set(tight.by_hash)
    assert all(tight.sizes[h] == 4 for h in several)  # a stop key's size: over the cap


async def test_a_returning_customer_is_found_among_more_namesakes_than_are_compared(
    identity_db: str,
) -> None:
    matching = MatchingSettings(max_candidates=2)
    app = create_app(settings_for("identity", database_url=identity_db, matching=matching))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://identity") as http:
        api, container = Api(http, app.state.container), app.state.container
        name = {"given_name": word(), "family_name": word()}
        for year in range(1970, 1975):  # stored first: they win every tie on row order
            await api.identify(person(**name, birth_date=f"{year}-02-11"))
        known = person(**name, birth_date="1975-06-20")
        first = await api.identify(known)
        returning = same_person_elsewhere(known)
        [probe] = parse([returning])
        assert isinstance(probe, PreparedRecord)
        keys = blocking_keys(probe)
        hashes = {key: container.vault.blind(key) for key in keys}
        async with container.uow() as uow:
            index = await candidate_index(uow, hashes, [keys], config=container.config)
            ranked = await uow.records.postings(list(hashes.values()), max_postings=9, prefetch=2)
        compared = index.candidates(probe, keys)
        blocks = [(key_weight(ranked.sizes[h]), ids) for h, ids in ranked.by_hash.items()]
        again = await api.identify(returning)
    await container.runtime.close()

    # The query's own ranking brings exactly the records the shortlist asks for.
    assert set(ranked.records) == set(shortlist(blocks, 2))
    assert {r.customer_id for r in ranked.records.values()} == {c.customer_id for c in compared}
    assert [c.customer_id for c in compared][:1] == [first["customer_id"]]
    assert len(compared) == 2  # of the six sharing the name and the decade
    assert again["decision"] == "linked" and again["customer_id"] == first["customer_id"]
