"""The candidate query on PostgreSQL: records under every key, owners' data keys, stop keys."""

from __future__ import annotations

from services.identity.domain.blocking import blocking_keys, name_code
from services.identity.domain.features import PreparedRecord
from services.identity.handlers.identify import parse
from tests.integration.identity.builders import person, word
from tests.integration.identity.conftest import Api


async def test_candidates_come_under_every_key_they_share_and_big_keys_stop(
    fresh_api: Api,
) -> None:
    family, born = word(), "1971-03-09"
    customers = {
        (await fresh_api.identify(person(family_name=family, birth_date=born)))["customer_id"]
        for _ in range(4)
    }
    [probe] = parse([person(family_name=family, birth_date=born)])
    assert isinstance(probe, PreparedRecord) and probe.family is not None
    container = fresh_api.container
    hashes = {key: container.vault.blind(key) for key in blocking_keys(probe)}
    shared = hashes[f"dn:{probe.dob}:{name_code(probe.family)}"]

    async with container.uow() as uow:
        roomy = await uow.records.postings(list(hashes.values()), max_postings=10)
        tight = await uow.records.postings(list(hashes.values()), max_postings=3)

    assert len(customers) == 4
    assert {r.customer_id for r in roomy.records.values()} == customers
    assert len(roomy.records) == 4 and set(roomy.wrapped) == customers
    assert sorted(roomy.by_hash[shared]) == sorted(roomy.records)
    several = [h for h, ids in roomy.by_hash.items() if len(ids) == 4]
    assert len(several) >= 2  # the four share more than one key
    assert all(set(ids) <= set(roomy.records) for ids in roomy.by_hash.values())
    assert not roomy.stop
    assert set(several) <= tight.stop and not set(several) & set(tight.by_hash)
    assert not tight.records
