"""Run the portal under Streamlit's AppTest as a signed-in person, against whatever PORTAL_* points at."""

from __future__ import annotations

import re

import pytest
from streamlit.testing.v1 import AppTest

from portal_dev.apptest import APPTEST_AUTH as TEST_AUTH
from portal_dev.apptest import ENTRYPOINT, ROOT, open_screen, reset_streamlit, start_as, steady_navigation_init

__all__ = [
    "ENTRYPOINT",
    "ROOT",
    "TEST_AUTH",
    "open_screen",
    "reset_streamlit",
    "shown",
    "start_as",
    "steady_state_navigation",
    "texts",
]


def steady_state_navigation(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run as a live server does once a session has called st.navigation (`__init__` restored after)."""
    from streamlit.runtime.pages_manager import PagesManager

    monkeypatch.setattr(PagesManager, "__init__", steady_navigation_init(PagesManager.__init__))


def shown(markdown: object) -> str:
    """What a markdown source shows as text, as far as these checks care: escapes undone."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", str(markdown)).replace("\u2060", "")


def texts(at: AppTest) -> str:
    """Everything a run rendered as text, for "does the screen say X" checks (markdown escapes undone)."""
    kinds = ("title", "header", "subheader", "markdown", "caption", "error", "warning", "info", "success")
    parts = [element.value for kind in kinds for element in getattr(at, kind)]
    parts += [f"{metric.label}: {metric.value}" for metric in at.metric]
    parts += [button.label for button in at.button]
    return "\n".join(shown(part) for part in parts)
