"""Production refuses to start on unsafe settings: one test per unsafe setting, each named."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from portal.settings import SERVICES, Settings
from portal.startup import (
    UnsafeProductionSettings,
    auth_problems,
    check_production,
    main,
    production_problems,
    refuse_in_production,
)
from portal_dev.config import SANDBOX_ADMIN_TOKEN, sandbox_url

ROOT = Path(__file__).resolve().parents[2]
SAFE_AUTH = {
    "redirect_uri": "https://ops.example.com/oauth2callback",
    "cookie_secret": "kq3VtX9pZr7LmN2sBw8YcD4fGh6JjK1e-QaU5oTiRx0",
    "client_id": "cloud-ops-portal",
    "client_secret": "a-real-client-secret",
    "server_metadata_url": "https://login.example.com/.well-known/openid-configuration",
}


def production(**overrides: str) -> Settings:
    values: dict[str, str] = {"env": "production"}
    for service in SERVICES:
        values[f"{service}_url"] = f"https://{service}.internal.example.com"
        values[f"{service}_token"] = f"{service}-real-token"
    return Settings(**{**values, **overrides})


def only_problem(settings: Settings, auth: dict | None) -> str:
    problems = production_problems(settings, auth)
    assert len(problems) == 1, problems
    return problems[0]


def test_safe_production_settings_start() -> None:
    check_production(production(), SAFE_AUTH)


def test_development_is_not_checked() -> None:
    assert production_problems(Settings(), None) == []


def test_no_auth_section_is_refused() -> None:
    with pytest.raises(UnsafeProductionSettings, match=r"no \[auth\] section") as refused:
        check_production(production(), None)
    assert len(refused.value.problems) == 1


@pytest.mark.parametrize("key", sorted(SAFE_AUTH))
def test_a_missing_auth_key_is_refused(key: str) -> None:
    auth = {name: value for name, value in SAFE_AUTH.items() if name != key}
    assert only_problem(production(), auth) == f"[auth] {key} is missing"


def test_a_short_cookie_secret_is_refused() -> None:
    problem = only_problem(production(), {**SAFE_AUTH, "cookie_secret": "Zx8-short-but-random"})
    assert "cookie_secret is 20 characters; use at least 32" in problem


@pytest.mark.parametrize("secret", ["xxx", "changeme", "<random, same on every replica>", "Secret"])
def test_a_default_cookie_secret_is_refused(secret: str) -> None:
    assert "cookie_secret is a well-known default" in only_problem(production(), {**SAFE_AUTH, "cookie_secret": secret})


def test_a_long_but_repetitive_cookie_secret_is_refused() -> None:
    assert "repeats a few characters" in only_problem(production(), {**SAFE_AUTH, "cookie_secret": "ab" * 32})


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8620/.well-known/openid-configuration",
     "http://localhost:9400/.well-known/openid-configuration",
     "http://[::1]:9400/.well-known/openid-configuration",
     "https://oidc-mock.internal.example.com/.well-known/openid-configuration"],
)
def test_a_development_identity_provider_is_refused(url: str) -> None:
    problem = only_problem(production(), {**SAFE_AUTH, "server_metadata_url": url})
    assert "is a development identity provider" in problem
    assert url in problem


def test_an_identity_provider_over_plain_http_is_refused() -> None:
    url = "http://login.example.com/.well-known/openid-configuration"
    assert "is not https" in only_problem(production(), {**SAFE_AUTH, "server_metadata_url": url})


def test_a_local_redirect_uri_is_refused() -> None:
    uri = "http://localhost:8501/oauth2callback"
    assert "is a local address" in only_problem(production(), {**SAFE_AUTH, "redirect_uri": uri})


def test_a_plain_http_redirect_uri_is_refused() -> None:
    uri = "http://ops.example.com/oauth2callback"
    assert "is not https" in only_problem(production(), {**SAFE_AUTH, "redirect_uri": uri})


def test_a_redirect_uri_off_the_callback_path_is_refused() -> None:
    uri = "https://ops.example.com/"
    assert "must end with /oauth2callback" in only_problem(production(), {**SAFE_AUTH, "redirect_uri": uri})


@pytest.mark.parametrize("service", SERVICES)
def test_a_sandbox_service_url_is_refused(service: str) -> None:
    problem = only_problem(production(**{f"{service}_url": sandbox_url(service)}), SAFE_AUTH)
    assert problem.startswith(f"PORTAL_{service.upper()}_URL")
    assert "is a sandbox address" in problem


@pytest.mark.parametrize("url", ["http://localhost:9000/push", "http://10.1.2.3:8610/push"])
def test_any_loopback_or_sandbox_port_service_url_is_refused(url: str) -> None:
    assert "PORTAL_PUSH_URL" in only_problem(production(push_url=url), SAFE_AUTH)


def test_the_sandbox_admin_token_is_refused() -> None:
    problem = only_problem(production(stats_token=SANDBOX_ADMIN_TOKEN), SAFE_AUTH)
    assert problem == "PORTAL_STATS_TOKEN is the sandbox's admin token"


def test_production_refuses_what_the_development_stack_uses() -> None:
    from portal.startup import DEVELOPMENT_PORTS, PUBLIC_TOKENS
    from portal_dev.config import SANDBOX_PORT

    assert SANDBOX_PORT in DEVELOPMENT_PORTS
    assert SANDBOX_ADMIN_TOKEN in PUBLIC_TOKENS


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(UnsafeProductionSettings) as refused:
        check_production(production(fleet_url=sandbox_url("fleet")), {**SAFE_AUTH, "cookie_secret": "xxx"})
    assert len(refused.value.problems) == 2
    assert "cookie_secret" in str(refused.value) and "PORTAL_FLEET_URL" in str(refused.value)


def test_auth_problems_never_echo_secrets() -> None:
    auth = {**SAFE_AUTH, "cookie_secret": "tooshort-Zq9", "client_secret": "hunter2-client-secret",
            "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration"}
    text = "\n".join(auth_problems(auth))
    assert "tooshort-Zq9" not in text and "hunter2-client-secret" not in text


@pytest.mark.parametrize(
    "start",
    [
        lambda: refuse_in_production("x"),
        lambda: __import__("portal_dev.dev", fromlist=["main"]).main([]),
        lambda: __import__("portal_dev.idp", fromlist=["start_in_thread"]).start_in_thread(port=0),
        lambda: __import__("portal_dev.dev_secrets", fromlist=["ensure_dev_secrets"]).ensure_dev_secrets(
            Path("/nonexistent/never-written.toml"), "http://127.0.0.1:1"),
    ],
    ids=["guard", "dev-stack", "dev-identity-provider", "dev-secrets"],
)
def test_no_development_shortcut_runs_in_production(start, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTAL_ENV", "production")
    with pytest.raises(SystemExit, match="PORTAL_ENV=production"):
        start()


def test_check_command_fails_naming_the_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("PORTAL_ENV", "production")
    for service in SERVICES:
        monkeypatch.setenv(f"PORTAL_{service.upper()}_URL", f"https://{service}.example.com")
        monkeypatch.setenv(f"PORTAL_{service.upper()}_TOKEN", "t")
    assert main(["--secrets", str(tmp_path / "missing.toml")]) == 1
    assert "no [auth] section" in capsys.readouterr().err

    secrets = tmp_path / "secrets.toml"
    secrets.write_text("[auth]\n" + "".join(f'{key} = "{value}"\n' for key, value in SAFE_AUTH.items()))
    assert main(["--secrets", str(secrets)]) == 0


def test_check_command_reports_missing_service_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "portal.startup", "--secrets", "/nonexistent.toml"],
        cwd=ROOT, env={"PATH": "/usr/bin:/bin", "PORTAL_ENV": "production"},
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 1
    assert "PORTAL_FLEET_URL is required" in result.stderr
