"""Runbooks: markdown files with TOML front matter and fenced action and view blocks.

A runbook is `runbooks/<id>.md`: a `+++` fenced TOML front matter, then a markdown body. Fenced
blocks with the info string `action` or `view` hold TOML naming a registry action (with its
parameters) or a live view. Strings may refer to the page's context with `{{ name }}`. The format
is documented in the README ("Runbooks: markdown that runs"). No Streamlit in this package:

- `model`: the parsed runbook, its blocks, the library and its problems;
- `parse`: reading files (front matter, segments, links between runbooks);
- `context`: the `{{ name }}` variables, checked and filled in;
- `markdown`: the sanitiser every runbook body is rendered through;
- `views`: the live views a `view` block may name (title, service, fetch);
- `lint` and `cli`: `python -m portal runbooks lint`.
"""

from portal.runbooks.context import (
    CONTEXT_VARIABLES,
    ContextVariable,
    block_target,
    clean_context,
    placeholders,
    prefill,
    render_text,
    substitute,
)
from portal.runbooks.model import (
    SERVICES,
    SEVERITIES,
    ActionBlock,
    Library,
    Markdown,
    Problem,
    Runbook,
    Segment,
    ViewBlock,
)
from portal.runbooks.parse import RUNBOOKS_DIR, link_target_id, load_library, parse_runbook, runbook_files
from portal.runbooks.views import VIEWS, ViewSpec

__all__ = [
    "CONTEXT_VARIABLES", "RUNBOOKS_DIR", "SERVICES", "SEVERITIES", "VIEWS", "ActionBlock", "ContextVariable",
    "Library", "Markdown", "Problem", "Runbook", "Segment", "ViewBlock", "ViewSpec", "block_target",
    "clean_context", "link_target_id", "load_library", "parse_runbook", "placeholders", "prefill", "render_text",
    "runbook_files", "substitute",
]
