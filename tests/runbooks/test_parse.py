"""Runbook parsing: front matter, segments, action and view blocks, context variables, search."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from portal.runbooks import (
    ActionBlock,
    Markdown,
    ViewBlock,
    block_target,
    clean_context,
    link_target_id,
    load_library,
    parse_runbook,
    prefill,
    render_text,
    substitute,
)

FRONT = '''+++
id = "sample"
title = "Sample runbook"
summary = "For the parser tests."
services = ["push", "fleet"]
tags = ["push", "401"]
severity = "sev3"
owners = ["cloud-push"]
last_reviewed = 2026-03-01
+++
'''

BODY = '''
Intro for {{ workspace }}.

```view
view = "workspace.summary"
title = "The workspace"
```

Then revoke:

```action
label = "Revoke tokens"
action = "workspace.revoke_access_tokens"
target = "{{ workspace }}"
[params]
count = 3
note = "window {{ since }} to {{ until }}"
```

````markdown
```action
action = "not.a.block"
```
````

Done.
'''


def parse(text: str = FRONT + BODY, name: str = "sample.md"):
    return parse_runbook(text, Path("runbooks") / name)


def test_front_matter_fields():
    runbook, problems = parse()
    assert problems == []
    assert runbook.id == "sample" and runbook.title == "Sample runbook"
    assert runbook.services == ("push", "fleet") and runbook.tags == ("push", "401")
    assert runbook.severity == "sev3" and runbook.owners == ("cloud-push",)
    assert runbook.last_reviewed == date(2026, 3, 1)
    assert runbook.body_line == 11
    assert runbook.field_lines["severity"] == 7


def test_body_is_cut_into_markdown_view_and_action_segments():
    runbook, _ = parse()
    kinds = [type(s) for s in runbook.segments]
    assert kinds == [Markdown, ViewBlock, Markdown, ActionBlock, Markdown]
    view = runbook.segments[1]
    assert (view.view, view.title, view.line, view.name_line, view.index) == (
        "workspace.summary", "The workspace", 14, 15, 0)
    action = runbook.segments[3]
    assert action.action == "workspace.revoke_access_tokens" and action.label == "Revoke tokens"
    assert action.target == "{{ workspace }}"
    assert action.params == {"count": 3, "note": "window {{ since }} to {{ until }}"}
    assert (action.line, action.name_line, action.index) == (21, 23, 1)
    assert action.key_lines == {"count": 26, "note": 27}


def test_other_fences_stay_markdown_even_when_they_contain_a_block():
    runbook, _ = parse()
    last = runbook.segments[4]
    assert "not.a.block" in last.text  # the four-backtick fence holds it and last.text.rstrip().endswith("Done.")
    assert [b.action for b in runbook.action_blocks] == ["workspace.revoke_access_tokens"]


def test_unusable_front_matter_gives_no_runbook():
    runbook, problems = parse(FRONT.replace('severity = "sev3"', 'severity = "high"') + BODY)
    assert runbook is None
    assert [str(p) for p in problems] == [
        "runbooks/sample.md:7: front matter: severity: 'high' is not one of sev1, sev2, sev3, sev4"]


def test_clean_context_keeps_only_well_formed_values_and_fills_the_window():
    now = datetime(2026, 5, 4, 10, 30, 45, tzinfo=UTC)
    context = clean_context({"workspace": ["ws_000042"], "delivery": "d_1<script>", "other": "x"}, now=now)
    assert context == {"workspace": "ws_000042", "until": "2026-05-04T10:30:00Z", "since": "2026-05-03T10:30:00Z"}
    given = clean_context({"workspace": "ws 1", "until": "2026-05-01T00:00:00Z"}, now=now)
    assert "workspace" not in given
    assert given["since"] == "2026-04-30T00:00:00Z"
    assert clean_context({"since": "yesterday"}, now=now)["since"] == "2026-05-03T10:30:00Z"


def test_substitute_and_prefill_leave_out_fields_whose_context_is_missing():
    runbook, _ = parse()
    block = runbook.action_blocks[0]
    context = {"since": "S", "until": "U"}
    assert prefill(block, context) == {"count": 3, "note": "window S to U"}
    assert block_target(block, context) is None
    assert block_target(block, {**context, "workspace": "ws_1"}) == "ws_1"
    assert prefill(block, {"workspace": "ws_1"}) == {"count": 3}  # the note needs since and until
    assert substitute(["{{ workspace }}", 3, {"a": "{{ since }}"}], {"workspace": "w", "since": "s"}) == [
        "w", 3, {"a": "s"}]


def test_render_text_replaces_known_placeholders_only():
    assert render_text("ws {{ workspace }} and {{ nope }}", {"workspace": "ws_1"}) == "ws ws_1 and {{ nope }}"


def test_link_targets():
    assert link_target_id("runbook:hosted-upgrade") == "hosted-upgrade"
    assert link_target_id("runbook:hosted-upgrade#after") == "hosted-upgrade"
    assert link_target_id("hosted-upgrade.md") == "hosted-upgrade"
    assert link_target_id("sub/hosted-upgrade.md") == "sub/hosted-upgrade.md"  # never a runbook id
    assert link_target_id("https://docs.rocket.chat/x.md") is None
    assert link_target_id("#section") is None


def test_library_search_over_title_tags_and_body_with_filters(tmp_path):
    (tmp_path / "sample.md").write_text(FRONT + BODY)
    other = FRONT.replace('"sample"', '"other"').replace('"Sample runbook"', '"Hosted restart"')
    other = other.replace('["push", "fleet"]', '["hosting"]').replace('["push", "401"]', '["outage"]')
    (tmp_path / "other.md").write_text(other + "\nRestart the instance.\n")
    library = load_library([tmp_path])
    assert library.problems == []
    assert [r.id for r in library.search("")] == ["other", "sample"]
    assert [r.id for r in library.search("revoke")] == ["sample"]  # body
    assert [r.id for r in library.search("HOSTED")] == ["other"]  # title, any case
    assert [r.id for r in library.search("401")] == ["sample"]  # tag
    assert [r.id for r in library.search("restart instance")] == ["other"]  # every word
    assert [r.id for r in library.search("", service="hosting")] == ["other"]
    assert [r.id for r in library.search("", tag="401")] == ["sample"]
    assert library.search("revoke", service="hosting") == []
    assert library.tags == ["401", "outage", "push"]


def test_duplicate_ids_are_reported(tmp_path):
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "sample.md").write_text(FRONT + BODY)
    library = load_library([tmp_path / "a", tmp_path / "b"])
    assert list(library.runbooks) == ["sample"]
    assert [str(p) for p in library.problems] == [
        f"{tmp_path}/b/sample.md:2: front matter: id 'sample' is already used by {tmp_path}/a/sample.md"]


def test_an_action_block_without_a_target_acts_on_the_context_workspace():
    body = '\n```action\naction = "workspace.force_license_sync"\n```\n'
    runbook, problems = parse(FRONT + body)
    assert problems == []
    [block] = runbook.action_blocks
    assert block.target == "{{ workspace }}" and block.params == {} and block.label is None
    assert block_target(block, {"workspace": "ws_9"}) == "ws_9"


@pytest.mark.parametrize("bad", ["2026-02-30T00:00:00Z", "2026-99-99T99:99:99Z", "2026-05-01T24:00Z",
                                 "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1970-01-01T00:00:00Z"])
def test_a_time_that_is_no_real_moment_is_dropped_not_raised(bad):
    now = datetime(2026, 5, 4, 10, 30, tzinfo=UTC)
    for name in ("since", "until"):
        context = clean_context({name: bad}, now=now)
        assert context.get(name) != bad
        assert context["until"] <= "2026-05-04T10:30:00Z" and context["since"] < context["until"]


def test_generated_link_contexts_never_raise():
    """Thousands of link-shaped contexts (the kind a crafted alert link carries): none raises."""
    import random

    r = random.Random(1306)
    parts = [lambda: f"{r.randint(0, 9999):04d}", lambda: f"{r.randint(0, 99):02d}", lambda: f"{r.randint(0, 99):02d}"]
    for _ in range(3000):
        stamp = (f"{parts[0]()}-{parts[1]()}-{parts[2]()}T{r.randint(0, 99):02d}:{r.randint(0, 99):02d}"
                 + r.choice(["", f":{r.randint(0, 99):02d}"]) + r.choice(["", "Z", "+14:00", "-12:00", "+99:99"]))
        raw = {r.choice(["since", "until"]): stamp, "workspace": r.choice(["ws_1", "x" * 200, "ws 1", ""])}
        context = clean_context(raw)
        assert set(context) >= {"since", "until"}
