"""Fleetcommand's public registration and sync endpoints, called exactly as a Rocket.Chat server calls them
(`apps/meteor/app/cloud/server/functions/`), answers checked the way the server reads them.

Registering creates workspaces and one test moves the clock, so this module has a private sandbox.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from portal_dev.sandbox.cloud_auth import DEFAULT_SCOPE
from portal_dev.sandbox.fleet_data import RANDOM_ID_ALPHABET
from tests.sandbox.sandbox_api import Api

INTENT_KEYS = {"device_code": str, "user_code": str, "verification_url": str, "interval": int, "expires_in": int}
# saveRegistrationData / saveRegistrationDataManual (`saveRegistrationData.ts`), CloudConfirmationPollData
PAYLOAD_KEYS = {"workspaceId": str, "client_name": str, "client_id": str, "client_secret": str,
                "client_secret_expires_at": int, "publicKey": str, "registration_client_uri": str}


@pytest.fixture(scope="module")
def cloud() -> Iterator[Api]:
    """A private 300-workspace sandbox (these tests register workspaces and move its clock)."""
    from portal_dev.sandbox.server import start_in_thread

    running = start_in_thread(workspaces=300, seed=21, port=0)
    try:
        yield Api(running.base_url, running.admin_token)
    finally:
        running.stop()


# -- the server's side --------------------------------------------------------------------------------------


def registration_data(unique_id: str, *, email: str | None = "admin@chat.example.org", workspace_id: str = "",
                      seats: int = 12, mac: int = 3, version: str = "7.10.3",
                      site: str = "https://chat.example.org") -> dict[str, Any]:
    """`buildWorkspaceRegistrationData(contactEmail)` (`buildRegistrationData.ts`), every field it sends;
    `contactEmail` is undefined (left out of the JSON) when it builds the data for a sync."""
    data: dict[str, Any] = {
        "uniqueId": unique_id, "deploymentFingerprintHash": "4f1c2d", "deploymentFingerprintVerified": True,
        "workspaceId": workspace_id, "address": site, "contactName": "Ada Admin", "contactEmail": email,
        "seats": seats, "allowMarketing": False, "accountName": "Example Org", "organizationType": "community",
        "industry": "technology", "orgSize": "1-10", "country": "worldwide", "language": "en",
        "agreePrivacyTerms": True, "website": "https://example.org", "siteName": "Example Chat",
        "workspaceType": "private", "deploymentMethod": "docker", "deploymentPlatform": "selfinstall",
        "version": version, "licenseVersion": 3, "enterpriseReady": True, "setupComplete": True,
        "connectionDisable": False, "npsEnabled": True, "MAC": mac, "cloudToken": "",
    }
    if email is None:
        del data["contactEmail"]
    return data


def old_style_id(seed: int) -> str:
    """`Random.id()`: 17 characters, mixed case (a uniqueID from before 6.5.0)."""
    r = random.Random(seed)
    while True:
        value = "".join(r.choice(RANDOM_ID_ALPHABET) for _ in range(17))
        if value != value.lower() and value != value.upper():
            return value


def register(cloud: Api, data: dict[str, Any]) -> dict[str, Any]:
    """The setup wizard: `startRegisterWorkspaceSetupWizard` then `getConfirmationPoll`; the poll payload."""
    intent = cloud.post("/fleet/api/v2/register/workspace/intent", auth=False, params={"resent": "false"}, json=data)
    assert intent.status_code == 200, intent.text
    poll = cloud.get("/fleet/api/v2/register/workspace/poll", auth=False,
                     params={"token": intent.json()["device_code"]})
    assert poll.status_code == 200, poll.text
    assert poll.json()["successful"] is True
    return poll.json()["payload"]


def token_form(payload: dict[str, Any], site: str = "https://chat.example.org") -> dict[str, str]:
    """`getWorkspaceAccessTokenWithScope`: form fields, the default scopes when none is asked for."""
    return {"client_id": payload["client_id"], "client_secret": payload["client_secret"], "scope": DEFAULT_SCOPE,
            "grant_type": "client_credentials", "redirect_uri": f"{site}/admin/cloud/oauth-callback"}


def access_token(cloud: Api, payload: dict[str, Any]) -> str:
    response = cloud.post("/fleet/api/oauth/token", auth=False, data=token_form(payload))
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def sync(payload: dict[str, Any], token: str | None, data: dict[str, Any], what: str = "sync") -> requests.Response:
    """`fetchWorkspaceSyncPayload`: `POST {registration_client_uri}/sync` with the bearer token."""
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    return requests.post(f"{payload['registration_client_uri']}/{what}", json=data, headers=headers, timeout=10)


def record(cloud: Api, key: str) -> dict[str, Any]:
    return cloud.ok(f"/fleet/admin/v1/workspaces/{key}")


def search(cloud: Api, q: str) -> list[str]:
    return [w["id"] for w in cloud.ok("/fleet/admin/v1/workspaces", params={"q": q, "limit": 20})["items"]]


# -- intent and poll ----------------------------------------------------------------------------------------------


def test_intent_answers_what_the_wizard_reads(cloud: Api) -> None:
    response = cloud.post("/fleet/api/v2/register/workspace/intent", auth=False, params={"resent": "false"},
                          json=registration_data(str(uuid.uuid4())))
    assert response.status_code == 200, response.text
    body = response.json()
    assert {key: type(body[key]) for key in INTENT_KEYS} == INTENT_KEYS  # CloudRegistrationIntentData
    assert body["interval"] > 0 and body["expires_in"] > body["interval"]
    assert body["user_code"] in body["verification_url"]


def test_poll_answers_what_save_registration_data_takes(cloud: Api) -> None:
    unique_id = str(uuid.uuid4())
    intent = cloud.post("/fleet/api/v2/register/workspace/intent", auth=False, params={"resent": "false"},
                        json=registration_data(unique_id, seats=25, mac=4)).json()
    response = cloud.get("/fleet/api/v2/register/workspace/poll", auth=False, params={"token": intent["device_code"]})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["successful"] is True
    payload = body["payload"]
    assert {key: type(payload[key]) for key in PAYLOAD_KEYS} == PAYLOAD_KEYS
    assert isinstance(payload["licenseData"]["license"], str)  # applyLicense(licenseData.license)
    clock = cloud.ok("/_sandbox/clock", auth=False)
    assert payload["client_secret_expires_at"] > 0
    assert payload["registration_client_uri"].startswith(cloud.base_url + "/fleet/")  # reachable: it syncs there

    w = record(cloud, payload["workspaceId"])
    assert (w["registration_state"], w["unique_id"], w["seats"], w["monthly_active_contacts"]) == \
        ("registered", unique_id, 25, 4)
    assert (w["name"], w["site_url"], w["contact_email"]) == ("Example Chat", "https://chat.example.org",
                                                             "admin@chat.example.org")
    assert (w["version"], w["deploy_method"], w["deploy_platform"]) == ("7.10.3", "docker", "selfinstall")
    assert w["last_sync_at"] is not None and w["last_sync_at"] <= clock["now"]

    again = cloud.get("/fleet/api/v2/register/workspace/poll", auth=False, params={"token": intent["device_code"]})
    assert again.status_code == 404  # a device code is used once


def test_poll_with_an_unknown_or_expired_device_code_is_404(cloud: Api) -> None:
    unknown = cloud.get("/fleet/api/v2/register/workspace/poll", auth=False, params={"token": "sbx_dc_nope"})
    assert unknown.status_code == 404 and unknown.json()["message"].startswith("token:")
    intent = cloud.post("/fleet/api/v2/register/workspace/intent", auth=False,
                        json=registration_data(str(uuid.uuid4()))).json()
    moved = cloud.post("/_sandbox/clock", auth=False, json={"advance": intent["expires_in"] + 1})
    assert moved.status_code == 200
    expired = cloud.get("/fleet/api/v2/register/workspace/poll", auth=False, params={"token": intent["device_code"]})
    assert expired.status_code == 404


def test_pre_intent_and_register_workspace_then_the_wizard_keeps_the_id(cloud: Api) -> None:
    unique_id = str(uuid.uuid4())
    pre = cloud.post("/fleet/api/v2/register/workspace/pre-intent", auth=False, json=registration_data(unique_id))
    assert pre.status_code == 200  # registerPreIntentWorkspaceWizard looks at the status only

    started = cloud.post("/fleet/api/v2/register/workspace", auth=False, params={"resend": "false"},
                         json=registration_data(unique_id, email=None))
    assert started.status_code == 200, started.text
    workspace_id = started.json()["id"]  # stored as Cloud_Workspace_Id
    assert isinstance(workspace_id, str)
    pending = record(cloud, workspace_id)
    assert (pending["registration_state"], pending["unique_id"]) == ("unregistered", unique_id)

    payload = register(cloud, registration_data(unique_id, workspace_id=workspace_id))
    assert payload["workspaceId"] == workspace_id
    assert record(cloud, workspace_id)["registration_state"] == "registered"


# -- token and sync ------------------------------------------------------------------------------------------------


def test_new_credentials_get_a_token_and_a_sync_updates_the_record(cloud: Api) -> None:
    first_id, later_id = str(uuid.uuid4()), str(uuid.uuid4())
    payload = register(cloud, registration_data(first_id))
    response = cloud.post("/fleet/api/oauth/token", auth=False, data=token_form(payload))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "Bearer" and body["scope"] == DEFAULT_SCOPE and body["expires_in"] > 0
    token = body["access_token"]

    # The server upgraded and got a new uniqueID (the fingerprint flow): syncCloudData sends it all.
    data = registration_data(later_id, email=None, workspace_id=payload["workspaceId"], seats=40, mac=7,
                             version="7.11.0")
    synced = sync(payload, token, data)
    assert synced.status_code == 200, synced.text
    answer = synced.json()  # WorkspaceSyncResponseSchema
    assert answer["workspaceId"] == payload["workspaceId"] and isinstance(answer["license"], str)
    assert isinstance(answer.get("publicKey", ""), str) and isinstance(answer.get("removeLicense", False), bool)
    assert "cloudSyncAnnouncement" in answer

    w = record(cloud, payload["workspaceId"])
    assert (w["seats"], w["monthly_active_contacts"], w["version"], w["unique_id"]) == (40, 7, "7.11.0", later_id)
    assert [h["unique_id"] for h in w["unique_id_history"]] == [first_id]
    assert record(cloud, first_id)["id"] == payload["workspaceId"]  # its former uniqueID still finds it


def test_legacy_client_license_and_comms_answers_parse_as_the_server_parses_them(cloud: Api) -> None:
    payload = register(cloud, registration_data(str(uuid.uuid4())))
    token = access_token(cloud, payload)
    data = registration_data(str(uuid.uuid4()), email=None, workspace_id=payload["workspaceId"])

    legacy = sync(payload, token, data, "client")  # legacySyncWorkspace: WorkspaceSyncPayloadSchema
    assert legacy.status_code == 200, legacy.text
    body = legacy.json()
    assert body["workspaceId"] == payload["workspaceId"]
    if "trial" in body:  # optional, but whole when there: endDate a timestamp, marketing's four utm strings
        assert isinstance(body["trial"]["endDate"], str)
        assert {"utmContent", "utmMedium", "utmSource", "utmCampaign"} <= set(body["trial"]["marketing"])
    assert "nps" not in body or isinstance(body["nps"], dict)  # optional, never null
    assert isinstance(body.get("banners", []), list)

    licence = requests.get(f"{payload['registration_client_uri']}/license", params={"version": 3},
                           headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert licence.status_code == 200  # getWorkspaceLicense: license, updatedAt
    assert isinstance(licence.json()["license"], str) and isinstance(licence.json()["updatedAt"], str)

    comms = cloud.post("/fleet/api/v3/comms/workspace", auth=False, json=data,
                       headers={"Authorization": f"Bearer {token}"})
    assert comms.status_code == 200, comms.text  # announcementSync: nps `.optional()` before it was `.nullish()`
    body = comms.json()
    assert "nps" not in body or isinstance(body["nps"], dict)
    assert isinstance(body["announcements"]["create"], list)
    assert isinstance(body["announcements"].get("delete", []), list)


def test_sync_without_a_good_token_is_401(cloud: Api) -> None:
    payload = register(cloud, registration_data(str(uuid.uuid4())))
    other = register(cloud, registration_data(str(uuid.uuid4())))
    data = registration_data(str(uuid.uuid4()), email=None, workspace_id=payload["workspaceId"])
    assert sync(payload, None, data).status_code == 401
    assert sync(payload, "sbx_at_not-a-token", data).status_code == 401
    assert sync(payload, access_token(cloud, other), data).status_code == 401  # another workspace's token
    assert requests.get(f"{payload['registration_client_uri']}/license", timeout=10).status_code == 401
    assert cloud.post("/fleet/api/v3/comms/workspace", auth=False, json=data).status_code == 401
    assert record(cloud, payload["workspaceId"])["unique_id"] != data["uniqueId"]  # nothing recorded


@pytest.mark.parametrize(("change", "field"), [
    ({"uniqueId": None}, "uniqueId"),
    ({"uniqueId": ""}, "uniqueId"),
    ({"uniqueId": 42}, "uniqueId"),
    ({"seats": "12"}, "seats"),
    ({"seats": -1}, "seats"),
    ({"MAC": 1.5}, "MAC"),
    ({"MAC": True}, "MAC"),
    ({"address": ["https://x"]}, "address"),
    ({"version": 7}, "version"),
    ({"contactEmail": {"a": 1}}, "contactEmail"),
])
@pytest.mark.parametrize("endpoint", ["intent", "pre-intent", "register", "sync"])
def test_bad_registration_data_is_400_naming_the_field(cloud: Api, registered: dict[str, Any], change: dict[str, Any],
                                                       field: str, endpoint: str) -> None:
    data = {**registration_data(str(uuid.uuid4())), **change}
    data = {k: v for k, v in data.items() if v is not None}
    if endpoint == "sync":
        response = sync(registered, access_token(cloud, registered), data)
    else:
        path = {"intent": "/intent", "pre-intent": "/pre-intent", "register": ""}[endpoint]
        response = cloud.post(f"/fleet/api/v2/register/workspace{path}", auth=False, json=data)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == "bad_request"
    assert response.json()["message"].startswith(f"{field}:")


@pytest.mark.parametrize("raw", [b"", b"not json", b"[1, 2]", b'"text"'])
def test_a_body_that_is_no_json_object_is_400_naming_the_body(cloud: Api, registered: dict[str, Any],
                                                              raw: bytes) -> None:
    headers = {"Content-Type": "application/json"}
    for response in (cloud.post("/fleet/api/v2/register/workspace/intent", auth=False, data=raw, headers=headers),
                     requests.post(f"{registered['registration_client_uri']}/sync", data=raw, timeout=10,
                                   headers={**headers, "Authorization": f"Bearer {access_token(cloud, registered)}"})):
        assert response.status_code == 400, response.text
        assert response.json()["message"].startswith("body:")


@pytest.fixture(scope="module")
def registered(cloud: Api) -> dict[str, Any]:
    """One workspace registered through the wizard (its poll payload)."""
    return register(cloud, registration_data(str(uuid.uuid4())))


def test_oauth_token_refuses_other_grants_and_missing_credentials(cloud: Api, registered: dict[str, Any]) -> None:
    wrong_grant = cloud.post("/fleet/api/oauth/token", auth=False,
                             data={**token_form(registered), "grant_type": "authorization_code"})
    assert (wrong_grant.status_code, wrong_grant.json()) == (400, {"error": "unsupported_grant_type"})
    no_secret = cloud.post("/fleet/api/oauth/token", auth=False, data={**token_form(registered), "client_secret": ""})
    assert (no_secret.status_code, no_secret.json()) == (400, {"error": "oauth_invalid_client_credentials"})


# -- REG_TOKEN (connectWorkspace.ts) ----------------------------------------------------------------------------


def test_registration_token_registers_once_then_the_server_syncs(cloud: Api) -> None:
    made = cloud.post("/_sandbox/registration-tokens", auth=False)
    assert made.status_code == 200
    reg_token = made.json()["token"]
    site = "https://team.reg-token.example"
    reg_info = {"email": "it@reg-token.example", "client_name": "Reg Token Chat",
                "redirect_uris": [f"{site}/admin/cloud/oauth-callback"]}
    response = cloud.post("/fleet/api/oauth/clients", auth=False, json=reg_info,
                          headers={"Authorization": f"Bearer {reg_token}"})
    assert response.status_code == 200, response.text
    payload = response.json()
    assert {key: type(payload[key]) for key in PAYLOAD_KEYS} == PAYLOAD_KEYS
    w = record(cloud, payload["workspaceId"])
    assert (w["registration_state"], w["name"], w["site_url"], w["contact_email"]) == \
        ("registered", "Reg Token Chat", site, "it@reg-token.example")

    reused = cloud.post("/fleet/api/oauth/clients", auth=False, json=reg_info,
                        headers={"Authorization": f"Bearer {reg_token}"})
    assert reused.status_code == 401
    assert cloud.post("/fleet/api/oauth/clients", auth=False, json=reg_info).status_code == 401

    # saveRegistrationData → syncCloudData: a token, then its registration data (uniqueId) in a sync.
    unique_id = str(uuid.uuid4())
    data = registration_data(unique_id, email=None, workspace_id=payload["workspaceId"], site=site)
    assert sync(payload, access_token(cloud, payload), data).status_code == 200
    assert record(cloud, payload["workspaceId"])["unique_id"] == unique_id
    assert search(cloud, unique_id)[0] == payload["workspaceId"]


def test_registration_token_needs_a_client_name(cloud: Api) -> None:
    reg_token = cloud.post("/_sandbox/registration-tokens", auth=False).json()["token"]
    response = cloud.post("/fleet/api/oauth/clients", auth=False, json={"email": "x@y.example"},
                          headers={"Authorization": f"Bearer {reg_token}"})
    assert response.status_code == 400 and response.json()["message"].startswith("client_name:")


# -- finding it again -------------------------------------------------------------------------------------------


def test_an_old_style_unique_id_is_found_exactly_and_case_sensitively(cloud: Api) -> None:
    unique_id = old_style_id(5)
    payload = register(cloud, registration_data(unique_id, site="https://old-style.example"))
    assert search(cloud, unique_id)[0] == payload["workspaceId"]
    assert payload["workspaceId"] not in search(cloud, unique_id.lower())
    assert payload["workspaceId"] not in search(cloud, unique_id.upper())
    assert cloud.get(f"/fleet/admin/v1/workspaces/{unique_id.lower()}").status_code == 404


def test_a_seeded_old_style_unique_id_is_found_exactly_and_case_sensitively(cloud: Api) -> None:
    wid = cloud.examples()["workspace_ids"]["old_style_id"]
    unique_id = record(cloud, wid)["unique_id"]
    assert len(unique_id) == 17 and unique_id != unique_id.lower()
    assert search(cloud, unique_id)[0] == wid
    assert wid not in search(cloud, unique_id.lower())
    assert cloud.get(f"/fleet/admin/v1/workspaces/{unique_id.lower()}").status_code == 404
