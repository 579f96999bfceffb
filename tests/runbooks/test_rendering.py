"""Safe rendering: embedded HTML and scripts show as text; code stays code; runbook links stay in the portal."""

from streamlit.testing.v1 import AppTest

from portal.ui.runbook_view import runbook_query, safe_markdown

HOSTILE = """# Title

Hello <script>alert("x")</script> and <img src=x onerror=alert(1)>.

<div onclick="steal()">block html</div>

Inline `a <b> c` stays code.

```bash
echo "<not escaped in code>"
```
"""


def test_html_outside_code_is_escaped_and_code_is_untouched():
    out = safe_markdown(HOSTILE)
    assert "<script>" not in out and "<img" not in out and "<div" not in out
    assert '&lt;script>alert("x")&lt;/script>' in out
    assert '&lt;div onclick="steal()">block html&lt;/div>' in out
    assert "`a <b> c`" in out
    assert 'echo "<not escaped in code>"' in out


def test_links_between_runbooks_open_in_the_portal_with_the_context():
    context = {"workspace": "ws_000042", "since": "2026-05-01T00:00:00Z"}
    out = safe_markdown("See [a](runbook:hosted-upgrade), [b](stats-not-reporting.md#look) and "
                        "[c](https://docs.rocket.chat/x).", context)
    assert "[a](?runbook=hosted-upgrade&workspace=ws_000042&since=2026-05-01T00%3A00%3A00Z)" in out
    assert "[b](?runbook=stats-not-reporting&workspace=ws_000042" in out
    assert "[c](https://docs.rocket.chat/x)" in out


def test_runbook_query_keeps_only_context_values():
    assert runbook_query("x", {"workspace": "ws_1", "runbook": "other", "delivery": ""}) == "?runbook=x&workspace=ws_1"


def _app() -> None:
    from portal.ui.runbook_view import show_markdown

    show_markdown('Hello <script>alert("x")</script> <b>bold?</b>')


def test_streamlit_receives_escaped_text_and_no_html_permission():
    at = AppTest.from_function(_app).run()
    [element] = at.markdown
    assert element.value == 'Hello &lt;script>alert("x")&lt;/script> &lt;b>bold?&lt;/b>'
    assert element.proto.allow_html is False
