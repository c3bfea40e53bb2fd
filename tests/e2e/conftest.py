"""The whole platform as real processes (what ``make run`` starts), on free ports."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from idic.broker import free_port
from idic.catalog import SERVICES
from idic.devstack import Stack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Broker + four APIs + four workers on SQLite in a temporary data directory."""
    with pytest.MonkeyPatch.context() as env:
        data: Path = tmp_path_factory.mktemp("idic-data")
        env.setenv("IDIC_DATA_DIR", str(data))
        env.setenv("IDIC_BROKER", f"127.0.0.1:{free_port()}")
        for name in SERVICES:
            # the worker's health port is 100 above the API's
            env.setenv(f"IDIC_{name.upper()}_PORT", str(free_port(and_offset=100)))
        running = Stack()
    try:
        running.start()
        running.wait_ready(timeout_s=90)
        yield running
    finally:
        running.stop()
