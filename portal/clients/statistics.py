"""Normalise a Rocket.Chat statistics document (`IStats`, any version from 0.6x to 8.x) into one model.

Documents grew from ~30 top-level fields (0.6x) to ~150 (8.x), renamed some, changed types of
others, and may carry `null` anywhere (rocketchat-services.md §2). `parse_statistics` therefore
never raises for a mapping with a usable `uniqueId`: every other field is optional, a value of
the wrong type becomes None ("unknown"), and unknown keys are ignored but kept in `raw`.

Choices worth knowing:
- app counts sent as `false` (apps framework off or not answering) become None, i.e. unknown,
  not 0: zero installed apps and "could not count" are different facts.
- `deploy.method` / `deploy.platform` default to `tar` / `selfinstall`, as the server does.
- the `push` bitmask exists from 6.5.0 on (6.3.0 has none); before that the three push flags are None.
  Bit 2 is the `Push_enable_gateway` *setting*: the gateway is really used only when `Register_Server`
  and the cloud privacy-terms agreement are on too (server/configuration/pushNotification.ts).
- 4.x development builds sent `customCSS` / `customScript` as line counts and `homeTitle` / `homeBody`
  as text; 5.0 replaced them with `*Changed` booleans. A bool is never read as a count.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_DEPLOY_METHOD = "tar"
DEFAULT_DEPLOY_PLATFORM = "selfinstall"

# `push` bitmask bits (apps/meteor/app/statistics/server/lib/statistics.ts, 6.5.0+).
PUSH_ENABLED = 1  # the `Push_enable` setting
PUSH_VIA_GATEWAY = 2  # the `Push_enable_gateway` setting, not proof that the gateway is used
PUSH_CUSTOM_GATEWAY = 4  # `Push_gateway` differs from its default
# First line of `Layout_Home_Body`'s default before 6.x; 4.x builds sent only the first line (emptied = changed).
_DEFAULT_HOME_BODY_LINE = "<p>Welcome to Rocket.Chat!</p>"

_VERSION = re.compile(r"^\s*v?(\d+)\.(\d+)(?:\.(\d+))?(?:-([0-9A-Za-z.\-]+))?(?:\+[0-9A-Za-z.\-]+)?\s*$")
# JS `Date.prototype.toString()`: "Mon Aug 03 2026 12:00:00 GMT+0000 (Coordinated Universal Time)".
_JS_DATE = re.compile(
    r"^\s*(?:[A-Za-z]{3},?\s+)?([A-Za-z]{3})\s+(\d{1,2})\s+(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})"
    r"\s+GMT([+-])(\d{2}):?(\d{2})"
)
_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}


class ServerVersion(BaseModel):
    """A server version string, split when it parses (`7.10.3`, `6.0.0-rc.2`, `7.2.0-develop`)."""

    model_config = ConfigDict(frozen=True)

    raw: str
    major: int | None = None
    minor: int | None = None
    patch: int | None = None
    prerelease: str | None = None

    @property
    def minor_line(self) -> str | None:
        """`"7.10"` for 7.10.3; None when the version did not parse."""
        if self.major is None or self.minor is None:
            return None
        return f"{self.major}.{self.minor}"


class AppsStats(BaseModel):
    """The Apps-Engine section; counts are None when the server sent `false` or nothing."""

    model_config = ConfigDict(frozen=True)

    engine_version: str | None = None
    total_installed: int | None = None
    total_active: int | None = None
    total_failed: int | None = None


class Statistics(BaseModel):
    """One workspace's statistics, normalised across server versions; `raw` is the document as sent."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    unique_id: str
    site_url: str | None = None
    installed_at: datetime | None = None
    version: ServerVersion | None = None
    deploy_method: str = DEFAULT_DEPLOY_METHOD
    deploy_platform: str = DEFAULT_DEPLOY_PLATFORM
    register_server: bool | None = None
    deployment_fingerprint_verified: bool | None = None
    deployment_fingerprint_hash: str | None = None

    total_users: int | None = None
    active_users: int | None = None
    online_users: int | None = None
    total_rooms: int | None = None
    total_channels: int | None = None
    total_private_groups: int | None = None
    total_direct: int | None = None
    total_livechat: int | None = None
    total_messages: int | None = None
    total_encrypted_messages: int | None = None
    total_link_invitation: int | None = None
    last_login: datetime | None = None
    last_message_sent_at: datetime | None = None

    os_type: str | None = None
    os_platform: str | None = None
    os_release: str | None = None
    os_arch: str | None = None
    node_version: str | None = None
    mongo_version: str | None = None
    migration_version: int | None = None

    push_enabled: bool | None = None
    push_via_gateway: bool | None = None
    push_custom_gateway: bool | None = None
    push_queue: int | None = None
    push_secured: bool | None = None

    apps: AppsStats | None = None
    enterprise_modules: list[str] | None = None
    enterprise_tags: list[str] | None = None

    home_title_changed: bool | None = None
    home_body_changed: bool | None = None
    custom_css_changed: bool | None = None
    custom_script_changed: bool | None = None

    raw: dict[str, Any] = Field(default_factory=dict, repr=False)

    @property
    def minor_line(self) -> str | None:
        """The release line (`"7.10"`), or None when the version is missing or unparsable."""
        return self.version.minor_line if self.version else None


