"""Entrypoint: build the navigation and run the selected page. (Sign-in gate: see issue 3.)"""

import streamlit as st

from portal.screens import SCREENS

st.set_page_config(page_title="Cloud Ops Portal", page_icon=":material/rocket_launch:", layout="wide")

pages = [st.Page(s.path, title=s.title, icon=s.icon, url_path=s.id) for s in SCREENS]
st.navigation(pages).run()
