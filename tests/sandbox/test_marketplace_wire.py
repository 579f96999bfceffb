"""The marketplace's public endpoints, called exactly as the Rocket.Chat server calls them (session sandbox).

Each request is built as the server source builds it, and each answer is validated against a model that
mirrors, field by field, what the server checks or reads:

- `apps/meteor/ee/server/apps/marketplace/fetchMarketplaceApps.ts`: the zod schema of `GET v1/apps`
  (also what the install flow stores from `GET v1/apps/{id}?appVersion=`);
- `apps/meteor/ee/server/apps/marketplace/fetchMarketplaceCategories.ts`: the zod schema of `GET v1/categories`;
- `apps/meteor/ee/server/apps/cron.ts` + apps-engine `AppManager.updateAppsMarketplaceInfo`: the daily
  `GET v1/workspaces/{Cloud_Workspace_Id}/apps?seats=N`, an array of `{latest: IMarketplaceInfo}`;
- `apps/meteor/ee/server/apps/marketplace/appInstall.ts`: the `POST v1/apps/{id}/install` notice.

zod objects strip unknown keys, so the models allow extra keys; nothing in those schemas is `.nullable()`,
so a null fails anywhere, even in an optional field.
"""

from __future__ import annotations

import base64
import json
import re
from datetime import date
from typing import Any, Literal

import pytest
import requests
from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError, field_validator, model_validator

from portal_dev.sandbox._releases import is_supported
from tests.sandbox.sandbox_api import Api
from tests.sandbox.test_sandbox_openapi import check, document

# `Info.marketplaceApiVersion` of some server build; getMarketplaceHeaders.ts strips the pre-release suffix
MARKETPLACE_API_VERSION = "1.54.0-alpha.3"
ENGINE_HEADER = re.sub(r"-.*", "", MARKETPLACE_API_VERSION)
UNSUPPORTED = {"errorMsg": "unsupported version"}


# -- models: the server's zod schemas and the apps-engine types -----------------------------------------------
class Zod(BaseModel):
    """A `z.object`: strict types, extra keys allowed (zod strips them), no nulls anywhere."""

    model_config = ConfigDict(strict=True, extra="allow")

    @model_validator(mode="before")
    @classmethod
    def _no_nulls(cls, data: Any) -> Any:
        if isinstance(data, dict):
            nulls = [k for k in cls.model_fields if k in data and data[k] is None]
            if nulls:
                raise ValueError(f"null where the schema has no .nullable(): {nulls}")
        return data


class Markdown(Zod):
    raw: str | None = None
    rendered: str | None = None


class Permission(Zod):
    name: str
    domains: list[str] | None = None
    scopes: list[str] | None = None


class Author(Zod):
    name: str
    support: str
    homepage: str


class Latest(Zod):
    """`latest` of a catalogue entry (fetchMarketplaceApps.ts)."""

    internalId: str
    id: str
    name: str
    nameSlug: str
    version: str
    categories: list[str]
    languages: list[str] | None = None
    shortDescription: str | None = None
    description: str
    privacyPolicySummary: str | None = None
    documentationUrl: str | None = None
    detailedDescription: Markdown
    detailedChangelog: Markdown
    requiredApiVersion: str
    versionIncompatible: bool | None = None
    permissions: list[Permission] | None = None
    addon: str | None = None
    author: Author
    classFile: str
    iconFile: str
    iconFileData: str
    status: Literal["submitted", "author-rejected", "author-approved", "rejected", "approved", "published"]
    reviewedNote: str | None = None
    rejectionNote: str | None = None
    changesNote: str | None = None
    internalChangesNote: str | None = None
    isVisible: bool
    createdDate: str
    modifiedDate: str


class BundledIn(Zod):
    bundleId: str
    bundleName: str
    addonTierId: str | None = None


class Licence(Zod):
    license: str
    version: float
    expireDate: str

    @field_validator("license")
    @classmethod
    def _base64(cls, value: str) -> str:
        base64.b64decode(value, validate=True)  # AppLicenseManager decrypts it from base64
        return value