def parse_statistics(doc: Mapping[str, Any]) -> Statistics:
    """Normalise one statistics document; raises ValueError only when `uniqueId` is missing or unusable."""
    if not isinstance(doc, Mapping):
        raise ValueError("a statistics document must be a JSON object with a uniqueId")
    return Statistics(
        unique_id=_unique_id(doc),
        site_url=_str(doc.get("host")) or _str(doc.get("siteUrl")),
        installed_at=parse_timestamp(doc.get("installedAt")),
        version=parse_version(doc.get("version")),
        **_deploy(doc),
        register_server=_bool(_dict(doc.get("wizard")).get("registerServer")),
        deployment_fingerprint_verified=_bool(doc.get("deploymentFingerprintVerified")),
        deployment_fingerprint_hash=_str(doc.get("deploymentFingerprintHash")),
        **_activity(doc),
        **_renamed_counters(doc),
        **_environment(doc),
        **_push(doc),
        apps=_apps(doc.get("apps")),
        **_enterprise(doc.get("enterprise")),
        **_customisation(doc),
        raw={str(key): value for key, value in doc.items()},
    )


# -- one function per concern ---------------------------------------------------------------------


def _unique_id(doc: Mapping[str, Any]) -> str:
    value = doc.get("uniqueId")
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ValueError("statistics document has no usable uniqueId (missing, null or not a string)")
    text = str(value).strip()
    if not text:
        raise ValueError("statistics document has an empty uniqueId")
    return text


def parse_version(value: Any) -> ServerVersion | None:
    """Split a version string; unparsable text is kept as `raw` with the parts None."""
    raw = _str(value)
    if raw is None:
        return None
    match = _VERSION.match(raw)
    if not match:
        return ServerVersion(raw=raw)
    major, minor, patch, prerelease = match.groups()
    return ServerVersion(raw=raw, major=int(major), minor=int(minor),
                         patch=int(patch) if patch is not None else None, prerelease=prerelease)


def _deploy(doc: Mapping[str, Any]) -> dict[str, str]:
    deploy = _dict(doc.get("deploy"))
    return {
        "deploy_method": _str(deploy.get("method")) or DEFAULT_DEPLOY_METHOD,
        "deploy_platform": _str(deploy.get("platform")) or DEFAULT_DEPLOY_PLATFORM,
    }


def _activity(doc: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "total_users": _int(doc.get("totalUsers")),
        "active_users": _int(doc.get("activeUsers")),
        "online_users": _int(doc.get("onlineUsers")),
        "total_rooms": _int(doc.get("totalRooms")),
        "total_channels": _int(doc.get("totalChannels")),
        "total_private_groups": _int(doc.get("totalPrivateGroups")),
        "total_direct": _int(doc.get("totalDirect")),
        "total_messages": _int(doc.get("totalMessages")),
        "last_login": parse_timestamp(doc.get("lastLogin")),
        "last_message_sent_at": parse_timestamp(doc.get("lastMessageSentAt")),
    }


def _renamed_counters(doc: Mapping[str, Any]) -> dict[str, int | None]:
    # New name first; the old name is only a fallback for older documents.
    return {
        "total_livechat": _first_int(doc, "totalLivechat", "totlalLivechat"),  # 0.61 misspelt it
        "total_encrypted_messages": _first_int(doc, "totalEncryptedMessages", "totalE2EMessages"),
        "total_link_invitation": _first_int(doc, "totalLinkInvitation", "tabInvites"),
    }


def _environment(doc: Mapping[str, Any]) -> dict[str, Any]:
    os_info = _dict(doc.get("os"))
    return {
        "os_type": _str(os_info.get("type")),
        "os_platform": _str(os_info.get("platform")),
        "os_release": _str(os_info.get("release")),
        "os_arch": _str(os_info.get("arch")),
        "node_version": _str(_dict(doc.get("process")).get("nodeVersion")),
        "mongo_version": _str(doc.get("mongoVersion")),
        "migration_version": _int(_dict(doc.get("migration")).get("version")),
    }


