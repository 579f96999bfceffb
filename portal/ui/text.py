"""Untrusted text is text: anything from a service, a URL or a person goes into markdown only escaped.

Streamlit renders markdown in titles, captions, alerts and tables; a name like `[Sign in](https://…)`
or `![t](https://…)` would become a live link or an image fetched by the viewer's browser. `md`
escapes every character markdown (and Streamlit's `:color[...]` / `:material/...:` directives) gives
meaning to, and puts an invisible word joiner into what GitHub-style markdown would turn into a link
by itself (`https://`, `www.`, `name@host`), so the text shows exactly as written and links nowhere.
`code` shows an id, address or URL in a code span instead: nothing is interpreted there either, and
it copies cleanly.
"""

from __future__ import annotations

import re

# CommonMark's escapable ASCII punctuation, plus ':' for Streamlit's directives and emoji shortcodes.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&=\"'^%@,;?/])")


_JOINER = "\u2060"  # WORD JOINER: invisible, and no autolink pattern accepts it
_AUTOLINK = re.compile(r"(?i)(https?|ftp|mailto)(?=:)|(www)(?=\.)|(?<=\w)(@)")


def md(value: object) -> str:
    """`value` as text that markdown shows verbatim (newlines become spaces: one line of data)."""
    text = "" if value is None else str(value)
    text = " ".join(text.split())  # no line breaks, headings or list items sneaking in
    text = _AUTOLINK.sub(lambda m: (m.group(1) or m.group(2) or "") + _JOINER + (m.group(3) or ""), text)
    return _SPECIAL.sub(r"\\\1", text)


def code(value: object) -> str:
    """`value` as an inline code span (for ids): backticks inside cannot close it."""
    text = " ".join(("" if value is None else str(value)).split())
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}" if text.startswith("`") or text.endswith("`") else f"{fence}{text}{fence}"


def count_or_unknown(value: int | None) -> str:
    """A count with thousands separators, or "unknown" when the source did not say."""
    return f"{value:,}" if value is not None else "unknown"
