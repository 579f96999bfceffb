"""The portal's server: Streamlit running `streamlit_app.py`, with the portal's own middleware.

Start it with `streamlit run app.py` (the Makefile, `python -m portal dev` and the deployment guide
do): Streamlit finds the `st.App` below and serves it. `streamlit_app.py` stays the Streamlit script
(AppTest runs it directly).
"""

import streamlit as st
from starlette.middleware import Middleware

from portal.web import DeepLinks, SecurityHeaders, prepare_process

prepare_process()

app = st.App("streamlit_app.py", middleware=[Middleware(SecurityHeaders), Middleware(DeepLinks)])
