"""AppTest of the Runbooks screen: list, search and filters, deep links, greyed blocks, safe markdown."""

from __future__ import annotations

import pytest
from runbook_apptest import open_runbooks

from portal import runbooks

pytestmark = pytest.mark.usefixtures("fresh_streamlit", "offline")

RUNBOOK = "push-workspace-401-unauthorized"


def texts(at, *kinds: str) -> list[str]:
    kinds = kinds or ("title", "markdown", "caption", "warning", "info", "error", "code")
    return [str(element.value) for kind in kinds for element in getattr(at, kind)]


def listed(at) -> list[str]:
    return [button.key.removeprefix("open-") for button in at.button if (button.key or "").startswith("open-")]


def test_list_with_full_text_search_and_filters():
    at = open_runbooks("lead")
    assert not at.exception
    assert len(listed(at)) == len(runbooks.load_library().runbooks) >= 10
    at.text_input[0].input("406").run()  # a tag of one, in the body of the other
    assert listed(at) == ["push-gateway-delivery-drop", "push-invalid-token-storm"]
    at.text_input[0].input("official white-labelled").run()  # every word, anywhere in the body
    assert listed(at) == ["push-invalid-token-storm"]
    at.text_input[0].input("").run()
    at.selectbox[0].select("hosting").run()
    assert sorted(listed(at)) == ["hosted-upgrade", "hosted-workspace-down"]
    at.selectbox[1].select("two-person").run()
    assert listed(at) == []
    at.selectbox[0].select("all").run()
    assert listed(at) == ["leaked-workspace-credentials"]


def test_open_button_opens_the_runbook():
    at = open_runbooks("lead")
    next(b for b in at.button if b.key == "open-hosted-upgrade").click().run()
    assert [t.value for t in at.title] == ["Hosted workspace upgrade"]
    assert at.query_params["runbook"] == "hosted-upgrade"


def test_deep_link_fills_the_context_and_shows_its_own_link():
    at = open_runbooks("lead", runbook=RUNBOOK, workspace="ws_000042")
    assert not at.exception
    assert [t.value for t in at.title] == ["Workspace pushes fail with 401 (cloud token rejected)"]
    assert at.text_input[0].value == "ws_000042"
    assert f"/runbooks?runbook={RUNBOOK}&workspace=ws_000042" in texts(at, "code")
    # services are down: each view says so on its own, the runbook is still there
    warnings = texts(at, "warning")
    assert any("Fleetcommand cannot be reached" in w for w in warnings)
    assert any("Push Gateway cannot be reached" in w for w in warnings)
    assert any("**Revoking its access tokens does not fix this.**" in m for m in texts(at, "markdown"))


def test_changing_the_workspace_updates_the_link():
    at = open_runbooks("lead", runbook=RUNBOOK)
    assert any("Enter a workspace above" in i for i in texts(at, "info"))
    at.text_input[0].input("ws_000007").run()
    assert at.query_params["workspace"] == "ws_000007"
    assert f"/runbooks?runbook={RUNBOOK}&workspace=ws_000007" in texts(at, "code")


def test_a_malformed_workspace_in_the_link_is_ignored_and_not_echoed():
    at = open_runbooks("lead", runbook=RUNBOOK, workspace="<script>alert(1)</script>")
    assert not at.exception
    assert any("Ignoring the workspace given" in w for w in texts(at, "warning"))
    assert not any("alert(1)" in t for t in texts(at, "warning", "code", "markdown", "caption"))
    assert f"/runbooks?runbook={RUNBOOK}" in texts(at, "code")


def test_a_viewer_sees_every_block_greyed_with_the_role_it_needs():
    at = open_runbooks("lead", runbook=RUNBOOK, workspace="ws_000042")
    needs = [c for c in texts(at, "caption") if c.startswith("Needs the")]
    assert needs == ["Needs the support role or higher to run; you are viewer."]  # its one block: resend
    runs = [b for b in at.button if b.label == "Run"]
    assert len(runs) == 1 and all(b.disabled for b in runs)
    assert any("Resend the workspace's failed pushes in the window" in m for m in texts(at, "markdown"))


def test_support_sees_a_two_person_block_greyed_only_below_oncall():
    at = open_runbooks("support", runbook="leaked-workspace-credentials", workspace="ws_000042")
    needs = [c for c in texts(at, "caption") if c.startswith("Needs the")]
    assert needs == ["Needs the oncall role or higher to run; you are support."] * 2  # rotate, suspend


HOSTILE = """+++
id = "hostile"
title = "Hostile"
summary = "Markdown with <b>HTML</b> in it."
services = ["push"]
tags = ["test"]
severity = "sev4"
owners = ["tests"]
last_reviewed = 2026-01-01
+++

Before <script>alert("pwned")</script> after.

<img src=x onerror="alert(2)">

```view
view = "push.top_failing"
```
"""


def test_embedded_html_and_scripts_are_shown_as_text(tmp_path, monkeypatch):
    (tmp_path / "hostile.md").write_text(HOSTILE)
    monkeypatch.setattr(runbooks.parse, "RUNBOOKS_DIR", tmp_path)
    at = open_runbooks("lead", runbook="hostile")
    assert not at.exception
    markdown = [m for m in at.markdown]
    assert all(m.proto.allow_html is False for m in markdown)
    bodies = [m.value for m in markdown]
    assert any('Before &lt;script>alert("pwned")&lt;/script> after.' in b for b in bodies)
    assert any('&lt;img src=x onerror="alert(2)">' in b for b in bodies)
    assert not any("<script" in b or "<img" in b or "<b>" in b for b in bodies)


@pytest.mark.parametrize("bad", ["2026-02-30T00:00:00Z", "2026-05-01T24:00Z", "0001-01-01T00:00:00+14:00"])
def test_a_deep_link_time_that_is_no_real_moment_is_ignored_with_a_message(bad):
    at = open_runbooks("lead", runbook=RUNBOOK, workspace="ws_000042", until=bad)
    assert not at.exception, at.exception
    assert any("Ignoring the window end in the link: it is not a real time" in w for w in texts(at, "warning"))
    assert at.query_params.get("until") in (None, [])  # the address no longer carries it
