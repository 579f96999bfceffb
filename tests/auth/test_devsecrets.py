"""The development secrets.toml: written only when missing, fresh secret each time, never committed."""

from __future__ import annotations

import stat
import subprocess
import tomllib
from pathlib import Path

from portal.settings import Settings
from portal.startup import auth_problems
from portal_dev.dev_secrets import DEV_REDIRECT_URI, ensure_dev_secrets

ROOT = Path(__file__).resolve().parents[2]
METADATA = "http://127.0.0.1:8620/.well-known/openid-configuration"


def test_writes_a_complete_auth_section_when_none_exists(tmp_path: Path) -> None:
    path = tmp_path / ".streamlit" / "secrets.toml"
    assert ensure_dev_secrets(path, METADATA)
    auth = tomllib.loads(path.read_text())["auth"]
    assert auth["server_metadata_url"] == METADATA
    assert auth["redirect_uri"] == DEV_REDIRECT_URI == "http://localhost:{port}/oauth2callback"
    assert len(auth["cookie_secret"]) >= 32 and auth["client_id"] and auth["client_secret"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_each_machine_gets_a_fresh_cookie_secret(tmp_path: Path) -> None:
    ensure_dev_secrets(tmp_path / "a.toml", METADATA)
    ensure_dev_secrets(tmp_path / "b.toml", METADATA)
    secret = [tomllib.loads((tmp_path / name).read_text())["auth"]["cookie_secret"] for name in ("a.toml", "b.toml")]
    assert secret[0] != secret[1]


def test_an_existing_file_is_never_touched(tmp_path: Path) -> None:
    path = tmp_path / "secrets.toml"
    path.write_text('[auth]\nserver_metadata_url = "https://login.example.com"\n')
    assert not ensure_dev_secrets(path, METADATA)
    assert "login.example.com" in path.read_text()


def test_the_development_file_would_be_refused_in_production(tmp_path: Path) -> None:
    path = tmp_path / "secrets.toml"
    ensure_dev_secrets(path, METADATA)
    problems = auth_problems(tomllib.loads(path.read_text())["auth"])
    assert any("development identity provider" in problem for problem in problems)
    assert not any("cookie_secret" in problem for problem in problems)
    assert Settings().env == "development"


def test_the_secrets_file_is_git_ignored() -> None:
    result = subprocess.run(["git", "check-ignore", "-q", ".streamlit/secrets.toml"], cwd=ROOT, check=False)
    assert result.returncode == 0
