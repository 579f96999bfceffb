"""Pieces shared by the screens' tables: links to a workspace's page, names next to ids."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import streamlit as st

from portal.clients import Clients
from portal.livedata import ask
from portal.ui.live import fetch_all, freshness


def workspace_link(workspace_id: str) -> str:
    """The workspace page's address, for a LinkColumn showing the id."""
    return f"/workspace?workspace={workspace_id}"


def workspace_column(label: str = "Workspace") -> Any:
    """A table column of workspace links that shows the id (the name goes in its own column)."""
    return st.column_config.LinkColumn(label, display_text=r"workspace=(.*)$")


def names_for(clients: Clients, workspace_ids: Iterable[str]) -> dict[str, str]:
    """The workspaces' names from Fleetcommand, in one call (empty, with its note, when it is unavailable)."""
    ids = tuple(sorted({i for i in workspace_ids if i}))
    if not ids:
        return {}
    [names] = fetch_all([ask(clients.fleet.names, ids)], refresh_key=None)
    if names.value is None:
        freshness(names)
    return dict(names.value or {})
