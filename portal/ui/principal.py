"""The signed-in person, for pages: the entrypoint has already refused anyone without a role."""

from __future__ import annotations

import streamlit as st

from portal.identity import Principal, principal_from_claims
from portal.settings import get_settings


def current_principal() -> Principal:
    """The Principal of this browser session, from the validated ID-token claims in `st.user`."""
    return principal_from_claims(st.user.to_dict(), get_settings())
