"""The supported way to start the dashboard: `streamlit run dashboard/serve.py` (`make run`).

Streamlit sees the `st.App` below and serves `screen/app.py` through it, with the dashboard's edge
middleware in front (`dashboard/web/guard.py`: no framing, same-origin websocket only, no
metrics endpoint, sheet links bound to their browser and short-lived) and a lifespan task that
keeps Streamlit's media clean-up running on an idle server. Starting `dashboard/screen/app.py`
directly still works for development, without these protections.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import streamlit as st
from starlette.middleware import Middleware
from streamlit import config

from dashboard.web.guard import EdgeGuard, sweep_media

app = st.App("screen/app.py", lifespan=sweep_media, middleware=[
    Middleware(EdgeGuard, base_url_path=str(config.get_option("server.baseUrlPath") or ""))])
