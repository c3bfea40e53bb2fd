"""A throw-away PostgreSQL database for a benchmark run (same server as the tests).

``private_server`` starts a PostgreSQL cluster of the benchmark's own instead (a temporary
directory, a free port, the settings asked for), for figures on a server sized differently
from the shared one, whose configuration stays untouched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from idic.broker import free_port

PG_SERVER = os.environ.get("IDIC_TEST_PG", "postgresql+asyncpg://postgres@127.0.0.1:5432")


PG_BIN = os.environ.get("IDIC_PG_BIN", "/usr/lib/postgresql/15/bin")


async def admin(sql: str, *, server: str = PG_SERVER) -> None:
    """Run one statement on the server's maintenance database, outside a transaction."""
    engine = create_async_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as connection:
            await connection.execute(text(sql))
    finally:
        await engine.dispose()


@asynccontextmanager
async def scratch_database(
    prefix: str = "idic_bench", *, server: str = PG_SERVER
) -> AsyncIterator[str]:
    """Create a fresh database, yield its URL, drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    await admin(f'CREATE DATABASE "{name}"', server=server)
    try:
        yield f"{server}/{name}"
    finally:
        await admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', server=server)


@contextmanager
def private_server(settings: Mapping[str, str]) -> Iterator[str]:
    """A PostgreSQL cluster of our own with ``settings``; yields its server URL.

    initdb into a temporary directory, start it on a free port (run as ``postgres`` when we
    are root: PostgreSQL refuses to run as root), stop it and delete it afterwards.
    """
    root = tempfile.mkdtemp(prefix="idic_pg_")
    data, as_user = os.path.join(root, "data"), _as_postgres()
    if as_user:
        shutil.chown(root, "postgres")
    port = free_port()
    options = " ".join(f"-c {k}={v}" for k, v in {"port": str(port), **settings}.items())
    pg_ctl = [*as_user, f"{PG_BIN}/pg_ctl", "-D", data, "-s"]
    subprocess.run([*as_user, f"{PG_BIN}/initdb", "-D", data, "-A", "trust", "-U", "postgres",
                    "--no-sync"], check=True, stdout=subprocess.DEVNULL)  # fmt: skip
    subprocess.run([*pg_ctl, "-w", "-l", os.path.join(root, "log"), "-o",
                    f"{options} -k {root} -h 127.0.0.1", "start"], check=True)  # fmt: skip
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run([*pg_ctl, "-m", "fast", "stop"], check=False)
        shutil.rmtree(root, ignore_errors=True)


def _as_postgres() -> list[str]:
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
