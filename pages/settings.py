"""Settings (admins only): the settings in effect, with every secret masked."""

from collections.abc import Mapping

import streamlit as st

from portal.redact import effective_settings, redacted
from portal.settings import get_settings
from portal.ui.gate import require_screen

require_screen("settings")
st.title("Settings")
st.caption("In effect for this process. Secrets are masked; change them in the environment or in "
           ".streamlit/secrets.toml and restart.")

settings = get_settings()
values = effective_settings(settings)
st.subheader("Portal (PORTAL_* environment variables)")
st.dataframe(
    [{"setting": f"PORTAL_{name.upper()}", "value": value} for name, value in values.items()],
    hide_index=True, width="stretch",
)

st.subheader("Sign-in ([auth] in secrets.toml)")
try:
    auth = st.secrets.get("auth")
except FileNotFoundError:
    auth = None
if auth:
    flat = {key: value for key, value in dict(auth).items() if not isinstance(value, Mapping)}
    st.dataframe([{"setting": key, "value": value} for key, value in redacted(flat).items()],
                 hide_index=True, width="stretch")
else:
    st.info("No [auth] section.")
