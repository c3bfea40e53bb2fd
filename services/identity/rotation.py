"""Master-key rotation: ``python -m services.identity.rotation``.

Procedure: generate a new key; set it as ``IDIC_VAULT__MASTER_KEY`` and move the old one to
``IDIC_VAULT__RETIRED_MASTER_KEYS`` (a JSON list) on every process; restart them (new keys are
wrapped with the new master key from then on, old ones still unwrap); run this command, which
re-wraps every data key still under a retired master key, in batches, each its own
transaction; when it reports none left, drop the retired key from the settings. Data keys and
ciphertexts do not change, so the service stays up throughout.
"""

from __future__ import annotations

import asyncio

from sqlalchemy import bindparam, select, update

from services.identity.adapters.orm import customer_key
from services.identity.adapters.vault import Vault
from services.identity.bootstrap import Container, bootstrap
from services.identity.settings import get_settings


async def rewrap_batch(container: Container, *, size: int = 1000) -> int:
    """Re-wrap up to ``size`` data keys wrapped by a retired master key; how many were."""
    vault: Vault = container.vault
    async with container.runtime.sessions() as session, session.begin():
        rows = (
            await session.execute(
                select(customer_key)
                .where(customer_key.c.master_key_id != vault.master_key_id)
                .limit(size)
                .with_for_update(skip_locked=True)
            )
        ).all()
        changes = [
            {
                "cid": row.customer_id,
                "wrapped": vault.wrap(vault.unwrap(row.wrapped_key, row.master_key_id)),
            }
            for row in rows
        ]
        if changes:
            await session.execute(
                update(customer_key)
                .where(customer_key.c.customer_id == bindparam("cid"))
                .values(wrapped_key=bindparam("wrapped"), master_key_id=vault.master_key_id),
                changes,
            )
    return len(changes)


async def rewrap_all(container: Container) -> int:
    """Re-wrap every data key under a retired master key; the total re-wrapped."""
    total = 0
    while done := await rewrap_batch(container):
        total += done
    return total


async def _main() -> None:
    container = bootstrap(get_settings())
    try:
        total = await rewrap_all(container)
    finally:
        await container.runtime.close()
    print(f"re-wrapped {total} data keys under master key {container.vault.master_key_id}")


if __name__ == "__main__":
    asyncio.run(_main())