class SubscriptionInfo(Zod):
    typeOf: Literal["app", "service", ""]
    status: Literal["trialing", "active", "cancelled", "cancelling", "pastDue", ""]
    statusFromBilling: bool
    isSeatBased: bool
    seats: float
    maxSeats: float
    license: Licence
    startDate: str
    periodEnd: str
    endDate: str | None = None
    externallyManaged: bool
    isSubscribedViaBundle: bool


class Tier(Zod):
    perUnit: bool
    minimum: float
    maximum: float
    price: float
    refId: str | None = None


class PricingPlan(Zod):
    id: str
    enabled: bool
    price: float
    trialDays: float
    strategy: Literal["once", "monthly", "yearly"]
    isPerSeat: bool
    tiers: list[Tier] | None = None


class CatalogueApp(Zod):
    """One element of `GET v1/apps` (fetchMarketplaceApps.ts)."""

    appId: str
    latest: Latest
    isAddon: bool
    addonId: str | None = None
    isEnterpriseOnly: bool
    isBundle: bool
    bundledAppsIn: list[str] | None = None
    bundledIn: list[BundledIn]
    isPurchased: bool
    isSubscribed: bool
    subscriptionInfo: SubscriptionInfo | None = None
    price: float
    purchaseType: Literal["", "buy", "subscription"]
    pricingPlans: list[PricingPlan] | None = None
    isUsageBased: bool | None = None
    requestedEndUser: bool | None = None
    requested: bool | None = None
    appRequestStats: dict[str, Any] | None = None
    createdAt: str
    modifiedAt: str


class Category(Zod):
    """One element of `GET v1/categories` (fetchMarketplaceCategories.ts)."""

    id: str
    title: str
    description: str
    hidden: bool
    createdDate: str
    modifiedDate: str


class EnginePricingTier(Zod):
    perUnit: bool
    minimum: float
    maximum: float
    price: float


class EnginePricingPlan(Zod):
    """apps-engine IMarketplacePricingPlan."""

    id: str
    enabled: bool
    price: float
    isPerSeat: bool
    strategy: Literal["once", "monthly", "yearly"]
    tiers: list[EnginePricingTier] | None = None


class EngineBundle(Zod):
    bundleId: str
    bundleName: str


class MarketplaceInfo(Zod):
    """apps-engine IMarketplaceInfo (IAppInfo plus the marketplace's own fields), with the server's
    subscriptionInfo (zod schema / core-typings `AppSubscriptionInfo`: statusFromBilling is a boolean)."""

    id: str
    name: str
    nameSlug: str
    version: str
    description: str
    requiredApiVersion: str
    author: Author
    classFile: str
    iconFile: str
    implements: list[str]
    permissions: list[Permission] | None = None
    addon: str | None = None
    categories: list[str]
    status: str
    reviewedNote: str | None = None
    rejectionNote: str | None = None
    isVisible: bool
    isPurchased: bool
    isSubscribed: bool
    isBundled: bool
    createdDate: str
    modifiedDate: str
    price: float
    subscriptionInfo: SubscriptionInfo | None = None
    purchaseType: Literal["", "buy", "subscription"]  # the engine's enum has no "" (free apps send it)
    pricingPlans: list[EnginePricingPlan] | None = None
    bundledIn: list[EngineBundle] | None = None
    isEnterpriseOnly: bool | None = None


class LicenceItem(Zod):
    """What cron.ts hands to `Apps.updateAppsMarketplaceInfo`: only `latest` is read."""

    latest: MarketplaceInfo


CATALOGUE = TypeAdapter(list[CatalogueApp])
CATEGORIES = TypeAdapter(list[Category])
LICENCES = TypeAdapter(list[LicenceItem])


# -- requests, as the server builds them ------------------------------------------------------------------------
def marketplace_headers(token: str = "") -> dict[str, str]:
    """getMarketplaceHeaders() plus the bearer the fetch* functions add only when the token is non-empty."""
    headers = {"X-Apps-Engine-Version": ENGINE_HEADER}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return headers


