"""No access: shown, alone, to a signed-in person whose groups grant no portal role."""

import streamlit as st

from portal.identity import parse_group_roles, principal_from_claims
from portal.settings import get_settings

settings = get_settings()
groups = ", ".join(f"`{group}`" for group in parse_group_roles(settings.group_roles))
yours = ", ".join(f"`{group}`" for group in principal_from_claims(st.user.to_dict(), settings).groups)

st.title("No access")
st.error("You are signed in, but your account is not in any of the portal's groups, "
         "so there is nothing here you may see.", icon=":material/block:")
st.write(f"Access follows group membership at the identity provider: ask for one of {groups}, "
         "then sign out and sign in again.")
st.caption(f"Groups in your sign-in: {yours or 'none'}.")
