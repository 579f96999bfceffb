"""Public wire formats, exactly as the Rocket.Chat server sees them (private sandbox: these change state)."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from tests.sandbox.sandbox_api import Api


@pytest.fixture(scope="module")
def picks(own: Api) -> dict[str, str]:
    return own.examples()["workspace_ids"]


def _push(own: Api, token: str, device: dict[str, str], unique_id: str, **options: object):
    body = {"token": device["token"], "options": {"uniqueId": unique_id, "title": "Hello", "text": "hi", **options}}
    return own.post(f"/push/push/{device['platform']}/send", auth=False, json=body,
                    headers={"Authorization": f"Bearer {token}"})


def _latest_delivery(own: Api, workspace_id: str) -> dict[str, object]:
    return own.ok("/push/admin/v1/deliveries", params={"workspace_id": workspace_id, "limit": 1})["items"][0]


# -- push gateway ----------------------------------------------------------------------------------


def test_push_send_answers_200_406_422_and_logs_each_delivery(own: Api, picks) -> None:
    wid = picks["registered"]
    cred = own.credentials(wid)
    token = own.access_token(wid)
    valid = cred["device_tokens"]["valid"][0]

    sent = _push(own, token, valid, cred["unique_id"])
    assert sent.status_code == 200, sent.text
    assert _latest_delivery(own, wid)["outcome"] == "sent"

    unknown = {"token": "f" * 64, "platform": "apn"}
    assert _push(own, token, unknown, cred["unique_id"]).status_code == 406
    logged = _latest_delivery(own, wid)
    assert (logged["status_code"], logged["outcome"], logged["device_token"]) == (406, "invalid_token", "ffffff…")

    assert _push(own, token, valid, cred["unique_id"], title="t" * 66).status_code == 422
    assert _push(own, token, valid, cred["unique_id"], text="x" * 241).status_code == 422
    assert _latest_delivery(own, wid)["outcome"] == "rejected"
    no_unique_id = own.post(f"/push/push/{valid['platform']}/send", auth=False,
                            json={"token": valid["token"], "options": {"title": "hi"}},
                            headers={"Authorization": f"Bearer {token}"})
    assert no_unique_id.status_code == 422
    assert _push(own, token, valid, cred["unique_id"], title="t" * 65, text="x" * 240).status_code == 200


def test_push_with_a_token_of_the_other_platform_is_406(own: Api, picks) -> None:
    wid = picks["registered"]
    cred = own.credentials(wid)
    device = dict(cred["device_tokens"]["valid"][0])
    device["platform"] = "gcm" if device["platform"] == "apn" else "apn"
    assert _push(own, own.access_token(wid), device, cred["unique_id"]).status_code == 406


def test_invalid_device_tokens_from_credentials_answer_406(own: Api, picks) -> None:
    wid = picks["with_invalid_tokens"]
    cred = own.credentials(wid)
    invalid = cred["device_tokens"]["invalid"]
    assert invalid, "a workspace with invalid tokens lists them"
    assert _push(own, own.access_token(wid), invalid[0], cred["unique_id"]).status_code == 406


def test_push_with_a_bad_workspace_token_is_401(own: Api, picks) -> None:
    cred = own.credentials(picks["registered"])
    assert _push(own, "not-a-token", cred["device_tokens"]["valid"][0], cred["unique_id"]).status_code == 401
    logged = _latest_delivery(own, picks["registered"])
    assert (logged["status_code"], logged["outcome"]) == (401, "unauthorized")


# -- cloud tokens ---------------------------------------------------------------------------------------


def test_oauth_token_shape(own: Api, picks) -> None:
    cred = own.credentials(picks["registered"])
    response = own.post("/fleet/api/oauth/token", auth=False, data={
        "client_id": cred["client_id"], "client_secret": cred["client_secret"], "scope": "workspace:push:send",
        "grant_type": "client_credentials", "redirect_uri": ""})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "expires_in", "scope", "token_type"}
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0 and body["scope"] == "workspace:push:send"


def test_wrong_secret_is_oauth_invalid_client_credentials(own: Api, picks) -> None:
    cred = own.credentials(picks["registered"])
    form = {"client_id": cred["client_id"], "client_secret": "nope", "grant_type": "client_credentials"}
    response = own.post("/fleet/api/oauth/token", auth=False, data=form)
    assert response.status_code == 400
    assert response.json() == {"error": "oauth_invalid_client_credentials"}


def test_revoked_access_tokens_get_401_but_a_new_token_works(own: Api) -> None:
    listing = own.ok("/fleet/admin/v1/workspaces",
                     params={"registration_state": "registered", "hosted": "false", "limit": 50})["items"]
    w = listing[-1]
    cred = own.credentials(w["id"])
    old = own.access_token(w["id"])
    device = cred["device_tokens"]["valid"][0]
    assert _push(own, old, device, cred["unique_id"]).status_code == 200

    revoked = own.post(f"/fleet/admin/v1/workspaces/{w['id']}/revoke-access-tokens").json()
    assert revoked["operation"] == "revoke-access-tokens" and revoked["detail"]["revoked"] >= 1
    assert own.ok(f"/fleet/admin/v1/workspaces/{w['id']}")["token_issued_at"] is None
    assert _push(own, old, device, cred["unique_id"]).status_code == 401

    fresh = own.access_token(w["id"])  # the secret still works
    assert _push(own, fresh, device, cred["unique_id"]).status_code == 200
    assert own.ok(f"/fleet/admin/v1/workspaces/{w['id']}")["registration_state"] == "registered"


def test_rotated_secret_deregisters_and_answers_oauth_invalid_client_credentials(own: Api) -> None:
    listing = own.ok("/fleet/admin/v1/workspaces",
                     params={"registration_state": "registered", "hosted": "false", "limit": 50})["items"]
    w = listing[-2]
    cred = own.credentials(w["id"])
    token = own.access_token(w["id"])
    result = own.post(f"/fleet/admin/v1/workspaces/{w['id']}/rotate-client-secret").json()
    assert set(result["detail"]) == {"secret_expires_at"}
    assert "secret" not in json.dumps(result).replace("secret_expires_at", "").replace("rotate-client-secret", "")
    response = own.post("/fleet/api/oauth/token", auth=False, data={
        "client_id": cred["client_id"], "client_secret": cred["client_secret"], "grant_type": "client_credentials"})
    assert response.status_code == 400
    assert response.json() == {"error": "oauth_invalid_client_credentials"}
    after = own.ok(f"/fleet/admin/v1/workspaces/{w['id']}")
    assert after["registration_state"] == "deregistered"
    assert _push(own, token, cred["device_tokens"]["valid"][0], cred["unique_id"]).status_code == 401


# -- statistics collector --------------------------------------------------------------------------------


def test_collector_answers_a_jwt_and_keeps_the_document_as_latest(own: Api, picks) -> None:
    cred = own.credentials(picks["registered"])
    doc = {"uniqueId": cred["unique_id"], "version": "8.6.1", "totalUsers": 12, "activeUsers": 9,
           "lastLogin": "Mon Aug 03 2026 12:00:00 GMT+0000 (Coordinated Universal Time)",
           "apps": {"totalInstalled": False}, "host": "https://chat.example", "someNewField": None}
    response = own.post("/stats/", auth=False, json=doc)
    assert response.status_code == 200
    token = response.json()["statsToken"]
    header, payload, signature = token.split(".")
    assert json.loads(base64.urlsafe_b64decode(header + "=="))["alg"] == "HS256"
    assert json.loads(base64.urlsafe_b64decode(payload + "=="))["sub"] == cred["unique_id"]
    assert signature
    latest = own.ok(f"/stats/admin/v1/reports/{cred['unique_id']}/latest")
    assert latest["document"] == doc
    history = own.ok(f"/stats/admin/v1/reports/{cred['unique_id']}/history", params={"limit": 1})["items"][0]
    assert (history["version"], history["total_users"], history["online_users"]) == ("8.6.1", 12, None)
    assert own.ok(f"/fleet/admin/v1/workspaces/{picks['registered']}")["last_stats_at"] == latest["received_at"]


def test_unknown_unique_id_becomes_an_unregistered_reporter(own: Api) -> None:
    unique_id = str(uuid.uuid4())
    doc = {"uniqueId": unique_id, "version": "0.65.2", "totlalLivechat": 0, "host": "https://old-box.example"}
    assert own.post("/stats/", auth=False, json=doc).status_code == 200
    found = own.ok("/stats/admin/v1/unregistered", params={"q": "old-box.example"})["items"]
    assert [r["unique_id"] for r in found] == [unique_id]
    assert found[0]["version"] == "0.65.2" and found[0]["site_url"] == "https://old-box.example"


@pytest.mark.parametrize("body", [b"[1, 2]", b"not json", b'{"version": "8.0.0"}', b'{"uniqueId": ""}'])
def test_collector_refuses_bodies_without_a_unique_id(own: Api, body: bytes) -> None:
    response = own.post("/stats/", auth=False, data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"] == "bad_request"


# -- marketplace ------------------------------------------------------------------------------------------


def test_catalogue_and_categories(own: Api) -> None:
    apps = own.ok("/marketplace/v1/apps", auth=False, headers={"X-Apps-Engine-Version": "1.54.0"})
    assert len(apps) > 20
    assert {"appId", "latest", "isEnterpriseOnly", "purchaseType"} <= set(apps[0])
    assert {a["purchaseType"] for a in apps} == {"", "buy", "subscription"}
    categories = own.ok("/marketplace/v1/categories", auth=False)
    assert {"id", "title"} <= set(categories[0])


def test_workspace_apps_200_even_for_unsupported_versions(own: Api, picks) -> None:
    """The daily licence poll (cron.ts) ignores the status: no 426 here, the catalogue has it."""
    unsupported = picks["unsupported_registered"]
    token = own.access_token(unsupported)
    response = own.get(f"/marketplace/v1/workspaces/{unsupported}/apps", auth=False, params={"seats": 10},
                       headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200 and isinstance(response.json(), list)
    catalogue = own.get("/marketplace/v1/apps", auth=False,
                        headers={"Authorization": f"Bearer {token}", "X-Apps-Engine-Version": "1.54.0"})
    assert catalogue.status_code == 426
    assert catalogue.json() == {"errorMsg": "unsupported version"}

    supported = picks["supported_registered"]
    token = own.access_token(supported)
    ok = own.get(f"/marketplace/v1/workspaces/{supported}/apps", auth=False, params={"seats": 10},
                 headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200 and isinstance(ok.json(), list)


def test_install_notice_is_recorded(own: Api, picks) -> None:
    wid = picks["supported_registered"]
    token = own.access_token(wid)
    app = own.ok("/marketplace/v1/apps", auth=False, headers={"X-Apps-Engine-Version": "1.54.0"})[1]
    response = own.post(f"/marketplace/v1/apps/{app['appId']}/install", auth=False,
                        headers={"Authorization": f"Bearer {token}"},
                        json={"action": "install", "appName": app["latest"]["name"], "appVersion": "9.9.9",
                              "rocketChatVersion": "8.6.1", "engineVersion": "1.54.0", "siteUrl": "https://x"})
    assert response.status_code == 200, response.text
    installed = own.ok(f"/marketplace/admin/v1/workspaces/{wid}/apps", params={"limit": 500})["items"]
    assert any(i["app_id"] == app["appId"] and i["version"] == "9.9.9" for i in installed)
    bad_engine = own.post(f"/marketplace/v1/apps/{app['appId']}/install", auth=False,
                          headers={"Authorization": f"Bearer {token}"}, json={"engineVersion": "x"})
    assert bad_engine.status_code == 400 and bad_engine.json()["code"] == 200
