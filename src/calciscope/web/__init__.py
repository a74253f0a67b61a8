"""The web app of the review workspace (``calciscope serve``): FastAPI, Jinja2 and HTMX.

Routes call :mod:`calciscope.api` only and render templates; every page has a JSON twin under
``/api/...`` (OpenAPI schema at ``/api/openapi.json``). Needs the ``web`` extra.
"""

from __future__ import annotations

from calciscope.web.app import create_app, create_app_from_environment
from calciscope.web.settings import WebSettings, load_secret_key, runs_dir_for

__all__ = [
    "WebSettings",
    "create_app",
    "create_app_from_environment",
    "load_secret_key",
    "runs_dir_for",
]
