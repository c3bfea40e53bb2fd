"""``make run``'s stack: everything ready, business routes closed without a token, open with one."""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from idic.devstack import Stack

pytestmark = pytest.mark.xdist_group("e2e")

OPEN_ROUTES = {"lifecycle": "/v1/stages", "interaction": "/v1/channels"}


def token(scopes: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "idic.cli", "token", "--sub", "e2e", "--scopes", scopes],
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip()


def test_every_api_and_worker_is_ready(stack: Stack) -> None:
    for port in stack.ports.values():
        for p in (port, port + 100):
            response = httpx.get(f"http://127.0.0.1:{p}/readyz", timeout=5)
            assert response.status_code == 200
            assert response.json()["checks"] == {"database": "ok", "broker": "ok"}


@pytest.mark.parametrize(("service", "route"), sorted(OPEN_ROUTES.items()))
def test_business_routes_need_a_token_and_accept_a_minted_one(
    stack: Stack, service: str, route: str
) -> None:
    url = f"http://127.0.0.1:{stack.ports[service]}{route}"
    refused = httpx.get(url, timeout=5)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    accepted = httpx.get(url, headers={"Authorization": f"Bearer {token('admin')}"}, timeout=5)
    assert accepted.status_code == 200
    assert accepted.json()


def test_workers_expose_metrics(stack: Stack) -> None:
    port = stack.ports["lifecycle"] + 100
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    assert "lifecycle_outbox_backlog_messages" in text
