"""OpenAPI conformance: every admin GET in docs/openapi/*.json, called on the sandbox, matches its schema."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from portal.settings import SERVICES
from tests.sandbox.sandbox_api import Api

MONTH_AGO = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
DOCS = Path(__file__).resolve().parents[2] / "docs" / "openapi"


@cache
def document(service: str) -> dict[str, Any]:
    return json.loads((DOCS / f"{service}.json").read_text())


def validator(service: str, schema: dict[str, Any]) -> Draft202012Validator:
    """A validator for one schema of a document: `#/components/...` refs resolve against that document."""
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"urn:openapi:{service}",
            "components": document(service)["components"], **schema}
    return Draft202012Validator(root)


def check(service: str, schema: dict[str, Any], instance: Any) -> None:
    errors = sorted(validator(service, schema).iter_errors(instance), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def admin_gets() -> list[tuple[str, str]]:
    return [(service, path) for service in SERVICES for path, item in document(service)["paths"].items()
            if path.startswith("/admin/v1/") and "get" in item]


@pytest.fixture(scope="module")
def params(api: Api) -> dict[str, dict[str, str]]:
    """A real value for every path parameter, per service."""
    ex = api.examples()
    ids = ex["workspace_ids"]
    delivery = api.ok("/push/admin/v1/deliveries", params={"limit": 1})["items"][0]["id"]
    operation = api.ok("/hosting/admin/v1/operations", params={"limit": 1})["items"][0]["id"]
    unique_id = api.ok(f"/fleet/admin/v1/workspaces/{ids['registered']}")["unique_id"]
    return {
        "fleet": {"id_or_unique_id": ids["registered"]},
        "push": {"delivery_id": delivery, "workspace_id": ids["pushing"]},
        "stats": {"unique_id": unique_id},
        "marketplace": {"workspace_id": ids["with_apps"]},
        "hosting": {"workspace_id": ids["hosted"], "operation_id": operation},
    }


def test_every_document_is_openapi_3_1_with_schemas_for_every_response() -> None:
    for service in SERVICES:
        doc = document(service)
        assert doc["openapi"].startswith("3.1")
        for name, schema in doc["components"]["schemas"].items():
            Draft202012Validator.check_schema(schema)
            assert schema.get("type") or schema.get("oneOf") or schema.get("$ref"), name
        for path, item in doc["paths"].items():
            for method, op in item.items():
                ok = op["responses"].get("200") or op["responses"].get("202")
                assert ok and "application/json" in ok["content"], (service, method, path)


@pytest.mark.parametrize(("service", "path"), admin_gets(), ids=lambda v: v)
def test_admin_get_conforms(api: Api, params, service: str, path: str) -> None:
    url = re.sub(r"\{(\w+)\}", lambda m: params[service][m[1]], path)
    response = api.get(f"/{service}{url}")
    assert response.status_code == 200, response.text
    assert response.headers.get("X-Request-Id")
    schema = document(service)["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    body = response.json()
    check(service, schema, body)
    if isinstance(body, dict) and "items" in body and "total" in body:
        assert body["items"], f"{service}{url} should list something in the seeded sandbox"


@pytest.mark.parametrize(("service", "path"), [p for p in admin_gets() if "{" in p[1]], ids=lambda v: v)
def test_unknown_ids_answer_404_in_the_error_shape(api: Api, service: str, path: str) -> None:
    url = re.sub(r"\{(\w+)\}", "does-not-exist", path)
    response = api.get(f"/{service}{url}")
    assert response.status_code == 404
    body = response.json()
    check(service, {"$ref": "#/components/schemas/Error"}, body)
    assert body["request_id"] == response.headers["X-Request-Id"]


@pytest.mark.parametrize("service", SERVICES)
def test_missing_admin_token_is_401_in_the_error_shape(api: Api, service: str) -> None:
    path = next(p for s, p in admin_gets() if s == service and "{" not in p)
    response = api.get(f"/{service}{path}", auth=False)
    assert response.status_code == 401
    check(service, {"$ref": "#/components/schemas/Error"}, response.json())
    assert api.get(f"/{service}{path}", auth=False, headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_public_catalogue_conforms(api: Api) -> None:
    doc = document("marketplace")["paths"]
    for path in ("/v1/apps", "/v1/categories"):
        schema = doc[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        check("marketplace", schema, api.ok(f"/marketplace{path}", auth=False,
                                            headers={"X-Apps-Engine-Version": "1.54.0"}))


def test_filtered_lists_conform_too(api: Api) -> None:
    cases = [
        ("fleet", "/admin/v1/workspaces", {"q": "a", "hosted": "true", "limit": 3}),
        ("fleet", "/admin/v1/workspaces", {"registration_state": "unregistered", "stats_silent_hours": 48}),
        ("push", "/admin/v1/deliveries", {"outcome": "invalid_token", "platform": "gcm"}),
        ("push", "/admin/v1/counts", {"bucket": "day", "since": MONTH_AGO}),
        ("hosting", "/admin/v1/operations", {"state": "succeeded"}),
        ("hosting", "/admin/v1/instances", {"status": "running"}),
    ]
    for service, path, query in cases:
        schema = document(service)["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        check(service, schema, api.ok(f"/{service}{path}", params=query))


def test_the_check_catches_drift(api: Api) -> None:
    """The schemas are strict enough that a renamed, missing or mistyped field fails the check."""
    workspace = api.ok("/fleet/admin/v1/workspaces", params={"limit": 1})["items"][0]
    schema = {"$ref": "#/components/schemas/Workspace"}
    check("fleet", schema, workspace)
    for drifted in ({**workspace, "surprise": 1}, {k: v for k, v in workspace.items() if k != "plan"},
                    {**workspace, "created_at": "yesterday"}, {**workspace, "hosted": "no"}):
        with pytest.raises(AssertionError):
            check("fleet", schema, drifted)
