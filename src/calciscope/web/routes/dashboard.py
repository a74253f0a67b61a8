"""The dashboard: registry counts, the default study's attrition flow, phenotypes, queue sizes."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from calciscope.web.as_of import current_as_of
from calciscope.web.pages import page
from calciscope.web.security import ANY_ROLE, WebUser, current_user

__all__ = ["router"]

router = APIRouter()


def queue_sizes(request: Request) -> dict[str, int] | None:
    """Return the items waiting in the review queue by kind (None while first computed)."""
    # the queue page's key for all kinds: the registry's as-of date (web.as_of)
    key = (None, None, current_as_of(request).date)
    items, _ = request.app.state.queues.get_or_start(key)
    if items is None:
        return None
    return dict(sorted(Counter(item.kind for item in items).items()))


@page(router, "/", "dashboard.html", roles=ANY_ROLE, summary="Dashboard")
def dashboard(request: Request, user: Annotated[WebUser, Depends(current_user)]) -> dict[str, Any]:
    """Show counts, the attrition flow and phenotype counts of the default study, and queue sizes.

    The study numbers and the queue are computed in the background (they take seconds);
    ``overview`` and ``queue`` are null until the first result, and ``overview_fresh`` is
    false while a newer overview is computed.
    """
    state = request.app.state
    overview, fresh = state.overview.get_or_start("default")
    return {
        "counts": state.registry.counts(),
        "overview": overview,
        "overview_fresh": fresh,
        "queue": queue_sizes(request),
        # the date the patient pages, list and queue are evaluated at (the study above has its own)
        "as_of": current_as_of(request).describe(),
    }
