"""Bad requests get RFC 9457 problem details: 401, 403, 404, 422."""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.segmentation.conftest import client
from tests.integration.segmentation.kit import customer_id

pytestmark = pytest.mark.xdist_group("segmentation")
PROBLEM = "application/problem+json"


async def test_a_request_without_a_token_is_a_401_problem(app: Any, settings: Any) -> None:
    async with client(app, settings=settings) as anonymous:
        response = await anonymous.get(f"/v1/customers/{customer_id()}/value")

    assert response.status_code == 401
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("method", "path", "scopes"),
    [
        ("GET", "/v1/customers/c-1/value", ["lifecycle:read"]),
        ("GET", "/v1/reports/tiers", ["segments:write"]),
        ("POST", "/v1/recompute", ["segments:read"]),
        ("POST", "/v1/clv/fit", ["segments:read"]),
    ],
)
async def test_a_token_without_the_scope_is_a_403_problem(
    app: Any, settings: Any, method: str, path: str, scopes: list[str]
) -> None:
    async with client(app, *scopes, settings=settings) as caller:
        response = await caller.request(method, path, json={})

    assert response.status_code == 403
    assert response.headers["content-type"].startswith(PROBLEM)
    assert "token lacks scope" in response.json()["detail"]


async def test_an_unknown_customer_is_a_404_problem(api: Any) -> None:
    response = await api.get(f"/v1/customers/{customer_id()}/value")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["title"] == "Not found"


async def test_an_invalid_fit_request_is_a_422_problem_naming_the_field(api: Any) -> None:
    response = await api.post("/v1/clv/fit", json={"time_unit": "month"})

    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    assert [e["field"] for e in response.json()["errors"]] == ["time_unit"]


async def test_a_malformed_customer_id_is_a_422_problem(api: Any) -> None:
    response = await api.get("/v1/customers/not%20an%20id/value")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "customer_id"