def fetch_apps(api: Api, token: str = "") -> requests.Response:
    """fetchMarketplaceApps.ts: `GET v1/apps`, no query (endUserID only for non-admin users)."""
    return api.get("/marketplace/v1/apps", auth=False, headers=marketplace_headers(token))


def fetch_categories(api: Api, token: str = "") -> requests.Response:
    """fetchMarketplaceCategories.ts: `GET v1/categories`."""
    return api.get("/marketplace/v1/categories", auth=False, headers=marketplace_headers(token))


def cron_poll(api: Api, cloud_workspace_id: str, token: str, seats: int) -> requests.Response:
    """cron.ts: plain serverFetch, only `Authorization: Bearer ${token}` (even when empty), `params: {seats}`."""
    return api.get(f"/marketplace/v1/workspaces/{cloud_workspace_id}/apps", auth=False,
                   headers={"Authorization": f"Bearer {token}"}, params={"seats": seats})


# -- picking workspaces ------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def examples(api: Api) -> dict[str, str]:
    return api.examples()["workspace_ids"]


def _with_subscription(api: Api, today: date, supported: bool) -> str:
    """A registered, unsuspended workspace with an active app subscription, whose version is (not) supported
    on the sandbox's `today` (the date its 426 rule and /_sandbox/examples use)."""
    cursor = None
    seen: set[str] = set()
    while True:
        params: dict[str, Any] = {"subscription_status": "active", "limit": 500}
        if cursor:
            params["cursor"] = cursor
        listing = api.ok("/marketplace/admin/v1/installs", params=params)
        for row in listing["items"]:
            wid = row["workspace_id"]
            if wid in seen:
                continue
            seen.add(wid)
            w = api.ok(f"/fleet/admin/v1/workspaces/{wid}")
            if w["registration_state"] == "registered" and not w["suspended"] \
                    and is_supported(w["version"], today) == supported:
                return wid
        cursor = listing.get("next_cursor")
        if not cursor:
            kind = "supported" if supported else "unsupported"
            pytest.fail(f"no registered workspace with a subscription and a {kind} version")


@pytest.fixture(scope="module")
def subscribed(api: Api, sandbox) -> str:
    return _with_subscription(api, sandbox.state.today(), supported=True)


@pytest.fixture(scope="module")
def subscribed_unsupported(api: Api, sandbox) -> str:
    return _with_subscription(api, sandbox.state.today(), supported=False)


def _installed(api: Api, wid: str) -> dict[str, dict[str, Any]]:
    items = api.ok(f"/marketplace/admin/v1/workspaces/{wid}/apps", params={"limit": 500})["items"]
    return {i["app_id"]: i for i in items}


def _other_registered(examples: dict[str, str], wid: str) -> str:
    """A registered workspace that is not `wid`."""
    return next(examples[k] for k in ("supported_registered", "unsupported_registered") if examples[k] != wid)


def _licence_payload(info: SubscriptionInfo) -> dict[str, Any]:
    return json.loads(base64.b64decode(info.license.license))


# -- v1/apps and v1/categories ---------------------------------------------------------------------------------
def test_catalogue_without_a_token_matches_the_zod_schema(api: Api) -> None:
    response = fetch_apps(api)
    assert response.status_code == 200, response.text
    apps = CATALOGUE.validate_python(response.json())
    assert len(apps) > 20
    assert {a.purchaseType for a in apps} == {"", "buy", "subscription"}
    assert all(a.appId == a.latest.id and a.subscriptionInfo is None and not a.isSubscribed for a in apps)
    assert len({a.appId for a in apps}) == len(apps)


