"""The Streamlit composition root: settings, clients and the database, built once per process."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import streamlit as st

from portal.settings import Settings, get_settings


@dataclass(frozen=True)
class AppContext:
    settings: Settings
    clients: Any  # portal.clients.Clients
    extras: dict[str, Any]


@st.cache_resource(show_spinner=False)
def app_context() -> AppContext:
    """Build (once per process) everything pages need; never at import time."""
    from portal.clients import build_clients

    settings = get_settings()
    return AppContext(settings=settings, clients=build_clients(settings), extras={})
