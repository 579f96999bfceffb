"""The markdown sanitiser for runbook bodies: embedded HTML shows as text, and links between
runbooks point into the portal with the same context. No Streamlit here; only runbook bodies are
ever rendered as markdown, and only through this."""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import urlencode

from portal.runbooks.model import FENCE, LINK
from portal.runbooks.parse import link_target_id

CODE_SPAN = re.compile(r"(`+)(.+?)\1")
LINK_CONTEXT = ("workspace", "delivery", "since", "until")


def runbook_query(runbook_id: str, context: Mapping[str, str]) -> str:
    """`?runbook=<id>&workspace=<id>...`: the query that opens a runbook with this context."""
    params = {"runbook": runbook_id} | {k: context[k] for k in LINK_CONTEXT if context.get(k)}
    return "?" + urlencode(params)


def _escape_prose(text: str, link_context: Mapping[str, str]) -> str:
    """One line outside fenced code: runbook links become portal links, `<` outside code spans is escaped."""
    parts: list[str] = []
    last = 0
    for span in CODE_SPAN.finditer(text):
        parts.append(_escape_plain(text[last:span.start()], link_context))
        parts.append(span.group(0))
        last = span.end()
    parts.append(_escape_plain(text[last:], link_context))
    return "".join(parts)


def _escape_plain(text: str, link_context: Mapping[str, str]) -> str:
    def relink(match: re.Match[str]) -> str:
        target = link_target_id(match.group(2))
        if target is None:
            return match.group(0)
        return f"[{match.group(1)}]({runbook_query(target, link_context)})"

    return LINK.sub(relink, text).replace("<", "&lt;")


def safe_markdown(text: str, link_context: Mapping[str, str] | None = None) -> str:
    """Markdown whose embedded HTML shows as text, with links between runbooks pointing into the portal."""
    link_context = link_context or {}
    lines: list[str] = []
    fence: str | None = None
    for line in text.splitlines():
        match = FENCE.match(line)
        if match and fence is None:
            fence = match.group(1)
            lines.append(line)
        elif fence is not None:
            if re.match(rf"^ {{0,3}}{re.escape(fence[0])}{{{len(fence)},}}\s*$", line):
                fence = None
            lines.append(line)
        else:
            lines.append(_escape_prose(line, link_context))
    return "\n".join(lines)
