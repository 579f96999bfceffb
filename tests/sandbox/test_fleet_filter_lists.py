"""Fleet list filters take a comma-separated list meaning "any of"."""

import requests


def test_minor_list_is_the_union_of_each_minor(sandbox):
    headers = {"Authorization": f"Bearer {sandbox.admin_token}"}
    url = f"{sandbox.urls['fleet']}/admin/v1/workspaces"
    summary = requests.get(f"{sandbox.urls['fleet']}/admin/v1/summary", headers=headers, timeout=5).json()
    minors = sorted(summary["by_minor"], key=summary["by_minor"].get)[-3:]
    answer = requests.get(url, params={"minor": ",".join(minors), "limit": 500}, headers=headers, timeout=5).json()
    assert answer["total"] == sum(summary["by_minor"][m] for m in minors)
    assert {w["version"].split("-")[0].rsplit(".", 1)[0] for w in answer["items"]} <= set(minors)
    none = requests.get(url, params={"minor": "0.1,0.2"}, headers=headers, timeout=5).json()
    assert none["total"] == 0


def test_created_month_filter_matches_the_summary(sandbox):
    headers = {"Authorization": f"Bearer {sandbox.admin_token}"}
    summary = requests.get(f"{sandbox.urls['fleet']}/admin/v1/summary", headers=headers, timeout=5).json()
    months = sorted(summary["created_by_month"])[-2:]
    answer = requests.get(f"{sandbox.urls['fleet']}/admin/v1/workspaces", headers=headers, timeout=5,
                          params={"created_month": ",".join(months), "limit": 500}).json()
    assert answer["total"] == sum(summary["created_by_month"][m] for m in months)
    assert {w["created_at"][:7] for w in answer["items"]} <= set(months)
