"""The supported way to start the dashboard: `streamlit run dashboard/serve.py` (`make run`).

Streamlit sees the `st.App` below and serves `screen/app.py` through it, with the dashboard's edge
middleware in front (`dashboard/web/guard.py`: no framing, same-origin websocket only, no
metrics endpoint, sheet links bound to their browser and short-lived) and a lifespan that keeps
Streamlit's media clean-up running on an idle server and starts the sheet workers
(`dashboard/adapters/render_pool.py`: sheets drawn in worker processes, off the script
threads' GIL, bounded). Starting `dashboard/screen/app.py` directly still works for
development, without these protections, drawing sheets in the script thread.
"""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import streamlit as st
from starlette.middleware import Middleware
from streamlit import config

from dashboard.adapters.render_pool import serving
from dashboard.web.guard import EdgeGuard, sweep_media


@contextlib.asynccontextmanager
async def lifespan(app: Any):
    with serving():  # the sheet workers, for as long as the server runs
        async with sweep_media(app):
            yield None


app = st.App("screen/app.py", lifespan=lifespan, middleware=[
    Middleware(EdgeGuard, base_url_path=str(config.get_option("server.baseUrlPath") or ""))])
