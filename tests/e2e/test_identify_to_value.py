"""Across services, as real processes: a customer identified at a branch gets a value profile."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from idic.devstack import Stack
from tests.e2e.test_stack import token

pytestmark = pytest.mark.xdist_group("e2e")


def record(cif: str) -> dict[str, object]:
    return {
        "source_system": "core",
        "source_record_id": cif,
        "kind": "person",
        "attributes": {"given_name": "Wei", "family_name": "Zhang", "birth_date": "1985-03-07"},
        "identifiers": [{"type": "cif", "value": cif}],
        "branch": "0101",
        "channel": "counter",
    }


def poll(url: str, headers: dict[str, str], *, timeout_s: float = 30.0) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    while True:
        response = httpx.get(url, headers=headers, timeout=5)
        if response.status_code == 200 or time.monotonic() > deadline:
            return response
        time.sleep(0.2)


def test_an_identified_customer_reaches_segmentation(stack: Stack) -> None:
    headers = {"Authorization": f"Bearer {token('customers:write segments:read')}"}
    identity = f"http://127.0.0.1:{stack.ports['identity']}"
    created = httpx.post(
        f"{identity}/v1/customers/identify",
        json=record(f"CIF{uuid.uuid4().hex[:10].upper()}"),
        headers=headers,
        timeout=10,
    )
    assert created.status_code == 200, created.text
    assert created.json()["decision"] == "created"
    customer_id = created.json()["customer_id"]
    segmentation = f"http://127.0.0.1:{stack.ports['segmentation']}"
    value = poll(f"{segmentation}/v1/customers/{customer_id}/value", headers)
    assert value.status_code == 200, value.text
    assert value.json()["customer_id"] == customer_id


def test_identity_and_segmentation_refuse_calls_without_a_token(stack: Stack) -> None:
    for service, route in (
        ("identity", "/v1/customers?identifier_type=cif&value=X1"),
        ("segmentation", "/v1/segments"),
    ):
        response = httpx.get(f"http://127.0.0.1:{stack.ports[service]}{route}", timeout=5)
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