def test_catalogue_for_a_supported_workspace_carries_its_subscriptions(api: Api, subscribed: str) -> None:
    response = fetch_apps(api, api.access_token(subscribed))
    assert response.status_code == 200, response.text
    apps = CATALOGUE.validate_python(response.json())
    installed = _installed(api, subscribed)
    with_subscription = [(raw, a) for raw, a in zip(response.json(), apps, strict=True) if a.subscriptionInfo]
    assert with_subscription, "the workspace has an active subscription"
    for raw, app in with_subscription:
        assert app.isSubscribed and app.purchaseType == "subscription"
        assert type(raw["subscriptionInfo"]["statusFromBilling"]) is bool
        sub = installed[app.appId]["subscription"]
        assert (app.subscriptionInfo.status, app.subscriptionInfo.maxSeats) == (sub["status"], sub["max_seats"])


def test_catalogue_for_the_supported_example_workspace(api: Api, examples) -> None:
    token = api.access_token(examples["supported_registered"])
    response = fetch_apps(api, token)
    assert response.status_code == 200, response.text
    CATALOGUE.validate_python(response.json())
    categories = fetch_categories(api, token)
    assert categories.status_code == 200, categories.text
    CATEGORIES.validate_python(categories.json())


def test_categories_match_the_zod_schema(api: Api) -> None:
    response = fetch_categories(api)
    assert response.status_code == 200, response.text
    categories = CATEGORIES.validate_python(response.json())
    assert categories and len({c.id for c in categories}) == len(categories)


def test_out_of_support_workspace_gets_426_unsupported_version(api: Api, examples) -> None:
    token = api.access_token(examples["unsupported_registered"])
    for response in (fetch_apps(api, token), fetch_categories(api, token)):
        assert response.status_code == 426, response.text
        assert response.json() == UNSUPPORTED  # fetchMarketplace*.ts compare errorMsg exactly


@pytest.mark.parametrize("engine", [None, "", "x", "1.x.0", "latest"])
def test_invalid_apps_engine_version_is_400_code_200(api: Api, engine: str | None) -> None:
    headers = {} if engine is None else {"X-Apps-Engine-Version": engine}
    response = api.get("/marketplace/v1/apps", auth=False, headers=headers)
    assert response.status_code == 400
    body = response.json()
    assert body == {"code": 200, "errorMsg": "invalid apps-engine version"}
    assert type(body["code"]) is int  # fetchMarketplaceApps.ts: `response.code === 200`


def test_the_models_are_strict(api: Api) -> None:
    """A null, a string where a boolean belongs, or a missing field fails, as zod would."""
    app = fetch_apps(api).json()[0]
    CatalogueApp.model_validate(app)
    sub = {"typeOf": "app", "status": "active", "statusFromBilling": True, "isSeatBased": True, "seats": 3,
           "maxSeats": 50, "license": {"license": "e30=", "version": 1, "expireDate": "2030-01-01T00:00:00.000Z"},
           "startDate": "2026-01-01T00:00:00.000Z", "periodEnd": "2030-01-01T00:00:00.000Z",
           "externallyManaged": False, "isSubscribedViaBundle": False}
    CatalogueApp.model_validate({**app, "subscriptionInfo": sub})
    drifted = [{**app, "subscriptionInfo": None}, {**app, "isBundle": "false"},
               {k: v for k, v in app.items() if k != "bundledIn"},
               {**app, "latest": {**app["latest"], "iconFileData": None}},
               {**app, "latest": {**app["latest"], "shortDescription": None}},
               {**app, "subscriptionInfo": {**sub, "statusFromBilling": "active"}}]
    for bad in drifted:
        with pytest.raises(ValidationError):
            CatalogueApp.model_validate(bad)


