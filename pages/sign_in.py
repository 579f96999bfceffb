"""Sign in: the only screen before signing in, and where an expired session is sent back to."""

import streamlit as st

from portal.settings import get_settings

st.title("Cloud Ops Portal")
st.caption("Rocket.Chat cloud services: fleet, push, statistics, marketplace and hosting.")

if st.user.get("is_logged_in"):
    # The entrypoint sends a signed-in person here only when their sign-in is too old.
    hours = get_settings().session_max_age_hours
    st.warning(f"Your session has expired: sign-ins last at most {hours:g} h. Sign in again to continue.",
               icon=":material/timer_off:")

try:
    configured = bool(st.secrets.get("auth"))
except FileNotFoundError:
    configured = False

if not configured:
    st.error("Sign-in is not configured: there is no [auth] section in .streamlit/secrets.toml. "
             "`make run` writes one for the local identity provider; the README explains how to connect a real one.")
    st.stop()

st.write("Sign in with your company account to continue.")
if st.button("Sign in", type="primary", icon=":material/login:"):
    st.login()
