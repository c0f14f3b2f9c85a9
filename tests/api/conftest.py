"""An API client that speaks JSON with a bearer token, as an integration would."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from heedful.people.tokens import issue_token


class ApiClient:
    """`api.get("/tickets")`, `api.post("/tickets", {...})`: paths are under /api/v1."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.token = token

    def _headers(self, extra: dict[str, str] | None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        return {**headers, **(extra or {})}

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(f"/api/v1{path}", params or {}, headers=self._headers(headers))

    def _send(self, method: str, path: str, body: Any, raw: bytes | str | None,
              headers: dict[str, str]) -> Any:
        data = raw if raw is not None else json.dumps(body)
        return getattr(self.client, method)(f"/api/v1{path}", data, content_type="application/json",
                                            headers=self._headers(headers))

    def post(self, path: str, body: Any = None, *, raw: bytes | str | None = None, **headers: str) -> Any:
        return self._send("post", path, body, raw, headers)

    def patch(self, path: str, body: Any = None, *, raw: bytes | str | None = None, **headers: str) -> Any:
        return self._send("patch", path, body, raw, headers)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Agents are created with passwords; the API never checks them, so hash them cheaply.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def api_for(agent: Any) -> ApiClient:
    return ApiClient(issue_token(agent=agent, name="test"))


@pytest.fixture
def api(agent: Any) -> ApiClient:
    return api_for(agent)


def assert_error(response: Any, status: int, code: str | None = None, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"code", "message", "fields"}
    assert error["message"]
    if code is not None:
        assert error["code"] == code, error
    if field is not None:
        assert field in error["fields"], error
    return error