# -- the daily licence poll ----------------------------------------------------------------------------------------
def test_cron_poll_lists_every_installed_app_with_its_licence(api: Api, subscribed: str) -> None:
    seats = 37
    response = cron_poll(api, subscribed, api.access_token(subscribed), seats)
    assert response.status_code == 200, response.text
    items = LICENCES.validate_python(response.json())
    installed = _installed(api, subscribed)
    assert {i.latest.id for i in items} == set(installed)
    assert sum(i.latest.subscriptionInfo is not None for i in items) == \
        sum(a["subscription"] is not None for a in installed.values())
    for raw, item in zip(response.json(), items, strict=True):
        latest = item.latest
        assert latest.version == installed[latest.id]["version"]
        sub = latest.subscriptionInfo
        if sub is None:
            assert "subscriptionInfo" not in raw["latest"]  # absent, never null
            continue
        assert type(raw["latest"]["subscriptionInfo"]["statusFromBilling"]) is bool
        assert sub.seats == seats  # the seats the workspace reported come back
        expected = installed[latest.id]["subscription"]
        assert (sub.status, sub.maxSeats) == (expected["status"], expected["max_seats"])
        licence = _licence_payload(sub)  # what AppLicenseManager.validateV1 reads once decrypted
        assert licence["version"] == 1 and licence["appId"] == latest.id and not licence["isBundle"]
        assert (licence["seats"], licence["maxSeats"]) == (seats, sub.maxSeats)
        assert licence["expireDate"] == sub.license.expireDate


def test_cron_poll_answers_200_for_an_out_of_support_workspace(api: Api, subscribed_unsupported: str,
                                                               examples) -> None:
    """cron.ts ignores the status; a 426 body (not an array) would silently drop every licence update."""
    for wid in (subscribed_unsupported, examples["unsupported_registered"]):
        response = cron_poll(api, wid, api.access_token(wid), 12)
        assert response.status_code == 200, response.text
        items = LICENCES.validate_python(response.json())
        assert {i.latest.id for i in items} == set(_installed(api, wid))
    subs = [i.latest.subscriptionInfo for i in LICENCES.validate_python(
        cron_poll(api, subscribed_unsupported, api.access_token(subscribed_unsupported), 12).json())]
    assert any(s is not None and s.seats == 12 for s in subs)


def test_cron_poll_with_another_workspace_token_or_none_is_401(api: Api, subscribed: str, examples) -> None:
    other = _other_registered(examples, subscribed)
    assert cron_poll(api, subscribed, api.access_token(other), 5).status_code == 401
    assert cron_poll(api, subscribed, "", 5).status_code == 401  # cron.ts sends `Bearer ` when unregistered
    assert cron_poll(api, subscribed, "not-a-token", 5).status_code == 401
    unique_id = api.ok(f"/fleet/admin/v1/workspaces/{subscribed}")["unique_id"]
    token = api.access_token(subscribed)
    assert cron_poll(api, unique_id, token, 5).status_code == 401  # the path is Cloud_Workspace_Id, not uniqueID


def test_sync_of_one_app_is_a_single_latest_object(api: Api, subscribed: str, examples) -> None:
    """POST /api/apps/:id/sync: `GET v1/workspaces/{id}/apps/{appId}` with the marketplace headers and bearer;
    the server passes `[result]` to updateAppsMarketplaceInfo."""
    token = api.access_token(subscribed)
    app_id = next(a for a, i in _installed(api, subscribed).items() if i["subscription"] is not None)
    response = api.get(f"/marketplace/v1/workspaces/{subscribed}/apps/{app_id}", auth=False,
                       headers=marketplace_headers(token))
    assert response.status_code == 200, response.text
    item = LicenceItem.model_validate(response.json())
    assert item.latest.id == app_id and item.latest.subscriptionInfo is not None
    assert type(response.json()["latest"]["subscriptionInfo"]["statusFromBilling"]) is bool
    other = api.access_token(_other_registered(examples, subscribed))
    assert api.get(f"/marketplace/v1/workspaces/{subscribed}/apps/{app_id}", auth=False,
                   headers=marketplace_headers(other)).status_code == 401


