"""The HTTP layer every service shares: auth with scopes, problem details, health, metrics."""

from __future__ import annotations

import time

import jwt
import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from shared.db import MessagingTables, make_metadata
from shared.errors import Conflict, NotFound
from shared.runtime import Runtime
from shared.settings import LOCAL_DEV_SECRET, AuthSettings, ServiceSettings
from shared.web import Principal, create_service_app, mint_token, require

AUTH = AuthSettings()


class Thing(BaseModel):
    name: str = Field(min_length=2)
    size: int = Field(ge=0)


def make_client(tmp_path: object) -> TestClient:
    router = APIRouter(prefix="/v1", dependencies=[require()])

    @router.get("/things/{thing_id}")
    async def get_thing(
        thing_id: int, user: Principal = require("things:read")
    ) -> dict[str, object]:
        if thing_id == 404:
            raise NotFound(f"thing {thing_id} does not exist")
        if thing_id == 409:
            raise Conflict("thing is locked", holder="someone")
        return {"id": thing_id, "caller": user.subject}

    @router.post("/things", status_code=201)
    async def create_thing(body: Thing, user: Principal = require("things:write")) -> Thing:
        return body

    settings = ServiceSettings(
        service="web_test",
        env="test",
        database_url=f"sqlite+aiosqlite:///{tmp_path}/t.db",
        kafka={"bootstrap_servers": "127.0.0.1:1"},
    )
    runtime = Runtime.open(settings, tables=MessagingTables(make_metadata()))
    app = create_service_app(runtime, title="t", description="t", routers=[router])
    return TestClient(app)


def bearer(*scopes: str, **claims: object) -> dict[str, str]:
    token = mint_token(AUTH, subject="teller-7", scopes=list(scopes))
    if claims:
        decoded = jwt.decode(token, LOCAL_DEV_SECRET, algorithms=["HS256"], audience="idic")
        token = jwt.encode({**decoded, **claims}, LOCAL_DEV_SECRET, algorithm="HS256")
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def client(tmp_path: object) -> TestClient:
    return make_client(tmp_path)


def test_business_routes_need_a_token(client: TestClient) -> None:
    response = client.get("/v1/things/1")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["title"] == "Unauthorized"


def test_a_valid_token_with_the_scope_gets_through(client: TestClient) -> None:
    response = client.get("/v1/things/1", headers=bearer("things:read"))
    assert response.status_code == 200
    assert response.json() == {"id": 1, "caller": "teller-7"}
    assert response.headers["x-correlation-id"]


def test_admin_holds_every_scope(client: TestClient) -> None:
    assert client.get("/v1/things/1", headers=bearer("admin")).status_code == 200


def test_missing_scope_is_forbidden(client: TestClient) -> None:
    response = client.get("/v1/things/1", headers=bearer("things:write"))
    assert response.status_code == 403
    assert response.json()["required"] == ["things:read"]


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"exp": int(time.time()) - 10}, "expired"),
        ({"aud": "someone-else"}, "audience"),
        ({"iss": "evil"}, "issuer"),
    ],
)
def test_bad_tokens_say_why(client: TestClient, claims: dict[str, object], reason: str) -> None:
    response = client.get("/v1/things/1", headers=bearer("things:read", **claims))
    assert response.status_code == 401
    assert reason in response.json()["detail"].lower()


def test_a_token_signed_with_another_key_is_refused(client: TestClient) -> None:
    forged = mint_token(
        AuthSettings(secret="another-key-" + "y" * 32), subject="x", scopes=["admin"]
    )
    response = client.get("/v1/things/1", headers={"Authorization": f"Bearer {forged}"})
    assert response.status_code == 401
    assert "signature" in response.json()["detail"].lower()


def test_validation_errors_name_each_field(client: TestClient) -> None:
    response = client.post(
        "/v1/things", json={"name": "x", "size": -1}, headers=bearer("things:write")
    )
    assert response.status_code == 422
    body = response.json()
    assert {e["field"] for e in body["errors"]} == {"name", "size"}
    assert "name" in body["detail"] and "size" in body["detail"]


def test_domain_errors_become_problems(client: TestClient) -> None:
    missing = client.get("/v1/things/404", headers=bearer("things:read"))
    assert missing.status_code == 404
    assert missing.json()["detail"] == "thing 404 does not exist"
    conflict = client.get("/v1/things/409", headers=bearer("things:read"))
    assert conflict.status_code == 409
    assert conflict.json()["holder"] == "someone"


def test_path_parameter_type_errors_are_422(client: TestClient) -> None:
    response = client.get("/v1/things/abc", headers=bearer("things:read"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "thing_id"


def test_unknown_routes_are_problem_404(client: TestClient) -> None:
    response = client.get("/v1/nothing-here", headers=bearer("admin"))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_health_and_metrics_are_open(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    client.get("/v1/things/1", headers=bearer("things:read"))
    text = client.get("/metrics").text
    assert (
        'web_test_http_request_duration_seconds_count{method="GET",route="/v1/things/{thing_id}",status="200"}'
        in text
    )


def test_readiness_reports_what_is_down(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 503
    assert set(response.json()["checks"]) == {"broker"}