def _push(doc: Mapping[str, Any]) -> dict[str, Any]:
    bits = _int(doc.get("push"))
    known = bits is not None and bits >= 0

    def flag(bit: int) -> bool | None:
        return bool(bits & bit) if known and bits is not None else None

    return {
        "push_enabled": flag(PUSH_ENABLED),
        "push_via_gateway": flag(PUSH_VIA_GATEWAY),
        "push_custom_gateway": flag(PUSH_CUSTOM_GATEWAY),
        "push_queue": _int(doc.get("pushQueue")),
        "push_secured": _bool(doc.get("pushSecured")),
    }


def _apps(value: Any) -> AppsStats | None:
    if not isinstance(value, Mapping):
        return None
    return AppsStats(
        engine_version=_str(value.get("engineVersion")),
        total_installed=_int(value.get("totalInstalled")),
        total_active=_int(value.get("totalActive")),
        total_failed=_int(value.get("totalFailed")),
    )


def _enterprise(value: Any) -> dict[str, list[str] | None]:
    section = _dict(value)
    return {
        "enterprise_modules": _str_list(section.get("modules")),
        "enterprise_tags": _str_list(section.get("tags")),
    }


def _customisation(doc: Mapping[str, Any]) -> dict[str, bool | None]:
    # Old servers sent the values themselves; newer ones only say whether they were changed.
    title = _bool(doc.get("homeTitleChanged"))
    if title is None and isinstance(doc.get("homeTitle"), str):
        title = doc["homeTitle"].strip() not in {"", "Home"}  # "Home" is the setting's default
    body = _bool(doc.get("homeBodyChanged"))
    if body is None and isinstance(doc.get("homeBody"), str):
        body = doc["homeBody"].strip() != _DEFAULT_HOME_BODY_LINE
    css = _bool(doc.get("customCSSChanged"))
    if css is None:  # 4.x counted lines with JS split('\n'): the default '' is 1 line, like one line of CSS
        css = _changed(doc.get("customCSS"), unknown_count=1)
    script_flags = [_bool(doc.get(key)) for key in (
        "onLogoutCustomScriptChanged", "loggedOutCustomScriptChanged", "loggedInCustomScriptChanged")]
    script = any(script_flags) if any(flag is not None for flag in script_flags) else None
    if script is None:  # 4.x summed the lines of the scripts that differ from their default: 0 = none
        script = _changed(doc.get("customScript"))
    return {"home_title_changed": title, "home_body_changed": body, "custom_css_changed": css,
            "custom_script_changed": script}


def _changed(value: Any, unknown_count: int | None = None) -> bool | None:
    """Text (non-empty = changed) or a line count (> 0 = changed); a bool or a negative count is None."""
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0 or value == unknown_count:
        return None
    return value > 0


# -- lenient value readers: the wrong type means "unknown" (None), never an exception --------------


def parse_timestamp(value: Any) -> datetime | None:
    """An aware UTC datetime from ISO text, JS `Date.toString()`, RFC 822, epoch ms or `{"$date": ...}`."""
    if isinstance(value, Mapping):
        value = value.get("$date")
    if isinstance(value, bool) or value is None:
        return None
    try:
        if isinstance(value, int | float):
            return _from_epoch(value)
        if isinstance(value, str):
            return _from_text(value)
    except (ValueError, OverflowError, OSError, TypeError):
        return None
    return None


def _from_epoch(value: float) -> datetime | None:
    if not math.isfinite(value):
        return None
    seconds = value / 1000 if abs(value) >= 1e11 else value  # Mongo dates are milliseconds
    return datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)


def _from_text(text: str) -> datetime | None:
    text = text.strip()
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        parsed = _from_js_date(text) or parsedate_to_datetime(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _from_js_date(text: str) -> datetime | None:
    match = _JS_DATE.match(text)
    if not match:
        return None
    month_name, day, year, hour, minute, second, sign, off_h, off_m = match.groups()
    month = _MONTHS.get(month_name.lower())
    if month is None:
        return None
    offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (-1 if sign == "-" else 1)
    return datetime(int(year), month, int(day), int(hour), int(minute), int(second), tzinfo=timezone(offset))


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if math.isfinite(value) else None
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        try:
            return int(value.strip())
        except ValueError:  # e.g. more digits than int() accepts
            return None
    return None


def _first_int(doc: Mapping[str, Any], *keys: str) -> int | None:
    for key in keys:
        number = _int(doc.get(key))
        if number is not None:
            return number
    return None


def _str(value: Any) -> str | None:
    if isinstance(value, str):
        return value.strip() or None
    return None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _str_list(value: Any) -> list[str] | None:
    if not isinstance(value, list):
        return None
    return [item for item in value if isinstance(item, str)]