# -- install flow ------------------------------------------------------------------------------------------------------
def test_app_at_a_version_is_an_array_of_exactly_one_entry(api: Api, subscribed: str) -> None:
    """POST /api/apps (install from the marketplace): `GET v1/apps/{id}?appVersion=` with
    `{Authorization: Bearer <token>, ...getMarketplaceHeaders()}`; it must be an array of length 1, stored as
    the app's marketplaceInfo (AppLicenseManager then reads `[0].purchaseType`, `[0].id`, `[0].subscriptionInfo`)."""
    token = api.access_token(subscribed)
    app_id = next(a for a, i in _installed(api, subscribed).items() if i["subscription"] is not None)
    version = "1.2.3"
    response = api.get(f"/marketplace/v1/apps/{app_id}", auth=False, params={"appVersion": version},
                       headers={"Authorization": f"Bearer {token}", **marketplace_headers()})
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, list) and len(body) == 1
    entry = CatalogueApp.model_validate(body[0])
    assert entry.appId == app_id and entry.latest.version == version
    info = MarketplaceInfo.model_validate(body[0])
    assert info.id == app_id and info.purchaseType == "subscription" and info.subscriptionInfo is not None
    # GET /api/apps/:id?marketplace=true&version=: only the bearer, the answer's [0] is shown
    plain = api.get(f"/marketplace/v1/apps/{app_id}", auth=False, params={"appVersion": version},
                    headers={"Authorization": f"Bearer {token}"})
    assert plain.status_code == 200 and len(plain.json()) == 1
    CatalogueApp.model_validate(plain.json()[0])


def test_install_notice_as_app_install_ts_sends_it(api: Api, examples) -> None:
    """notifyMarketplace(action, appInfo): POST with only the bearer, a JSON body; the answer is ignored.
    Installs an app the workspace lacks, then uninstalls it, so the shared sandbox ends as it began."""
    wid = examples["supported_registered"]
    token = api.access_token(wid)
    before = _installed(api, wid)
    app = next(a for a in CATALOGUE.validate_python(fetch_apps(api).json()) if a.appId not in before)

    def notify(action: str) -> requests.Response:
        body = {"action": action, "appName": app.latest.name, "appSlug": app.latest.nameSlug,
                "appVersion": app.latest.version, "rocketChatVersion": "7.10.0",
                "engineVersion": MARKETPLACE_API_VERSION, "siteUrl": "https://chat.example"}
        return api.post(f"/marketplace/v1/apps/{app.appId}/install", auth=False,
                        headers={"Authorization": f"Bearer {token}"}, json=body)

    installed = notify("install")
    assert installed.status_code == 200 and installed.json() == {"success": True}
    assert _installed(api, wid)[app.appId]["version"] == app.latest.version
    assert notify("update").status_code == 200
    removed = notify("uninstall")
    assert removed.status_code == 200 and removed.json() == {"success": True}
    assert _installed(api, wid) == before


def test_the_openapi_document_describes_these_answers(api: Api, subscribed: str) -> None:
    """docs/openapi/marketplace.json's public paths accept what the sandbox answers."""
    token = api.access_token(subscribed)
    app_id = next(a for a, i in _installed(api, subscribed).items() if i["subscription"] is not None)
    paths = document("marketplace")["paths"]
    calls = [
        ("/v1/apps", "/v1/apps", marketplace_headers(token), {}),
        ("/v1/categories", "/v1/categories", marketplace_headers(token), {}),
        ("/v1/apps/{appId}", f"/v1/apps/{app_id}", marketplace_headers(token), {"appVersion": "2.0.0"}),
        ("/v1/workspaces/{workspaceId}/apps", f"/v1/workspaces/{subscribed}/apps",
         {"Authorization": f"Bearer {token}"}, {"seats": 9}),
        ("/v1/workspaces/{workspaceId}/apps/{appId}", f"/v1/workspaces/{subscribed}/apps/{app_id}",
         marketplace_headers(token), {}),
    ]
    for template, path, headers, params in calls:
        response = api.get(f"/marketplace{path}", auth=False, headers=headers, params=params)
        assert response.status_code == 200, (path, response.text)
        schema = paths[template]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        check("marketplace", schema, response.json())
    refused = fetch_apps(api, api.access_token(api.examples()["workspace_ids"]["unsupported_registered"]))
    check("marketplace", paths["/v1/apps"]["get"]["responses"]["426"]["content"]["application/json"]["schema"],
          refused.json())
