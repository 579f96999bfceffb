"""Real browser: every response carries the security headers, the portal's own pages work under its
Content-Security-Policy, and an image or request to another host is blocked by the browser."""

from __future__ import annotations

import pytest
import requests
from playwright.sync_api import ConsoleMessage, Page, expect

from portal.web import SECURITY_HEADERS

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("path", ["/", "/runbooks?runbook=push-invalid-token-storm", "/_stcore/health",
                                  "/static/does-not-exist.js"])
def test_every_response_carries_the_security_headers(portal_stack, path: str) -> None:
    answer = requests.get(f"{portal_stack.base_url}{path}", timeout=10, allow_redirects=False)
    for name, value in SECURITY_HEADERS:
        assert answer.headers.get(name) == value, (path, name)
    assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]


def test_the_pages_work_under_the_policy_and_another_hosts_image_is_blocked(page: Page, sign_in,
                                                                            portal_stack) -> None:
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if _is_csp(m) else None)
    sign_in(page, "oncall")
    for path, heading in (("/", "Fleet overview"), ("/push?range=day", "Push health"),
                          ("/runbooks?runbook=push-invalid-token-storm", "Storm of 406 invalid device tokens")):
        page.goto(path)
        expect(page.get_by_role("heading", name=heading).first).to_be_visible()
        expect(page.locator(".js-plotly-plot").first.or_(page.get_by_role("heading", name=heading).first)) \
            .to_be_visible()
    assert violations == [], violations  # the portal's own scripts, styles, fonts and charts are allowed
    blocked = page.evaluate("""() => new Promise(resolve => {
        document.addEventListener('securitypolicyviolation', e => resolve(e.violatedDirective), {once: true});
        const img = new Image(); img.src = 'https://evil.example/t.png'; document.body.appendChild(img);
        setTimeout(() => resolve('not blocked'), 5000);
    })""")
    assert blocked.startswith("img-src")


def _is_csp(message: ConsoleMessage) -> bool:
    return "Content Security Policy" in message.text or "Content-Security-Policy" in message.text
