"""The app's routes, one module per area; each module has a ``router``."""

from __future__ import annotations

from calciscope.web.routes import admin, auth, dashboard, facts, images, patients, review, study

__all__ = ["ROUTERS"]

ROUTERS = (
    auth.router,
    dashboard.router,
    patients.router,
    review.router,
    facts.router,
    study.router,
    images.router,
    admin.router,
)
