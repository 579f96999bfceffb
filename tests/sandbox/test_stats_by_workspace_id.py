"""The collector's admin API answers by registered workspace id as well as by uniqueId."""

import requests


def test_latest_and_history_by_workspace_id(sandbox):
    headers = {"Authorization": f"Bearer {sandbox.admin_token}"}
    example = requests.get(f"{sandbox.base_url}/_sandbox/examples", timeout=5).json()
    workspace_id = example["workspace_ids"]["pushing"]
    ws = requests.get(f"{sandbox.urls['fleet']}/admin/v1/workspaces/{workspace_id}", headers=headers, timeout=5).json()
    by_uid = requests.get(f"{sandbox.urls['stats']}/admin/v1/reports/{ws['unique_id']}/latest", headers=headers,
                          timeout=5)
    by_id = requests.get(f"{sandbox.urls['stats']}/admin/v1/reports/{ws['id']}/latest", headers=headers, timeout=5)
    assert by_uid.status_code == by_id.status_code == 200
    assert by_id.json() == by_uid.json()
    assert by_id.json()["unique_id"] == ws["unique_id"]
    history = requests.get(f"{sandbox.urls['stats']}/admin/v1/reports/{ws['id']}/history", headers=headers,
                           timeout=5)
    assert history.status_code == 200 and history.json()["items"]
