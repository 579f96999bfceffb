"""The portal's screens: one entry per page file, with the least role that may open it.

`streamlit_app.py` builds the navigation from this list, filtered by `portal.policy`; a screen
left out of a person's navigation cannot be opened by URL either.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Screen:
    id: str
    title: str
    path: str
    icon: str
    min_role: str  # viewer < support < oncall < admin
    section: str = "Fleet"


SCREENS: tuple[Screen, ...] = (
    Screen("fleet", "Fleet overview", "pages/fleet_overview.py", ":material/public:", "viewer"),
    Screen("workspace", "Workspaces", "pages/workspace.py", ":material/domain:", "viewer"),
    Screen("push", "Push health", "pages/push_health.py", ":material/notifications:", "viewer"),
    Screen("hosting", "Cloud hosting", "pages/hosting.py", ":material/cloud:", "viewer"),
    Screen("marketplace", "Marketplace", "pages/marketplace.py", ":material/storefront:", "viewer"),
    Screen("runbooks", "Runbooks", "pages/runbooks.py", ":material/menu_book:", "viewer", section="Operate"),
    Screen("actions", "Actions", "pages/actions.py", ":material/bolt:", "support", section="Operate"),
    Screen("approvals", "Approvals", "pages/approvals.py", ":material/how_to_reg:", "admin", section="Operate"),
    Screen("audit", "Audit log", "pages/audit.py", ":material/receipt_long:", "viewer", section="Operate"),
    Screen("settings", "Settings", "pages/settings.py", ":material/settings:", "admin", section="Admin"),
)


def screen_by_id(screen_id: str) -> Screen:
    for screen in SCREENS:
        if screen.id == screen_id:
            return screen
    raise KeyError(screen_id)
