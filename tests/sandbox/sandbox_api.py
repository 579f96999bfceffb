"""HTTP helper for the sandbox tests: admin headers, test credentials, workspace access tokens."""

from __future__ import annotations

from typing import Any

import requests

from portal_dev.config import SANDBOX_ADMIN_TOKEN


class Api:
    """A tiny HTTP helper bound to one sandbox."""

    def __init__(self, base_url: str, token: str = SANDBOX_ADMIN_TOKEN) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.admin = {"Authorization": f"Bearer {token}"}

    def get(self, path: str, *, auth: bool = True, **kw: Any) -> requests.Response:
        headers = {**(self.admin if auth else {}), **kw.pop("headers", {})}
        return self.session.get(self.base_url + path, headers=headers, timeout=10, **kw)

    def post(self, path: str, *, auth: bool = True, **kw: Any) -> requests.Response:
        headers = {**(self.admin if auth else {}), **kw.pop("headers", {})}
        return self.session.post(self.base_url + path, headers=headers, timeout=10, **kw)

    def ok(self, path: str, **kw: Any) -> Any:
        response = self.get(path, **kw)
        assert response.status_code == 200, (path, response.status_code, response.text)
        return response.json()

    def examples(self) -> dict[str, Any]:
        return self.ok("/_sandbox/examples", auth=False)

    def credentials(self, workspace_id: str) -> dict[str, Any]:
        return self.ok(f"/_sandbox/workspaces/{workspace_id}/credentials", auth=False)

    def access_token(self, workspace_id: str) -> str:
        cred = self.credentials(workspace_id)
        response = self.post("/fleet/api/oauth/token", auth=False, data={
            "client_id": cred["client_id"], "client_secret": cred["client_secret"],
            "grant_type": "client_credentials", "scope": "workspace:push:send"})
        assert response.status_code == 200, response.text
        return response.json()["access_token"]
